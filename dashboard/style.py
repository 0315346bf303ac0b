"""One status palette and number formats, shared by every card, table, chart, map and export.

Status is never carried by colour alone: each status also has a symbol and a word, so that
colour-blind viewers and black-and-white printouts read it too.
"""

from __future__ import annotations

import math

import pandas as pd

from dashboard import labels
from dashboard.indicators import Indicator

# Green/amber/red chosen to stay apart in deuteranopia and on a washed-out projector
# (different lightness, not just hue); grey for no data.
STATUS_COLOURS: dict[str, str] = {
    "green": "#1b7837",
    "amber": "#e08214",
    "red": "#b2182b",
    "no_data": "#8c8c8c",
}
# Light tints for table cell backgrounds (text stays dark and readable on them).
STATUS_TINTS: dict[str, str] = {
    "green": "#d9f0d3",
    "amber": "#fee0b6",
    "red": "#f4c7c3",
    "no_data": "#eeeeee",
}
STATUS_SYMBOLS: dict[str, str] = {"green": "✔", "amber": "▲", "red": "✖", "no_data": "—"}
SMALL_NUMBERS_SYMBOL = "?"
MUTED_OPACITY = 0.45


def status_word(status: str) -> str:
    return labels.t(f"status_{status}")


def status_badge(status: str, small_numbers: bool = False) -> str:
    """'✔ 达标', '✖ 未达标 ?' — symbol, word, and the small-numbers mark when it applies."""
    text = f"{STATUS_SYMBOLS[status]} {status_word(status)}"
    return f"{text} {SMALL_NUMBERS_SYMBOL}" if small_numbers else text


def fmt_number(x: float | None, decimals: int = 2) -> str:
    """A value to fixed decimals, '—' for no value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{x:,.{decimals}f}"


def fmt_count(x: float | None) -> str:
    """A count: '1,234'; half persons (average population) keep their '.5'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.1f}"


def fmt_value(x: float | None, indicator: Indicator, *, with_unit: bool = True) -> str:
    """'10.52‰', '93.40%', '108.2' (sex ratio has no unit sign)."""
    text = fmt_number(x, indicator.decimals)
    if text == "—" or not with_unit:
        return text
    suffix = {"permille": "‰", "percent": "%"}.get(indicator.unit, "")
    return f"{text}{suffix}"


def fmt_signed(x: float | None, indicator: Indicator) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    suffix = {"permille": "‰", "percent": " 个百分点" if labels.language() == "zh" else " pt"}.get(
        indicator.unit, ""
    )
    return f"{x:+,.{indicator.decimals}f}{suffix}"


def decorate(result: pd.DataFrame) -> pd.DataFrame:
    """Add display columns to an indicator result: value_text, projection_text, n_text,
    interval_text, status_word, badge (status symbol + word + small-numbers mark)."""
    from dashboard import indicators as ind

    out = result.copy()
    specs = [ind.get(code) for code in out["indicator"]]
    out["value_text"] = [fmt_value(v, spec) for v, spec in zip(out["value"], specs)]
    out["projection_text"] = [fmt_value(v, spec) for v, spec in zip(out["projection"], specs)]
    out["n_text"] = [f"{fmt_count(a)} / {fmt_count(b)}" for a, b in zip(out["numerator"], out["denominator"])]
    out["interval_text"] = [
        f"{fmt_value(lo, spec)} – {fmt_value(hi, spec)}" for lo, hi, spec in zip(out["ci_low"], out["ci_high"], specs)
    ]
    out["status_word"] = out["status"].map(status_word)
    out["badge"] = [status_badge(s, bool(m)) for s, m in zip(out["status"], out["small_numbers"])]
    return out
