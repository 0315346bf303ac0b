"""What the data-quality checks read: ID numbers, mothers' ages, dated records, the latest
change per village, moves (the checks themselves are ``dashboard.domain.quality``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from dashboard.domain import quality
from dashboard.domain.periods import last_complete_month_end
from data_access.db import relations
from data_access.filters import Bounds, DayRange
from data_access.queries.common import LONG_ACTING_METHODS, SHORT_ACTING_METHODS, count_if, fast_frame, rows_frame
from data_access.queries.validity import DATE_COLUMNS, code, exact, has_time_part, valid_date
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
    villages: tuple[tuple[int, ...], bool] | None = None,
    id_range: tuple[int, int] | None = None,
) -> pd.DataFrame:
    """Every person's id, ID number, sex, birth date and village (for the ID-number checks);
    ``villages`` = (ids, unplaced): only persons of those villages (and, when ``unplaced``,
    those without a known village) — the records behind counts the summaries placed;
    ``id_range`` = (after, up to): only persons with ids in that range (the summary refresh's)."""
    stmt = sa.select(person.c.id, person.c.id_number, person.c.sex, person.c.birth_date, person.c.village_id)
    if id_range is not None:
        stmt = stmt.where(person.c.id > id_range[0], person.c.id <= id_range[1])
    if villages is not None:
        ids, unplaced = villages
        where: list[sa.ColumnElement[bool]] = (
            [person.c.village_id.in_(sa.bindparam("village_ids", list(ids), expanding=True))] if ids else []
        )
        if unplaced:
            where += [person.c.village_id.is_(None), _missing(village, person.c.village_id)]
        stmt = stmt.where(sa.or_(*where) if where else sa.false())
    # Every person: straight from the cursor (the checks parse dates themselves).
    return fast_frame(conn, stmt, ["person_id", "id_number", "sex", "birth_date", "village_id"])


def mother_ages(conn: sa.Connection) -> pd.DataFrame:
    """Local births with their mother's birth date: birth_id, village_id, birth_date, mother_id, mother_birth_date."""
    mother = person.alias("mother")
    stmt = (
        sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.mother_id, mother.c.birth_date)
        .select_from(birth.join(mother, birth.c.mother_id == mother.c.id))
        .where(code(birth.c.hukou) == "local", mother.c.birth_date.is_not(None), birth.c.birth_date.is_not(None))
    )
    return rows_frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "mother_id", "mother_birth_date"])


def births_missing_fields(conn: sa.Connection) -> pd.DataFrame:
    """Local births without sex or without the compliance flag."""
    stmt = sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.sex, birth.c.policy_compliant).where(
        code(birth.c.hukou) == "local", sa.or_(birth.c.sex.is_(None), birth.c.policy_compliant.is_(None))
    )
    return rows_frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "sex", "policy_compliant"])


def dated_records(conn: sa.Connection, after: date | None = None, before_birth: bool = False) -> pd.DataFrame:
    """Records dated after ``after`` (future) or, with ``before_birth``, before the person's birth.

    Columns: table, field, record_id, person_id, village_id, date. Checked fields: person's
    registered_on, left_on, death_date, married_on (and birth_date for the future); birth
    dates (against the mother); contraception start; service events (also before the person's
    birth); reward payments made; demonstration sites.
    """
    present = relations(conn)
    rows: list[pd.DataFrame] = []
    columns = ["table", "field", "record_id", "person_id", "village_id", "date"]

    def collect(table: str, field: str, stmt: sa.Select[Any]) -> None:
        frame = rows_frame(conn.execute(stmt), ["record_id", "person_id", "village_id", "date"])
        frame = frame[frame["date"].notna()]  # a date that is no real day is date_invalid's
        frame.insert(0, "field", field)
        frame.insert(0, "table", table)
        rows.append(frame)

    if after is not None:
        limit = sa.bindparam("after", after + timedelta(days=1), type_=sa.Date)
        for field in ("birth_date", "registered_on", "left_on", "death_date", "married_on"):
            col = person.c[field]
            collect("person", field, sa.select(person.c.id, person.c.id, person.c.village_id, col).where(col >= limit))
        collect(
            "birth",
            "birth_date",
            sa.select(birth.c.id, birth.c.mother_id, birth.c.village_id, birth.c.birth_date).where(
                birth.c.birth_date >= limit
            ),
        )
        collect(
            "contraception",
            "start_date",
            sa.select(contraception.c.id, contraception.c.woman_id, person.c.village_id, contraception.c.start_date)
            .select_from(contraception.join(person, contraception.c.woman_id == person.c.id))
            .where(contraception.c.start_date >= limit),
        )
        if "service_event" in present:
            collect(
                "service_event",
                "event_date",
                sa.select(
                    service_event.c.id,
                    service_event.c.person_id,
                    service_event.c.village_id,
                    service_event.c.event_date,
                ).where(service_event.c.event_date >= limit),
            )
        if "reward_payment" in present:
            collect(
                "reward_payment",
                "paid_on",
                sa.select(
                    reward_payment.c.id, reward_payment.c.person_id, person.c.village_id, reward_payment.c.paid_on
                )
                .select_from(reward_payment.join(person, reward_payment.c.person_id == person.c.id))
                .where(reward_payment.c.paid_on >= limit),
            )
        if "demo_site" in present:
            collect(
                "demo_site",
                "established_on",
                sa.select(demo_site.c.id, sa.null(), demo_site.c.village_id, demo_site.c.established_on).where(
                    demo_site.c.established_on >= limit
                ),
            )
    if before_birth:
        for field in ("registered_on", "left_on", "death_date", "married_on"):
            col = person.c[field]
            collect(
                "person",
                field,
                sa.select(person.c.id, person.c.id, person.c.village_id, col).where(
                    col < person.c.birth_date, valid_date(person.c.birth_date)
                ),
            )
        collect(
            "contraception",
            "start_date",
            sa.select(contraception.c.id, contraception.c.woman_id, person.c.village_id, contraception.c.start_date)
            .select_from(contraception.join(person, contraception.c.woman_id == person.c.id))
            .where(contraception.c.start_date < person.c.birth_date, valid_date(person.c.birth_date)),
        )
        mother = person.alias("mother")
        collect(
            "birth",
            "birth_date",
            sa.select(birth.c.id, birth.c.mother_id, birth.c.village_id, birth.c.birth_date)
            .select_from(birth.join(mother, birth.c.mother_id == mother.c.id))
            .where(birth.c.birth_date < mother.c.birth_date, valid_date(mother.c.birth_date)),
        )
        if "service_event" in present:
            collect(
                "service_event",
                "event_date",
                sa.select(
                    service_event.c.id,
                    service_event.c.person_id,
                    service_event.c.village_id,
                    service_event.c.event_date,
                )
                .select_from(service_event.join(person, service_event.c.person_id == person.c.id))
                .where(service_event.c.event_date < person.c.birth_date, valid_date(person.c.birth_date)),
            )
    frames = [r for r in rows if not r.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def last_change(conn: sa.Connection, today: date) -> pd.Series:
    """The latest registry change per village up to ``today`` (birth, registration, move out,
    death, marriage); a date that is no real day or lies in the future is not a change (the
    other checks count those)."""
    latest: dict[int, object] = {}
    limit = sa.bindparam("changed_by", today, type_=sa.Date)
    columns = [(birth.c.village_id, birth.c.birth_date)]
    columns += [(person.c.village_id, person.c[f]) for f in ("registered_on", "left_on", "death_date", "married_on")]
    for village_column, column in columns:
        stmt = (
            sa.select(village_column, sa.func.max(column))
            .where(valid_date(column), column <= limit)
            .group_by(village_column)
        )
        for village_id, when in conn.execute(stmt).all():
            if village_id is None or when is None:
                continue
            when = pd.Timestamp(str(when)[:10])
            if village_id not in latest or when > latest[village_id]:
                latest[int(village_id)] = when
    ids = conn.execute(sa.select(village.c.id)).scalars().all()
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


def contract_defects(conn: sa.Connection) -> pd.DataFrame:
    """Rows the contract cannot read as they are (``DEFECT_COLUMNS``):

    ``date_invalid``      a date that is no real day ('', '2026/11/28', '2019-02-30'): left out
    ``date_time_part``    a date with a time of day: read as its day
    ``code_unreadable``   a coded value the contract does not know ('X', 'patch'): left out
    ``code_normalised``   a coded value read after trimming or case-folding ('LOCAL')
    ``reference_missing`` a village, township, mother, woman or person that does not exist
    """
    present = relations(conn)
    parts: list[pd.DataFrame] = []

    def collect(check: str, table: sa.Table, condition: sa.ColumnElement[bool], detail: sa.ColumnElement[Any]) -> None:
        source, person_id, village_id = _placed(table)
        stmt = sa.select(table.c.id, person_id, village_id, detail).select_from(source).where(condition)
        frame = rows_frame(conn.execute(stmt), ["record_id", "person_id", "village_id", "detail"])
        frame.insert(0, "table", table.name)
        frame.insert(0, "check", check)
        parts.append(frame)

    def collect_two(
        checks: tuple[str, str],
        table: sa.Table,
        conditions: tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]],
        detail: sa.ColumnElement[Any],
    ) -> None:
        """Two checks that exclude each other on one column, in one scan (the per-row tests
        are what costs: SQLite's day check, the case folding)."""
        source, person_id, village_id = _placed(table)
        first = sa.case((conditions[0], 1), else_=2)
        stmt = (
            sa.select(table.c.id, person_id, village_id, detail, first).select_from(source).where(sa.or_(*conditions))
        )
        frame = rows_frame(conn.execute(stmt), ["record_id", "person_id", "village_id", "detail", "which"])
        for i, check in enumerate(checks, start=1):
            part = frame[frame["which"] == i].drop(columns="which").reset_index(drop=True)
            part.insert(0, "table", table.name)
            part.insert(0, "check", check)
            parts.append(part)

    for name, columns in DATE_COLUMNS.items():
        if name not in present:
            continue
        table = _TABLES[name]
        for column in columns:
            col = table.c[column]
            label = sa.literal(f"{name}.{column} ") + sa.cast(col, sa.String)
            collect_two(
                ("date_invalid", "date_time_part"),
                table,
                (sa.and_(col.is_not(None), sa.not_(valid_date(col))), has_time_part(col)),
                label,
            )
    for (name, column), allowed in CODES.items():
        if name not in present:
            continue
        table = _TABLES[name]
        col = table.c[column]
        label = sa.literal(f"{name}.{column} ") + col
        collect_two(
            ("code_unreadable", "code_normalised"),
            table,
            (
                sa.and_(col.is_not(None), code(col).not_in(allowed)),
                sa.and_(code(col).in_(allowed), exact(col).not_in(allowed)),
            ),
            label,
        )
    for name in ("person", "birth", "household", "service_event", "demo_site"):
        if name in present:
            table = _TABLES[name]
            collect(
                "reference_missing",
                table,
                sa.and_(table.c.village_id.is_not(None), _missing(village, table.c.village_id)),
                sa.literal(f"{name}.village_id ") + sa.cast(table.c.village_id, sa.String),
            )
    for table, column in ((birth, "mother_id"), (contraception, "woman_id"), (reward_payment, "person_id"),
                          (service_event, "person_id")):  # fmt: skip
        if table.name in present:
            col = table.c[column]
            collect(
                "reference_missing",
                table,
                sa.and_(col.is_not(None), _missing(person, col)),
                sa.literal(f"{table.name}.{column} ") + sa.cast(col, sa.String),
            )
    orphans = rows_frame(
        conn.execute(
            sa.select(
                village.c.id, sa.literal("village.township_id ") + sa.cast(village.c.township_id, sa.String)
            ).where(_missing(township, village.c.township_id))
        ),
        ["record_id", "detail"],
    )
    if not orphans.empty:  # the village itself cannot be placed in a township
        parts.append(orphans.assign(check="reference_missing", table="village", person_id=None, village_id=None))
    found = [p for p in parts if not p.empty]
    return pd.concat(found, ignore_index=True)[DEFECT_COLUMNS] if found else pd.DataFrame(columns=DEFECT_COLUMNS)


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
    if wanted("event_future"):
        parts.append(quality.dated_findings(dated_records(conn, after=today), "event_future"))
    if wanted("event_before_birth"):
        parts.append(quality.dated_findings(dated_records(conn, before_birth=True), "event_before_birth"))
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
