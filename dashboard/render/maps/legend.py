"""The map's legend (HTML): status symbols and words (never colour alone), or the value scale's
ends; the small-numbers mark; the schematic note."""

from __future__ import annotations

import html
from typing import Literal

import numpy as np
import pandas as pd

from dashboard import labels
from dashboard.render import formats, style
from dashboard.render.maps.layers import VALUE_SCALE


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
        parts.append(
            _swatch(style.STATUS_COLOURS["no_data"], style.STATUS_SYMBOLS["no_data"], labels.t("status_no_data"))
        )
    else:
        for status in ("green", "amber", "red", "no_data"):
            parts.append(
                _swatch(style.STATUS_COLOURS[status], style.STATUS_SYMBOLS[status], formats.status_word(status))
            )
        parts.append(
            _swatch(
                style.STATUS_COLOURS["red"],
                style.SMALL_NUMBERS_SYMBOL,
                f"{labels.t('small_numbers')}（{labels.t('map_muted')}）",
                opacity=style.MUTED_OPACITY,
            )
        )
    notes = [html.escape(labels.t("map_bubbles"))]
    if selected:
        notes.append(html.escape(labels.t("map_selected")))
    if schematic:
        notes.append(f"<b>{html.escape(labels.t('map_schematic'))}</b>")
    return (
        '<div class="county-map-legend" style="font-size:14px;line-height:1.9;color:inherit">'
        f"<div>{''.join(parts)}</div>"
        f'<div style="font-size:13px;opacity:0.85">{"　".join(notes)}</div>'
        "</div>"
    )
