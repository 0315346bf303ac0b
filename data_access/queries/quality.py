"""What the data-quality checks read: ID numbers, mothers' ages, dated records, the latest
change per village, moves (the checks themselves are ``dashboard.domain.quality``)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from data_access.filters import Bounds, DayRange
from data_access.queries.common import count_if, fast_frame, rows_frame
from data_access.schema import birth, contraception, demo_site, person, reward_payment, service_event, village


def persons_for_id_checks(conn: sa.Connection, villages: tuple[tuple[int, ...], bool] | None = None) -> pd.DataFrame:
    """Every person's id, ID number, sex, birth date and village (for the ID-number checks);
    ``villages`` = (ids, unplaced): only persons of those villages (and, when ``unplaced``,
    those without a known village) — the records behind counts the summaries placed."""
    stmt = sa.select(person.c.id, person.c.id_number, person.c.sex, person.c.birth_date, person.c.village_id)
    if villages is not None:
        ids, unplaced = villages
        where = [person.c.village_id.in_(sa.bindparam("village_ids", list(ids), expanding=True))] if ids else []
        if unplaced:
            where += [person.c.village_id.is_(None), person.c.village_id.not_in(sa.select(village.c.id))]
        stmt = stmt.where(sa.or_(*where) if where else sa.false())
    # Every person: straight from the cursor (the checks parse dates themselves).
    return fast_frame(conn, stmt, ["person_id", "id_number", "sex", "birth_date", "village_id"])


def mother_ages(conn: sa.Connection) -> pd.DataFrame:
    """Local births with their mother's birth date: birth_id, village_id, birth_date, mother_id, mother_birth_date."""
    mother = person.alias("mother")
    stmt = (
        sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.mother_id, mother.c.birth_date)
        .select_from(birth.join(mother, birth.c.mother_id == mother.c.id))
        .where(birth.c.hukou == "local", mother.c.birth_date.is_not(None), birth.c.birth_date.is_not(None))
    )
    return rows_frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "mother_id", "mother_birth_date"])


def births_missing_fields(conn: sa.Connection) -> pd.DataFrame:
    """Local births without sex or without the compliance flag."""
    stmt = sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.sex, birth.c.policy_compliant).where(
        birth.c.hukou == "local", sa.or_(birth.c.sex.is_(None), birth.c.policy_compliant.is_(None))
    )
    return rows_frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "sex", "policy_compliant"])


def dated_records(conn: sa.Connection, after: date | None = None, before_birth: bool = False) -> pd.DataFrame:
    """Records dated after ``after`` (future) or, with ``before_birth``, before the person's birth.

    Columns: table, field, record_id, person_id, village_id, date. Checked fields: person's
    registered_on, left_on, death_date, married_on (and birth_date for the future); birth
    dates (against the mother); contraception start; service events (also before the person's
    birth); reward payments made; demonstration sites.
    """
    present = set(sa.inspect(conn).get_table_names())
    rows: list[pd.DataFrame] = []
    columns = ["table", "field", "record_id", "person_id", "village_id", "date"]

    def collect(table: str, field: str, stmt: sa.Select[Any]) -> None:
        frame = rows_frame(conn.execute(stmt), ["record_id", "person_id", "village_id", "date"])
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
                sa.select(person.c.id, person.c.id, person.c.village_id, col).where(col < person.c.birth_date),
            )
        collect(
            "contraception",
            "start_date",
            sa.select(contraception.c.id, contraception.c.woman_id, person.c.village_id, contraception.c.start_date)
            .select_from(contraception.join(person, contraception.c.woman_id == person.c.id))
            .where(contraception.c.start_date < person.c.birth_date),
        )
        mother = person.alias("mother")
        collect(
            "birth",
            "birth_date",
            sa.select(birth.c.id, birth.c.mother_id, birth.c.village_id, birth.c.birth_date)
            .select_from(birth.join(mother, birth.c.mother_id == mother.c.id))
            .where(birth.c.birth_date < mother.c.birth_date),
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
                .where(service_event.c.event_date < person.c.birth_date),
            )
    frames = [r for r in rows if not r.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def last_change(conn: sa.Connection) -> pd.Series:
    """The latest registry change per village (birth, registration, move out, death, marriage)."""
    latest: dict[int, object] = {}
    statements = [sa.select(birth.c.village_id, sa.func.max(birth.c.birth_date)).group_by(birth.c.village_id)]
    for field in ("registered_on", "left_on", "death_date", "married_on"):
        statements.append(sa.select(person.c.village_id, sa.func.max(person.c[field])).group_by(person.c.village_id))
    for stmt in statements:
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
        .where(person.c.hukou == "local", person.c.village_id.is_not(None))
        .group_by(person.c.village_id)
    )
    frame = pd.DataFrame(conn.execute(stmt).mappings().all(), columns=["village_id", "moves_in", "moves_out"])
    return frame.set_index("village_id")
