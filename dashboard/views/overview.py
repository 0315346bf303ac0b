"""The overview: county cards for every target and the township × indicator matrix."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain.county import County
from dashboard.domain.periods import Period
from dashboard.domain.report import Report
from dashboard.render import formats, tables
from dashboard.render.cards import Card
from dashboard.views import drilldown
from dashboard.views.cards import all_cards, county_sites, sites_cell, township_sites
from dashboard.views.export import ExportTable, Selection, indicator_stem, indicator_table


@dataclass(frozen=True)
class OverviewPage:
    """Everything the overview page renders."""

    heading: str
    notes: list[str]
    warnings: list[str]
    cards: list[Card]
    matrix: pd.DataFrame
    matrix_status: pd.DataFrame
    export: Callable[[str], ExportTable]  # the matrix's file, by layout: 'matrix' (as shown) or 'long'
    export_stem: Callable[[str], tuple[str, ...]]  # its name's parts, without building it


def status_matrix(
    county: Report, townships: Report, indicators: tuple[ind.Indicator, ...] = ind.HEADLINE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Unit × indicator display table (county first, then townships) and its status frame.

    Cells read '10.52 ✔'; for a projected indicator over part of a year the judged projection
    follows in brackets; '?' marks small numbers. With the service indicators, the new
    demonstration sites follow (the county's three goals, each township's own +1). Last, the
    townships' assessment score with 一票否决.
    """
    partial = not county.period.is_full_year
    both = pd.concat([county.result, townships.result], ignore_index=True)
    name_col = labels.t("township")
    table, status = tables.status_cells(both, county.settings.county, indicators, partial=partial, name_header=name_col)
    codes = [county.settings.county.code, *townships.rolled["code"]]
    if any(i.group == "service" for i in indicators) and townships.has_services:
        per_township = township_sites(townships).set_index("code")
        found = county_sites(county, townships)
        column = labels.t("sites_short")
        table[column] = [sites_cell(found.county_level, found.county_goal, found.status)] + [
            sites_cell(per_township.loc[c, "new"], per_township.loc[c, "goal"], per_township.loc[c, "status"])
            for c in codes[1:]
        ]
        status[column] = [found.status, *per_township.loc[codes[1:], "status"]]
    scored = townships.assessment.set_index("code")
    score_col = labels.t("score")
    table[score_col] = [""] + [
        f"{scored.loc[c, 'score']:.1f}/{scored.loc[c, 'max_score']:g}"
        + (f" ✖ {labels.t('veto')}" if scored.loc[c, "veto"] else "")
        for c in codes[1:]
    ]
    status[score_col] = [""] + ["red" if scored.loc[c, "veto"] else "" for c in codes[1:]]
    return table, status


def _matrix_selection(period: Period, indicators: tuple[ind.Indicator, ...], as_of: date, layout: str) -> Selection:
    return Selection(
        table="indicators_township",
        period=period,
        indicators=tuple(i.code for i in indicators),
        layout=layout,
        as_of=as_of,
    )


def matrix_export(
    county: Report, townships: Report, indicators: tuple[ind.Indicator, ...], *, as_of: date, layout: str = "matrix"
) -> ExportTable:
    """The matrix's file: the Export page's township table for the whole county with the same
    indicators — one builder, so the two pages give the same file."""
    selection = _matrix_selection(county.period, indicators, as_of, layout)
    return indicator_table(selection, townships, None, county_report=county)


@dataclass(frozen=True)
class MinePanel:
    """'我的乡镇' on the overview: rank and score, points lost per target, villages behind."""

    heading: str
    summary: str
    lost: pd.DataFrame  # target, status, points lost (targets that lost points)
    behind: pd.DataFrame  # the villages pulling the township down (drilldown.pull_down)


def mine_panel(townships: Report, villages: Report, code: str) -> MinePanel | None:
    """The panel for the township ``code`` (None when it is not in the report)."""
    table = townships.assessment
    own = table[table["code"] == code]
    if own.empty:
        return None
    row = own.iloc[0]
    points = townships.settings.assessment.points
    lost_rows = []
    for target, full in points.items():
        column = f"points:{target}"
        if column not in row.index:
            continue
        missed = float(full) - float(row[column])
        if missed > 1e-9:
            name = labels.t("service_work") if target == "service_work" else formats.indicator_short(target)
            status = str(row.get(f"status:{target}", "no_data"))
            lost_rows.append(
                {
                    labels.t("indicator"): name,
                    labels.t("status"): formats.status_badge(status, bool(row.get(f"small:{target}", False))),
                    labels.t("mine_points_lost"): f"{missed:g}",
                }
            )
    summary = labels.t(
        "mine_summary",
        rank=int(row["rank"]),
        n=len(table),
        score=f"{float(row['score']):g}",
        max=f"{float(row['max_score']):g}",
    )
    if bool(row["veto"]):
        summary += labels.t("mine_veto")
    return MinePanel(
        heading=labels.t("mine_heading", name=str(row["name"])),
        summary=summary,
        lost=pd.DataFrame(lost_rows, columns=[labels.t("indicator"), labels.t("status"), labels.t("mine_points_lost")]),
        behind=drilldown.pull_down(villages, code),
    )


def build(
    county: Report, townships: Report, county_last: Report | None, *, as_of: date, all_targets: bool = False
) -> OverviewPage:
    """The overview for the reports' period; ``all_targets`` puts the service indicators (and
    the new sites) in the township matrix beside the headline ones."""
    period = county.period
    c = county.settings.county
    notes = [
        labels.t("period_caption", start=period.start.isoformat(), end=period.end.isoformat(), days=period.days),
        labels.t(
            "overview_population",
            pop=int(county.rolled["pop_end"].iloc[0]),
            floating=int(county.rolled["floating_pop_end"].iloc[0]),
        ),
        labels.t("overview_caption"),
    ]
    warnings: list[str] = []
    covered = county.covered
    if covered is None or covered.kind == "full":  # (otherwise the page's coverage line says it)
        if not period.is_full_year:
            warnings.append(labels.t("period_partial", factor=county.projection_factor))
        if period.end > as_of:
            warnings.append(labels.t("period_incomplete", as_of=as_of.isoformat()))
    if county.default_targets_used:
        warnings.append(labels.t("target_source_default"))
    shown = ind.CATALOGUE if all_targets else ind.HEADLINE
    table, status = status_matrix(county, townships, shown)
    words = formats.period_words(period)
    return OverviewPage(
        heading=labels.t("overview_heading", county=formats.county_name(c), period=words),
        notes=notes,
        warnings=warnings,
        cards=all_cards(county, townships, county_last),
        matrix=table,
        matrix_status=status,
        # Built when a button is clicked, not on every run (~20 ms for the two layouts);
        # partials of module functions, so that the page model can be kept (pickled) as a whole.
        export=functools.partial(_matrix_file, county, townships, shown, as_of),
        export_stem=functools.partial(_matrix_stem, period, shown, as_of, c),
    )


def _matrix_file(
    county: Report, townships: Report, shown: tuple[ind.Indicator, ...], as_of: date, layout: str
) -> ExportTable:
    return matrix_export(county, townships, shown, as_of=as_of, layout=layout)


def _matrix_stem(
    period: Period, shown: tuple[ind.Indicator, ...], as_of: date, county: County, layout: str
) -> tuple[str, ...]:
    return indicator_stem(_matrix_selection(period, shown, as_of, layout), None, county)
