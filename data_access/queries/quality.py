"""What the data-quality checks read: ID numbers, mothers' ages, dated records, the latest
change per village, moves (the checks themselves are ``dashboard.domain.quality``)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from dashboard.domain import quality
from dashboard.domain.periods import last_complete_month_end
from data_access.db import relations
from data_access.filters import Bounds, DayRange
from data_access.queries.common import (
    LONG_ACTING_METHODS,
    NOTHING,
    SHORT_ACTING_METHODS,
    Scope,
    Scopes,
    count_if,
    fast_frame,
    in_scope,
    rows_frame,
    scope_of,
)
from data_access.queries.validity import (
    DATE_COLUMNS,
    PERSON_DATES,
    code,
    exact,
    has_time_part,
    not_bare_day,
    plain_id_number,
    valid_date,
)
from data_access.schema import (
    birth,
    contraception,
    demo_site,
    household,
    person,
    reward_payment,
    service_event,
    target,
    task_quota,
    township,
    village,
)


def _missing(referenced: sa.Table, column: sa.ColumnElement[Any]) -> sa.ColumnElement[bool]:
    """No row of ``referenced`` has this id. NOT EXISTS, not NOT IN (subquery): PostgreSQL runs
    NOT IN over a table larger than work_mem as a scan per row (20+ minutes at 460k persons)
    where NOT EXISTS is a hash anti-join on every engine."""
    other = referenced.alias(f"known_{referenced.name}")  # never correlated with the outer query's own join
    return ~sa.exists().where(other.c.id == column)


def persons_for_id_checks(
    conn: sa.Connection,
    villages: Scope = None,
    id_range: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Every person's id, ID number, sex, birth date and village (for the ID-number checks);
    ``villages``: only persons placed in that scope — the records behind counts the summaries
    placed; ``id_range`` = (after, up to): only persons with ids in that range."""
    stmt = sa.select(person.c.id, person.c.id_number, person.c.sex, person.c.birth_date, person.c.village_id)
    if id_range is not None:
        stmt = stmt.where(person.c.id > id_range[0], person.c.id <= id_range[1])
    if villages is not None:
        stmt = stmt.where(in_scope(person.c.village_id, villages))
    # Every person: straight from the cursor (the checks parse dates themselves).
    return fast_frame(conn, stmt, ["person_id", "id_number", "sex", "birth_date", "village_id"])


def mother_ages(conn: sa.Connection, scope: Scope = None) -> pd.DataFrame:
    """Local births (of ``scope``'s villages) with their mother's birth date: birth_id,
    village_id, birth_date, mother_id, mother_birth_date."""
    mother = person.alias("mother")
    stmt = (
        sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.mother_id, mother.c.birth_date)
        .select_from(birth.join(mother, birth.c.mother_id == mother.c.id))
        .where(
            in_scope(birth.c.village_id, scope),
            code(birth.c.hukou) == "local",
            mother.c.birth_date.is_not(None),
            birth.c.birth_date.is_not(None),
        )
    )
    return rows_frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "mother_id", "mother_birth_date"])


def births_missing_fields(conn: sa.Connection, scope: Scope = None) -> pd.DataFrame:
    """Local births (of ``scope``'s villages) without sex or without the compliance flag."""
    stmt = sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.sex, birth.c.policy_compliant).where(
        in_scope(birth.c.village_id, scope),
        code(birth.c.hukou) == "local",
        sa.or_(birth.c.sex.is_(None), birth.c.policy_compliant.is_(None)),
    )
    return rows_frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "sex", "policy_compliant"])


@dataclass(frozen=True)
class _Dated:
    """One dated field checked in a scan (``dated_records``)."""

    check: str
    source: sa.FromClause  # the table, or its join: the fields of one source share a scan
    keys: tuple[sa.ColumnElement[Any], ...]  # record id, person id, village id
    date: sa.Column[Any]  # the field (of the table checked)
    condition: sa.ColumnElement[bool]


def dated_records(
    conn: sa.Connection, after: date | None = None, before_birth: bool = False, scope: Scope | Scopes = None
) -> pd.DataFrame:
    """Records dated after ``after`` (check ``event_future``) and, with ``before_birth``, before
    the person's birth (``event_before_birth``).

    Columns: check, table, field, record_id, person_id, village_id, date. Checked fields:
    person's registered_on, left_on, death_date, married_on (and birth_date for the future);
    birth dates (against the mother); contraception start; service events (also before the
    person's birth); reward payments made; demonstration sites. Rows come per check and field
    in that order, each field's as the database reads them. ``scope``: the records placed in
    those villages only (per table, when a mapping).
    """
    present = relations(conn)
    tests: list[_Dated] = []

    def later(source: sa.FromClause, keys: tuple[sa.ColumnElement[Any], ...], col: sa.Column[Any]) -> None:
        tests.append(_Dated("event_future", source, keys, col, col >= limit))

    def earlier(
        source: sa.FromClause, keys: tuple[sa.ColumnElement[Any], ...], col: sa.Column[Any], born: sa.Column[Any]
    ) -> None:
        tests.append(_Dated("event_before_birth", source, keys, col, sa.and_(col < born, valid_date(born))))

    personal = (person.c.id, person.c.id, person.c.village_id)
    births = (birth.c.id, birth.c.mother_id, birth.c.village_id)
    women = contraception.join(person, contraception.c.woman_id == person.c.id)
    womens = (contraception.c.id, contraception.c.woman_id, person.c.village_id)
    events = (service_event.c.id, service_event.c.person_id, service_event.c.village_id)
    limit = sa.bindparam("after", after + timedelta(days=1) if after else None, type_=sa.Date)
    if after is not None:
        for field in PERSON_DATES:
            later(person, personal, person.c[field])
        later(birth, births, birth.c.birth_date)
        later(women, womens, contraception.c.start_date)
        later(service_event, events, service_event.c.event_date)
        paid = reward_payment.join(person, reward_payment.c.person_id == person.c.id)
        later(paid, (reward_payment.c.id, reward_payment.c.person_id, person.c.village_id), reward_payment.c.paid_on)
        later(demo_site, (demo_site.c.id, sa.null(), demo_site.c.village_id), demo_site.c.established_on)
    if before_birth:
        for field in PERSON_DATES[1:]:  # after birth_date itself
            earlier(person, personal, person.c[field], person.c.birth_date)
        earlier(women, womens, contraception.c.start_date, person.c.birth_date)
        mother = person.alias("mother")
        mothers = birth.join(mother, birth.c.mother_id == mother.c.id)
        earlier(mothers, births, birth.c.birth_date, mother.c.birth_date)
        persons = service_event.join(person, service_event.c.person_id == person.c.id)
        earlier(persons, events, service_event.c.event_date, person.c.birth_date)
    tests = [t for t in tests if t.date.table.name in present]
    columns = ["check", "table", "field", "record_id", "person_id", "village_id", "date"]
    found: dict[int, pd.DataFrame] = {}
    # One statement per source, not per field: person is read once for all nine of its tests.
    for source in dict.fromkeys(t.source for t in tests):
        mine = [(i, t) for i, t in enumerate(tests) if t.source is source]
        selected: list[sa.ColumnElement[Any]] = list(mine[0][1].keys)
        for n, (_, t) in enumerate(mine):
            selected += [sa.case((t.condition, 1), else_=0).label(f"flag_{n}"), t.date.label(f"date_{n}")]
        mine_scope = scope_of(scope, mine[0][1].date.table.name)
        if mine_scope == NOTHING:
            continue
        placed = in_scope(mine[0][1].keys[2], mine_scope)
        # The village first: SQLite tests the terms in order, and the scope rules out most rows.
        stmt = sa.select(*selected).select_from(source).where(placed, sa.or_(*(t.condition for _, t in mine)))
        names = [f"{what}_{n}" for n in range(len(mine)) for what in ("flag", "date")]
        frame = rows_frame(conn.execute(stmt), ["record_id", "person_id", "village_id", *names])
        for n, (i, t) in enumerate(mine):
            # A date that is no real day reads as none: it is date_invalid's.
            rows = frame[(frame[f"flag_{n}"] == 1) & frame[f"date_{n}"].notna()]
            if not rows.empty:
                part = rows[["record_id", "person_id", "village_id"]].assign(date=rows[f"date_{n}"])
                found[i] = part.assign(check=t.check, table=t.date.table.name, field=t.date.name)[columns]
    frames = [found[i] for i in sorted(found)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def last_change(conn: sa.Connection, today: date, scope: Scope = None) -> pd.Series:
    """The latest registry change per village up to ``today`` (birth, registration, move out,
    death, marriage); a date that is no real day or lies in the future is not a change (the
    other checks count those). ``scope``: those villages only (no others in the result)."""
    latest: dict[int, object] = {}
    limit = sa.bindparam("changed_by", today, type_=sa.Date)

    def last(column: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
        return sa.func.max(sa.case((sa.and_(column <= limit, valid_date(column)), column)))

    # One scan of person for its four fields, not four.
    statements = [
        sa.select(birth.c.village_id, last(birth.c.birth_date))
        .where(in_scope(birth.c.village_id, scope))
        .group_by(birth.c.village_id),
        sa.select(person.c.village_id, *(last(person.c[f]) for f in PERSON_DATES[1:]))
        .where(in_scope(person.c.village_id, scope))
        .group_by(person.c.village_id),
    ]
    for stmt in statements:
        for village_id, *whens in conn.execute(stmt).all():
            for when in whens:
                if village_id is None or when is None:
                    continue
                when = pd.Timestamp(str(when)[:10])
                if village_id not in latest or when > latest[village_id]:
                    latest[int(village_id)] = when
    ids = conn.execute(sa.select(village.c.id)).scalars().all()
    if scope is not None:
        wanted = set(scope[0])
        ids = [v for v in ids if int(v) in wanted]
    return pd.Series({int(v): latest.get(int(v), pd.NaT) for v in ids}, dtype="datetime64[ns]")


def moves(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Local moves in (registered in the period, not at birth) and out (left in the period) per village."""
    bounds = Bounds.of(period)
    stmt = (
        sa.select(
            person.c.village_id,
            count_if(
                sa.and_(
                    person.c.registered_on >= bounds.start,
                    person.c.registered_on < bounds.end_next,
                    sa.or_(person.c.birth_date.is_(None), person.c.registered_on != person.c.birth_date),
                ),
                "moves_in",
            ),
            count_if(sa.and_(person.c.left_on >= bounds.start, person.c.left_on < bounds.end_next), "moves_out"),
        )
        .where(code(person.c.hukou) == "local", person.c.village_id.is_not(None))
        .group_by(person.c.village_id)
    )
    frame = pd.DataFrame(conn.execute(stmt).mappings().all(), columns=["village_id", "moves_in", "moves_out"])
    return frame.set_index("village_id")


# --------------------------------------------------------------------------- contract defects

#: The values the contract allows in each coded column (after trimming and case-folding).
CODES: dict[tuple[str, str], tuple[str, ...]] = {
    ("person", "hukou"): ("local", "floating"),
    ("person", "sex"): ("M", "F"),
    ("person", "marital_status"): ("single", "married", "divorced", "widowed"),
    ("birth", "hukou"): ("local", "floating"),
    ("birth", "sex"): ("M", "F"),
    ("contraception", "method"): (*LONG_ACTING_METHODS, *SHORT_ACTING_METHODS, "other"),
    ("service_event", "kind"): ("publicity_visit", "pregnancy_check", "folic_acid", "operation", "supply_service"),
    ("demo_site", "level"): ("county", "township"),
}
_TABLES = {t.name: t for t in (person, birth, contraception, service_event, reward_payment, demo_site, household)}
DEFECT_COLUMNS = ["check", "table", "record_id", "person_id", "village_id", "detail"]


def _placed(table: sa.Table) -> tuple[sa.FromClause, sa.ColumnElement[Any], sa.ColumnElement[Any]]:
    """(from clause, person id, village id) of a table's rows: a row without its own village
    is placed in its person's."""
    if table is person:
        return person, person.c.id, person.c.village_id
    if table is contraception:
        return (
            contraception.outerjoin(person, contraception.c.woman_id == person.c.id),
            contraception.c.woman_id,
            person.c.village_id,
        )
    if table is reward_payment:
        return (
            reward_payment.outerjoin(person, reward_payment.c.person_id == person.c.id),
            reward_payment.c.person_id,
            person.c.village_id,
        )
    if table is birth:
        return birth, birth.c.mother_id, birth.c.village_id
    if table is household:
        return household, sa.null(), household.c.village_id
    return table, (table.c.person_id if "person_id" in table.c else sa.null()), table.c.village_id


@dataclass(frozen=True)
class _Probe:
    """One column's checks, run in its table's scan (``contract_defects``)."""

    order: int  # where its findings come among the scans' (the order the checks are listed in)
    checks: tuple[str, ...]  # the check codes, one per test
    tests: tuple[sa.ColumnElement[bool], ...]  # the checks' definitions; they exclude each other
    suspect: sa.ColumnElement[bool]  # TRUE exactly where one of the tests is, cheaper per row
    label: sa.ColumnElement[Any]  # the finding's detail


def _probes(present: set[str]) -> dict[str, list[_Probe]]:
    """The checks of every column of the tables present that their own row can answer: dates,
    codes, and the village referred to."""
    probes: dict[str, list[_Probe]] = {}
    order = itertools.count()

    def add(
        col: sa.Column[Any],
        checks: tuple[str, ...],
        tests: tuple[sa.ColumnElement[bool], ...],
        suspect: sa.ColumnElement[bool],
        text: bool = False,
    ) -> None:
        place = next(order)
        name = col.table.name
        if name in present:
            label = sa.literal(f"{name}.{col.name} ") + (col if text else sa.cast(col, sa.String))
            probes.setdefault(name, []).append(_Probe(place, checks, tests, suspect, label))

    for name, columns in DATE_COLUMNS.items():
        for column in columns:
            col = _TABLES[name].c[column]
            tests: tuple[sa.ColumnElement[bool], ...] = (
                sa.and_(col.is_not(None), sa.not_(valid_date(col))),
                has_time_part(col),
            )
            add(col, ("date_invalid", "date_time_part"), tests, not_bare_day(col))
    for (name, column), allowed in CODES.items():
        col = _TABLES[name].c[column]
        tests = (
            sa.and_(col.is_not(None), code(col).not_in(allowed)),
            sa.and_(code(col).in_(allowed), exact(col).not_in(allowed)),
        )
        # The allowed values are written trimmed and in their case: a value is one of the two
        # defects exactly when it is none of them byte for byte, found without trimming or
        # folding each row.
        add(col, ("code_unreadable", "code_normalised"), tests, exact(col).not_in(allowed), text=True)
    for name in ("person", "birth", "household", "service_event", "demo_site"):
        col = _TABLES[name].c.village_id
        # NOT IN over the few hundred villages (without NULL ids: the NOT EXISTS it stands
        # for) is a hashed list on every engine, also inside the scan's OR.
        missing = col.not_in(sa.select(village.c.id).where(village.c.id.is_not(None)))
        add(col, ("reference_missing",), (missing,), missing)
    return probes


#: The columns that refer to a person (checked in one statement, in this order).
_PERSON_REFERENCES = (
    birth.c.mother_id,
    contraception.c.woman_id,
    reward_payment.c.person_id,
    service_event.c.person_id,
)


def _missing_persons(present: set[str], scopes: Scope | Scopes = None) -> sa.Select[Any] | None:
    """The rows referring to a person who does not exist: which (the position in
    ``_PERSON_REFERENCES``), record_id, person_id, village_id, detail. One anti-join of all the
    references: the persons are hashed once, not once per table; and the scans of contraception
    and payments then join their persons for the rows they keep only."""
    branches = []
    for which, col in enumerate(_PERSON_REFERENCES):
        table = col.table
        if table.name not in present:
            continue
        # A row placed through its person (``_placed``) has no village without that person.
        placed_alone = "village_id" in table.c
        scope = scope_of(scopes, table.name)
        if scope == NOTHING or (not placed_alone and scope is not None and not scope[1]):
            continue  # (its missing persons' rows are unplaced, outside the scope)
        own = table.c.village_id if placed_alone else sa.cast(sa.null(), sa.Integer)
        label = sa.literal(f"{table.name}.{col.name} ") + sa.cast(col, sa.String)
        branches.append(
            sa.select(
                sa.literal(which).label("which"),
                table.c.id.label("record_id"),
                col.label("person_id"),
                own.label("village_id"),
                label.label("detail"),
            ).where(in_scope(own, scope) if placed_alone else sa.true(), col.is_not(None))
        )
    if not branches:
        return None
    referring = sa.union_all(*branches).subquery("referring")
    return sa.select(referring).where(_missing(person, referring.c.person_id))


def contract_defects(conn: sa.Connection, scope: Scope | Scopes = None, *, villages: bool = True) -> pd.DataFrame:
    """Rows the contract cannot read as they are (``DEFECT_COLUMNS``):

    ``date_invalid``      a date that is no real day ('', '2026/11/28', '2019-02-30'): left out
    ``date_time_part``    a date with a time of day: read as its day
    ``code_unreadable``   a coded value the contract does not know ('X', 'patch'): left out
    ``code_normalised``   a coded value read after trimming or case-folding ('LOCAL')
    ``reference_missing`` a village, township, mother, woman or person that does not exist

    Rows come per check and column in the order listed (dates, codes, villages, persons, the
    villages' townships), each check's rows as the database reads them; ids are ``Int64``.
    ``scope``: the rows placed in those villages only (per table, when a mapping); ``villages=False`` leaves out the
    villages whose township does not exist (``orphan_villages``).
    """
    present = relations(conn)
    # One scan per table, not one per column and check: the scans cost as much as the tests.
    # The WHERE keeps a row with any defect; a flag per column says which check found it.
    parts: list[tuple[tuple[int, int, int], pd.DataFrame]] = []
    keys = ["record_id", "person_id", "village_id"]
    for name, probes in _probes(present).items():
        table_scope = scope_of(scope, name)
        if table_scope == NOTHING:
            continue
        table = _TABLES[name]
        source, person_id, village_id = _placed(table)
        columns: list[sa.ColumnElement[Any]] = [table.c.id, person_id, village_id]
        for i, p in enumerate(probes):
            flag = sa.case(*((test, k) for k, test in enumerate(p.tests, start=1)), else_=0)
            columns += [flag.label(f"flag_{i}"), p.label.label(f"detail_{i}")]
        stmt = (
            sa.select(*columns)
            .select_from(source)
            .where(in_scope(village_id, table_scope), sa.or_(*(p.suspect for p in probes)))
        )
        names = keys + [f"{what}_{i}" for i in range(len(probes)) for what in ("flag", "detail")]
        frame = rows_frame(conn.execute(stmt), names)
        for i, p in enumerate(probes):
            for k, check in enumerate(p.checks, start=1):
                found = frame[frame[f"flag_{i}"] == k]
                if not found.empty:
                    part = found[keys].assign(detail=found[f"detail_{i}"], check=check, table=name)
                    parts.append(((0, p.order, k), part))
    missing = _missing_persons(present, scope)
    if missing is not None:
        frame = rows_frame(conn.execute(missing), ["which", *keys, "detail"])
        for which, found in frame.groupby("which", sort=True):
            name = _PERSON_REFERENCES[int(which)].table.name
            part = found[[*keys, "detail"]].assign(check="reference_missing", table=name)
            parts.append(((1, int(which), 0), part))
    if villages:
        orphans = orphan_villages(conn)
        if not orphans.empty:
            parts.append(((2, 0, 0), orphans))
    if not parts:
        return pd.DataFrame(columns=DEFECT_COLUMNS)
    found = pd.concat([part for _, part in sorted(parts, key=lambda kv: kv[0])], ignore_index=True)
    return found[DEFECT_COLUMNS].astype({"person_id": "Int64", "village_id": "Int64"})


def orphan_villages(conn: sa.Connection) -> pd.DataFrame:
    """Villages whose township does not exist (``reference_missing`` of the village itself,
    which no township can hold): ``DEFECT_COLUMNS`` but the order columns."""
    orphans = rows_frame(
        conn.execute(
            sa.select(
                village.c.id, sa.literal("village.township_id ") + sa.cast(village.c.township_id, sa.String)
            ).where(_missing(township, village.c.township_id))
        ),
        ["record_id", "detail"],
    )
    return orphans.assign(check="reference_missing", table="village", person_id=None, village_id=None)


def target_rows(conn: sa.Connection) -> pd.DataFrame:
    """Every row of the target table (year, indicator, township_id, op, value, low, high,
    amber), as stored; empty without the table."""
    columns = ["year", "indicator", "township_id", "op", "value", "low", "high", "amber"]
    if not sa.inspect(conn).has_table("target"):
        return pd.DataFrame(columns=columns)
    return rows_frame(conn.execute(sa.select(*(target.c[c] for c in columns))), columns)


def quota_rows(conn: sa.Connection) -> pd.DataFrame:
    """Every task_quota row (year, township_id, kind, quota) as stored; empty without the table."""
    columns = ["year", "township_id", "kind", "quota"]
    if not sa.inspect(conn).has_table("task_quota"):
        return pd.DataFrame(columns=columns)
    return rows_frame(conn.execute(sa.select(*(task_quota.c[c] for c in columns))), columns)


def village_findings(conn: sa.Connection, today: date, scope: Scope | Scopes) -> pd.DataFrame:
    """The findings of the records placed in ``scope``'s villages (per table, when a mapping:
    a table's records are read where that table's rows changed), of every check that reads a
    record alone or with the person it names (``quality.FINDING_COLUMNS``): all but
    ``id_duplicate`` (across villages: ``duplicate_findings``), ``stale_village`` (from
    ``last_change``), villages without a township (``orphan_villages``), targets and quotas —
    what the summary refresh recomputes for the villages whose records changed."""
    parts = []
    persons = scope_of(scope, "person")
    if persons != NOTHING:
        ids = quality.id_findings(persons_for_id_checks(conn, persons))
        parts.append(ids[ids["check"] != "id_duplicate"])
    births = scope_of(scope, "birth")
    if births != NOTHING:
        parts.append(quality.mother_age_findings(mother_ages(conn, births)))
        parts.append(quality.missing_field_findings(births_missing_fields(conn, births)))
    parts.append(quality.defect_findings(contract_defects(conn, scope, villages=False)))
    dated = dated_records(conn, after=today, before_birth=True, scope=scope)
    parts += [quality.dated_findings(dated[dated["check"] == c], c) for c in ("event_future", "event_before_birth")]
    found = [p for p in parts if not p.empty]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=quality.FINDING_COLUMNS)


def finding_tables(found: pd.DataFrame) -> pd.Series:
    """The table of each finding's record (its record's prefix, else the check's): what a
    summary refresh keeps findings apart by."""
    record = found["record"].astype(str)
    prefix = record.str.partition(":")[0].where(record.str.contains(":"), "")
    by_check = found["check"].map(_CHECK_TABLES).fillna("")
    return prefix.where(prefix != "", by_check)


#: The table whose records a check without a record prefix reads.
_CHECK_TABLES = {
    "id_missing": "person",
    "id_invalid": "person",
    "id_duplicate": "person",
    "id_sex_mismatch": "person",
    "id_birth_date_mismatch": "person",
    "mother_age": "birth",
    "birth_missing_fields": "birth",
    "stale_village": "village",
    "target_invalid": "target",
    "quota_invalid": "task_quota",
}


def duplicate_findings(conn: sa.Connection) -> pd.DataFrame:
    """``id_duplicate`` over every person, as ``quality.id_findings`` finds it (a number, read
    trimmed and upper-cased, carried by more than one person), without reading every number:
    the numbers written exactly alike more than once (grouped on the number's index), and the
    numbers written otherwise (not digits and X alone: reading them may change them) with
    every person whose number reads the same — together every person a duplicate can involve."""
    number = person.c.id_number
    alike = list(
        conn.execute(
            sa.select(number).where(number.is_not(None)).group_by(number).having(sa.func.count() > 1)
        ).scalars()
    )
    columns = ["person_id", "id_number", "sex", "birth_date", "village_id"]
    picked = [person.c.id, number, person.c.sex, person.c.birth_date, person.c.village_id]
    odd = fast_frame(conn, sa.select(*picked).where(number.is_not(None), sa.not_(plain_id_number(number))), columns)
    read = odd["id_number"].astype("string").str.strip().str.upper()
    wanted = sorted({str(v) for v in alike} | {str(v) for v in read.dropna() if v})
    frames = [odd]
    for start in range(0, len(wanted), 5_000):  # (SQLite binds at most 32,766 values a statement)
        chunk: sa.BindParameter[list[str]] = sa.bindparam("numbers", wanted[start : start + 5_000], expanding=True)
        frames.append(fast_frame(conn, sa.select(*picked).where(number.in_(chunk)), columns))
    persons = pd.concat([f for f in frames if not f.empty], ignore_index=True) if wanted else odd
    if persons.empty:
        return pd.DataFrame(columns=quality.FINDING_COLUMNS)
    persons = persons.drop_duplicates("person_id").reset_index(drop=True)
    found = quality.id_findings(persons)
    return found[found["check"] == "id_duplicate"].reset_index(drop=True)


def findings(
    conn: sa.Connection,
    today: date,
    check: str | None = None,
    villages: tuple[tuple[int, ...], bool] | None = None,
    *,
    defects: bool = True,
    id_checks: bool = True,
) -> pd.DataFrame:
    """The findings of every check that does not depend on the period (``check``: that one
    alone), ``quality.FINDING_COLUMNS``: records dated after ``today`` are in the future,
    villages are stale against the last complete month; ``villages`` limits the ID-number
    checks to the persons of those villages (see :func:`persons_for_id_checks`).
    ``defects=False`` leaves out the contract defects (``contract_defects``) and
    ``id_checks=False`` the ID-number checks: the summary refresh runs them beside the rest."""

    def wanted(*codes: str) -> bool:
        return check is None or check in codes

    parts = []
    if id_checks and wanted("id_missing", "id_invalid", "id_duplicate", "id_sex_mismatch", "id_birth_date_mismatch"):
        parts.append(quality.id_findings(persons_for_id_checks(conn, villages)))
    if wanted("mother_age"):
        parts.append(quality.mother_age_findings(mother_ages(conn)))
    if wanted("event_future", "event_before_birth"):
        # Both in one pass: the scans they share read their table once.
        dated = dated_records(
            conn, after=today if wanted("event_future") else None, before_birth=wanted("event_before_birth")
        )
        for code in ("event_future", "event_before_birth"):
            if wanted(code):
                parts.append(quality.dated_findings(dated[dated["check"] == code], code))
    if wanted("birth_missing_fields"):
        parts.append(quality.missing_field_findings(births_missing_fields(conn)))
    if wanted("stale_village"):
        parts.append(quality.stale_findings(last_change(conn, today), last_complete_month_end(today)))
    if defects and wanted("date_invalid", "date_time_part", "code_unreadable", "code_normalised", "reference_missing"):
        parts.append(quality.defect_findings(contract_defects(conn)))
    if wanted("target_invalid"):
        parts.append(quality.target_findings(target_rows(conn)))
    if wanted("quota_invalid"):
        parts.append(quality.quota_findings(quota_rows(conn)))
    found = [p if check is None else p[p["check"] == check] for p in parts]
    found = [p for p in found if not p.empty]
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=quality.FINDING_COLUMNS)
