"""Map builders (pydeck): township polygons, their labels and village bubbles — no basemap.

Pure functions, no Streamlit: the map page and the meeting slide render what these return.

* :func:`schematic_boundaries` — demo township polygons: a Voronoi tessellation of the township
  seats clipped to a hand-drawn county outline (``config/boundaries/jingdong_outline.geojson``).
  The UI must call such a map "示意图" (schematic).
* :func:`load_boundaries` — real township polygons from a GeoJSON file (``DASHBOARD_BOUNDARIES``)
  when there is one, else the schematic ones.
* :func:`county_deck` — the deck: layers ``townships`` (GeoJsonLayer, pickable),
  ``township-labels`` (TextLayer) and ``villages`` (ScatterplotLayer, pickable). The deck has no
  map provider and no map style, so nothing is fetched from a tile server (the machine may be
  offline; see the note in :func:`county_deck` on why ``map_style`` is not None).
* :func:`legend_html` — the legend: status symbols and words (never colour alone), or the value
  scale's ends; the schematic note.
* :func:`selected_code` — the township code from a ``st.pydeck_chart`` selection event.
"""

from __future__ import annotations

import html
import json
import math
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from scipy.spatial import Voronoi
from shapely.geometry import MultiPolygon, Point, Polygon, mapping, shape

from dashboard import labels, style

OUTLINE_PATH = Path(__file__).resolve().parent.parent / "config" / "boundaries" / "jingdong_outline.geojson"
BOUNDARIES_ENV = "DASHBOARD_BOUNDARIES"

TOWNSHIPS_LAYER = "townships"
LABELS_LAYER = "township-labels"
VILLAGES_LAYER = "villages"

FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

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


# --------------------------------------------------------------------------------------------
# boundaries
# --------------------------------------------------------------------------------------------


def county_outline() -> Polygon | MultiPolygon:
    """The hand-drawn (schematic) county outline."""
    data = json.loads(OUTLINE_PATH.read_text(encoding="utf-8"))
    geoms = [shape(f["geometry"]) for f in data["features"]]
    return shapely.union_all(geoms)


def _geometry_dict(geom: Polygon | MultiPolygon) -> dict[str, Any]:
    """GeoJSON geometry with plain lists (not tuples)."""
    return json.loads(json.dumps(mapping(geom)))


def _clean(geom: shapely.Geometry) -> Polygon | MultiPolygon | None:
    """Keep the polygonal part of ``geom``, rounded to the coordinate grid; None if empty."""
    geom = shapely.set_precision(geom, _PRECISION)
    if geom.is_empty:
        return None
    if isinstance(geom, Polygon | MultiPolygon):
        return geom
    parts = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon) and not g.is_empty]
    if not parts:
        return None
    merged = shapely.union_all(parts)
    return merged if isinstance(merged, Polygon | MultiPolygon) else None


def schematic_boundaries(townships: pd.DataFrame) -> dict[str, Any]:
    """Township polygons for the demo map: the Voronoi cells of the seats, clipped to the county.

    ``townships`` has columns code, name, lat, lon. A FeatureCollection (dict) with one feature
    per township that has coordinates; properties: code, name, schematic=True. Deterministic:
    the same seats always give the same polygons, whatever the row order.
    """
    seats = townships[["code", "name", "lat", "lon"]].copy()
    seats["code"] = seats["code"].astype(str)
    seats["lat"] = pd.to_numeric(seats["lat"], errors="coerce")
    seats["lon"] = pd.to_numeric(seats["lon"], errors="coerce")
    seats = seats.dropna(subset=["lat", "lon"]).drop_duplicates("code").sort_values("code").reset_index(drop=True)
    if seats.empty:
        return {"type": "FeatureCollection", "features": []}

    points = seats[["lon", "lat"]].to_numpy(dtype="float64")
    # Seats at the same spot would make Qhull fail: nudge repeats apart (deterministically).
    seen: dict[tuple[float, float], int] = {}
    for i, (x, y) in enumerate(points):
        key = (round(x, 6), round(y, 6))
        n = seen.get(key, 0)
        seen[key] = n + 1
        if n:
            points[i] = (x + 1e-3 * n, y + 1e-3 * n)

    outline = county_outline()
    region = outline
    if not all(outline.contains(Point(p)) for p in points):
        # A seat outside the drawn outline (another county's data): widen the clip region so
        # that every seat still lies in its own cell.
        region = shapely.union_all([outline, shapely.MultiPoint(points).convex_hull.buffer(0.05)])

    # Far-away dummy points bound every real cell.
    cx, cy = points.mean(axis=0)
    far = 50.0
    dummies = np.array([[cx - far, cy - far], [cx + far, cy - far], [cx + far, cy + far], [cx - far, cy + far]])
    vor = Voronoi(np.vstack([points, dummies]))

    features = []
    for i, row in seats.iterrows():
        region_index = vor.point_region[int(i)]
        vertices = vor.regions[region_index]
        if not vertices or -1 in vertices:  # cannot happen with the dummies; be safe
            continue
        cell = Polygon(vor.vertices[vertices]).convex_hull  # Voronoi cells are convex
        geom = _clean(cell.intersection(region))
        if geom is None:
            continue
        features.append(
            {
                "type": "Feature",
                "properties": {"code": row["code"], "name": str(row["name"]), "schematic": True},
                "geometry": _geometry_dict(geom),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _match_code(raw: object, codes: set[str]) -> str | None:
    """The township code a feature's property names: exact, or a 12-digit code ending in 000."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    text = str(raw).strip()
    if text.endswith(".0") and text[:-2].isdigit():  # a code stored as a JSON number
        text = text[:-2]
    if text in codes:
        return text
    if len(text) == 12 and text.endswith("000") and text[:9] in codes:
        return text[:9]
    return None


def load_boundaries(townships: pd.DataFrame, path: str | os.PathLike[str] | None = None) -> tuple[dict[str, Any], bool]:
    """Township polygons and whether they are schematic.

    ``path`` (or, if None, the environment variable ``DASHBOARD_BOUNDARIES``) names a GeoJSON
    FeatureCollection whose features carry a township code in the property ``code`` or
    ``township_code``; its features that match a code of ``townships`` are used (``code`` and
    ``name`` properties set from ``townships``, ``schematic`` False). Without a path the
    schematic polygons are returned. A file that cannot be read, or none of whose features
    matches a township, raises ValueError with a one-line message.
    """
    if path is None:
        path = os.environ.get(BOUNDARIES_ENV) or None
    if path is None or not str(path).strip():
        return schematic_boundaries(townships), True

    shown = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8-sig"))
        raw_features = data["features"] if isinstance(data, dict) else None
        if not isinstance(raw_features, list):
            raise ValueError("not a GeoJSON FeatureCollection")
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise ValueError(labels.t("err_boundaries_read", path=shown, reason=reason)) from None

    names = dict(zip(townships["code"].astype(str), townships["name"].astype(str)))
    codes = set(names)
    features = []
    used: set[str] = set()
    for feature in raw_features:
        if not isinstance(feature, Mapping) or not isinstance(feature.get("geometry"), Mapping):
            continue
        props = feature.get("properties")
        props = props if isinstance(props, Mapping) else {}
        code = _match_code(props.get("code"), codes) or _match_code(props.get("township_code"), codes)
        if code is None or code in used:
            continue
        try:
            geom = shape(feature["geometry"])
        except (ValueError, TypeError, AttributeError, KeyError, shapely.errors.ShapelyError):
            continue
        if not geom.is_valid:
            geom = shapely.make_valid(geom)
        geom = _clean(geom) if not isinstance(geom, Polygon | MultiPolygon) else geom
        if geom is None or geom.is_empty:
            continue
        used.add(code)
        features.append(
            {
                "type": "Feature",
                "properties": {**dict(props), "code": code, "name": names[code], "schematic": False},
                "geometry": _geometry_dict(geom),
            }
        )
    if not features:
        raise ValueError(labels.t("err_boundaries_match", path=shown))
    features.sort(key=lambda f: f["properties"]["code"])
    return {"type": "FeatureCollection", "features": features}, False


# --------------------------------------------------------------------------------------------
# the deck
# --------------------------------------------------------------------------------------------


def _label_point(geom: Polygon | MultiPolygon) -> tuple[float, float]:
    """Where a polygon's name goes: its centroid, or a point surely inside when the centroid
    falls outside (a concave or multi-part polygon: then the largest part's)."""
    if isinstance(geom, MultiPolygon):
        geom = max(geom.geoms, key=lambda g: g.area)
    c = geom.centroid
    if not geom.contains(c):
        c = geom.representative_point()
    return round(c.x, 5), round(c.y, 5)


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
    name: str, kind: str, value_label: str, value_text: str, target_text: str, status: str, small: bool, n_text: str,
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
        "tip_status": f"{labels.t('status')}：{style.status_badge(status, small)}",
        "tip_colour": style.STATUS_COLOURS.get(status, style.STATUS_COLOURS["no_data"]),
        "tip_n": f"n（{labels.t('map_n')}）：{n_text}",
        "tip_population": f"{labels.t('map_population')}：{population:,}" if population is not None else "",
        "tip_note": f"{style.SMALL_NUMBERS_SYMBOL} {labels.t('small_numbers')}" if small else "",
    }


def _bounds(boundaries: Mapping[str, Any], villages: pd.DataFrame) -> tuple[float, float, float, float]:
    """(min lon, min lat, max lon, max lat) of the polygons and villages (the outline if none)."""
    geoms = [shape(f["geometry"]) for f in boundaries.get("features", []) if f.get("geometry")]
    if not geoms:
        geoms = [county_outline()]
    minx, miny, maxx, maxy = shapely.union_all(geoms).bounds
    if not villages.empty and {"lat", "lon"} <= set(villages.columns):
        lat = pd.to_numeric(villages["lat"], errors="coerce").dropna()
        lon = pd.to_numeric(villages["lon"], errors="coerce").dropna()
        if not lat.empty and not lon.empty:
            minx, maxx = min(minx, float(lon.min())), max(maxx, float(lon.max()))
            miny, maxy = min(miny, float(lat.min())), max(maxy, float(lat.max()))
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
            lon, lat = _label_point(geom)
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
                        str(rec.get("name", "")), labels.t("village"), value_label, value_text, target_text, status,
                        small, n_text, population,
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


# --------------------------------------------------------------------------------------------
# legend and selection
# --------------------------------------------------------------------------------------------


def _short_number(x: float) -> str:
    """At most two decimals, trailing zeros dropped: 10.5, 93.42, 85."""
    text = f"{x:,.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _swatch(fill: str, symbol: str, word: str, *, opacity: float = 1.0) -> str:
    return (
        '<span style="display:inline-flex;align-items:center;gap:4px;margin-right:14px;white-space:nowrap">'
        f'<span style="display:inline-block;width:22px;height:16px;border-radius:3px;background:{fill};'
        f'opacity:{opacity};color:#fff;font-size:12px;line-height:16px;text-align:center;font-weight:700">'
        f"{html.escape(symbol)}</span>"
        f"{html.escape(word)}</span>"
    )


def legend_html(
    colour_by: Literal["status", "value"],
    values: pd.Series | None = None,
    *,
    schematic: bool = False,
    value_label: str = "",
    selected: bool = False,
) -> str:
    """A small HTML legend for :func:`county_deck`.

    Status: a swatch, the symbol and the word for each status, and the faded small-numbers
    mark. Value: the sequential scale from the smallest to the largest of ``values``, and the
    no-data grey. Both mention the village bubbles; ``schematic`` adds the "示意图" note and
    ``selected`` a note on the selected township's outline.
    """
    parts: list[str] = []
    if colour_by == "value":
        v = pd.to_numeric(values, errors="coerce") if values is not None else pd.Series(dtype="float64")
        finite = v[np.isfinite(v)] if len(v) else v
        gradient = ", ".join(VALUE_SCALE)
        title = value_label or labels.t("map_value_scale")
        lo = _short_number(float(finite.min())) if len(finite) else "—"
        hi = _short_number(float(finite.max())) if len(finite) else "—"
        parts.append(
            '<span style="display:inline-flex;align-items:center;gap:6px;margin-right:14px;white-space:nowrap">'
            f"{html.escape(title)}：{html.escape(lo)}"
            f'<span style="display:inline-block;width:120px;height:14px;border-radius:3px;'
            f'background:linear-gradient(to right, {gradient});border:1px solid #ccc"></span>'
            f"{html.escape(hi)}</span>"
        )
        parts.append(_swatch(style.STATUS_COLOURS["no_data"], style.STATUS_SYMBOLS["no_data"], labels.t("status_no_data")))
    else:
        for status in ("green", "amber", "red", "no_data"):
            parts.append(_swatch(style.STATUS_COLOURS[status], style.STATUS_SYMBOLS[status], style.status_word(status)))
        parts.append(
            _swatch(
                style.STATUS_COLOURS["red"], style.SMALL_NUMBERS_SYMBOL,
                f"{labels.t('small_numbers')}（{labels.t('map_muted')}）", opacity=style.MUTED_OPACITY,
            )
        )
    notes = [html.escape(labels.t("map_bubbles"))]
    if selected:
        notes.append(html.escape(labels.t("map_selected")))
    if schematic:
        notes.append(f"<b>{html.escape(labels.t('map_schematic'))}</b>")
    return (
        '<div class="county-map-legend" style="font-size:14px;line-height:1.9;color:inherit">'
        f'<div>{"".join(parts)}</div>'
        f'<div style="font-size:13px;opacity:0.85">{"　".join(notes)}</div>'
        "</div>"
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
