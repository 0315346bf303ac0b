"""Assessment score, veto placement, per-indicator order, rank change, funnel limits, gaps, masking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.domain import funnel, privacy, ranking
from dashboard.domain import indicators as ind
from dashboard.domain.periods import parse_period
from dashboard.domain.ranking import gaps
from data_access import config
from tests.domain.test_indicators import counts, units

DEFAULTS = config.settings().default_targets
COUNTY = config.county()
ASSESSMENT = config.settings().assessment


YEAR = parse_period("2023")

# Four townships, one village each. Values chosen by hand:
#   T1: every target met                                   → 20+10+25+15+20 = 90
#   T2: birth rate 12.5 (amber), rest met                   → 10+10+25+15+20 = 80
#   T3: planned births 80 % (red, and < 82 → veto)           → 20+10+0+15+20 = 65, ranked last
#   T4: birth rate 14 (red), long-acting 74 (amber)         → 0+10+25+15+10 = 60
FOUR = units((1, "V1", 1, "T1"), (2, "V2", 2, "T2"), (3, "V3", 3, "T3"), (4, "V4", 4, "T4"))


def four_townships() -> pd.DataFrame:
    base = dict(pop_start=10000, pop_end=10000, deaths=60, married_wcba=1000)
    c = counts(
        v1=dict(base, births=100, births_male=515, births_female=485, births_compliant=95, long_acting=800),
        v2=dict(base, births=125, births_male=515, births_female=485, births_compliant=120, long_acting=800, deaths=70),
        v3=dict(base, births=100, births_male=515, births_female=485, births_compliant=80, long_acting=800),
        v4=dict(
            base, births=140, births_male=515, births_female=485, births_compliant=135, long_acting=740, deaths=100
        ),
    )
    return ind.compute(ind.roll_up(c, FOUR, "township", COUNTY), YEAR, DEFAULTS)


def test_assessment_scores_and_veto_placement() -> None:
    table = ranking.assessment(four_townships(), ASSESSMENT)
    assert list(table["code"]) == ["T1", "T2", "T4", "T3"]  # T3 vetoed: last although 65 > 60
    assert list(table["score"]) == [90.0, 80.0, 60.0, 65.0]
    assert list(table["rank"]) == [1, 2, 3, 4]
    assert list(table["veto"]) == [False, False, False, True]
    assert table.loc[3, "veto_value"] == pytest.approx(80.0)
    assert (table["max_score"] == 90.0).all()


def test_equal_scores_share_a_rank() -> None:
    result = four_townships()
    twin = result[result["code"] == "T1"].assign(code="T0", name="镇0")
    table = ranking.assessment(pd.concat([twin, result], ignore_index=True), ASSESSMENT)
    assert list(table["rank"][:3]) == [1, 1, 3]


def test_indicator_ranking_best_first_then_small_numbers_then_no_data() -> None:
    u = units((1, "V1", 1, "T1"), (2, "V2", 2, "T2"), (3, "V3", 3, "T3"), (4, "V4", 4, "T4"))
    c = counts(
        v1=dict(pop_start=100000, pop_end=100000, births=1300),  # 13 ‰, CI 12.3–13.7: surely not green
        v2=dict(pop_start=10000, pop_end=10000, births=90),  # 9 ‰, CI 7.2–11.1: surely green
        v3=dict(pop_start=100, pop_end=100, births=0),  # 0 ‰ but a tiny place: small numbers
        v4=dict(),  # no population: no data
    )
    result = ind.compute(ind.roll_up(c, u, "township", COUNTY), YEAR, DEFAULTS)
    ranked = ranking.indicator_ranking(result, "birth_rate")
    assert list(ranked["code"]) == ["T2", "T1", "T3", "T4"]
    assert list(ranked["group"]) == ["conclusive", "conclusive", "small_numbers", "no_data"]
    assert list(ranked["rank"][:3]) == [1, 2, 3] and np.isnan(ranked["rank"].iloc[3])


def test_higher_is_better_and_band_closeness() -> None:
    result = four_townships()
    planned = ranking.indicator_ranking(result, "planned_birth_rate")
    # 96.4 %, 96 %, then the clearly red 80 %; T1's 95 of 100 births (CI 88.8–98 %) could be
    # red or green, so it comes after every conclusive value although 95 % beats 80 %.
    assert list(planned["code"]) == ["T4", "T2", "T3", "T1"]
    assert list(planned["group"]) == ["conclusive"] * 3 + ["small_numbers"]


def test_rank_change_against_last_year() -> None:
    now = pd.DataFrame({"code": ["A", "B", "C"], "rank": [1, 2, 3]})
    before = pd.DataFrame({"code": ["B", "A"], "rank": [1, 2]})
    change = ranking.rank_change(now, before)
    assert change.iloc[0] == 1 and change.iloc[1] == -1 and np.isnan(change.iloc[2])


def test_funnel_limits_by_hand() -> None:
    planned = ind.get("planned_birth_rate")
    lim = funnel.limits(planned, 92.0, np.array([100.0]))
    se = np.sqrt(0.92 * 0.08 / 100)
    assert lim.loc[0, "lo95"] == pytest.approx((0.92 - 1.959964 * se) * 100, rel=1e-5)
    assert lim.loc[0, "hi998"] == pytest.approx(min(1.0, 0.92 + 3.090232 * se) * 100, rel=1e-5)
    birth = ind.get("birth_rate")
    # 10,000 people for a whole year at 12 ‰: 120 expected births, SE √120 ÷ 10,000 × 1000.
    lim = funnel.limits(birth, 12.0, np.array([10000.0]))
    assert lim.loc[0, "hi95"] == pytest.approx(12 + 1.959964 * np.sqrt(120) / 10, rel=1e-5)
    # Half a year judged on its projection: the exposure halves, the limits widen by √2.
    half = funnel.limits(birth, 12.0, np.array([10000.0]), period_share=0.5)
    assert half.loc[0, "hi95"] - 12 == pytest.approx((lim.loc[0, "hi95"] - 12) * np.sqrt(2), rel=1e-5)
    srb = funnel.limits(ind.get("sex_ratio_at_birth"), 106.0, np.array([1000.0]))
    assert srb.loc[0, "lo95"] < 106 < srb.loc[0, "hi95"]
    # Limits narrow as the denominator grows.
    wide = funnel.limits(planned, 92.0, np.array([50.0, 5000.0]))
    assert wide.loc[0, "hi95"] - wide.loc[0, "lo95"] > wide.loc[1, "hi95"] - wide.loc[1, "lo95"]


def test_gaps_count_what_is_missing_to_meet_the_target() -> None:
    result = four_townships()
    g = gaps(result, YEAR.projection_factor).set_index(["code", "indicator"])["gap"]
    assert g[("T4", "birth_rate")] == pytest.approx(140 - 12 * 10000 / 1000)  # 20 births too many
    assert g[("T3", "planned_birth_rate")] == pytest.approx(0.92 * 100 - 80)  # 12 compliant births short
    assert g[("T4", "long_acting_rate")] == pytest.approx(0.76 * 1000 - 740)  # 20 women short
    assert g[("T1", "birth_rate")] < 0  # on target: no gap


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("530823199001011234", "5308231990******34"),
        ("53082319900101123X", "5308231990******3X"),
        (None, ""),
        ("123", "***"),
    ],
)
def test_mask_id_number(raw: object, masked: str) -> None:
    assert privacy.mask_id_number(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"), [("张小芳", "张*芳"), ("李明", "李*"), ("欧阳小芳", "欧**芳"), ("王", "王"), (None, "")]
)
def test_mask_name(raw: object, masked: str) -> None:
    assert privacy.mask_name(raw) == masked


def test_sex_ratio_funnel_axis_stays_readable_for_tiny_villages() -> None:
    srb = ind.get("sex_ratio_at_birth")
    sizes = np.array([2.0, 5.0, 40.0, 60.0, 80.0, 100.0, 120.0, 150.0] * 4)
    values = np.array([300.0, 25.0, 110.0, 104.0, 100.0, 108.0, 106.0, 102.0] * 4)
    curve = funnel.limits(srb, 106.0, funnel.curve_sizes(pd.Series(sizes)))
    assert curve["hi998"].max() > 1e4  # the raw limits of a 2-birth village explode …
    lo, hi = funnel.y_range(srb, values, sizes, curve, (103.0, 107.0))
    assert 0 <= lo < 103 and 107 < hi <= 300  # … the axis does not
    assert hi < 300 or values.max() >= 300
    # Labels: only points outside their own 95 % limits.
    flagged = funnel.outside(srb, 106.0, np.array([106.0, 160.0, 130.0]), np.array([100.0, 100.0, 4.0]))
    assert list(flagged) == [False, True, False]


def test_funnel_range_shows_every_township() -> None:
    planned = ind.get("planned_birth_rate")
    values = np.array([80.0, 91.0, 93.0, 95.0, 99.0])
    sizes = np.array([300.0, 400.0, 350.0, 500.0, 280.0])
    curve = funnel.limits(planned, 92.0, funnel.curve_sizes(pd.Series(sizes)))
    lo, hi = funnel.y_range(planned, values, sizes, curve, (92.0, 92.0))
    assert lo < 80 and 99 < hi <= 100
