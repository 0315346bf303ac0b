"""Grouped base-count queries: one row per village of additive counts for a period.

Every indicator is derived from these counts (the design's definitions), so roll-up to
township and county is a plain sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from data_access.filters import Bounds, DayRange
from data_access.queries.common import (
    LONG_ACTING_METHODS,
    as_dates,
    count_if,
    is_local,
    married_wcba_condition,
    method_in_use,
    present_at,
    rows_frame,
    wcba_bind_params,
)
from data_access.schema import birth, contraception, person, village

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
                sa.and_(is_local(), person.c.death_date >= start, person.c.death_date < end_next),
                "deaths",
            ),
            count_if(sa.and_(person.c.hukou == "floating", present_at(end_next)), "floating_pop_end"),
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
    local = birth.c.hukou == "local"
    return (
        sa.select(
            birth.c.village_id,
            count_if(local, "births"),
            count_if(sa.and_(local, birth.c.sex == "M"), "births_male"),
            count_if(sa.and_(local, birth.c.sex == "F"), "births_female"),
            count_if(sa.and_(local, birth.c.policy_compliant == sa.true()), "births_compliant"),
            count_if(birth.c.hukou == "floating", "floating_births"),
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


def parts_for(columns: Iterable[str]) -> tuple[str, ...]:
    """The registry parts (stock, births, wcba) these base counts come from."""
    wanted = {COUNT_PARTS[c] for c in columns}
    return tuple(p for p in ALL_PARTS if p in wanted)


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
    stock = (
        rows_frame(conn.execute(stock_stmt), stock_columns) if "stock" in parts else pd.DataFrame(columns=stock_columns)
    )

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
    births = (
        rows_frame(conn.execute(birth_stmt), birth_columns)
        if "births" in parts
        else pd.DataFrame(columns=birth_columns)
    )

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
        is_local(),
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
    women = rows_frame(
        conn.execute(
            sa.select(
                person.c.id,
                person.c.village_id,
                person.c.birth_date,
                person.c.married_on,
                person.c.registered_on,
                person.c.left_on,
                person.c.death_date,
            ).where(candidate)
        ),
        ["id", "village_id", "birth_date", "married_on", "registered_on", "left_on", "death_date"],
    )
    spells = rows_frame(
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
    w = {c: as_dates(women[c]) for c in ("birth_date", "married_on", "registered_on", "left_on", "death_date")}
    sp_start, sp_end = as_dates(spells["start_date"]), as_dates(spells["end_date"])
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


def _put(out: pd.DataFrame, values: pd.Series, month: int, column: str) -> None:
    if values.empty:
        return
    idx = pd.MultiIndex.from_arrays([values.index.astype("int64"), [month] * len(values)])
    out.loc[idx, column] = values.astype("int64").to_numpy()
