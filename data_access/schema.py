"""The registry schema contract (DESIGN.md §3) as one SQLAlchemy Core ``MetaData``.

The same tables create and work on SQLite, PostgreSQL and MariaDB. Queries in
``data_access`` only ever reference contract columns, so a registry created by someone
else with exactly the contract's tables and columns is read the same way; what this
module adds beyond the contract (the ``target.id`` key, indexes) is optional when reading.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

metadata = sa.MetaData()


class RegistryDate(sa.types.TypeDecorator[date]):
    """A contract date column. SQLite keeps dates as text, and a hand-kept registry may hold
    text that is no ISO day ('', '2026/11/28', '2019-02-30'): it reads as no date (None)
    instead of failing the whole query — the quality checks list such rows, and the counts
    leave them out. A time of day after the date is dropped. Other dialects type their
    columns and read as usual."""

    impl = sa.Date
    cache_ok = True

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> Callable[[Any], date | None] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def read(value: Any) -> date | None:
            if value is None or isinstance(value, date):
                return value.date() if isinstance(value, datetime) else value
            try:  # (date() also refuses '2019-02-30', as the SQL checks do)
                return date.fromisoformat(str(value)[:10])
            except ValueError:
                return None

        return read


# Short fixed-width text: MariaDB needs a length on VARCHAR.
_CODE = sa.String(32)
_NAME = sa.String(64)
_ENUM = sa.String(24)

township = sa.Table(
    "township",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", _CODE, nullable=False, unique=True),
    sa.Column("name", _NAME, nullable=False),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
)

village = sa.Table(
    "village",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("code", _CODE, nullable=False, unique=True),
    sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id"), nullable=False),
    sa.Column("name", _NAME, nullable=False),
    sa.Column("kind", sa.String(8)),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Index("ix_village_township", "township_id"),
)

household = sa.Table(
    "household",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("village_id", sa.Integer, sa.ForeignKey("village.id"), nullable=False),
    sa.Column("code", _CODE),
    sa.Index("ix_household_village", "village_id"),
)

person = sa.Table(
    "person",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("id_number", sa.String(24)),
    sa.Column("name", _NAME),
    sa.Column("sex", sa.String(1)),
    sa.Column("birth_date", RegistryDate),
    sa.Column("village_id", sa.Integer, sa.ForeignKey("village.id")),
    sa.Column("household_id", sa.Integer, sa.ForeignKey("household.id")),
    sa.Column("hukou", sa.String(12)),
    sa.Column("marital_status", sa.String(12)),
    sa.Column("married_on", RegistryDate),
    sa.Column("registered_on", RegistryDate),
    sa.Column("left_on", RegistryDate),
    sa.Column("death_date", RegistryDate),
    # Covers the population-at-a-date scan per village without touching the table.
    sa.Index(
        "ix_person_village_stock",
        "village_id",
        "hukou",
        "registered_on",
        "left_on",
        "death_date",
    ),
    # Married women of childbearing age: equality columns first, the birth-date range next,
    # then every column the condition reads, so that the index alone answers it.
    sa.Index(
        "ix_person_wcba",
        "sex",
        "marital_status",
        "hukou",
        "birth_date",
        "married_on",
        "registered_on",
        "left_on",
        "death_date",
        "village_id",
    ),
    sa.Index("ix_person_death", "death_date"),
    sa.Index("ix_person_household", "household_id"),
    sa.Index("ix_person_id_number", "id_number"),
)

birth = sa.Table(
    "birth",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("mother_id", sa.Integer, sa.ForeignKey("person.id")),
    sa.Column("child_id", sa.Integer, sa.ForeignKey("person.id")),
    sa.Column("village_id", sa.Integer, sa.ForeignKey("village.id")),
    sa.Column("birth_date", RegistryDate),
    sa.Column("sex", sa.String(1)),
    sa.Column("parity", sa.Integer),
    sa.Column("policy_compliant", sa.Boolean),
    sa.Column("hukou", sa.String(12)),
    sa.Index("ix_birth_date_village", "birth_date", "village_id"),
    sa.Index("ix_birth_mother", "mother_id"),
)

contraception = sa.Table(
    "contraception",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("woman_id", sa.Integer, sa.ForeignKey("person.id"), nullable=False),
    sa.Column("method", _ENUM, nullable=False),
    sa.Column("start_date", RegistryDate),
    sa.Column("end_date", RegistryDate),
    # "Is a method of this kind in use at d" is an EXISTS probe on this index.
    sa.Index("ix_contraception_woman", "woman_id", "method", "start_date", "end_date"),
)

service_event = sa.Table(
    "service_event",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("kind", _ENUM, nullable=False),
    sa.Column("event_date", RegistryDate),
    sa.Column("village_id", sa.Integer, sa.ForeignKey("village.id")),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id")),
    sa.Column("household_id", sa.Integer, sa.ForeignKey("household.id")),
    sa.Column("operation", _ENUM),
    sa.Column("informed_choice", sa.Boolean),
    sa.Index("ix_service_event_kind_date", "kind", "event_date", "village_id"),
)

task_quota = sa.Table(
    "task_quota",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column(
        "township_id",
        sa.Integer,
        sa.ForeignKey("township.id"),
        primary_key=True,
        autoincrement=False,
    ),
    sa.Column("kind", _ENUM, primary_key=True),
    sa.Column("quota", sa.Integer, nullable=False),
)

reward_payment = sa.Table(
    "reward_payment",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("person.id")),
    sa.Column("scheme", sa.String(8)),
    sa.Column("amount_due", sa.Numeric(12, 2)),
    sa.Column("due_date", RegistryDate),
    sa.Column("amount_paid", sa.Numeric(12, 2)),
    sa.Column("paid_on", RegistryDate),
    sa.Index("ix_reward_payment_due", "due_date"),
)

demo_site = sa.Table(
    "demo_site",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("village_id", sa.Integer, sa.ForeignKey("village.id")),
    sa.Column("kind", _ENUM),
    sa.Column("level", sa.String(12)),
    sa.Column("established_on", RegistryDate),
)

target = sa.Table(
    "target",
    metadata,
    # Not part of the contract: a surrogate key so that rows can be edited one by one.
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("indicator", sa.String(40), nullable=False),
    sa.Column("township_id", sa.Integer, sa.ForeignKey("township.id")),
    sa.Column("op", sa.String(8), nullable=False),
    sa.Column("value", sa.Float),
    sa.Column("low", sa.Float),
    sa.Column("high", sa.Float),
    sa.Column("amber", sa.Float),
    sa.Index("ix_target_year", "year", "indicator"),
)

#: Tables (and the contract columns in them) without which no headline indicator can be
#: computed. The service tables are checked by the features that use them.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "township": ("id", "code", "name"),
    "village": ("id", "code", "township_id", "name"),
    "person": (
        "id",
        "sex",
        "birth_date",
        "village_id",
        "hukou",
        "marital_status",
        "married_on",
        "registered_on",
        "left_on",
        "death_date",
    ),
    "birth": ("id", "village_id", "birth_date", "sex", "policy_compliant", "hukou"),
    "contraception": ("id", "woman_id", "method", "start_date", "end_date"),
}


def create_tables(engine_or_conn: sa.Engine | sa.Connection, *, with_indexes: bool = True) -> None:
    """Create every contract table (idempotent); indexes too unless ``with_indexes`` is False.

    Bulk loaders create the tables bare, insert, then call :func:`create_indexes`: building an
    index once over loaded rows is much cheaper than maintaining it row by row.
    """
    if with_indexes:
        metadata.create_all(engine_or_conn)
        return
    saved = {t: set(t.indexes) for t in metadata.sorted_tables}
    try:
        for t in metadata.sorted_tables:
            t.indexes.clear()
        metadata.create_all(engine_or_conn)
    finally:
        for t, idx in saved.items():
            t.indexes.update(idx)


def create_indexes(conn: sa.Connection) -> None:
    """Create the hot-query indexes that do not exist yet."""
    existing: set[str] = set()
    inspector = sa.inspect(conn)
    for t in metadata.sorted_tables:
        existing.update(str(ix["name"]) for ix in inspector.get_indexes(t.name) if ix.get("name"))
    for t in metadata.sorted_tables:
        for ix in t.indexes:
            if ix.name not in existing:
                ix.create(conn)
