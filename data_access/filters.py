"""The frozen objects that query functions take: what period, which units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol


class DayRange(Protocol):
    """Anything with whole-day bounds [start, end] (``dashboard.periods.Period`` is one)."""

    @property
    def start(self) -> date: ...

    @property
    def end(self) -> date: ...


@dataclass(frozen=True)
class Days:
    """A plain closed day range, for callers outside the dashboard layer."""

    start: date
    end: date


@dataclass(frozen=True)
class Bounds:
    """Half-open bind parameters for a closed day range.

    ``x ≤ d`` is bound as ``x < d + 1 day`` so that the comparison stays right when a
    registry stores dates as timestamps (or as ``'YYYY-MM-DD hh:mm:ss'`` text in SQLite).
    """

    start: date  # first day of the period (= the day after a−1)
    end_next: date  # the day after the period's last day

    @classmethod
    def of(cls, period: DayRange) -> "Bounds":
        return cls(period.start, period.end + timedelta(days=1))


def age_cutoff(d: date, years: int) -> date:
    """Latest birth date of a person whose ``years``-th birthday is on or before ``d``.

    Age at d is ``d.year − b.year − ((d.month, d.day) < (b.month, b.day))``: someone born on
    29 February turns a year older on 1 March in common years. So the cutoff is the same
    month and day ``years`` earlier, or 28 February when d is 29 February and that year is not
    a leap year.
    """
    year = d.year - years
    day = d.day
    while True:
        try:
            return date(year, d.month, day)
        except ValueError:
            day -= 1
