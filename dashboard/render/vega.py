"""Vega-Lite charts drawn here rather than in the browser, by vl-convert (bundled Vega, no
network, system fonts — Noto Sans CJK for Chinese): SVG for the meeting slides, whose text is
then in the page (measurable, crisp at any projector size), PNG for the meeting pack."""

from __future__ import annotations

import json
from typing import Any

import altair as alt
import vl_convert as vlc


def spec(chart: alt.TopLevelMixin | dict[str, Any]) -> dict[str, Any]:
    """The chart's Vega-Lite spec (every dataset inline)."""
    return chart if isinstance(chart, dict) else chart.to_dict()


def spec_json(chart: alt.TopLevelMixin | dict[str, Any]) -> str:
    """The spec as canonical JSON (a cache key: the same chart gives the same text)."""
    return json.dumps(spec(chart), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def to_svg(chart: alt.TopLevelMixin | dict[str, Any] | str) -> str:
    """The chart as an SVG document (``<svg …>…</svg>``)."""
    return str(vlc.vegalite_to_svg(json.loads(chart) if isinstance(chart, str) else spec(chart)))


def to_png(chart: alt.TopLevelMixin | dict[str, Any] | str, scale: float = 2.0) -> bytes:
    """The chart as a PNG at ``scale`` × its pixel size (2: sharp on paper and in PowerPoint)."""
    return bytes(vlc.vegalite_to_png(json.loads(chart) if isinstance(chart, str) else spec(chart), scale=scale))
