"""What a date column must hold to be a day, on SQLite (text) and the typed dialects."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access.queries.validity import has_time_part, not_bare_day, usable_date, valid_date
from tests.conftest import DIALECTS, fresh_database

#: A stored value: (real day, has a time part); SQLite keeps whatever text was written.
STORED: list[tuple[object, bool, bool]] = [
    (None, False, False),
    ("", False, False),
    ("2024-02-29", True, False),
    ("2023-02-29", False, False),
    ("2019-02-30", False, False),  # date() without a modifier would keep it as written
    ("2026/11/28", False, False),
    ("2024-1-1", False, False),
    (" 2024-01-01", False, False),
    ("2024-01-01xyz", False, False),
    ("2024-01-01Z", False, False),
    ("now", False, False),
    ("x", False, False),
    (20240101, False, False),  # a number: SQLite reads it as a Julian day
    (2460000.5, False, False),
    ("0000-01-01", True, False),
    ("9999-12-31", True, False),
    ("1990-01-01 08:30:00", True, True),
    ("1990-01-01T08:30", True, True),
    ("1970-01-01 00:00:00.000", True, True),
    ("2024-01-01  ", True, True),  # trailing spaces: the day, then something after it
    ("2024-01-01 25:00", False, False),
]


@pytest.fixture
def column(tmp_path: Path) -> Iterator[tuple[sa.Engine, sa.Table]]:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'dates.sqlite'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer), sa.Column("d", sa.Date))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (n INTEGER, d DATE)"))
        conn.execute(sa.text("INSERT INTO t VALUES (:n, :d)"), [{"n": i, "d": v} for i, (v, _, _) in enumerate(STORED)])
    yield engine, table
    engine.dispose()


def test_sqlite_text_dates_read_as_days_exactly_when_they_name_one(column: tuple[sa.Engine, sa.Table]) -> None:
    engine, t = column
    d = t.c.d
    stmt = sa.select(t.c.n, valid_date(d), has_time_part(d), usable_date(d), not_bare_day(d)).order_by(t.c.n)
    with engine.connect() as conn:
        got = [tuple(bool(x) for x in row[1:]) for row in conn.execute(stmt)]
    for (value, day, timed), (valid, time_part, usable, odd) in zip(STORED, got, strict=True):
        assert (valid, time_part) == (day, timed), value
        assert usable == (value is None or day), value
        # The scans' first test keeps every row that is no day or has a time; a bare day passes.
        assert odd == (value is not None and (not day or timed)), value


@pytest.mark.parametrize("dialect", DIALECTS)
def test_typed_dates_are_bare_days(dialect: str, tmp_path: Path) -> None:
    with fresh_database(dialect, tmp_path) as url:
        engine = sa.create_engine(url)
        t = sa.Table("t", sa.MetaData(), sa.Column("n", sa.Integer), sa.Column("d", sa.Date))
        t.create(engine)
        with engine.begin() as conn:
            conn.execute(t.insert(), [{"n": 1, "d": date(2024, 2, 29)}, {"n": 2, "d": None}])
            rows = conn.execute(sa.select(t.c.n, valid_date(t.c.d), not_bare_day(t.c.d)).order_by(t.c.n)).all()
        engine.dispose()
    assert [(n, bool(v), bool(o)) for n, v, o in rows] == [(1, True, False), (2, False, False)]
