"""The audit log of person-level data: who downloaded which list, when, with what filter
(append-only JSON lines, ``logs/exports.log`` or ``DASHBOARD_EXPORT_LOG``), and the one path
every download takes."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import pandas as pd

from dashboard.render import exports
from dashboard.render.exports import ExportContext

DEFAULT_LOG = Path(__file__).resolve().parent.parent.parent / "logs" / "exports.log"


def log_path() -> Path:
    return Path(os.environ.get("DASHBOARD_EXPORT_LOG", DEFAULT_LOG))


def log_person_export(what: str, scope: str, period: str, rows: int, fmt: str, user: str, detail: str = "") -> None:
    """Append who exported which person-level list, when, with what filter."""
    entry = {
        "at": datetime.now().isoformat(timespec="seconds"),
        "user": user,
        "table": what,
        "scope": scope,
        "period": period,
        "filter": detail or None,
        "rows": rows,
        "format": fmt,
    }
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")


def file_bytes(
    frame: pd.DataFrame, context: ExportContext, fmt: str, *, person_level: bool, user: str, detail: str = ""
) -> bytes:
    """The .xlsx or .csv of ``frame``; a person-level table's download is logged."""
    data = exports.to_xlsx_bytes(frame, context) if fmt == "xlsx" else exports.to_csv_bytes(frame)
    if person_level:
        log_person_export(context.title, context.scope, context.period, len(frame), fmt, user, detail)
    return data
