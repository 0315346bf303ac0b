"""Reporting periods: parse ``2024``, ``2024-Q2``, ``2024-06``, ``2024-01..2024-09`` into whole days.

A period is the closed day range [start, end]. Everything date-like is computed here, in
Python, so that the SQL only ever compares columns with bound date parameters.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from dashboard.domain.errors import KeyedError

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_RANGE = re.compile(r"^(\d{4})-(\d{1,2})\s*\.\.\s*(\d{4})-(\d{1,2})$")

MIN_YEAR = 1900
MAX_YEAR = 2999


class PeriodError(KeyedError, ValueError):
    """A period string that is not one of the accepted forms (message key ``err_period…``)."""


@dataclass(frozen=True, order=True)
class Period:
    """A closed range of whole days [start, end] inside one calendar year."""

    start: date
    end: date
    label: str

    @property
    def year(self) -> int:
        return self.start.year

    @property
    def days(self) -> int:
        """Number of days in the period, both ends included."""
        return (self.end - self.start).days + 1

    @property
    def days_in_year(self) -> int:
        return 366 if calendar.isleap(self.year) else 365

    @property
    def is_full_year(self) -> bool:
        return self.days == self.days_in_year

    @property
    def projection_factor(self) -> float:
        """Full-year projection factor: days in the year ÷ days in the period (1 for a full year)."""
        return self.days_in_year / self.days

    @property
    def day_before(self) -> date:
        """Day a−1: the population at its end is the period's starting population."""
        return self.start - timedelta(days=1)

    def same_period_last_year(self) -> Period:
        """The same months one year earlier (for year-on-year change and rank change)."""
        return parse_period(_shift_label(self.label, -1))

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end

    def __str__(self) -> str:
        return self.label


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _check_year(year: int, text: str) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError("err_period", text=text)


def _check_month(month: int, text: str) -> None:
    if not 1 <= month <= 12:
        raise PeriodError("err_period", text=text)


def parse_period(text: str) -> Period:
    """Parse a period string.

    Accepted: ``YYYY`` (a year), ``YYYY-Qn`` (a quarter), ``YYYY-MM`` (a month) and
    ``YYYY-MM..YYYY-MM`` (a month range inside one year, e.g. year to date). Anything else
    raises :class:`PeriodError` with a one-line message that lists the accepted forms.
    """
    raw = text
    text = (text or "").strip()
    if m := _YEAR.match(text):
        year = int(m[1])
        _check_year(year, raw)
        return Period(date(year, 1, 1), date(year, 12, 31), f"{year}")
    if m := _QUARTER.match(text):
        year, q = int(m[1]), int(m[2])
        _check_year(year, raw)
        first = 3 * (q - 1) + 1
        return Period(date(year, first, 1), _month_end(year, first + 2), f"{year}-Q{q}")
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        _check_year(year, raw)
        _check_month(month, raw)
        return Period(date(year, month, 1), _month_end(year, month), f"{year}-{month:02d}")
    if m := _RANGE.match(text):
        y1, m1, y2, m2 = (int(g) for g in m.groups())
        _check_year(y1, raw)
        _check_month(m1, raw)
        _check_year(y2, raw)
        _check_month(m2, raw)
        if y1 != y2:
            raise PeriodError("err_period_span", text=raw)
        if m2 < m1:
            raise PeriodError("err_period_order", text=raw)
        if m1 == 1 and m2 == 12:
            return Period(date(y1, 1, 1), date(y1, 12, 31), f"{y1}")
        if m1 == m2:
            return Period(date(y1, m1, 1), _month_end(y1, m1), f"{y1}-{m1:02d}")
        return Period(date(y1, m1, 1), _month_end(y2, m2), f"{y1}-{m1:02d}..{y2}-{m2:02d}")
    raise PeriodError("err_period", text=raw)


def _shift_label(label: str, years: int) -> str:
    """Shift every four-digit year in a canonical period label by ``years``."""
    return re.sub(r"\d{4}", lambda m: str(int(m[0]) + years), label)


def last_complete_month_end(today: date) -> date:
    """The last day of the last month that has ended before ``today``."""
    return today.replace(day=1) - timedelta(days=1)


def year_to_date(today: date) -> Period:
    """Year to date up to the last complete month (January alone in February; last year in January)."""
    end = last_complete_month_end(today)
    if end.month == 12:
        return parse_period(f"{end.year}")
    if end.month == 1:
        return parse_period(f"{end.year}-01")
    return parse_period(f"{end.year}-01..{end.year}-{end.month:02d}")


#: The Export page's quick periods: this year to date, last month, last quarter, last full year.
PRESETS: tuple[str, ...] = ("ytd", "last_month", "last_quarter", "full_year")


def preset(name: str, today: date) -> Period:
    """A quick period as of ``today``, counting only months that have ended: 'ytd' (this year
    to the last complete month), 'last_month', 'last_quarter' (the last quarter that has ended)
    and 'full_year' (the last year that has ended)."""
    end = last_complete_month_end(today)
    if name == "ytd":
        return year_to_date(today)
    if name == "last_month":
        return parse_period(f"{end.year}-{end.month:02d}")
    if name == "last_quarter":
        quarter = end.month // 3  # quarters ended by the end of the last complete month
        return parse_period(f"{end.year}-Q{quarter}" if quarter else f"{end.year - 1}-Q4")
    if name == "full_year":
        return parse_period(f"{end.year if end.month == 12 else end.year - 1}")
    raise ValueError(f"unknown period preset {name!r}")


def age_on(birth_date: date, d: date) -> int:
    """Completed years of age at day ``d``."""
    return d.year - birth_date.year - ((d.month, d.day) < (birth_date.month, birth_date.day))


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
