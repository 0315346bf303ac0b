"""Altair chart builders. Every chart uses the one status palette plus a shape per status, so
status is readable without colour; values with small numbers are drawn muted."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from dashboard import labels
from dashboard.domain import targets as tr
from dashboard.domain.indicators import Indicator
from dashboard.render import formats, style

FONT = style.FONT
#: A Vega-Lite spec written out as a dict (the charts every page run draws; see series_chart).
Spec = dict[str, Any]
STATUS_SHAPES = {"green": "circle", "amber": "triangle-up", "red": "cross", "no_data": "square"}


def axis_title(indicator: Indicator) -> str:
    """'人口出生率（‰）': the indicator's name and unit."""
    return f"{formats.indicator_name(indicator.code)}（{formats.unit_label(indicator.unit)}）"


def _status_scales() -> tuple[alt.Scale, alt.Scale, list[str]]:
    words = [formats.status_word(s) for s in tr.STATUSES]
    colour = alt.Scale(domain=words, range=[style.STATUS_COLOURS[s] for s in tr.STATUSES])
    shape = alt.Scale(domain=words, range=[STATUS_SHAPES[s] for s in tr.STATUSES])
    return colour, shape, words


def _with_status_words(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["status_word"] = out["status"].map(formats.status_word)
    out["muted"] = out.get("small_numbers", False)
    return out


def _unit_tooltip() -> list[alt.Tooltip]:
    """Name, value, n and status: what every unit's mark says on hover."""
    return [
        alt.Tooltip("name:N", title=labels.t("name")),
        alt.Tooltip("value_text:N", title=labels.t("value")),
        alt.Tooltip("n_text:N", title="n"),
        alt.Tooltip("status_word:N", title=labels.t("status")),
    ]


def configure(chart: alt.TopLevelMixin, *, big: bool = False, size: int | None = None) -> alt.TopLevelMixin:
    """Fonts and sizes: Chinese-capable font; larger type for the projector (``size``: the
    type size itself, e.g. the meeting slides')."""
    size = size or (20 if big else 13)
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=size, titleFontSize=size + 1, labelLimit=260)
        .configure_legend(labelFontSize=size, titleFontSize=size, orient="bottom")
        .configure_title(fontSize=size + 4, anchor="start")
        .configure_view(strokeWidth=0)
    )


def _target_rules(indicator: Indicator, target: dict[str, Any], axis: str) -> list[alt.Chart]:
    """The target as a dashed rule (both ends of a band), its value written into the spec."""
    op = target.get("op")
    if op is None or pd.isna(op):
        return []
    values = [float(target["low"]), float(target["high"])] if op == "band" else [float(target["value"])]
    rules = []
    for v in values:
        enc = {"x": alt.datum(v)} if axis == "x" else {"y": alt.datum(v)}
        rules.append(alt.Chart().mark_rule(color="#333", strokeDash=[6, 3], strokeWidth=2).encode(**enc))
    return rules


def funnel_chart(
    points: pd.DataFrame,
    curve: pd.DataFrame,
    indicator: Indicator,
    target: dict[str, object],
    *,
    x_title: str,
    y_domain: tuple[float, float],
    highlight: str | None = None,
    big: bool = False,
    height: int = 420,
) -> alt.TopLevelMixin:
    """Value (projection) against size, the target line and 95 % / 99.8 % control limits.

    ``points``: name, code, n, projection, status, small_numbers, value_text, n_text, and
    ``outside95`` (labelled). ``curve``: n, lo95, hi95, lo998, hi998 (``funnel.limits``).
    The y axis is fixed to ``y_domain`` (``funnel.y_range``): lines are clipped to it and
    points beyond it sit on its edge as ▲/▼ with their value in the label.
    """
    colour, shape, _ = _status_scales()
    data = _with_status_words(points[points["n"] > 0].dropna(subset=["projection"]))
    data["highlight"] = data["code"] == highlight if highlight else False
    lo, hi = y_domain
    data["y"] = data["projection"].clip(lo, hi)
    data["beyond"] = np.where(data["projection"] > hi, "above", np.where(data["projection"] < lo, "below", ""))
    marked = data["outside95"].astype(bool) if "outside95" in data else pd.Series(False, index=data.index)
    # Labels for what a reader must see: points outside their 95 % limits and "my township".
    # Off-scale points crowd the edge: their names and values are on hover only.
    data["labelled"] = (marked & (data["beyond"] == "")) | data["highlight"]
    data["label"] = data["name"] + np.where(
        data["beyond"] == "above",
        " ↑" + data["value_text"],
        np.where(data["beyond"] == "below", " ↓" + data["value_text"], ""),
    )
    x = alt.X("n:Q", title=x_title, scale=alt.Scale(type="log", nice=False))
    y_title = axis_title(indicator)
    y_scale = alt.Scale(domain=[lo, hi], zero=False, nice=False)
    limit_layers = []
    for name, dash, width in (("998", [4, 4], 1.5), ("95", [], 1.5)):
        for side in ("lo", "hi"):
            limit_layers.append(
                alt.Chart(curve)
                .mark_line(color="#6b6b6b", strokeDash=dash, strokeWidth=width, clip=True)
                .encode(x=x, y=alt.Y(f"{side}{name}:Q", title=y_title, scale=y_scale))
            )
    target_rule = (
        alt.Chart()
        .mark_rule(color="#222", strokeWidth=2, clip=True)
        .encode(
            y=alt.datum(float(target["value"]))  # type: ignore[arg-type]
        )
    )
    size = 140 if not big else 260
    inside = data[data["beyond"] == ""]
    edge = data[data["beyond"] != ""]
    dots = (
        alt.Chart(inside)
        .mark_point(filled=True, size=size, strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("y:Q", title=y_title, scale=y_scale),
            color=alt.Color("status_word:N", scale=colour, title=labels.t("status")),
            shape=alt.Shape("status_word:N", scale=shape, title=labels.t("status")),
            opacity=alt.condition("datum.muted", alt.value(style.MUTED_OPACITY), alt.value(0.95)),
            size=alt.condition("datum.highlight", alt.value(420 if not big else 600), alt.value(size)),
            tooltip=_unit_tooltip(),
        )
    )
    # Off-scale points: a triangle on the edge pointing where the value lies (a fixed shape per
    # layer: a shape encoding would share the status shapes' scale).
    beyond = [
        alt.Chart(edge[edge["beyond"] == side])
        .mark_point(filled=True, size=size * 1.4, strokeWidth=1.5, stroke="#111", shape=shape_name)
        .encode(
            x=x,
            y=alt.Y("y:Q", scale=y_scale),
            color=alt.Color("status_word:N", scale=colour, legend=None),
            opacity=alt.condition("datum.muted", alt.value(style.MUTED_OPACITY), alt.value(0.95)),
            tooltip=_unit_tooltip(),
        )
        for side, shape_name in (("above", "triangle-up"), ("below", "triangle-down"))
    ]
    names = (
        alt.Chart(data[data["labelled"]])
        .mark_text(align="left", dx=9, dy=-8, fontSize=12 if not big else 18, color="#222")
        .encode(
            x=x,
            y=alt.Y("y:Q", scale=y_scale),
            text="label:N",
            opacity=alt.condition("datum.muted", alt.value(0.55), alt.value(1.0)),
        )
    )
    layers = [*limit_layers, target_rule, dots, *beyond, names]
    if indicator.interval == "sex_ratio" and target.get("op") == "band":
        for end in (float(target["low"]), float(target["high"])):  # type: ignore[arg-type]
            layers.append(alt.Chart().mark_rule(color="#1b7837", strokeDash=[2, 2]).encode(y=alt.datum(end)))
    return alt.layer(*layers).properties(height=height, width="container")


def ranking_bars(
    ranked: pd.DataFrame,
    indicator: Indicator,
    target: dict[str, object],
    *,
    highlight: str | None = None,
    big: bool = False,
    height: int | None = None,
) -> alt.TopLevelMixin:
    """Horizontal bars of the judged value in rank order, coloured by status, target rule."""
    colour, _, _ = _status_scales()
    data = _with_status_words(ranked.dropna(subset=["projection"]))
    if "bar_text" not in data:
        data["bar_text"] = data["value_text"]
    data["label"] = data["name"] + data["small_numbers"].map({True: " ?", False: ""})
    data["highlight"] = data["code"] == highlight if highlight else False
    order = list(data["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=400, labelOverlap=False))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("projection:Q", title=axis_title(indicator), axis=alt.Axis(tickCount=10)),
            color=alt.Color(
                "status_word:N", scale=colour, title=labels.t("status"), legend=alt.Legend(orient="bottom")
            ),
            opacity=alt.condition("datum.muted", alt.value(style.MUTED_OPACITY), alt.value(1.0)),
            stroke=alt.condition("datum.highlight", alt.value("#000"), alt.value(None)),
            strokeWidth=alt.condition("datum.highlight", alt.value(3), alt.value(0)),
            tooltip=_unit_tooltip(),
        )
    )
    text = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, fontSize=12 if not big else 18)
        .encode(y=y, x="projection:Q", text="bar_text:N")
    )
    layers = [bars, text, *_target_rules(indicator, target, "x")]
    rows = max(len(data), 1)
    return alt.layer(*layers).properties(height=height or max(160, rows * (30 if not big else 44)), width="container")


def score_bars(
    table: pd.DataFrame, *, highlight: str | None = None, big: bool = False, text_size: int | None = None
) -> alt.TopLevelMixin:
    """Assessment score per township in rank order; vetoed townships marked and greyed
    (``text_size``: the bar values' type, else by ``big``)."""
    data = table.copy()
    data["label"] = (
        data["rank"].astype(str) + ". " + data["name"] + data["veto"].map({True: f"（{labels.t('veto')}）", False: ""})
    )
    data["highlight"] = data["code"] == highlight if highlight else False
    data["veto_word"] = data["veto"].map({True: labels.t("veto"), False: labels.t("no_veto")})
    order = list(data["label"])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=400, labelOverlap=False))
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=y,
            x=alt.X(
                "score:Q",
                axis=alt.Axis(tickCount=10),
                title=labels.t("score"),
                scale=alt.Scale(domain=[0, float(data["max_score"].max())]),
            ),
            color=alt.Color(
                "veto_word:N",
                scale=alt.Scale(domain=[labels.t("no_veto"), labels.t("veto")], range=["#1f4e79", "#b2182b"]),
                title=None,
                legend=alt.Legend(orient="bottom"),  # on the right it would cover the top scores
            ),
            stroke=alt.condition("datum.highlight", alt.value("#000"), alt.value(None)),
            strokeWidth=alt.condition("datum.highlight", alt.value(3), alt.value(0)),
            tooltip=[alt.Tooltip("name:N", title=labels.t("name")), alt.Tooltip("score:Q", title=labels.t("score"))],
        )
    )
    text = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, fontSize=text_size or (12 if not big else 18))
        .encode(y=y, x="score:Q", text=alt.Text("score:Q", format=".1f"))
    )
    return alt.layer(bars, text).properties(height=max(160, len(data) * (30 if not big else 56)), width="container")


def _spec_status_scales() -> tuple[dict[str, Any], dict[str, Any]]:
    """The status colour and shape scales (words → palette, words → shapes) as Vega-Lite."""
    words = [formats.status_word(s) for s in tr.STATUSES]
    colour = {"domain": words, "range": [style.STATUS_COLOURS[s] for s in tr.STATUSES]}
    shape = {"domain": words, "range": [STATUS_SHAPES[s] for s in tr.STATUSES]}
    return colour, shape


def _spec_target_rules(target: dict[str, Any], axis: str) -> list[Spec]:
    """:func:`_target_rules` as Vega-Lite layers."""
    op = target.get("op")
    if op is None or pd.isna(op):
        return []
    values = [float(target["low"]), float(target["high"])] if op == "band" else [float(target["value"])]
    return [
        {
            "data": {"values": [{}]},
            "mark": {"type": "rule", "color": "#333", "strokeDash": [6, 3], "strokeWidth": 2},
            "encoding": {axis: {"datum": v}},
        }
        for v in values
    ]


def _values(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The rows a chart draws, only the columns it reads."""
    return frame[list(dict.fromkeys(columns))].to_dict("records")


def series_chart(
    series: pd.DataFrame,
    indicator: Indicator,
    target: dict[str, object],
    *,
    x_field: str,
    x_title: str,
    colour_field: str | None = None,
    y_field: str = "projection",
    big: bool = False,
    height: int = 340,
) -> Spec:
    """A line per series over time against the target; points carry the status colour/shape.

    ``series``: x_field, y_field, status, small_numbers, value_text, n_text (+ colour_field).
    A Vega-Lite spec written out (not Altair's): the pages draw it on every run, and building
    and validating Altair's objects cost more than the rest of the trends page's run; the
    tests validate it against the schema instead.
    """
    colour, shape = _spec_status_scales()
    data = _with_status_words(series.dropna(subset=[y_field]))
    # Keep time order ('1月' … '12月'), not the alphabetical order of the labels.
    order = list(dict.fromkeys(series.sort_values("key")[x_field])) if "key" in series else None
    x = {"field": x_field, "type": "ordinal", "title": x_title, "axis": {"labelAngle": 0}, "sort": order}
    y = {"field": y_field, "type": "quantitative", "title": axis_title(indicator), "scale": {"zero": False}}
    line_enc: dict[str, Any] = {"x": x, "y": y}
    if colour_field:
        line_enc["strokeDash"] = {"field": colour_field, "type": "nominal", "title": None}
        line_enc["detail"] = {"field": colour_field, "type": "nominal"}
    status = labels.t("status")
    tooltip = [
        {"field": x_field, "type": "ordinal", "title": x_title},
        *([{"field": colour_field, "type": "nominal", "title": ""}] if colour_field else []),
        {"field": "value_text", "type": "nominal", "title": labels.t("value")},
        {"field": "n_text", "type": "nominal", "title": "n"},
        {"field": "status_word", "type": "nominal", "title": status},
    ]
    dots = {
        "mark": {"type": "point", "filled": True, "size": 110 if not big else 220},
        "encoding": {
            "x": x,
            "y": y,
            "color": {"field": "status_word", "type": "nominal", "scale": colour, "title": status},
            "shape": {"field": "status_word", "type": "nominal", "scale": shape, "title": status},
            "opacity": {"condition": {"test": "datum.muted", "value": style.MUTED_OPACITY}, "value": 1.0},
            "tooltip": tooltip,
        },
    }
    columns = [
        x_field,
        y_field,
        *([colour_field] if colour_field else []),
        "status_word",
        "muted",
        "value_text",
        "n_text",
    ]
    return {
        "data": {"values": _values(data, columns)},
        "layer": [
            {"mark": {"type": "line", "color": "#1f4e79", "strokeWidth": 2.5}, "encoding": line_enc},
            dots,
            *_spec_target_rules(target, "y"),
        ],
        "height": height,
        "width": "container",
    }


def quota_charts(rows: pd.DataFrame) -> list[Spec]:
    """Per quota indicator, bars of completion so far, a tick at the full-year projection and
    the 100 % line. ``rows``: decorated township results (name, indicator_short, value,
    projection, status, value_text, projection_text, n_text). Vega-Lite specs written out, as
    :func:`series_chart`'s."""
    colour, _ = _spec_status_scales()
    data = _with_status_words(rows.dropna(subset=["value"]))
    y = {
        "field": "name",
        "type": "nominal",
        "title": None,
        "sort": list(dict.fromkeys(data["name"])),
        "axis": {"labelOverlap": False},
    }
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "y": y,
            "x": {"field": "value", "type": "quantitative", "title": labels.t("services_quota_axis")},
            "color": {"field": "status_word", "type": "nominal", "scale": colour, "title": labels.t("status")},
            "tooltip": [
                {"field": "name", "type": "nominal", "title": labels.t("township")},
                {"field": "value_text", "type": "nominal", "title": labels.t("value")},
                {"field": "projection_text", "type": "nominal", "title": labels.t("projection")},
                {"field": "n_text", "type": "nominal", "title": "n"},
            ],
        },
    }
    ticks = {
        "mark": {"type": "tick", "color": "#111", "thickness": 3, "size": 18},
        "encoding": {"y": y, "x": {"field": "projection", "type": "quantitative"}},
    }
    rule = {
        "data": {"values": [{}]},
        "mark": {"type": "rule", "color": "#333", "strokeDash": [6, 3], "strokeWidth": 2},
        "encoding": {"x": {"datum": 100}},
    }
    height = max(160, data["name"].nunique() * 30)
    columns = ["name", "value", "projection", "status_word", "value_text", "projection_text", "n_text"]
    return [
        {
            "data": {"values": _values(data[data["indicator_short"] == short], columns)},
            "layer": [bars, ticks, rule],
            "title": short,
            "height": height,
            "width": "container",
        }
        for short in dict.fromkeys(data["indicator_short"])
    ]
