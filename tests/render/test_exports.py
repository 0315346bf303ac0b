"""CSV files as Excel users open them."""

from __future__ import annotations

import math

import pandas as pd

from dashboard.render import exports


def test_csv_has_a_bom_and_writes_counts_as_whole_numbers() -> None:
    frame = pd.DataFrame(
        {
            "乡镇": ["甲镇", "乙乡", "丙乡"],
            "分子": [397.0, math.nan, 12.0],  # a sum with a missing value among them is a float column
            "数值": [10.86, 4.5, math.nan],
        }
    )
    text = exports.to_csv_bytes(frame).decode("utf-8")
    assert text.startswith("\ufeff")
    assert text.lstrip("\ufeff").split("\r\n")[:4] == ["乡镇,分子,数值", "甲镇,397,10.86", "乙乡,,4.5", "丙乡,12,"]


def test_csv_without_bom_for_scripts_keeps_plain_lines() -> None:
    text = exports.to_csv_bytes(pd.DataFrame({"a": [1.0, 2.0]}), bom=False).decode("utf-8")
    assert text == "a\n1\n2\n"
