"""Reading the summaries: a period's base counts per village (the same frame the live
``counts.base_counts`` and ``services.service_counts`` give), the units, quotas, data-quality
counts and the population balance — a few small grouped queries on the store."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard.domain import quality
from dashboard.domain.coverage import Coverage
from dashboard.domain.periods import Period
from data_access.queries.counts import BASE_COUNT_COLUMNS
from data_access.queries.services import SERVICE_COUNT_COLUMNS
from data_access.summaries import store
from data_access.summaries.store import FLOW_COLUMNS, RANGE_COLUMNS, STOCK_COLUMNS, UNIT_COLUMNS, month_index


@dataclass(frozen=True)
class Snapshot:
    """The store's current generation and what its refresh recorded."""

    generation: int
    refreshed_at: str
    first_year: int
    last_year: int
    tables: frozenset[str]
    coverage: Coverage = Coverage(None, None)  # the days the registry's data covered at the refresh
    registry_file: str = ""  # a SQLite registry's file identity at the refresh
    targets_json: str = "[]"  # the target table at the refresh (used while the registry is down)

    def stored_targets(self, year: int) -> pd.DataFrame:
        """The year's target rows as they stood at the refresh."""
        rows = pd.read_json(io.StringIO(self.targets_json or "[]"), orient="records")
        columns = ["indicator", "township_id", "op", "value", "low", "high", "amber"]
        if rows.empty:
            return pd.DataFrame(columns=columns)
        return rows[rows["year"] == year][columns].reset_index(drop=True)

    def covers(self, period: Period) -> bool:
        return self.first_year <= period.year <= self.last_year


def snapshot(conn: sa.Connection) -> Snapshot | None:
    """The current generation (None before the first refresh)."""
    generation = store.current_generation(conn)
    if generation is None:
        return None
    meta = store.read_meta(conn)
    first, _, last = meta.get("horizon", "0-0").partition("-")
    coverage = Coverage(_day(meta.get("coverage_first")), _day(meta.get("coverage_last")))
    return Snapshot(
        generation,
        meta.get("refreshed_at", ""),
        int(first),
        int(last),
        frozenset(t for t in meta.get("tables", "").split(",") if t),
        coverage,
        meta.get("registry_file", ""),
        meta.get("targets", "[]"),
    )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def load_units(conn: sa.Connection, generation: int) -> pd.DataFrame:
    """The villages with their townships, as ``queries.units.load_units`` gives them."""
    u = store.unit
    frame = pd.DataFrame(
        [
            tuple(r)
            for r in conn.execute(
                sa.select(u.c.village_id, *(u.c[c] for c in UNIT_COLUMNS))
                .where(u.c.generation == generation)
                .order_by(u.c.township_code, u.c.village_code)
            ).all()
        ],
        columns=["village_id", *UNIT_COLUMNS],
    )
    for column in ("village_code", "township_code"):
        frame[column] = frame[column].astype(str)
    return frame.set_index("village_id")


def load_quotas(conn: sa.Connection, generation: int, year: int) -> pd.DataFrame:
    q = store.quota
    rows = conn.execute(
        sa.select(q.c.township_id, q.c.kind, q.c.quota).where(q.c.generation == generation, q.c.year == year)
    ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["township_id", "kind", "quota"])


def _by_village(conn: sa.Connection, stmt: sa.Select[tuple[object, ...]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in conn.execute(stmt)], columns=["village_id", *columns])
    return frame.set_index("village_id")


COUNT_COLUMNS = [*BASE_COUNT_COLUMNS, *SERVICE_COUNT_COLUMNS]


def period_counts(conn: sa.Connection, generation: int, period: Period, village_ids: pd.Index) -> pd.DataFrame:
    """Base and service counts per village for ``period`` (months of one year): flows summed
    over its months, stocks at the end of the month before it and of its last month, the
    distinct counts of its month range. Every village in ``village_ids`` appears."""
    return periods_counts(conn, generation, [period], village_ids)[period.label]


def periods_counts(
    conn: sa.Connection, generation: int, periods: list[Period], village_ids: pd.Index
) -> dict[str, pd.DataFrame]:
    """:func:`period_counts` for several periods in three queries (a trends page's ~40)."""
    return _periods_counts(conn, generation, periods, village_ids)


def unit_periods_counts(
    conn: sa.Connection, generation: int, periods: list[Period], village_ids: list[int] | None
) -> dict[str, pd.Series]:
    """One unit's base and service counts for several periods: the sum over ``village_ids``
    (None: every village of the generation's units), summed by the database — a trends page
    reads one row per month, not one per village and month (~100×, 0.3 s at scale 1)."""
    frames = _periods_counts(conn, generation, periods, pd.Index([_UNIT]), summed=True, villages=village_ids)
    return {label: frame.iloc[0] for label, frame in frames.items()}


_UNIT = 0  # the one row of a unit's sums


def _periods_counts(
    conn: sa.Connection,
    generation: int,
    periods: list[Period],
    village_ids: pd.Index,
    *,
    summed: bool = False,
    villages: list[int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Per village of ``village_ids``, or (``summed``) the sum over ``villages`` (None: all)
    in the one row ``_UNIT``."""
    if not periods:
        return {}
    bounds = {
        p.label: (month_index(p.start.year, p.start.month), month_index(p.end.year, p.end.month)) for p in periods
    }
    lo = min(a for a, _ in bounds.values())
    hi = max(b for _, b in bounds.values())
    f, s, r = store.flow, store.stock, store.month_range
    needed = sorted({m for a, b in bounds.values() for m in (a - 1, b)})
    keys = sorted({(p.year, p.start.month, p.end.month) for p in periods})
    flow_stmt = sa.select(f.c.village_id, f.c.month, *(f.c[c] for c in FLOW_COLUMNS)).where(
        f.c.generation == generation, f.c.month >= lo, f.c.month <= hi
    )
    stock_stmt = sa.select(s.c.month, s.c.village_id, *(s.c[c] for c in STOCK_COLUMNS)).where(
        s.c.generation == generation, s.c.month.in_(needed)
    )
    range_key = (r.c.year, r.c.first_month, r.c.last_month)
    range_stmt = sa.select(*range_key, r.c.village_id, *(r.c[c] for c in RANGE_COLUMNS)).where(
        r.c.generation == generation, sa.tuple_(*range_key).in_(keys)
    )
    if summed:  # one unit: the database sums its villages, month by month
        flow_stmt = _summed(flow_stmt, f, (f.c.month,), FLOW_COLUMNS, generation, villages)
        stock_stmt = _summed(stock_stmt, s, (s.c.month,), STOCK_COLUMNS, generation, villages)
        range_stmt = _summed(range_stmt, r, range_key, RANGE_COLUMNS, generation, villages)
    flow_rows = pd.DataFrame(
        [tuple(row) for row in conn.execute(flow_stmt).all()], columns=["village_id", "month", *FLOW_COLUMNS]
    )
    stock_rows = pd.DataFrame(
        [tuple(row) for row in conn.execute(stock_stmt).all()], columns=["month", "village_id", *STOCK_COLUMNS]
    )
    range_rows = pd.DataFrame(
        [tuple(row) for row in conn.execute(range_stmt).all()],
        columns=["year", "first_month", "last_month", "village_id", *RANGE_COLUMNS],
    )
    # Running sums of the flows over months, per village (villages × months × columns): a
    # period's flows are two lookups.
    ids = pd.Index(village_ids)
    row = ids.get_indexer(flow_rows["village_id"].to_numpy())
    col = flow_rows["month"].to_numpy(dtype="int64") - (lo - 1)
    placed = row >= 0
    cube = np.zeros((len(ids), hi - lo + 2, len(FLOW_COLUMNS)), dtype="int64")
    np.add.at(cube, (row[placed], col[placed]), flow_rows[list(FLOW_COLUMNS)].to_numpy(dtype="int64")[placed])
    running = cube.cumsum(axis=1)
    flow_index = {c: k for k, c in enumerate(FLOW_COLUMNS)}
    # Stocks and distinct counts likewise: (months or ranges) × villages × columns.
    month_pos = {m: k for k, m in enumerate(needed)}
    stock_cube = np.zeros((len(needed), len(ids), len(STOCK_COLUMNS)), dtype="int64")
    s_row = ids.get_indexer(stock_rows["village_id"].to_numpy())
    s_month = np.array([month_pos[int(m)] for m in stock_rows["month"]], dtype="int64")
    ok = s_row >= 0
    stock_cube[s_month[ok], s_row[ok]] = stock_rows[list(STOCK_COLUMNS)].to_numpy(dtype="int64")[ok]
    stocked = {int(m) for m in stock_rows["month"]}
    stock_index = {c: k for k, c in enumerate(STOCK_COLUMNS)}
    key_pos = {k: n for n, k in enumerate(keys)}
    range_cube = np.zeros((len(keys), len(ids), len(RANGE_COLUMNS)), dtype="int64")
    r_row = ids.get_indexer(range_rows["village_id"].to_numpy())
    r_key = np.array(
        [key_pos[(int(y), int(a), int(b))] for y, a, b in range_rows[["year", "first_month", "last_month"]].to_numpy()],
        dtype="int64",
    )
    ok = r_row >= 0
    range_cube[r_key[ok], r_row[ok]] = range_rows[list(RANGE_COLUMNS)].to_numpy(dtype="int64")[ok]
    ranged = {(int(y), int(a), int(b)) for y, a, b in range_rows[["year", "first_month", "last_month"]].to_numpy()}
    stock_of = {"pop_end": "pop", "floating_pop_end": "floating_pop"}
    end_columns = ("pop_end", "floating_pop_end", "married_wcba", "long_acting", "short_acting_users", "households")
    zeros = np.zeros(len(ids), dtype="int64")
    out = {}
    for p in periods:
        a, b = bounds[p.label]
        sums = running[:, b - (lo - 1), :] - running[:, a - 1 - (lo - 1), :]
        data = {c: sums[:, flow_index[c]] for c in FLOW_COLUMNS if c in COUNT_COLUMNS}
        start = stock_cube[month_pos[a - 1]] if a - 1 in stocked else None
        data["pop_start"] = start[:, stock_index["pop"]] if start is not None else zeros
        end = stock_cube[month_pos[b]] if b in stocked else None
        for column in end_columns:
            data[column] = end[:, stock_index[stock_of.get(column, column)]] if end is not None else zeros
        key = (p.year, p.start.month, p.end.month)
        for column in RANGE_COLUMNS:
            data[column] = range_cube[key_pos[key], :, RANGE_COLUMNS.index(column)] if key in ranged else zeros
        frame = pd.DataFrame({c: data.get(c, zeros) for c in COUNT_COLUMNS}, index=village_ids)
        out[p.label] = frame
    return out


def _summed(
    stmt: Any,
    table: sa.Table,
    keys: tuple[sa.ColumnElement[object], ...],
    columns: tuple[str, ...] | list[str],
    generation: int,
    village_ids: list[int] | None,
) -> Any:
    """``stmt`` (its columns: the keys, village_id, the counts, in any order) as the sum of the
    counts over the villages, grouped by the keys, with village_id the constant ``_UNIT``."""
    u = store.unit
    chosen: Any = (
        sa.select(u.c.village_id).where(u.c.generation == generation)
        if village_ids is None
        else sa.bindparam("chosen", list(village_ids), expanding=True)
    )
    summed = {c: sa.func.coalesce(sa.func.sum(table.c[c]), 0) for c in columns}
    out: list[sa.ColumnElement[Any]] = []
    for column in stmt.selected_columns:
        if column.name == "village_id":
            out.append(sa.literal_column(str(_UNIT), sa.Integer).label("village_id"))
        elif column.name in summed:
            out.append(summed[column.name].label(column.name))
        else:
            out.append(column)
    return stmt.with_only_columns(*out).where(table.c.village_id.in_(chosen)).group_by(*keys)


def moves(conn: sa.Connection, generation: int, period: Period) -> pd.DataFrame:
    """Local moves in and out per village in the period (for the population balance)."""
    f = store.flow
    first = month_index(period.start.year, period.start.month)
    last = month_index(period.end.year, period.end.month)
    return _by_village(
        conn,
        sa.select(f.c.village_id, sa.func.sum(f.c.moves_in), sa.func.sum(f.c.moves_out))
        .where(f.c.generation == generation, f.c.month >= first, f.c.month <= last)
        .group_by(f.c.village_id),
        ["moves_in", "moves_out"],
    )


def quality_findings(
    conn: sa.Connection, generation: int, period: Period, village_ids: pd.Index, counts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Findings per village and check (``quality.FINDING_COLUMNS`` with a count in ``value``):
    the stored checks, and the period's population balance worked out from the counts (the
    period's :func:`period_counts`, read here unless given)."""
    q = store.quality
    stored = pd.DataFrame(
        [
            tuple(r)
            for r in conn.execute(
                sa.select(q.c.village_id, q.c.check_code, sa.func.sum(q.c.n))
                .where(q.c.generation == generation)
                .group_by(q.c.village_id, q.c.check_code)
            ).all()
        ],
        columns=["village_id", "check", "n"],
    )
    if counts is None:
        counts = period_counts(conn, generation, period, village_ids)
    balance = quality.balance_findings(counts, moves(conn, generation, period))
    balance = balance.assign(n=1)[["village_id", "check", "n"]]
    return pd.concat([stored, balance], ignore_index=True)


def quality_report(findings: pd.DataFrame, units: pd.DataFrame) -> quality.QualityReport:
    """The counted findings as a ``QualityReport`` (one row per finding, without the record:
    the page lists records live, one check at a time)."""
    expanded = findings.loc[findings.index.repeat(findings["n"].astype("int64"))].drop(columns="n")
    expanded = expanded.assign(record=np.nan, person_id=pd.NA, detail="", value=np.nan)
    return quality.summarise(expanded[quality.FINDING_COLUMNS].reset_index(drop=True), units)
