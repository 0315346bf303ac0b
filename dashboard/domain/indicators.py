"""The indicator catalogue and engine: roll-up, values, projection, intervals, status.

The catalogue is data: each :class:`Indicator` names its numerator and denominator as
weighted sums of additive base counts, so a new indicator (the service work of the plan) is
one more row, not new code. Roll-up to township and county sums the base counts first and
divides afterwards — a ratio of sums, never a mean of ratios.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from dashboard.domain import intervals
from dashboard.domain import targets as target_rules
from dashboard.domain.county import County
from dashboard.domain.errors import KeyedError
from dashboard.domain.periods import Period

Unit = Literal["permille", "percent", "ratio", "count"]
IntervalKind = Literal["poisson", "poisson_difference", "wilson", "sex_ratio", "none"]
Terms = tuple[tuple[str, float], ...]

LEVELS: tuple[str, ...] = ("county", "township", "village")


@dataclass(frozen=True)
class Indicator:
    """One row of the catalogue (codes and numbers; its names and formula are words:
    ``dashboard.labels`` keys ``ind_name_<code>``, ``ind_short_<code>``, ``ind_formula_<code>``).

    ``value = Σ numerator terms ÷ Σ denominator terms × scale``; ``projected`` marks a rate
    over time (per-mille rates, quota completion) that gets a full-year projection
    (× days in year ÷ days in period) and is judged on it for a partial year.
    """

    code: str
    unit: Unit
    numerator: Terms
    denominator: Terms
    scale: float
    interval: IntervalKind
    projected: bool
    group: Literal["headline", "service"] = "headline"
    decimals: int = 2

    @property
    def count_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.numerator + self.denominator))


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        code="birth_rate",
        unit="permille",
        numerator=(("births", 1.0),),
        denominator=(("pop_start", 0.5), ("pop_end", 0.5)),
        scale=1000.0,
        interval="poisson",
        projected=True,
    ),
    Indicator(
        code="natural_growth_rate",
        unit="permille",
        numerator=(("births", 1.0), ("deaths", -1.0)),
        denominator=(("pop_start", 0.5), ("pop_end", 0.5)),
        scale=1000.0,
        interval="poisson_difference",
        projected=True,
    ),
    Indicator(
        code="planned_birth_rate",
        unit="percent",
        numerator=(("births_compliant", 1.0),),
        denominator=(("births", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
    ),
    Indicator(
        code="sex_ratio_at_birth",
        unit="ratio",
        numerator=(("births_male", 1.0),),
        denominator=(("births_female", 1.0),),
        scale=100.0,
        interval="sex_ratio",
        projected=False,
        decimals=1,
    ),
    Indicator(
        code="long_acting_rate",
        unit="percent",
        numerator=(("long_acting", 1.0),),
        denominator=(("married_wcba", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
    ),
)

SERVICE: tuple[Indicator, ...] = (
    Indicator(
        code="publicity_household_rate",
        unit="percent",
        numerator=(("households_reached", 1.0),),
        denominator=(("households", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
    ),
    Indicator(
        code="informed_choice_rate",
        unit="percent",
        numerator=(("operations_informed", 1.0),),
        denominator=(("operations", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
    ),
    Indicator(
        code="supply_service_rate",
        unit="percent",
        numerator=(("supply_served", 1.0),),
        denominator=(("short_acting_users", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
    ),
    Indicator(
        code="pregnancy_check_completion",
        unit="percent",
        numerator=(("pregnancy_check_persons", 1.0),),
        denominator=(("quota_pregnancy_check", 1.0),),
        scale=100.0,
        interval="none",
        projected=True,
        group="service",
    ),
    Indicator(
        code="folic_acid_completion",
        unit="percent",
        numerator=(("folic_acid_persons", 1.0),),
        denominator=(("quota_folic_acid", 1.0),),
        scale=100.0,
        interval="none",
        projected=True,
        group="service",
    ),
    Indicator(
        code="reward_payment_rate",
        unit="percent",
        numerator=(("rewards_ok", 1.0),),
        denominator=(("rewards_due", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
    ),
)

CATALOGUE = CATALOGUE + SERVICE

BY_CODE: dict[str, Indicator] = {i.code: i for i in CATALOGUE}
HEADLINE: tuple[Indicator, ...] = tuple(i for i in CATALOGUE if i.group == "headline")


def get(code: str) -> Indicator:
    return BY_CODE[code]


# --------------------------------------------------------------------------- roll-up

UNIT_COLUMNS = ["level", "unit_id", "code", "name", "township_id", "township_code", "township_name"]


class LevelError(KeyedError, ValueError):
    """A level that is not county, township or village."""


def roll_up(counts: pd.DataFrame, units: pd.DataFrame, level: str, county: County) -> pd.DataFrame:
    """Sum per-village base counts to ``level`` ('county', 'township' or 'village').

    ``counts`` is indexed by village id (``data_access.queries.base_counts``), ``units`` by
    village id (``load_units``). Returns one row per unit with :data:`UNIT_COLUMNS` and the
    count columns, in township-code / village-code order. Every unit appears, with zeros when
    it had nothing.
    """
    if level not in LEVELS:
        raise LevelError("err_level", text=level)
    count_cols = list(counts.columns)
    joined = units.join(counts, how="left")
    joined[count_cols] = joined[count_cols].fillna(0).astype("int64")
    if level == "village":
        out = pd.DataFrame(
            {
                "level": "village",
                "unit_id": joined.index.astype("int64"),
                "code": joined["village_code"].to_numpy(),
                "name": joined["village_name"].to_numpy(),
                "township_id": joined["township_id"].to_numpy(),
                "township_code": joined["township_code"].to_numpy(),
                "township_name": joined["township_name"].to_numpy(),
            }
        )
        out[count_cols] = joined[count_cols].to_numpy()
        return out.reset_index(drop=True)
    if level == "township":
        grouped = joined.groupby(["township_id", "township_code", "township_name"], sort=False, dropna=False)[
            count_cols
        ].sum()
        grouped = grouped.reset_index().sort_values("township_code", kind="stable")
        out = pd.DataFrame(
            {
                "level": "township",
                "unit_id": grouped["township_id"].astype("int64").to_numpy(),
                "code": grouped["township_code"].to_numpy(),
                "name": grouped["township_name"].to_numpy(),
                "township_id": grouped["township_id"].astype("int64").to_numpy(),
                "township_code": grouped["township_code"].to_numpy(),
                "township_name": grouped["township_name"].to_numpy(),
            }
        )
        out[count_cols] = grouped[count_cols].to_numpy()
        return out.reset_index(drop=True)
    c = county
    out = pd.DataFrame(
        {
            "level": ["county"],
            "unit_id": [0],
            "code": [c.code],
            "name": [c.name],
            "township_id": [None],
            "township_code": [None],
            "township_name": [None],
        }
    )
    for col in count_cols:
        out[col] = int(joined[col].sum())
    return out


QUOTA_KINDS = {"pregnancy_check": "quota_pregnancy_check", "folic_acid": "quota_folic_acid"}


def attach_quotas(rolled: pd.DataFrame, quotas: pd.DataFrame | None) -> pd.DataFrame:
    """Add the year's task quotas: a township's own, the county's sum; villages have none.

    Quotas are set per township (task_quota), so they are not village counts: a village's
    quota indicators have no denominator (no data), and so does a township without a quota.
    """
    out = rolled.copy()
    if quotas is not None and not quotas.empty:  # a quota that is no whole number ≥ 0 is not used
        number = pd.to_numeric(quotas["quota"], errors="coerce")
        usable = number.notna() & (number >= 0) & (number == number.round())
        quotas = quotas[usable].assign(
            quota=number[usable], kind=quotas.loc[usable, "kind"].astype("string").str.strip().str.lower()
        )
    for kind, column in QUOTA_KINDS.items():
        out[column] = np.nan
        if quotas is None or quotas.empty:
            continue
        rows = quotas[quotas["kind"] == kind]
        per_township = rows.groupby("township_id")["quota"].sum().astype("float64")
        per_township.index = per_township.index.astype("int64")
        level = rolled["level"].iloc[0] if len(rolled) else None
        if level == "township":
            out[column] = rolled["township_id"].astype("int64").map(per_township).to_numpy()
        elif level == "county" and not per_township.empty:
            out[column] = float(per_township.sum())
    return out


def headline(result: pd.DataFrame) -> pd.DataFrame:
    """Only the five headline indicators' rows of a result."""
    return result[result["indicator"].isin([i.code for i in HEADLINE])]


# --------------------------------------------------------------------------- engine

RESULT_COLUMNS = [
    *UNIT_COLUMNS,
    "indicator",
    "unit",
    "numerator",
    "denominator",
    "value",
    "projection",
    "ci_low",
    "ci_high",
    "projection_ci_low",
    "projection_ci_high",
    "target_op",
    "target_value",
    "target_low",
    "target_high",
    "target_amber",
    "status",
    "small_numbers",
]


def _weighted(frame: pd.DataFrame, terms: Terms) -> pd.Series:
    total = pd.Series(0.0, index=frame.index)
    for column, weight in terms:
        total = total + frame[column].astype("float64") * weight
    return total


def _interval(ind: Indicator, frame: pd.DataFrame, num: pd.Series, den: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if ind.interval == "wilson":
        low, high = intervals.wilson(num, den)
        return low * ind.scale, high * ind.scale
    if ind.interval == "sex_ratio":
        return intervals.sex_ratio(num, den)
    if ind.interval == "poisson":
        return intervals.poisson_rate(num, den, ind.scale)
    if ind.interval == "poisson_difference":
        (plus, _), (minus, _) = ind.numerator[0], ind.numerator[1]
        return intervals.poisson_difference_rate(frame[plus], frame[minus], den, ind.scale)
    nan = np.full(len(frame), np.nan)
    return nan, nan


def compute(
    rolled: pd.DataFrame,
    period: Period,
    targets: pd.DataFrame,
    indicators: tuple[Indicator, ...] = HEADLINE,
    *,
    factors: np.ndarray | None = None,
    rules: dict[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Every indicator for every unit of ``rolled`` (output of :func:`roll_up`), long format.

    One row per unit × indicator with :data:`RESULT_COLUMNS`: the numerator and denominator
    behind the number, ``value`` (cumulative over the period, not annualised), ``projection``
    (full-year projection for projected indicators, else equal to ``value``), the 95 %
    intervals of both, the target that applies (township override, else county-wide), the
    status of the projection and whether the interval is too wide to judge (``small_numbers``).
    An empty denominator gives NaN value and status ``no_data``. ``factors`` gives each row
    its own projection factor (rows that are different periods: a time series), and ``rules``
    per indicator the target rule of each row (``targets.resolve``'s frame, aligned to
    ``rolled``: rows of different years each with its year's rule) in place of ``targets``.
    """
    township_ids = rolled["township_id"].where(rolled["level"] != "county", None)
    factor = np.asarray(factors, dtype="float64") if factors is not None else period.projection_factor
    n = len(rolled)
    # Columns gathered as arrays, one block per indicator, then laid out unit by unit: a frame
    # built once costs a fraction of setting twenty columns per indicator.
    blocks: dict[str, list[np.ndarray]] = {c: [] for c in RESULT_COLUMNS if c not in UNIT_COLUMNS}
    for ind in indicators:
        num = _weighted(rolled, ind.numerator)
        den = _weighted(rolled, ind.denominator)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, num / den * ind.scale, np.nan)
        ci_low, ci_high = _interval(ind, rolled, num, den)
        ci_low = np.where(den > 0, ci_low, np.nan)
        ci_high = np.where(den > 0, ci_high, np.nan)
        f = factor if ind.projected else np.ones(n) if factors is not None else 1.0
        projection = value * f
        rule = rules[ind.code].copy() if rules is not None else target_rules.resolve(targets, ind.code, township_ids)
        rule.index = rolled.index
        status = target_rules.status(pd.Series(projection, index=rolled.index), rule).to_numpy(dtype=object)
        small = target_rules.inconclusive(
            pd.Series(ci_low * f, index=rolled.index), pd.Series(ci_high * f, index=rolled.index), rule
        ).to_numpy(dtype=bool)
        columns = {
            "indicator": np.full(n, ind.code, dtype=object),
            "unit": np.full(n, ind.unit, dtype=object),
            "numerator": num.to_numpy(dtype="float64"),
            "denominator": den.to_numpy(dtype="float64"),
            "value": value,
            "projection": np.asarray(projection, dtype="float64"),
            "ci_low": ci_low,
            "ci_high": ci_high,
            "projection_ci_low": ci_low * f,
            "projection_ci_high": ci_high * f,
            "target_op": rule["op"].to_numpy(dtype=object),
            "target_value": rule["value"].to_numpy(dtype="float64"),
            "target_low": rule["low"].to_numpy(dtype="float64"),
            "target_high": rule["high"].to_numpy(dtype="float64"),
            "target_amber": rule["amber"].to_numpy(dtype="float64"),
            "status": status,
            "small_numbers": small & (status != target_rules.NO_DATA),
        }
        for name, values in columns.items():
            blocks[name].append(np.broadcast_to(values, (n,)))
    k = len(indicators)
    units = rolled[UNIT_COLUMNS].iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
    data = {name: np.stack(parts, axis=1).reshape(-1) for name, parts in blocks.items()}  # unit-major
    result = pd.concat([units, pd.DataFrame(data)], axis=1)
    result["small_numbers"] = result["small_numbers"].astype(bool)
    return result[RESULT_COLUMNS]


def without_values(result: pd.DataFrame) -> pd.DataFrame:
    """The same rows with no value, projection or interval and status ``no_data`` (a period the
    registry's data does not cover: its counts are not zeros to judge)."""
    out = result.copy()
    for column in ("value", "projection", "ci_low", "ci_high", "projection_ci_low", "projection_ci_high"):
        out[column] = np.nan
    out["status"] = target_rules.NO_DATA
    out["small_numbers"] = False
    return out


def wide(result: pd.DataFrame, field: str = "value") -> pd.DataFrame:
    """Unit × indicator table of one field of :func:`compute`'s output, in catalogue order."""
    table = result.pivot_table(index=["code", "name"], columns="indicator", values=field, aggfunc="first", sort=False)
    ordered = [i.code for i in CATALOGUE if i.code in table.columns]
    return table[ordered]
