"""Targets and status rules (DESIGN.md §2).

Targets are data: the registry's ``target`` table (per year, optionally per township — a
township row overrides the county-wide row). ``config/targets.toml`` holds the defaults that
seed a new registry and apply to a year with no rows. Status of a value v against a row:

=======  =================  ==============================  =========
op       green              amber                           red
=======  =================  ==============================  =========
``<=``   v ≤ value          v ≤ value + amber               otherwise
``>=``   v ≥ value          v ≥ value − amber               otherwise
``=``    v = value          |v − value| ≤ amber             otherwise
band     low ≤ v ≤ high     low − amber ≤ v ≤ high + amber  otherwise
=======  =================  ==============================  =========

A missing value (empty denominator) has status ``no_data``. The defaults and the assessment
settings are read from ``config/targets.toml`` by ``data_access.config`` and passed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

GREEN, AMBER, RED, NO_DATA = "green", "amber", "red", "no_data"
STATUSES: tuple[str, ...] = (GREEN, AMBER, RED, NO_DATA)
OPS: tuple[str, ...] = ("<=", ">=", "=", "band")

# Values are floats from divisions and weighted sums (e.g. 0.07 × 100 = 7.000000000000001):
# the last bit of rounding must never flip a value that is exactly on a target.
_EPS = 1e-9

TARGET_COLUMNS = ["indicator", "township_id", "op", "value", "low", "high", "amber"]


@dataclass(frozen=True)
class Assessment:
    """Assessment-score settings: points per indicator and the veto line."""

    points: dict[str, float]
    veto_indicator: str
    veto_below: float


def target_rows(section: dict[str, Any]) -> pd.DataFrame:
    """County-wide target rows (township_id null) from a ``[targets]`` configuration section."""
    rows = []
    for code, spec in section.items():
        rows.append(
            {
                "indicator": code,
                "township_id": None,
                "op": spec["op"],
                "value": float(spec["value"]),
                "low": float(spec["low"]) if "low" in spec else None,
                "high": float(spec["high"]) if "high" in spec else None,
                "amber": float(spec.get("amber", 0.0)),
            }
        )
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


def seed_rows(defaults: pd.DataFrame, year: int) -> list[dict[str, object]]:
    """Rows for the ``target`` table seeding ``year`` with the defaults."""
    return [{"year": year, **row} for row in defaults.to_dict("records")]


def assessment_from(section: dict[str, Any]) -> Assessment:
    """Assessment settings from an ``[assessment]`` configuration section."""
    return Assessment(
        points={k: float(v) for k, v in section.get("points", {}).items()},
        veto_indicator=str(section.get("veto_indicator", "planned_birth_rate")),
        veto_below=float(section.get("veto_below", 82)),
    )


def with_defaults(year_rows: pd.DataFrame, defaults: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The year's target rows, completed by the defaults for indicators the year lacks.

    Returns the rows and whether any default was used (the UI says so).
    """
    rows = usable_rows(year_rows[TARGET_COLUMNS]) if not year_rows.empty else year_rows
    county_rows = rows[rows["township_id"].isna()] if not rows.empty else rows
    have = set(county_rows["indicator"]) if not rows.empty else set()
    missing = defaults[~defaults["indicator"].isin(have)]
    used_defaults = not missing.empty
    combined = pd.concat([df for df in (rows, missing) if not df.empty], ignore_index=True)
    if combined.empty:
        combined = pd.DataFrame(columns=TARGET_COLUMNS)
    return combined, used_defaults


#: The range a target of each unit can sensibly take (a per-mille rate above 100‰, a share
#: outside 0–100 %, a sex ratio outside 50–200 is a typing error, not a target).
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "permille": (-100.0, 100.0),
    "percent": (0.0, 100.0),
    "ratio": (50.0, 200.0),
}


def implausible(
    unit: str, value: float | None, low: float | None, high: float | None, amber: float | None
) -> tuple[str, dict[str, object]] | None:
    """(message key, fields) when a target's numbers lie outside what its unit allows."""
    lo, hi = PLAUSIBLE.get(unit, (-np.inf, np.inf))
    for number in (value, low, high):
        if number is not None and not (np.isfinite(number) and lo <= number <= hi):
            return "target_err_implausible", {"value": f"{number:g}", "low": f"{lo:g}", "high": f"{hi:g}"}
    if amber is not None and np.isfinite(amber) and amber > (hi - lo):
        return "target_err_implausible", {"value": f"{amber:g}", "low": "0", "high": f"{hi - lo:g}"}
    return None


def usable_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """The target rows that can be judged against: a known comparison (trimmed), numbers where
    numbers belong (text in ``value`` is no target), a band with both ends. The others are left
    out — the defaults apply — and the quality checks count them (``target_invalid``)."""
    out = rows.copy()
    out["op"] = out["op"].astype("string").str.strip().astype(object)
    for column in ("value", "low", "high", "amber"):
        out[column] = pd.to_numeric(out[column], errors="coerce")
    ok = [
        validate_rule(
            "" if pd.isna(op) else str(op),
            None if pd.isna(v) else float(v),
            None if pd.isna(lo) else float(lo),
            None if pd.isna(hi) else float(hi),
            0.0 if pd.isna(am) else float(am),
        )
        is None
        for op, v, lo, hi, am in zip(out["op"], out["value"], out["low"], out["high"], out["amber"], strict=True)
    ]
    return out[ok]


#: A unit's target rule as arrays aligned to the units: ``op`` (object, None where no rule),
#: ``value``, ``low``, ``high``, ``amber`` (floats, NaN where none).
RuleArrays = dict[str, NDArray[Any]]

_FIELDS = ("op", "value", "low", "high", "amber")
_NO_RULE: tuple[object, ...] = (None, np.nan, np.nan, np.nan, np.nan)


def rule_arrays(
    targets: pd.DataFrame, indicators: Sequence[str], township_ids: pd.Series | None
) -> dict[str, RuleArrays]:
    """Per indicator, the target rule that applies to each unit: the township's own row, else
    the county-wide one (later rows win). One pass over the target rows for every indicator:
    a report judges 11–22 indicators, and a frame per indicator cost more than the judging.

    ``township_ids`` is one entry per unit (None/NaN for the county)."""
    ids = township_ids if township_ids is not None else pd.Series([None])
    wanted = set(indicators)
    fallback: dict[str, tuple[object, ...]] = {}
    own: dict[str, dict[int, tuple[object, ...]]] = {code: {} for code in wanted}
    if len(targets):
        columns = [targets[c].tolist() for c in ("indicator", "township_id", *_FIELDS)]
        for code, township, *values in zip(*columns, strict=True):
            if code not in wanted:
                continue
            if pd.isna(township):
                fallback[code] = tuple(values)
            else:
                own[code][int(township)] = tuple(values)
    keys = pd.to_numeric(ids, errors="coerce").to_numpy(dtype="float64")
    townships = [None if np.isnan(key) else int(key) for key in keys]
    out: dict[str, RuleArrays] = {}
    for code in indicators:
        mine, county_wide = own.get(code, {}), fallback.get(code, _NO_RULE)
        chosen = [county_wide if t is None else mine.get(t, county_wide) for t in townships]
        op = np.array([None if pd.isna(c[0]) else c[0] for c in chosen], dtype=object)
        arrays: RuleArrays = {"op": op}
        for i, field in enumerate(_FIELDS[1:], start=1):
            arrays[field] = np.array([_number(c[i]) for c in chosen], dtype="float64")
        has_rule = np.array([o is not None for o in op], dtype=bool)
        arrays["amber"] = np.where(has_rule, np.nan_to_num(arrays["amber"], nan=0.0), np.nan)
        out[code] = arrays
    return out


def resolve(targets: pd.DataFrame, indicator: str, township_ids: pd.Series | None) -> pd.DataFrame:
    """The target row that applies to each unit (:func:`rule_arrays` of one indicator) as a
    frame aligned to ``township_ids``: columns op, value, low, high, amber."""
    ids = township_ids if township_ids is not None else pd.Series([None])
    arrays = rule_arrays(targets, [indicator], ids)[indicator]
    out = pd.DataFrame({f: arrays[f] for f in _FIELDS[1:]}, index=ids.index)
    out.insert(0, "op", pd.Series(arrays["op"], index=ids.index, dtype=object))  # object: None where no rule
    return out


def arrays_of(rules: pd.DataFrame) -> RuleArrays:
    """A :func:`resolve` frame as :data:`RuleArrays`."""
    arrays: RuleArrays = {"op": rules["op"].to_numpy(dtype=object)}
    for field in _FIELDS[1:]:
        arrays[field] = rules[field].to_numpy(dtype="float64")
    return arrays


def _number(value: object) -> float:
    """A target field as a float (NaN for none or text)."""
    if value is None or isinstance(value, str):
        try:
            return float(value) if value is not None and value.strip() else np.nan
        except ValueError:
            return np.nan
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return np.nan


def _green_amber(
    v: NDArray[np.float64],
    op: NDArray[np.object_],
    value: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    amber: NDArray[np.float64],
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Boolean masks: v is green; v is at most amber (green or amber)."""
    with np.errstate(invalid="ignore"):
        green = np.select(
            [op == "<=", op == ">=", op == "=", op == "band"],
            [
                v <= value + _EPS,
                v >= value - _EPS,
                np.abs(v - value) <= _EPS,
                (v >= low - _EPS) & (v <= high + _EPS),
            ],
            default=False,
        )
        within_amber = np.select(
            [op == "<=", op == ">=", op == "=", op == "band"],
            [
                v <= value + amber + _EPS,
                v >= value - amber - _EPS,
                np.abs(v - value) <= amber + _EPS,
                (v >= low - amber - _EPS) & (v <= high + amber + _EPS),
            ],
            default=False,
        )
    return green.astype(bool), within_amber.astype(bool)


def status_of(values: NDArray[np.float64], rule: RuleArrays) -> NDArray[np.object_]:
    """Status of each value against its aligned target rule (:func:`rule_arrays`)."""
    v = np.asarray(values, dtype="float64")
    op = rule["op"]
    green, amber = _green_amber(v, op, rule["value"], rule["low"], rule["high"], rule["amber"])
    result = np.where(green, GREEN, np.where(amber, AMBER, RED)).astype(object)
    result[np.isnan(v) | pd.isna(op)] = NO_DATA  # no value, or no rule
    return result


def status(values: pd.Series, rules: pd.DataFrame) -> pd.Series:
    """Status of each value against its aligned target row (``resolve`` output)."""
    return pd.Series(status_of(values.to_numpy(dtype="float64"), arrays_of(rules)), index=values.index, dtype=object)


def inconclusive_of(low: NDArray[np.float64], high: NDArray[np.float64], rule: RuleArrays) -> NDArray[np.bool_]:
    """True where the interval [low, high] reaches both a green and a red value.

    Such a value cannot tell whether the target is met: "数量少，仅供参考".
    """
    lo = np.asarray(low, dtype="float64")
    hi = np.asarray(high, dtype="float64")
    op, value, tl, th, am = rule["op"], rule["value"], rule["low"], rule["high"], rule["amber"]
    with np.errstate(invalid="ignore"):
        reaches_green = np.select(
            [op == "<=", op == ">=", op == "=", op == "band"],
            [lo <= value, hi >= value, (lo <= value) & (hi >= value), (lo <= th) & (hi >= tl)],
            default=False,
        )
        reaches_red = np.select(
            [op == "<=", op == ">=", op == "=", op == "band"],
            [
                hi > value + am,
                lo < value - am,
                (lo < value - am) | (hi > value + am),
                (lo < tl - am) | (hi > th + am),
            ],
            default=False,
        )
    out = reaches_green.astype(bool) & reaches_red.astype(bool)
    out &= ~(np.isnan(lo) | np.isnan(hi))
    return out


def inconclusive(low: pd.Series, high: pd.Series, rules: pd.DataFrame) -> pd.Series:
    """:func:`inconclusive_of` on Series aligned to a ``resolve`` frame."""
    return pd.Series(
        inconclusive_of(low.to_numpy(dtype="float64"), high.to_numpy(dtype="float64"), arrays_of(rules)),
        index=low.index,
    )


def rule_of(row: Any) -> dict[str, Any]:
    """The target rule a result row was judged by: op, value, low, high (for charts, gaps)."""
    return {"op": row["target_op"], "value": row["target_value"], "low": row["target_low"], "high": row["target_high"]}


def validate_rule(op: str, value: float | None, low: float | None, high: float | None, amber: float) -> str | None:
    """The message key of why a target row is invalid (``target_err_…``), or None when valid."""
    if op not in OPS:
        return "target_err_op"
    if value is None or pd.isna(value) or not np.isfinite(value):
        return "target_err_value"
    if amber is None or pd.isna(amber) or amber < 0 or not np.isfinite(amber):
        return "target_err_amber"
    if op == "band":
        if low is None or high is None or pd.isna(low) or pd.isna(high):
            return "target_err_band"
        if low > high:
            return "target_err_band_order"
    return None
