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
    # Arrays, not a join and a groupby: 170 villages, where pandas' overhead was the cost.
    matrix = counts.reindex(units.index).fillna(0).to_numpy().astype("int64")
    if level == "village":
        identity = {
            "level": "village",
            "unit_id": units.index.to_numpy().astype("int64"),
            "code": units["village_code"].to_numpy(),
            "name": units["village_name"].to_numpy(),
            "township_id": units["township_id"].to_numpy(),
            "township_code": units["township_code"].to_numpy(),
            "township_name": units["township_name"].to_numpy(),
        }
        return pd.DataFrame({**identity, **dict(zip(count_cols, matrix.T, strict=True))})
    if level == "township":
        # A village's township columns come from its township's one row: the id is the group.
        group, _ = pd.factorize(units["township_id"], sort=False)  # in order of appearance
        firsts = np.unique(group, return_index=True)[1]
        sums = np.zeros((len(firsts), len(count_cols)), dtype="int64")
        np.add.at(sums, group, matrix)
        codes = units["township_code"].iloc[firsts].reset_index(drop=True)
        order = codes.sort_values(kind="stable").index.to_numpy()  # by code, a missing one last
        found = units.iloc[firsts[order]]
        ids = found["township_id"].astype("int64").to_numpy()
        identity = {
            "level": "township",
            "unit_id": ids,
            "code": found["township_code"].to_numpy(),
            "name": found["township_name"].to_numpy(),
            "township_id": ids,
            "township_code": found["township_code"].to_numpy(),
            "township_name": found["township_name"].to_numpy(),
        }
        return pd.DataFrame({**identity, **dict(zip(count_cols, sums[order].T, strict=True))})
    c = county
    identity = {
        "level": ["county"],
        "unit_id": [0],
        "code": [c.code],
        "name": [c.name],
        "township_id": [None],
        "township_code": [None],
        "township_name": [None],
    }
    totals = matrix.sum(axis=0)
    return pd.DataFrame({**identity, **{col: [int(totals[i])] for i, col in enumerate(count_cols)}})


QUOTA_KINDS = {"pregnancy_check": "quota_pregnancy_check", "folic_acid": "quota_folic_acid"}


def attach_quotas(rolled: pd.DataFrame, quotas: pd.DataFrame | None) -> pd.DataFrame:
    """Add the year's task quotas: a township's own, the county's sum; villages have none.

    Quotas are set per township (task_quota), so they are not village counts: a village's
    quota indicators have no denominator (no data), and so does a township without a quota.
    """
    per_kind: dict[str, dict[int, float]] = {kind: {} for kind in QUOTA_KINDS}
    if quotas is not None and not quotas.empty:
        number = pd.to_numeric(quotas["quota"], errors="coerce").to_numpy(dtype="float64")
        for township, kind, quota in zip(quotas["township_id"].tolist(), quotas["kind"].tolist(), number, strict=True):
            # a quota that is no whole number ≥ 0 is not used, nor one of no township
            if not (quota >= 0 and quota == np.round(quota)) or pd.isna(township) or pd.isna(kind):
                continue
            found = per_kind.get(str(kind).strip().lower())
            if found is not None:
                found[int(township)] = found.get(int(township), 0.0) + float(quota)
    level = rolled["level"].iloc[0] if len(rolled) else None
    added: dict[str, object] = {}
    for kind, column in QUOTA_KINDS.items():
        per_township = per_kind[kind]
        if level == "township" and per_township:
            ids = rolled["township_id"].astype("int64").tolist()
            added[column] = np.array([per_township.get(t, np.nan) for t in ids], dtype="float64")
        elif level == "county" and per_township:
            added[column] = float(sum(per_township.values()))
        else:
            added[column] = np.nan
    return rolled.assign(**added)


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


def _weighted(columns: dict[str, np.ndarray], terms: Terms, n: int) -> np.ndarray:
    total = np.zeros(n)
    for column, weight in terms:
        total = total + columns[column] * weight
    return total


def _interval(
    ind: Indicator, columns: dict[str, np.ndarray], num: np.ndarray, den: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    if ind.interval == "wilson":
        low, high = intervals.wilson(num, den)
        return low * ind.scale, high * ind.scale
    if ind.interval == "sex_ratio":
        return intervals.sex_ratio(num, den)
    if ind.interval == "poisson":
        return intervals.poisson_rate(num, den, ind.scale)
    if ind.interval == "poisson_difference":
        (plus, _), (minus, _) = ind.numerator[0], ind.numerator[1]
        return intervals.poisson_difference_rate(columns[plus], columns[minus], den, ind.scale)
    nan = np.full(len(num), np.nan)
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
    # Plain arrays throughout, one frame at the end: a report is 11–22 indicators over 1–170
    # units, where pandas' per-operation overhead, not the arithmetic, was the cost.
    n = len(rolled)
    factor = np.asarray(factors, dtype="float64") if factors is not None else period.projection_factor
    needed = dict.fromkeys(c for ind in indicators for c in ind.count_columns)
    columns = {c: rolled[c].to_numpy(dtype="float64") for c in needed}
    if rules is not None:
        resolved = {code: target_rules.arrays_of(frame) for code, frame in rules.items()}
    else:
        township_ids = rolled["township_id"].where(rolled["level"] != "county", None)
        resolved = target_rules.rule_arrays(targets, [ind.code for ind in indicators], township_ids)
    blocks: dict[str, list[np.ndarray]] = {c: [] for c in RESULT_COLUMNS if c not in UNIT_COLUMNS}
    for ind in indicators:
        num = _weighted(columns, ind.numerator, n)
        den = _weighted(columns, ind.denominator, n)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = np.where(den > 0, num / den * ind.scale, np.nan)
        ci_low, ci_high = _interval(ind, columns, num, den)
        ci_low = np.where(den > 0, ci_low, np.nan)
        ci_high = np.where(den > 0, ci_high, np.nan)
        f = factor if ind.projected else np.ones(n) if factors is not None else 1.0
        projection = np.asarray(value * f, dtype="float64")
        rule = resolved[ind.code]
        status = target_rules.status_of(projection, rule)
        small = target_rules.inconclusive_of(ci_low * f, ci_high * f, rule)
        values = {
            "indicator": np.full(n, ind.code, dtype=object),
            "unit": np.full(n, ind.unit, dtype=object),
            "numerator": num,
            "denominator": den,
            "value": value,
            "projection": projection,
            "ci_low": ci_low,
            "ci_high": ci_high,
            "projection_ci_low": ci_low * f,
            "projection_ci_high": ci_high * f,
            "target_op": rule["op"],
            "target_value": rule["value"],
            "target_low": rule["low"],
            "target_high": rule["high"],
            "target_amber": rule["amber"],
            "status": status,
            "small_numbers": small & (status != target_rules.NO_DATA),
        }
        for name, array in values.items():
            blocks[name].append(np.broadcast_to(array, (n,)))
    rows = np.repeat(np.arange(n), len(indicators))  # unit-major: each unit's indicators together
    data = {c: rolled[c].to_numpy()[rows] for c in UNIT_COLUMNS}
    data.update({name: np.stack(parts, axis=1).reshape(-1) for name, parts in blocks.items()})
    return pd.DataFrame(data, columns=RESULT_COLUMNS)


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
