"""The indicator engine against hand-computed expectations: roll-up, values, projection,
intervals, status rules, small numbers, target resolution."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import intervals
from dashboard.domain import targets as tr
from dashboard.domain.periods import parse_period
from dashboard.render import formats
from data_access import config
from data_access.queries.counts import BASE_COUNT_COLUMNS
from data_access.queries.services import SERVICE_COUNT_COLUMNS

DEFAULTS = config.settings().default_targets
COUNTY = config.county()


YEAR = parse_period("2023")


def units(*rows: tuple[int, str, int, str]) -> pd.DataFrame:
    """(village id, village code, township id, township code) → a load_units-shaped frame."""
    frame = pd.DataFrame(
        [
            {
                "village_id": vid,
                "village_code": vcode,
                "village_name": f"村{vid}",
                "village_kind": "村",
                "village_lat": 0.0,
                "village_lon": 0.0,
                "township_id": tid,
                "township_code": tcode,
                "township_name": f"镇{tid}",
                "township_lat": 0.0,
                "township_lon": 0.0,
            }
            for vid, vcode, tid, tcode in rows
        ]
    )
    return frame.set_index("village_id")


def counts(**by_village: dict[str, int]) -> pd.DataFrame:
    """v<ID>=dict(...) → a base_counts-shaped frame, zeros for anything unspecified."""
    frame = pd.DataFrame(0, index=[int(k[1:]) for k in by_village], columns=list(BASE_COUNT_COLUMNS))
    for key, values in by_village.items():
        for col, v in values.items():
            frame.loc[int(key[1:]), col] = v
    return frame


def evaluate(c: pd.DataFrame, u: pd.DataFrame, level: str, period=YEAR, targets=None) -> pd.DataFrame:
    targets = DEFAULTS if targets is None else targets
    return ind.compute(ind.roll_up(c, u, level, COUNTY), period, targets).set_index(["code", "indicator"])


TWO_VILLAGES = units((1, "V1", 10, "T10"), (2, "V2", 10, "T10"))


def test_roll_up_is_a_ratio_of_sums_not_a_mean_of_ratios() -> None:
    c = counts(
        v1=dict(pop_start=100, pop_end=100, births=3),  # 30 ‰
        v2=dict(pop_start=900, pop_end=900, births=6),  # 6.67 ‰
    )
    township = evaluate(c, TWO_VILLAGES, "township")
    # 9 births ÷ 1000 average population × 1000 = 9 ‰ (the mean of ratios would be 18.3 ‰).
    assert township.loc[("T10", "birth_rate"), "value"] == pytest.approx(9.0)
    assert township.loc[("T10", "birth_rate"), "numerator"] == 9
    assert township.loc[("T10", "birth_rate"), "denominator"] == 1000
    county = evaluate(c, TWO_VILLAGES, "county")
    assert county.loc[(COUNTY.code, "birth_rate"), "value"] == pytest.approx(9.0)


def test_roll_up_orders_townships_by_code_and_keeps_every_unit() -> None:
    # Villages listed with their townships interleaved, T30 first; a village with no counts
    # (v4) is there with zeros; counts of a village that is no unit (v9) are not counted.
    u = units((1, "V1", 30, "T30"), (2, "V2", 10, "T10"), (3, "V3", 30, "T30"), (4, "V4", 20, "T20"))
    c = counts(v1=dict(births=1), v2=dict(births=2), v3=dict(births=4), v9=dict(births=100))
    township = ind.roll_up(c, u, "township", COUNTY)
    assert township["code"].tolist() == ["T10", "T20", "T30"]
    assert township["unit_id"].tolist() == [10, 20, 30]
    assert township["births"].tolist() == [2, 0, 5]
    village = ind.roll_up(c, u, "village", COUNTY)
    assert village["code"].tolist() == ["V1", "V2", "V3", "V4"]
    assert village["births"].tolist() == [1, 2, 4, 0]
    assert ind.roll_up(c, u, "county", COUNTY)["births"].tolist() == [7]


def test_quotas_a_township_its_own_the_county_their_sum_unusable_rows_left_out() -> None:
    u = units((1, "V1", 10, "T10"), (2, "V2", 20, "T20"), (3, "V3", 30, "T30"))
    quotas = pd.DataFrame(
        [
            (10, "folic_acid", 100),
            (10, " Folic_Acid ", 20),  # the same kind, written loosely: added
            (20, "folic_acid", 2.5),  # not a whole number: not used
            (20, "folic_acid", -4),  # negative: not used
            (None, "folic_acid", 50),  # no township: not used
            (30, "pregnancy_check", "80"),  # a number as text: used
            (30, "something_else", 7),
        ],
        columns=["township_id", "kind", "quota"],
    )
    township = ind.attach_quotas(ind.roll_up(counts(v1={}), u, "township", COUNTY), quotas).set_index("code")
    assert township.loc["T10", "quota_folic_acid"] == 120
    assert math.isnan(township.loc["T20", "quota_folic_acid"])  # no usable quota: no data, not 0
    assert math.isnan(township.loc["T10", "quota_pregnancy_check"])
    assert township.loc["T30", "quota_pregnancy_check"] == 80
    county = ind.attach_quotas(ind.roll_up(counts(v1={}), u, "county", COUNTY), quotas)
    assert county["quota_folic_acid"].tolist() == [120] and county["quota_pregnancy_check"].tolist() == [80]
    village = ind.attach_quotas(ind.roll_up(counts(v1={}), u, "village", COUNTY), quotas)
    assert village["quota_folic_acid"].isna().all()  # quotas are set per township
    assert ind.attach_quotas(ind.roll_up(counts(v1={}), u, "county", COUNTY), None)["quota_folic_acid"].isna().all()


def test_headline_values_by_hand() -> None:
    c = counts(
        v1=dict(
            pop_start=1990,
            pop_end=2010,
            births=25,
            births_male=14,
            births_female=11,
            births_compliant=23,
            deaths=11,
            married_wcba=400,
            long_acting=306,
        )
    )
    u = units((1, "V1", 10, "T10"))
    r = evaluate(c, u, "village")
    v = lambda code: r.loc[("V1", code)]  # noqa: E731
    # average population (1990 + 2010) ÷ 2 = 2000
    assert v("birth_rate")["value"] == pytest.approx(12.5)  # 25 ÷ 2000 × 1000
    assert v("birth_rate")["status"] == "amber"  # ≤ 12 + 1
    assert v("natural_growth_rate")["value"] == pytest.approx(7.0)  # (25 − 11) ÷ 2000 × 1000
    assert v("natural_growth_rate")["status"] == "amber"
    assert v("planned_birth_rate")["value"] == pytest.approx(92.0)  # 23 ÷ 25 × 100
    assert v("planned_birth_rate")["status"] == "green"  # exactly on target
    assert v("sex_ratio_at_birth")["value"] == pytest.approx(14 / 11 * 100)  # 127.27
    assert v("sex_ratio_at_birth")["status"] == "red"
    assert v("long_acting_rate")["value"] == pytest.approx(76.5)  # 306 ÷ 400 × 100
    assert v("long_acting_rate")["status"] == "green"
    # Full year: the projection is the value.
    assert (r["projection"] == r["value"]).all()


def test_exactly_on_a_per_mille_target_is_green() -> None:
    # "≤ 12" includes 12 itself: 12 births per 1000 people is green, not amber.
    c = counts(v1=dict(pop_start=1000, pop_end=1000, births=12, deaths=6))
    r = evaluate(c, units((1, "V1", 10, "T10")), "village")
    assert r.loc[("V1", "birth_rate"), "status"] == "green"
    assert r.loc[("V1", "natural_growth_rate"), "status"] == "green"


def test_partial_leap_year_is_cumulative_and_judged_on_projection() -> None:
    period = parse_period("2024-01..2024-02")  # 60 days of 366
    c = counts(
        v1=dict(
            pop_start=1000,
            pop_end=1002,
            births=3,
            deaths=1,
            births_compliant=3,
            births_male=2,
            births_female=1,
            married_wcba=10,
            long_acting=8,
        )
    )
    r = evaluate(c, units((1, "V1", 10, "T10")), "village", period=period)
    birth = r.loc[("V1", "birth_rate")]
    assert birth["value"] == pytest.approx(3 / 1001 * 1000)  # 2.997 ‰, not annualised
    assert birth["projection"] == pytest.approx(3 / 1001 * 1000 * 366 / 60)  # 18.28 ‰
    assert birth["status"] == "red"  # judged on the projection, not on 3.0 ‰
    assert birth["projection_ci_high"] == pytest.approx(birth["ci_high"] * 366 / 60)
    growth = r.loc[("V1", "natural_growth_rate")]
    assert growth["projection"] == pytest.approx(2 / 1001 * 1000 * 6.1)
    # Proportions are not projected.
    for code in ("planned_birth_rate", "sex_ratio_at_birth", "long_acting_rate"):
        assert r.loc[("V1", code), "projection"] == r.loc[("V1", code), "value"]


def test_empty_denominators_give_no_data_never_zero() -> None:
    c = counts(
        v1=dict(pop_start=40, pop_end=40),  # no births at all
        v2=dict(pop_start=50, pop_end=50, births=2, births_male=2, births_compliant=2),  # no girls
    )
    r = evaluate(c, TWO_VILLAGES, "village")
    for code in ("planned_birth_rate", "sex_ratio_at_birth", "long_acting_rate"):
        row = r.loc[("V1", code)]
        assert math.isnan(row["value"]) and row["status"] == "no_data"
        assert not row["small_numbers"]
    assert r.loc[("V2", "sex_ratio_at_birth"), "status"] == "no_data"
    assert math.isnan(r.loc[("V2", "sex_ratio_at_birth"), "ci_high"])
    # Zero births in a populated village is a real 0 ‰, with an interval that says how little we know.
    zero = r.loc[("V1", "birth_rate")]
    assert zero["value"] == 0.0 and zero["status"] == "green"
    assert zero["ci_low"] == 0.0
    assert zero["ci_high"] == pytest.approx(3.6889 / 40 * 1000, rel=1e-4)
    assert zero["small_numbers"]  # 0–92 ‰ reaches both green and red


def test_no_population_gives_no_data_for_rates() -> None:
    c = counts(v1=dict())
    r = evaluate(c, units((1, "V1", 10, "T10")), "village")
    assert (r["status"] == "no_data").all()
    assert r["value"].isna().all()


def test_small_numbers_flag_and_large_counts_are_conclusive() -> None:
    c = counts(
        v1=dict(
            pop_start=300,
            pop_end=300,
            births=2,
            births_compliant=2,
            births_male=1,
            births_female=1,
            married_wcba=5,
            long_acting=5,
        ),
        v2=dict(
            pop_start=300000,
            pop_end=300000,
            births=3000,
            births_compliant=2850,
            births_male=1560,
            births_female=1440,
            married_wcba=60000,
            long_acting=48000,
        ),
    )
    r = evaluate(c, TWO_VILLAGES, "village")
    assert r.loc[("V1", "planned_birth_rate"), "small_numbers"]  # 2/2 = 100 %, CI 34–100 %
    assert r.loc[("V1", "long_acting_rate"), "small_numbers"]
    assert not r.loc[("V2", "planned_birth_rate"), "small_numbers"]
    assert not r.loc[("V2", "birth_rate"), "small_numbers"]
    assert not r.loc[("V2", "long_acting_rate"), "small_numbers"]


def test_township_override_applies_to_township_and_its_villages() -> None:
    u = units((1, "V1", 10, "T10"), (2, "V2", 20, "T20"))
    c = counts(v1=dict(pop_start=1000, pop_end=1000, births=11), v2=dict(pop_start=1000, pop_end=1000, births=11))
    targets = pd.concat(
        [
            DEFAULTS,
            pd.DataFrame(
                [
                    {
                        "indicator": "birth_rate",
                        "township_id": 20,
                        "op": "<=",
                        "value": 10.0,
                        "low": None,
                        "high": None,
                        "amber": 0.5,
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    village = evaluate(c, u, "village", targets=targets)
    assert village.loc[("V1", "birth_rate"), "status"] == "green"  # county-wide ≤ 12
    assert village.loc[("V2", "birth_rate"), "status"] == "red"  # own ≤ 10 (+0.5)
    assert village.loc[("V2", "birth_rate"), "target_value"] == 10.0
    assert formats.row_target(village.loc[("V2", "birth_rate")]) == "≤ 10"
    township = evaluate(c, u, "township", targets=targets)
    assert township.loc[("T20", "birth_rate"), "status"] == "red"
    county = evaluate(c, u, "county", targets=targets)
    assert county.loc[(COUNTY.code, "birth_rate"), "status"] == "green"  # 11 ‰, county-wide


def test_with_defaults_fills_missing_indicators_and_reports_it() -> None:
    empty = pd.DataFrame(columns=tr.TARGET_COLUMNS)
    rows, used = tr.with_defaults(empty, DEFAULTS)
    assert used and set(rows["indicator"]) == {i.code for i in ind.CATALOGUE}
    full = DEFAULTS
    rows, used = tr.with_defaults(full, DEFAULTS)
    assert not used and len(rows) == len(full)


@pytest.mark.parametrize(
    ("op", "value", "low", "high", "amber", "v", "expected"),
    [
        ("<=", 12, None, None, 1, 12.0, "green"),
        ("<=", 12, None, None, 1, 12.5, "amber"),
        ("<=", 12, None, None, 1, 13.0, "amber"),
        ("<=", 12, None, None, 1, 13.01, "red"),
        ("<=", 12, None, None, 1, -3.0, "green"),
        (">=", 92, None, None, 2, 92.0, "green"),
        (">=", 92, None, None, 2, 90.0, "amber"),
        (">=", 92, None, None, 2, 89.99, "red"),
        ("=", 100, None, None, 2, 100.0, "green"),
        ("=", 100, None, None, 2, 99.0, "amber"),
        ("=", 100, None, None, 2, 97.9, "red"),
        ("band", 106, 103, 107, 3, 103.0, "green"),
        ("band", 106, 103, 107, 3, 107.0, "green"),
        ("band", 106, 103, 107, 3, 110.0, "amber"),
        ("band", 106, 103, 107, 3, 100.0, "amber"),
        ("band", 106, 103, 107, 3, 110.1, "red"),
        ("band", 106, 103, 107, 3, 99.9, "red"),
        ("<=", 12, None, None, 1, float("nan"), "no_data"),
    ],
)
def test_status_rules(op, value, low, high, amber, v, expected) -> None:  # type: ignore[no-untyped-def]
    rules = pd.DataFrame([{"op": op, "value": value, "low": low, "high": high, "amber": amber}], dtype=object)
    rules[["value", "low", "high", "amber"]] = rules[["value", "low", "high", "amber"]].astype("float64")
    assert tr.status(pd.Series([v]), rules).iloc[0] == expected


@pytest.mark.parametrize(
    ("op", "lo", "hi", "expected"),
    [
        ("<=", 10.0, 12.5, False),  # green to amber: still cannot be red
        ("<=", 10.0, 13.5, True),  # green to red
        ("<=", 12.5, 14.0, False),  # amber to red: certainly not green
        (">=", 85.0, 95.0, True),
        (">=", 92.5, 99.0, False),
    ],
)
def test_inconclusive_reaches_green_and_red(op: str, lo: float, hi: float, expected: bool) -> None:
    value, amber = (12.0, 1.0) if op == "<=" else (92.0, 2.0)
    rules = pd.DataFrame([{"op": op, "value": value, "low": np.nan, "high": np.nan, "amber": amber}])
    assert tr.inconclusive(pd.Series([lo]), pd.Series([hi]), rules).iloc[0] is np.bool_(expected)


def test_wilson_published_values() -> None:
    low, high = intervals.wilson([5, 0, 10], [10, 10, 10])
    assert low[0] == pytest.approx(0.2366, abs=1e-4) and high[0] == pytest.approx(0.7634, abs=1e-4)
    assert low[1] == 0.0 and high[1] == pytest.approx(0.2775, abs=1e-4)
    assert high[2] == 1.0 and low[2] == pytest.approx(0.7225, abs=1e-4)
    nan_low, _ = intervals.wilson([0], [0])
    assert math.isnan(nan_low[0])


def test_exact_poisson_published_values() -> None:
    low, high = intervals.poisson_exact([0, 1, 10])
    assert low[0] == 0.0 and high[0] == pytest.approx(3.6889, abs=1e-4)
    assert low[1] == pytest.approx(0.0253, abs=1e-4) and high[1] == pytest.approx(5.5716, abs=1e-4)
    assert low[2] == pytest.approx(4.7954, abs=1e-4) and high[2] == pytest.approx(18.3904, abs=1e-4)


def test_sex_ratio_interval_goes_through_the_male_share() -> None:
    low, high = intervals.sex_ratio([530], [500])
    p_low, p_high = intervals.wilson([530], [1030])
    assert low[0] == pytest.approx(100 * p_low[0] / (1 - p_low[0]))
    assert high[0] == pytest.approx(100 * p_high[0] / (1 - p_high[0]))
    assert low[0] < 106 < high[0]


def test_catalogue_is_data() -> None:
    codes = [i.code for i in ind.CATALOGUE]
    assert codes[:5] == [
        "birth_rate",
        "natural_growth_rate",
        "planned_birth_rate",
        "sex_ratio_at_birth",
        "long_acting_rate",
    ]
    assert [i.code for i in ind.CATALOGUE if i.projected][:2] == ["birth_rate", "natural_growth_rate"]
    for i in ind.CATALOGUE:
        # The catalogue holds codes; every name and formula is a word of both languages.
        for kind in ("name", "short", "formula"):
            zh, en = labels.every(f"ind_{kind}_{i.code}")
            assert zh and en, (kind, i.code)
        assert i.unit in ("permille", "percent", "ratio", "count")
        known = set(BASE_COUNT_COLUMNS) | set(SERVICE_COUNT_COLUMNS) | set(ind.QUOTA_KINDS.values())
        assert set(i.count_columns) <= known


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ind.LevelError) as info:
        ind.roll_up(counts(v1=dict()), units((1, "V1", 10, "T10")), "province", COUNTY)
    assert "county" in formats.message(info.value) and "province" in formats.message(info.value)
