"""What each page needs, loaded through the cache and handed to its view: one function per
page, so that a page reads its widgets, calls one loader and renders the page model."""

from __future__ import annotations

import os
from datetime import date

import pandas as pd

from dashboard.app import cache, sources
from dashboard.domain import indicators as ind
from dashboard.domain import trends as series_engine
from dashboard.domain import units
from dashboard.domain.periods import Period, PeriodError
from dashboard.domain.report import Report
from dashboard.render import formats
from dashboard.views import drilldown, export, meeting, overview, quality, ranking, services, trends
from dashboard.views import map as map_view


def _last_year(url: str, period: Period, level: str) -> Report | None:
    """The same months a year earlier, or None when there is no such period."""
    try:
        return cache.report(url, period.same_period_last_year(), level)
    except PeriodError:
        return None


def overview_page(url: str, period: Period, as_of: date, *, all_targets: bool = False) -> overview.OverviewPage:
    county = cache.report(url, period, "county")
    townships = cache.report(url, period, "township")
    county_last = _last_year(url, period, "county")  # the cards' year-on-year change
    return overview.build(county, townships, county_last, as_of=as_of, all_targets=all_targets)


def ranking_page(url: str, period: Period, *, choice: str, funnel_level: str, mine: str | None) -> ranking.RankingPage:
    now = cache.report(url, period, "township")
    before = _last_year(url, period, "township")
    villages = cache.report(url, period, "village") if choice != "score" and funnel_level == "village" else None
    return ranking.build(now, before, choice=choice, mine=mine, funnel_report=villages)


def map_page(
    url: str,
    period: Period,
    code: str,
    *,
    colour_by: str = "status",
    selected: str | None = None,
    height: int = 640,
    overall: bool = False,
) -> map_view.MapView:
    """The map for ``period`` (``overall``: townships coloured by their worst headline status)."""
    townships = cache.report(url, period, "township")
    villages = cache.report(url, period, "village")
    rows = meeting.overall_status(townships) if overall else None
    return map_view.build(
        townships,
        villages,
        cache.unit_rows(url),
        code,
        cache.boundaries(url),
        colour_by=colour_by,
        selected=selected,
        height=height,
        township_rows=rows,
    )


def _village_trend(url: str, period: Period, indicator: ind.Indicator, village_code: str) -> pd.DataFrame:
    """Year to date through each month of the period's year for one village."""
    unit_rows = cache.unit_rows(url)
    months = range(1, period.end.month + 1)
    periods = {m: series_engine.ytd_period(period.year, m) for m in months}
    counts = cache.counts_for(url, tuple(periods.values()))
    rows = {m: series_engine.unit_row(counts[p.label], unit_rows, "village", village_code) for m, p in periods.items()}
    template = series_engine.unit_template(unit_rows, "village", village_code, cache.settings().county)
    year_targets = cache.targets(url, period.year)
    return series_engine.evaluate(
        rows,
        template,
        periods.__getitem__,
        lambda _p: year_targets,
        (indicator,),
        lambda y: cache.quotas(url, y),
        cache.snapshot(url).coverage,
    )


def drilldown_page(
    url: str, period: Period, township_code: str | None, village_code: str | None, indicator_code: str
) -> drilldown.DrillPage:
    """The level the codes select, with only what that level shows loaded."""
    level = drilldown.resolve(cache.unit_rows(url), township_code, village_code)
    county = cache.report(url, period, "county")
    townships = cache.report(url, period, "township")
    if level.name == "county":
        return drilldown.build(level, indicator_code, county, townships)
    villages = cache.report(url, period, "village")
    if level.name == "township":
        return drilldown.build(level, indicator_code, county, townships, villages)
    assert level.village is not None and level.village_id is not None
    ids = (level.village_id,)
    return drilldown.build(
        level,
        indicator_code,
        county,
        townships,
        villages,
        trend=_village_trend(url, period, ind.get(indicator_code), level.village[0]),
        births_raw=cache.person_list(url, "births", period.label, ids),
        wcba_raw=cache.person_list(url, "wcba_without_long_acting", period.label, ids),
    )


def trends_page(
    url: str, period: Period, indicator_code: str, township_code: str | None, village_code: str | None
) -> trends.TrendsPage:
    """Yearly, year-to-date and monthly series for the county, a township or a village."""
    indicator = ind.get(indicator_code)
    unit_rows = cache.unit_rows(url)
    settings = cache.settings()
    township_names = units.township_options(unit_rows)
    village_names = units.village_options(unit_rows, township_code)
    level, code, scope = "county", None, formats.county_name(settings.county)
    if township_code in township_names and village_code in village_names:
        level, code = "village", village_code
        scope = f"{township_names[township_code]} · {village_names[village_code]}"
    elif township_code in township_names:
        level, code, scope = "township", township_code, township_names[township_code]
    data = cache.trend_series(url, period, indicator_code, level, code)
    return trends.build(data, period, indicator, scope, settings.county)


def services_page(url: str, period: Period) -> services.ServicesPage:
    county = cache.report(url, period, "county")
    townships = cache.report(url, period, "township")
    return services.build(county, townships, cache.reward_problems(url, period.label), cache.unit_rows(url))


def quality_page(url: str, period: Period, today: date) -> quality.QualityPage:
    """Findings per check and township (from the summaries)."""
    return quality.build(cache.quality(url, period), period, today, cache.settings().county)


def quality_villages(url: str, period: Period, check: str) -> pd.DataFrame:
    return quality.village_counts(cache.quality(url, period), check)


def quality_records(url: str, period: Period, today: date, check: str) -> pd.DataFrame:
    """The masked records behind one check (live on the registry)."""
    report = cache.quality_records(url, period.label, today, check)
    people = cache.persons(url, quality.person_ids(report, check))
    return quality.records(report, check, people)


def export_table(url: str, selection: export.Selection) -> export.ExportTable:
    """The table the Export page's selection names, ready to preview and export."""
    unit_rows = cache.unit_rows(url)
    if selection.level is not None:
        return export.indicator_table(selection, cache.report(url, selection.period, selection.level), unit_rows)
    chosen = units.scope_units(unit_rows, selection.township, selection.village)
    village_ids = tuple(int(v) for v in chosen.index)
    kind = "births" if selection.table == "births" else f"wcba_{selection.wcba_filter}"
    raw = cache.person_list(url, kind, selection.period.label, village_ids)
    county = cache.settings().county
    return export.records_table(selection, raw, unit_rows, county.short_name, formats.county_name(county))


def meeting_deck(url: str, period: Period, slide: str | None = None) -> meeting.MeetingDeck:
    """The meeting deck (``slide``: only what that slide shows, with only its reports loaded)."""
    county = cache.report(url, period, "county")
    last = _last_year(url, period, "county") if slide in (None, "targets") else None
    townships = cache.report(url, period, "township") if slide != "laggards" else None
    villages = cache.report(url, period, "village") if slide in (None, "laggards") else None
    return meeting.build(county, last, townships, villages, slide)


# --------------------------------------------------------------------------- targets


def target_years(url: str) -> tuple[int, int]:
    """The years whose targets may be set: those the data covers, and the year after the last."""
    years = cache.snapshot(url).coverage.years(date.today())
    return min(years), max(years) + 1


def can_edit_targets() -> bool:
    """Whether this installation lets users edit targets (``DASHBOARD_ROLE`` county, the default)."""
    return os.environ.get("DASHBOARD_ROLE", "county").lower() == "county"


def target_editor(url: str, year: int) -> tuple[pd.DataFrame, bool, list[str]]:
    """The year's rows for the editor, whether they are the defaults, and the township names."""
    return sources.target_editor(cache.engine(url), year)


def save_targets(url: str, year: int, frame: pd.DataFrame, *, allowed: bool) -> int:
    """Validate and write a year's rows (one transaction); every page then reads them afresh."""
    n = sources.save_targets(cache.engine(url), year, frame, allowed=allowed)
    cache.clear()
    return n


def copy_targets(url: str, from_year: int, to_year: int, *, allowed: bool) -> int:
    n = sources.copy_targets(cache.engine(url), from_year, to_year, allowed=allowed)
    cache.clear()
    return n
