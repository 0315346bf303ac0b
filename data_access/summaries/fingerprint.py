"""What the registry looked like, month by month: per date column, rows counted by the month
their date falls in (with sums of their ids and of the village or person they belong to), so
that an incremental refresh can tell which months changed since the last one.

A row inserted, deleted, moved to another village or re-dated changes the counts or sums of
the months it leaves and enters; the earliest such month is where recomputing starts. Months
are the summaries' granularity: a date moved within its month changes nothing they hold, and
is not looked for. Birth dates are bucketed by the month of the 15th and the 50th birthday,
the only months a birth date moves a count in. A change before the first month summarised, or
in a column no month can be told for, makes the whole horizon recomputed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa

from data_access.queries.common import rows_frame
from data_access.schema import birth, contraception, demo_site, household, person, reward_payment, service_event
from data_access.summaries.compute import NEVER, month_bucket

_SUM = sa.func.coalesce


def _shifted(starts: list[date], years: int) -> list[date]:
    out = []
    for s in starts:
        try:
            out.append(s.replace(year=s.year - years))
        except ValueError:  # 29 February
            out.append(s.replace(year=s.year - years, day=28))
    return out


@dataclass(frozen=True)
class Spec:
    """One fingerprint: a table's rows that have the date column (``where`` narrows them), the
    column bucketed by month (shifted ``years`` back), the columns whose values separate the
    rows, and two integer sums that move when a row does."""

    name: str
    table: str
    column: Callable[[], sa.ColumnElement[Any]]
    keys: Callable[[], list[sa.ColumnElement[Any]]]
    sums: Callable[[], tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]]
    years: int = 0
    # Whether a change among rows dated before the horizon moves a summarised number: a person
    # registered, or a method started, before it is present during it; a death or an event
    # before it is not (and a row that is, is placed by another spec).
    before_matters: bool = False
    # Rows the spec looks at, e.g. only married local women for the marriage and birthday months.
    where: Callable[[], sa.ColumnElement[bool]] | None = None
    # Only rows that existed at the last refresh (new rows are placed by their registration).
    old_rows_only: bool = False


def _ids(
    table: sa.Table, other: sa.ColumnElement[Any]
) -> Callable[[], tuple[sa.ColumnElement[Any], sa.ColumnElement[Any]]]:
    return lambda: (table.c.id, other)


def _married_women() -> sa.ColumnElement[bool]:
    return sa.and_(person.c.sex == "F", person.c.marital_status == "married", person.c.hukou == "local")


SPECS: tuple[Spec, ...] = (
    Spec(
        "person.registered_on",
        "person",
        lambda: person.c.registered_on,
        lambda: [person.c.hukou],
        _ids(person, _SUM(person.c.village_id, 0)),
        before_matters=True,
    ),
    Spec(
        "person.left_on",
        "person",
        lambda: person.c.left_on,
        lambda: [person.c.hukou],
        _ids(person, _SUM(person.c.village_id, 0)),
    ),
    Spec(
        "person.death_date",
        "person",
        lambda: person.c.death_date,
        lambda: [person.c.hukou],
        _ids(person, _SUM(person.c.village_id, 0)),
    ),
    # A marriage dated in the horizon starts counting then; a married woman's status or hukou
    # changing (no date is recorded for it) rewrites every month: before_matters.
    Spec(
        "person.married_on",
        "person",
        lambda: person.c.married_on,
        lambda: [],
        _ids(person, _SUM(person.c.village_id, 0)),
        before_matters=True,
        where=_married_women,
        old_rows_only=True,
    ),
    Spec(
        "person.birth15",
        "person",
        lambda: person.c.birth_date,
        lambda: [],
        _ids(person, _SUM(person.c.village_id, 0)),
        years=15,
        where=_married_women,
        old_rows_only=True,
    ),
    Spec(
        "person.birth50",
        "person",
        lambda: person.c.birth_date,
        lambda: [],
        _ids(person, _SUM(person.c.village_id, 0)),
        years=50,
        where=_married_women,
        old_rows_only=True,
    ),
    Spec(
        "birth.birth_date",
        "birth",
        lambda: birth.c.birth_date,
        lambda: [birth.c.hukou, birth.c.sex, birth.c.policy_compliant],
        _ids(birth, _SUM(birth.c.village_id, 0)),
    ),
    Spec(
        "contraception.start_date",
        "contraception",
        lambda: contraception.c.start_date,
        lambda: [contraception.c.method],
        _ids(contraception, contraception.c.woman_id),
        before_matters=True,
    ),
    Spec(
        "contraception.end_date",
        "contraception",
        lambda: contraception.c.end_date,
        lambda: [contraception.c.method],
        _ids(contraception, contraception.c.woman_id),
    ),
    Spec(
        "service_event.event_date",
        "service_event",
        lambda: service_event.c.event_date,
        lambda: [service_event.c.kind],
        _ids(service_event, _SUM(service_event.c.village_id, 0)),
    ),
    Spec(
        "reward_payment.due_date",
        "reward_payment",
        lambda: reward_payment.c.due_date,
        lambda: [],
        _ids(reward_payment, _SUM(reward_payment.c.person_id, 0)),
    ),
    Spec(
        "reward_payment.paid_on",
        "reward_payment",
        lambda: reward_payment.c.paid_on,
        lambda: [],
        _ids(reward_payment, sa.cast(_SUM(reward_payment.c.amount_paid, 0) * 100, sa.BigInteger)),
    ),
    Spec(
        "demo_site.established_on",
        "demo_site",
        lambda: demo_site.c.established_on,
        lambda: [demo_site.c.level, demo_site.c.kind],
        _ids(demo_site, _SUM(demo_site.c.village_id, 0)),
    ),
)
BEFORE_MATTERS = frozenset(s.name for s in SPECS if s.before_matters)
OLD_ROWS_SPECS = frozenset(s.name for s in SPECS if s.old_rows_only)
COLUMNS = ["spec", "key", "bucket", "n", "s1", "s2"]


def take(
    conn: sa.Connection, starts: list[date], tables: set[str], max_ids: dict[str, int], *, only_old_rows: bool = False
) -> pd.DataFrame:
    """Every spec's rows: spec, key (the key columns' values), bucket (0: before the horizon,
    k: its k-th month; rows without the date are left out), n, s1, s2. ``max_ids`` bounds the
    specs over old rows (``only_old_rows``: those specs alone)."""
    parts = []
    for spec in SPECS:
        if spec.table not in tables or (only_old_rows and not spec.old_rows_only):
            continue
        keys = spec.keys()
        s1, s2 = spec.sums()
        column = spec.column()
        bucket = month_bucket(column, _shifted(starts, spec.years), "f").label("bucket")
        conditions: list[sa.ColumnElement[bool]] = [column.is_not(None)]
        if spec.where is not None:
            conditions.append(spec.where())
        if spec.old_rows_only:
            conditions.append(person.c.id <= max_ids.get(spec.table, 0))
        stmt = (
            sa.select(
                *keys, bucket, sa.func.count().label("n"), sa.func.sum(s1).label("s1"), sa.func.sum(s2).label("s2")
            )
            .where(*conditions)
            .group_by(*keys, bucket)
        )
        key_columns = [f"k{i}" for i in range(len(keys))]
        rows = rows_frame(conn.execute(stmt), [*key_columns, "bucket", "n", "s1", "s2"])
        rows["key"] = (
            rows[key_columns].astype(object).where(rows[key_columns].notna(), "").astype(str).agg("|".join, axis=1)
            if keys
            else ""
        )
        rows["spec"] = spec.name
        parts.append(rows[COLUMNS])
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS)
    for name in ("bucket", "n", "s1", "s2"):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").fillna(0).astype("int64")
    frame["key"] = frame["key"].astype(str).str.slice(0, 120)
    return frame


def person_households(conn: sa.Connection, up_to_id: int) -> int:
    """Σ household of the persons that existed at the last refresh: a person put in another
    household (no date is recorded for it) rewrites the households lived in, every month."""
    return int(
        conn.execute(sa.select(_SUM(sa.func.sum(person.c.household_id), 0)).where(person.c.id <= up_to_id)).scalar()
        or 0
    )


def households(conn: sa.Connection, up_to_id: int) -> tuple[int, int, int]:
    """(rows, Σ id, Σ village) of the households that existed at the last refresh (ids up to
    ``up_to_id``): a household moved to another village, or removed, changes it; new households
    matter through the persons who live in them."""
    row = conn.execute(
        sa.select(
            sa.func.count(), _SUM(sa.func.sum(household.c.id), 0), _SUM(sa.func.sum(household.c.village_id), 0)
        ).where(household.c.id <= up_to_id)
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


def first_changed(old: pd.DataFrame, new: pd.DataFrame) -> int | None:
    """The earliest bucket (1-based month of the horizon) whose rows differ; 1 (everything)
    when the change lies before the horizon in a spec where that matters; None when nothing
    changed. Changes confined to rows without a date (or dated after the horizon) move nothing."""
    merged = old.merge(new, on=["spec", "key", "bucket"], how="outer", suffixes=("_old", "_new"))
    for column in ("n", "s1", "s2"):
        merged[f"{column}_old"] = merged[f"{column}_old"].fillna(0)
        merged[f"{column}_new"] = merged[f"{column}_new"].fillna(0)
    differs = (
        (merged["n_old"] != merged["n_new"])
        | (merged["s1_old"] != merged["s1_new"])
        | (merged["s2_old"] != merged["s2_new"])
    )
    changed = merged.loc[differs, ["spec", "bucket"]]
    changed = changed[changed["bucket"] < NEVER]
    before = changed["bucket"] == 0
    if changed.loc[before, "spec"].isin(BEFORE_MATTERS).any():
        return 1
    placed = changed.loc[~before, "bucket"].astype("int64")
    return int(placed.min()) if not placed.empty else None
