"""The Export page's tables: indicators at any level, and registry lists, filtered by scope,
indicators and columns — the full table (real numbers, masked personal data), the context that
names it, and a file-name stem. The page previews the first rows; files are built on click."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import periods
from dashboard.domain import units as unit_lookup
from dashboard.domain.county import County
from dashboard.domain.periods import Period
from dashboard.domain.report import Report
from dashboard.render import formats, tables
from dashboard.render.exports import ExportContext
from dashboard.views.cards import county_sites, sites_cell, township_sites

TABLES: tuple[str, ...] = ("indicators_county", "indicators_township", "indicators_village", "births", "wcba")
#: An indicator table's shapes: the matrix the pages show (a row per unit; value, status and n
#: per indicator) or long (a row per unit × indicator, every number behind the value).
LAYOUTS: tuple[str, ...] = ("matrix", "long")
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
    layout: str = "matrix"
    as_of: date | None = None  # the data's as-of date (the period's end when not given)

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


def presets(as_of: date) -> dict[str, Period]:
    """The Export page's quick periods as of the data's as-of date (本年累计, 上月, 上季度, 全年)."""
    today = as_of + timedelta(days=1)  # as_of is the end of the last complete month
    return {name: periods.preset(name, today) for name in periods.PRESETS}


def table_name(table: str) -> str:
    return labels.t(f"export_table_{table}")


def scope_name(unit_rows: pd.DataFrame | None, selection: Selection, county_name: str) -> str:
    if not selection.township or unit_rows is None:
        return county_name
    chosen = unit_lookup.scope_units(unit_rows, selection.township, selection.village)
    if chosen.empty:
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


def _chosen(selection: Selection) -> tuple[ind.Indicator, ...]:
    """The selection's indicators in the catalogue's order (the order every page shows)."""
    wanted = set(selection.indicators or (i.code for i in ind.HEADLINE))
    return tuple(i for i in ind.CATALOGUE if i.code in wanted)


def _scoped(selection: Selection, report: Report, unit_rows: pd.DataFrame | None) -> pd.DataFrame:
    result = report.result
    if selection.level == "township" and selection.township:
        result = result[result["code"] == selection.township]
    elif selection.level == "village" and selection.township and unit_rows is not None:
        chosen = unit_lookup.scope_units(unit_rows, selection.township, selection.village)
        result = result[result["code"].isin(set(chosen["village_code"]))]
    return result


def indicator_stem(selection: Selection, unit_rows: pd.DataFrame | None, county: County) -> tuple[str, ...]:
    """The file name's parts of :func:`indicator_table`'s file, known before it is built."""
    scope = scope_name(unit_rows, selection, formats.county_name(county))
    words = formats.period_words(selection.period)
    stem = (county.short_name, formats.file_scope(scope, county.name, county.name_en), table_name(selection.table))
    return (*stem, labels.t("export_long_stem"), words) if selection.layout == "long" else (*stem, words)


def indicator_table(
    selection: Selection, report: Report, unit_rows: pd.DataFrame | None, county_report: Report | None = None
) -> ExportTable:
    """An indicator table at the selection's level, within its scope and indicators, as a
    matrix or long. The township matrix leads with the county's row (``county_report``) when
    the whole county is chosen: it is the overview's matrix, and the same file."""
    county = report.settings.county
    scope = scope_name(unit_rows, selection, formats.county_name(county))
    title = table_name(selection.table)
    chosen = _chosen(selection)
    result = _scoped(selection, report, unit_rows)
    result = result[result["indicator"].isin([i.code for i in chosen])]
    notes_from = county_report.result if county_report is not None else result
    filters = _filters(selection, title, scope)
    filters.append((labels.t("indicator"), "、".join(formats.indicator_short(i.code) for i in chosen)))
    filters.append((labels.t("export_layout"), labels.t(f"export_layout_{selection.layout}")))
    as_of = min(selection.as_of or selection.period.end, selection.period.end)
    words = formats.period_words(selection.period)
    stem = indicator_stem(selection, unit_rows, county)
    notes = formats.indicator_notes(chosen, notes_from)
    if selection.layout == "long":
        frame = tables.indicator_export(result, county, level=True, township=selection.level == "village")
        context = tables.indicator_context(
            title, scope, selection.period, notes=notes, as_of=as_of, filters=tuple(filters)
        )
        return ExportTable(frame, context, stem, False, tuple(frame.columns))
    whole_county = selection.level == "township" and not selection.township and county_report is not None
    if whole_county:
        assert county_report is not None
        both = county_report.result[county_report.result["indicator"].isin([i.code for i in chosen])]
        result = pd.concat([both, result], ignore_index=True)
    name_header = labels.t("village") if selection.level == "village" else labels.t("township")
    matrix = tables.indicator_matrix(
        result,
        county,
        chosen,
        partial=not selection.period.is_full_year,
        name_header=name_header,
        township=selection.level == "village",
    )
    frame = matrix.frame
    number_formats = dict(matrix.formats)
    status_columns = list(matrix.status_columns)
    if selection.level == "township":
        frame, extra_formats, extra_status = _township_extras(frame, report, county_report, chosen)
        number_formats.update(extra_formats)
        status_columns.extend(extra_status)
    context = ExportContext(
        title=title,
        scope=scope,
        period=words,
        as_of=as_of,
        notes=notes,
        filters=tuple(filters),
        number_formats=number_formats,
        status_columns=tuple(status_columns),
    )
    return ExportTable(frame, context, stem, False, tuple(frame.columns))


def _township_extras(
    frame: pd.DataFrame, townships: Report, county_report: Report | None, chosen: tuple[ind.Indicator, ...]
) -> tuple[pd.DataFrame, dict[str, str], list[str]]:
    """The township matrix's last columns, as on the overview: new sites (with the service
    targets) and the assessment score with 一票否决."""
    frame = frame.copy()
    codes = frame[labels.t("code")].astype(str)
    number_formats: dict[str, str] = {}
    status_columns: list[str] = []
    if any(i.group == "service" for i in chosen) and townships.has_services:
        per_township = township_sites(townships).set_index("code")
        column = labels.t("sites_short")
        texts, states = [], []
        found = county_sites(county_report, townships) if county_report is not None else None
        for code in codes:
            if code in per_township.index:
                row = per_township.loc[code]
                texts.append(sites_cell(row["new"], row["goal"], row["status"]))
                states.append(str(row["status"]))
            elif found is not None:
                texts.append(sites_cell(found.county_level, found.county_goal, found.status))
                states.append(found.status)
            else:
                texts.append("")
                states.append("")
        frame[column] = texts
        state_column = labels.t("matrix_status", name=column)
        frame[state_column] = [formats.status_badge(s) if s else "" for s in states]
        status_columns.append(state_column)
    scored = townships.assessment.set_index("code")
    score = labels.t("score")
    frame[score] = [float(scored.loc[c, "score"]) if c in scored.index else float("nan") for c in codes]
    number_formats[score] = "0.0"
    veto = labels.t("veto")
    frame[veto] = [formats.yes(bool(scored.loc[c, "veto"])) if c in scored.index else "" for c in codes]
    return frame, number_formats, status_columns


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
