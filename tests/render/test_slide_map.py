"""The meeting map (Vega-Lite, drawn offline): labels that never collide, large type, the
status colour, and the same chart to SVG (text in it) and PNG."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from dashboard.render import style, vega
from dashboard.render.maps import geometry, slide_map
from data_access import config

REFERENCE = Path(__file__).resolve().parent.parent.parent / "data_access" / "reference" / "jingdong_townships.csv"


@pytest.fixture(scope="module")
def county() -> tuple[dict, pd.DataFrame]:
    """景东's 13 townships (schematic cells) with statuses and scores like the demo's."""
    ref = pd.read_csv(REFERENCE, dtype={"code": str})
    seats = ref.rename(columns={"seat_lat": "lat", "seat_lon": "lon"})[["code", "name", "lat", "lon"]]
    boundaries = geometry.schematic_boundaries(seats, config.outline_geojson())
    statuses = ["red", "amber", "green", "no_data"]
    rows = pd.DataFrame(
        {
            "code": seats["code"],
            "name": seats["name"],
            "status": [statuses[i % 4] for i in range(len(seats))],
            "small_numbers": [i == 2 for i in range(len(seats))],
            "label_value": [f"{100 - 3.7 * i:.1f}" for i in range(len(seats))],
        }
    )
    return boundaries, rows


def test_crowded_labels_are_nudged_apart_on_the_canvas_deterministically() -> None:
    # Five labels on one spot and two neighbours: every box free of the others, inside the canvas.
    anchors = [(f"t{i}", 300.0, 200.0, ("曼等乡", "✖ 82.5")) for i in range(5)]
    anchors += [("a", 310.0, 230.0, ("景福镇", "✔ 100.0")), ("b", 20.0, 10.0, ("花山镇", "▲ 81.7"))]
    boxes = slide_map.place_labels(anchors, 800, 600)
    assert slide_map.overlapping(boxes, gap=4.0) == []
    for box in boxes:
        left, top, right, bottom = box.bounds
        assert left >= 0 and top >= 0 and right <= 800 and bottom <= 600, box
    assert [b.code for b in boxes] == [a[0] for a in anchors]  # in the order given
    assert sum(b.leader for b in boxes) >= 4  # the moved ones point back to their township
    assert boxes == slide_map.place_labels(anchors, 800, 600)


def test_overlapping_finds_every_pair() -> None:
    a = slide_map.LabelBox("a", ("x",), 10, 10, 20, 20, 10, 10, False)
    b = slide_map.LabelBox("b", ("x",), 25, 10, 20, 20, 25, 10, False)  # 5 px into a
    c = slide_map.LabelBox("c", ("x",), 100, 100, 20, 20, 100, 100, False)
    assert slide_map.overlapping([a, b, c]) == [("a", "b")]


def test_a_box_is_wide_enough_for_its_text() -> None:
    width, height = slide_map.box_size(("大朝山东镇", "✔ 100.0"), 28)
    assert width >= 5 * 28  # five Han characters at one em each
    assert height >= 2 * 28  # two lines


def test_county_map_labels_every_township_in_large_type_without_collisions(county) -> None:
    boundaries, rows = county
    drawn = slide_map.slide_map(boundaries, rows, height=845, max_width=1000)
    assert drawn.height == 845 and drawn.width <= 1000
    assert {b.code for b in drawn.labels} == set(rows["code"])
    assert slide_map.overlapping(drawn.labels, gap=4.0) == []
    by_code = {b.code: b for b in drawn.labels}
    for row in rows.itertuples():
        box = by_code[row.code]
        symbol = style.STATUS_SYMBOLS[row.status]
        assert box.lines[0] == row.name
        assert box.lines[1].startswith(f"{symbol} {row.label_value}")  # colour and symbol agree
    spec = vega.spec(drawn.chart)
    text_marks = [layer["mark"] for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert text_marks and all(m["fontSize"] >= 24 for m in text_marks)
    fills = {f["properties"]["code"]: f["properties"]["fill"] for f in spec["layer"][0]["data"]["values"]}
    for row in rows.itertuples():
        assert fills[row.code] == style.STATUS_COLOURS[row.status]


def test_the_chart_draws_offline_to_svg_with_its_text_and_to_png(county) -> None:
    boundaries, rows = county
    drawn = slide_map.slide_map(boundaries, rows, height=600, max_width=700)
    svg = vega.to_svg(drawn.chart)
    assert svg.startswith("<svg") and f'width="{drawn.width}"' in svg
    texts = " ".join(re.findall(r">([^<>]+)</t", svg))
    for name in rows["name"]:
        assert name in texts
    png = vega.to_png(drawn.chart, scale=1)
    image = Image.open(io.BytesIO(png))
    assert image.size == (drawn.width, drawn.height)
    # The red of a red township is in the picture (the colours survive the offline drawing).
    red = tuple(int(style.STATUS_COLOURS["red"][i : i + 2], 16) for i in (1, 3, 5))
    colours = {c for _n, c in image.convert("RGB").getcolors(maxcolors=1 << 20) or []}
    assert any(all(abs(a - b) <= 40 for a, b in zip(c, red)) for c in colours)
