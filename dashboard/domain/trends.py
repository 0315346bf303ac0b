"""Time series of any indicator for any unit: by year, by month, and year to date.

Built from per-village base counts of consecutive periods (``data_access`` gives them in one
grouped pass), so each point equals what the engine reports for that period on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard.domain import indicators as ind
from dashboard.domain.county import County
from dashboard.domain.periods import Period, parse_period

FLOW_COLUMNS = ("births", "births_male", "births_female", "births_compliant", "deaths", "floating_births")


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
    return pd.concat(parts, ignore_index=True)


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


def unit_template(units: pd.DataFrame, level: str, unit_code: str | None, county: County) -> pd.DataFrame:
    """The one-row identity columns of a unit (as ``roll_up`` gives them)."""
    empty = pd.DataFrame(0, index=units.index, columns=["births"])
    rolled = ind.roll_up(empty, units, level, county)
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


# ------------------------------------------------------------------ a unit's series


@dataclass(frozen=True)
class SeriesData:
    """One indicator's numbers for one unit (frames of engine results, no words)."""

    this_year: pd.DataFrame  # year to date through each month of the period's year
    last_year: pd.DataFrame | None  # the same months a year earlier (when counted)
    yearly: pd.DataFrame | None  # full years, then this period (key: year)
    single: pd.DataFrame  # each month of the period's year on its own


def series(
    counts: pd.DataFrame,
    layout: Plan,
    units: pd.DataFrame,
    period: Period,
    indicator: ind.Indicator,
    level: str,
    code: str | None,
    targets_of: Callable[[Period], pd.DataFrame],
    county: County,
) -> SeriesData:
    """Year-to-date, yearly and single-month results for one unit from ``counts`` (per village
    and period key of ``layout``)."""
    per_key = unit_counts(counts, units, level, code)
    template = unit_template(units, level, code, county)
    indicators = (indicator,)
    months = period.end.month

    def ytd(year: int) -> pd.DataFrame:
        keys = [layout.months[(year, m)] for m in range(1, months + 1)]
        return ytd_series(per_key, keys, year, template, targets_of, indicators)

    this_year = ytd(period.year)
    last_year = ytd(period.year - 1) if (period.year - 1, 1) in layout.months else None
    yearly = None
    if layout.years:
        by_year = {y: combine_rows(per_key, keys) for y, keys in layout.years.items()}
        full = evaluate(by_year, template, year_period, targets_of, indicators)
        current = this_year.iloc[[-1]].copy()
        current["key"] = period.year
        yearly = pd.concat([full, current], ignore_index=True)
    single = evaluate(
        {m: per_key.loc[layout.months[(period.year, m)]] for m in range(1, months + 1)},
        template,
        month_period(period.year),
        targets_of,
        indicators,
    )
    return SeriesData(this_year, last_year, yearly, single)
