"""What the registry looked like, village by village and year by year: per date column, rows
counted by the village they count in (their own ``village_id``, or their person's for
contraception and reward payments) and the year their date falls in, with sums of their ids, of
the village or person they belong to, of their day number and of day × (id mod 1009) — so that
an incremental refresh can tell which years and which villages changed since the last one.

A row inserted, deleted, moved to another village or re-dated changes the counts or sums of
the (village, year) buckets it leaves and enters; the earliest such year is where recomputing
starts, and only the villages touched are recomputed (``Taken.villages``, widened by ``reach``
to the villages a change there moves counts of). A changed old row of a kind counted across
villages (a person checked counts where her first check is) gives ``None``: every village.
Birth dates are bucketed by the month of the 15th and the 50th birthday, the only months a
birth date moves a count in. A change before the first year summarised, where that matters,
makes the whole horizon recomputed.

Steps that keep it cheap on a large registry: the rows that existed at the last refresh (ids up
to its largest) are first summed per spec and key in one pass without grouping by village or
year, and compared with the stored prints; only a spec whose old rows changed is grouped by
village and year again — only the rows of its changed keys when it has one key column (a
deleted operation regroups the operations alone). New rows (ids above the last largest, a
primary-key range) are always grouped, and added to the prints kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from data_access.queries.common import rows_frame
from data_access.schema import birth, contraception, demo_site, household, person, reward_payment, service_event
from data_access.summaries.compute import month_bucket

_SUM = sa.func.coalesce


class day_number(sa.sql.functions.FunctionElement[int]):
    """Days since 1970-01-01 of a date column, as each dialect says it cheaply (a nested
    CASE over the months costs ten times as much on a million rows)."""

    type = sa.Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_sqlite(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) - 2440587.5 AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_postgresql(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - DATE '1970-01-01')"


@compiles(day_number, "mysql")
def _day_mysql(element: day_number, compiler: Any, **kw: Any) -> str:
    return f"(TO_DAYS({compiler.process(element.clauses, **kw)}) - 719528)"


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
    # The village the row counts in, and the join that reaches it (None: the table's own).
    village: Callable[[], sa.ColumnElement[Any]] | None = None
    source: Callable[[], sa.FromClause] | None = None
    # Keys (the first key's value) whose old rows, when changed, may move counts of villages
    # other than their own (distinct persons counted where their first event is, households
    # reached in the household's village): any village is recomputed.
    far_keys: frozenset[str] = frozenset()
    # The table's columns the spec reads (its date, keys, sums and conditions): only villages
    # where one of them changed, or rows came or went (``rowprint``), are grouped again.
    columns: tuple[str, ...] = ()


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
        columns=("registered_on", "hukou"),
    ),
    Spec(
        "person.left_on",
        "person",
        lambda: person.c.left_on,
        lambda: [person.c.hukou],
        _ids(person, _SUM(person.c.village_id, 0)),
        columns=("left_on", "hukou"),
    ),
    Spec(
        "person.death_date",
        "person",
        lambda: person.c.death_date,
        lambda: [person.c.hukou],
        _ids(person, _SUM(person.c.village_id, 0)),
        columns=("death_date", "hukou"),
    ),
    # A birth date corrected moves who counts at all (a date that is no day leaves the person
    # out) and whether a registration was a move in (registered on the day of birth or not).
    # New persons are placed by their registration.
    Spec(
        "person.birth_date",
        "person",
        lambda: person.c.birth_date,
        lambda: [person.c.hukou],
        _ids(person, _SUM(person.c.village_id, 0)),
        before_matters=True,
        old_rows_only=True,
        columns=("birth_date", "hukou"),
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
        columns=("married_on", "sex", "marital_status", "hukou"),
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
        columns=("birth_date", "sex", "marital_status", "hukou"),
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
        columns=("birth_date", "sex", "marital_status", "hukou"),
    ),
    Spec(
        "birth.birth_date",
        "birth",
        lambda: birth.c.birth_date,
        lambda: [birth.c.hukou, birth.c.sex, birth.c.policy_compliant],
        _ids(birth, _SUM(birth.c.village_id, 0)),
        columns=("birth_date", "hukou", "sex", "policy_compliant"),
    ),
    Spec(
        "contraception.start_date",
        "contraception",
        lambda: contraception.c.start_date,
        lambda: [contraception.c.method],
        _ids(contraception, contraception.c.woman_id),
        before_matters=True,
        village=lambda: person.c.village_id,
        source=lambda: contraception.outerjoin(person, contraception.c.woman_id == person.c.id),
        columns=("start_date", "method", "woman_id"),
    ),
    Spec(
        "contraception.end_date",
        "contraception",
        lambda: contraception.c.end_date,
        lambda: [contraception.c.method],
        _ids(contraception, contraception.c.woman_id),
        village=lambda: person.c.village_id,
        source=lambda: contraception.outerjoin(person, contraception.c.woman_id == person.c.id),
        columns=("end_date", "method", "woman_id"),
    ),
    Spec(
        "service_event.event_date",
        "service_event",
        lambda: service_event.c.event_date,
        lambda: [service_event.c.kind],
        # Who and which household an event is for, and informed choice, move counts too.
        _ids(
            service_event,
            _SUM(service_event.c.village_id, 0)
            + 31 * _SUM(service_event.c.person_id, 0)
            + 37 * _SUM(service_event.c.household_id, 0)
            + 41 * _SUM(sa.cast(service_event.c.informed_choice, sa.Integer), 0),
        ),
        far_keys=frozenset({"publicity_visit", "supply_service", "pregnancy_check", "folic_acid"}),
        columns=("event_date", "kind", "person_id", "household_id", "informed_choice"),
    ),
    Spec(
        "reward_payment.due_date",
        "reward_payment",
        lambda: reward_payment.c.due_date,
        lambda: [],
        _ids(
            reward_payment,
            _SUM(reward_payment.c.person_id, 0)
            + 31 * sa.cast(_SUM(reward_payment.c.amount_due, 0) * 100, sa.BigInteger),
        ),
        village=lambda: person.c.village_id,
        source=lambda: reward_payment.outerjoin(person, reward_payment.c.person_id == person.c.id),
        columns=("due_date", "person_id", "amount_due"),
    ),
    Spec(
        "reward_payment.paid_on",
        "reward_payment",
        lambda: reward_payment.c.paid_on,
        lambda: [],
        _ids(reward_payment, sa.cast(_SUM(reward_payment.c.amount_paid, 0) * 100, sa.BigInteger)),
        village=lambda: person.c.village_id,
        source=lambda: reward_payment.outerjoin(person, reward_payment.c.person_id == person.c.id),
        columns=("paid_on", "amount_paid"),
    ),
    Spec(
        "demo_site.established_on",
        "demo_site",
        lambda: demo_site.c.established_on,
        lambda: [demo_site.c.level, demo_site.c.kind],
        _ids(demo_site, _SUM(demo_site.c.village_id, 0)),
        columns=("established_on", "level", "kind"),
    ),
)
BEFORE_MATTERS = frozenset(s.name for s in SPECS if s.before_matters)
OLD_ROWS_SPECS = frozenset(s.name for s in SPECS if s.old_rows_only)
SUMS = ["n", "s1", "s2", "m", "mi"]
COLUMNS = ["spec", "village_id", "key", "bucket", *SUMS]  # village_id: −1 for none known
TABLES: dict[str, sa.Table] = {
    t.name: t for t in (person, birth, contraception, service_event, reward_payment, demo_site, household)
}


def village_of(spec: Spec) -> sa.ColumnElement[Any]:
    """The village a spec's rows count in."""
    return spec.village() if spec.village is not None else TABLES[spec.table].c.village_id


def _statement(
    spec: Spec, year_starts: list[date], month_starts: list[date], ids: tuple[int, int], *, by_year: bool
) -> sa.Select[Any]:
    """The spec's sums over rows with ids in (ids[0], ids[1]] dated before the horizon's end:
    per village, key and year (``by_year``), else per key alone (the cheap pass that says
    whether anything changed: the sums move when a row changes village too)."""
    table = TABLES[spec.table]
    keys = spec.keys()
    s1, s2 = spec.sums()
    column = spec.column()
    shifted_months = _shifted(month_starts, spec.years)
    day = day_number(column)
    conditions: list[sa.ColumnElement[bool]] = [
        column.is_not(None),
        column < sa.bindparam("horizon_end", shifted_months[-1], type_=sa.Date),
        table.c.id > ids[0],
        table.c.id <= ids[1],
    ]
    if spec.where is not None:
        conditions.append(spec.where())
    groups = list(keys)
    if by_year:
        groups = [village_of(spec), *keys, month_bucket(column, _shifted(year_starts, spec.years), "y").label("bucket")]
    return (
        sa.select(
            *groups,
            sa.func.count().label("n"),
            sa.func.sum(s1).label("s1"),
            sa.func.sum(s2).label("s2"),
            sa.func.sum(day).label("m"),
            # Two rows swapping dates leave Σ day alone, not Σ day × (id mod p).
            sa.func.sum(day * (table.c.id % 1009)).label("mi"),
        )
        .select_from(spec.source() if spec.source is not None and by_year else table)
        .where(*conditions)
        .group_by(*groups)
    )


def _rows(
    conn: sa.Connection, spec: Spec, stmt: sa.Select[Any], *, by_year: bool, known: set[int] | None = None
) -> pd.DataFrame:
    n_keys = len(spec.keys())
    key_columns = [f"k{i}" for i in range(n_keys)]
    rows = rows_frame(
        conn.execute(stmt), [*(["village"] if by_year else []), *key_columns, *(["bucket"] if by_year else []), *SUMS]
    )
    # The key: "village|k0|k1…" (the village first: see ``key_village``); "k0|k1…" per key alone.
    parts: list[pd.Series] = []
    if by_year:
        village = pd.to_numeric(rows["village"], errors="coerce").astype("Int64").astype(object)
        parts.append(village.where(village.notna(), "").astype(str))
    for column in key_columns:
        parts.append(rows[column].astype(object).where(rows[column].notna(), "").astype(str))
    if rows.empty or not parts:
        rows["key"] = ""
    else:  # joined column by column (a join per row costs seconds on 40,000 prints)
        key = parts[0]
        for part in parts[1:]:
            key = key + "|" + part
        rows["key"] = key.str.slice(0, 120)
    rows["spec"] = spec.name
    if not by_year:
        rows["bucket"] = -1
    village_id = pd.to_numeric(rows["village"], errors="coerce") if by_year else pd.Series(-1, index=rows.index)
    if known is not None:
        village_id = village_id.where(village_id.isin(list(known)))
    rows["village_id"] = village_id.fillna(-1).astype("int64")
    for name in ("bucket", *SUMS):
        rows[name] = pd.to_numeric(rows[name], errors="coerce").fillna(0).astype("int64")
    return rows[COLUMNS]


def _combine(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Prints added up per (spec, key, bucket)."""
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in SUMS or c == "bucket" else object) for c in COLUMNS})
    both = pd.concat(frames, ignore_index=True)
    return both.groupby(["spec", "village_id", "key", "bucket"], as_index=False)[SUMS].sum()[COLUMNS]


ANY = None  # a change that may reach any village


@dataclass(frozen=True)
class Taken:
    """The prints to keep for the next refresh (of the villages ``take`` was given the old
    prints of; all of them in a full refresh), the earliest changed year bucket (None: nothing
    changed; 1: the first year, i.e. everything) and the villages whose rows changed (``None``:
    any village may have, recompute all)."""

    prints: pd.DataFrame
    first_changed: int | None
    villages: frozenset[int] | None = frozenset()
    # Per table, the largest id of the last refresh when rows above it were found (new rows).
    new_rows: dict[str, int] = field(default_factory=dict)


def key_village(key: str) -> int | None:
    """The village of a print's key ("village|k0|…"; None: no village)."""
    head = key.split("|", 1)[0]
    return int(head) if head.lstrip("-").isdigit() else None


def _first_key(key: str) -> str:
    parts = key.split("|")
    return parts[1].strip().lower() if len(parts) > 1 else ""


def take(
    conn: sa.Connection,
    year_starts: list[date],
    month_starts: list[date],
    tables: set[str],
    max_ids: dict[str, int],
    old: pd.DataFrame | None = None,
    old_max_ids: dict[str, int] | None = None,
    changed: Callable[[str, tuple[str, ...]], frozenset[int]] | None = None,
    known: set[int] | None = None,
) -> Taken:
    """Every spec's prints over the rows now (ids up to ``max_ids``; villages not ``known``
    as −1), compared with ``old`` when given: the last refresh's prints (of rows with ids up
    to ``old_max_ids``) of every village whose rows changed or were added. ``changed`` (table,
    columns) says in which villages old rows of the table changed in those columns or came or
    went (``rowprint.Changes.where``) — only their rows are grouped by year again; their other
    prints stand, and new rows are added to them. The prints returned are those villages'."""
    parts: list[pd.DataFrame] = []
    changed_years: list[int] = []
    villages: set[int] = set()
    anywhere = False
    new_rows: dict[str, int] = {}
    old_max_ids = old_max_ids or {}

    def note(frame: pd.DataFrame, spec: Spec, *, old_rows: bool) -> None:
        nonlocal anywhere
        buckets = set(frame["bucket"].astype(int))
        if 0 in buckets and spec.before_matters:
            buckets.add(1)
        years = [b for b in buckets if b > 0]
        if not years:
            return
        changed_years.extend(years)
        # (A change before the horizon moves every month of a before_matters spec's village.)
        counted = frame if spec.before_matters else frame[frame["bucket"] > 0]
        villages.update(v for v in map(key_village, counted["key"]) if v is not None)
        if old_rows and any(_first_key(k) in spec.far_keys for k in counted["key"]):
            anywhere = True

    for spec in SPECS:
        if spec.table not in tables:
            continue
        top = max_ids.get(spec.table, 0)
        if old is None:
            stmt = _statement(spec, year_starts, month_starts, (0, top), by_year=True)
            parts.append(_rows(conn, spec, stmt, by_year=True, known=known))
            continue
        before = min(old_max_ids.get(spec.table, 0), top)
        mine_old = old[old["spec"] == spec.name]
        # Rows without a known village count nowhere: their prints are not compared.
        regroup = sorted(v for v in changed(spec.table, spec.columns) if v >= 0) if changed else []
        if not regroup:
            kept = mine_old
        else:  # the changed villages' old rows, grouped by year again and compared bucket by bucket
            wanted: sa.BindParameter[list[int]] = sa.bindparam("changed_villages", regroup, expanding=True)
            stmt = _statement(spec, year_starts, month_starts, (0, before), by_year=True)
            fresh = _rows(conn, spec, stmt.where(village_of(spec).in_(wanted)), by_year=True, known=known)
            theirs = mine_old["village_id"].isin(regroup)
            note(_changed_buckets(mine_old[theirs], fresh), spec, old_rows=True)
            kept = pd.concat([mine_old[~theirs], fresh], ignore_index=True)
        # New rows: a primary-key range, grouped; they change their years.
        if top > before:
            stmt = _statement(spec, year_starts, month_starts, (before, top), by_year=True)
            new = _rows(conn, spec, stmt, by_year=True, known=known)
        else:  # (none since the last refresh)
            new = _combine([])
        if not new.empty:
            new_rows[spec.table] = before
            if not spec.old_rows_only:  # (those are placed by their registration)
                note(new, spec, old_rows=False)
        parts.append(_combine([kept, new]) if not new.empty else kept)
    # (Each spec's prints are summed per key already: the specs' keys are their own.)
    prints = pd.concat([p for p in parts if not p.empty] or [_combine([])], ignore_index=True)
    first = min(changed_years) if changed_years else None
    return Taken(prints, first, None if anywhere else frozenset(villages), new_rows)


def _changed_buckets(old: pd.DataFrame, new: pd.DataFrame) -> pd.DataFrame:
    """The (key, bucket) pairs whose sums differ."""
    merged = old.merge(new, on=["key", "bucket"], how="outer", suffixes=("_old", "_new"))
    differs = pd.Series(False, index=merged.index)
    for column in SUMS:
        differs |= merged[f"{column}_old"].fillna(0) != merged[f"{column}_new"].fillna(0)
    return merged.loc[differs, ["key", "bucket"]]


def reach(
    conn: sa.Connection, villages: frozenset[int], tables: set[str], new_events_above: int | None
) -> frozenset[int]:
    """``villages`` and the villages their changes reach: the households' villages of their
    persons (households lived in are counted where the household is), and for new service
    events (ids above ``new_events_above``) the villages of their households and persons and
    of every quota event of their persons (a person checked counts where her first check is)."""
    found = set(villages)

    def add(stmt: sa.Select[Any]) -> None:
        found.update(int(v) for v in conn.execute(stmt).scalars() if v is not None)

    if villages and "household" in tables:
        wanted: sa.BindParameter[list[int]] = sa.bindparam("reach_villages", sorted(villages), expanding=True)
        add(
            sa.select(household.c.village_id)
            .select_from(person.join(household, person.c.household_id == household.c.id))
            .where(person.c.village_id.in_(wanted))
            .distinct()
        )
    if new_events_above is not None and "service_event" in tables:
        new = service_event.c.id > new_events_above
        if "household" in tables:
            add(
                sa.select(household.c.village_id)
                .select_from(service_event.join(household, service_event.c.household_id == household.c.id))
                .where(new)
                .distinct()
            )
        add(
            sa.select(person.c.village_id)
            .select_from(service_event.join(person, service_event.c.person_id == person.c.id))
            .where(new)
            .distinct()
        )
        other = service_event.alias("other_event")
        add(
            sa.select(other.c.village_id)
            .where(
                other.c.person_id.in_(
                    sa.select(service_event.c.person_id).where(new, service_event.c.person_id.is_not(None))
                )
            )
            .distinct()
        )
    return frozenset(found)
