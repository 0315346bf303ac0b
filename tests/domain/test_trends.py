"""A trend is the engine's result for each period on its own: every point of every series
(year to date, last year, by year, single months) equals ``compute`` on that period's counts,
judged against its own year's target and quota — computed in one pass over all periods."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.domain import indicators as ind
from dashboard.domain import trends
from dashboard.domain.coverage import Coverage
from dashboard.domain.periods import Period, parse_period
from data_access import config
from data_access.queries.counts import BASE_COUNT_COLUMNS
from data_access.queries.services import SERVICE_COUNT_COLUMNS
from tests.domain.test_indicators import units

COUNTY = config.county()
DEFAULTS = config.settings().default_targets
UNITS = units((1, "V1", 10, "T10"), (2, "V2", 10, "T10"), (3, "V3", 20, "T20"))
COLUMNS = list(dict.fromkeys([*BASE_COUNT_COLUMNS, *SERVICE_COUNT_COLUMNS]))


def _counts(period: Period) -> pd.DataFrame:
    """Made-up counts per village that differ by period (deterministic)."""
    rng = np.random.default_rng(abs(hash(period.label)) % 2**32)
    frame = pd.DataFrame(rng.integers(0, 60, size=(3, len(COLUMNS))), index=UNITS.index, columns=COLUMNS)
    frame[["pop_start", "pop_end"]] = rng.integers(2_000, 3_000, size=(3, 2))
    # Periods read live (outside the summaries) list the villages in another order.
    return frame.iloc[::-1] if period.start.month % 2 else frame


def _targets(year: int) -> pd.DataFrame:
    """Each year a different birth-rate target (so a point judged by another year's shows)."""
    out = DEFAULTS.copy()
    out.loc[out["indicator"] == "birth_rate", "value"] = 8.0 + (year - 2021)
    return out


def _quotas(year: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"township_id": [10, 20, 10], "kind": ["pregnancy_check", "pregnancy_check", "folic_acid"],
         "quota": [40 + year - 2021, 30, 50]}
    )  # fmt: skip


@pytest.mark.parametrize("code", ["birth_rate", "pregnancy_check_completion", "sex_ratio_at_birth"])
@pytest.mark.parametrize(("level", "unit"), [("county", None), ("township", "T10"), ("village", "V3")])
def test_every_point_is_the_engine_on_that_period_alone(code: str, level: str, unit: str | None) -> None:
    period = parse_period("2024-01..2024-05")
    coverage = Coverage(parse_period("2021-03").start, parse_period("2024-05").end)  # 2021 partly covered
    indicator = ind.get(code)
    data = trends.series(
        lambda p: trends.unit_row(_counts(p), UNITS, level, unit),  # the unit's sums, as the store gives them
        UNITS,
        period,
        indicator,
        level,
        unit,
        lambda p: _targets(p.year),
        COUNTY,
        2020,
        _quotas,
        coverage,
    )

    def alone(p: Period) -> pd.Series:
        rolled = ind.roll_up(_counts(p), UNITS, level, COUNTY)
        rolled = ind.attach_quotas(rolled, _quotas(p.year))
        covered = coverage.of(p)
        factors = np.full(len(rolled), covered.projection_factor(p) if covered.kind != "none" else p.projection_factor)
        result = ind.compute(rolled, p, _targets(p.year), (indicator,), factors=factors)
        if covered.kind == "none":
            result = ind.without_values(result)
        return result[result["code"] == (unit or COUNTY.code)].iloc[0]

    expected = {
        "this_year": [trends.ytd_period(2024, m) for m in range(1, 6)],
        "last_year": [trends.ytd_period(2023, m) for m in range(1, 6)],
        "yearly": [trends.year_period(y) for y in range(2020, 2024)] + [trends.ytd_period(2024, 5)],
        "single": [trends.month_period(2024, m) for m in range(1, 6)],
    }
    for name, periods in expected.items():
        got = getattr(data, name)
        assert len(got) == len(periods), name
        for (_, row), p in zip(got.iterrows(), periods, strict=True):
            want = alone(p)
            for column in ("numerator", "denominator", "value", "projection", "ci_low", "target_value", "status"):
                a, b = row[column], want[column]
                assert (pd.isna(a) and pd.isna(b)) or a == pytest.approx(b), (name, p.label, column, a, b)
    assert data.yearly is not None and data.yearly["status"].iloc[0] == "no_data"  # 2020: not covered
