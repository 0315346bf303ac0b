"""The overview's content as plain data: county cards and the township × indicator matrix.

Pure: takes computed reports, returns what the page renders, so that AppTest and unit tests
can compare what is shown with what the engine computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import indicators as ind
from dashboard import labels, style
from dashboard.exports import ExportContext
from dashboard.periods import Period, PeriodError
from dashboard.report import Report


@dataclass(frozen=True)
class Card:
    """One county KPI card."""

    code: str
    title: str  # the short name: five cards share a 1366-pixel row
    full_name: str
    value: float
    value_text: str
    projection: float
    projection_text: str | None  # shown for projected indicators over part of a year
    target_text: str
    status: str
    badge: str
    small_numbers: bool
    numerator: float
    denominator: float
    n_text: str  # "分子 / 分母" behind the number
    interval_text: str
    yoy: float | None  # change against the same period last year (value − last year's value)
    yoy_text: str | None
    lower_is_better: bool | None


def _yoy(now: pd.Series, last: pd.DataFrame | None, indicator: ind.Indicator) -> float | None:
    if last is None:
        return None
    match = last[(last["indicator"] == indicator.code)]
    if match.empty:
        return None
    before = float(match["value"].iloc[0])
    value = float(now["value"])
    if math.isnan(before) or math.isnan(value):
        return None
    return value - before


def county_cards(
    county: Report, county_last_year: Report | None = None, *, indicators: tuple[ind.Indicator, ...] = ind.HEADLINE
) -> list[Card]:
    """The KPI cards for the county level report (one per indicator of ``indicators``)."""
    partial = not county.period.is_full_year
    last = county_last_year.result if county_last_year is not None else None
    cards: list[Card] = []
    wanted = [i.code for i in indicators]
    for _, row in county.result[county.result["indicator"].isin(wanted)].iterrows():
        indicator = ind.get(row["indicator"])
        yoy = _yoy(row, last, indicator)
        op = row["target_op"]
        cards.append(
            Card(
                code=indicator.code,
                title=indicator.short,
                full_name=indicator.name,
                value=float(row["value"]),
                value_text=style.fmt_value(row["value"], indicator),
                projection=float(row["projection"]),
                projection_text=(
                    style.fmt_value(row["projection"], indicator)
                    if partial and indicator.projected
                    else None
                ),
                target_text=str(row["target"]),
                status=str(row["status"]),
                badge=style.status_badge(row["status"], bool(row["small_numbers"])),
                small_numbers=bool(row["small_numbers"]),
                numerator=float(row["numerator"]),
                denominator=float(row["denominator"]),
                n_text=labels.t(
                    "n_behind",
                    num=style.fmt_count(row["numerator"]),
                    den=style.fmt_count(row["denominator"]),
                ),
                interval_text=(
                    f"{style.fmt_value(row['ci_low'], indicator)} – {style.fmt_value(row['ci_high'], indicator)}"
                    if not math.isnan(row["ci_low"])
                    else "—"
                ),
                yoy=yoy,
                yoy_text=style.fmt_signed(yoy, indicator) if yoy is not None else None,
                lower_is_better={"<=": True, ">=": False}.get(op),
            )
        )
    return cards


def matrix_column(indicator: ind.Indicator) -> str:
    unit = {"permille": "‰", "percent": "%"}.get(indicator.unit, "")
    return f"{indicator.short}（{unit}）" if unit else indicator.short


def status_matrix(county: Report, townships: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unit × indicator display table (county first, then townships) and its status frame.

    Cells read '10.52 ✔'; for a projected indicator over part of a year the judged
    projection follows in brackets. The status frame has the same shape with status codes
    (the small-numbers mark '?' is in the cell text).
    """
    partial = not county.period.is_full_year
    result = ind.headline(pd.concat([county.result, townships.result], ignore_index=True))
    rows: dict[str, dict[str, str]] = {}
    statuses: dict[str, dict[str, str]] = {}
    name_col = labels.t("township")
    for _, r in result.iterrows():
        indicator = ind.get(r["indicator"])
        key = r["name"]
        text = style.fmt_value(r["value"], indicator, with_unit=False)
        if partial and indicator.projected and not math.isnan(r["projection"]):
            text += f"（{labels.t('projection_short')} {style.fmt_number(r['projection'], indicator.decimals)}）"
        text += f" {style.STATUS_SYMBOLS[r['status']]}"
        if r["small_numbers"]:
            text += f" {style.SMALL_NUMBERS_SYMBOL}"
        rows.setdefault(key, {name_col: key})[matrix_column(indicator)] = text
        statuses.setdefault(key, {name_col: ""})[matrix_column(indicator)] = r["status"]
    table = pd.DataFrame(list(rows.values()))
    status = pd.DataFrame(list(statuses.values()))
    # The assessment score (headline and service work) with the veto, for townships.
    from dashboard import ranking

    scored = ranking.assessment(townships.result).set_index("name")
    score_col = labels.t("score")
    table[score_col] = [
        "" if n not in scored.index else
        f"{scored.loc[n, 'score']:.1f}/{scored.loc[n, 'max_score']:g}" + (f" ✖ {labels.t('veto')}" if scored.loc[n, "veto"] else "")
        for n in table[name_col]
    ]
    status[score_col] = ["" if n not in scored.index else ("red" if scored.loc[n, "veto"] else "") for n in table[name_col]]
    return table, status


def matrix_export(county: Report, townships: Report) -> pd.DataFrame:
    """The matrix's numbers as an export table: one row per unit × indicator, real numbers."""
    result = ind.headline(pd.concat([county.result, townships.result], ignore_index=True))
    return pd.DataFrame(
        {
            labels.t("code"): result["code"],
            labels.t("name"): result["name"],
            labels.t("indicator"): result["indicator_name"],
            labels.t("numerator"): result["numerator"],
            labels.t("denominator"): result["denominator"],
            labels.t("value"): result["value"],
            labels.t("projection"): result["projection"],
            labels.t("target"): result["target"],
            labels.t("status"): [style.status_word(s) for s in result["status"]],
            labels.t("small_numbers"): result["small_numbers"].map({True: "是", False: ""}),
        }
    )


@dataclass(frozen=True)
class OverviewPage:
    """Everything the overview page renders."""

    heading: str
    notes: list[str]
    warnings: list[str]
    cards: list[Card]
    matrix: pd.DataFrame
    matrix_status: pd.DataFrame
    export_table: Callable[[], pd.DataFrame]
    export_context: ExportContext
    export_stem: tuple[str, ...]
    county: Report
    townships: Report


def period_words(period: Period) -> str:
    """'2024年', '2024年第2季度', '2024年1–9月' — the period as a heading says it."""
    if labels.language() == "en":
        return period.label
    if period.is_full_year:
        return f"{period.year}年"
    if "-Q" in period.label:
        return f"{period.year}年第{period.label[-1]}季度"
    if period.start.month == period.end.month:
        return f"{period.year}年{period.start.month}月"
    return f"{period.year}年{period.start.month}–{period.end.month}月"


def page(url: str, period: Period, as_of: date) -> OverviewPage:
    """Query (cached), compute and lay out the overview for ``period``."""
    from dashboard import cache

    county_now = cache.report_for(url, period, "county")
    townships = cache.report_for(url, period, "township")
    try:
        # Last year is only the cards' year-on-year change: headline counts suffice.
        county_last = cache.report_for(url, period.same_period_last_year(), "county", with_services=False)
    except PeriodError:
        county_last = None
    c = ind.county()
    notes = [
        labels.t("period_caption", start=period.start.isoformat(), end=period.end.isoformat(), days=period.days),
        labels.t(
            "overview_population",
            pop=int(county_now.rolled["pop_end"].iloc[0]),
            floating=int(county_now.rolled["floating_pop_end"].iloc[0]),
        ),
        labels.t("overview_caption"),
    ]
    warnings: list[str] = []
    if not period.is_full_year:
        warnings.append(labels.t("period_partial", factor=period.projection_factor))
    if period.end > as_of:
        warnings.append(labels.t("period_incomplete", as_of=as_of.isoformat()))
    if county_now.default_targets_used:
        warnings.append(labels.t("target_source_default"))
    table, status = status_matrix(county_now, townships)
    words = period_words(period)
    return OverviewPage(
        heading=labels.t("overview_heading", county=c.display_name, period=words),
        notes=notes,
        warnings=warnings,
        cards=county_cards(county_now, county_last),
        matrix=table,
        matrix_status=status,
        export_table=lambda: matrix_export(county_now, townships),
        export_context=ExportContext(
            title=labels.t("export_matrix_title"),
            scope=c.display_name,
            period=words,
            as_of=min(as_of, period.end),
            status_column=labels.t("status"),
            number_formats={labels.t("value"): "0.00", labels.t("projection"): "0.00",
                            labels.t("numerator"): "#,##0.##", labels.t("denominator"): "#,##0.##"},
            notes=tuple((i.name, f"{i.code}；{i.unit_label}") for i in ind.HEADLINE),
        ),
        export_stem=(c.short_name, labels.t("export_matrix_title"), words),
        county=county_now,
        townships=townships,
    )
