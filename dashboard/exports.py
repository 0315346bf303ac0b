"""Table exports: ``DataFrame + context → bytes`` for .xlsx and .csv (no Streamlit here).

Used by every table's download button and by the CLI's ``--format xlsx``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

EXCEL_MAX_ROWS = 1_048_576

STATUS_FILLS = {
    "green": "C8E6C9",
    "amber": "FFE0B2",
    "red": "FFCDD2",
    "no_data": "E0E0E0",
}

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


@dataclass(frozen=True)
class ExportContext:
    """What a file says about itself: title, scope, period, when the data are from."""

    title: str
    scope: str = ""
    period: str = ""
    as_of: date | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    notes: tuple[tuple[str, str], ...] = ()  # (term, explanation) rows for the 说明 sheet
    number_formats: dict[str, str] = field(default_factory=dict)  # column → Excel format
    status_column: str | None = None  # column whose values are status words to fill


class ExportTooLarge(ValueError):
    """The table has more rows than one Excel sheet holds."""


def safe_filename(*parts: str, suffix: str) -> str:
    """A file name that says what it holds and is safe on Windows: 景东县_乡镇指标_2024年.xlsx."""
    stem = "_".join(_UNSAFE.sub("-", p).strip(" .-") for p in parts if p)
    return f"{stem[:150] or 'export'}.{suffix}"


def to_csv_bytes(frame: pd.DataFrame, *, bom: bool = True) -> bytes:
    """CSV in UTF-8, with a BOM by default so that Excel on Windows reads the Chinese."""
    text = frame.to_csv(index=False, lineterminator="\r\n" if bom else "\n")
    return ("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8")


def to_xlsx_bytes(frame: pd.DataFrame, context: ExportContext) -> bytes:
    """An .xlsx with a title row, frozen bold header, autofilter, formats, fills and 说明 sheet."""
    if len(frame) + 3 > EXCEL_MAX_ROWS:
        raise ExportTooLarge(
            f"{len(frame):,} rows exceed one Excel sheet ({EXCEL_MAX_ROWS:,}); export CSV instead"
        )
    wb = Workbook()
    ws = wb.active
    ws.title = _sheet_name(context.title)
    meta = [context.title, context.scope, context.period]
    if context.as_of:
        meta.append(f"数据截至 {context.as_of.isoformat()}")
    meta.append(f"生成于 {context.generated_at:%Y-%m-%d %H:%M}")
    ws.cell(row=1, column=1, value="　".join(m for m in meta if m)).font = Font(bold=True, size=13)
    header_row = 2
    header_fill = PatternFill("solid", fgColor="DDE7F3")
    columns = list(frame.columns)
    for j, name in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=j, value=str(name))
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    status_col = columns.index(context.status_column) + 1 if context.status_column in columns else None
    fills = {k: PatternFill("solid", fgColor=v) for k, v in STATUS_FILLS.items()}
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=header_row + 1):
        for j, value in enumerate(row, start=1):
            ws.cell(row=i, column=j, value=_cell_value(value))
    for j, name in enumerate(columns, start=1):
        fmt = context.number_formats.get(name)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=header_row + 1, min_col=j, max_col=j):
                cell.number_format = fmt
    if status_col:
        words = frame[context.status_column].tolist()
        for i, word in enumerate(words, start=header_row + 1):
            key = _status_key(word)
            if key:
                ws.cell(row=i, column=status_col).fill = fills[key]
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    last = get_column_letter(max(len(columns), 1))
    ws.auto_filter.ref = f"A{header_row}:{last}{header_row + len(frame)}"
    for j, name in enumerate(columns, start=1):
        sample = [str(name)] + [str(v) for v in frame.iloc[:200, j - 1].tolist()]
        width = max(_display_width(s) for s in sample)
        ws.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)
    notes = wb.create_sheet("说明")
    notes.append(["项目", "说明"])
    for c in notes[1]:
        c.font = Font(bold=True)
        c.fill = header_fill
    for term, text in context.notes:
        notes.append([term, text])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_STATUS_WORDS = {
    "green": "green",
    "amber": "amber",
    "red": "red",
    "no_data": "no_data",
    "达标": "green",
    "接近": "amber",
    "未达标": "red",
    "无数据": "no_data",
    "met": "green",
    "near": "amber",
    "missed": "red",
    "no data": "no_data",
}


def _status_key(word: object) -> str | None:
    """The status a cell names: 'red', '未达标', '✖ 未达标 ?' → 'red'.

    Longer words are tried first: '未达标' contains '达标'.
    """
    text = str(word).strip()
    for name in sorted(_STATUS_WORDS, key=len, reverse=True):
        if name in text:
            return _STATUS_WORDS[name]
    return None


def _cell_value(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and pd.isna(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()  # numpy scalar → Python number
    return value


def _display_width(text: str) -> int:
    # CJK characters take two columns in Excel's width units.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _sheet_name(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'") or "Sheet1"
    return cleaned[:31]
