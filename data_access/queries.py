"""Grouped base-count queries: one row per village of additive counts for a period.

Every indicator is derived from these counts (DESIGN.md §2, "Definitions"), so roll-up to
township and county is a plain sum. Statements are SQLAlchemy Core with bound parameters
only; date bounds come from Python, so one statement runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data_access.filters import Bounds, DayRange, age_cutoff
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

def _frame(result: sa.CursorResult[Any], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from a result, via plain tuples: pandas probing SQLAlchemy rows for
    attributes costs more than the query itself on large results."""
    return pd.DataFrame([tuple(row) for row in result], columns=columns)


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


def _stock_counts_statement() -> sa.Select[tuple[int, ...]]:
    """Population stocks and deaths per village: answered from the covering stock index alone."""
    start = sa.bindparam("start", type_=sa.Date)
    end_next = sa.bindparam("end_next", type_=sa.Date)
    return (
        sa.select(
            person.c.village_id,
            _count_if(sa.and_(_local(), _present_at(start)), "pop_start"),
            _count_if(sa.and_(_local(), _present_at(end_next)), "pop_end"),
            _count_if(
                sa.and_(_local(), person.c.death_date >= start, person.c.death_date < end_next),
                "deaths",
            ),
            _count_if(
                sa.and_(person.c.hukou == "floating", _present_at(end_next)), "floating_pop_end"
            ),
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
            _count_if(method_in_use(LONG_ACTING_METHODS, end_next), "long_acting"),
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


_STOCK_COUNTS = _stock_counts_statement()
_WCBA_COUNTS = _wcba_counts_statement()
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
    stocks = pd.DataFrame(conn.execute(_STOCK_COUNTS, params).mappings().all())
    wcba = pd.DataFrame(conn.execute(_WCBA_COUNTS, params).mappings().all())
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
    for part in (stocks, wcba, births):
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


# --------------------------------------------------------------------------- monthly counts


def month_starts(year: int, months: int) -> list[date]:
    """First days of months 1..months+1 of ``year`` (the last is the day after the range)."""
    return [date(year + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, months + 2)]


_NEVER = 99  # bucket of a missing date or one after the range


def _month_bucket(column: sa.ColumnElement[date], starts: list[date], prefix: str) -> sa.Case[int]:
    """0 before the first period, k within period k, 99 after the range or when NULL.

    Plain comparisons with bound dates: no dialect's date functions involved. The two range
    tests come first: most dates lie outside the range and cost two comparisons.
    """
    whens: list[tuple[sa.ColumnElement[bool], int]] = [
        (column.is_(None), _NEVER),
        (column < sa.bindparam(f"{prefix}0", starts[0], type_=sa.Date), 0),
        (column >= sa.bindparam(f"{prefix}{len(starts) - 1}", starts[-1], type_=sa.Date), _NEVER),
    ]
    for k, start in enumerate(starts[1:-1], start=1):
        whens.append((column < sa.bindparam(f"{prefix}{k}", start, type_=sa.Date), k))
    return sa.case(*whens, else_=len(starts) - 1)


def monthly_counts(conn: sa.Connection, year: int, months: int = 12) -> pd.DataFrame:
    """Base counts of each single month 1..``months`` of ``year``, per village, exactly as
    :func:`base_counts` would give for that month. Indexed by (village_id, month).

    ``pop_start`` of month k is the stock at the end of month k−1 (month 0 = the end of the
    previous year). Summing births/deaths over months 1..k and taking month 1's
    ``pop_start`` with month k's stocks gives year to date.
    """
    return interval_counts(conn, month_starts(year, months)).rename_axis(["village_id", "month"])


def yearly_counts(conn: sa.Connection, first: int, last: int) -> pd.DataFrame:
    """Base counts of each full calendar year first..last per village, indexed (village_id, year)."""
    starts = [date(y, 1, 1) for y in range(first, last + 2)]
    frame = interval_counts(conn, starts)
    years = frame.index.get_level_values(1) + first - 1
    frame.index = pd.MultiIndex.from_arrays([frame.index.get_level_values(0), years], names=["village_id", "year"])
    return frame


#: Which part of the registry each base count comes from (interval_counts fetches only the
#: parts an indicator needs).
COUNT_PARTS: dict[str, str] = {
    "pop_start": "stock",
    "pop_end": "stock",
    "deaths": "stock",
    "floating_pop_end": "stock",
    "births": "births",
    "births_male": "births",
    "births_female": "births",
    "births_compliant": "births",
    "floating_births": "births",
    "married_wcba": "wcba",
    "long_acting": "wcba",
}
ALL_PARTS: tuple[str, ...] = ("stock", "births", "wcba")


def interval_counts(conn: sa.Connection, starts: list[date], parts: tuple[str, ...] = ALL_PARTS) -> pd.DataFrame:
    """Base counts for each of the consecutive periods [starts[k−1], starts[k]) per village.

    A fixed number of grouped queries whatever the number of periods (which may mix years and
    months); the result for period k equals :func:`base_counts` for that period. Indexed by
    (village_id, k), k = 1..len(starts)−1. Columns of parts not asked for stay 0.
    """
    months = len(starts) - 1  # number of periods
    reg = _month_bucket(person.c.registered_on, starts, "r").label("reg_b")
    left = _month_bucket(person.c.left_on, starts, "l").label("left_b")
    died = _month_bucket(person.c.death_date, starts, "d").label("death_b")
    stock_stmt = (
        sa.select(person.c.village_id, person.c.hukou, reg, left, died, sa.func.count().label("n"))
        .where(person.c.village_id.is_not(None))
        .group_by(person.c.village_id, person.c.hukou, reg, left, died)
    )
    stock_columns = ["village_id", "hukou", "reg_b", "left_b", "death_b", "n"]
    stock = _frame(conn.execute(stock_stmt), stock_columns) if "stock" in parts else pd.DataFrame(columns=stock_columns)

    born = _month_bucket(birth.c.birth_date, starts, "b").label("birth_b")
    compliant = sa.case((birth.c.policy_compliant == sa.true(), 1), else_=0).label("ok")
    birth_stmt = (
        sa.select(birth.c.village_id, birth.c.hukou, birth.c.sex, compliant, born, sa.func.count().label("n"))
        .where(
            birth.c.birth_date >= starts[0],
            birth.c.birth_date < starts[-1],
            birth.c.village_id.is_not(None),
        )
        .group_by(birth.c.village_id, birth.c.hukou, birth.c.sex, compliant, born)
    )
    birth_columns = ["village_id", "hukou", "sex", "ok", "birth_b", "n"]
    births = _frame(conn.execute(birth_stmt), birth_columns) if "births" in parts else pd.DataFrame(columns=birth_columns)

    wcba_frame = _interval_wcba(conn, starts) if "wcba" in parts else pd.DataFrame()

    village_ids = conn.execute(sa.select(village.c.id).order_by(village.c.id)).scalars().all()
    index = pd.MultiIndex.from_product([village_ids, range(1, months + 1)], names=["village_id", "k"])
    out = pd.DataFrame(0, index=index, columns=list(BASE_COUNT_COLUMNS), dtype="int64")
    known = set(village_ids)

    if not stock.empty:
        stock = stock[stock["village_id"].isin(known)]
        exit_b = stock[["left_b", "death_b"]].min(axis=1)
        for k in range(0, months + 1):
            present = (stock["reg_b"] <= k) & (exit_b > k)
            for hukou, column in (("local", "pop"), ("floating", "floating")):
                sums = stock.loc[present & (stock["hukou"] == hukou)].groupby("village_id")["n"].sum()
                if column == "pop":
                    if k >= 1:
                        _put(out, sums, k, "pop_end")
                    if k < months:
                        _put(out, sums, k + 1, "pop_start")
                elif k >= 1:
                    _put(out, sums, k, "floating_pop_end")
        local = stock[stock["hukou"] == "local"]
        for k in range(1, months + 1):
            _put(out, local.loc[local["death_b"] == k].groupby("village_id")["n"].sum(), k, "deaths")
    if not births.empty:
        births = births[births["village_id"].isin(known)]
        for k in range(1, months + 1):
            month = births[births["birth_b"] == k]
            local = month[month["hukou"] == "local"]
            by = lambda frame: frame.groupby("village_id")["n"].sum()  # noqa: E731
            _put(out, by(local), k, "births")
            _put(out, by(local[local["sex"] == "M"]), k, "births_male")
            _put(out, by(local[local["sex"] == "F"]), k, "births_female")
            _put(out, by(local[local["ok"] == 1]), k, "births_compliant")
            _put(out, by(month[month["hukou"] == "floating"]), k, "floating_births")
    if not wcba_frame.empty:
        wcba_frame = wcba_frame[wcba_frame.index.isin(known)]
        for k in range(1, months + 1):
            _put(out, wcba_frame[f"wcba_{k}"], k, "married_wcba")
            _put(out, wcba_frame[f"la_{k}"], k, "long_acting")
    return out


def _interval_wcba(conn: sa.Connection, starts: list[date]) -> pd.DataFrame:
    """Married WCBA and long-acting users at the end of each period, per village.

    Two narrow fetches — the women who could qualify at some period end, and their long-acting
    intervals — then every period end is a vectorised test of the same definition as
    :func:`married_wcba_condition` / :func:`method_in_use`. Columns wcba_k, la_k; index village.
    """
    ends = [s - timedelta(days=1) for s in starts[1:]]
    first, last = wcba_bind_params(ends[0]), wcba_bind_params(ends[-1])
    # Could be married WCBA at some period end: born within the widest age window, married,
    # registered by the last end, not gone before the first end.
    candidate = sa.and_(
        _local(),
        person.c.sex == "F",
        person.c.marital_status == "married",
        person.c.married_on < last["end_next"],
        person.c.registered_on < last["end_next"],
        person.c.birth_date < last["born_on_or_before"],
        person.c.birth_date >= first["born_after"],
        sa.or_(person.c.left_on.is_(None), person.c.left_on >= first["end_next"]),
        sa.or_(person.c.death_date.is_(None), person.c.death_date >= first["end_next"]),
        person.c.village_id.is_not(None),
    )
    women = _frame(
        conn.execute(
            sa.select(
                person.c.id, person.c.village_id, person.c.birth_date, person.c.married_on,
                person.c.registered_on, person.c.left_on, person.c.death_date,
            ).where(candidate)
        ),
        ["id", "village_id", "birth_date", "married_on", "registered_on", "left_on", "death_date"],
    )
    spells = _frame(
        conn.execute(
            sa.select(contraception.c.woman_id, contraception.c.start_date, contraception.c.end_date)
            .select_from(contraception.join(person, contraception.c.woman_id == person.c.id))
            .where(
                candidate,
                contraception.c.method.in_(LONG_ACTING_METHODS),
                contraception.c.start_date < last["end_next"],
                sa.or_(contraception.c.end_date.is_(None), contraception.c.end_date >= first["end_next"]),
            )
        ),
        ["woman_id", "start_date", "end_date"],
    )
    columns = [f"{kind}_{k}" for k in range(1, len(ends) + 1) for kind in ("wcba", "la")]
    if women.empty:
        return pd.DataFrame(columns=columns)
    w = {c: _days(women[c]) for c in ("birth_date", "married_on", "registered_on", "left_on", "death_date")}
    sp_start, sp_end = _days(spells["start_date"]), _days(spells["end_date"])
    sp_woman = spells["woman_id"].to_numpy()
    village_ids = women["village_id"].to_numpy()
    result: dict[str, pd.Series] = {}
    for k, d in enumerate(ends, start=1):
        p = {key: pd.Timestamp(v) for key, v in wcba_bind_params(d).items()}
        end_next = p["end_next"]
        is_wcba = (
            (w["married_on"] < end_next)
            & (w["registered_on"] < end_next)
            & (w["left_on"].isna() | (w["left_on"] >= end_next))
            & (w["death_date"].isna() | (w["death_date"] >= end_next))
            & (w["birth_date"] < p["born_on_or_before"])
            & (w["birth_date"] >= p["born_after"])
        ).to_numpy()
        in_use = (sp_start < end_next).to_numpy() & (sp_end.isna() | (sp_end >= end_next)).to_numpy()
        users = np.isin(women["id"].to_numpy(), sp_woman[in_use])
        result[f"wcba_{k}"] = pd.Series(is_wcba.astype("int64")).groupby(village_ids).sum()
        result[f"la_{k}"] = pd.Series((is_wcba & users).astype("int64")).groupby(village_ids).sum()
    return pd.DataFrame(result)[columns].fillna(0).astype("int64")


def _days(values: pd.Series) -> pd.Series:
    """Dates (or SQLite's date text, possibly with a time) as datetime64; missing as NaT."""
    return pd.to_datetime(values.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")


def _put(out: pd.DataFrame, values: pd.Series, month: int, column: str) -> None:
    if values.empty:
        return
    idx = pd.MultiIndex.from_arrays([values.index.astype("int64"), [month] * len(values)])
    out.loc[idx, column] = values.astype("int64").to_numpy()


# --------------------------------------------------------------------------- records


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
            birth.c.hukou == "local",
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
            conditions.append(contraception.c.method.in_(methods))
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


# --------------------------------------------------------------------------- service work

#: Additive service counts per village (DESIGN.md §2 rows 6–11).
SERVICE_COUNT_COLUMNS: tuple[str, ...] = (
    "households",  # households with a local member present at b
    "households_reached",  # … reached by a publicity visit in the period
    "operations",  # contraceptive operations in the period
    "operations_informed",  # … with recorded informed choice
    "short_acting_users",  # married women 15–49 using a short-acting method at b
    "supply_served",  # … who received supply service in the period
    "pregnancy_checks",  # free pre-pregnancy check events in the period (shown, not judged)
    "pregnancy_check_persons",  # distinct persons checked in the period (quota completion)
    "folic_acid",  # folic-acid hand-outs in the period (several batches per woman)
    "folic_acid_persons",  # distinct women given folic acid in the period (quota completion)
    "rewards_due",  # reward payments due in the period
    "rewards_ok",  # … paid in full by the due date
    "new_sites_county",  # county-level demonstration sites established in the period
    "new_sites_township",  # township-level demonstration sites established in the period
    "new_supply_sites",  # contraceptive-supply standard sites established in the period
)
SERVICE_TABLES = ("household", "service_event", "reward_payment", "demo_site")
SUPPLY_SITE_KIND = "药具管理服务"


def reward_paid_in_full_on_time() -> sa.ColumnElement[bool]:
    """A reward payment paid in full (amount_paid ≥ amount_due) on or before its due date."""
    return sa.and_(
        reward_payment.c.amount_paid.is_not(None),
        reward_payment.c.amount_paid >= reward_payment.c.amount_due,
        reward_payment.c.paid_on.is_not(None),
        reward_payment.c.paid_on <= reward_payment.c.due_date,
    )


def _grouped(conn: sa.Connection, stmt: sa.Select[Any], params: dict[str, object] | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(conn.execute(stmt, params or {}).mappings().all())
    return frame.set_index("village_id") if not frame.empty else frame


def service_counts(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Service-work base counts per village for ``period`` (see :data:`SERVICE_COUNT_COLUMNS`).

    Indexed by village id, every village present; a service table the registry lacks
    contributes zeros (its indicators then have no denominator: no data).
    """
    bounds = Bounds.of(period)
    start, end_next = bounds.start, bounds.end_next
    present = set(sa.inspect(conn).get_table_names())
    village_ids = pd.Index(
        conn.execute(sa.select(village.c.id).order_by(village.c.id)).scalars().all(), name="village_id"
    )
    out = pd.DataFrame(0, index=village_ids, columns=list(SERVICE_COUNT_COLUMNS), dtype="int64")
    parts: list[pd.DataFrame] = []
    in_period = lambda col: sa.and_(col >= start, col < end_next)  # noqa: E731
    if "household" in present:
        # A household counts when a local member is registered and present at the period's end:
        # emptied households and ones created later are not publicity's denominator.
        # Three narrow id lists joined in pandas: predictable on every engine, with or without
        # an index on person.household_id.
        homes = _frame(conn.execute(sa.select(household.c.id, household.c.village_id)), ["household_id", "village_id"])
        occupied = _frame(conn.execute(
            sa.select(person.c.household_id)
            .where(person.c.household_id.is_not(None), _local(),
                   _present_at(sa.bindparam("hh_end_next", end_next, type_=sa.Date)))
            .distinct()
        ), ["household_id"])
        lived_in = homes[homes["household_id"].isin(occupied["household_id"])]
        parts.append(lived_in.groupby("village_id").size().rename("households").to_frame())
        if "service_event" in present:
            reached = _frame(conn.execute(
                sa.select(service_event.c.household_id)
                .where(service_event.c.kind == "publicity_visit", in_period(service_event.c.event_date),
                       service_event.c.household_id.is_not(None))
                .distinct()
            ), ["household_id"])
            hit = lived_in[lived_in["household_id"].isin(reached["household_id"])]
            parts.append(hit.groupby("village_id").size().rename("households_reached").to_frame())
    if "service_event" in present:
        kind = service_event.c.kind
        parts.append(_grouped(conn, sa.select(
            service_event.c.village_id,
            _count_if(kind == "operation", "operations"),
            _count_if(sa.and_(kind == "operation", service_event.c.informed_choice == sa.true()), "operations_informed"),
            _count_if(kind == "pregnancy_check", "pregnancy_checks"),
            _count_if(kind == "folic_acid", "folic_acid"),
        ).where(
            kind.in_(("operation", "pregnancy_check", "folic_acid")),
            in_period(service_event.c.event_date),
            service_event.c.village_id.is_not(None),
        ).group_by(service_event.c.village_id)))
        parts.append(_quota_persons(conn, start, end_next))
        # Women on short-acting supplies at b (an index range scan) and who of them had supply
        # service in the period (a distinct id list), matched in pandas.
        p = wcba_bind_params(period.end)
        e_next = sa.bindparam("end_next", type_=sa.Date)
        wcba = married_wcba_condition(
            e_next, sa.bindparam("born_on_or_before", type_=sa.Date), sa.bindparam("born_after", type_=sa.Date)
        )
        users = _frame(conn.execute(
            sa.select(person.c.id, person.c.village_id)
            .where(wcba, method_in_use(SHORT_ACTING_METHODS, e_next), person.c.village_id.is_not(None)), p
        ), ["person_id", "village_id"])
        served = _frame(conn.execute(
            sa.select(service_event.c.person_id)
            .where(service_event.c.kind == "supply_service", in_period(service_event.c.event_date),
                   service_event.c.person_id.is_not(None))
            .distinct()
        ), ["person_id"])
        users = users.assign(served=users["person_id"].isin(served["person_id"]).astype("int64"))
        parts.append(users.groupby("village_id").agg(short_acting_users=("person_id", "size"),
                                                      supply_served=("served", "sum")))
    if "reward_payment" in present:
        ok = reward_paid_in_full_on_time()
        parts.append(_grouped(conn, sa.select(
            person.c.village_id,
            sa.func.count().label("rewards_due"),
            _count_if(ok, "rewards_ok"),
        ).select_from(reward_payment.join(person, reward_payment.c.person_id == person.c.id))
         .where(in_period(reward_payment.c.due_date), person.c.village_id.is_not(None))
         .group_by(person.c.village_id)))
    if "demo_site" in present:
        parts.append(_grouped(conn, sa.select(
            demo_site.c.village_id,
            _count_if(demo_site.c.level == "county", "new_sites_county"),
            _count_if(demo_site.c.level == "township", "new_sites_township"),
            _count_if(demo_site.c.kind == SUPPLY_SITE_KIND, "new_supply_sites"),
        ).where(in_period(demo_site.c.established_on), demo_site.c.village_id.is_not(None))
         .group_by(demo_site.c.village_id)))
    for part in parts:
        if part.empty:
            continue
        part.index = part.index.astype("int64")
        part = part[part.index.isin(village_ids)]
        out.loc[part.index, part.columns] = part.astype("int64").to_numpy()
    return out


QUOTA_PERSON_COLUMNS = {"pregnancy_check": "pregnancy_check_persons", "folic_acid": "folic_acid_persons"}


def _quota_persons(conn: sa.Connection, start: date, end_next: date) -> pd.DataFrame:
    """Distinct persons with at least one pregnancy check / folic-acid event in [start, end_next).

    A person is counted once, in the village of her first such event in the period (ties:
    the lower event id), so that villages add up to townships and the county without counting
    anyone twice. Events without a person do not count toward completion.
    """
    rows = _frame(conn.execute(
        sa.select(service_event.c.kind, service_event.c.person_id, service_event.c.village_id,
                  service_event.c.event_date, service_event.c.id)
        .where(service_event.c.kind.in_(tuple(QUOTA_PERSON_COLUMNS)),
               service_event.c.event_date >= start, service_event.c.event_date < end_next,
               service_event.c.person_id.is_not(None), service_event.c.village_id.is_not(None))
    ), ["kind", "person_id", "village_id", "event_date", "id"])
    columns = list(QUOTA_PERSON_COLUMNS.values())
    if rows.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="village_id"))
    rows["event_date"] = _days(rows["event_date"])
    first = rows.sort_values(["event_date", "id"], kind="stable").drop_duplicates(["kind", "person_id"])
    counted = first.groupby(["village_id", "kind"]).size().unstack("kind", fill_value=0)
    counted = counted.rename(columns=QUOTA_PERSON_COLUMNS).reindex(columns=columns, fill_value=0)
    counted.index = counted.index.astype("int64")
    return counted


def load_quotas(conn: sa.Connection, year: int) -> pd.DataFrame:
    """task_quota rows of ``year``: township_id, kind, quota (empty if the table is absent)."""
    columns = ["township_id", "kind", "quota"]
    if not sa.inspect(conn).has_table("task_quota"):
        return pd.DataFrame(columns=columns)
    stmt = sa.select(task_quota.c.township_id, task_quota.c.kind, task_quota.c.quota).where(task_quota.c.year == year)
    return pd.DataFrame(conn.execute(stmt).mappings().all(), columns=columns)


# --------------------------------------------------------------------------- data quality


def persons_for_id_checks(conn: sa.Connection) -> pd.DataFrame:
    """Every person's id, ID number, sex, birth date and village (for the ID-number checks)."""
    stmt = sa.select(person.c.id, person.c.id_number, person.c.sex, person.c.birth_date, person.c.village_id)
    return _frame(conn.execute(stmt), ["person_id", "id_number", "sex", "birth_date", "village_id"])


def persons_by_id(conn: sa.Connection, ids: list[int]) -> pd.DataFrame:
    """Name, ID number, sex, birth date and village of the given persons (offending records)."""
    columns = ["person_id", "name", "id_number", "sex", "birth_date", "village_id", "hukou"]
    if not ids:
        return pd.DataFrame(columns=columns)
    out = []
    for chunk in range(0, len(ids), 500):  # bounded IN lists on every dialect
        stmt = sa.select(
            person.c.id, person.c.name, person.c.id_number, person.c.sex, person.c.birth_date,
            person.c.village_id, person.c.hukou,
        ).where(person.c.id.in_(ids[chunk:chunk + 500]))
        out.append(_frame(conn.execute(stmt), columns))
    return pd.concat(out, ignore_index=True)


def mother_ages(conn: sa.Connection) -> pd.DataFrame:
    """Local births with their mother's birth date: birth_id, village_id, birth_date, mother_id, mother_birth_date."""
    mother = person.alias("mother")
    stmt = (
        sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.mother_id, mother.c.birth_date)
        .select_from(birth.join(mother, birth.c.mother_id == mother.c.id))
        .where(birth.c.hukou == "local", mother.c.birth_date.is_not(None), birth.c.birth_date.is_not(None))
    )
    return _frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "mother_id", "mother_birth_date"])


def births_missing_fields(conn: sa.Connection) -> pd.DataFrame:
    """Local births without sex or without the compliance flag."""
    stmt = sa.select(birth.c.id, birth.c.village_id, birth.c.birth_date, birth.c.sex, birth.c.policy_compliant).where(
        birth.c.hukou == "local", sa.or_(birth.c.sex.is_(None), birth.c.policy_compliant.is_(None))
    )
    return _frame(conn.execute(stmt), ["birth_id", "village_id", "birth_date", "sex", "policy_compliant"])


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
        frame = _frame(conn.execute(stmt), ["record_id", "person_id", "village_id", "date"])
        frame.insert(0, "field", field)
        frame.insert(0, "table", table)
        rows.append(frame)

    if after is not None:
        limit = sa.bindparam("after", after + timedelta(days=1), type_=sa.Date)
        for field in ("birth_date", "registered_on", "left_on", "death_date", "married_on"):
            col = person.c[field]
            collect("person", field, sa.select(person.c.id, person.c.id, person.c.village_id, col).where(col >= limit))
        collect("birth", "birth_date", sa.select(birth.c.id, birth.c.mother_id, birth.c.village_id, birth.c.birth_date)
                .where(birth.c.birth_date >= limit))
        collect("contraception", "start_date", sa.select(
            contraception.c.id, contraception.c.woman_id, person.c.village_id, contraception.c.start_date)
            .select_from(contraception.join(person, contraception.c.woman_id == person.c.id))
            .where(contraception.c.start_date >= limit))
        if "service_event" in present:
            collect("service_event", "event_date", sa.select(
                service_event.c.id, service_event.c.person_id, service_event.c.village_id, service_event.c.event_date)
                .where(service_event.c.event_date >= limit))
        if "reward_payment" in present:
            collect("reward_payment", "paid_on", sa.select(
                reward_payment.c.id, reward_payment.c.person_id, person.c.village_id, reward_payment.c.paid_on)
                .select_from(reward_payment.join(person, reward_payment.c.person_id == person.c.id))
                .where(reward_payment.c.paid_on >= limit))
        if "demo_site" in present:
            collect("demo_site", "established_on", sa.select(
                demo_site.c.id, sa.null(), demo_site.c.village_id, demo_site.c.established_on)
                .where(demo_site.c.established_on >= limit))
    if before_birth:
        for field in ("registered_on", "left_on", "death_date", "married_on"):
            col = person.c[field]
            collect("person", field, sa.select(person.c.id, person.c.id, person.c.village_id, col)
                    .where(col < person.c.birth_date))
        collect("contraception", "start_date", sa.select(
            contraception.c.id, contraception.c.woman_id, person.c.village_id, contraception.c.start_date)
            .select_from(contraception.join(person, contraception.c.woman_id == person.c.id))
            .where(contraception.c.start_date < person.c.birth_date))
        mother = person.alias("mother")
        collect("birth", "birth_date", sa.select(birth.c.id, birth.c.mother_id, birth.c.village_id, birth.c.birth_date)
                .select_from(birth.join(mother, birth.c.mother_id == mother.c.id))
                .where(birth.c.birth_date < mother.c.birth_date))
        if "service_event" in present:
            collect("service_event", "event_date", sa.select(
                service_event.c.id, service_event.c.person_id, service_event.c.village_id, service_event.c.event_date)
                .select_from(service_event.join(person, service_event.c.person_id == person.c.id))
                .where(service_event.c.event_date < person.c.birth_date))
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
            if village_id not in latest or when > latest[village_id]:  # type: ignore[operator]
                latest[int(village_id)] = when
    ids = conn.execute(sa.select(village.c.id)).scalars().all()
    return pd.Series({int(v): latest.get(int(v), pd.NaT) for v in ids}, dtype="datetime64[ns]")


def moves(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Local moves in (registered in the period, not at birth) and out (left in the period) per village."""
    bounds = Bounds.of(period)
    stmt = (
        sa.select(
            person.c.village_id,
            _count_if(sa.and_(person.c.registered_on >= bounds.start, person.c.registered_on < bounds.end_next,
                              sa.or_(person.c.birth_date.is_(None), person.c.registered_on != person.c.birth_date)),
                      "moves_in"),
            _count_if(sa.and_(person.c.left_on >= bounds.start, person.c.left_on < bounds.end_next), "moves_out"),
        )
        .where(person.c.hukou == "local", person.c.village_id.is_not(None))
        .group_by(person.c.village_id)
    )
    frame = pd.DataFrame(conn.execute(stmt).mappings().all(), columns=["village_id", "moves_in", "moves_out"])
    return frame.set_index("village_id")


# --------------------------------------------------------------------------- target edits


def target_years(conn: sa.Connection) -> list[int]:
    """Years that have rows in the target table (ascending; empty without the table)."""
    if not sa.inspect(conn).has_table("target"):
        return []
    return [int(y) for y in conn.execute(sa.select(target.c.year).distinct().order_by(target.c.year)).scalars()]


def replace_targets(conn: sa.Connection, year: int, rows: list[dict[str, object]]) -> None:
    """Replace every target row of ``year`` with ``rows`` (call inside one transaction).

    Creates the ``target`` table if the registry lacks it (the only table the dashboard
    writes).
    """
    if not sa.inspect(conn).has_table("target"):
        target.create(conn)
    conn.execute(sa.delete(target).where(target.c.year == year))
    if rows:
        conn.execute(sa.insert(target), [{**r, "year": year} for r in rows])


def reward_problems(conn: sa.Connection, period: DayRange) -> pd.DataFrame:
    """Reward payments due in the period that were not paid in full by the due date.

    Columns: payment_id, person_id, village_id, name, id_number, scheme, amount_due,
    amount_paid, due_date, paid_on. Unmasked: the caller masks.
    """
    columns = ["payment_id", "person_id", "village_id", "name", "id_number", "scheme", "amount_due",
               "amount_paid", "due_date", "paid_on"]
    if not sa.inspect(conn).has_table("reward_payment"):
        return pd.DataFrame(columns=columns)
    bounds = Bounds.of(period)
    ok = reward_paid_in_full_on_time()
    stmt = (
        sa.select(
            reward_payment.c.id, reward_payment.c.person_id, person.c.village_id, person.c.name, person.c.id_number,
            reward_payment.c.scheme, reward_payment.c.amount_due, reward_payment.c.amount_paid,
            reward_payment.c.due_date, reward_payment.c.paid_on,
        )
        .select_from(reward_payment.join(person, reward_payment.c.person_id == person.c.id))
        .where(reward_payment.c.due_date >= bounds.start, reward_payment.c.due_date < bounds.end_next, ~ok)
        .order_by(reward_payment.c.due_date, reward_payment.c.id)
    )
    return _frame(conn.execute(stmt), columns)
