"""targets.resolve: which target row applies to each unit (township's own, else county-wide)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dashboard.domain import targets

COLUMNS = ["indicator", "township_id", "op", "value", "low", "high", "amber"]


def _rows(*rows: tuple[object, ...]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


RULES = _rows(
    ("birth_rate", None, "<=", 12.0, None, None, None),  # county-wide, no amber given → 0
    ("birth_rate", 2, "<=", 14.0, None, None, 1.5),  # township 2's own
    ("birth_rate", 3, "<=", 13.0, None, None, 0.5),
    ("birth_rate", 3, "<=", 11.0, None, None, None),  # a later row for township 3 wins
    ("sex_ratio", None, "band", None, 103.0, 107.0, 2.0),
    ("planned_rate", None, ">=", "ninety", None, None, None),  # text: no number
)


@pytest.mark.parametrize(
    ("indicator", "township", "expected"),
    [
        ("birth_rate", None, ("<=", 12.0, math.nan, math.nan, 0.0)),  # the county
        ("birth_rate", 1, ("<=", 12.0, math.nan, math.nan, 0.0)),  # no own row: county-wide
        ("birth_rate", 2, ("<=", 14.0, math.nan, math.nan, 1.5)),
        ("birth_rate", 3, ("<=", 11.0, math.nan, math.nan, 0.0)),  # later row, amber none → 0
        ("sex_ratio", 2, ("band", math.nan, 103.0, 107.0, 2.0)),
        ("planned_rate", 2, (">=", math.nan, math.nan, math.nan, 0.0)),
        ("natural_growth", 2, (None, math.nan, math.nan, math.nan, math.nan)),  # no target at all
    ],
)
def test_the_rule_that_applies_to_a_unit(indicator: str, township: int | None, expected: tuple[object, ...]) -> None:
    ids = pd.Series([township], index=[7])
    got = targets.resolve(RULES, indicator, ids)
    assert list(got.columns) == ["op", "value", "low", "high", "amber"]
    assert list(got.index) == [7]
    row = got.iloc[0]
    assert row["op"] == expected[0]
    for field, want in zip(("value", "low", "high", "amber"), expected[1:], strict=True):
        assert (math.isnan(row[field]) and math.isnan(want)) or row[field] == want, (field, row[field], want)


def test_the_county_without_township_ids_and_no_units_at_all() -> None:
    county = targets.resolve(RULES, "birth_rate", None)
    assert len(county) == 1 and county.iloc[0]["value"] == 12.0
    none = targets.resolve(RULES, "birth_rate", pd.Series([], dtype=object))
    assert none.empty and list(none.columns) == ["op", "value", "low", "high", "amber"]
    assert none["op"].dtype == object


def test_one_pass_over_the_rows_gives_each_indicator_its_own_rules() -> None:
    ids = pd.Series([None, 1, 2, 3])
    together = targets.rule_arrays(RULES, ["birth_rate", "sex_ratio", "natural_growth"], ids)
    assert list(together) == ["birth_rate", "sex_ratio", "natural_growth"]
    assert together["birth_rate"]["value"].tolist() == [12.0, 12.0, 14.0, 11.0]
    assert together["sex_ratio"]["op"].tolist() == ["band"] * 4  # no township rows: county-wide
    assert together["sex_ratio"]["low"].tolist() == [103.0] * 4
    assert together["natural_growth"]["op"].tolist() == [None] * 4
    for code, arrays in together.items():  # the same as resolving each indicator alone
        alone = targets.resolve(RULES, code, ids)
        assert arrays["op"].tolist() == alone["op"].tolist()
        for field in ("value", "low", "high", "amber"):
            np.testing.assert_array_equal(arrays[field], alone[field].to_numpy())
