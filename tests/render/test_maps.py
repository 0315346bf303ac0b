"""Map builders: schematic boundaries, the offline deck, boundary files, legend, selection."""

from __future__ import annotations

import html
import itertools
import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, shape

from dashboard import labels
from dashboard.app import sources
from dashboard.render import formats, style
from dashboard.render.maps import geometry, layers, legend
from data_access import config

REFERENCE = Path(__file__).resolve().parent.parent.parent / "data_access" / "reference" / "jingdong_townships.csv"
OUTLINE = config.outline_geojson()
STATUSES = ["green", "amber", "red", "no_data"]


@pytest.fixture(autouse=True)
def _chinese(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(config.BOUNDARIES_ENV, raising=False)
    labels.set_language("zh")


@pytest.fixture(scope="module")
def seats() -> pd.DataFrame:
    ref = pd.read_csv(REFERENCE, dtype={"code": str})
    return ref.rename(columns={"seat_lat": "lat", "seat_lon": "lon"})[["code", "name", "lat", "lon"]]


@pytest.fixture(scope="module")
def boundaries(seats: pd.DataFrame) -> dict:
    return geometry.schematic_boundaries(seats, OUTLINE)


def township_rows(seats: pd.DataFrame) -> pd.DataFrame:
    n = len(seats)
    values = [9.0 + i * 0.5 for i in range(n)]
    values[-1] = math.nan
    statuses = [STATUSES[i % 3] for i in range(n)]
    statuses[-1] = "no_data"
    return pd.DataFrame(
        {
            "code": seats["code"],
            "name": seats["name"],
            "value": values,
            "value_text": [f"{v:.2f}‰" if not math.isnan(v) else "—" for v in values],
            "target_text": "≤ 12",
            "status": statuses,
            "small_numbers": [i == 1 for i in range(n)],
            "n_text": [f"{100 + i} / {10_000 + i:,}" for i in range(n)],
        }
    )


def village_rows(seats: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for i, seat in enumerate(seats.itertuples()):
        for j, population in enumerate((400, 2_500, 9_000)):
            rows.append(
                {
                    "code": f"{seat.code}{200 + j}",
                    "name": f"{seat.name[:2]}{j}村",
                    "lat": seat.lat + 0.01 * (j - 1),
                    "lon": seat.lon + 0.012 * (j - 1),
                    "population": population,
                    "value_text": "11.00‰",
                    "target_text": "≤ 12",
                    "status": STATUSES[(i + j) % 4],
                    "small_numbers": j == 0,
                    "n_text": "3 / 400",
                    "township_code": seat.code,
                }
            )
    return pd.DataFrame(rows)


def layer(spec: dict, layer_id: str) -> dict:
    return next(x for x in spec["layers"] if x["id"] == layer_id)


def features_by_code(spec: dict) -> dict[str, dict]:
    data = layer(spec, layers.TOWNSHIPS_LAYER)["data"]
    return {f["properties"]["code"]: f for f in data["features"]}


# --- schematic boundaries ---------------------------------------------------------------------


def test_schematic_one_valid_cell_per_township(seats: pd.DataFrame, boundaries: dict) -> None:
    features = boundaries["features"]
    assert len(features) == 13
    assert sorted(f["properties"]["code"] for f in features) == sorted(seats["code"])
    for f in features:
        assert f["properties"]["schematic"] is True
        assert f["properties"]["name"]
        geom = shape(f["geometry"])
        assert geom.is_valid and not geom.is_empty and geom.area > 0.005


def test_schematic_cells_tile_the_outline(seats: pd.DataFrame, boundaries: dict) -> None:
    outline = geometry.county_outline(OUTLINE)
    geoms = {f["properties"]["code"]: shape(f["geometry"]) for f in boundaries["features"]}
    for a, b in itertools.combinations(geoms.values(), 2):
        assert a.intersection(b).area < 1e-7
    for g in geoms.values():
        assert g.difference(outline.buffer(1e-4)).area < 1e-7
    assert abs(sum(g.area for g in geoms.values()) - outline.area) < 1e-3 * outline.area
    for seat in seats.itertuples():
        assert geoms[seat.code].contains(Point(seat.lon, seat.lat)), seat.name


def test_schematic_is_deterministic_and_order_free(seats: pd.DataFrame, boundaries: dict) -> None:
    again = geometry.schematic_boundaries(seats.iloc[::-1].reset_index(drop=True), OUTLINE)
    assert json.dumps(again, sort_keys=True) == json.dumps(boundaries, sort_keys=True)


def test_schematic_outline_is_flagged_and_plausible() -> None:
    data = json.loads(config.OUTLINE_GEOJSON.read_text(encoding="utf-8"))
    assert data["features"][0]["properties"]["schematic"] is True
    outline = geometry.county_outline(OUTLINE)
    minx, miny, maxx, maxy = outline.bounds
    assert 100.3 < minx < 100.45 and 101.05 < maxx < 101.2 and 23.9 < miny < 24.0 and 24.75 < maxy < 24.85
    assert 15 <= len(outline.exterior.coords) - 1 <= 25


def test_schematic_survives_few_and_outside_seats() -> None:
    few = pd.DataFrame({"code": ["1", "2"], "name": ["甲镇", "乙乡"], "lat": [24.4, 24.3], "lon": [100.8, 100.9]})
    assert len(geometry.schematic_boundaries(few, OUTLINE)["features"]) == 2
    outside = pd.DataFrame({"code": ["1", "2"], "name": ["甲", "乙"], "lat": [24.4, 25.5], "lon": [100.8, 100.9]})
    fc = geometry.schematic_boundaries(outside, OUTLINE)
    cells = {f["properties"]["code"]: shape(f["geometry"]) for f in fc["features"]}
    assert cells["2"].contains(Point(100.9, 25.5))


# --- deck ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec(seats: pd.DataFrame, boundaries: dict) -> dict:
    deck = layers.county_deck(boundaries, township_rows(seats), village_rows(seats), value_label="出生率")
    return json.loads(deck.to_json())


def test_deck_has_no_basemap(spec: dict) -> None:
    # Streamlit's frontend drops the pydeck sentinel "__MAP_STYLE__" and draws no basemap; a
    # missing or null mapStyle would make it fetch Carto's style instead.
    assert spec.get("mapStyle") == "__MAP_STYLE__"
    assert "mapProvider" not in spec
    text = json.dumps(spec).lower()
    for word in ("carto", "mapbox", "http", "google", "maplibre"):
        assert word not in text


def test_plain_props_are_not_accessors(spec: dict) -> None:
    """pydeck turns bare strings into JS accessor expressions ("@@=pixels"): units, font family
    and character set must reach deck.gl as plain strings."""
    text_layer = layer(spec, layers.LABELS_LAYER)
    for key in ("characterSet", "fontFamily", "sizeUnits", "getTextAnchor", "getAlignmentBaseline"):
        assert not str(text_layer[key]).startswith("@@="), key
    assert layer(spec, layers.VILLAGES_LAYER)["radiusUnits"] == "meters"
    assert layer(spec, layers.TOWNSHIPS_LAYER)["lineWidthUnits"] == "pixels"


def test_deck_layers_and_view(spec: dict) -> None:
    assert {x["id"] for x in spec["layers"]} >= {layers.TOWNSHIPS_LAYER, layers.LABELS_LAYER, layers.VILLAGES_LAYER}
    assert layer(spec, layers.TOWNSHIPS_LAYER)["pickable"] is True
    assert layer(spec, layers.VILLAGES_LAYER)["pickable"] is True
    labels_layer = layer(spec, layers.LABELS_LAYER)
    assert labels_layer["characterSet"] == "auto" and "Noto Sans CJK SC" in labels_layer["fontFamily"]
    view = spec["initialViewState"]
    assert 100.6 < view["longitude"] < 100.9 and 24.2 < view["latitude"] < 24.5 and 7.5 < view["zoom"] < 10


def test_deck_status_fill_and_label(spec: dict, seats: pd.DataFrame) -> None:
    rows = township_rows(seats)
    features = features_by_code(spec)
    red = rows[(rows["status"] == "red") & ~rows["small_numbers"]]["code"].iloc[0]
    assert features[red]["properties"]["fill_color"][:3] == layers.hex_to_rgb(style.STATUS_COLOURS["red"])
    small = rows[rows["small_numbers"]]["code"].iloc[0]
    assert features[small]["properties"]["fill_color"][3] < features[red]["properties"]["fill_color"][3]
    nodata = rows[rows["status"] == "no_data"]["code"].iloc[0]
    assert features[nodata]["properties"]["fill_color"][:3] == layers.hex_to_rgb(style.STATUS_COLOURS["no_data"])
    label_texts = [r["label"] for r in layer(spec, layers.LABELS_LAYER)["data"]]
    assert len(label_texts) == 13 and any(t.startswith("锦屏镇") for t in label_texts)
    assert all(any(s in t for s in style.STATUS_SYMBOLS.values()) for t in label_texts)


def tooltip_text(obj: dict) -> str:
    """The tooltip as Streamlit renders it: the template with the object's fields filled in."""
    fields = obj.get("properties", obj)
    text = layers.TOOLTIP_HTML
    for key in re.findall(r"{(.*?)}", layers.TOOLTIP_HTML):
        assert key in fields, key  # a missing field would show as "{key}"
        text = text.replace("{" + key + "}", html.escape(str(fields[key])))
    return text


def test_deck_tooltip_mentions_value_target_status(spec: dict, seats: pd.DataFrame) -> None:
    rows = township_rows(seats).set_index("code")
    features = features_by_code(spec)
    code = rows.index[2]
    tip = tooltip_text(features[code])
    assert rows.loc[code, "name"] in tip and rows.loc[code, "value_text"] in tip and "≤ 12" in tip and "出生率" in tip
    assert formats.status_badge(rows.loc[code, "status"]) in tip and rows.loc[code, "n_text"] in tip
    assert "数量少，仅供参考" not in tip
    assert "数量少，仅供参考" in tooltip_text(features[rows.index[1]])
    village = layer(spec, layers.VILLAGES_LAYER)["data"][0]
    village_tip = tooltip_text(village)
    assert "11.00‰" in village_tip and "≤ 12" in village_tip and f"{village['population']:,}" in village_tip


def test_deck_tooltip_template(seats: pd.DataFrame, boundaries: dict) -> None:
    deck = layers.county_deck(boundaries, township_rows(seats), village_rows(seats))
    assert deck._tooltip["html"] == layers.TOOLTIP_HTML
    # Streamlit escapes the filled-in values, so the objects carry no markup of their own.
    spec = json.loads(deck.to_json())
    for obj in [*layer(spec, layers.VILLAGES_LAYER)["data"], *features_by_code(spec).values()]:
        fields = obj.get("properties", obj)
        assert not any("<" in str(v) for k, v in fields.items() if k.startswith("tip_"))


def test_village_radii_grow_with_population(spec: dict) -> None:
    data = layer(spec, layers.VILLAGES_LAYER)["data"]
    assert len(data) == 39
    pairs = sorted((v["population"], v["radius"]) for v in data)
    radii = [r for _, r in pairs]
    assert radii == sorted(radii) and radii[0] < radii[-1]
    small = [v for v in data if v["small_numbers"]]
    big = [v for v in data if not v["small_numbers"]]
    assert max(v["fill_color"][3] for v in small) < min(v["fill_color"][3] for v in big)


def test_value_colouring(seats: pd.DataFrame, boundaries: dict) -> None:
    rows = township_rows(seats)
    deck = layers.county_deck(boundaries, rows, village_rows(seats).iloc[0:0], colour_by="value")
    features = features_by_code(json.loads(deck.to_json()))
    fills = {code: tuple(features[code]["properties"]["fill_color"][:3]) for code in rows["code"]}
    valued = rows[rows["value"].notna()]["code"]
    assert len({fills[c] for c in valued}) == len(valued)
    nan_code = rows[rows["value"].isna()]["code"].iloc[0]
    assert list(fills[nan_code]) == layers.hex_to_rgb(style.STATUS_COLOURS["no_data"])
    low, high = valued.iloc[0], valued.iloc[-1]
    assert sum(fills[low]) > sum(fills[high])  # light → dark


def test_selected_township_outlined(seats: pd.DataFrame, boundaries: dict) -> None:
    rows = township_rows(seats)
    code = rows["code"].iloc[4]
    deck = layers.county_deck(boundaries, rows, village_rows(seats), selected_code=code)
    features = features_by_code(json.loads(deck.to_json()))
    chosen = features[code]["properties"]
    other = features[rows["code"].iloc[0]]["properties"]
    assert chosen["line_width"] > other["line_width"]
    assert sum(chosen["line_color"][:3]) < sum(other["line_color"][:3])


def test_deck_without_data(boundaries: dict) -> None:
    empty_t = pd.DataFrame(
        columns=["code", "name", "value", "value_text", "target_text", "status", "small_numbers", "n_text"]
    )
    empty_v = pd.DataFrame(
        columns=[
            "code",
            "name",
            "lat",
            "lon",
            "population",
            "value_text",
            "target_text",
            "status",
            "small_numbers",
            "n_text",
            "township_code",
        ]
    )
    spec = json.loads(layers.county_deck(boundaries, empty_t, empty_v).to_json())
    fills = {tuple(f["properties"]["fill_color"][:3]) for f in layer(spec, layers.TOWNSHIPS_LAYER)["data"]["features"]}
    assert fills == {tuple(layers.hex_to_rgb(style.STATUS_COLOURS["no_data"]))}


# --- boundary files -----------------------------------------------------------------------------


def _square(lon: float, lat: float, d: float = 0.05) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
        ],
    }


def test_load_real_file(tmp_path: Path, seats: pd.DataFrame) -> None:
    first, second = seats.iloc[0], seats.iloc[1]
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": first.code, "name": "x"},
                "geometry": _square(first.lon, first.lat),
            },
            {
                "type": "Feature",
                "properties": {"township_code": int(second.code + "000")},
                "geometry": _square(second.lon, second.lat),
            },
            {"type": "Feature", "properties": {"code": "999999999"}, "geometry": _square(100.5, 24.5)},
        ],
    }
    path = tmp_path / "towns.geojson"
    path.write_text(json.dumps(fc), encoding="utf-8")
    geojson, schematic = geometry.load_boundaries(seats, config.read_geojson(str(path)), str(path), OUTLINE)
    assert schematic is False
    props = [f["properties"] for f in geojson["features"]]
    assert [p["code"] for p in props] == sorted([first.code, second.code])
    assert {p["name"] for p in props} == {first["name"], second["name"]}
    assert all(p["schematic"] is False for p in props)


def test_load_from_environment(tmp_path: Path, seats: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    seat = seats.iloc[0]
    path = tmp_path / "env.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {"code": seat.code}, "geometry": _square(seat.lon, seat.lat)}
                ],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(config.BOUNDARIES_ENV, str(path))
    found = sources.boundaries(seats)
    assert not found.schematic and len(found.geojson["features"]) == 1 and found.warning is None


def test_load_falls_back_to_schematic(seats: pd.DataFrame, boundaries: dict) -> None:
    found = sources.boundaries(seats)
    assert found.schematic is True and found.geojson == boundaries and found.warning is None


def test_unusable_file_falls_back_with_a_one_line_warning(
    tmp_path: Path, seats: pd.DataFrame, boundaries: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "broken.geojson"
    path.write_text("{not json", encoding="utf-8")
    monkeypatch.setenv(config.BOUNDARIES_ENV, str(path))
    found = sources.boundaries(seats)
    assert found.schematic and found.geojson == boundaries
    assert found.warning and "\n" not in found.warning and str(path) in found.warning


def test_load_without_matching_codes_raises(tmp_path: Path, seats: pd.DataFrame) -> None:
    path = tmp_path / "other.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "110101001", "name": "东华门"},
                        "geometry": _square(116.4, 39.9),
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(geometry.BoundaryError) as info:
        geometry.load_boundaries(seats, config.read_geojson(str(path)), str(path), OUTLINE)
    message = formats.message(info.value)
    assert "\n" not in message and str(path) in message


@pytest.mark.parametrize("content", ["{not json", '{"type": "Feature"}', "[1, 2]", None])
def test_load_unreadable_raises_one_line(tmp_path: Path, seats: pd.DataFrame, content: str | None) -> None:
    path = tmp_path / "bad.geojson"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises((config.ConfigError, geometry.BoundaryError)) as info:
        geometry.load_boundaries(seats, config.read_geojson(str(path)), str(path), OUTLINE)
    message = formats.message(info.value)
    assert "\n" not in message and str(path) in message


# --- legend and selection -----------------------------------------------------------------------


def test_legend_status_and_schematic() -> None:
    text = legend.legend_html("status", schematic=True)
    assert "示意图" in text
    for status in STATUSES:
        assert style.STATUS_SYMBOLS[status] in text and formats.status_word(status) in text
    assert "数量少，仅供参考" in text
    assert "示意图" not in legend.legend_html("status", schematic=False)
    assert labels.t("map_selected") in legend.legend_html("status", selected=True)
    assert labels.t("map_selected") not in text


def test_legend_value_scale() -> None:
    text = legend.legend_html("value", pd.Series([9.5, np.nan, 13.25]), schematic=True)
    assert "9.5" in text and "13.25" in text and "linear-gradient" in text and "示意图" in text
    assert formats.status_word("no_data") in text


def test_legend_english() -> None:
    labels.set_language("en")
    try:
        text = legend.legend_html("status", schematic=True)
        assert "Schematic" in text and "missed" in text
    finally:
        labels.set_language("zh")


def test_selected_code() -> None:
    from streamlit.elements.deck_gl_json_chart import PydeckSelectionSerde

    serde = PydeckSelectionSerde()
    assert layers.selected_code(None) is None
    assert layers.selected_code(serde.deserialize(None)) is None
    assert layers.selected_code(serde.deserialize("{}")) is None
    township = {
        "selection": {
            "indices": {"townships": [3]},
            "objects": {
                "townships": [
                    {"type": "Feature", "properties": {"code": "530823104", "name": "大朝山东镇"}, "geometry": None}
                ]
            },
        }
    }
    assert layers.selected_code(serde.deserialize(json.dumps(township))) == "530823104"
    assert layers.selected_code(township["selection"]) == "530823104"
    village = {
        "selection": {
            "indices": {"villages": [0]},
            "objects": {"villages": [{"code": "530823104201", "township_code": "530823104"}]},
        }
    }
    assert layers.selected_code(serde.deserialize(json.dumps(village))) == "530823104"
    empty = {"selection": {"indices": {"townships": []}, "objects": {"townships": []}}}
    assert layers.selected_code(serde.deserialize(json.dumps(empty))) is None
