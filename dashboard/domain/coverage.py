"""Which days the registry's data covers, and what that means for a period.

The coverage runs from the first to the last day that carries a recorded event (a birth, a
registration, a move, a death, a method started, a service event), never past the day of the
reading. A period outside it has no data: every indicator is ``no_data`` (not a green 0). A
period partly inside it is judged on the days it covers: the full-year projection uses the
covered days, not the whole period's, so missing months are not read as months without births.
A village without events inside the coverage is a real 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dashboard.domain.errors import KeyedError
from dashboard.domain.periods import Period

FULL, PARTIAL, NONE = "full", "partial", "none"


class FuturePeriod(KeyedError, ValueError):
    """A period that starts after today: refused in one line."""


@dataclass(frozen=True)
class Coverage:
    """First and last day with recorded events (both None for an empty registry)."""

    first: date | None
    last: date | None

    def years(self, today: date) -> list[int]:
        """The years a user may choose, latest first (this year when there is no data)."""
        if self.first is None or self.last is None:
            return [today.year]
        return list(range(min(self.last.year, today.year), self.first.year - 1, -1))

    def of(self, period: Period) -> Covered:
        """How much of ``period`` the data covers."""
        if self.first is None or self.last is None or period.end < self.first or period.start > self.last:
            return Covered(NONE, None, None, self)
        start, end = max(period.start, self.first), min(period.end, self.last)
        kind = FULL if (start, end) == (period.start, period.end) else PARTIAL
        return Covered(kind, start, end, self)


@dataclass(frozen=True)
class Covered:
    """The covered part of one period: ``kind`` is 'full', 'partial' or 'none'."""

    kind: str
    start: date | None
    end: date | None
    coverage: Coverage

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1 if self.start and self.end else 0

    def projection_factor(self, period: Period) -> float:
        """Days in the year ÷ days covered (the period's own factor when fully covered)."""
        return period.days_in_year / self.days if self.days else period.projection_factor


def refuse_future(period: Period, today: date) -> None:
    """A period that starts after ``today`` is refused (``err_period_future``)."""
    if period.start > today:
        raise FuturePeriod("err_period_future", period=period.label, today=today.isoformat())
