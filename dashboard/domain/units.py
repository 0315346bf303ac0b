"""Townships and villages of the registry's unit table (``data_access.queries.units``): the
lookups every page makes."""

from __future__ import annotations

import pandas as pd


def township_options(units: pd.DataFrame) -> dict[str, str]:
    """Township code → name, in code order."""
    first = units.drop_duplicates("township_code")
    return dict(zip(first["township_code"].astype(str), first["township_name"].astype(str)))


def village_options(units: pd.DataFrame, township_code: str | None) -> dict[str, str]:
    """The township's village code → name (none without a township)."""
    if not township_code:
        return {}
    chosen = units[units["township_code"] == township_code]
    return dict(zip(chosen["village_code"].astype(str), chosen["village_name"].astype(str)))


def village_id(units: pd.DataFrame, village_code: str) -> int:
    return int(units.index[units["village_code"] == village_code][0])


def village_names(units: pd.DataFrame) -> dict[int, str]:
    """Village id → name."""
    return dict(zip(units.index.astype(int), units["village_name"].astype(str)))


def scope_units(units: pd.DataFrame, township_code: str | None, village_code: str | None) -> pd.DataFrame:
    """The units of a scope: the county (all), a township, or one village of it."""
    chosen = units
    if township_code:
        chosen = units[units["township_code"] == township_code]
        if village_code:
            village = chosen[chosen["village_code"] == village_code]
            if not village.empty:
                chosen = village
    return chosen
