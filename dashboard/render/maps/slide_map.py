"""The meeting's map as a Vega-Lite chart (drawn to SVG for the screen, to PNG for the pack):
township polygons in the status colour, each township's name and score in large type, placed
in pixel space so that no two labels overlap (a label nudged off its township gets a leader).

Everything is computed in the chart's own pixels: the polygons are projected here (an
equirectangular projection scaled by cos(latitude), fitted to the canvas) and drawn with
Vega-Lite's identity projection, so the label boxes this module computes are where the labels
are drawn. :func:`place_labels` and :func:`overlapping` are pure and tested on their own.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import shapely
from shapely.affinity import affine_transform
from shapely.geometry import MultiPolygon, Polygon, mapping, shape

from dashboard.render import style
from dashboard.render.maps.geometry import label_point

#: Label type on the slide (CSS px at 1920×1080): the room reads it from the back.
LABEL_SIZE = 28
LINE_HEIGHT = 1.2
_PAD_X = 10.0  # the white halo around a label's text
_PAD_Y = 3.0
_GAP = 4.0  # the least space between two label boxes
_LEADER_AFTER = 0.45  # a label moved further than this share of its height gets a leader


@dataclass(frozen=True)
class LabelBox:
    """One township's label in chart pixels: centre (x, y), size, where it belongs (the
    polygon's label point) and whether a leader line joins the two."""

    code: str
    lines: tuple[str, ...]
    x: float
    y: float
    width: float
    height: float
    anchor_x: float
    anchor_y: float
    leader: bool

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom)."""
        return (self.x - self.width / 2, self.y - self.height / 2, self.x + self.width / 2, self.y + self.height / 2)


def text_width(text: str, size: float) -> float:
    """The width of ``text`` at ``size`` px in a CJK sans font: wide characters (Han, the
    status symbols, full-width punctuation) one em, the rest (digits, Latin) 0.72 em — a
    little wider than Noto Sans CJK draws them in bold, so a box never undersizes its text."""
    total = 0.0
    for ch in text:
        wide = unicodedata.east_asian_width(ch) in ("W", "F", "A") or ord(ch) >= 0x2500
        total += 1.0 if wide else 0.72
    return total * size


def box_size(lines: Sequence[str], size: float = LABEL_SIZE) -> tuple[float, float]:
    """(width, height) of a label of ``lines`` with its halo."""
    width = max((text_width(line, size) for line in lines), default=0.0) + 2 * _PAD_X
    return width, len(lines) * size * LINE_HEIGHT + 2 * _PAD_Y


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float], gap: float) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def overlapping(boxes: Sequence[LabelBox], gap: float = 0.0) -> list[tuple[str, str]]:
    """Every pair of labels whose boxes overlap (or come closer than ``gap``)."""
    return [
        (a.code, b.code)
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if _overlap(a.bounds, b.bounds, gap - 1e-9)
    ]


def _candidates(step: float, rings: int) -> list[tuple[float, float]]:
    """Offsets to try, nearest first: the spot itself, then rings of 16 directions."""
    out = [(0.0, 0.0)]
    for ring in range(1, rings + 1):
        r = ring * step
        for k in range(16):
            angle = math.pi / 2 + k * math.pi / 8  # start straight below, then round
            out.append((round(r * math.cos(angle), 3), round(r * math.sin(angle), 3)))
    return out


def place_labels(
    anchors: Sequence[tuple[str, float, float, tuple[str, ...]]],
    width: float,
    height: float,
    *,
    size: float = LABEL_SIZE,
    areas: Mapping[str, float] | None = None,
    inside: Mapping[str, Any] | None = None,
) -> list[LabelBox]:
    """Labels that do not collide: each (code, x, y, lines) at its anchor when there is room,
    else nudged to the nearest free spot (one inside its own polygon when ``inside`` gives the
    polygons, in pixels), kept on the ``width`` × ``height`` canvas. Townships with the least
    area are placed first (their labels have nowhere else to go). Deterministic: the same
    input always gives the same boxes; returned in the order of ``anchors``."""
    areas = areas or {}
    order = sorted(range(len(anchors)), key=lambda i: (areas.get(anchors[i][0], 0.0), anchors[i][0]))
    offsets = _candidates(step=size * 0.5, rings=24)
    placed: dict[int, LabelBox] = {}
    for i in order:
        code, ax, ay, lines = anchors[i]
        w, h = box_size(lines, size)
        polygon = inside.get(code) if inside else None

        def fits(x: float, y: float, w: float = w, h: float = h) -> bool:
            box = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                return False
            return not any(_overlap(box, other.bounds, _GAP) for other in placed.values())

        spot = None
        passes = (True, False) if polygon is not None else (False,)
        for own in passes:
            for dx, dy in offsets:
                x, y = ax + dx, ay + dy
                if own and not polygon.contains(shapely.Point(x, y)):  # type: ignore[union-attr]
                    continue
                if fits(x, y):
                    spot = (x, y)
                    break
            if spot is not None:
                break
        if spot is None:  # a crowded canvas: keep the anchor (the test reports the overlap)
            spot = (min(max(ax, w / 2), width - w / 2), min(max(ay, h / 2), height - h / 2))
        x, y = spot
        moved = math.hypot(x - ax, y - ay)
        placed[i] = LabelBox(code, tuple(lines), round(x, 2), round(y, 2), w, h, ax, ay, moved > _LEADER_AFTER * h)
    return [placed[i] for i in range(len(anchors))]


def project(
    geojson: Mapping[str, Any], width: float, height: float, margin: float = 8.0
) -> dict[str, Polygon | MultiPolygon]:
    """Each feature's polygon (by code) in pixels of a ``width`` × ``height`` canvas, y down:
    longitude scaled by cos(mid latitude), the whole county fitted and centred."""
    geoms = {str(f["properties"]["code"]): shape(f["geometry"]) for f in geojson.get("features", [])}
    geoms = {c: g for c, g in geoms.items() if not g.is_empty}
    if not geoms:
        return {}
    minx, miny, maxx, maxy = shapely.union_all(list(geoms.values())).bounds
    kx = math.cos(math.radians((miny + maxy) / 2))
    span_x, span_y = max((maxx - minx) * kx, 1e-9), max(maxy - miny, 1e-9)
    s = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    ox = (width - span_x * s) / 2 - minx * kx * s
    oy = (height - span_y * s) / 2 + maxy * s
    # x' = kx·s·lon + ox, y' = −s·lat + oy
    return {c: affine_transform(g, [kx * s, 0, 0, -s, ox, oy]) for c, g in geoms.items()}


def fitted_size(geojson: Mapping[str, Any], height: float, max_width: float, margin: float = 8.0) -> tuple[int, int]:
    """The canvas (width, height) of the county at ``height`` px, no wider than ``max_width``."""
    geoms = [shape(f["geometry"]) for f in geojson.get("features", [])]
    if not geoms:
        return int(max_width), int(height)
    minx, miny, maxx, maxy = shapely.union_all(geoms).bounds
    kx = math.cos(math.radians((miny + maxy) / 2))
    aspect = max((maxx - minx) * kx, 1e-9) / max(maxy - miny, 1e-9)
    width = min(max_width, (height - 2 * margin) * aspect + 2 * margin)
    return int(round(width)), int(round(height))


def label_lines(row: Mapping[str, Any]) -> tuple[str, ...]:
    """A township's label: its name, then the status symbol with its score ('✖ 82.5'), and
    '?' when its numbers are small — the symbol says what the colour says."""
    status = str(row.get("status", "no_data"))
    second = f"{style.STATUS_SYMBOLS.get(status, '—')} {row.get('label_value', '')}".strip()
    if bool(row.get("small_numbers")):
        second += f" {style.SMALL_NUMBERS_SYMBOL}"
    return (str(row["name"]), second)


@dataclass(frozen=True)
class SlideMap:
    """The map chart and what it was built from (the labels' boxes, for tests and checks)."""

    chart: alt.LayerChart
    width: int
    height: int
    labels: list[LabelBox]


def slide_map(
    geojson: Mapping[str, Any],
    townships: pd.DataFrame,
    *,
    height: int,
    max_width: int,
    size: float = LABEL_SIZE,
) -> SlideMap:
    """The meeting map: ``townships`` (code, name, status, small_numbers, label_value) on the
    polygons of ``geojson``; fill = status colour (faded for small numbers), label = name and
    status symbol + ``label_value``. A white canvas of ``max_width`` or less × ``height``."""
    width, height = fitted_size(geojson, height, max_width)
    polygons = project(geojson, width, height)
    rows = {str(r["code"]): r for r in townships.to_dict("records")}
    shapes, anchors = [], []
    for code, geom in polygons.items():
        row = rows.get(code, {"code": code, "name": code, "status": "no_data", "small_numbers": False})
        status = str(row.get("status", "no_data"))
        status = status if status in style.STATUS_COLOURS else "no_data"
        small = bool(row.get("small_numbers"))
        shapes.append(
            {
                "type": "Feature",
                "geometry": mapping(geom),
                "properties": {
                    "code": code,
                    "fill": style.STATUS_COLOURS[status],
                    "opacity": style.MUTED_OPACITY + 0.2 if small else 0.85,
                },
            }
        )
        x, y = label_point(geom)
        anchors.append((code, float(x), float(y), label_lines({**row, "status": status})))
    boxes = place_labels(
        anchors,
        width,
        height,
        size=size,
        areas={c: g.area for c, g in polygons.items()},
        inside=polygons,
    )
    frame = pd.DataFrame(
        [
            {
                "code": b.code,
                "text": "\n".join(b.lines),
                "x": b.x,
                "y": b.y,
                "left": b.bounds[0],
                "top": b.bounds[1],
                "right": b.bounds[2],
                "bottom": b.bounds[3],
                "ax": b.anchor_x,
                "ay": b.anchor_y,
                "leader": b.leader,
            }
            for b in boxes
        ]
    )
    # Vega-Lite's geoshape needs GeoJSON features with fields under "properties".
    polygons_layer = (
        alt.Chart(alt.Data(values=shapes))
        .mark_geoshape(stroke="#ffffff", strokeWidth=2.5)
        .encode(
            fill=alt.Fill("properties.fill:N", scale=None),
            fillOpacity=alt.FillOpacity("properties.opacity:Q", scale=None),
        )
        .project(type="identity", scale=1, translate=[0, 0])
    )

    def px(field: str, channel: type[alt.X] | type[alt.Y] | type[alt.X2] | type[alt.Y2]) -> Any:
        return channel(f"{field}:Q", scale=None) if channel in (alt.X, alt.Y) else channel(f"{field}:Q")

    leaders = (
        alt.Chart(frame[frame["leader"]])
        .mark_rule(color="#243b53", strokeWidth=2.5)
        .encode(x=px("ax", alt.X), y=px("ay", alt.Y), x2=px("x", alt.X2), y2=px("y", alt.Y2))
    )
    dots = (
        alt.Chart(frame[frame["leader"]])
        .mark_circle(color="#243b53", size=60, opacity=1)
        .encode(x=px("ax", alt.X), y=px("ay", alt.Y))
    )
    halos = (
        alt.Chart(frame)
        .mark_rect(fill="#ffffff", fillOpacity=0.82, cornerRadius=6)
        .encode(x=px("left", alt.X), y=px("top", alt.Y), x2=px("right", alt.X2), y2=px("bottom", alt.Y2))
    )
    texts = (
        alt.Chart(frame)
        .mark_text(
            fontSize=size,
            fontWeight="bold",
            lineBreak="\n",
            lineHeight=size * LINE_HEIGHT,
            color="#102a43",
            align="center",
            baseline="middle",
            font=style.FONT,
        )
        .encode(x=px("x", alt.X), y=px("y", alt.Y), text="text:N")
    )
    chart = (
        alt.layer(polygons_layer, leaders, dots, halos, texts)
        .properties(width=width, height=height, background="#ffffff", padding=0)
        .configure_view(strokeWidth=0)
    )
    return SlideMap(chart, width, height, boxes)
