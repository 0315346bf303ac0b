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
    def of(cls, period: DayRange) -> Bounds:
        return cls(period.start, period.end + timedelta(days=1))
