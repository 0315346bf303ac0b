"""Villages with their townships, and the years the registry covers."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from data_access.schema import birth, township, village


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


def year_span(conn: sa.Connection) -> tuple[int, int] | None:
    """First and last calendar year with a recorded birth; None if there are none."""
    low, high = conn.execute(sa.select(sa.func.min(birth.c.birth_date), sa.func.max(birth.c.birth_date))).one()
    if low is None or high is None:
        return None
    return _year_of(low), _year_of(high)


def _year_of(value: object) -> int:
    # SQLite may hand back text; the other dialects give dates.
    return value.year if hasattr(value, "year") else int(str(value)[:4])
