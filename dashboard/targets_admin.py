"""Viewing and editing the ``target`` table: a year's rows, validation, save, copy to a year.

Edits are validated as a whole and written in one transaction: an invalid row refuses the
save with a one-line reason and leaves the table unchanged.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import sqlalchemy as sa

from dashboard import indicators as ind
from dashboard import labels
from dashboard import targets as tr
from data_access import queries
from data_access.db import RegistryError, one_line

EDIT_COLUMNS = ["township", "indicator", "op", "value", "low", "high", "amber"]
COUNTY_WIDE = "全县（默认）"


def indicator_names() -> dict[str, str]:
    """Indicator code → the name the page shows."""
    return {i.code: i.name for i in ind.CATALOGUE}


_OP_KEYS = (("<=", "op_le"), (">=", "op_ge"), ("=", "op_eq"), ("band", "op_band"))


def op_words() -> dict[str, str]:
    """Comparison code → the word the page shows: '<=' → '不高于', 'band' → '区间'."""
    return {op: labels.t(key) for op, key in _OP_KEYS}


def _op_code(text: object) -> str:
    """A comparison as the page shows it (in either language) or as its code → the code."""
    value = str(text or "").strip()
    words = {word: op for op, key in _OP_KEYS for word in labels.every(key)}
    return words.get(value, value)


NAME_TO_CODE = {i.name_zh: i.code for i in ind.CATALOGUE} | {i.name_en: i.code for i in ind.CATALOGUE}


class TargetEditError(ValueError):
    """An edit that cannot be saved; the message is one line for the user."""


def can_edit() -> bool:
    """Whether this installation lets users edit targets (``DASHBOARD_ROLE`` county, the default)."""
    return os.environ.get("DASHBOARD_ROLE", "county").lower() == "county"


def year_rows(engine: sa.Engine, year: int) -> tuple[pd.DataFrame, bool]:
    """The year's target rows for editing (township names, not ids) and whether they are the
    config defaults because the year has no rows yet."""
    with engine.connect() as conn:
        rows = queries.load_targets(conn, year)
        units = queries.load_units(conn)
    names = dict(units.drop_duplicates("township_id")[["township_id", "township_name"]].to_numpy())
    defaults = rows.empty
    if defaults:
        rows = tr.default_targets()
    frame = pd.DataFrame(
        {
            "township": [COUNTY_WIDE if pd.isna(t) else names.get(int(t), str(int(t))) for t in rows["township_id"]],
            "indicator": rows["indicator"].to_numpy(),
            "op": rows["op"].map(op_words()).fillna(rows["op"]).to_numpy(),
            "value": pd.to_numeric(rows["value"]).to_numpy(dtype="float64"),
            "low": pd.to_numeric(rows["low"]).to_numpy(dtype="float64"),
            "high": pd.to_numeric(rows["high"]).to_numpy(dtype="float64"),
            "amber": pd.to_numeric(rows["amber"]).to_numpy(dtype="float64"),
        }
    )
    order = {i.code: n for n, i in enumerate(ind.CATALOGUE)}
    frame = frame.assign(_c=frame["township"] != COUNTY_WIDE, _o=frame["indicator"].map(order).fillna(99))
    frame = frame.sort_values(["_c", "township", "_o"], kind="stable").drop(columns=["_c", "_o"])
    return frame.reset_index(drop=True), defaults


def validate(frame: pd.DataFrame, township_ids: dict[str, int]) -> list[dict[str, object]]:
    """Rows for the target table, or TargetEditError naming the first problem (row number)."""
    rows: list[dict[str, object]] = []
    seen: set[tuple[object, str]] = set()
    known = {i.code for i in ind.CATALOGUE}
    for n, r in enumerate(frame.to_dict("records"), start=1):
        if all(pd.isna(r.get(c)) or r.get(c) in ("", None) for c in EDIT_COLUMNS):
            continue  # an empty row the editor added
        where = labels.t("target_row", n=n)
        indicator = str(r.get("indicator") or "").strip()
        indicator = NAME_TO_CODE.get(indicator, indicator)  # the page shows names
        if indicator not in known:
            raise TargetEditError(f"{where}：{labels.t('target_err_indicator', code=indicator)}")
        township = str(r.get("township") or COUNTY_WIDE).strip()
        if township not in (COUNTY_WIDE, "") and township not in township_ids:
            raise TargetEditError(f"{where}：{labels.t('target_err_township', name=township)}")
        township_id = None if township in (COUNTY_WIDE, "") else township_ids[township]
        op = _op_code(r.get("op"))

        def num(key: str) -> float | None:
            v = r.get(key)
            if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
                return None
            try:
                return float(v)
            except (TypeError, ValueError):
                raise TargetEditError(f"{where}：{labels.t('target_err_number', field=labels.t(f'col_{key}'))}") from None

        value, low, high, amber = num("value"), num("low"), num("high"), num("amber")
        problem = tr.validate_rule(op, value, low, high, amber if amber is not None else -1.0)
        if problem:
            raise TargetEditError(f"{where}：{problem}")
        key = (township_id, indicator)
        if key in seen:
            raise TargetEditError(f"{where}：{labels.t('target_err_duplicate')}")
        seen.add(key)
        rows.append({"indicator": indicator, "township_id": township_id, "op": op, "value": value,
                     "low": low if op == "band" else None, "high": high if op == "band" else None, "amber": amber})
    return rows


def save(engine: sa.Engine, year: int, frame: pd.DataFrame) -> int:
    """Validate and write a year's rows in one transaction; returns the number of rows saved."""
    if not can_edit():
        raise TargetEditError(labels.t("target_err_role"))
    with engine.connect() as conn:
        units = queries.load_units(conn)
    township_ids = {name: int(tid) for tid, name in units.drop_duplicates("township_id")[["township_id", "township_name"]].to_numpy()}
    rows = validate(frame, township_ids)
    try:
        with engine.begin() as conn:
            queries.replace_targets(conn, year, rows)
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc
    return len(rows)


def copy_year(engine: sa.Engine, from_year: int, to_year: int) -> int:
    """Copy ``from_year``'s rows (or the defaults) to ``to_year``, replacing what it had."""
    frame, _ = year_rows(engine, from_year)
    return save(engine, to_year, frame)
