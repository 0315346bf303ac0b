"""Time series of any indicator for any unit: by year, by month, and year to date.

Built from :func:`data_access.queries.interval_counts` (one grouped pass per series), so each
point equals what the engine reports for that period on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import altair as alt
import numpy as np
import pandas as pd

from dashboard import indicators as ind
from dashboard import style
from dashboard.exports import ExportContext
from dashboard.periods import Period, parse_period

FLOW_COLUMNS = ("births", "births_male", "births_female", "births_compliant", "deaths", "floating_births")


def parts_for(indicators: tuple[ind.Indicator, ...]) -> tuple[str, ...]:
    """The registry parts (stock, births, wcba) these indicators' counts come from."""
    from data_access.queries import COUNT_PARTS

    wanted = {COUNT_PARTS[c] for i in indicators for c in i.count_columns}
    return tuple(p for p in ("stock", "births", "wcba") if p in wanted)


@dataclass(frozen=True)
class Plan:
    """One pass of consecutive periods covering every series of the trends page."""

    starts: tuple[date, ...]
    years: dict[int, list[int]]  # full year → its period keys
    months: dict[tuple[int, int], int]  # (year, month) → period key


def plan(first_year: int, year: int, last_month: int) -> Plan:
    """Whole years first_year..year−2, then every month of year−1, then months 1..last_month."""
    starts: list[date] = []
    years: dict[int, list[int]] = {}
    months: dict[tuple[int, int], int] = {}
    key = 0
    for y in range(first_year, year - 1):
        starts.append(date(y, 1, 1))
        key += 1
        years[y] = [key]
    for y, last in ((year - 1, 12), (year, last_month)):
        if y < first_year:
            continue
        keys = []
        for m in range(1, last + 1):
            starts.append(date(y, m, 1))
            key += 1
            months[(y, m)] = key
            keys.append(key)
        if last == 12:
            years[y] = keys
    end = date(year, last_month, 1)
    starts.append(date(end.year + end.month // 12, end.month % 12 + 1, 1))
    return Plan(tuple(starts), years, months)


def unit_counts(counts: pd.DataFrame, units: pd.DataFrame, level: str, unit_code: str | None) -> pd.DataFrame:
    """The unit's base counts per period key: the sum over its villages (the county: all)."""
    if level == "village":
        chosen = units[units["village_code"] == unit_code]
    elif level == "township":
        chosen = units[units["township_code"] == unit_code]
    else:
        chosen = units
    in_unit = counts[counts.index.get_level_values(0).isin(chosen.index)]
    return in_unit.groupby(level=1).sum()


def combine_rows(per_key: pd.DataFrame, keys: list[int]) -> pd.Series:
    """Consecutive periods of one unit taken as one: flows summed, stocks from the ends."""
    out = per_key.loc[keys[-1]].copy()
    for column in FLOW_COLUMNS:
        out[column] = per_key.loc[keys, column].sum()
    out["pop_start"] = per_key.loc[keys[0], "pop_start"]
    return out


def evaluate(
    rows: dict[int, pd.Series],
    template: pd.DataFrame,
    period_of: Callable[[int], Period],
    targets_of: Callable[[Period], pd.DataFrame],
    indicators: tuple[ind.Indicator, ...],
) -> pd.DataFrame:
    """The engine's results for one unit over several periods (one ``compute`` per year).

    ``rows`` maps a key to the unit's combined base counts for ``period_of(key)``;
    ``template`` is the unit's one-row identity (``roll_up`` columns). Each year is judged
    against its own targets; each row is projected with its own period's factor.
    """
    if not rows:
        return pd.DataFrame()
    keys = sorted(rows)
    periods = {k: period_of(k) for k in keys}
    parts = []
    for year in sorted({p.year for p in periods.values()}):
        in_year = [k for k in keys if periods[k].year == year]
        frame = pd.concat([template] * len(in_year), ignore_index=True)
        for column in rows[in_year[0]].index:
            frame[column] = [int(rows[k][column]) for k in in_year]
        factors = np.array([periods[k].projection_factor for k in in_year])
        first = periods[in_year[0]]
        result = ind.compute(frame, first, targets_of(first), indicators, factors=factors)
        n = len(indicators)
        result.insert(0, "key", np.repeat(in_year, n))
        result.insert(1, "period", np.repeat([periods[k].label for k in in_year], n))
        parts.append(result)
    return style.decorate(pd.concat(parts, ignore_index=True))


def ytd_series(
    per_key: pd.DataFrame,
    month_keys: list[int],
    year: int,
    template: pd.DataFrame,
    targets_of: Callable[[Period], pd.DataFrame],
    indicators: tuple[ind.Indicator, ...],
) -> pd.DataFrame:
    """Year to date through each month: ``month_keys[m−1]`` is month m's period key."""
    rows = {m: combine_rows(per_key, month_keys[:m]) for m in range(1, len(month_keys) + 1)}
    return evaluate(rows, template, ytd_period(year), targets_of, indicators)


def unit_template(units: pd.DataFrame, level: str, unit_code: str | None) -> pd.DataFrame:
    """The one-row identity columns of a unit (as ``roll_up`` gives them)."""
    empty = pd.DataFrame(0, index=units.index, columns=["births"])
    rolled = ind.roll_up(empty, units, level)
    if unit_code is not None:
        rolled = rolled[rolled["code"] == unit_code]
    return rolled.drop(columns=["births"]).reset_index(drop=True)


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

    units = cache.units(url)
    townships = dict(units.drop_duplicates("township_code")[["township_code", "township_name"]].to_numpy())
    villages = units[units["township_code"] == township_code] if township_code else units.iloc[0:0]
    return townships, dict(villages[["village_code", "village_name"]].to_numpy())


@dataclass(frozen=True)
class SeriesData:
    """The trends page's numbers for one indicator and unit (cacheable: frames only)."""

    scope: str
    this_year: pd.DataFrame  # year to date through each month
    ytd: pd.DataFrame  # this year and last year, with 'year' and 'month' labels
    yearly: pd.DataFrame | None  # full years, then this period
    single: pd.DataFrame  # each month on its own


def series_data(
    url: str, period: Period, indicator_code: str, level: str, code: str | None, scope: str
) -> SeriesData:
    """Year-to-date, yearly and single-month results for one unit, from one grouped pass."""
    from dashboard import cache, labels

    indicator = ind.get(indicator_code)
    units = cache.units(url)

    def targets_of(p: Period) -> pd.DataFrame:
        return cache.targets(url, p.year)

    indicators = (indicator,)
    span = cache.year_span(url)
    first = min(span[0], period.year) if span else period.year
    months = period.end.month
    layout = plan(first, period.year, months)
    counts = cache.intervals(url, layout.starts, parts_for(indicators))
    per_key = unit_counts(counts, units, level, code)
    template = unit_template(units, level, code)

    def ytd(year: int) -> pd.DataFrame:
        keys = [layout.months[(year, m)] for m in range(1, months + 1)]
        return ytd_series(per_key, keys, year, template, targets_of, indicators)

    this_year = ytd(period.year)
    frames = [this_year.assign(year=labels.t("trend_this_year", year=period.year))]
    if (period.year - 1, 1) in layout.months:
        frames.append(ytd(period.year - 1).assign(year=labels.t("trend_this_year", year=period.year - 1)))
    ytd_frame = pd.concat(frames, ignore_index=True)
    ytd_frame["month"] = ytd_frame["key"].map(lambda k: labels.t("month_n", n=k))
    yearly = None
    if layout.years:
        by_year = {y: combine_rows(per_key, keys) for y, keys in layout.years.items()}
        full = evaluate(by_year, template, year_period, targets_of, indicators)
        current = this_year.iloc[[-1]].copy()
        current["key"] = period.year
        yearly = pd.concat([full, current], ignore_index=True)
        yearly["year_label"] = [str(k) for k in yearly["key"]]
        if not period.is_full_year:
            yearly.loc[yearly.index[-1], "year_label"] = f"{period.year}*"
    single = evaluate({m: per_key.loc[layout.months[(period.year, m)]] for m in range(1, months + 1)},
                      template, month_period(period.year), targets_of, indicators)
    return SeriesData(scope, this_year, ytd_frame, yearly, single)


def page(url: str, period: Period, indicator_code: str, township_code: str | None, village_code: str | None) -> TrendsPage:
    """Yearly series, year-to-date projection against last year, and the monthly table."""
    from dashboard import cache, charts, labels
    from dashboard.overview import period_words

    indicator = ind.get(indicator_code)
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
    data = cache.trend_series(url, period.label, indicator_code, level, code, scope, labels.language())
    this_year = data.this_year
    target = _target_of(this_year)
    ytd_chart = charts.series_chart(data.ytd, indicator, target, x_field="month",
                                    x_title=labels.t("trend_month_col"), colour_field="year")
    yearly_chart = None
    if data.yearly is not None:
        yearly_chart = charts.series_chart(data.yearly, indicator, target, x_field="year_label",
                                           x_title=labels.t("trend_year_col"))
    single = data.single
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
