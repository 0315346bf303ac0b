"""The Export page's tables: indicators at any level, and registry lists, filtered by scope,
indicators and columns — the full table (real numbers, masked personal data), the context that
names it, and a file-name stem. The page previews the first rows; files are built on click."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import units as unit_lookup
from dashboard.domain.periods import Period
from dashboard.domain.report import Report
from dashboard.render import formats, tables
from dashboard.render.exports import ExportContext

TABLES: tuple[str, ...] = ("indicators_county", "indicators_township", "indicators_village", "births", "wcba")
PERSON_LEVEL = frozenset({"births", "wcba"})
WCBA_FILTERS: tuple[str, ...] = ("all", "long_acting", "without_long_acting")


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

    @property
    def level(self) -> str | None:
        """The report level an indicator table needs (None for a registry list)."""
        return self.table.split("_", 1)[1] if self.table.startswith("indicators_") else None

    def with_columns(self, columns: tuple[str, ...]) -> Selection:
        return replace(self, columns=columns)


@dataclass(frozen=True)
class ExportTable:
    frame: pd.DataFrame
    context: ExportContext
    stem: tuple[str, ...]
    person_level: bool
    all_columns: tuple[str, ...]


def table_name(table: str) -> str:
    return labels.t(f"export_table_{table}")


def scope_name(unit_rows: pd.DataFrame, selection: Selection, county_name: str) -> str:
    chosen = unit_lookup.scope_units(unit_rows, selection.township, selection.village)
    if not selection.township or chosen.empty:
        return county_name
    name = str(chosen["township_name"].iloc[0])
    if selection.village and len(chosen) == 1:
        name += str(chosen["village_name"].iloc[0])
    return name


def _filters(selection: Selection, title: str, scope: str) -> list[tuple[str, str]]:
    return [
        (labels.t("export_choose_table"), title),
        (labels.t("sidebar_period"), formats.period_words(selection.period)),
        (labels.t("export_scope"), scope),
    ]


def indicator_table(selection: Selection, report: Report, unit_rows: pd.DataFrame) -> ExportTable:
    """An indicator table at the selection's level, within its scope and indicators."""
    county = report.settings.county
    scope = scope_name(unit_rows, selection, formats.county_name(county))
    title = table_name(selection.table)
    result = report.result
    if selection.level == "township" and selection.township:
        result = result[result["code"] == selection.township]
    elif selection.level == "village" and selection.township:
        chosen = unit_lookup.scope_units(unit_rows, selection.township, selection.village)
        result = result[result["code"].isin(set(chosen["village_code"]))]
    chosen_codes = selection.indicators or tuple(i.code for i in ind.HEADLINE)
    result = result[result["indicator"].isin(chosen_codes)]
    frame = tables.indicator_export(result, county, level=True, township=selection.level == "village")
    filters = _filters(selection, title, scope)
    filters.append((labels.t("indicator"), "、".join(formats.indicator_short(c) for c in chosen_codes)))
    context = tables.indicator_context(
        title,
        scope,
        selection.period,
        notes=formats.indicator_notes([ind.get(c) for c in chosen_codes], result),
        as_of=selection.period.end,
        filters=tuple(filters),
    )
    words = formats.period_words(selection.period)
    stem = (county.short_name, formats.file_scope(scope, county.name, county.name_en), title, words)
    return ExportTable(frame, context, stem, False, tuple(frame.columns))


def records_table(
    selection: Selection, raw: pd.DataFrame, unit_rows: pd.DataFrame, county_short: str, county_name: str
) -> ExportTable:
    """A registry list (births, married women) within the scope, masked, with chosen columns."""
    scope = scope_name(unit_rows, selection, county_name)
    title = table_name(selection.table)
    names = unit_lookup.village_names(unit_rows)
    filters = _filters(selection, title, scope)
    if selection.table == "births":
        frame = tables.births_records(raw, names)
        date_columns: tuple[str, ...] = (labels.t("col_birth_date"),)
    else:
        frame = tables.wcba_records(raw, names, selection.period)
        date_columns = (labels.t("col_married_on"),)
        filters.append((labels.t("export_wcba_filter"), labels.t(f"export_wcba_{selection.wcba_filter}")))
    all_columns = tuple(frame.columns)
    if selection.columns:
        frame = frame[[c for c in all_columns if c in selection.columns]]
    context = ExportContext(
        title=title,
        scope=scope,
        period=formats.period_words(selection.period),
        as_of=selection.period.end,
        filters=tuple(filters) + ((labels.t("drill_masked"), labels.t("yes")),),
        number_formats={c: "yyyy-mm-dd" for c in date_columns},
    )
    words = formats.period_words(selection.period)
    return ExportTable(
        frame, context, (county_short, formats.file_scope(scope, county_name), title, words), True, all_columns
    )
