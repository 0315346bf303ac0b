"""Words and number formats: every number and every status as the reader sees it.

The engine's results carry codes and numbers only; here they get their names, target texts,
units, status words and the small-numbers mark, in the active language (``dashboard.labels``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import quality
from dashboard.domain.county import County
from dashboard.domain.coverage import FULL, NONE, Covered
from dashboard.domain.errors import KeyedError
from dashboard.domain.periods import Period
from dashboard.render.style import SMALL_NUMBERS_SYMBOL, STATUS_SYMBOLS


def message(exc: KeyedError) -> str:
    """The one line a person reads for an engine or registry problem."""
    return labels.t(exc.key, **exc.fields)


# --------------------------------------------------------------------------- names


def indicator_name(code: str) -> str:
    return labels.t(f"ind_name_{code}")


def indicator_short(code: str) -> str:
    return labels.t(f"ind_short_{code}")


def indicator_formula(code: str) -> str:
    return labels.t(f"ind_formula_{code}")


def unit_label(unit: str) -> str:
    """'‰', '%', '女=100', '个' in words of the active language."""
    return labels.t(f"unit_{unit}")


def unit_sign(unit: str) -> str:
    """The sign a value carries: '‰' or '%' (a sex ratio and a count have none)."""
    return {"permille": "‰", "percent": "%"}.get(unit, "")


def county_name(county: County) -> str:
    return county.name_en if labels.language() == "en" else county.name


def file_scope(scope: str, *county_names: str) -> str:
    """The scope part of a file name: empty when it is the county, whose short name already
    leads the name (景东县_乡镇指标_2025年.xlsx, not 景东县_景东彝族自治县_乡镇指标_…)."""
    return "" if scope in county_names else scope


def unit_names(result: pd.DataFrame, county: County) -> pd.Series:
    """Each row's unit name as the reader sees it (the county's own name in the language)."""
    return result["name"].where(result["level"] != "county", county_name(county))


def column_title(indicator: ind.Indicator) -> str:
    """A matrix column: '出生率（‰）', '出生性别比'."""
    sign = unit_sign(indicator.unit)
    return f"{indicator_short(indicator.code)}（{sign}）" if sign else indicator_short(indicator.code)


def coverage_line(covered: Covered | None, period: Period) -> str | None:
    """What the period's coverage means for its numbers, in one line (None: fully covered)."""
    if covered is None or covered.kind == FULL:
        return None
    cov = covered.coverage
    if covered.kind == NONE:
        if cov.first is None or cov.last is None:
            return labels.t("coverage_empty")
        return labels.t("coverage_none", first=cov.first.isoformat(), last=cov.last.isoformat())
    assert covered.start is not None and covered.end is not None
    return labels.t(
        "coverage_partial",
        start=covered.start.isoformat(),
        end=covered.end.isoformat(),
        days=covered.days,
        factor=covered.projection_factor(period),
    )


def left_out_line(check_counts: pd.DataFrame) -> str | None:
    """'N rows are left out: …' from the quality counts (check, …, count), or None."""
    totals = check_counts.groupby("check")["count"].sum() if not check_counts.empty else pd.Series(dtype="int64")
    parts = [(c, int(totals.get(c, 0))) for c in (*quality.EXCLUDING, "target_invalid")]
    parts = [(c, n) for c, n in parts if n]
    if not parts:
        return None
    reasons = "；".join(labels.t("left_out_reason", what=labels.t(f"check_{c}"), n=n) for c, n in parts)
    return labels.t("left_out_rows", n=sum(n for _, n in parts), reasons=reasons)


def refreshed_at(stamp: str) -> str:
    """'2026-12-01 10:15' from the refresh's ISO time ('尚未刷新' when there is none)."""
    return stamp.replace("T", " ")[:16] if stamp else labels.t("summary_never")


def refresh_words(mode: str, years: Iterable[int], seconds: float, villages: int | None = None) -> str:
    """What a refresh did, in one line (``villages``: how many villages it recounted, None: all)."""
    chosen = sorted(years)
    span = f"{chosen[0]}–{chosen[-1]}" if len(chosen) > 1 else "".join(map(str, chosen))
    if mode == "incremental" and villages is not None:
        return labels.t("summary_done_incremental_villages", years=span, seconds=seconds, villages=villages)
    return labels.t(f"summary_done_{mode}", years=span, seconds=seconds)


def period_words(period: Period) -> str:
    """'2024年', '2024年第2季度', '2024年6月', '2024年1–9月' — the period as a heading says it."""
    if period.is_full_year:
        return labels.t("period_words_year", year=period.year)
    if "-Q" in period.label:
        return labels.t("period_words_quarter", year=period.year, quarter=period.label[-1])
    if period.start.month == period.end.month:
        return labels.t("period_words_month", year=period.year, month=period.start.month)
    return labels.t("period_words_range", year=period.year, start=period.start.month, end=period.end.month)


def yes(flag: object) -> str:
    """'是' for a true flag, '' otherwise (export columns such as 数量少)."""
    return labels.t("yes") if bool(flag) else ""


# --------------------------------------------------------------------------- numbers


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


def fmt_value(x: float | None, indicator: ind.Indicator, *, with_unit: bool = True) -> str:
    """'10.52‰', '93.40%', '108.2' (sex ratio has no unit sign); '无数据' for no value."""
    if _missing(x):
        return no_data_text()
    text = fmt_number(x, indicator.decimals)
    return f"{text}{unit_sign(indicator.unit)}" if with_unit else text


def fmt_interval(low: float | None, high: float | None, indicator: ind.Indicator) -> str:
    """'9.80‰ – 11.20‰'; empty where there is no interval (no data, or a quota count)."""
    if _missing(low) or _missing(high):
        return ""
    return f"{fmt_value(low, indicator)} – {fmt_value(high, indicator)}"


def fmt_n(numerator: float | None, denominator: float | None) -> str:
    """'1,234 / 56,789' (numerator / denominator, whole numbers); empty without a denominator."""
    if _missing(denominator):
        return ""
    return f"{fmt_count(numerator)} / {fmt_count(denominator)}"


def fmt_signed(x: float | None, indicator: ind.Indicator) -> str:
    """A change: '+0.45‰', '−1.20 个百分点'; empty without one."""
    if _missing(x):
        return ""
    suffix = {"permille": "‰", "percent": labels.t("percentage_points")}.get(indicator.unit, "")
    return f"{x:+,.{indicator.decimals}f}{suffix}"


def small_mark(small: bool) -> str:
    """' ?' after a value whose interval cannot tell green from red, else ''."""
    return f" {SMALL_NUMBERS_SYMBOL}" if small else ""


# --------------------------------------------------------------------------- status and targets


def status_word(status: str) -> str:
    return labels.t(f"status_{status}")


def status_badge(status: str, small_numbers: bool = False) -> str:
    """'✔ 达标', '✖ 未达标 ?' — symbol, word, and the small-numbers mark when it applies."""
    return f"{STATUS_SYMBOLS[status]} {status_word(status)}{small_mark(small_numbers)}"


def target_text(op: object, value: float, low: float, high: float, decimals: int = 0) -> str:
    """A target rule in words: '≤ 12', '≥ 92', '= 100', '103–107（约 106）'; '' without one."""
    if op is None or (isinstance(op, float) and math.isnan(op)):
        return ""

    def fmt(x: float) -> str:
        return f"{x:.{decimals}f}" if x != int(x) or decimals else f"{int(x)}"

    if op == "band":
        return labels.t("target_band", low=fmt(low), high=fmt(high), v=fmt(value))
    key = {"<=": "target_le", ">=": "target_ge", "=": "target_eq"}[str(op)]
    return labels.t(key, v=fmt(value))


def row_target(row: Any) -> str:
    """The target text of a result row."""
    return target_text(row["target_op"], row["target_value"], row["target_low"], row["target_high"])


def cell_text(
    value: float, projection: float, status: str, small: bool, indicator: ind.Indicator, partial: bool
) -> str:
    """A status cell: '10.52 ✔', '93.40 ✖ ?', part years '1.80（预测 10.80）✔'; '无数据' without a value."""
    if status == "no_data" or _missing(value) or math.isnan(value):
        return no_data_text()
    text = fmt_value(value, indicator, with_unit=False)
    if partial and indicator.projected and not math.isnan(projection):
        text += f"（{labels.t('projection_short')} {fmt_number(projection, indicator.decimals)}）"
    return f"{text} {STATUS_SYMBOLS[status]}{small_mark(small)}"


def decorate(result: pd.DataFrame, county: County) -> pd.DataFrame:
    """An indicator result with what a reader sees beside the numbers: display_name,
    indicator_name, indicator_short, target (text), value_text, projection_text, n_text,
    interval_text, status_word, badge (symbol + word + small-numbers mark)."""
    out = result.copy()
    specs = [ind.get(code) for code in out["indicator"]]
    out["display_name"] = unit_names(out, county)
    out["indicator_name"] = [indicator_name(s.code) for s in specs]
    out["indicator_short"] = [indicator_short(s.code) for s in specs]
    out["target"] = [
        target_text(o, v, lo, hi)
        for o, v, lo, hi in zip(out["target_op"], out["target_value"], out["target_low"], out["target_high"])
    ]
    out["value_text"] = [fmt_value(v, s) for v, s in zip(out["value"], specs)]
    out["projection_text"] = [fmt_value(v, s) for v, s in zip(out["projection"], specs)]
    out["n_text"] = [fmt_n(a, b) for a, b in zip(out["numerator"], out["denominator"])]
    out["interval_text"] = [fmt_interval(lo, hi, s) for lo, hi, s in zip(out["ci_low"], out["ci_high"], specs)]
    out["status_word"] = out["status"].map(status_word)
    out["badge"] = [status_badge(s, bool(m)) for s, m in zip(out["status"], out["small_numbers"])]
    return out


def indicator_notes(
    indicators: Iterable[ind.Indicator], result: pd.DataFrame | None = None
) -> tuple[tuple[str, str], ...]:
    """说明-sheet rows: each indicator's name, formula, unit and the target that applied (from
    the first row of ``result`` for that indicator: the county's, or the first unit's)."""
    rows = []
    for indicator in indicators:
        text = f"{indicator_formula(indicator.code)}；{labels.t('unit')} {unit_label(indicator.unit)}"
        if result is not None and not result.empty:
            own = result[result["indicator"] == indicator.code]
            if not own.empty and own["target_op"].iloc[0] is not None and not pd.isna(own["target_op"].iloc[0]):
                r = own.iloc[0]
                text += "；" + labels.t("notes_target", target=row_target(r), amber=f"{float(r['target_amber']):g}")
        if indicator.unit == "permille":
            text += "；" + labels.t("notes_average_population")
        rows.append((indicator_name(indicator.code), text))
    return tuple(rows)
