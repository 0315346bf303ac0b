"""The ``target`` table: a year's rows, the years that have rows, replacing a year's rows (the
only table the dashboard writes)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access.schema import target

COLUMNS = ["indicator", "township_id", "op", "value", "low", "high", "amber"]


def load_targets(conn: sa.Connection, year: int) -> pd.DataFrame:
    """Target rows for ``year`` (contract columns only); empty if the table is absent."""
    return load_targets_of(conn, [year])[year]


def load_targets_of(conn: sa.Connection, years: list[int]) -> dict[int, pd.DataFrame]:
    """:func:`load_targets` for several years in one query (a trends page's seven)."""
    if not sa.inspect(conn).has_table("target"):
        return {y: pd.DataFrame(columns=COLUMNS) for y in years}
    stmt = sa.select(target.c.year, *(target.c[c] for c in COLUMNS)).where(target.c.year.in_(years))
    by_year: dict[int, list[tuple[object, ...]]] = {y: [] for y in years}
    for row in conn.execute(stmt):
        by_year[int(row[0])].append(tuple(row[1:]))
    # A frame per year from its own rows: each year's columns typed as a query of that year alone
    return {y: pd.DataFrame(rows, columns=COLUMNS) for y, rows in by_year.items()}


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
