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


def _missing(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x))


def no_data_text() -> str:
    """What a cell says where a value is expected but there is none: '无数据'."""
    return labels.t("status_no_data")


def fmt_number(x: float | None, decimals: int = 2) -> str:
    """A value to fixed decimals; '无数据' for no value (never 'nan' or 'None')."""
    if _missing(x):
        return no_data_text()
    return f"{x:,.{decimals}f}"


def fmt_count(x: float | None) -> str:
    """A count as a whole number: '1,234'. The average population (half persons possible) is
    shown rounded to whole persons; computations keep the exact value. Empty for no count."""
    if _missing(x):
        return ""
    return f"{math.floor(float(x) + 0.5):,}"  # type: ignore[arg-type]


def fmt_value(x: float | None, indicator: Indicator, *, with_unit: bool = True) -> str:
    """'10.52‰', '93.40%', '108.2' (sex ratio has no unit sign); '无数据' for no value."""
    if _missing(x):
        return no_data_text()
    text = fmt_number(x, indicator.decimals)
    if not with_unit:
        return text
    suffix = {"permille": "‰", "percent": "%"}.get(indicator.unit, "")
    return f"{text}{suffix}"


def fmt_interval(low: float | None, high: float | None, indicator: Indicator) -> str:
    """'9.80‰ – 11.20‰'; empty where there is no interval (no data, or a quota count)."""
    if _missing(low) or _missing(high):
        return ""
    return f"{fmt_value(low, indicator)} – {fmt_value(high, indicator)}"


def fmt_n(numerator: float | None, denominator: float | None) -> str:
    """'1,234 / 56,789' (numerator / denominator, whole numbers); empty without a denominator."""
    if _missing(denominator):
        return ""
    return f"{fmt_count(numerator)} / {fmt_count(denominator)}"


def small_mark(small: bool) -> str:
    """' ?' after a value whose interval cannot tell green from red, else ''."""
    return f" {SMALL_NUMBERS_SYMBOL}" if small else ""


def fmt_signed(x: float | None, indicator: Indicator) -> str:
    if _missing(x):
        return ""
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
    out["n_text"] = [fmt_n(a, b) for a, b in zip(out["numerator"], out["denominator"])]
    out["interval_text"] = [fmt_interval(lo, hi, spec) for lo, hi, spec in zip(out["ci_low"], out["ci_high"], specs)]
    out["status_word"] = out["status"].map(status_word)
    out["badge"] = [status_badge(s, bool(m)) for s, m in zip(out["status"], out["small_numbers"])]
    return out
