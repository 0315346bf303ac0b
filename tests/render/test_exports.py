"""CSV files as Excel users open them."""

from __future__ import annotations

import io
import math
from datetime import datetime

import pandas as pd
import pytest
from openpyxl import load_workbook

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
    assert text.lstrip("\ufeff").split("\r\n")[:4] == ["乡镇,分子,数值", "甲镇,397,10.86", "乙乡,,4.50", "丙乡,12,"]


def test_csv_without_bom_for_scripts_keeps_plain_lines() -> None:
    text = exports.to_csv_bytes(pd.DataFrame({"a": [1.0, 2.0]}), bom=False).decode("utf-8")
    assert text == "a\n1\n2\n"


def test_csv_rounds_values_to_the_precision_the_sheet_displays() -> None:
    """Long tables carry a unit per row: ‰ and % to two decimals, the sex ratio to one; the
    count columns whole; full precision stays in the .xlsx cells."""
    frame = pd.DataFrame(
        {
            "单位": ["‰", "%", "女=100"],
            "分母": [3781.0, 172.0, 96.0],
            "数值": [10.523809523809524, 93.40000000000001, 108.33333333333333],
        }
    )
    context = exports.ExportContext(
        title="t", unit_column="单位", unit_value_columns=("数值",), number_formats={"分母": "#,##0"}
    )
    lines = exports.to_csv_bytes(frame, context).decode("utf-8-sig").split("\r\n")
    assert lines[1:4] == ["‰,3781,10.52", "%,172,93.40", "女=100,96,108.3"]
    book = load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame, context)))
    sheet = book.worksheets[0]
    assert sheet.cell(3, 3).value == pytest.approx(10.523809523809524)  # full precision in the cell
    assert sheet.cell(3, 3).number_format == '0.00"‰"'
    assert sheet.cell(5, 3).number_format == "0.0"


def test_xlsx_print_setup_is_landscape_one_page_wide_with_the_header_repeated() -> None:
    frame = pd.DataFrame({"乡镇": ["甲镇"], "数值": [1.5]})
    context = exports.ExportContext(title="乡镇指标", scope="景东彝族自治县", period="2025年1–9月")
    sheet = load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame, context))).worksheets[0]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$2:$2"  # the header row on every printed page
    assert sheet.oddHeader.center.text == "乡镇指标　景东彝族自治县　2025年1–9月"
    assert "&P" in sheet.oddFooter.center.text and "&N" in sheet.oddFooter.center.text


def test_every_status_column_of_a_matrix_is_filled() -> None:
    frame = pd.DataFrame({"乡镇": ["甲镇"], "出生率 状态": ["✔ 达标"], "计划生育率 状态": ["✖ 未达标 ?"]})
    context = exports.ExportContext(title="t", status_columns=("出生率 状态", "计划生育率 状态"))
    sheet = load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame, context))).worksheets[0]
    assert sheet.cell(3, 2).fill.fgColor.rgb.endswith(exports.STATUS_FILLS["green"])
    assert sheet.cell(3, 3).fill.fgColor.rgb.endswith(exports.STATUS_FILLS["red"])


def test_an_xlsx_file_is_dated_by_its_generation_time_not_the_clock() -> None:
    # Two builds of one table are one file (the overview's and the Export page's downloads are
    # compared byte for byte); openpyxl's save stamped "modified" with the clock.
    at = datetime(2024, 2, 1, 9, 30)
    context = exports.ExportContext(title="表", scope="景东", period="2024年", generated_at=at)
    data = exports.to_xlsx_bytes(pd.DataFrame({"乡镇": ["锦屏镇"], "出生数": [3]}), context)
    properties = load_workbook(io.BytesIO(data)).properties
    assert properties.created == at and properties.modified == at
