"""What a registry row must hold to be counted: dates that are real calendar days, and the
coded values the contract names (read trimmed and case-folded). One predicate per column,
the same on every dialect; rows that fail one are left out of the counts and counted by the
data-quality checks (``queries.quality``)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from data_access.schema import contraception, person

#: The date columns of the contract, per table (the quality check reads every one).
DATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "person": ("birth_date", "registered_on", "left_on", "death_date", "married_on"),
    "birth": ("birth_date",),
    "contraception": ("start_date", "end_date"),
    "service_event": ("event_date",),
    "reward_payment": ("due_date", "paid_on"),
    "demo_site": ("established_on",),
}
PERSON_DATES = DATE_COLUMNS["person"]


class _condition(sa.sql.functions.FunctionElement[bool]):
    """A condition each dialect spells out (``@compiles``), used as a term as it is: without
    ``_is_implicitly_boolean`` SQLAlchemy appends "= 1" where the dialect has no boolean type
    (SQLite), which costs about as much per row as the date check it tests."""

    type = sa.Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True


class valid_date(_condition):
    """TRUE where a date column holds a real day. SQLite keeps dates as text: 'YYYY-MM-DD',
    optionally followed by a time, that names a day of the calendar ('2019-02-30', '',
    '2026/11/28' do not); the typed columns of the other dialects always do (MariaDB's zero
    date aside)."""

    inherit_cache = True


def _real_day_sqlite(x: str) -> str:
    # date(x, '+0 days') rolls '2019-02-30' over to March: a real day survives unchanged. IS,
    # not =: no day (NULL) is then unequal, without a second call (each costs ~0.2 µs a row).
    return f"({x} IS NOT NULL AND date({x}, '+0 days') IS substr({x}, 1, 10))"


def _real_day_mysql(x: str) -> str:
    return f"({x} IS NOT NULL AND {x} >= '1000-01-01')"  # MariaDB's zero date is no day


@compiles(valid_date, "sqlite")
def _valid_sqlite(element: valid_date, compiler: Any, **kw: Any) -> str:
    return _real_day_sqlite(compiler.process(element.clauses, **kw))


@compiles(valid_date, "mysql")
def _valid_mysql(element: valid_date, compiler: Any, **kw: Any) -> str:
    return _real_day_mysql(compiler.process(element.clauses, **kw))


@compiles(valid_date)
def _valid_default(element: valid_date, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} IS NOT NULL)"


class usable_date(_condition):
    """TRUE where an optional date column is empty (no such event) or a real day."""

    inherit_cache = True


@compiles(usable_date, "sqlite")
def _usable_sqlite(element: usable_date, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"({x} IS NULL OR {_real_day_sqlite(x)})"


@compiles(usable_date, "mysql")
def _usable_mysql(element: usable_date, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"({x} IS NULL OR {_real_day_mysql(x)})"


@compiles(usable_date)
def _usable_default(element: usable_date, compiler: Any, **kw: Any) -> str:
    return "1 = 1"  # a typed DATE column holds real days only


class has_time_part(_condition):
    """TRUE where a date column's text carries a time of day after a real day (SQLite: the
    day is read, the time ignored); never on a typed DATE column."""

    inherit_cache = True


@compiles(has_time_part, "sqlite")
def _time_sqlite(element: has_time_part, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"(length({x}) > 10 AND {_real_day_sqlite(x)})"


@compiles(has_time_part)
def _time_default(element: has_time_part, compiler: Any, **kw: Any) -> str:
    return "1 = 0"


class not_bare_day(_condition):
    """TRUE where a date column holds something other than a bare real day: exactly where
    it fails :class:`valid_date` (NULL aside) or :class:`has_time_part` holds, in one cheap
    test per row (a scan's filter; those two say which)."""

    inherit_cache = True


@compiles(not_bare_day, "sqlite")
def _not_bare_sqlite(element: not_bare_day, compiler: Any, **kw: Any) -> str:
    # A bare real day is the text date() writes for it: one call, no substr, no length.
    x = compiler.process(element.clauses, **kw)
    return f"(date({x}, '+0 days') IS NOT {x})"


@compiles(not_bare_day, "mysql")
def _not_bare_mysql(element: not_bare_day, compiler: Any, **kw: Any) -> str:
    x = compiler.process(element.clauses, **kw)
    return f"({x} IS NOT NULL AND NOT {_real_day_mysql(x)})"


@compiles(not_bare_day)
def _not_bare_default(element: not_bare_day, compiler: Any, **kw: Any) -> str:
    return "1 = 0"  # a typed DATE column holds bare real days only


def usable_person() -> sa.ColumnElement[bool]:
    """A person the counts can place in time: every date of the row empty or a real day."""
    return sa.and_(*(usable_date(person.c[c]) for c in PERSON_DATES))


def usable_spell() -> sa.ColumnElement[bool]:
    """A method spell with a real start day and an empty or real end day."""
    return sa.and_(valid_date(contraception.c.start_date), usable_date(contraception.c.end_date))


class exact(sa.sql.functions.FunctionElement[str]):
    """A text column compared byte for byte (MySQL's default collation ignores case and
    trailing spaces: 'LOCAL' would equal 'local')."""

    type = sa.String()
    inherit_cache = True


@compiles(exact, "mysql")
def _exact_mysql(element: exact, compiler: Any, **kw: Any) -> str:
    return f"BINARY {compiler.process(element.clauses, **kw)}"


@compiles(exact)
def _exact_default(element: exact, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


#: Coded columns and the case their contract values are written in.
UPPER_CODES = frozenset({"sex"})


def code(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """A coded column read the way the contract allows: trimmed and case-folded ('LOCAL ' is
    'local', ' f' is 'F'); the quality checks report the rows that needed it."""
    name = getattr(column, "name", "")
    trimmed = sa.func.trim(column)
    return sa.func.upper(trimmed) if name in UPPER_CODES else sa.func.lower(trimmed)


class plain_id_number(sa.sql.functions.FunctionElement[bool]):
    """TRUE where a text holds only the characters of a written-out 身份证号 (digits and a
    capital X), so that reading it trimmed and upper-cased leaves it as it is; FALSE for
    anything else, NULL for NULL. Byte for byte on MySQL (its REGEXP ignores case)."""

    type = sa.Boolean()
    inherit_cache = True


@compiles(plain_id_number, "sqlite")
def _plain_id_sqlite(element: plain_id_number, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} NOT GLOB '*[^0-9X]*')"


@compiles(plain_id_number, "postgresql")
def _plain_id_postgresql(element: plain_id_number, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.clauses, **kw)} !~ '[^0-9X]')"


@compiles(plain_id_number, "mysql")
def _plain_id_mysql(element: plain_id_number, compiler: Any, **kw: Any) -> str:
    return f"(CAST({compiler.process(element.clauses, **kw)} AS BINARY) NOT REGEXP '[^0-9X]')"


def code_in(column: sa.ColumnElement[Any], values: tuple[str, ...], written: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """``code(column)`` is one of ``values``, the same rows cheaper: ``written`` are the values
    the contract allows in the column, as they read (``values`` among them). A value written
    exactly so is compared as it is; only the others are trimmed and case-folded (which costs
    more per row than the rest of a person's conditions together on SQLite)."""
    return sa.or_(exact(column).in_(values), sa.and_(exact(column).not_in(written), code(column).in_(values)))


def code_of(column: sa.ColumnElement[Any], written: tuple[str, ...]) -> sa.ColumnElement[Any]:
    """``code(column)``, without trimming and folding a value written as one of ``written``
    (values that read as themselves)."""
    return sa.case((exact(column).in_(written), column), else_=code(column))
