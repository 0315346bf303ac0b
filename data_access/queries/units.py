"""Villages with their townships, and the days the registry's data covers."""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from data_access.db import RegistryError, relations
from data_access.queries.common import NOTHING, Scope, Scopes, in_scope, rows_frame, scope_of
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


class month_number(sa.sql.functions.FunctionElement[int]):
    """year × 12 + month − 1 of a date column holding a real day (SQLite: its text's)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(month_number, "sqlite")
def _month_sqlite(element: month_number, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"(CAST(substr({x}, 1, 4) AS INTEGER) * 12 + CAST(substr({x}, 6, 2) AS INTEGER) - 1)"


@compiles(month_number, "postgresql")
def _month_postgresql(element: month_number, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"(CAST(EXTRACT(YEAR FROM {x}) AS INTEGER) * 12 + CAST(EXTRACT(MONTH FROM {x}) AS INTEGER) - 1)"


@compiles(month_number, "mysql")
def _month_mysql(element: month_number, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"(YEAR({x}) * 12 + MONTH({x}) - 1)"


COVERAGE_COLUMNS = ["tbl", "village_id", "month", "n"]


def coverage_counts(conn: sa.Connection, today: date, scope: Scope | Scopes = None) -> pd.DataFrame:
    """Per table, village (as the rows name it; −1: none) and month, the births, deaths, moves
    out and service events dated on real days up to ``today`` (``COVERAGE_COLUMNS``) — what
    :func:`coverage_of` works the coverage out from; ``scope``: the rows of those villages
    (per table, when a mapping)."""
    limit = sa.bindparam("coverage_today", today, type_=sa.Date)
    sources: list[tuple[str, sa.ColumnElement[Any], sa.ColumnElement[Any]]] = [
        ("birth", birth.c.village_id, birth.c.birth_date),
        ("person", person.c.village_id, person.c.death_date),
        ("person", person.c.village_id, person.c.left_on),
    ]
    if "service_event" in relations(conn):
        sources.append(("service_event", service_event.c.village_id, service_event.c.event_date))
    frames = []
    for table, place, column in sources:
        mine = scope_of(scope, table)
        if mine == NOTHING:
            continue
        month = month_number(column)
        stmt = (
            sa.select(place, month, sa.func.count())
            .where(in_scope(place, mine), valid_date(column), column <= limit)
            .group_by(place, month)
        )
        frames.append(rows_frame(conn.execute(stmt), COVERAGE_COLUMNS[1:]).assign(tbl=table))
    found = [f for f in frames if not f.empty]
    if not found:
        return pd.DataFrame({c: pd.Series(dtype=object if c == "tbl" else "int64") for c in COVERAGE_COLUMNS})
    out = pd.concat(found, ignore_index=True)
    out["village_id"] = pd.to_numeric(out["village_id"], errors="coerce").fillna(-1).astype("int64")
    out["month"] = out["month"].astype("int64")
    out["n"] = out["n"].astype("int64")
    return out.groupby(["tbl", "village_id", "month"], as_index=False)["n"].sum()[COVERAGE_COLUMNS]


def coverage_of(per_month: pd.Series, today: date) -> tuple[date | None, date | None]:
    """The coverage (see :func:`coverage`) from event counts per month number."""
    counts = {int(m): int(n) for m, n in per_month.items() if n}
    if not counts:
        return None, None
    runs: list[list[int]] = []
    for month in sorted(counts):
        if runs and month - runs[-1][-1] <= COVERAGE_GAP_MONTHS + 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    main = max(runs, key=lambda run: (sum(counts[m] for m in run), run[-1]))
    first_year, first_month = divmod(main[0], 12)
    last_year, last_month = divmod(main[-1], 12)
    month_end = date(last_year, last_month + 1, calendar.monthrange(last_year, last_month + 1)[1])
    return date(first_year, first_month + 1, 1), min(month_end, today)


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
    return coverage_of(pd.Series(per_month, dtype="int64"), today)


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
