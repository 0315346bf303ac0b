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
from dashboard import labels, sites, style
from dashboard.exports import ExportContext, indicator_notes
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
    group: str = "headline"  # 'headline' or 'service': cards are shown in these two groups
    lines: tuple[tuple[str, str], ...] = ()  # extra (status, text) lines, e.g. the three site goals


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
        small = bool(row["small_numbers"])
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
                badge=style.status_badge(row["status"], small),
                small_numbers=small,
                numerator=float(row["numerator"]),
                denominator=float(row["denominator"]),
                n_text=style.fmt_n(row["numerator"], row["denominator"]),
                interval_text=style.fmt_interval(row["ci_low"], row["ci_high"], indicator),
                yoy=yoy,
                yoy_text=style.fmt_signed(yoy, indicator) if yoy is not None else None,
                lower_is_better={"<=": True, ">=": False}.get(op),
                group=indicator.group,
            )
        )
    return cards


def sites_card(county: Report, townships: Report) -> Card:
    """The new-demonstration-sites card: county-level, township-level and supply sites
    against +2 / +1 per township / +2, coloured by the worst of the three."""
    found = sites.county_sites(county.rolled, townships.rolled, county.period, recorded=sites.recorded(county.tables))
    parts = (
        (found.statuses[0], labels.t("sites_line_county", n=found.county_level, goal=f"{found.county_goal:g}")),
        (found.statuses[1], labels.t("sites_line_townships", n=found.townships_met, total=found.townships)),
        (found.statuses[2], labels.t("sites_line_supply", n=found.supply, goal=f"{found.supply_goal:g}")),
    )
    return Card(
        code=sites.SITES_CODE,
        title=labels.t("sites_short"),
        full_name=labels.t("sites_title"),
        value=float(found.county_level),
        value_text=f"{found.county_level} / {found.county_goal:g}" if found.status != "no_data" else style.no_data_text(),
        projection=float(found.county_level),
        projection_text=None,
        target_text=labels.t("sites_target", county=f"{found.county_goal:g}", township=f"{found.township_goal:g}",
                             supply=f"{found.supply_goal:g}"),
        status=found.status,
        badge=style.status_badge(found.status),
        small_numbers=False,
        numerator=float(found.county_level),
        denominator=float(found.county_goal),
        n_text="",
        interval_text="",
        yoy=None,
        yoy_text=None,
        lower_is_better=None,
        group="service",
        lines=parts if found.status != "no_data" else (),
    )


def all_cards(county: Report, townships: Report, county_last_year: Report | None = None) -> list[Card]:
    """One card per target of the work plan: the five headline ones, then the service work
    (the six service indicators and the new demonstration sites)."""
    cards = county_cards(county, county_last_year, indicators=ind.HEADLINE)
    if "households" in county.rolled.columns:  # service counts loaded
        cards += county_cards(county, county_last_year, indicators=ind.SERVICE)
        cards.append(sites_card(county, townships))
    return cards


def matrix_column(indicator: ind.Indicator) -> str:
    unit = {"permille": "‰", "percent": "%"}.get(indicator.unit, "")
    return f"{indicator.short}（{unit}）" if unit else indicator.short


def cell_text(value: float, projection: float, status: str, small: bool, indicator: ind.Indicator, partial: bool) -> str:
    """A status cell: '10.52 ✔', '93.40 ✖ ?', part years '1.80（预测 10.80）✔'; '无数据' without a value."""
    if status == "no_data" or math.isnan(value):
        return style.no_data_text()
    text = style.fmt_value(value, indicator, with_unit=False)
    if partial and indicator.projected and not math.isnan(projection):
        text += f"（{labels.t('projection_short')} {style.fmt_number(projection, indicator.decimals)}）"
    return f"{text} {style.STATUS_SYMBOLS[status]}{style.small_mark(small)}"


def sites_cell(row: pd.Series) -> str:
    if row["status"] == "no_data":
        return style.no_data_text()
    return f"{int(row['new'])}/{row['goal']:g} {style.STATUS_SYMBOLS[row['status']]}"


def status_matrix(
    county: Report, townships: Report, indicators: tuple[ind.Indicator, ...] = ind.HEADLINE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unit × indicator display table (county first, then townships) and its status frame.

    Cells read '10.52 ✔'; for a projected indicator over part of a year the judged
    projection follows in brackets. The status frame has the same shape with status codes
    (the small-numbers mark '?' is in the cell text). With the service indicators, the
    townships' new demonstration sites (own township-level sites against +1) follow.
    """
    partial = not county.period.is_full_year
    codes = [i.code for i in indicators]
    result = pd.concat([county.result, townships.result], ignore_index=True)
    result = result[result["indicator"].isin(codes)]
    rows: dict[str, dict[str, str]] = {}
    statuses: dict[str, dict[str, str]] = {}
    name_col = labels.t("township")
    for _, r in result.iterrows():
        indicator = ind.get(r["indicator"])
        key = r["name"]
        text = cell_text(r["value"], r["projection"], r["status"], bool(r["small_numbers"]), indicator, partial)
        rows.setdefault(key, {name_col: key})[matrix_column(indicator)] = text
        statuses.setdefault(key, {name_col: ""})[matrix_column(indicator)] = r["status"]
    table = pd.DataFrame(list(rows.values()))
    status = pd.DataFrame(list(statuses.values()))
    if any(i.group == "service" for i in indicators) and "new_sites_township" in townships.rolled.columns:
        known = sites.recorded(county.tables)
        per_township = sites.township_sites(townships.rolled, county.period, recorded=known).set_index("name")
        column = labels.t("sites_short")
        found = sites.county_sites(county.rolled, townships.rolled, county.period, recorded=known)
        county_text = f"{found.county_level}/{found.county_goal:g} {style.STATUS_SYMBOLS[found.status]}" if known \
            else style.no_data_text()
        table[column] = [county_text if i == 0 else sites_cell(per_township.loc[n]) if n in per_township.index else ""
                         for i, n in enumerate(table[name_col])]
        status[column] = [found.status if i == 0 else per_township.loc[n, "status"] if n in per_township.index else ""
                          for i, n in enumerate(table[name_col])]
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


def matrix_export(county: Report, townships: Report, indicators: tuple[ind.Indicator, ...] = ind.HEADLINE) -> pd.DataFrame:
    """The matrix's numbers as an export table: one row per unit × indicator, real numbers."""
    result = pd.concat([county.result, townships.result], ignore_index=True)
    result = result[result["indicator"].isin([i.code for i in indicators])]
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
            labels.t("small_numbers"): result["small_numbers"].map({True: labels.t("yes"), False: ""}),
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


def page(url: str, period: Period, as_of: date, *, all_targets: bool = False) -> OverviewPage:
    """Query (cached), compute and lay out the overview for ``period``; ``all_targets`` puts
    the service indicators (and new sites) in the township matrix beside the headline ones."""
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
    shown = ind.CATALOGUE if all_targets else ind.HEADLINE
    table, status = status_matrix(county_now, townships, shown)
    words = period_words(period)
    return OverviewPage(
        heading=labels.t("overview_heading", county=c.display_name, period=words),
        notes=notes,
        warnings=warnings,
        cards=all_cards(county_now, townships, county_last),
        matrix=table,
        matrix_status=status,
        export_table=lambda: matrix_export(county_now, townships, shown),
        export_context=ExportContext(
            title=labels.t("export_matrix_title"),
            scope=c.display_name,
            period=words,
            as_of=min(as_of, period.end),
            status_column=labels.t("status"),
            number_formats={labels.t("value"): "0.00", labels.t("projection"): "0.00",
                            labels.t("numerator"): "#,##0", labels.t("denominator"): "#,##0"},
            notes=indicator_notes(shown, county_now.result),
        ),
        export_stem=(c.short_name, labels.t("export_matrix_title"), words),
        county=county_now,
        townships=townships,
    )
