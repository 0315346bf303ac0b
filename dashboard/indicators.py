"""The indicator catalogue and engine: roll-up, values, projection, intervals, status.

The catalogue is data: each :class:`Indicator` names its numerator and denominator as
weighted sums of additive base counts, so a new indicator (the service work of the plan) is
one more row, not new code. Roll-up to township and county sums the base counts first and
divides afterwards — a ratio of sums, never a mean of ratios.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from dashboard import intervals, labels
from dashboard import targets as target_rules
from dashboard.periods import Period

Unit = Literal["permille", "percent", "ratio", "count"]
IntervalKind = Literal["poisson", "poisson_difference", "wilson", "sex_ratio", "none"]
Terms = tuple[tuple[str, float], ...]

LEVELS: tuple[str, ...] = ("county", "township", "village")

COUNTY_CONFIG = Path(__file__).resolve().parent.parent / "config" / "county.toml"


@dataclass(frozen=True)
class Indicator:
    """One row of the catalogue.

    ``value = Σ numerator terms ÷ Σ denominator terms × scale``; ``projected`` marks a rate
    over time (per-mille rates, quota completion) that gets a full-year projection
    (× days in year ÷ days in period) and is judged on it for a partial year.
    """

    code: str
    name_zh: str
    name_en: str
    short_zh: str
    short_en: str
    unit: Unit
    numerator: Terms
    denominator: Terms
    scale: float
    interval: IntervalKind
    projected: bool
    group: Literal["headline", "service"] = "headline"
    decimals: int = 2
    formula_zh: str = ""
    formula_en: str = ""

    @property
    def name(self) -> str:
        return self.name_en if labels.language() == "en" else self.name_zh

    @property
    def short(self) -> str:
        return self.short_en if labels.language() == "en" else self.short_zh

    @property
    def formula(self) -> str:
        return self.formula_en if labels.language() == "en" else self.formula_zh

    @property
    def unit_label(self) -> str:
        return labels.t(f"unit_{self.unit}")

    @property
    def count_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for c, _ in self.numerator + self.denominator))


CATALOGUE: tuple[Indicator, ...] = (
    Indicator(
        code="birth_rate",
        name_zh="人口出生率",
        name_en="Crude birth rate",
        short_zh="出生率",
        short_en="Birth rate",
        unit="permille",
        numerator=(("births", 1.0),),
        denominator=(("pop_start", 0.5), ("pop_end", 0.5)),
        scale=1000.0,
        interval="poisson",
        projected=True,
        formula_zh="出生人数 ÷ 平均人口 × 1000；平均人口 = (期初户籍人口 + 期末户籍人口) ÷ 2；非全年为累计值，全年预测 = 累计值 × 全年天数 ÷ 统计期天数",
        formula_en="births ÷ average population × 1000; average = (population at start + at end) ÷ 2; part years cumulative, projection × days in year ÷ days in period",
    ),
    Indicator(
        code="natural_growth_rate",
        name_zh="人口自然增长率",
        name_en="Natural growth rate",
        short_zh="自然增长率",
        short_en="Natural growth",
        unit="permille",
        numerator=(("births", 1.0), ("deaths", -1.0)),
        denominator=(("pop_start", 0.5), ("pop_end", 0.5)),
        scale=1000.0,
        interval="poisson_difference",
        projected=True,
        formula_zh="(出生人数 − 死亡人数) ÷ 平均人口 × 1000；非全年按全年预测判定",
        formula_en="(births − deaths) ÷ average population × 1000; part years judged on the projection",
    ),
    Indicator(
        code="planned_birth_rate",
        name_zh="计划生育率（政策符合率）",
        name_en="Planned-birth rate (policy compliance)",
        short_zh="计划生育率",
        short_en="Planned births",
        unit="percent",
        numerator=(("births_compliant", 1.0),),
        denominator=(("births", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        formula_zh="政策内出生数 ÷ 出生数 × 100；政策符合情况不详的出生不计入分子",
        formula_en="policy-compliant births ÷ births × 100; births of unknown compliance are not compliant",
    ),
    Indicator(
        code="sex_ratio_at_birth",
        name_zh="出生人口性别比",
        name_en="Sex ratio at birth",
        short_zh="出生性别比",
        short_en="Sex ratio",
        unit="ratio",
        numerator=(("births_male", 1.0),),
        denominator=(("births_female", 1.0),),
        scale=100.0,
        interval="sex_ratio",
        projected=False,
        decimals=1,
        formula_zh="男婴数 ÷ 女婴数 × 100（女婴 = 100）；性别不详者不计",
        formula_en="male births ÷ female births × 100; births of unknown sex excluded",
    ),
    Indicator(
        code="long_acting_rate",
        name_zh="长效节育率",
        name_en="Long-acting contraception rate",
        short_zh="长效节育率",
        short_en="Long-acting",
        unit="percent",
        numerator=(("long_acting", 1.0),),
        denominator=(("married_wcba", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        formula_zh="期末采取长效措施（上环、女扎、男扎、皮下埋植）的已婚育龄妇女 ÷ 期末已婚育龄妇女（15–49 岁）× 100",
        formula_en="married women 15–49 at the period's end using IUD, sterilisation (either partner) or implant ÷ married women 15–49 × 100",
    ),
)

SERVICE: tuple[Indicator, ...] = (
    Indicator(
        code="publicity_household_rate",
        name_zh="婚育科普知识入户率",
        name_en="Households reached by publicity",
        short_zh="宣传入户率",
        short_en="Publicity reach",
        unit="percent",
        numerator=(("households_reached", 1.0),),
        denominator=(("households", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
        formula_zh="统计期内有宣传入户记录的户数 ÷ 户数 × 100",
        formula_en="households with a publicity visit in the period ÷ households × 100",
    ),
    Indicator(
        code="informed_choice_rate",
        name_zh="“三术”知情选择率",
        name_en="Informed choice for operations",
        short_zh="知情选择率",
        short_en="Informed choice",
        unit="percent",
        numerator=(("operations_informed", 1.0),),
        denominator=(("operations", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
        formula_zh="有知情选择记录的节育手术 ÷ 节育手术 × 100（记录不详者不计入分子）",
        formula_en="operations with recorded informed choice ÷ operations × 100",
    ),
    Indicator(
        code="supply_service_rate",
        name_zh="药具服务到位率",
        name_en="Contraceptive-supply service",
        short_zh="药具服务率",
        short_en="Supply service",
        unit="percent",
        numerator=(("supply_served", 1.0),),
        denominator=(("short_acting_users", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
        formula_zh="期末使用短效措施的已婚育龄妇女中统计期内接受药具服务者 ÷ 期末使用短效措施的已婚育龄妇女 × 100",
        formula_en="married women 15–49 on a short-acting method at the end who had supply service in the period ÷ all such women × 100",
    ),
    Indicator(
        code="pregnancy_check_completion",
        name_zh="免费孕前优生检查任务完成率",
        name_en="Pre-pregnancy checks against quota",
        short_zh="孕检完成率",
        short_en="Pregnancy checks",
        unit="percent",
        numerator=(("pregnancy_check_persons", 1.0),),
        denominator=(("quota_pregnancy_check", 1.0),),
        scale=100.0,
        interval="none",
        projected=True,
        group="service",
        formula_zh="统计期内接受检查的人数（同一人多次检查只计一次）÷ 全年任务数 × 100；非全年按全年预测判定；任务下达到乡镇，村级无数据",
        formula_en="distinct persons checked in the period (repeat checks count once) ÷ the year's quota × 100; part years judged on the projection; quotas are per township",
    ),
    Indicator(
        code="folic_acid_completion",
        name_zh="叶酸发放任务完成率",
        name_en="Folic acid against quota",
        short_zh="叶酸完成率",
        short_en="Folic acid",
        unit="percent",
        numerator=(("folic_acid_persons", 1.0),),
        denominator=(("quota_folic_acid", 1.0),),
        scale=100.0,
        interval="none",
        projected=True,
        group="service",
        formula_zh="统计期内领取叶酸的人数（分批多次领取只计一次）÷ 全年任务数 × 100；非全年按全年预测判定；任务下达到乡镇，村级无数据",
        formula_en="distinct women given folic acid in the period (several batches count once) ÷ the year's quota × 100; part years judged on the projection",
    ),
    Indicator(
        code="reward_payment_rate",
        name_zh="奖励资金兑现率（及时、准确、足额）",
        name_en="Reward payments on time and in full",
        short_zh="奖励兑现率",
        short_en="Rewards paid",
        unit="percent",
        numerator=(("rewards_ok", 1.0),),
        denominator=(("rewards_due", 1.0),),
        scale=100.0,
        interval="wilson",
        projected=False,
        group="service",
        formula_zh="统计期内到期、且在到期日前足额支付的奖励 ÷ 统计期内到期的奖励 × 100",
        formula_en="payments due in the period paid in full by the due date ÷ payments due × 100",
    ),
)

CATALOGUE = CATALOGUE + SERVICE

BY_CODE: dict[str, Indicator] = {i.code: i for i in CATALOGUE}
HEADLINE: tuple[Indicator, ...] = tuple(i for i in CATALOGUE if i.group == "headline")


def get(code: str) -> Indicator:
    return BY_CODE[code]


@dataclass(frozen=True)
class County:
    code: str
    name: str
    short_name: str
    name_en: str

    @property
    def display_name(self) -> str:
        return self.name_en if labels.language() == "en" else self.name


@lru_cache(maxsize=1)
def county() -> County:
    """The county's own code and names (``config/county.toml``)."""
    with open(COUNTY_CONFIG, "rb") as fh:
        section = tomllib.load(fh)["county"]
    return County(
        code=str(section["code"]),
        name=section["name"],
        short_name=section.get("short_name", section["name"]),
        name_en=section.get("name_en", section["name"]),
    )


# --------------------------------------------------------------------------- roll-up

UNIT_COLUMNS = ["level", "unit_id", "code", "name", "township_id", "township_code", "township_name"]


def roll_up(counts: pd.DataFrame, units: pd.DataFrame, level: str) -> pd.DataFrame:
    """Sum per-village base counts to ``level`` ('county', 'township' or 'village').

    ``counts`` is indexed by village id (``data_access.queries.base_counts``), ``units`` by
    village id (``load_units``). Returns one row per unit with :data:`UNIT_COLUMNS` and the
    count columns, in township-code / village-code order. Every unit appears, with zeros when
    it had nothing.
    """
    if level not in LEVELS:
        raise ValueError(labels.t("err_level", text=level))
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
        grouped = joined.groupby(
            ["township_id", "township_code", "township_name"], sort=False, dropna=False
        )[count_cols].sum()
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
    c = county()
    out = pd.DataFrame(
        {
            "level": ["county"],
            "unit_id": [0],
            "code": [c.code],
            "name": [c.display_name],
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
    "indicator_name",
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
    "target",
    "status",
    "small_numbers",
]


def _weighted(frame: pd.DataFrame, terms: Terms) -> pd.Series:
    total = pd.Series(0.0, index=frame.index)
    for column, weight in terms:
        total = total + frame[column].astype("float64") * weight
    return total


def _interval(
    ind: Indicator, frame: pd.DataFrame, num: pd.Series, den: pd.Series
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
) -> pd.DataFrame:
    """Every indicator for every unit of ``rolled`` (output of :func:`roll_up`), long format.

    One row per unit × indicator with :data:`RESULT_COLUMNS`: the numerator and denominator
    behind the number, ``value`` (cumulative over the period, not annualised), ``projection``
    (full-year projection for projected indicators, else equal to ``value``), the 95 %
    intervals of both, the target that applies (township override, else county-wide), the
    status of the projection and whether the interval is too wide to judge (``small_numbers``).
    An empty denominator gives NaN value and status ``no_data``. ``factors`` gives each row
    its own projection factor (rows that are different periods of one year: a time series).
    """
    township_ids = rolled["township_id"].where(rolled["level"] != "county", None)
    factor = np.asarray(factors, dtype="float64") if factors is not None else period.projection_factor
    parts = []
    for ind in indicators:
        num = _weighted(rolled, ind.numerator)
        den = _weighted(rolled, ind.denominator)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = pd.Series(np.where(den > 0, num / den * ind.scale, np.nan), index=rolled.index)
        ci_low, ci_high = _interval(ind, rolled, num, den)
        ci_low = pd.Series(np.where(den > 0, ci_low, np.nan), index=rolled.index)
        ci_high = pd.Series(np.where(den > 0, ci_high, np.nan), index=rolled.index)
        f = factor if ind.projected else np.ones(len(rolled)) if factors is not None else 1.0
        projection = value * f
        rules = target_rules.resolve(targets, ind.code, township_ids)
        rules.index = rolled.index
        status = target_rules.status(projection, rules)
        small = target_rules.inconclusive(ci_low * f, ci_high * f, rules)
        part = rolled[UNIT_COLUMNS].copy()
        part["indicator"] = ind.code
        part["indicator_name"] = ind.name
        part["unit"] = ind.unit
        part["numerator"] = num
        part["denominator"] = den
        part["value"] = value
        part["projection"] = projection
        part["ci_low"] = ci_low
        part["ci_high"] = ci_high
        part["projection_ci_low"] = ci_low * f
        part["projection_ci_high"] = ci_high * f
        part["target_op"] = rules["op"]
        part["target_value"] = rules["value"]
        part["target_low"] = rules["low"]
        part["target_high"] = rules["high"]
        part["target_amber"] = rules["amber"]
        part["target"] = [
            target_rules.target_text(o, v, lo, hi)
            for o, v, lo, hi in zip(rules["op"], rules["value"], rules["low"], rules["high"])
        ]
        part["status"] = status
        part["small_numbers"] = small & (status != target_rules.NO_DATA)
        part["_unit_order"] = np.arange(len(rolled))
        parts.append(part)
    order = {ind.code: i for i, ind in enumerate(indicators)}
    result = pd.concat(parts, ignore_index=True)
    result["_ind_order"] = result["indicator"].map(order)
    result = result.sort_values(["_unit_order", "_ind_order"], kind="stable")
    return result.drop(columns=["_unit_order", "_ind_order"]).reset_index(drop=True)[RESULT_COLUMNS]


def wide(result: pd.DataFrame, field: str = "value") -> pd.DataFrame:
    """Unit × indicator table of one field of :func:`compute`'s output, in catalogue order."""
    table = result.pivot_table(
        index=["code", "name"], columns="indicator", values=field, aggfunc="first", sort=False
    )
    ordered = [i.code for i in CATALOGUE if i.code in table.columns]
    return table[ordered]
