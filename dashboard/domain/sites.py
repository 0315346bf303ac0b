"""New demonstration sites (新增示范点) against the work plan's +2 / +1 / +2.

The plan asks, each year, for two new county-level sites, one new township-level site in every
township and two new contraceptive-supply standard sites. A count is green once it reaches its
goal; short of it, amber while the year runs and red once the year is over (a site can still be
established in the remaining months, but not after December).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.domain import targets as tr
from dashboard.domain.periods import Period

SITES_CODE = "new_demo_sites"
STATUS_ORDER = {tr.GREEN: 0, tr.AMBER: 1, tr.RED: 2, tr.NO_DATA: 3}


@dataclass(frozen=True)
class SiteGoals:
    county_level: float
    per_township: float
    supply_standard: float


@dataclass(frozen=True)
class CountySites:
    """The county's three counts with their goals and statuses, and the overall (worst) status."""

    county_level: int
    county_goal: float
    townships_met: int
    townships: int
    township_goal: float
    supply: int
    supply_goal: float
    statuses: tuple[str, str, str]  # county-level, township-level, supply

    @property
    def status(self) -> str:
        return max(self.statuses, key=STATUS_ORDER.__getitem__)


def year_over(period: Period) -> bool:
    """Whether the period reaches the end of its year (a shortfall can no longer be made up)."""
    return period.end.month == 12 and period.end.day == 31


def status(new: float, goal: float, period: Period) -> str:
    """Green at or above the goal; short of it amber during the year, red at its end."""
    if new >= goal:
        return tr.GREEN
    return tr.RED if year_over(period) else tr.AMBER


def township_sites(
    townships_rolled: pd.DataFrame, period: Period, g: SiteGoals, *, recorded: bool = True
) -> pd.DataFrame:
    """Per township: code, name, new township-level sites, goal, status (no data unrecorded)."""
    new = townships_rolled["new_sites_township"].astype("int64")
    return pd.DataFrame(
        {
            "code": townships_rolled["code"].to_numpy(),
            "name": townships_rolled["name"].to_numpy(),
            "new": new.to_numpy(),
            "goal": g.per_township,
            "status": [status(n, g.per_township, period) if recorded else tr.NO_DATA for n in new],
        }
    )


def recorded(tables: frozenset[str]) -> bool:
    """Whether the registry records demonstration sites at all (an unknown table set: assume so)."""
    return not tables or "demo_site" in tables


def county_sites(
    county_rolled: pd.DataFrame, townships_rolled: pd.DataFrame, period: Period, g: SiteGoals, *, recorded: bool = True
) -> CountySites:
    """The county's new sites: county level, townships meeting their own goal, supply standard.

    ``recorded`` is False when the registry has no ``demo_site`` table: then nothing is
    known (no data), which is not the same as no new site.
    """
    row = county_rolled.iloc[0]
    per_township = township_sites(townships_rolled, period, g)
    met = int((per_township["status"] == tr.GREEN).sum())
    n_townships = len(per_township)
    county_level = int(row["new_sites_county"])
    supply = int(row["new_supply_sites"])
    return CountySites(
        county_level=county_level,
        county_goal=g.county_level,
        townships_met=met,
        townships=n_townships,
        township_goal=g.per_township,
        supply=supply,
        supply_goal=g.supply_standard,
        statuses=(
            status(county_level, g.county_level, period),
            status(met, n_townships, period),
            status(supply, g.supply_standard, period),
        )
        if recorded
        else (tr.NO_DATA,) * 3,
    )
