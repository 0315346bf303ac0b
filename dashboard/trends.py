"""Time series of any indicator for any unit: by year, by month, and year to date.

Built from :func:`data_access.queries.interval_counts` (one grouped pass per series), so each
point equals what the engine reports for that period on its own.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from dashboard import indicators as ind
from dashboard import style
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
