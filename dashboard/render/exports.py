"""Table exports: ``DataFrame + context → bytes`` for .xlsx and .csv (no Streamlit here).

Used by every table's download button, the Export page and the CLI's ``--format xlsx``.
The .xlsx is a report a county office can send on: a title row naming the table, scope,
period, data-as-of and generation time; a bold, filled, frozen header with an autofilter;
real numbers and dates in the cells with formats that match their unit; status cells filled
green/amber/red *and* carrying the status word; column widths that fit Chinese text; and a
second sheet 说明 with the definitions, targets and filters used. Built with openpyxl's
write-only mode so that 50,000 rows take a few seconds.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

from dashboard import labels
from dashboard.domain.errors import KeyedError

EXCEL_MAX_ROWS = 1_048_576
HEADER_ROW = 2  # row 1 is the title

STATUS_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "no_data": "E7E6E6"}
HEADER_FILL = "1F4E79"
UNIT_FORMATS = {
    "permille": '0.00"‰"',
    "percent": '0.00"%"',
    "ratio": "0.0",
    "count": "#,##0",
}
DATE_FORMAT = "yyyy-mm-dd"

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


@dataclass(frozen=True)
class ExportContext:
    """What a file says about itself and how its columns are formatted.

    ``number_formats`` fixes a column's Excel format; ``unit_column`` names a column holding
    each row's unit ('permille', 'percent', 'ratio', 'count' — or the unit label) so that the
    ``unit_value_columns`` of that row get the matching format; ``status_columns`` hold status
    words whose cells are filled; ``notes`` and ``filters`` go to the 说明 sheet. The same
    formats round the CSV's values: a file shows what the screen shows.
    """

    title: str
    scope: str = ""
    period: str = ""
    as_of: date | None = None
    generated_at: datetime = field(default_factory=lambda: datetime.now().replace(microsecond=0))
    notes: tuple[tuple[str, str], ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    number_formats: dict[str, str] = field(default_factory=dict)
    status_columns: tuple[str, ...] = ()
    unit_column: str | None = None
    unit_value_columns: tuple[str, ...] = ()


class ExportTooLarge(KeyedError, ValueError):
    """The table has more rows than one Excel sheet holds."""


def safe_filename(*parts: str, suffix: str) -> str:
    """A file name that says what it holds and is safe on Windows: 景东县_乡镇指标_2024年.xlsx."""
    cleaned = [_UNSAFE.sub("-", str(p)).strip(" .-") for p in parts if p]
    stem = "_".join(p for p in cleaned if p)[:150].rstrip(" .") or "export"
    if stem.upper() in _RESERVED:
        stem = f"{stem}_"
    return f"{stem}.{suffix}"


def to_csv_bytes(frame: pd.DataFrame, context: ExportContext | None = None, *, bom: bool = True) -> bytes:
    """CSV in UTF-8 with a BOM by default, so that Excel on Windows reads the Chinese. Counts
    kept as floats (sums, a missing value among them) are written as whole numbers (397, not
    397.0) and other values to the precision the .xlsx displays them with (10.52, not
    10.523809523809524); the full precision stays in the .xlsx cells."""
    text = _display_frame(frame, context or ExportContext(title="")).to_csv(
        index=False, lineterminator="\r\n" if bom else "\n", date_format="%Y-%m-%d"
    )
    return ("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8")


def _display_frame(frame: pd.DataFrame, context: ExportContext, *, as_text: bool = True) -> pd.DataFrame:
    """``frame`` with every number as the .xlsx displays it: whole counts as integers, other
    values rounded to their cell format's decimals (per row where a unit column says so) —
    as fixed-decimal text for a CSV, or as rounded numbers for a preview."""
    out = frame.copy()
    formats = _column_formats(frame, context)
    columns = [str(c) for c in frame.columns]
    unit_formats: pd.Series | None = None
    if context.unit_column in columns:
        unit_formats = frame[context.unit_column].map(lambda u: UNIT_FORMATS.get(_unit_key(u) or ""))
    for j, name in enumerate(frame.columns):
        series = frame[name]
        if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_float_dtype(series):
            continue
        if _int_like(series) or series.isna().all():
            out[name] = series.astype("Int64")
            continue
        per_row = pd.Series(formats[j], index=frame.index, dtype=object)
        if unit_formats is not None and columns[j] in context.unit_value_columns:
            per_row = unit_formats.where(unit_formats.notna(), per_row)
        shown = [None if pd.isna(v) else _fixed(float(v), fmt) for v, fmt in zip(series.tolist(), per_row.tolist())]
        out[name] = shown if as_text else pd.to_numeric(pd.Series(shown, index=frame.index, dtype=object))
    return out


def preview(frame: pd.DataFrame, context: ExportContext) -> tuple[pd.DataFrame, dict[str, str]]:
    """What a page previews of a file: its numbers rounded as the file displays them, and for
    each column of one fixed precision its printf format ('%.2f'), so that 80 shows as 80.00."""
    columns = {str(c): c for c in frame.columns}
    printf: dict[str, str] = {}
    for name, fmt in context.number_formats.items():
        if name in columns and pd.api.types.is_float_dtype(frame[columns[name]]):
            places = re.search(r"\.(0+)(?![0#])", fmt)
            printf[name] = f"%.{len(places.group(1))}f" if places else "%d"
    return _display_frame(frame, context, as_text=False), printf


def _fixed(value: float, fmt: object) -> str:
    """``value`` to the decimals of an Excel format: '0.00' → 2, '0.0#' → 1 or 2, '#,##0' → 0;
    no separators or signs (a CSV is read by programs too)."""
    decimals = re.search(r"\.([0#]+)", str(fmt)) if fmt else None
    if decimals is None:
        return f"{value:.0f}" if fmt else f"{value:.2f}".rstrip("0").rstrip(".")
    places = decimals.group(1)
    text = f"{value:.{len(places)}f}"
    optional = len(places) - places.count("0")
    for _ in range(optional):
        if text.endswith("0"):
            text = text[:-1]
    return text.rstrip(".")


def check_rows(rows: int) -> None:
    """Refuse, in one line, a table that does not fit one Excel sheet."""
    if rows + HEADER_ROW > EXCEL_MAX_ROWS:
        raise ExportTooLarge("err_export_rows", rows=f"{rows:,}", limit=f"{EXCEL_MAX_ROWS - HEADER_ROW:,}")


def to_xlsx_bytes(frame: pd.DataFrame, context: ExportContext) -> bytes:
    """The formatted workbook for ``frame`` (see the module docstring)."""
    # openpyxl is imported on the first download, not by every page's first run after a start.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    check_rows(len(frame))
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_name(context.title))
    columns = [str(c) for c in frame.columns]
    formats = _column_formats(frame, context)
    # Column widths and panes must be set before the first row in write-only mode.
    for j, name in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(j)].width = _width(name, frame.iloc[:, j - 1])
    ws.freeze_panes = f"A{HEADER_ROW + 1}"
    last_col = get_column_letter(max(len(columns), 1))
    ws.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{HEADER_ROW + max(len(frame), 1)}"
    _print_setup(ws, context)

    title = WriteOnlyCell(ws, value=_title_text(context))
    title.font = Font(bold=True, size=13)
    ws.append([title])
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    thin = Side(style="thin", color="9CA3AF")
    header_border = Border(bottom=thin)
    header_cells = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = header_font
        cell.fill = header_fill
        cell.border = header_border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_cells.append(cell)
    ws.append(header_cells)

    fills = {k: PatternFill("solid", fgColor=v) for k, v in STATUS_FILLS.items()}
    styles: dict[tuple[str | None, str | None], object] = {}

    def styled(value: object, fmt: str | None, status: str | None) -> WriteOnlyCell:
        # Resolving a style is the slow part of a cell; each (format, fill) pair is resolved once.
        cell = WriteOnlyCell(ws, value=value)
        key = (fmt, status)
        if key not in styles:
            if fmt is not None:
                cell.number_format = fmt
            if status is not None:
                cell.fill = fills[status]
            styles[key] = copy(cell._style)
        else:
            cell._style = copy(styles[key])
        return cell

    status_idx = {columns.index(c) for c in context.status_columns if c in columns}
    unit_idx = columns.index(context.unit_column) if context.unit_column in columns else None
    unit_value_idx = {columns.index(c) for c in context.unit_value_columns if c in columns}
    values = _python_rows(frame)
    for row in values:
        unit_key = _unit_key(row[unit_idx]) if unit_idx is not None else None
        unit_format = UNIT_FORMATS.get(unit_key) if unit_key is not None else None
        out: list[object] = []
        for j, value in enumerate(row):
            fmt = formats[j]
            if unit_format and j in unit_value_idx:
                fmt = unit_format
            key = _status_key(value) if j in status_idx else None
            if value is None or (fmt is None and key is None):
                out.append(value)
                continue
            out.append(styled(value, fmt, key))
        ws.append(out)
    _notes_sheet(wb, context, len(frame))
    # The file's own dates are the generation time: two builds of one table are one file.
    # (Workbook.save stamps "modified" with the clock, so two builds a second apart differed.)
    wb.properties.created = wb.properties.modified = context.generated_at
    buf = io.BytesIO()
    ExcelWriter(wb, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, allowZip64=True)).save()  # closes the zip
    return buf.getvalue()


# --------------------------------------------------------------------------- helpers


def _print_setup(ws: Any, context: ExportContext) -> None:
    """Printed as a county office files it: landscape, one page wide, the header row on every
    page, the title and period in the page header, page numbers in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages tall as it takes
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    header = "　".join(p for p in (context.title, context.scope, context.period) if p)
    ws.oddHeader.center.text = header.replace("&", "&&")  # '&' starts a code
    ws.oddFooter.center.text = labels.t("export_page_footer")


def _title_text(context: ExportContext) -> str:
    parts = [context.title, context.scope, context.period]
    if context.as_of:
        parts.append(labels.t("export_as_of", date=context.as_of.isoformat()))
    parts.append(labels.t("export_generated", time=f"{context.generated_at:%Y-%m-%d %H:%M}"))
    return "　".join(p for p in parts if p)


def _notes_sheet(wb: Workbook, context: ExportContext, rows: int) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(labels.t("notes_sheet"))
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 110
    bold = Font(bold=True)

    def heading(text: str) -> None:
        cell = WriteOnlyCell(ws, value=text)
        cell.font = Font(bold=True, size=12)
        ws.append([cell])

    def pair(term: str, text: str) -> None:
        term_cell = WriteOnlyCell(ws, value=term)
        term_cell.font = bold
        text_cell = WriteOnlyCell(ws, value=text)
        text_cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([term_cell, text_cell])

    heading(labels.t("notes_table"))
    pair(labels.t("notes_name"), context.title)
    if context.scope:
        pair(labels.t("notes_scope"), context.scope)
    if context.period:
        pair(labels.t("notes_period"), context.period)
    if context.as_of:
        pair(labels.t("notes_as_of"), context.as_of.isoformat())
    pair(labels.t("notes_generated"), f"{context.generated_at:%Y-%m-%d %H:%M:%S}")
    pair(labels.t("notes_rows"), f"{rows:,}")
    if context.filters:
        ws.append([])
        heading(labels.t("notes_filters"))
        for term, text in context.filters:
            pair(term, text)
    if context.notes:
        ws.append([])
        heading(labels.t("notes_definitions"))
        for term, text in context.notes:
            pair(term, text)
    ws.append([])
    heading(labels.t("notes_status_rules"))
    for status in ("green", "amber", "red", "no_data"):
        pair(f"{labels.t(f'status_{status}')}", labels.t(f"notes_rule_{status}"))
    pair(labels.t("small_numbers"), labels.t("notes_rule_small"))


def _column_formats(frame: pd.DataFrame, context: ExportContext) -> list[str | None]:
    """Per column: the explicit format, else one chosen from the column's dtype."""
    formats: list[str | None] = []
    for name in frame.columns:
        explicit = context.number_formats.get(str(name))
        if explicit:
            formats.append(explicit)
            continue
        series = frame[name]
        if pd.api.types.is_bool_dtype(series):
            formats.append(None)
        elif pd.api.types.is_integer_dtype(series):
            formats.append(None)  # General shows integers as integers; no per-cell style needed
        elif pd.api.types.is_float_dtype(series):
            finite = series.dropna()
            halves = not finite.empty and bool(((finite * 2) % 1 == 0).all())  # average population
            formats.append(None if _int_like(series) else "0.0#" if halves else "0.00")
        elif pd.api.types.is_datetime64_any_dtype(series) or _is_date_column(series):
            formats.append(DATE_FORMAT)
        else:
            formats.append(None)
    return formats


def _is_date_column(series: pd.Series) -> bool:
    sample = series.dropna().head(20)
    return not sample.empty and all(isinstance(v, (date, datetime)) for v in sample)


def _python_rows(frame: pd.DataFrame) -> Iterable[list[object]]:
    """Rows of plain Python values: numbers as int/float, NaN/NA as empty, timestamps as dates."""
    converted = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = [None if pd.isna(v) else v.to_pydatetime() for v in series]
        elif pd.api.types.is_bool_dtype(series):
            values = [None if v is pd.NA else bool(v) for v in series]
        elif pd.api.types.is_integer_dtype(series):
            values = [None if v is pd.NA else int(v) for v in series.astype(object)]
        elif pd.api.types.is_float_dtype(series):
            arr = series.to_numpy(dtype="float64", na_value=np.nan)
            whole = _int_like(series)  # counts stored as float (sums) go back to integers
            values = [None if math.isnan(v) else (int(v) if whole else float(v)) for v in arr.tolist()]
        else:
            values = [_cell_value(v) for v in series.tolist()]
        converted.append(values)
    return (list(row) for row in zip(*converted)) if converted else iter(())


def _int_like(series: pd.Series) -> bool:
    finite = series.dropna()
    return not finite.empty and bool((finite % 1 == 0).all())


def _cell_value(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    return value


STATUSES = ("green", "amber", "red", "no_data")
UNITS = ("permille", "percent", "ratio", "count")
# What a status or unit cell may say (its code, or its word in either language) → the code.
_STATUS_WORDS = {w: s for s in STATUSES for w in (s, *labels.every(f"status_{s}"))}
_STATUS_ORDER = sorted(_STATUS_WORDS, key=len, reverse=True)
_UNIT_WORDS = {w: u for u in UNITS for w in (u, *labels.every(f"unit_{u}"))}


def _status_key(word: object) -> str | None:
    """The status a cell names: 'red', '未达标', '✖ 未达标 ?' → 'red'.

    Longer words are tried first: '未达标' contains '达标'.
    """
    if word is None:
        return None
    text = str(word).strip()
    for name in _STATUS_ORDER:
        if name in text:
            return _STATUS_WORDS[name]
    return None


def _unit_key(value: object) -> str | None:
    return _UNIT_WORDS.get(str(value).strip()) if value is not None else None


def _display_width(text: str) -> int:
    # CJK characters take two columns in Excel's width units.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _width(name: str, series: pd.Series) -> float:
    sample: Sequence[object] = series.head(300).tolist()
    longest = max([_display_width(name)] + [_display_width(_shown(v)) for v in sample])
    return float(min(max(longest + 2, 8), 60))


def _shown(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:,.2f}"
    if isinstance(value, (date, datetime)):
        return "2024-01-01"
    return str(value)


def _sheet_name(title: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "-", title).strip("'") or "Sheet1"
    return cleaned[:31]
