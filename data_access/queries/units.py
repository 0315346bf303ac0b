"""Villages with their townships, and the days the registry's data covers."""

from __future__ import annotations

import calendar
from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from data_access.db import RegistryError, relations
from data_access.queries.validity import valid_date
from data_access.schema import birth, person, service_event, township, village


def load_units(conn: sa.Connection) -> pd.DataFrame:
    """Villages with their township: one row per village, indexed by village id.

    Columns: village_code, village_name, village_kind, village_lat, village_lon, township_id,
    township_code, township_name, township_lat, township_lon. Sorted by township code, then
    village code.
    """
    stmt = (
        sa.select(
            village.c.id.label("village_id"),
            village.c.code.label("village_code"),
            village.c.name.label("village_name"),
            village.c.kind.label("village_kind"),
            village.c.lat.label("village_lat"),
            village.c.lon.label("village_lon"),
            township.c.id.label("township_id"),
            township.c.code.label("township_code"),
            township.c.name.label("township_name"),
            township.c.lat.label("township_lat"),
            township.c.lon.label("township_lon"),
        )
        .select_from(village.join(township, village.c.township_id == township.c.id))
        .order_by(township.c.code, village.c.code)
    )
    frame = pd.DataFrame(conn.execute(stmt).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in stmt.selected_columns])
    for col in ("village_code", "township_code"):
        frame[col] = frame[col].astype(str)
    twice = frame["village_id"][frame["village_id"].duplicated()]
    if not twice.empty:  # a view-mapped registry that repeats a village or a township id
        raise RegistryError("err_duplicate_units", ids=", ".join(str(v) for v in sorted(set(twice))[:5]))
    return frame.set_index("village_id")


def year_span(conn: sa.Connection) -> tuple[int, int] | None:
    """First and last calendar year with a recorded birth; None if there are none."""
    low, high = conn.execute(sa.select(sa.func.min(birth.c.birth_date), sa.func.max(birth.c.birth_date))).one()
    if low is None or high is None:
        return None
    return _year_of(low), _year_of(high)


def _year_of(value: object) -> int:
    # SQLite may hand back text; the other dialects give dates.
    return value.year if hasattr(value, "year") else int(str(value)[:4])


#: Months without any event that still belong to one stretch of recording (a small registry
#: has quiet months); a longer gap separates stray dates (typing errors decades off) from it.
COVERAGE_GAP_MONTHS = 3


def coverage(conn: sa.Connection, today: date) -> tuple[date | None, date | None]:
    """The months the registry records events in: the stretch of months with births, deaths,
    moves out or service events (gaps of at most :data:`COVERAGE_GAP_MONTHS`) that holds most of them, from its
    first month's first day to its last month's last day (not past ``today``); real days only.
    Registration, marriage and method dates are left out: a registry started in 2019 holds people
    registered and married long before, but no births of 2018. Stray dates far outside the
    stretch (counted by the quality checks) do not widen it."""
    limit = sa.bindparam("coverage_today", today, type_=sa.Date)
    per_month: dict[int, int] = {}
    statements = [
        sa.select(column, sa.func.count()).where(valid_date(column), column <= limit).group_by(column)
        for column in (birth.c.birth_date, person.c.death_date, person.c.left_on)
    ]
    if "service_event" in relations(conn):  # grouped in its (kind, date) index order
        when = service_event.c.event_date
        statements.append(
            sa.select(when, sa.func.count()).where(valid_date(when), when <= limit).group_by(service_event.c.kind, when)
        )
    for stmt in statements:
        for value, n in conn.execute(stmt).all():
            if value is None:  # text that is no day (listed by the quality checks)
                continue
            day = _as_date(value)
            key = day.year * 12 + day.month - 1
            per_month[key] = per_month.get(key, 0) + int(n)
    if not per_month:
        return None, None
    runs: list[list[int]] = []
    for month in sorted(per_month):
        if runs and month - runs[-1][-1] <= COVERAGE_GAP_MONTHS + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    main = max(runs, key=lambda run: (sum(per_month[m] for m in run), run[-1]))
    first_year, first_month = divmod(main[0], 12)
    last_year, last_month = divmod(main[-1], 12)
    month_end = date(last_year, last_month + 1, calendar.monthrange(last_year, last_month + 1)[1])
    return date(first_year, first_month + 1, 1), min(month_end, today)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
