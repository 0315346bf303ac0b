"""Period parsing, whole-day bounds, projection factors and age cutoffs."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.domain.periods import (
    PRESETS,
    PeriodError,
    age_cutoff,
    age_on,
    last_complete_month_end,
    parse_period,
    preset,
    year_to_date,
)
from dashboard.render import formats


@pytest.mark.parametrize(
    ("text", "start", "end", "label", "days"),
    [
        ("2024", date(2024, 1, 1), date(2024, 12, 31), "2024", 366),
        ("2023", date(2023, 1, 1), date(2023, 12, 31), "2023", 365),
        ("2024-Q1", date(2024, 1, 1), date(2024, 3, 31), "2024-Q1", 91),
        ("2023-q1", date(2023, 1, 1), date(2023, 3, 31), "2023-Q1", 90),
        ("2024-Q2", date(2024, 4, 1), date(2024, 6, 30), "2024-Q2", 91),
        ("2024-Q4", date(2024, 10, 1), date(2024, 12, 31), "2024-Q4", 92),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "2024-02", 29),
        ("2023-02", date(2023, 2, 1), date(2023, 2, 28), "2023-02", 28),
        ("2024-6", date(2024, 6, 1), date(2024, 6, 30), "2024-06", 30),
        ("2024-01..2024-09", date(2024, 1, 1), date(2024, 9, 30), "2024-01..2024-09", 274),
        (" 2024-03 .. 2024-05 ", date(2024, 3, 1), date(2024, 5, 31), "2024-03..2024-05", 92),
        ("2024-01..2024-12", date(2024, 1, 1), date(2024, 12, 31), "2024", 366),
        ("2024-07..2024-07", date(2024, 7, 1), date(2024, 7, 31), "2024-07", 31),
    ],
)
def test_parse_accepted_forms(text: str, start: date, end: date, label: str, days: int) -> None:
    period = parse_period(text)
    assert (period.start, period.end, period.label, period.days) == (start, end, label, days)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "24",
        "2024-13",
        "2024-00",
        "2024-Q5",
        "2024-Q0",
        "2024/06",
        "2024-06-01",
        "last year",
        "2023-11..2024-02",
        "2024-09..2024-01",
        "2024..2025",
        "0999",
    ],
)
def test_parse_rejects_everything_else_with_one_line(text: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(text)
    message = formats.message(info.value)
    assert "\n" not in message and message


def test_unknown_period_message_names_the_accepted_forms() -> None:
    with pytest.raises(PeriodError) as info:
        parse_period("Q2 2024")
    assert "2024-Q2" in formats.message(info.value) and "Q2 2024" in formats.message(info.value)


def test_projection_factor_full_and_partial_years() -> None:
    assert parse_period("2023").projection_factor == 1.0
    assert parse_period("2024").projection_factor == 1.0
    # Leap year, January–February: 366 ÷ 60.
    assert parse_period("2024-01..2024-02").projection_factor == pytest.approx(366 / 60)
    assert parse_period("2023-01..2023-02").projection_factor == pytest.approx(365 / 59)
    assert parse_period("2024-02").projection_factor == pytest.approx(366 / 29)
    assert not parse_period("2024-Q1").is_full_year
    assert parse_period("2024").is_full_year


def test_day_before_and_same_period_last_year() -> None:
    assert parse_period("2024").day_before == date(2023, 12, 31)
    assert parse_period("2024-03").day_before == date(2024, 2, 29)
    assert parse_period("2024-Q2").same_period_last_year() == parse_period("2023-Q2")
    assert parse_period("2024-01..2024-02").same_period_last_year().end == date(2023, 2, 28)


@pytest.mark.parametrize(
    ("today", "label"),
    [
        (date(2026, 11, 29), "2026-01..2026-10"),
        (date(2026, 2, 10), "2026-01"),
        (date(2026, 1, 15), "2025"),
        (date(2024, 3, 1), "2024-01..2024-02"),
    ],
)
def test_year_to_date_stops_at_the_last_complete_month(today: date, label: str) -> None:
    assert year_to_date(today).label == label
    assert last_complete_month_end(today) == year_to_date(today).end


@pytest.mark.parametrize(
    ("d", "years", "cutoff"),
    [
        (date(2024, 12, 31), 15, date(2009, 12, 31)),
        (date(2024, 12, 31), 50, date(1974, 12, 31)),
        (date(2024, 2, 29), 15, date(2009, 2, 28)),  # 2009 is not a leap year
        (date(2024, 2, 29), 16, date(2008, 2, 29)),  # 2008 is
        (date(2023, 2, 28), 15, date(2008, 2, 28)),
    ],
)
def test_age_cutoff(d: date, years: int, cutoff: date) -> None:
    assert age_cutoff(d, years) == cutoff
    # The cutoff is exactly the last birth date with that age on d.
    assert age_on(cutoff, d) >= years
    assert age_on(date.fromordinal(cutoff.toordinal() + 1), d) == years - 1


def test_leap_day_birthday_counts_from_first_of_march() -> None:
    born = date(2008, 2, 29)
    assert age_on(born, date(2023, 2, 28)) == 14
    assert age_on(born, date(2023, 3, 1)) == 15
    assert age_on(born, date(2024, 2, 29)) == 16


@pytest.mark.parametrize(
    ("today", "ytd", "last_month", "last_quarter", "full_year"),
    [
        (date(2026, 12, 1), "2026-01..2026-11", "2026-11", "2026-Q3", "2025"),
        (date(2026, 1, 15), "2025", "2025-12", "2025-Q4", "2025"),  # January: last year is complete
        (date(2026, 2, 1), "2026-01", "2026-01", "2025-Q4", "2025"),
        (date(2026, 3, 31), "2026-01..2026-02", "2026-02", "2025-Q4", "2025"),  # Q1 not ended yet
        (date(2026, 4, 1), "2026-01..2026-03", "2026-03", "2026-Q1", "2025"),
        (date(2027, 1, 1), "2026", "2026-12", "2026-Q4", "2026"),
    ],
)
def test_export_presets_count_only_months_that_have_ended(
    today: date, ytd: str, last_month: str, last_quarter: str, full_year: str
) -> None:
    got = {name: preset(name, today).label for name in PRESETS}
    assert got == {"ytd": ytd, "last_month": last_month, "last_quarter": last_quarter, "full_year": full_year}
