"""Time series of any indicator for any unit: by year, year to date month by month, and each
month on its own — each point the engine's result for that period on its own, from the
period's per-village base counts (the summaries give them period by period)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.domain import indicators as ind
from dashboard.domain import targets as tr
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
    return pd.Series(unit_rows([counts], units, level, unit_code)[0], index=counts.columns)


def chosen_villages(units: pd.DataFrame, level: str, unit_code: str | None) -> pd.Index:
    """The villages a unit sums (the county: all of them)."""
    if level == "village":
        return units.index[units["village_code"] == unit_code]
    if level == "township":
        return units.index[units["township_code"] == unit_code]
    return units.index


def unit_rows(frames: list[pd.DataFrame], units: pd.DataFrame, level: str, unit_code: str | None) -> np.ndarray:
    """:func:`unit_row` of several periods' counts (columns as the first frame's) as one array,
    periods × count columns."""
    chosen = chosen_villages(units, level, unit_code)
    columns = frames[0].columns
    index: pd.Index | None = None
    sums = []
    for frame in frames:
        if index is None or not frame.index.equals(index):  # the same villages: the same rows
            index, mask = frame.index, np.asarray(frame.index.isin(chosen))
        values = frame if frame.columns.equals(columns) else frame.reindex(columns=columns, fill_value=0)
        sums.append(values.to_numpy(dtype="int64")[mask].sum(axis=0))
    return np.stack(sums)


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
    """The engine's results for one unit over several periods.

    ``rows`` maps a key to the unit's base counts for ``period_of(key)``; ``template`` is the
    unit's one-row identity (``roll_up`` columns). Each year is judged against its own targets
    and quotas; each row is projected with its own period's factor. Adds ``key`` and ``period``.
    """
    if not rows:
        return pd.DataFrame()
    keys = sorted(rows)
    columns = rows[keys[0]].index
    counts = np.stack([rows[k].reindex(columns, fill_value=0).to_numpy(dtype="int64") for k in keys])
    return _evaluate(keys, counts, columns, template, period_of, targets_of, indicators, quotas_of, coverage)


def _evaluate(
    keys: list[int],
    counts: np.ndarray,
    columns: pd.Index,
    template: pd.DataFrame,
    period_of: Callable[[int], Period],
    targets_of: Callable[[Period], pd.DataFrame],
    indicators: tuple[ind.Indicator, ...],
    quotas_of: Callable[[int], pd.DataFrame | None],
    coverage: Coverage | None,
) -> pd.DataFrame:
    """:func:`evaluate` on the unit's counts as an array (keys × count columns): one
    ``compute`` over every period, each row with its own year's target rule and quotas."""
    periods = {k: period_of(k) for k in keys}
    position = {k: i for i, k in enumerate(keys)}  # the row of ``counts`` of each key
    keys = sorted(keys, key=lambda k: (periods[k].year, k))
    counts = counts[[position[k] for k in keys]]
    years = [periods[k].year for k in keys]
    first_of_year: dict[int, Period] = {}
    for k in keys:
        first_of_year.setdefault(periods[k].year, periods[k])
    frame = pd.concat(
        [
            template.iloc[np.zeros(len(keys), dtype=int)].reset_index(drop=True),
            pd.DataFrame(counts, columns=columns),
        ],
        axis=1,
    )
    quota_columns = [c for c in ind.QUOTA_KINDS.values() if any(c in i.count_columns for i in indicators)]
    if quota_columns:  # the year's quotas, for the indicators that are judged on them
        per_year = {y: ind.attach_quotas(template, quotas_of(y)) for y in first_of_year}
        for column in quota_columns:
            frame[column] = [float(per_year[y][column].iloc[0]) for y in years]
    covered = [coverage.of(periods[k]) if coverage is not None else None for k in keys]
    factors = np.array(
        [c.projection_factor(periods[k]) if c else periods[k].projection_factor for k, c in zip(keys, covered)]
    )
    township_ids = template["township_id"].where(template["level"] != "county", None)
    rules = {}
    for indicator in indicators:  # each year's rule for the unit, one row per period
        per_year = {y: tr.resolve(targets_of(p), indicator.code, township_ids) for y, p in first_of_year.items()}
        rules[indicator.code] = pd.concat([per_year[y] for y in years], ignore_index=True)
    result = ind.compute(frame, periods[keys[0]], pd.DataFrame(), indicators, factors=factors, rules=rules)
    uncovered = np.repeat([c is not None and c.kind == NONE for c in covered], len(indicators))
    if uncovered.any():  # a point the data does not cover: no value, not a 0
        result.loc[uncovered] = ind.without_values(result.loc[uncovered])
    result.insert(0, "key", np.repeat(keys, len(indicators)))
    result.insert(1, "period", np.repeat([periods[k].label for k in keys], len(indicators)))
    return result


@dataclass(frozen=True)
class SeriesData:
    """One indicator's numbers for one unit (frames of engine results, no words)."""

    this_year: pd.DataFrame  # year to date through each month of the period's year (key: month)
    last_year: pd.DataFrame | None  # the same months a year earlier (key: month)
    yearly: pd.DataFrame | None  # full years, then this period (key: year)
    single: pd.DataFrame  # each month of the period's year on its own (key: month)


def series(
    counts_of: Callable[[Period], pd.Series],
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
    """Year-to-date, yearly and single-month results for one unit; ``counts_of(p)`` gives the
    unit's base counts for a period (the sum over its villages, as :func:`unit_row`)."""
    template = unit_template(units, level, code, county)
    indicators = (indicator,)
    months = range(1, period.end.month + 1)

    def run(keys: list[int], period_of: Callable[[int], Period]) -> pd.DataFrame:
        rows = {k: counts_of(period_of(k)) for k in keys}
        return evaluate(rows, template, period_of, targets_of, indicators, quotas_of, coverage)

    this_year = run(list(months), lambda m: ytd_period(period.year, m))
    last_year = None
    if period.year - 1 >= first_year:
        last_year = run(list(months), lambda m: ytd_period(period.year - 1, m))
    yearly = None
    if first_year < period.year:
        full = run(list(range(first_year, period.year)), year_period)
        current = this_year.iloc[[-1]].copy()
        current["key"] = period.year
        yearly = pd.concat([full, current], ignore_index=True)
    single = run(list(months), lambda m: month_period(period.year, m))
    return SeriesData(this_year, last_year, yearly, single)
