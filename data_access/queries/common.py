"""Shared pieces of the registry statements: the definitions every count uses (present at a
day, married woman of childbearing age, a method in use), bind values, and result → frame.

Statements are SQLAlchemy Core with bound parameters only; date bounds come from Python, so one
statement runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from dashboard.domain.periods import age_cutoff
from data_access.queries.validity import code, usable_person, usable_spell
from data_access.schema import contraception, person, village

LONG_ACTING_METHODS: tuple[str, ...] = ("iud", "female_sterilization", "male_sterilization", "implant")

SHORT_ACTING_METHODS: tuple[str, ...] = ("oral", "injection", "condom", "topical")


def rows_frame(result: sa.CursorResult[Any], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from a result, via plain tuples: pandas probing SQLAlchemy rows for
    attributes costs more than the query itself on large results."""
    return pd.DataFrame([tuple(row) for row in result], columns=columns)


def fast_frame(conn: sa.Connection, stmt: sa.Select[Any], columns: list[str]) -> pd.DataFrame:
    """A DataFrame of a large result straight from the driver's cursor: the statement is
    compiled by SQLAlchemy (bound parameters, expanded IN lists) but rows skip SQLAlchemy's
    per-row processing, a third of the time on a million rows. Values come as the driver gives
    them (a SQLite date is text): callers parse dates vectorised."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = tuple(params[name] for name in compiled.positiontup or ()) if compiled.positional else params
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


#: The records a statement reads, by the village they are placed in: (village ids, and
#: whether also those without a known village); ``None``: every record.
Scope = tuple[tuple[int, ...], bool] | None


#: Scopes per table (a table it does not name: none of its records); ``None``: every record.
Scopes = Mapping[str, Scope] | None
NOTHING: Scope = ((), False)


def scope_of(scopes: Scope | Scopes, table: str) -> Scope:
    """A table's scope in ``scopes`` (one scope for every table, or one per table)."""
    if scopes is None or isinstance(scopes, tuple):
        return scopes
    return scopes.get(table, NOTHING)


def in_scope(column: sa.ColumnElement[Any], scope: Scope) -> sa.ColumnElement[bool]:
    """Rows whose village ``column`` is in ``scope`` (always true for ``None``). Put it first
    among a statement's conditions: SQLite tests them in order."""
    if scope is None:
        return sa.true()
    ids, unplaced = scope
    where: list[sa.ColumnElement[bool]] = (
        [column.in_(sa.bindparam("scope_villages", list(ids), expanding=True, unique=True))] if ids else []
    )
    if unplaced:
        known = village.alias("known_village")
        where += [column.is_(None), ~sa.exists().where(known.c.id == column)]
    if not where:
        return sa.false()
    return sa.or_(*where) if len(where) > 1 else where[0]


ONE = sa.literal(1)

ZERO = sa.literal(0)


def count_if(condition: sa.ColumnElement[bool], name: str) -> sa.Label[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, ONE), else_=ZERO)), 0).label(name)


def present_at(end_next: sa.BindParameter[date]) -> sa.ColumnElement[bool]:
    """Registered on or before d, and neither moved out nor dead by the end of d."""
    return sa.and_(
        person.c.registered_on < end_next,
        sa.or_(person.c.left_on.is_(None), person.c.left_on >= end_next),
        sa.or_(person.c.death_date.is_(None), person.c.death_date >= end_next),
        usable_person(),  # a row with a date that is no real day cannot be placed: left out, counted
    )


def is_local() -> sa.ColumnElement[bool]:
    return code(person.c.hukou) == "local"


def married_wcba_condition(
    end_next: sa.BindParameter[date],
    born_on_or_before: sa.BindParameter[date],
    born_after: sa.BindParameter[date],
) -> sa.ColumnElement[bool]:
    """Married local woman aged 15–49, alive and registered at d (DESIGN.md §2).

    ``born_on_or_before`` is the day after the 15-year cutoff and ``born_after`` the day after
    the 50-year cutoff, both as exclusive/inclusive half-open bounds.
    """
    return sa.and_(
        is_local(),
        code(person.c.sex) == "F",
        present_at(end_next),
        code(person.c.marital_status) == "married",
        person.c.married_on < end_next,
        person.c.birth_date < born_on_or_before,
        person.c.birth_date >= born_after,
    )


def method_in_use(methods: tuple[str, ...], end_next: sa.BindParameter[date]) -> sa.Exists:
    """EXISTS a contraception row of one of ``methods`` in use at d for the outer person."""
    return (
        sa.select(ONE)
        .where(
            contraception.c.woman_id == person.c.id,
            code(contraception.c.method).in_(methods),
            usable_spell(),
            contraception.c.start_date < end_next,
            sa.or_(contraception.c.end_date.is_(None), contraception.c.end_date >= end_next),
        )
        .exists()
    )


def wcba_bind_params(d: date) -> dict[str, date]:
    """Bind values for the married-WCBA condition at day d."""
    return {
        "end_next": d + timedelta(days=1),
        "born_on_or_before": age_cutoff(d, 15) + timedelta(days=1),
        "born_after": age_cutoff(d, 50) + timedelta(days=1),
    }


def as_dates(values: pd.Series) -> pd.Series:
    """Dates (or SQLite's date text, possibly with a time) as datetime64; missing as NaT."""
    return pd.to_datetime(values.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")


def grouped(conn: sa.Connection, stmt: sa.Select[Any], params: dict[str, object] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(conn.execute(stmt, params or {}).mappings().all())
    return frame.set_index("village_id") if not frame.empty else frame
