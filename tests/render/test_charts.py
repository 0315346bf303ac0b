"""The charts every page run draws (trends, a village's trend, quota progress) are Vega-Lite
specs written out as dicts: they must be valid Vega-Lite and carry what the reader sees — the
points in time order with their status words, the target line, only the columns drawn."""

from __future__ import annotations

import altair as alt
import pandas as pd

from dashboard.domain import indicators as ind
from dashboard.render import charts, formats, style


def _series() -> pd.DataFrame:
    # Keys out of order and a month without a value: the chart keeps time order, skips the gap.
    return pd.DataFrame(
        {
            "key": [10, 2, 1, 3],
            "month": ["10月", "2月", "1月", "3月"],
            "projection": [11.2, 9.5, 8.1, None],
            "status": ["amber", "green", "green", "no_data"],
            "small_numbers": [False, True, False, False],
            "value_text": ["9.33‰", "1.52‰", "0.68‰", "—"],
            "n_text": ["3,100 / 370,000", "560 / 369,000", "250 / 368,000", "—"],
            "year": ["2025年"] * 4,
            "numerator": [3100, 560, 250, 0],  # not drawn: not sent
        }
    )


def test_series_chart_is_valid_vega_lite_with_points_in_time_order_and_the_target() -> None:
    spec = charts.series_chart(
        _series(),
        ind.get("birth_rate"),
        {"op": "le", "value": 12.0},
        x_field="month",
        x_title="月份",
        colour_field="year",
    )
    alt.LayerChart.from_dict(spec)  # raises on a spec the schema refuses
    rows = spec["data"]["values"]
    assert [r["month"] for r in rows] == ["10月", "2月", "1月"]  # the month without a value is not drawn
    assert {r["status_word"] for r in rows} == {formats.status_word("amber"), formats.status_word("green")}
    assert [r["muted"] for r in rows] == [False, True, False]
    assert "numerator" not in rows[0]
    line, dots, rule = spec["layer"]
    assert line["encoding"]["x"]["sort"] == ["1月", "2月", "3月", "10月"]
    assert dots["encoding"]["color"]["scale"]["range"] == [
        style.STATUS_COLOURS[s] for s in ("green", "amber", "red", "no_data")
    ]
    assert rule["encoding"] == {"y": {"datum": 12.0}}
    band = charts.series_chart(
        _series(),
        ind.get("sex_ratio_at_birth"),
        {"op": "band", "low": 103.0, "high": 107.0},
        x_field="month",
        x_title="月份",
    )
    alt.LayerChart.from_dict(band)
    assert [layer["encoding"] for layer in band["layer"][2:]] == [{"y": {"datum": 103.0}}, {"y": {"datum": 107.0}}]


def test_quota_charts_one_per_indicator_with_its_townships_only() -> None:
    rows = pd.DataFrame(
        {
            "name": ["甲镇", "乙镇", "甲镇", "乙镇"],
            "indicator_short": ["孕检完成率", "孕检完成率", "叶酸完成率", "叶酸完成率"],
            "value": [80.0, 101.5, 95.0, None],
            "projection": [96.0, 110.0, 99.0, None],
            "status": ["amber", "green", "green", "no_data"],
            "value_text": ["80.00%", "101.50%", "95.00%", "—"],
            "projection_text": ["96.00%", "110.00%", "99.00%", "—"],
            "n_text": ["80 / 100", "203 / 200", "95 / 100", "—"],
        }
    )
    specs = charts.quota_charts(rows)
    assert [s["title"] for s in specs] == ["孕检完成率", "叶酸完成率"]
    for spec in specs:
        alt.LayerChart.from_dict(spec)
    assert [r["name"] for r in specs[0]["data"]["values"]] == ["甲镇", "乙镇"]
    assert [r["name"] for r in specs[1]["data"]["values"]] == ["甲镇"]  # no value, no bar
    assert specs[0]["layer"][2]["encoding"] == {"x": {"datum": 100}}  # the 100 % line
