"""Grouped base-count queries: one row per village of additive counts for a period.

Every indicator is derived from these counts (DESIGN.md §2, "Definitions"), so roll-up to
township and county is a plain sum. Statements are SQLAlchemy Core with bound parameters
only; date bounds come from Python, so one statement runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa

from data_access.filters import Bounds, DayRange, age_cutoff
from data_access.schema import birth, contraception, person, target, township, village

LONG_ACTING_METHODS: tuple[str, ...] = ("iud", "female_sterilization", "male_sterilization", "implant")
SHORT_ACTING_METHODS: tuple[str, ...] = ("oral", "injection", "condom", "topical")

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

_ONE = sa.literal(1)
_ZERO = sa.literal(0)


def _count_if(condition: sa.ColumnElement[bool], name: str) -> sa.Label[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, _ONE), else_=_ZERO)), 0).label(name)


def _present_at(end_next: sa.BindParameter[date]) -> sa.ColumnElement[bool]:
    """Registered on or before d, and neither moved out nor dead by the end of d."""
    return sa.and_(
        person.c.registered_on < end_next,
        sa.or_(person.c.left_on.is_(None), person.c.left_on >= end_next),
        sa.or_(person.c.death_date.is_(None), person.c.death_date >= end_next),
    )


def _local() -> sa.ColumnElement[bool]:
    return person.c.hukou == "local"


def married_wcba_condition(
    end_next: sa.BindParameter[date],
    born_on_or_before: sa.BindParameter[date],
    born_after: sa.BindParameter[date],
) -> sa.ColumnElement[bool]:
    """Married local woman aged 15–49, alive and registered at d (DESIGN.md §2).

    ``born_on_or_before`` is the day after the 15-year cutoff and ``born_after`` the day after
    the 50-year cutoff, both as exclusive/inclusive half-open bounds.
    """
    return sa.and_(
        _local(),
        person.c.sex == "F",
        _present_at(end_next),
        person.c.marital_status == "married",
        person.c.married_on < end_next,
        person.c.birth_date < born_on_or_before,
        person.c.birth_date >= born_after,
    )


def method_in_use(
    methods: tuple[str, ...], end_next: sa.BindParameter[date]
) -> sa.Exists:
    """EXISTS a contraception row of one of ``methods`` in use at d for the outer person."""
    return (
        sa.select(_ONE)
        .where(
            contraception.c.woman_id == person.c.id,
            contraception.c.method.in_(methods),
            contraception.c.start_date < end_next,
            sa.or_(contraception.c.end_date.is_(None), contraception.c.end_date >= end_next),
        )
        .exists()
    )


def wcba_bind_params(d: date) -> dict[str, date]:
    """Bind values for the married-WCBA condition at day d."""
    return {
        "end_next": d + timedelta(days=1),
        "born_on_or_before": age_cutoff(d, 15) + timedelta(days=1),
        "born_after": age_cutoff(d, 50) + timedelta(days=1),
    }


def _person_counts_statement() -> sa.Select[tuple[int, ...]]:
    start = sa.bindparam("start", type_=sa.Date)
    end_next = sa.bindparam("end_next", type_=sa.Date)
    born_on_or_before = sa.bindparam("born_on_or_before", type_=sa.Date)
    born_after = sa.bindparam("born_after", type_=sa.Date)
    wcba = married_wcba_condition(end_next, born_on_or_before, born_after)
    return (
        sa.select(
            person.c.village_id,
            _count_if(sa.and_(_local(), _present_at(start)), "pop_start"),
            _count_if(sa.and_(_local(), _present_at(end_next)), "pop_end"),
            _count_if(
                sa.and_(_local(), person.c.death_date >= start, person.c.death_date < end_next),
                "deaths",
            ),
            _count_if(wcba, "married_wcba"),
            _count_if(sa.and_(wcba, method_in_use(LONG_ACTING_METHODS, end_next)), "long_acting"),
            _count_if(
                sa.and_(person.c.hukou == "floating", _present_at(end_next)), "floating_pop_end"
            ),
        )
        .where(person.c.village_id.is_not(None))
        .group_by(person.c.village_id)
    )


def _birth_counts_statement() -> sa.Select[tuple[int, ...]]:
    start = sa.bindparam("start", type_=sa.Date)
    end_next = sa.bindparam("end_next", type_=sa.Date)
    local = birth.c.hukou == "local"
    return (
        sa.select(
            birth.c.village_id,
            _count_if(local, "births"),
            _count_if(sa.and_(local, birth.c.sex == "M"), "births_male"),
            _count_if(sa.and_(local, birth.c.sex == "F"), "births_female"),
            _count_if(sa.and_(local, birth.c.policy_compliant == sa.true()), "births_compliant"),
            _count_if(birth.c.hukou == "floating", "floating_births"),
        )
        .where(
            birth.c.birth_date >= start,
            birth.c.birth_date < end_next,
            birth.c.village_id.is_not(None),
        )
        .group_by(birth.c.village_id)
    )


_PERSON_COUNTS = _person_counts_statement()
_BIRTH_COUNTS = _birth_counts_statement()


def load_units(conn: sa.Connection) -> pd.DataFrame:
    """Villages with their township: one row per village, indexed by village id.

    Columns: village_code, village_name, village_kind, village_lat, village_lon, township_id,
    township_code, township_name, township_lat, township_lon. Sorted by township code, then
    village code.
    """
    stmt = (
        sa.select(
            village.c.id.label("village_id"),
            village.c.code.label("village_code"),
            village.c.name.label("village_name"),
            village.c.kind.label("village_kind"),
            village.c.lat.label("village_lat"),
            village.c.lon.label("village_lon"),
            township.c.id.label("township_id"),
            township.c.code.label("township_code"),
            township.c.name.label("township_name"),
            township.c.lat.label("township_lat"),
            township.c.lon.label("township_lon"),
        )
        .select_from(village.join(township, village.c.township_id == township.c.id))
        .order_by(township.c.code, village.c.code)
    )
    frame = pd.DataFrame(conn.execute(stmt).mappings().all())
    if frame.empty:
        frame = pd.DataFrame(columns=[c.name for c in stmt.selected_columns])
    for col in ("village_code", "township_code"):
        frame[col] = frame[col].astype(str)
    return frame.set_index("village_id")


def base_counts(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Additive base counts per village for ``period`` (see :data:`BASE_COUNT_COLUMNS`).

    Indexed by village id; every village in ``village`` appears, with zeros where nothing
    happened. Rows for ``village_id`` values not in the village table are dropped (they
    cannot be placed in a township).
    """
    bounds = Bounds.of(period)
    params = {"start": bounds.start, **wcba_bind_params(period.end)}
    persons = pd.DataFrame(conn.execute(_PERSON_COUNTS, params).mappings().all())
    births = pd.DataFrame(
        conn.execute(_BIRTH_COUNTS, {"start": bounds.start, "end_next": bounds.end_next})
        .mappings()
        .all()
    )
    village_ids = pd.Index(
        conn.execute(sa.select(village.c.id).order_by(village.c.id)).scalars().all(),
        name="village_id",
    )
    frame = pd.DataFrame(0, index=village_ids, columns=list(BASE_COUNT_COLUMNS), dtype="int64")
    for part in (persons, births):
        if part.empty:
            continue
        part = part.set_index("village_id")
        part.index = part.index.astype("int64")
        part = part[part.index.isin(village_ids)]
        frame.loc[part.index, part.columns] = part.astype("int64").to_numpy()
    return frame


def load_targets(conn: sa.Connection, year: int) -> pd.DataFrame:
    """Target rows for ``year`` (contract columns only); empty if the table is absent."""
    columns = ["indicator", "township_id", "op", "value", "low", "high", "amber"]
    if not sa.inspect(conn).has_table("target"):
        return pd.DataFrame(columns=columns)
    stmt = sa.select(*(target.c[c] for c in columns)).where(target.c.year == year)
    rows = conn.execute(stmt).mappings().all()
    return pd.DataFrame(rows, columns=columns)


def year_span(conn: sa.Connection) -> tuple[int, int] | None:
    """First and last calendar year with a recorded birth; None if there are none."""
    low, high = conn.execute(sa.select(sa.func.min(birth.c.birth_date), sa.func.max(birth.c.birth_date))).one()
    if low is None or high is None:
        return None
    return _year_of(low), _year_of(high)


def _year_of(value: object) -> int:
    # SQLite may hand back text; the other dialects give dates.
    return value.year if hasattr(value, "year") else int(str(value)[:4])
