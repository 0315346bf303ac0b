"""Time series of any indicator for any unit: by year, year to date month by month, and each
month on its own — each point the engine's result for that period on its own, from the
period's per-village base counts (the summaries give them period by period)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.domain import indicators as ind
from dashboard.domain.county import County
from dashboard.domain.coverage import NONE, Coverage
from dashboard.domain.periods import Period, parse_period


def year_period(year: int) -> Period:
    return parse_period(str(year))


def ytd_period(year: int, month: int) -> Period:
    return parse_period(f"{year}-01..{year}-{month:02d}")


def month_period(year: int, month: int) -> Period:
    return parse_period(f"{year}-{month:02d}")


def periods_needed(first_year: int, period: Period) -> list[Period]:
    """Every period a trends page shows for ``period``: the full years from ``first_year``,
    year to date through each month of the period's year and of the year before, each month
    of the period's year on its own."""
    months = period.end.month
    wanted = [year_period(y) for y in range(first_year, period.year)]
    wanted += [ytd_period(period.year, m) for m in range(1, months + 1)]
    if period.year - 1 >= first_year:
        wanted += [ytd_period(period.year - 1, m) for m in range(1, months + 1)]
    wanted += [month_period(period.year, m) for m in range(1, months + 1)]
    return list(dict.fromkeys(wanted))


def unit_row(counts: pd.DataFrame, units: pd.DataFrame, level: str, unit_code: str | None) -> pd.Series:
    """A unit's base counts for one period: the sum over its villages (the county: all)."""
    if level == "village":
        chosen = units.index[units["village_code"] == unit_code]
    elif level == "township":
        chosen = units.index[units["township_code"] == unit_code]
    else:
        chosen = units.index
    return counts[counts.index.isin(chosen)].sum()


def unit_template(units: pd.DataFrame, level: str, unit_code: str | None, county: County) -> pd.DataFrame:
    """The one-row identity columns of a unit (as ``roll_up`` gives them)."""
    empty = pd.DataFrame(0, index=units.index, columns=["births"])
    rolled = ind.roll_up(empty, units, level, county)
    if unit_code is not None:
        rolled = rolled[rolled["code"] == unit_code]
    return rolled.drop(columns=["births"]).reset_index(drop=True)


def evaluate(
    rows: Mapping[int, pd.Series],
    template: pd.DataFrame,
    period_of: Callable[[int], Period],
    targets_of: Callable[[Period], pd.DataFrame],
    indicators: tuple[ind.Indicator, ...],
    quotas_of: Callable[[int], pd.DataFrame | None] = lambda _year: None,
    coverage: Coverage | None = None,
) -> pd.DataFrame:
    """The engine's results for one unit over several periods (one ``compute`` per year).

    ``rows`` maps a key to the unit's base counts for ``period_of(key)``; ``template`` is the
    unit's one-row identity (``roll_up`` columns). Each year is judged against its own targets
    and quotas; each row is projected with its own period's factor. Adds ``key`` and ``period``.
    """
    if not rows:
        return pd.DataFrame()
    keys = sorted(rows)
    periods = {k: period_of(k) for k in keys}
    parts = []
    for year in sorted({p.year for p in periods.values()}):
        in_year = [k for k in keys if periods[k].year == year]
        counts = pd.DataFrame([rows[k] for k in in_year]).astype("int64").reset_index(drop=True)
        identity = template.iloc[np.zeros(len(in_year), dtype=int)].reset_index(drop=True)
        frame = pd.concat([identity, counts], axis=1)
        frame = ind.attach_quotas(frame, quotas_of(year))
        covered = [coverage.of(periods[k]) if coverage is not None else None for k in in_year]
        factors = np.array(
            [c.projection_factor(periods[k]) if c else periods[k].projection_factor for k, c in zip(in_year, covered)]
        )
        first = periods[in_year[0]]
        result = ind.compute(frame, first, targets_of(first), indicators, factors=factors)
        n = len(indicators)
        uncovered = np.repeat([c is not None and c.kind == NONE for c in covered], n)
        if uncovered.any():  # a point the data does not cover: no value, not a 0
            result.loc[uncovered] = ind.without_values(result.loc[uncovered])
        result.insert(0, "key", np.repeat(in_year, n))
        result.insert(1, "period", np.repeat([periods[k].label for k in in_year], n))
        parts.append(result)
    return pd.concat(parts, ignore_index=True)


@dataclass(frozen=True)
class SeriesData:
    """One indicator's numbers for one unit (frames of engine results, no words)."""

    this_year: pd.DataFrame  # year to date through each month of the period's year (key: month)
    last_year: pd.DataFrame | None  # the same months a year earlier (key: month)
    yearly: pd.DataFrame | None  # full years, then this period (key: year)
    single: pd.DataFrame  # each month of the period's year on its own (key: month)


def series(
    counts_of: Callable[[Period], pd.DataFrame],
    units: pd.DataFrame,
    period: Period,
    indicator: ind.Indicator,
    level: str,
    code: str | None,
    targets_of: Callable[[Period], pd.DataFrame],
    county: County,
    first_year: int,
    quotas_of: Callable[[int], pd.DataFrame | None] = lambda _year: None,
    coverage: Coverage | None = None,
) -> SeriesData:
    """Year-to-date, yearly and single-month results for one unit; ``counts_of(p)`` gives a
    period's per-village base counts."""
    template = unit_template(units, level, code, county)
    indicators = (indicator,)
    months = period.end.month

    def row(p: Period) -> pd.Series:
        return unit_row(counts_of(p), units, level, code)

    def run(rows: dict[int, pd.Series], period_of: Callable[[int], Period]) -> pd.DataFrame:
        return evaluate(rows, template, period_of, targets_of, indicators, quotas_of, coverage)

    this_year = run(
        {m: row(ytd_period(period.year, m)) for m in range(1, months + 1)}, lambda m: ytd_period(period.year, m)
    )
    last_year = None
    if period.year - 1 >= first_year:
        last_year = run(
            {m: row(ytd_period(period.year - 1, m)) for m in range(1, months + 1)},
            lambda m: ytd_period(period.year - 1, m),
        )
    yearly = None
    if first_year < period.year:
        full = run({y: row(year_period(y)) for y in range(first_year, period.year)}, year_period)
        current = this_year.iloc[[-1]].copy()
        current["key"] = period.year
        yearly = pd.concat([full, current], ignore_index=True)
    single = run(
        {m: row(month_period(period.year, m)) for m in range(1, months + 1)}, lambda m: month_period(period.year, m)
    )
    return SeriesData(this_year, last_year, yearly, single)
