"""County → township → village: tables, the villages that pull a township down, a village's
indicators, monthly trend and the (masked) registry records behind its numbers.

The view is a function of (period, township code, village code) — the URL's query
parameters — so that a link reproduces it. :func:`resolve` says which level the codes select
(unknown codes fall back up), so that the app loads only what that level shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import ranking, units
from dashboard.domain import targets as tr
from dashboard.domain.periods import Period
from dashboard.domain.report import Report
from dashboard.render import charts, formats, tables
from dashboard.render.exports import ExportContext
from dashboard.render.tables import Table


@dataclass(frozen=True)
class Level:
    """Which level the URL's codes select (unknown codes fall back up)."""

    name: str  # 'county', 'township' or 'village'
    township: tuple[str, str] | None  # (code, name)
    village: tuple[str, str] | None
    village_id: int | None
    township_options: dict[str, str]  # code → name
    village_options: dict[str, str]


def resolve(unit_rows: pd.DataFrame, township_code: str | None, village_code: str | None) -> Level:
    township_options = units.township_options(unit_rows)
    if township_code not in township_options:
        return Level("county", None, None, None, township_options, {})
    village_options = units.village_options(unit_rows, township_code)
    township = (str(township_code), township_options[str(township_code)])
    if village_code not in village_options:
        return Level("township", township, None, None, township_options, village_options)
    village_id = units.village_id(unit_rows, str(village_code))
    return Level(
        "village",
        township,
        (str(village_code), village_options[str(village_code)]),
        village_id,
        township_options,
        village_options,
    )


@dataclass(frozen=True)
class DrillPage:
    level: str  # 'county', 'township' or 'village'
    heading: str
    township: tuple[str, str] | None  # (code, name)
    village: tuple[str, str] | None
    township_options: dict[str, str]  # code → name
    village_options: dict[str, str]
    table: Table | None  # townships (county level) or villages (township level) or one village
    chart: alt.TopLevelMixin | None
    pull_down: pd.DataFrame | None  # villages behind target, one table (township level)
    trend: charts.Spec | None
    births: Table | None
    wcba: Table | None
    notes: list[str]


def indicator_table(result: pd.DataFrame, title: str, scope: str, period: Period, report: Report) -> Table:
    county = report.settings.county
    display, status = tables.status_cells(
        result, county, ind.HEADLINE, partial=not period.is_full_year, name_header=labels.t("name"), with_code=True
    )
    stem = (
        county.short_name,
        formats.file_scope(scope, county.name, county.name_en),
        title,
        formats.period_words(period),
    )
    return tables.matrix_table(
        display,
        status,
        result,
        county,
        ind.HEADLINE,
        period=period,
        title=title,
        scope=scope,
        stem=stem,
        name_header=labels.t("name"),
    )


def pull_down(villages: Report, township_code: str, top: int = 5) -> pd.DataFrame:
    """The villages of the township furthest behind target, per headline indicator: conclusive
    misses first (largest gap first), then the small-numbers ones ('?'), whose gap may be
    chance. The gap is in whole persons (births, women), rounded up: what it would take to meet
    the target. One table, the indicator first; empty when every village meets every target."""
    result = villages.result[villages.result["township_code"] == township_code]
    with_gaps = formats.decorate(ranking.gaps(result, villages.projection_factor), villages.settings.county)
    frames = []
    for indicator in ind.HEADLINE:
        sub = with_gaps[(with_gaps["indicator"] == indicator.code) & (with_gaps["gap"] > 1e-9)]
        sub = sub.assign(_small=sub["small_numbers"].astype(bool))
        sub = sub.sort_values(["_small", "gap", "code"], ascending=[True, False, True], kind="stable").head(top)
        frames.append(
            pd.DataFrame(
                {
                    labels.t("indicator"): sub["indicator_short"],
                    labels.t("village"): sub["name"],
                    labels.t("value"): sub["value_text"],
                    labels.t("status"): sub["badge"],
                    labels.t("drill_gap"): np.ceil(sub["gap"] - 1e-9).astype("int64"),
                    "n": sub["n_text"],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _records_table(
    frame: pd.DataFrame, title: str, scope: str, period: Period, county_short: str, date_columns: tuple[str, ...]
) -> Table:
    words = formats.period_words(period)
    return Table(
        display=frame,
        status=None,
        export=frame,
        context=ExportContext(
            title=title,
            scope=scope,
            period=words,
            number_formats={c: "yyyy-mm-dd" for c in date_columns},
            notes=((labels.t("drill_masked"), ""),),
        ),
        stem=(county_short, scope, title, words),
    )


def _village_indicators(result: pd.DataFrame, scope: str, period: Period, report: Report) -> Table:
    """A village's indicators with numerator, denominator, interval, target and status."""
    county = report.settings.county
    d = formats.decorate(result, county)
    display = pd.DataFrame(
        {
            labels.t("indicator"): d["indicator_name"],
            labels.t("value"): d["value_text"],
            labels.t("projection"): d["projection_text"],
            labels.t("interval"): d["interval_text"],
            labels.t("target"): d["target"],
            labels.t("status"): d["badge"],
            labels.t("numerator"): d["numerator"].map(formats.fmt_count),
            labels.t("denominator"): d["denominator"].map(formats.fmt_count),
        }
    )
    if period.is_full_year:
        display = display.drop(columns=[labels.t("projection")])
    status = pd.DataFrame({c: [""] * len(d) for c in display.columns}, index=display.index)
    status[labels.t("status")] = list(d["status"])
    title = labels.t("drill_village_indicators", village=scope)
    return Table(
        display=display,
        status=status,
        export=tables.indicator_export(result, county),
        context=tables.indicator_context(title, scope, period),
        stem=(
            county.short_name,
            formats.file_scope(scope, county.name, county.name_en),
            labels.t("indicator"),
            formats.period_words(period),
        ),
    )


def build(
    level: Level,
    indicator_code: str,
    county: Report,
    townships: Report,
    villages: Report | None = None,
    *,
    trend: pd.DataFrame | None = None,
    births_raw: pd.DataFrame | None = None,
    wcba_raw: pd.DataFrame | None = None,
) -> DrillPage:
    """The drill-down at ``level``: the county's townships; a township's villages with the ones
    pulling it down; a village's indicators, its monthly trend (``trend``: year-to-date results
    per month) and its masked records."""
    period = county.period
    c = county.settings.county
    words = formats.period_words(period)
    indicator = ind.get(indicator_code)
    common = dict(
        township=level.township,
        village=level.village,
        township_options=level.township_options,
        village_options=level.village_options,
    )
    if level.name == "county":
        combined = pd.concat([county.result, townships.result], ignore_index=True)
        return DrillPage(
            level="county",
            heading=f"{formats.county_name(c)} {words}",
            **common,  # type: ignore[arg-type]
            table=indicator_table(combined, labels.t("drill_townships_table"), c.short_name, period, county),
            chart=None,
            pull_down=None,
            trend=None,
            births=None,
            wcba=None,
            notes=[],
        )
    assert level.township is not None and villages is not None
    township_code, township_name = level.township
    if level.name == "township":
        own = townships.result[townships.result["code"] == township_code]
        mine = villages.result[villages.result["township_code"] == township_code]
        combined = pd.concat([own, mine], ignore_index=True)
        ranked = formats.decorate(mine[mine["indicator"] == indicator_code], c).sort_values("projection")
        target = tr.rule_of(own[own["indicator"] == indicator_code].iloc[0])
        return DrillPage(
            level="township",
            heading=f"{township_name} {words}",
            **common,  # type: ignore[arg-type]
            table=indicator_table(
                combined, labels.t("drill_villages_table", township=township_name), township_name, period, county
            ),
            chart=charts.ranking_bars(ranked, indicator, target),
            pull_down=pull_down(villages, township_code),
            trend=None,
            births=None,
            wcba=None,
            notes=[labels.t("drill_pull_down_note")],
        )
    assert level.village is not None and level.village_id is not None
    village_code, village_name = level.village
    own = villages.result[villages.result["code"] == village_code]
    target = tr.rule_of(own[own["indicator"] == indicator_code].iloc[0])
    trend_chart = None
    if trend is not None and not trend.empty:
        series = formats.decorate(trend[trend["key"] >= period.start.month], c)
        series = series.assign(month=series["key"].map(lambda k: labels.t("month_n", n=k)))
        trend_chart = charts.series_chart(
            series, indicator, target, x_field="month", x_title=labels.t("trend_month_col")
        )
    names = {level.village_id: village_name}
    scope = f"{township_name}{village_name}"
    births = tables.births_records(births_raw, names) if births_raw is not None else None
    wcba = tables.wcba_records(wcba_raw, names, period) if wcba_raw is not None else None
    return DrillPage(
        level="village",
        heading=f"{township_name} · {village_name} {words}",
        **common,  # type: ignore[arg-type]
        table=_village_indicators(own, scope, period, county),
        chart=None,
        pull_down=None,
        trend=trend_chart,
        births=_records_table(
            births, labels.t("records_title_births"), scope, period, c.short_name, (labels.t("col_birth_date"),)
        )
        if births is not None
        else None,
        wcba=_records_table(
            wcba, labels.t("records_title_wcba"), scope, period, c.short_name, (labels.t("col_married_on"),)
        )
        if wcba is not None
        else None,
        notes=[labels.t("drill_masked")],
    )
