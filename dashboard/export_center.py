"""The Export page's tables: indicators at any level, and registry lists, filtered.

``build(...)`` returns the full table (real numbers, masked personal data), the export
context that names it, and a file-name stem; the page previews its first rows and builds the
file only when the user clicks a download button. Person-level downloads are logged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from dashboard import indicators as ind
from dashboard import labels, style
from dashboard.drilldown import births_records, wcba_records
from dashboard.exports import ExportContext, indicator_notes
from dashboard.overview import period_words
from dashboard.periods import Period

TABLES: tuple[str, ...] = ("indicators_county", "indicators_township", "indicators_village", "births", "wcba")
PERSON_LEVEL = {"births", "wcba"}
WCBA_FILTERS: tuple[str, ...] = ("all", "long_acting", "without_long_acting")
AUDIT_LOG = Path(os.environ.get("DASHBOARD_EXPORT_LOG", Path(__file__).resolve().parent.parent / "logs" / "exports.log"))


@dataclass(frozen=True)
class Selection:
    """What the user chose on the Export page."""

    table: str
    period: Period
    township: str | None = None  # township code, None = whole county
    village: str | None = None  # village code within the township
    indicators: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()  # registry lists: the columns to keep (all when empty)
    wcba_filter: str = "all"


@dataclass(frozen=True)
class ExportTable:
    frame: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]
    person_level: bool
    all_columns: tuple[str, ...]


def table_name(table: str) -> str:
    return labels.t(f"export_table_{table}")


def _scope_units(units: pd.DataFrame, selection: Selection) -> tuple[pd.DataFrame, str]:
    scope = ind.county().display_name
    chosen = units
    if selection.township:
        chosen = units[units["township_code"] == selection.township]
        if not chosen.empty:
            scope = str(chosen["township_name"].iloc[0])
        if selection.village:
            village = chosen[chosen["village_code"] == selection.village]
            if not village.empty:
                chosen = village
                scope = f"{scope}{village['village_name'].iloc[0]}"
    return chosen, scope


def indicator_frame(result: pd.DataFrame, level: str) -> pd.DataFrame:
    """The export shape of an indicator result: real numbers, unit per row, status words."""
    d = style.decorate(result)
    frame = pd.DataFrame(
        {
            labels.t("level"): d["level"].map(lambda v: labels.t(f"level_{v}")),
            labels.t("code"): d["code"],
            labels.t("name"): d["name"],
        }
    )
    if level == "village":
        frame[labels.t("township")] = d["township_name"]
    frame[labels.t("indicator")] = d["indicator_name"]
    frame[labels.t("unit")] = d["indicator"].map(lambda c: ind.get(c).unit_label)
    frame[labels.t("numerator")] = d["numerator"]
    frame[labels.t("denominator")] = d["denominator"]
    frame[labels.t("value")] = d["value"]
    frame[labels.t("projection")] = d["projection"]
    frame[labels.t("ci_low")] = d["ci_low"]
    frame[labels.t("ci_high")] = d["ci_high"]
    frame[labels.t("target")] = d["target"]
    frame[labels.t("status")] = d["status_word"]
    frame[labels.t("small_numbers")] = d["small_numbers"].map({True: labels.t("yes"), False: ""})
    return frame


def build(url: str, selection: Selection) -> ExportTable:
    """The table the selection names, ready to preview and export."""
    from dashboard import cache

    inputs = cache.inputs(url, selection.period.label)
    units, scope = _scope_units(inputs.units, selection)
    words = period_words(selection.period)
    title = table_name(selection.table)
    filters = [(labels.t("export_choose_table"), title), (labels.t("sidebar_period"), words),
               (labels.t("export_scope"), scope)]
    if selection.table.startswith("indicators_"):
        level = selection.table.split("_", 1)[1]
        report = cache.report_for(url, selection.period, level)
        result = report.result
        if level == "township" and selection.township:
            result = result[result["code"] == selection.township]
        elif level == "village" and selection.township:
            result = result[result["code"].isin(set(units["village_code"]))]
        chosen = selection.indicators or tuple(i.code for i in ind.HEADLINE)
        result = result[result["indicator"].isin(chosen)]
        frame = indicator_frame(result, level)
        filters.append((labels.t("indicator"), "、".join(ind.get(c).short for c in chosen)))
        context = ExportContext(
            title=title,
            scope=scope,
            period=words,
            as_of=selection.period.end,
            notes=indicator_notes([ind.get(c) for c in chosen], result),
            filters=tuple(filters),
            status_column=labels.t("status"),
            unit_column=labels.t("unit"),
            unit_value_columns=(labels.t("value"), labels.t("projection"), labels.t("ci_low"), labels.t("ci_high")),
        )
        return ExportTable(frame, context, (ind.county().short_name, scope, title, words), False, tuple(frame.columns))
    village_ids = tuple(int(v) for v in units.index)
    names = dict(zip(units.index.astype(int), units["village_name"]))
    if selection.table == "births":
        frame = births_records(cache.records(url, "births", selection.period.label, village_ids), names)
        date_columns = (labels.t("col_birth_date"),)
    else:
        raw = cache.records(url, f"wcba_{selection.wcba_filter}", selection.period.label, village_ids)
        frame = wcba_records(raw, names, selection.period)
        date_columns = (labels.t("col_married_on"),)
        filters.append((labels.t("export_wcba_filter"), labels.t(f"export_wcba_{selection.wcba_filter}")))
    all_columns = tuple(frame.columns)
    if selection.columns:
        frame = frame[[c for c in all_columns if c in selection.columns]]
    context = ExportContext(
        title=title,
        scope=scope,
        period=words,
        as_of=selection.period.end,
        filters=tuple(filters) + ((labels.t("drill_masked"), labels.t("yes")),),
        number_formats={c: "yyyy-mm-dd" for c in date_columns},
    )
    return ExportTable(frame, context, (ind.county().short_name, scope, title, words), True, all_columns)


def file_bytes(
    frame: pd.DataFrame, context: ExportContext, fmt: str, *, person_level: bool, user: str, detail: str = ""
) -> bytes:
    """The .xlsx or .csv of ``frame``; a person-level table's download is logged."""
    from dashboard import exports

    data = exports.to_xlsx_bytes(frame, context) if fmt == "xlsx" else exports.to_csv_bytes(frame)
    if person_level:
        log_person_export(context.title, context.scope, context.period, len(frame), fmt, user, detail)
    return data


def log_person_export(what: str, scope: str, period: str, rows: int, fmt: str, user: str, detail: str = "") -> None:
    """Append who exported which person-level list, when, with what filter (DESIGN.md §7)."""
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
    AUDIT_LOG.parent.mkdir(parents=True, exist_ok=True)
    with AUDIT_LOG.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
