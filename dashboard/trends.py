"""Time series of any indicator for any unit: by year, by month, and year to date.

Built from :func:`data_access.queries.interval_counts` (one grouped pass per series), so each
point equals what the engine reports for that period on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import altair as alt
import pandas as pd

from dashboard import indicators as ind
from dashboard import style
from dashboard.exports import ExportContext
from dashboard.periods import Period, parse_period

FLOW_COLUMNS = ("births", "births_male", "births_female", "births_compliant", "deaths", "floating_births")


def year_to_date(monthly: pd.DataFrame) -> pd.DataFrame:
    """Cumulative year-to-date base counts from single-month counts, indexed (village_id, month).

    Flows are summed over months 1..k; the starting stock is month 1's; stocks are month k's.
    """
    out = monthly.copy()
    grouped = monthly.groupby(level="village_id", sort=False)
    for column in FLOW_COLUMNS:
        out[column] = grouped[column].cumsum()
    out["pop_start"] = grouped["pop_start"].transform("first")
    return out


def unit_series(
    counts: pd.DataFrame,
    units: pd.DataFrame,
    level: str,
    unit_code: str | None,
    period_of: Callable[[int], Period],
    targets_of: Callable[[Period], pd.DataFrame],
    indicators: tuple[ind.Indicator, ...] = ind.HEADLINE,
) -> pd.DataFrame:
    """Indicator results for one unit (or the county) over the periods in ``counts``.

    ``counts`` is indexed (village_id, key); ``period_of(key)`` gives each key's period and
    ``targets_of(period)`` its targets. Returns the engine's long result with a ``key`` column
    and display columns (``style.decorate``).
    """
    parts = []
    keys = sorted(set(counts.index.get_level_values(1)))
    for key in keys:
        period = period_of(key)
        slice_ = counts.xs(key, level=1)
        rolled = ind.roll_up(slice_, units, level)
        if unit_code is not None:
            rolled = rolled[rolled["code"] == unit_code]
        result = ind.compute(rolled.reset_index(drop=True), period, targets_of(period), indicators)
        result.insert(0, "key", key)
        result.insert(1, "period", period.label)
        parts.append(result)
    if not parts:
        return pd.DataFrame()
    return style.decorate(pd.concat(parts, ignore_index=True))


def ytd_period(year: int) -> Callable[[int], Period]:
    """Month k → the period January..k of ``year``."""
    return lambda k: parse_period(f"{year}-01..{year}-{k:02d}")


def month_period(year: int) -> Callable[[int], Period]:
    return lambda k: parse_period(f"{year}-{k:02d}")


def year_period(year: int) -> Period:
    return parse_period(str(year))


# ------------------------------------------------------------------ page


@dataclass(frozen=True)
class TrendsPage:
    heading: str
    yearly: alt.TopLevelMixin | None
    ytd: alt.TopLevelMixin
    table: pd.DataFrame
    export: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]
    township_options: dict[str, str]
    village_options: dict[str, str]


def _target_of(result: pd.DataFrame) -> dict[str, object]:
    row = result.iloc[-1]
    return {"op": row["target_op"], "value": row["target_value"], "low": row["target_low"],
            "high": row["target_high"], "text": row["target"]}


def scope_options(url: str, period: Period, township_code: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Township code → name, and the chosen township's village code → name."""
    from dashboard import cache

    units = cache.inputs(url, period.label).units
    townships = dict(units.drop_duplicates("township_code")[["township_code", "township_name"]].to_numpy())
    villages = units[units["township_code"] == township_code] if township_code else units.iloc[0:0]
    return townships, dict(villages[["village_code", "village_name"]].to_numpy())


def page(url: str, period: Period, indicator_code: str, township_code: str | None, village_code: str | None) -> TrendsPage:
    """Yearly series, year-to-date projection against last year, and the monthly table."""
    from dashboard import cache, charts, labels
    from dashboard.overview import period_words

    indicator = ind.get(indicator_code)
    units = cache.inputs(url, period.label).units
    township_options, village_options = scope_options(url, period, township_code)
    if township_code not in township_options:
        township_code, village_code = None, None
        village_options = {}
    if village_code not in village_options:
        village_code = None
    level, code, scope = "county", None, ind.county().display_name
    if village_code:
        level, code, scope = "village", village_code, f"{township_options[township_code]} · {village_options[village_code]}"
    elif township_code:
        level, code, scope = "township", township_code, township_options[township_code]

    def targets_of(p: Period) -> pd.DataFrame:
        return cache.targets(url, p.year)

    indicators = (indicator,)
    # Year to date, this year and last year, month by month.
    months = period.end.month
    this_year = unit_series(year_to_date(cache.monthly(url, period.year, months)), units, level, code,
                            ytd_period(period.year), targets_of, indicators)
    frames = [this_year.assign(year=labels.t("trend_this_year", year=period.year))]
    span = cache.year_span(url)
    first = span[0] if span else period.year
    if period.year - 1 >= first:
        last_year = unit_series(year_to_date(cache.monthly(url, period.year - 1, months)), units, level, code,
                                ytd_period(period.year - 1), targets_of, indicators)
        frames.append(last_year.assign(year=labels.t("trend_this_year", year=period.year - 1)))
    ytd_frame = pd.concat(frames, ignore_index=True)
    ytd_frame["month"] = ytd_frame["key"].map(lambda k: labels.t("month_n", n=k))
    target = _target_of(this_year)
    ytd_chart = charts.series_chart(ytd_frame, indicator, target, x_field="month",
                                    x_title=labels.t("trend_month_col"), colour_field="year")
    # By year: the full years before, then this period (its projection when partial).
    yearly_chart = None
    if first <= period.year - 1:
        full = unit_series(cache.yearly(url, first, period.year - 1), units, level, code,
                           year_period, targets_of, indicators)
        current = this_year.iloc[[-1]].copy()
        current["key"] = period.year
        series = pd.concat([full, current], ignore_index=True)
        series["year_label"] = [str(k) for k in series["key"]]
        if not period.is_full_year:
            series.loc[series.index[-1], "year_label"] = f"{period.year}*"
        yearly_chart = charts.series_chart(series, indicator, target, x_field="year_label",
                                           x_title=labels.t("trend_year_col"))
    # Monthly table for this year.
    single = unit_series(cache.monthly(url, period.year, months), units, level, code,
                         month_period(period.year), targets_of, indicators)
    table = pd.DataFrame(
        {
            labels.t("trend_month_col"): this_year["key"].map(lambda k: labels.t("month_n", n=k)),
            labels.t("trend_month_numerator"): single["numerator"].map(style.fmt_count),
            labels.t("value"): this_year["value_text"],
            labels.t("projection"): this_year["projection_text"],
            labels.t("target"): this_year["target"],
            labels.t("status"): this_year["badge"],
            "n": this_year["n_text"],
        }
    )
    export = pd.DataFrame(
        {
            labels.t("trend_month_col"): this_year["key"],
            labels.t("numerator"): this_year["numerator"],
            labels.t("denominator"): this_year["denominator"],
            labels.t("value"): this_year["value"],
            labels.t("projection"): this_year["projection"],
            labels.t("target"): this_year["target"],
            labels.t("status"): this_year["status_word"],
        }
    )
    words = period_words(period)
    title = f"{indicator.short}{labels.t('page_trends')}"
    return TrendsPage(
        heading=f"{scope} · {indicator.name}",
        yearly=yearly_chart,
        ytd=ytd_chart,
        table=table,
        export=export,
        context=ExportContext(title=title, scope=scope, period=words, status_column=labels.t("status"),
                              number_formats={labels.t("value"): "0.00", labels.t("projection"): "0.00"}),
        stem=(ind.county().short_name, scope, title, words),
        township_options=township_options,
        village_options=village_options,
    )
