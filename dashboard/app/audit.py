"""The one path person-level data takes: every view and every download of a person-level list
is checked against the user's access and written to the audit log (who, role, when, table,
scope, filter, rows) — append-only JSON lines in ``logs/exports.log`` or
``DASHBOARD_EXPORT_LOG``. Rotate it with the system's logrotate (``copytruncate``): the app only
ever appends."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import pandas as pd

from dashboard.domain import privacy
from dashboard.domain.access import Access
from dashboard.render import exports
from dashboard.render.exports import ExportContext

DEFAULT_LOG = Path(__file__).resolve().parent.parent.parent / "logs" / "exports.log"
_LOCK = threading.Lock()
T = TypeVar("T")


def log_path() -> Path:
    return Path(os.environ.get("DASHBOARD_EXPORT_LOG", DEFAULT_LOG))


def write(access: Access, action: str, table: str, scope: str, period: str, rows: int, detail: str = "",
          fmt: str | None = None) -> None:  # fmt: skip
    """Append one line: who did what with which person-level list."""
    entry = {
        "at": datetime.now().isoformat(timespec="seconds"),
        "user": access.identity,
        "role": access.role,
        "township": access.township,
        "unmasked": not access.masked,
        "action": action,
        "table": table,
        "scope": scope,
        "period": period,
        "filter": detail or None,
        "rows": rows,
        "format": fmt,
    }
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK, path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def person_rows(
    access: Access,
    townships: Iterable[str | None],
    build: Callable[[], T],
    *,
    table: str,
    scope: str,
    period: str,
    detail: str = "",
    seen: set[tuple[str, ...]] | None = None,
    count: Callable[[T], int] = len,  # type: ignore[assignment]
) -> T:
    """A person-level list for the page: refused (``AccessDenied``) outside the user's scope,
    built masked unless the user may see full data, and its view logged — once per session
    and list (``seen``), not on every rerun."""
    access.require_records(townships)
    with privacy.revealed(not access.masked):
        result = build()
    rows = count(result)
    key = (table, scope, period, detail, str(rows))
    if seen is None or key not in seen:
        write(access, "view", table, scope, period, rows, detail)
        if seen is not None:
            seen.add(key)
    return result


def file_bytes(
    frame: pd.DataFrame,
    context: ExportContext,
    fmt: str,
    *,
    person_level: bool,
    access: Access,
    detail: str = "",
) -> bytes:
    """The .xlsx or .csv of ``frame``; a person-level table's download is logged."""
    data = exports.to_xlsx_bytes(frame, context) if fmt == "xlsx" else exports.to_csv_bytes(frame, context)
    if person_level:
        write(access, "download", context.title, context.scope, context.period, len(frame), detail, fmt)
    return data
