"""Status-coloured tables and their export buttons."""

from __future__ import annotations

import contextvars
import unicodedata
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import labels
from dashboard.app.audit import file_bytes
from dashboard.domain.access import Access
from dashboard.render import exports, style
from dashboard.render.tables import Table


def status_styler(table: pd.DataFrame, status: pd.DataFrame) -> pd.io.formats.style.Styler:
    """Tint each cell by its status (the symbol in the text carries it for colour-blind eyes)."""

    status = status.set_axis(table.index)  # the same cells, whatever index each frame carries

    def css(_: pd.DataFrame) -> pd.DataFrame:
        return status.apply(
            lambda col: col.map(
                lambda s: f"background-color: {style.STATUS_TINTS[s]}; color: #111" if s in style.STATUS_TINTS else ""
            )
        )

    return table.style.apply(css, axis=None)


ROW_PX = 35


def fit_height(rows: int, limit: int = 30) -> int:
    """A height that shows every row up to ``limit`` (then the table scrolls)."""
    return ROW_PX * (min(rows, limit) + 1) + 3


#: Person-level tables sit in containers with this key prefix: their dataframe toolbar (whose
#: "download as CSV" would bypass the audit log) is hidden by the app's style sheet.
PERSON_TABLE_PREFIX = "person-table-"
PERSON_TABLE_CSS = (
    f'<style>[class*="st-key-{PERSON_TABLE_PREFIX}"] [data-testid="stElementToolbar"]'
    "{display: none !important;}</style>"
)


def table(
    frame: pd.DataFrame,
    *,
    key: str,
    limit: int = 30,
    person_level: bool = False,
    number_formats: dict[str, str] | None = None,
    fit_text: bool = False,
) -> None:
    """A plain table showing every row up to ``limit``; a missing value is an empty cell
    (Streamlit would write 'None'). A person-level table has no toolbar: its only download is
    the audited one (:func:`export_buttons`). An empty table is one line, not an empty grid.
    ``fit_text``: text columns as wide as their longest text (the grid's own sizing measures
    Chinese too narrow: "✖ 一票否", "✖ 未达标" without its "?")."""
    with st.container(key=f"{PERSON_TABLE_PREFIX}{key}") if person_level else nullcontext():
        if person_level:
            st.html(PERSON_TABLE_CSS)
        if frame.empty:
            st.caption(labels.t("table_no_rows"))
        else:
            config: dict[str, Any] = {
                c: st.column_config.NumberColumn(format=f) for c, f in (number_formats or {}).items()
            }
            if fit_text:
                config.update({c: st.column_config.TextColumn(width=w) for c, w in text_widths(frame).items()})
            st.dataframe(
                frame,
                hide_index=True,
                key=key,
                height=fit_height(len(frame), limit),
                placeholder="",
                column_config=config or None,
            )


def text_widths(frame: pd.DataFrame) -> dict[str, int]:
    """Pixel widths that show each text column's longest text (and its header) whole: a wide
    (CJK) character ~15 px, another ~8 px, plus the cell's padding and the sort mark."""

    def pixels(text: str) -> int:
        return sum(15 if unicodedata.east_asian_width(ch) in "WF" else 8 for ch in text)

    widths = {}
    for column in frame.columns:
        if frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
            longest = max([pixels(str(column)), *(pixels(str(v)) for v in frame[column].dropna())])
            widths[str(column)] = longest + 32
    return widths


def status_table(table: pd.DataFrame, status: pd.DataFrame, *, key: str) -> None:
    """The whole table, every cell tinted by its status (printouts and screenshots show all rows)."""
    st.dataframe(status_styler(table, status), hide_index=True, key=key, height=fit_height(len(table)), placeholder="")


def export_buttons(
    build: Callable[[], pd.DataFrame],
    context: exports.ExportContext | Callable[[], exports.ExportContext],
    *,
    stem: tuple[str, ...],
    key: str,
    person_level: bool = False,
    detail: str = "",
    xlsx: bool = True,
    access: Access | None = None,
    alternative: tuple[
        Callable[[], pd.DataFrame], exports.ExportContext | Callable[[], exports.ExportContext], tuple[str, ...]
    ]
    | None = None,
) -> None:
    """An .xlsx and a .csv button for exactly the table shown; files are built on click only
    (``context`` too, when it is a callable: a file's notes may cost as much as its rows).

    ``person_level`` tables (registry lists) are logged when downloaded; ``xlsx=False`` offers
    CSV alone (a table too long for one Excel sheet); ``alternative`` (build, context, stem)
    adds the long layout of a matrix on the same row.
    """
    if person_level and access is None:
        raise ValueError("a person-level download needs the user's access (the audit log names them)")
    who = access or Access("anonymous", "viewer")

    def make(fmt: str) -> bytes:
        if person_level:  # refused outside the scope even if a button was crafted
            who.require_records([who.township] if who.role == "township" else [])
        return file_bytes(build(), _context(context), fmt, person_level=person_level, access=who, detail=detail)

    def make_long(fmt: str) -> bytes:
        assert alternative is not None
        return file_bytes(
            alternative[0](), _context(alternative[1]), fmt, person_level=False, access=who, detail=detail
        )

    # Files are built in Streamlit's worker thread: in a copy of this run's context, so that
    # the session's language (a context variable) names the 说明 sheet and the title row.
    run = contextvars.copy_context()
    mimes = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}
    with st.container(horizontal=True, gap="small"):
        for fmt in ("xlsx", "csv") if xlsx else ("csv",):
            st.download_button(
                labels.t(f"export_{fmt}"),
                data=lambda fmt=fmt: run.copy().run(make, fmt),  # type: ignore[misc]
                file_name=exports.safe_filename(*stem, suffix=fmt),
                mime=mimes[fmt],
                key=f"{key}-{fmt}",
                on_click="ignore",
                icon=":material/download:",
            )
        if alternative is not None:
            for fmt in ("xlsx", "csv"):
                st.download_button(
                    labels.t(f"export_{fmt}") + labels.t("export_layout_button_long"),
                    data=lambda fmt=fmt: run.copy().run(make_long, fmt),  # type: ignore[misc]
                    file_name=exports.safe_filename(*alternative[2], suffix=fmt),
                    mime=mimes[fmt],
                    key=f"{key}-long-{fmt}",
                    on_click="ignore",
                    icon=":material/download:",
                )


def _context(context: exports.ExportContext | Callable[[], exports.ExportContext]) -> exports.ExportContext:
    return context if isinstance(context, exports.ExportContext) else context()


def table_buttons(shown: Table, *, key: str) -> None:
    """The download buttons of a page's table: as shown, and long when it is a matrix."""
    long = shown.long
    export_buttons(
        lambda: shown.export,
        shown.context,
        stem=shown.stem,
        key=key,
        alternative=(lambda: long[0], long[1], long[2]) if long is not None else None,
    )


def document_button(label: str, build: Callable[[], bytes], *, file_name: str, mime: str, key: str) -> None:
    """A download button whose file is built on click only. ``build`` runs in Streamlit's
    worker thread, so it runs in a copy of this run's context: the session's language (a
    context variable) carries over, and nothing it sets leaks back."""
    context = contextvars.copy_context()
    st.download_button(
        label,
        data=lambda: context.copy().run(build),  # a copy per click: two clicks may overlap
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        icon=":material/description:",
    )
