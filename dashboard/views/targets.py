"""The targets page: a year's target rows as an editable table (township names, indicator
names, comparisons in words), and their validation back into rows for the ``target`` table.

An edit is validated as a whole: an invalid row refuses the save with a one-line reason
naming the row, and nothing is written."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import targets as tr
from dashboard.render import formats

EDIT_COLUMNS = ["township", "indicator", "op", "value", "low", "high", "amber"]
_OP_KEYS = (("<=", "op_le"), (">=", "op_ge"), ("=", "op_eq"), ("band", "op_band"))


class TargetEditError(ValueError):
    """An edit that cannot be saved; the message is one line for the user."""


def role_refusal() -> str:
    return labels.t("target_err_role")


def county_wide() -> str:
    """The township column's word for a county-wide row: '全县（默认）'."""
    return labels.t("targets_county_wide")


def op_words() -> dict[str, str]:
    """Comparison code → the word the page shows: '<=' → '不高于', 'band' → '区间'."""
    return {op: labels.t(key) for op, key in _OP_KEYS}


def indicator_names() -> dict[str, str]:
    """Indicator code → the name the page shows."""
    return {i.code: formats.indicator_name(i.code) for i in ind.CATALOGUE}


def _op_code(text: object) -> str:
    """A comparison as the page shows it (in either language) or as its code → the code."""
    value = str(text or "").strip()
    words = {word: op for op, key in _OP_KEYS for word in labels.every(key)}
    return words.get(value, value)


def _indicator_code(text: object) -> str:
    """An indicator as the page shows it (its name in either language) or its code → the code."""
    value = str(text or "").strip()
    names = {name: i.code for i in ind.CATALOGUE for name in labels.every(f"ind_name_{i.code}")}
    return names.get(value, value)


def township_ids(unit_rows: pd.DataFrame) -> dict[str, int]:
    """Township name → id (the editor names townships)."""
    first = unit_rows.drop_duplicates("township_id")
    return {str(n): int(t) for t, n in zip(first["township_id"], first["township_name"])}


def editor_frame(rows: pd.DataFrame, unit_rows: pd.DataFrame, defaults: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The year's rows for editing (words, not codes) and whether they are the defaults
    because the year has no rows yet."""
    names = {v: k for k, v in township_ids(unit_rows).items()}
    use_defaults = rows.empty
    if use_defaults:
        rows = defaults
    wide = county_wide()
    frame = pd.DataFrame(
        {
            "township": [wide if pd.isna(t) else names.get(int(t), str(int(t))) for t in rows["township_id"]],
            "indicator": rows["indicator"].map(indicator_names()).fillna(rows["indicator"]).to_numpy(),
            "op": rows["op"].map(op_words()).fillna(rows["op"]).to_numpy(),
            "value": pd.to_numeric(rows["value"]).to_numpy(dtype="float64"),
            "low": pd.to_numeric(rows["low"]).to_numpy(dtype="float64"),
            "high": pd.to_numeric(rows["high"]).to_numpy(dtype="float64"),
            "amber": pd.to_numeric(rows["amber"]).to_numpy(dtype="float64"),
        }
    )
    order = {formats.indicator_name(i.code): n for n, i in enumerate(ind.CATALOGUE)}
    frame = frame.assign(_c=frame["township"] != wide, _o=frame["indicator"].map(order).fillna(99))
    frame = frame.sort_values(["_c", "township", "_o"], kind="stable").drop(columns=["_c", "_o"])
    return frame.reset_index(drop=True), use_defaults


def _number(row: dict[str, object], key: str, where: str) -> float | None:
    """A number the user typed (None for an empty cell); text is refused in one line."""
    v = row.get(key)
    if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
        return None
    try:
        return float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise TargetEditError(f"{where}：{labels.t('target_err_number', field=labels.t(f'col_{key}'))}") from None


def version(rows: pd.DataFrame) -> str:
    """A fingerprint of a year's target rows as loaded: a save made on a view whose rows have
    changed since (someone else saved) is refused."""
    if rows.empty:
        return "empty"
    columns = ["indicator", "township_id", "op", "value", "low", "high", "amber"]
    ordered = rows[columns].astype(str).sort_values(columns).to_csv(index=False)
    return hashlib.sha1(ordered.encode("utf-8")).hexdigest()


def changes(before: pd.DataFrame, now: pd.DataFrame) -> str:
    """What someone else changed, in words: the indicators whose rows differ."""

    def keyed(rows: pd.DataFrame) -> dict[tuple[str, str], str]:
        return {
            (str(r["indicator"]), str(r["township_id"])): "|".join(
                str(r[c]) for c in ("op", "value", "low", "high", "amber")
            )
            for r in rows.to_dict("records")
        }

    a, b = keyed(before), keyed(now)
    touched = sorted({k[0] for k in set(a) ^ set(b)} | {k[0] for k in set(a) & set(b) if a[k] != b[k]})
    return "、".join(formats.indicator_short(c) if c in ind.BY_CODE else c for c in touched) or "—"


def validate(frame: pd.DataFrame, townships: dict[str, int]) -> list[dict[str, object]]:
    """Rows for the target table, or :class:`TargetEditError` naming the first problem's row."""
    rows: list[dict[str, object]] = []
    seen: set[tuple[object, str]] = set()
    known = {i.code for i in ind.CATALOGUE}
    wide = set(labels.every("targets_county_wide")) | {""}
    for n, r in enumerate(frame.to_dict("records"), start=1):
        if all(pd.isna(r.get(c)) or r.get(c) in ("", None) for c in EDIT_COLUMNS):
            continue  # an empty row the editor added
        where = labels.t("target_row", n=n)
        indicator = _indicator_code(r.get("indicator"))
        if indicator not in known:
            raise TargetEditError(f"{where}：{labels.t('target_err_indicator', code=indicator)}")
        township = str(r.get("township") or "").strip()
        if township not in wide and township not in townships:
            raise TargetEditError(f"{where}：{labels.t('target_err_township', name=township)}")
        township_id = None if township in wide else townships[township]
        op = _op_code(r.get("op"))

        value, low, high, amber = (_number(r, key, where) for key in ("value", "low", "high", "amber"))
        problem = tr.validate_rule(op, value, low, high, amber if amber is not None else -1.0)
        if problem:
            words = "、".join(op_words().values())
            raise TargetEditError(f"{where}：{labels.t(problem, ops=words)}")
        implausible = tr.implausible(ind.get(indicator).unit, value, low, high, amber)
        if implausible:
            raise TargetEditError(f"{where}：{labels.t(implausible[0], **implausible[1])}")
        key = (township_id, indicator)
        if key in seen:
            raise TargetEditError(f"{where}：{labels.t('target_err_duplicate')}")
        seen.add(key)
        rows.append(
            {
                "indicator": indicator,
                "township_id": township_id,
                "op": op,
                "value": value,
                "low": low if op == "band" else None,
                "high": high if op == "band" else None,
                "amber": amber,
            }
        )
    return rows
