"""The ``target`` table: a year's rows, the years that have rows, replacing a year's rows (the
only table the dashboard writes)."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access.schema import target


def load_targets(conn: sa.Connection, year: int) -> pd.DataFrame:
    """Target rows for ``year`` (contract columns only); empty if the table is absent."""
    columns = ["indicator", "township_id", "op", "value", "low", "high", "amber"]
    if not sa.inspect(conn).has_table("target"):
        return pd.DataFrame(columns=columns)
    stmt = sa.select(*(target.c[c] for c in columns)).where(target.c.year == year)
    rows = conn.execute(stmt).mappings().all()
    return pd.DataFrame(rows, columns=columns)


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
