"""The map page's content: township polygons and village bubbles for one indicator."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
import pydeck as pdk

from dashboard import labels, maps, style
from dashboard import indicators as ind
from dashboard.exports import ExportContext
from dashboard.overview import period_words
from dashboard.report import Report


@dataclass(frozen=True)
class MapView:
    deck: pdk.Deck
    legend: str
    schematic: bool
    township_options: dict[str, str]
    table: pd.DataFrame  # what the map shows, as a table (for export and screen readers)
    context: ExportContext
    stem: tuple[str, ...]
    warning: str | None = None  # a configured boundary file that could not be used


def township_frame(townships: Report, code: str) -> pd.DataFrame:
    rows = style.decorate(townships.result[townships.result["indicator"] == code])
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
    rows = style.decorate(villages.result[villages.result["indicator"] == code]).reset_index(drop=True)
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


def build(
    townships: Report,
    villages: Report,
    units: pd.DataFrame,
    code: str,
    *,
    colour_by: str = "status",
    selected: str | None = None,
    height: int = 640,
    township_rows: pd.DataFrame | None = None,
) -> MapView:
    """Deck, legend and table for one indicator (pure apart from reading the boundary file).

    ``township_rows`` replaces the indicator's township colouring (the meeting's overall map).
    """
    seats = (
        units.drop_duplicates("township_code")[["township_code", "township_name", "township_lat", "township_lon"]]
        .rename(columns={"township_code": "code", "township_name": "name", "township_lat": "lat", "township_lon": "lon"})
        .reset_index(drop=True)
    )
    warning = None
    try:
        boundaries, schematic = maps.load_boundaries(seats, os.environ.get("DASHBOARD_BOUNDARIES"))
    except ValueError as exc:  # an unusable boundary file: say so, show the schematic map
        warning = labels.t("map_boundary_fallback", reason=str(exc))
        boundaries, schematic = maps.schematic_boundaries(seats), True
    t_frame = township_frame(townships, code) if township_rows is None else township_rows
    v_frame = village_frame(villages, units, code)
    if township_rows is not None:
        v_frame = v_frame.iloc[0:0]  # the overall map: one idea — townships only
    indicator = ind.get(code)
    deck = maps.county_deck(
        boundaries, t_frame, v_frame, colour_by=colour_by, selected_code=selected,  # type: ignore[arg-type]
        value_label=indicator.short, height=height,
    )
    legend = maps.legend_html(colour_by, t_frame["value"] if colour_by == "value" else None, schematic=schematic)  # type: ignore[arg-type]
    table = pd.DataFrame(
        {
            labels.t("code"): t_frame["code"],
            labels.t("township"): t_frame["name"],
            labels.t("value"): t_frame["value_text"],
            labels.t("target"): t_frame["target_text"],
            labels.t("status"): [style.status_badge(s, bool(m)) for s, m in zip(t_frame["status"], t_frame["small_numbers"])],
            "n": t_frame["n_text"],
        }
    )
    options = dict(zip(t_frame["code"], t_frame["name"]))
    words = period_words(townships.period)
    title = f"{indicator.short}{labels.t('page_map')}"
    return MapView(
        deck=deck, legend=legend, schematic=schematic, township_options=options, table=table,
        context=ExportContext(title=title, scope=ind.county().display_name, period=words, status_column=labels.t("status")),
        stem=(ind.county().short_name, title, words),
        warning=warning,
    )


def page(  # type: ignore[no-untyped-def]
    url: str,
    period,
    code: str,
    *,
    colour_by: str = "status",
    selected: str | None = None,
    height: int = 640,
    overall: bool = False,
) -> MapView:
    """The map for ``period`` from the cached reports (``overall``: townships by worst status)."""
    from dashboard import cache

    townships = cache.report_for(url, period, "township")
    villages = cache.report_for(url, period, "village")
    units = cache.inputs(url, period.label).units
    rows = None
    if overall:
        from dashboard.meeting import overall_status

        rows = overall_status(townships)
    return build(townships, villages, units, code, colour_by=colour_by, selected=selected, height=height,
                 township_rows=rows)
