"""The map page: township polygons (by status or value) and village bubbles for one indicator,
and the same map as a table (for export and screen readers)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pydeck as pdk

from dashboard import labels
from dashboard.domain.report import Report
from dashboard.render import formats
from dashboard.render.exports import ExportContext
from dashboard.render.maps import layers, legend


@dataclass(frozen=True)
class Boundaries:
    """Township polygons to draw, whether they are the schematic ones, and why a configured
    boundary file could not be used (shown as a warning)."""

    geojson: dict[str, Any]
    schematic: bool
    warning: str | None = None


@dataclass(frozen=True)
class MapView:
    deck: pdk.Deck
    legend: str
    schematic: bool
    township_options: dict[str, str]
    table: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]
    warning: str | None = None


def township_frame(townships: Report, code: str) -> pd.DataFrame:
    rows = formats.decorate(townships.result[townships.result["indicator"] == code], townships.settings.county)
    return pd.DataFrame(
        {
            "code": rows["code"].to_numpy(),
            "name": rows["name"].to_numpy(),
            "value": rows["projection"].to_numpy(),
            "value_text": rows["value_text"].to_numpy(),
            "target_text": rows["target"].to_numpy(),
            "status": rows["status"].to_numpy(),
            "small_numbers": rows["small_numbers"].to_numpy(),
            "n_text": rows["n_text"].to_numpy(),
        }
    )


def village_frame(villages: Report, units: pd.DataFrame, code: str) -> pd.DataFrame:
    rows = formats.decorate(villages.result[villages.result["indicator"] == code], villages.settings.county)
    rows = rows.reset_index(drop=True)
    coords = units.set_index("village_code")[["village_lat", "village_lon"]]
    population = villages.rolled.set_index("code")["pop_end"]
    frame = pd.DataFrame(
        {
            "code": rows["code"],
            "name": rows["name"],
            "lat": rows["code"].map(coords["village_lat"]).astype("float64"),
            "lon": rows["code"].map(coords["village_lon"]).astype("float64"),
            "population": rows["code"].map(population).fillna(0).astype("int64"),
            "value_text": rows["value_text"],
            "target_text": rows["target"],
            "status": rows["status"],
            "small_numbers": rows["small_numbers"],
            "n_text": rows["n_text"],
            "township_code": rows["township_code"],
        }
    )
    return frame.dropna(subset=["lat", "lon"])


def seats(units: pd.DataFrame) -> pd.DataFrame:
    """Township seats (code, name, lat, lon): what the schematic cells grow from."""
    first = units.drop_duplicates("township_code")
    return pd.DataFrame(
        {
            "code": first["township_code"].to_numpy(),
            "name": first["township_name"].to_numpy(),
            "lat": first["township_lat"].to_numpy(),
            "lon": first["township_lon"].to_numpy(),
        }
    )


def build(
    townships: Report,
    villages: Report,
    units: pd.DataFrame,
    code: str,
    boundaries: Boundaries,
    *,
    colour_by: str = "status",
    selected: str | None = None,
    height: int = 640,
    township_rows: pd.DataFrame | None = None,
) -> MapView:
    """Deck, legend and table for one indicator; ``township_rows`` replaces the indicator's
    township colouring (the meeting's overall map, townships only)."""
    t_frame = township_frame(townships, code) if township_rows is None else township_rows
    v_frame = village_frame(villages, units, code)
    if township_rows is not None:
        v_frame = v_frame.iloc[0:0]  # the overall map: one idea — townships only
    deck = layers.county_deck(
        boundaries.geojson,
        t_frame,
        v_frame,
        colour_by=colour_by,  # type: ignore[arg-type]
        selected_code=selected,
        value_label=formats.indicator_short(code),
        height=height,
    )
    key = legend.legend_html(
        colour_by,  # type: ignore[arg-type]
        t_frame["value"] if colour_by == "value" else None,
        schematic=boundaries.schematic,
    )
    table = pd.DataFrame(
        {
            labels.t("code"): t_frame["code"],
            labels.t("township"): t_frame["name"],
            labels.t("value"): t_frame["value_text"],
            labels.t("target"): t_frame["target_text"],
            labels.t("status"): [
                formats.status_badge(s, bool(m)) for s, m in zip(t_frame["status"], t_frame["small_numbers"])
            ],
            "n": t_frame["n_text"],
        }
    )
    words = formats.period_words(townships.period)
    county = townships.settings.county
    title = f"{formats.indicator_short(code)}{labels.t('page_map')}"
    return MapView(
        deck=deck,
        legend=key,
        schematic=boundaries.schematic,
        township_options=dict(zip(t_frame["code"], t_frame["name"])),
        table=table,
        context=ExportContext(
            title=title, scope=formats.county_name(county), period=words, status_columns=(labels.t("status"),)
        ),
        stem=(county.short_name, title, words),
        warning=boundaries.warning,
    )
