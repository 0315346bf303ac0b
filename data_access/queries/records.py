"""Person-level lists behind a number (live, one scope at a time). Unmasked: the caller masks."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from data_access.filters import Bounds, DayRange
from data_access.queries.common import (
    LONG_ACTING_METHODS,
    married_wcba_condition,
    method_in_use,
    rows_frame,
    wcba_bind_params,
)
from data_access.queries.services import reward_paid_in_full_on_time
from data_access.queries.validity import code
from data_access.schema import birth, contraception, person, reward_payment


def births_list(conn: sa.Connection, period: DayRange, village_ids: list[int] | None = None) -> pd.DataFrame:
    """The local births counted for ``period`` in these villages, with the mother's identity.

    Columns: birth_id, village_id, birth_date, sex, parity, policy_compliant, mother_name,
    mother_id_number, mother_birth_date. Unmasked: the caller masks personal data.
    """
    bounds = Bounds.of(period)
    mother = person.alias("mother")
    stmt = (
        sa.select(
            birth.c.id.label("birth_id"),
            birth.c.village_id,
            birth.c.birth_date,
            birth.c.sex,
            birth.c.parity,
            birth.c.policy_compliant,
            mother.c.name.label("mother_name"),
            mother.c.id_number.label("mother_id_number"),
            mother.c.birth_date.label("mother_birth_date"),
        )
        .select_from(birth.outerjoin(mother, birth.c.mother_id == mother.c.id))
        .where(
            code(birth.c.hukou) == "local",
            birth.c.birth_date >= bounds.start,
            birth.c.birth_date < bounds.end_next,
            birth.c.village_id.in_(village_ids) if village_ids is not None else birth.c.village_id.is_not(None),
        )
        .order_by(birth.c.birth_date, birth.c.id)
    )
    columns = [c.name for c in stmt.selected_columns]
    return pd.DataFrame(conn.execute(stmt).mappings().all(), columns=columns)


def wcba_without_long_acting(conn: sa.Connection, d: date, village_ids: list[int]) -> pd.DataFrame:
    """Married women 15–49 at ``d`` in these villages who use no long-acting method at ``d``.

    Columns as :func:`married_wcba_list`. Unmasked: the caller masks.
    """
    return married_wcba_list(conn, d, village_ids, long_acting=False)


def married_wcba_list(
    conn: sa.Connection, d: date, village_ids: list[int] | None = None, *, long_acting: bool | None = None
) -> pd.DataFrame:
    """Married women 15–49 at ``d`` (optionally only those with / without a long-acting method).

    Columns: person_id, village_id, name, id_number, birth_date, married_on, method (the
    method in use at d — a long-acting one first if any — or None). ``village_ids`` None
    means the whole county. Unmasked: the caller masks.
    """
    p = wcba_bind_params(d)
    end_next = sa.bindparam("end_next", p["end_next"], type_=sa.Date)
    wcba = married_wcba_condition(
        end_next,
        sa.bindparam("born_on_or_before", p["born_on_or_before"], type_=sa.Date),
        sa.bindparam("born_after", p["born_after"], type_=sa.Date),
    )

    def in_use(methods: tuple[str, ...] | None) -> sa.ScalarSelect[str]:
        conditions = [
            contraception.c.woman_id == person.c.id,
            contraception.c.start_date < end_next,
            sa.or_(contraception.c.end_date.is_(None), contraception.c.end_date >= end_next),
        ]
        if methods:
            conditions.append(code(contraception.c.method).in_(methods))
        return sa.select(sa.func.min(contraception.c.method)).where(*conditions).scalar_subquery()

    method = sa.func.coalesce(in_use(LONG_ACTING_METHODS), in_use(None))
    conditions = [wcba]
    if village_ids is not None:
        conditions.append(person.c.village_id.in_(village_ids))
    if long_acting is True:
        conditions.append(method_in_use(LONG_ACTING_METHODS, end_next))
    elif long_acting is False:
        conditions.append(~method_in_use(LONG_ACTING_METHODS, end_next))
    stmt = (
        sa.select(
            person.c.id.label("person_id"),
            person.c.village_id,
            person.c.name,
            person.c.id_number,
            person.c.birth_date,
            person.c.married_on,
            method.label("method"),
        )
        .where(*conditions)
        .order_by(person.c.village_id, person.c.birth_date, person.c.id)
    )
    columns = [c.name for c in stmt.selected_columns]
    return pd.DataFrame(conn.execute(stmt).mappings().all(), columns=columns)


def persons_by_id(conn: sa.Connection, ids: list[int]) -> pd.DataFrame:
    """Name, ID number, sex, birth date and village of the given persons (offending records)."""
    columns = ["person_id", "name", "id_number", "sex", "birth_date", "village_id", "hukou"]
    if not ids:
        return pd.DataFrame(columns=columns)
    out = []
    for chunk in range(0, len(ids), 500):  # bounded IN lists on every dialect
        stmt = sa.select(
            person.c.id,
            person.c.name,
            person.c.id_number,
            person.c.sex,
            person.c.birth_date,
            person.c.village_id,
            person.c.hukou,
        ).where(person.c.id.in_(ids[chunk : chunk + 500]))
        out.append(rows_frame(conn.execute(stmt), columns))
    return pd.concat(out, ignore_index=True)


def reward_problems(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Reward payments due in the period that were not paid in full by the due date.

    Columns: payment_id, person_id, village_id, name, id_number, scheme, amount_due,
    amount_paid, due_date, paid_on. Unmasked: the caller masks.
    """
    columns = [
        "payment_id",
        "person_id",
        "village_id",
        "name",
        "id_number",
        "scheme",
        "amount_due",
        "amount_paid",
        "due_date",
        "paid_on",
    ]
    if not sa.inspect(conn).has_table("reward_payment"):
        return pd.DataFrame(columns=columns)
    bounds = Bounds.of(period)
    ok = reward_paid_in_full_on_time()
    stmt = (
        sa.select(
            reward_payment.c.id,
            reward_payment.c.person_id,
            person.c.village_id,
            person.c.name,
            person.c.id_number,
            reward_payment.c.scheme,
            reward_payment.c.amount_due,
            reward_payment.c.amount_paid,
            reward_payment.c.due_date,
            reward_payment.c.paid_on,
        )
        .select_from(reward_payment.join(person, reward_payment.c.person_id == person.c.id))
        .where(reward_payment.c.due_date >= bounds.start, reward_payment.c.due_date < bounds.end_next, ~ok)
        .order_by(reward_payment.c.due_date, reward_payment.c.id)
    )
    return rows_frame(conn.execute(stmt), columns)
