"""Grouped base-count queries: one row per village of additive counts for a period.

Every indicator is derived from these counts (the design's definitions), so roll-up to
township and county is a plain sum.
"""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access.filters import Bounds, DayRange
from data_access.queries.common import (
    LONG_ACTING_METHODS,
    count_if,
    is_local,
    married_wcba_condition,
    method_in_use,
    present_at,
    wcba_bind_params,
)
from data_access.queries.validity import code, usable_person, valid_date
from data_access.schema import birth, person, village

#: The additive base counts per village, in output order.
BASE_COUNT_COLUMNS: tuple[str, ...] = (
    "pop_start",  # local population at the end of day a−1
    "pop_end",  # local population at the end of day b
    "births",  # local births a ≤ birth_date ≤ b, where registered
    "births_male",
    "births_female",
    "births_compliant",  # policy_compliant is true (unknown counts as not compliant)
    "deaths",  # local persons with a ≤ death_date ≤ b
    "married_wcba",  # married women 15–49 at b
    "long_acting",  # … of whom using a long-acting method at b
    "floating_pop_end",  # floating persons present at b (shown, never a rate base)
    "floating_births",  # floating births in the period (shown, never counted)
)


def _stock_counts_statement() -> sa.Select[tuple[int, ...]]:
    """Population stocks and deaths per village: answered from the covering stock index alone."""
    start = sa.bindparam("start", type_=sa.Date)
    end_next = sa.bindparam("end_next", type_=sa.Date)
    return (
        sa.select(
            person.c.village_id,
            count_if(sa.and_(is_local(), present_at(start)), "pop_start"),
            count_if(sa.and_(is_local(), present_at(end_next)), "pop_end"),
            count_if(
                sa.and_(is_local(), usable_person(), person.c.death_date >= start, person.c.death_date < end_next),
                "deaths",
            ),
            count_if(sa.and_(code(person.c.hukou) == "floating", present_at(end_next)), "floating_pop_end"),
        )
        .where(person.c.village_id.is_not(None))
        .group_by(person.c.village_id)
    )


def _wcba_counts_statement() -> sa.Select[tuple[int, ...]]:
    """Married women 15–49 at d and the long-acting users among them, per village.

    A range scan of the covering WCBA index (sex, status, hukou, birth date, …), then one
    index probe per woman for a long-acting method.
    """
    end_next = sa.bindparam("end_next", type_=sa.Date)
    born_on_or_before = sa.bindparam("born_on_or_before", type_=sa.Date)
    born_after = sa.bindparam("born_after", type_=sa.Date)
    return (
        sa.select(
            person.c.village_id,
            sa.func.count().label("married_wcba"),
            count_if(method_in_use(LONG_ACTING_METHODS, end_next), "long_acting"),
        )
        .where(
            married_wcba_condition(end_next, born_on_or_before, born_after),
            person.c.village_id.is_not(None),
        )
        .group_by(person.c.village_id)
    )


def _birth_counts_statement() -> sa.Select[tuple[int, ...]]:
    start = sa.bindparam("start", type_=sa.Date)
    end_next = sa.bindparam("end_next", type_=sa.Date)
    local = code(birth.c.hukou) == "local"
    return (
        sa.select(
            birth.c.village_id,
            count_if(local, "births"),
            count_if(sa.and_(local, code(birth.c.sex) == "M"), "births_male"),
            count_if(sa.and_(local, code(birth.c.sex) == "F"), "births_female"),
            count_if(sa.and_(local, birth.c.policy_compliant == sa.true()), "births_compliant"),
            count_if(code(birth.c.hukou) == "floating", "floating_births"),
        )
        .where(
            valid_date(birth.c.birth_date),
            birth.c.birth_date >= start,
            birth.c.birth_date < end_next,
            birth.c.village_id.is_not(None),
        )
        .group_by(birth.c.village_id)
    )


_STOCK_COUNTS = _stock_counts_statement()

_WCBA_COUNTS = _wcba_counts_statement()

_BIRTH_COUNTS = _birth_counts_statement()


def base_counts(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Additive base counts per village for ``period`` (see :data:`BASE_COUNT_COLUMNS`).

    Indexed by village id; every village in ``village`` appears, with zeros where nothing
    happened. Rows for ``village_id`` values not in the village table are dropped (they
    cannot be placed in a township).
    """
    bounds = Bounds.of(period)
    params = {"start": bounds.start, **wcba_bind_params(period.end)}
    stocks = pd.DataFrame(conn.execute(_STOCK_COUNTS, params).mappings().all())
    wcba = pd.DataFrame(conn.execute(_WCBA_COUNTS, params).mappings().all())
    births = pd.DataFrame(
        conn.execute(_BIRTH_COUNTS, {"start": bounds.start, "end_next": bounds.end_next}).mappings().all()
    )
    village_ids = pd.Index(
        conn.execute(sa.select(village.c.id).order_by(village.c.id)).scalars().all(),
        name="village_id",
    )
    frame = pd.DataFrame(0, index=village_ids, columns=list(BASE_COUNT_COLUMNS), dtype="int64")
    for part in (stocks, wcba, births):
        if part.empty:
            continue
        part = part.set_index("village_id")
        part.index = part.index.astype("int64")
        part = part[part.index.isin(village_ids)]
        frame.loc[part.index, part.columns] = part.astype("int64").to_numpy()
    return frame
