"""The summary store: additive counts per village, built from the registry by ``refresh`` and
read by every page (DHIS2's analytics tables idea).

Tables (every row carries the ``generation`` it belongs to):

* ``summary_flow``   — per village and month: births (by sex and compliance), deaths, moves,
  service events, rewards due and paid on time, new demonstration sites;
* ``summary_stock``  — per village at each month's end: population (local, floating), married
  women 15–49 and their methods, short-acting users, households lived in;
* ``summary_range``  — per village and month range of a year (a ≤ b): the distinct counts that
  do not add across months (households reached by publicity, short-acting users served,
  persons checked, women given folic acid);
* ``summary_unit``, ``summary_quota``, ``summary_quality`` — the villages with their townships,
  the year's task quotas, data-quality findings per village and check;
* ``summary_fingerprint``, ``summary_row_print`` — what the registry looked like at the last
  refresh, per village and year, and per village and table (what an incremental refresh
  compares against);
* ``summary_coverage``, ``summary_last_change`` — per village, the registry's events per month
  (what the data's coverage is worked out from) and its latest change (stale villages);
* ``summary_meta``   — the current generation, when it was refreshed, the months it covers.

They hold counts per village only — no personal data. A refresh writes a new generation beside
the current one and then switches ``current_generation`` in one transaction, so a reader never
sees a half-built summary; the generation before stays until the next refresh for readers that
are mid-way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from data_access.db import RegistryError, one_line


class RefreshBusy(RegistryError):
    """Another refresh of the same store is running."""


metadata = sa.MetaData()
#: The layout of the store's tables; a store of another layout is rebuilt from scratch.
#: 10: quality and coverage per table, the event's village in its row print, methods and
#: payments per id block.
FORMAT = 10

_INT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: Flows: what happened in a month (summed over a period's months).
FLOW_COLUMNS: tuple[str, ...] = (
    "births",
    "births_male",
    "births_female",
    "births_compliant",
    "floating_births",
    "deaths",
    "moves_in",
    "moves_out",
    "operations",
    "operations_informed",
    "pregnancy_checks",
    "folic_acid",
    "rewards_due",
    "rewards_ok",
    "new_sites_county",
    "new_sites_township",
    "new_supply_sites",
)
#: Stocks: what stands at a month's end (a period takes its first month's start and last end).
STOCK_COLUMNS: tuple[str, ...] = (
    "pop",
    "floating_pop",
    "married_wcba",
    "long_acting",
    "short_acting_users",
    "households",
)
#: Distinct counts over a month range of one year (they do not add across months).
RANGE_COLUMNS: tuple[str, ...] = (
    "households_reached",
    "supply_served",
    "pregnancy_check_persons",
    "folic_acid_persons",
)
UNIT_COLUMNS: tuple[str, ...] = (
    "village_code",
    "village_name",
    "village_kind",
    "village_lat",
    "village_lon",
    "township_id",
    "township_code",
    "township_name",
    "township_lat",
    "township_lon",
)


def _counts(names: tuple[str, ...]) -> list[sa.Column[int]]:
    return [sa.Column(n, _INT, nullable=False, default=0) for n in names]


meta = sa.Table(
    "summary_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text),
)
flow = sa.Table(
    "summary_flow",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("month", sa.Integer, nullable=False),  # year × 12 + month − 1
    sa.Column("village_id", sa.Integer, nullable=False),
    *_counts(FLOW_COLUMNS),
    sa.Index("ix_summary_flow", "generation", "month", "village_id"),
)
stock = sa.Table(
    "summary_stock",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("month", sa.Integer, nullable=False),  # the stock at this month's last day
    sa.Column("village_id", sa.Integer, nullable=False),
    *_counts(STOCK_COLUMNS),
    sa.Index("ix_summary_stock", "generation", "month", "village_id"),
)
month_range = sa.Table(
    "summary_range",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("first_month", sa.Integer, nullable=False),
    sa.Column("last_month", sa.Integer, nullable=False),
    sa.Column("village_id", sa.Integer, nullable=False),
    *_counts(RANGE_COLUMNS),
    sa.Index("ix_summary_range", "generation", "year", "first_month", "last_month"),
)
unit = sa.Table(
    "summary_unit",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("village_id", sa.Integer, nullable=False),
    sa.Column("village_code", sa.String(32)),
    sa.Column("village_name", sa.String(64)),
    sa.Column("village_kind", sa.String(8)),
    sa.Column("village_lat", sa.Float),
    sa.Column("village_lon", sa.Float),
    sa.Column("township_id", sa.Integer),
    sa.Column("township_code", sa.String(32)),
    sa.Column("township_name", sa.String(64)),
    sa.Column("township_lat", sa.Float),
    sa.Column("township_lon", sa.Float),
    sa.Index("ix_summary_unit", "generation"),
)
quota = sa.Table(
    "summary_quota",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("township_id", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("quota", _INT, nullable=False),
    sa.Index("ix_summary_quota", "generation", "year"),
)
quality = sa.Table(
    "summary_quality",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("village_id", sa.Integer),  # NULL: the record's village is missing or unknown
    sa.Column("check_code", sa.String(32), nullable=False),
    sa.Column("tbl", sa.String(24), nullable=False),  # the table of the records counted
    sa.Column("n", _INT, nullable=False),
    sa.Index("ix_summary_quality", "generation"),
)
fingerprint = sa.Table(
    "summary_fingerprint",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("spec", sa.String(40), nullable=False),
    sa.Column("village_id", sa.Integer, nullable=False),  # −1: rows without a known village
    sa.Column("key", sa.String(120), nullable=False),
    sa.Column("bucket", sa.Integer, nullable=False),
    sa.Column("n", _INT, nullable=False),
    sa.Column("s1", _INT, nullable=False),
    sa.Column("s2", _INT, nullable=False),
    sa.Column("m", _INT, nullable=False),
    sa.Column("mi", _INT, nullable=False),
    sa.Index("ix_summary_fingerprint", "generation", "village_id"),
)
row_print = sa.Table(
    "summary_row_print",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("tbl", sa.String(24), nullable=False),
    sa.Column("village_id", sa.Integer, nullable=False),  # −1: rows without a known village
    sa.Column("part", sa.String(24), nullable=False),  # 'n', 'id' or a column
    sa.Column("s", _INT, nullable=False),
    sa.Index("ix_summary_row_print", "generation"),
)
block_print = sa.Table(
    "summary_block_print",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("tbl", sa.String(24), nullable=False),
    sa.Column("block", sa.Integer, nullable=False),  # ids block × size + 1 … (block + 1) × size
    sa.Column("village_id", sa.Integer, nullable=False),
    sa.Column("part", sa.String(24), nullable=False),
    sa.Column("s", _INT, nullable=False),
    sa.Index("ix_summary_block_print", "generation"),
)
coverage = sa.Table(
    "summary_coverage",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("tbl", sa.String(24), nullable=False),
    sa.Column("village_id", sa.Integer, nullable=False),  # −1: rows without a known village
    sa.Column("month", sa.Integer, nullable=False),  # year × 12 + month − 1
    sa.Column("n", _INT, nullable=False),
    sa.Index("ix_summary_coverage", "generation"),
)
last_change = sa.Table(
    "summary_last_change",
    metadata,
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("village_id", sa.Integer, nullable=False),
    sa.Column("day", sa.String(10)),  # ISO day; NULL: none
    sa.Index("ix_summary_last_change", "generation"),
)

#: Tables whose rows belong to a generation (copied forward, or replaced, by each refresh).
GENERATION_TABLES: tuple[sa.Table, ...] = (
    flow,
    stock,
    month_range,
    unit,
    quota,
    quality,
    fingerprint,
    row_print,
    block_print,
    coverage,
    last_change,
)


def month_index(year: int, month: int) -> int:
    """The store's month number: year × 12 + (month − 1)."""
    return year * 12 + month - 1


def month_of(index: int) -> tuple[int, int]:
    """(year, month) of a store month number."""
    return index // 12, index % 12 + 1


@contextmanager
def _one_line() -> Iterator[None]:
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_summary", reason=one_line(exc)) from exc


def make_store(url: str) -> sa.Engine:
    """An engine on the summary store; its tables are created when missing. A SQLite store
    runs in WAL mode: pages keep reading the current generation while a refresh writes."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _wal(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

    with _one_line():
        metadata.create_all(engine)
        with engine.connect() as conn:
            stale = current_generation(conn) is not None and read_meta(conn).get("format") != str(FORMAT)
        if stale:
            metadata.drop_all(engine)
            metadata.create_all(engine)
    return engine


def read_meta(conn: sa.Connection) -> dict[str, str]:
    return {k: v for k, v in conn.execute(sa.select(meta.c.key, meta.c.value)).all()}


def current_generation(conn: sa.Connection) -> int | None:
    """The generation readers use (None before the first refresh)."""
    value = conn.execute(sa.select(meta.c.value).where(meta.c.key == "current_generation")).scalar()
    return int(value) if value not in (None, "") else None


def set_meta(conn: sa.Connection, values: dict[str, str]) -> None:
    for key, value in values.items():
        updated = conn.execute(sa.update(meta).where(meta.c.key == key).values(value=value)).rowcount
        if not updated:
            conn.execute(sa.insert(meta).values(key=key, value=value))


def acquire_lock(engine: sa.Engine, owner: str, stale_after_s: float = 1800) -> bool:
    """Take the refresh lock (one refresh at a time across processes); a lock older than
    ``stale_after_s`` (a refresh that died) is taken over. The take is a compare-and-set on
    the lock row, so two processes that both saw it free cannot both win."""
    now = datetime.now().timestamp()
    mine = f"{owner}@{now}"
    with _one_line():
        try:
            with engine.begin() as conn:
                row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "lock")).scalar()
                if row is None:
                    conn.execute(sa.insert(meta).values(key="lock", value=mine))
                    return True
                holder, _, since = str(row).rpartition("@")
                if row and holder != owner and since and now - float(since) < stale_after_s:
                    return False
                taken = conn.execute(
                    sa.update(meta).where(meta.c.key == "lock", meta.c.value == row).values(value=mine)
                ).rowcount
                return bool(taken == 1)
        except sa.exc.IntegrityError:  # another process inserted the lock row first
            return False


def release_lock(engine: sa.Engine, owner: str) -> None:
    with _one_line(), engine.begin() as conn:
        row = conn.execute(sa.select(meta.c.value).where(meta.c.key == "lock")).scalar()
        if row and str(row).rpartition("@")[0] == owner:
            set_meta(conn, {"lock": ""})


def switch_to(engine: sa.Engine, generation: int, values: dict[str, str], *, prune: bool = True) -> None:
    """Make ``generation`` current (with its meta values) in one transaction, then (``prune``)
    drop every generation older than the one before it (``prune_before``)."""
    with _one_line(), engine.begin() as conn:
        set_meta(conn, {**values, "current_generation": str(generation)})
    if prune:
        prune_before(engine, generation - 1)


def prune_before(engine: sa.Engine, generation: int) -> None:
    """Drop every generation older than ``generation`` (readers mid-way keep that one)."""
    with _one_line(), engine.begin() as conn:
        for table in GENERATION_TABLES:
            conn.execute(sa.delete(table).where(table.c.generation < generation))


def discard(engine: sa.Engine, generation: int) -> None:
    """Remove a generation that was being built (a failed refresh)."""
    with _one_line(), engine.begin() as conn:
        for table in GENERATION_TABLES:
            conn.execute(sa.delete(table).where(table.c.generation == generation))
