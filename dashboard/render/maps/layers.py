"""The county deck (pydeck): township polygons, their labels and village bubbles — no basemap.

:func:`county_deck` gives layers ``townships`` (GeoJsonLayer, pickable), ``township-labels``
(TextLayer) and ``villages`` (ScatterplotLayer, pickable). The deck has no map provider and no
map style, so nothing is fetched from a tile server (the machine may be offline).
:func:`selected_code` reads the township code from a ``st.pydeck_chart`` selection event.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from shapely.geometry import shape

from dashboard import labels
from dashboard.render import formats, style
from dashboard.render.maps.geometry import label_point

TOWNSHIPS_LAYER = "townships"
LABELS_LAYER = "township-labels"
VILLAGES_LAYER = "villages"

FONT_FAMILY = style.FONT

# Alpha (0–255) of fills: township polygons are a tint so that village bubbles of the same
# colour stand out on them; small-numbers units are drawn muted.
_TOWNSHIP_ALPHA = 150
_VILLAGE_ALPHA = 235
_MUTED_TOWNSHIP_ALPHA = round(_TOWNSHIP_ALPHA * style.MUTED_OPACITY)
_MUTED_VILLAGE_ALPHA = round(_VILLAGE_ALPHA * style.MUTED_OPACITY)

# Sequential scale for colour_by="value" (ColorBrewer Blues, light → dark): readable on a
# projector, distinct from the status greens/ambers/reds.
VALUE_SCALE: tuple[str, ...] = ("#deebf7", "#9ecae1", "#4292c6", "#2171b5", "#08306b")

# Village bubble radius: metres per sqrt(person); a 2,000-person village ≈ 1.1 km.
_METRES_PER_SQRT_PERSON = 25.0
_PRECISION = 1e-5  # degrees (~1 m): coordinates are rounded to this grid

_OUTLINE_COLOUR = [255, 255, 255, 255]
_SELECTED_COLOUR = [20, 20, 20, 255]


# --------------------------------------------------------------------------------------------
# colours
# --------------------------------------------------------------------------------------------


def hex_to_rgb(colour: str) -> list[int]:
    """'#b2182b' → [178, 24, 43]."""
    c = colour.lstrip("#")
    return [int(c[i : i + 2], 16) for i in (0, 2, 4)]


def status_rgba(status: str, alpha: int = 255) -> list[int]:
    """The palette colour of ``status`` (unknown statuses count as no data) with ``alpha``."""
    return [*hex_to_rgb(style.STATUS_COLOURS.get(status, style.STATUS_COLOURS["no_data"])), int(alpha)]


def value_rgb(fraction: float) -> list[int]:
    """The sequential scale at ``fraction`` in [0, 1] (linear between the scale's stops)."""
    stops = [hex_to_rgb(c) for c in VALUE_SCALE]
    f = min(max(float(fraction), 0.0), 1.0) * (len(stops) - 1)
    i = min(int(f), len(stops) - 2)
    w = f - i
    return [round(a + (b - a) * w) for a, b in zip(stops[i], stops[i + 1])]


def _value_fractions(values: pd.Series) -> pd.Series:
    """Each value's place between the smallest and largest value (0.5 when all are equal)."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    finite = v[np.isfinite(v)]
    if finite.empty:
        return v
    lo, hi = float(finite.min()), float(finite.max())
    if hi - lo <= 1e-12:
        return v.where(~np.isfinite(v), 0.5)
    return (v - lo) / (hi - lo)


def _is_missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def _text(x: object) -> str:
    return "—" if _is_missing(x) or str(x) == "" else str(x)


# Streamlit fills "{field}" from the picked object (or a feature's properties) and HTML-escapes
# the value: the markup lives in this template, the objects carry plain text only. Every
# pickable object carries every tip_* field (a field it lacks would show as "{tip_…}").
TOOLTIP_HTML = (
    '<div style="font-size:15px;font-weight:600;margin-bottom:2px">{tip_name}'
    ' <span style="font-weight:400;color:#666;font-size:12px">{tip_kind}</span></div>'
    "<div>{tip_value}</div><div>{tip_target}</div>"
    '<div style="font-weight:600;color:{tip_colour}">{tip_status}</div>'
    "<div>{tip_n}</div><div>{tip_population}</div>"
    '<div style="color:#555;font-style:italic">{tip_note}</div>'
)


def _tooltip(
    name: str,
    kind: str,
    value_label: str,
    value_text: str,
    target_text: str,
    status: str,
    small: bool,
    n_text: str,
    population: int | None = None,
) -> dict[str, str]:
    """The tooltip's fields (plain text): name, value, target, status (symbol + word), n,
    population (villages), and the small-numbers note."""
    label = value_label or labels.t("value")
    return {
        "tip_name": name,
        "tip_kind": kind,
        "tip_value": f"{label}：{value_text}",
        "tip_target": f"{labels.t('target')}：{target_text}",
        "tip_status": f"{labels.t('status')}：{formats.status_badge(status, small)}",
        "tip_colour": style.STATUS_COLOURS.get(status, style.STATUS_COLOURS["no_data"]),
        "tip_n": f"n（{labels.t('map_n')}）：{n_text}",
        "tip_population": f"{labels.t('map_population')}：{population:,}" if population is not None else "",
        "tip_note": f"{style.SMALL_NUMBERS_SYMBOL} {labels.t('small_numbers')}" if small else "",
    }


def _bounds(boundaries: Mapping[str, Any], villages: pd.DataFrame) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the polygons and villages (the outline if none)."""
    geoms = [shape(f["geometry"]) for f in boundaries.get("features", []) if f.get("geometry")]
    minx, miny, maxx, maxy = shapely.union_all(geoms).bounds if geoms else (np.inf, np.inf, -np.inf, -np.inf)
    if not villages.empty and {"lat", "lon"} <= set(villages.columns):
        lat = pd.to_numeric(villages["lat"], errors="coerce").dropna()
        lon = pd.to_numeric(villages["lon"], errors="coerce").dropna()
        if not lat.empty and not lon.empty:
            minx, maxx = min(minx, float(lon.min())), max(maxx, float(lon.max()))
            miny, maxy = min(miny, float(lat.min())), max(maxy, float(lat.max()))
    if not np.isfinite([minx, miny, maxx, maxy]).all():  # nothing to show: any small square
        return 0.0, 0.0, 0.1, 0.1
    return minx, miny, maxx, maxy


def fitted_view(bounds: tuple[float, float, float, float], height: int, width: int | None = None) -> pdk.ViewState:
    """A view that shows ``bounds`` whole in a ``width`` × ``height`` pixel map (width unknown:
    assume a square, the narrowest a page gives the map), with a margin."""
    minx, miny, maxx, maxy = bounds
    width = width or height
    pad = 1.12

    def merc_y(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    span_x = max(maxx - minx, 1e-3) * pad / 360.0  # share of the world's width
    span_y = max(merc_y(maxy) - merc_y(miny), 1e-5) * pad / (2 * math.pi)
    zoom = math.log2(min(width / (512 * span_x), height / (512 * span_y)))
    zoom = round(min(max(zoom, 1.0), 16.0), 2)
    return pdk.ViewState(
        longitude=round((minx + maxx) / 2, 5),
        latitude=round((miny + maxy) / 2, 5),
        zoom=zoom,
        min_zoom=max(zoom - 2, 0),
        max_zoom=zoom + 5,
        pitch=0,
        bearing=0,
    )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN → None, numpy scalars → Python)."""
    out = []
    for row in frame.to_dict("records"):
        clean: dict[str, Any] = {}
        for k, v in row.items():
            if isinstance(v, np.generic):
                v = v.item()
            if _is_missing(v):
                v = None
            clean[str(k)] = v
        out.append(clean)
    return out


def _literal(text: str) -> str:
    """A plain string prop for pydeck (which otherwise turns every string into a JS accessor
    expression): wrapped in a quote character it does not contain, which pydeck strips."""
    quote = next(q for q in ("'", "`", '"') if q not in text)
    return f"{quote}{text}{quote}"


def county_deck(
    boundaries: Mapping[str, Any],
    townships: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    colour_by: Literal["status", "value"] = "status",
    selected_code: str | None = None,
    value_label: str = "",
    height: int = 640,
) -> pdk.Deck:
    """The county map: township polygons coloured by status (or by value), their names, village
    bubbles sized by population — with no basemap at all.

    ``townships``: code, name, value, value_text, target_text, status, small_numbers, n_text.
    ``villages``: code, name, lat, lon, population, value_text, target_text, status,
    small_numbers, n_text, township_code. Every township feature keeps ``code`` in its
    properties, so that a picked polygon maps to a township.
    """
    rows = townships.copy()
    rows["code"] = rows["code"].astype(str)
    by_code = rows.drop_duplicates("code").set_index("code")
    fractions = _value_fractions(by_code["value"]) if colour_by == "value" and "value" in by_code else None
    selected = str(selected_code) if selected_code is not None else None

    features: list[dict[str, Any]] = []
    label_rows: list[dict[str, Any]] = []
    for feature in boundaries.get("features", []):
        props = dict(feature.get("properties") or {})
        code = str(props.get("code", ""))
        row = by_code.loc[code] if code in by_code.index else None
        name = str(row["name"]) if row is not None else str(props.get("name", code))
        status = str(row["status"]) if row is not None else "no_data"
        if status not in style.STATUS_COLOURS:
            status = "no_data"
        small = bool(row["small_numbers"]) if row is not None and not _is_missing(row["small_numbers"]) else False
        value_text = _text(row["value_text"]) if row is not None else "—"
        target_text = _text(row["target_text"]) if row is not None else "—"
        n_text = _text(row["n_text"]) if row is not None else "—"

        alpha = _MUTED_TOWNSHIP_ALPHA if small else _TOWNSHIP_ALPHA
        if colour_by == "value":
            frac = fractions.get(code) if fractions is not None else None
            if frac is None or _is_missing(frac) or not math.isfinite(float(frac)):
                fill = status_rgba("no_data", alpha)
            else:
                fill = [*value_rgb(float(frac)), max(alpha, 200) if not small else alpha]
        else:
            fill = status_rgba(status, alpha)
        is_selected = selected is not None and code == selected
        props.update(
            {
                "code": code,
                "name": name,
                "status": status,
                "small_numbers": small,
                "value_text": value_text,
                "target_text": target_text,
                "n_text": n_text,
                "fill_color": fill,
                "line_color": _SELECTED_COLOUR if is_selected else _OUTLINE_COLOUR,
                "line_width": 4 if is_selected else 1.5,
                "selected": is_selected,
                **_tooltip(name, labels.t("township"), value_label, value_text, target_text, status, small, n_text),
            }
        )
        features.append({"type": "Feature", "properties": props, "geometry": feature["geometry"]})

        geom = shape(feature["geometry"])
        if not geom.is_empty:
            lon, lat = label_point(geom)
            mark = style.STATUS_SYMBOLS.get(status, "")
            second = f"{mark} {value_text}" if value_text != "—" else mark
            if small:
                second += f" {style.SMALL_NUMBERS_SYMBOL}"
            label_rows.append({"code": code, "lon": lon, "lat": lat, "label": f"{name}\n{second}"})
    # The selected polygon is drawn last so that its thick outline is not covered by neighbours.
    features.sort(key=lambda f: bool(f["properties"]["selected"]))

    village_rows: list[dict[str, Any]] = []
    if not villages.empty:
        v = villages.copy()
        v["lat"] = pd.to_numeric(v["lat"], errors="coerce")
        v["lon"] = pd.to_numeric(v["lon"], errors="coerce")
        v = v.dropna(subset=["lat", "lon"])
        pop = pd.to_numeric(v["population"], errors="coerce").fillna(0).clip(lower=0)
        v = v.assign(population=pop.round().astype("int64"))
        # Big villages first, so that small bubbles are drawn on top and stay visible.
        v = v.sort_values("population", ascending=False, kind="stable")
        for rec in _records(v):
            status = rec.get("status") or "no_data"
            status = status if status in style.STATUS_COLOURS else "no_data"
            small = bool(rec.get("small_numbers"))
            population = int(rec.get("population") or 0)
            value_text, target_text, n_text = (_text(rec.get(k)) for k in ("value_text", "target_text", "n_text"))
            village_rows.append(
                {
                    "code": str(rec.get("code", "")),
                    "name": str(rec.get("name", "")),
                    "township_code": str(rec.get("township_code", "")),
                    "lon": round(float(rec["lon"]), 5),
                    "lat": round(float(rec["lat"]), 5),
                    "population": population,
                    "radius": round(_METRES_PER_SQRT_PERSON * math.sqrt(population), 1),
                    "status": status,
                    "small_numbers": small,
                    "value_text": value_text,
                    "target_text": target_text,
                    "n_text": n_text,
                    "fill_color": status_rgba(status, _MUTED_VILLAGE_ALPHA if small else _VILLAGE_ALPHA),
                    "line_color": [255, 255, 255, 120 if small else 230],
                    **_tooltip(
                        str(rec.get("name", "")),
                        labels.t("village"),
                        value_label,
                        value_text,
                        target_text,
                        status,
                        small,
                        n_text,
                        population,
                    ),
                }
            )

    township_layer = pdk.Layer(
        "GeoJsonLayer",
        id=TOWNSHIPS_LAYER,
        data={"type": "FeatureCollection", "features": features},
        stroked=True,
        filled=True,
        get_fill_color="properties.fill_color",
        get_line_color="properties.line_color",
        get_line_width="properties.line_width",
        line_width_units=_literal("pixels"),
        line_joint_rounded=True,
        pickable=True,
        auto_highlight=True,
        highlight_color=[255, 255, 255, 70],
    )
    label_layer = pdk.Layer(
        "TextLayer",
        id=LABELS_LAYER,
        data=label_rows,
        get_position=["lon", "lat"],
        get_text="label",
        get_size=16,
        size_units=_literal("pixels"),
        get_color=[25, 25, 25, 255],
        get_text_anchor=_literal("middle"),
        get_alignment_baseline=_literal("center"),
        font_family=_literal(FONT_FAMILY),
        font_weight=600,
        character_set=_literal("auto"),
        line_height=1.15,
        font_settings={"sdf": True, "fontSize": 64, "buffer": 8, "radius": 12},
        outline_width=3,
        outline_color=[255, 255, 255, 235],
        pickable=False,
    )
    village_layer = pdk.Layer(
        "ScatterplotLayer",
        id=VILLAGES_LAYER,
        data=village_rows,
        get_position=["lon", "lat"],
        get_radius="radius",
        radius_units=_literal("meters"),
        radius_min_pixels=3,
        radius_max_pixels=40,
        get_fill_color="fill_color",
        get_line_color="line_color",
        stroked=True,
        line_width_units=_literal("pixels"),
        get_line_width=1,
        pickable=True,
        auto_highlight=True,
    )
    return pdk.Deck(
        layers=[township_layer, village_layer, label_layer],
        initial_view_state=fitted_view(_bounds(boundaries, villages), height),
        # No basemap: no provider, and map_style left at pydeck's sentinel "__MAP_STYLE__",
        # which Streamlit's frontend reads as "no map style". map_style=None would NOT do:
        # Streamlit then fills in Carto's positron/dark-matter style (a request to
        # basemaps.cartocdn.com, which fails offline).
        map_provider=None,
        height=height,
        tooltip={
            "html": TOOLTIP_HTML,
            "style": {
                "backgroundColor": "rgba(255,255,255,0.97)",
                "color": "#1a1a1a",
                "fontSize": "13px",
                "lineHeight": "1.45",
                "border": "1px solid #bbb",
                "borderRadius": "4px",
                "padding": "6px 9px",
                "fontFamily": FONT_FAMILY,
            },
        },
    )


def _get(obj: object, key: str) -> Any:
    """``obj[key]`` or ``obj.key`` (None when neither works)."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    try:
        return obj[key]  # type: ignore[index]
    except (KeyError, TypeError, IndexError, AttributeError):
        return getattr(obj, key, None)


def selected_code(selection_state: object) -> str | None:
    """The township code of the object picked on the map, or None.

    ``selection_state`` is what ``st.pydeck_chart(..., on_select="rerun")`` returns (or its
    ``selection``): ``selection["objects"]`` maps a layer id to the picked objects. A picked
    township polygon is a GeoJSON feature (code in ``properties``); a picked village bubble
    gives its township's code.
    """
    selection = _get(selection_state, "selection")
    if selection is None:
        selection = selection_state
    objects = _get(selection, "objects")
    if not objects:
        return None
    for layer, key in ((TOWNSHIPS_LAYER, "code"), (VILLAGES_LAYER, "township_code")):
        picked = _get(objects, layer)
        if not picked or not isinstance(picked, Iterable) or isinstance(picked, str | bytes | Mapping):
            continue
        for obj in picked:
            props = _get(obj, "properties")
            value = _get(props, key) if props is not None else None
            if _is_missing(value):
                value = _get(obj, key)
            if not _is_missing(value) and str(value):
                return str(value)
    return None
