"""The scope picker: a township (or the whole county) and, within it, a village (or all)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard import labels
from dashboard.app import cache
from dashboard.domain import units


def scope_picker(
    url: str,
    *,
    key: str,
    township_column: Any,
    village_column: Any,
    everything: str,
    every_village: str,
    village_allowed: bool = True,
    mine: str | None = None,
) -> tuple[str | None, str | None]:
    """Two selectboxes in the given columns; returns (township code, village code), None for
    "the whole county" / "every village". ``everything`` and ``every_village`` name those;
    the township box opens on ``mine`` (我的乡镇) the first time it is shown."""
    unit_rows = cache.unit_rows(url)
    townships = units.township_options(unit_rows)
    if mine in townships and f"{key}_township" not in st.session_state:
        st.session_state[f"{key}_township"] = mine
    township = township_column.selectbox(
        labels.t("township"),
        ["", *townships],
        key=f"{key}_township",
        format_func=lambda c: townships.get(c, everything),
    )
    village = ""
    if township and village_allowed:
        villages = units.village_options(unit_rows, township)
        village = village_column.selectbox(
            labels.t("village"),
            ["", *villages],
            key=f"{key}_village",
            format_func=lambda c: villages.get(c, every_village),
        )
    return township or None, village or None
