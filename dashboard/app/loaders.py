"""What each page needs, loaded through the cache and handed to its view: one function per
page, so that a page reads its widgets, calls one loader and renders the page model."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pandas as pd
import streamlit as st

from dashboard import labels
from dashboard.app import audit, cache, sources
from dashboard.domain import indicators as ind
from dashboard.domain import privacy, units
from dashboard.domain import trends as series_engine
from dashboard.domain.access import Access, AccessDenied
from dashboard.domain.periods import Period, PeriodError, parse_period
from dashboard.domain.report import Report
from dashboard.render import formats, vega
from dashboard.views import bulletin, drilldown, export, meeting, overview, quality, ranking, services, trends
from dashboard.views import map as map_view


def _last_year(url: str, period: Period, level: str, generation: int | None = None) -> Report | None:
    """The same months a year earlier, or None when there is no such period."""
    try:
        return cache.report(url, period.same_period_last_year(), level, generation)
    except PeriodError:
        return None


def overview_page(url: str, period: Period, as_of: date, *, all_targets: bool = False) -> overview.OverviewPage:
    generation = cache.snapshot(url).generation
    return _overview_model(url, generation, period.label, labels.language(), as_of, all_targets)


@st.cache_data(ttl=cache.CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def _overview_model(
    url: str, generation: int, period_label: str, language: str, as_of: date, all_targets: bool
) -> overview.OverviewPage:
    """The overview's page model, kept per summaries' generation, period, words' ``language``
    and table scope: building it (cards, matrix) cost more than the rest of a rerun. It holds
    aggregates only, the same for every user."""
    period = parse_period(period_label)
    county = cache.report(url, period, "county", generation)
    townships = cache.report(url, period, "township", generation)
    county_last = _last_year(url, period, "county", generation)  # the cards' year-on-year change
    return overview.build(county, townships, county_last, as_of=as_of, all_targets=all_targets)


def mine_panel(url: str, period: Period, mine: str | None) -> overview.MinePanel | None:
    """The overview's '我的乡镇' panel (None without a township of one's own)."""
    if not mine:
        return None
    return overview.mine_panel(cache.report(url, period, "township"), cache.report(url, period, "village"), mine)


def ranking_page(url: str, period: Period, *, choice: str, funnel_level: str, mine: str | None) -> ranking.RankingPage:
    generation = cache.snapshot(url).generation
    return _ranking_model(url, generation, period.label, labels.language(), choice, funnel_level, mine)


@st.cache_data(ttl=cache.CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def _ranking_model(
    url: str, generation: int, period_label: str, language: str, choice: str, funnel_level: str, mine: str | None
) -> ranking.RankingPage:
    """The ranking page's model, kept like the overview's (aggregates only; ``mine`` stars a
    township, it reveals nothing)."""
    period = parse_period(period_label)
    now = cache.report(url, period, "township", generation)
    before = _last_year(url, period, "township", generation)
    wanted = choice != "score" and funnel_level == "village"
    villages = cache.report(url, period, "village", generation) if wanted else None
    return ranking.build(now, before, choice=choice, mine=mine, funnel_report=villages)


BULLETIN_MIME = bulletin.MIME


def bulletin_name(url: str, period: Period) -> str:
    """The 通报's file name (景东县_目标监测通报_2025年第3季度.docx), known before it is built."""
    return bulletin.file_name(cache.settings().county, period)


def bulletin_file(url: str, period: Period, access: Access, today: date | None = None) -> bytes:
    """The period's 通报 (.docx) from the reports the pages read; its download is logged like
    every other (who, role, period). Every role may have it: the ranking it carries is shown to
    all, and it holds aggregates and village names, no person-level row."""
    today = today or date.today()
    townships = cache.report(url, period, "township")
    stamp = cache.snapshot(url).refreshed_at
    model = bulletin.build(
        cache.report(url, period, "county"),
        townships,
        _last_year(url, period, "township"),
        cache.report(url, period, "village"),
        cache.quality(url, period),
        today=today,
        generated_at=datetime.now(),
        refreshed=date.fromisoformat(stamp[:10]) if stamp else None,
    )
    data = bulletin.docx_bytes(model)
    audit.write(access, "download", model.title, model.county_name, period.label, len(model.ranking_codes), fmt="docx")
    return data


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
    generation = cache.snapshot(url).generation
    return _map_model(url, generation, period.label, labels.language(), code, colour_by, selected, height, overall)


@st.cache_data(ttl=cache.CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def _map_model(
    url: str,
    generation: int,
    period_label: str,
    language: str,
    code: str,
    colour_by: str,
    selected: str | None,
    height: int,
    overall: bool,
) -> map_view.MapView:
    """The map's model, kept like the overview's (aggregates and village names only)."""
    period = parse_period(period_label)
    townships = cache.report(url, period, "township", generation)
    villages = cache.report(url, period, "village", generation)
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
    counts = cache.unit_counts_for(url, tuple(periods.values()), "village", village_code)
    rows = {m: counts[p.label] for m, p in periods.items()}
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


@st.cache_data(ttl=cache.CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def _drill_model(
    url: str, generation: int, period_label: str, language: str, township_code: str | None, indicator_code: str
) -> drilldown.DrillPage:
    """The county's or a township's drill-down, kept like the overview (aggregates only; a
    village's page holds person-level lists and is built on every run, on the audited path)."""
    period = parse_period(period_label)
    level = drilldown.resolve(cache.unit_rows(url), township_code, None)
    county = cache.report(url, period, "county", generation)
    townships = cache.report(url, period, "township", generation)
    if level.name == "county":
        return drilldown.build(level, indicator_code, county, townships)
    return drilldown.build(level, indicator_code, county, townships, cache.report(url, period, "village", generation))


def drilldown_page(
    url: str,
    period: Period,
    township_code: str | None,
    village_code: str | None,
    indicator_code: str,
    access: Access,
) -> drilldown.DrillPage:
    """The level the codes select, with only what that level shows loaded; a village's
    person-level lists only within the user's scope (on the audited path), else one line."""
    level = drilldown.resolve(cache.unit_rows(url), township_code, village_code)
    if level.name != "village":
        generation = cache.snapshot(url).generation
        township = level.township[0] if level.township is not None else None
        return _drill_model(url, generation, period.label, labels.language(), township, indicator_code)
    county = cache.report(url, period, "county")
    townships = cache.report(url, period, "township")
    villages = cache.report(url, period, "village")
    assert level.village is not None and level.village_id is not None and level.township is not None
    ids = (level.village_id,)
    trend = _village_trend(url, period, ind.get(indicator_code), level.village[0])

    def with_records() -> drilldown.DrillPage:
        return drilldown.build(
            level,
            indicator_code,
            county,
            townships,
            villages,
            trend=trend,
            births_raw=cache.person_list(url, "births", period.label, ids),
            wcba_raw=cache.person_list(url, "wcba_without_long_acting", period.label, ids),
        )

    try:
        return audit.person_rows(
            access,
            [level.township[0]],
            with_records,
            table="drill_village_records",
            scope=f"{level.township[1]}{level.village[1]}",
            period=period.label,
            seen=_seen(),
            count=lambda page: sum(len(t.display) for t in (page.births, page.wcba) if t is not None),
        )
    except AccessDenied as exc:  # the village's numbers, not its people
        page = drilldown.build(level, indicator_code, county, townships, villages, trend=trend)
        return dataclasses.replace(page, notes=[formats.message(exc)])


def _seen() -> set[tuple[str, ...]]:
    """The person-level lists this session has viewed already (each view is logged once)."""
    seen: set[tuple[str, ...]] = st.session_state.setdefault("_audit_seen", set())
    return seen


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


def services_page(url: str, period: Period, access: Access) -> services.ServicesPage:
    """The service work; the late or unpaid rewards list within the user's scope (a township
    user: its own township's; a viewer: none)."""
    generation = cache.snapshot(url).generation
    if not access.sees_records:
        return _services_model(url, generation, period.label, labels.language(), None, None)
    township = access.township if access.role == "township" else None
    return audit.person_rows(
        access,
        [township],
        lambda: _services_model(url, generation, period.label, labels.language(), township, not access.masked),
        table="reward_problems",
        scope=township or "county",
        period=period.label,
        seen=_seen(),
        count=lambda page: len(page.rewards.display) if page.rewards is not None else 0,
    )


@st.cache_data(ttl=cache.CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def _services_model(
    url: str, generation: int, period_label: str, language: str, township: str | None, revealed: bool | None
) -> services.ServicesPage:
    """The services page model, kept: building it (matrix, quota charts, rewards) cost ~55 ms
    on every rerun. Keyed on what it reads — the summaries' generation, the period, the words'
    ``language`` — and on the rewards list's scope: ``revealed`` None for no list (a viewer),
    else whether it is unmasked; ``township`` the township user's own (None: the county)."""
    period = parse_period(period_label)
    county = cache.report(url, period, "county", generation)
    townships = cache.report(url, period, "township", generation)
    unit_rows = cache.unit_rows(url)
    if revealed is None:
        return services.build(county, townships, None, unit_rows)
    raw = cache.reward_problems(url, period_label)
    own = units.scope_units(unit_rows, township, None) if township else unit_rows
    raw = raw[raw["village_id"].isin(own.index)] if "village_id" in raw else raw
    with privacy.revealed(revealed):
        return services.build(county, townships, raw, unit_rows)


def quality_page(url: str, period: Period, today: date) -> quality.QualityPage:
    """Findings per check and township (from the summaries)."""
    return _quality_model(url, cache.snapshot(url).generation, period.label, labels.language(), today)


@st.cache_data(ttl=cache.CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def _quality_model(url: str, generation: int, period_label: str, language: str, today: date) -> quality.QualityPage:
    """The quality page's model, kept like the overview's (counts per check and township; the
    records behind a check are read live, on the audited path)."""
    period = parse_period(period_label)
    return quality.build(cache.quality(url, period), period, today, cache.settings().county)


def quality_villages(url: str, period: Period, check: str) -> pd.DataFrame:
    return quality.village_counts(cache.quality(url, period), check)


def quality_records(url: str, period: Period, today: date, check: str, access: Access) -> pd.DataFrame:
    """The masked records behind one check (live on the registry) within the user's scope: a
    township user sees its own township's, a viewer none (``AccessDenied``)."""
    access.require_records([access.township] if access.role == "township" else [None])
    report = cache.quality_records(url, period.label, today, check)
    if access.role == "township":
        findings = report.findings[report.findings["township_code"] == access.township]
        report = dataclasses.replace(report, findings=findings)
    people = cache.persons(url, quality.person_ids(report, check))
    return audit.person_rows(
        access,
        [access.township] if access.role == "township" else [None],
        lambda: quality.records(report, check, people),
        table=f"quality_records:{check}",
        scope=access.township or "county",
        period=period.label,
        seen=_seen(),
    )


def export_table(url: str, selection: export.Selection, access: Access) -> export.ExportTable:
    """The table the Export page's selection names, ready to preview and export; a registry
    list only within the user's scope (its view on the audited path)."""
    unit_rows = cache.unit_rows(url)
    if selection.level is not None:
        report = cache.report(url, selection.period, selection.level)
        whole = cache.report(url, selection.period, "county") if selection.level == "township" else None
        return export.indicator_table(selection, report, unit_rows, county_report=whole)
    access.require_records([selection.township])
    chosen = units.scope_units(unit_rows, selection.township, selection.village)
    village_ids = tuple(int(v) for v in chosen.index)
    kind = "births" if selection.table == "births" else f"wcba_{selection.wcba_filter}"
    county = cache.settings().county

    def build() -> export.ExportTable:
        raw = cache.person_list(url, kind, selection.period.label, village_ids)
        return export.records_table(selection, raw, unit_rows, county.short_name, formats.county_name(county))

    return audit.person_rows(
        access,
        [selection.township],
        build,
        table=selection.table,
        scope=selection.township or "county",
        period=selection.period.label,
        detail=f"{selection.village or ''} {selection.wcba_filter}".strip(),
        seen=_seen(),
        count=lambda table: len(table.frame),
    )


def meeting_deck(
    url: str, period: Period, slide: str | None = None, generation: int | None = None
) -> meeting.MeetingDeck:
    """The meeting deck (``slide``: only what that slide shows, with only its reports loaded)
    of the current summaries, or of ``generation`` (see :func:`meeting_generation`)."""
    county = cache.report(url, period, "county", generation)
    last = _last_year(url, period, "county", generation) if slide in (None, "targets") else None
    townships = cache.report(url, period, "township", generation) if slide != "laggards" else None
    villages = cache.report(url, period, "village", generation) if slide in (None, "laggards") else None
    boundaries = cache.boundaries(url) if slide in (None, "map") else None
    return meeting.build(county, last, townships, villages, slide, boundaries)


def _deck_reports(url: str, period: Period, generation: int) -> None:
    """Every report the deck reads, of ``generation`` (they land in the cache)."""
    for level in ("county", "township", "village"):
        cache.report(url, period, level, generation)
    _last_year(url, period, "county", generation)


def meeting_generation(url: str, period: Period, shown: int | None) -> int:
    """Which summaries generation the deck shows: the current one once every report of the
    deck is built for it; until then the one it has been showing (``shown``), while the new
    one is built in the background — a refresh never stalls the room. ``shown`` None, the
    current one, or no longer kept by the store (two refreshes ago): the current one."""
    current = cache.snapshot(url).generation
    if shown is None or shown >= current or shown < current - 1:
        return current
    ready = cache.warm(("deck", url, current, period.label), lambda: _deck_reports(url, period, current))
    return current if ready else shown


def warm_meeting_slide(url: str, period: Period, slide: str, generation: int) -> None:
    """Build the slide after the one on screen in the background (reports and drawn charts),
    so that the clicker or auto-advance shows it at once."""

    def build() -> None:
        deck = meeting_deck(url, period, slide, generation)
        for chart in meeting_charts(deck):
            cache.svg(chart)

    cache.warm(("slide", url, generation, period.label, slide, labels.language()), build)


def meeting_pack(url: str, period: Period, kind: str, access: Access, generation: int | None = None) -> bytes:
    """The meeting pack (``kind`` 'pdf' or 'pptx') of the deck on screen, its download logged
    like every other."""
    deck = meeting_deck(url, period, None, generation)
    data = meeting.pack_file(deck, kind)
    county = formats.county_name(cache.settings().county)
    audit.write(access, "download", labels.t("meeting_pack_title", county=county), county, period.label, len(meeting.SLIDES),
                fmt=kind)  # fmt: skip
    return data


def meeting_charts(deck: meeting.MeetingDeck) -> list[str]:
    """The deck's charts as spec JSON, in slide order (what :func:`cache.svg` draws)."""
    charts = [deck.score_chart] if deck.score_chart is not None else []
    if deck.map is not None:
        charts.append(deck.map.map.chart)
    return [vega.spec_json(c) for c in charts]


# --------------------------------------------------------------------------- targets


def target_years(url: str) -> tuple[int, int]:
    """The years whose targets may be set: those the data covers, and the year after the last."""
    years = cache.snapshot(url).coverage.years(date.today())
    return min(years), max(years) + 1


def target_editor(url: str, year: int) -> tuple[pd.DataFrame, bool, list[str]]:
    """The year's rows for the editor, whether they are the defaults, and the township names."""
    return sources.target_editor(cache.engine(url), year)


def target_version(url: str, year: int) -> str:
    """The fingerprint of the year's target rows now (the editor keeps the one it loaded)."""
    return sources.target_version(cache.engine(url), year)


def save_targets(url: str, year: int, frame: pd.DataFrame, *, allowed: bool, version: str | None = None) -> int:
    """Validate and write a year's rows (one transaction; refused when ``version`` is stale);
    every page then reads them afresh."""
    n = sources.save_targets(cache.engine(url), year, frame, allowed=allowed, version=version)
    cache.clear()
    return n


def copy_targets(url: str, from_year: int, to_year: int, *, allowed: bool, overwrite: bool = False) -> int:
    n = sources.copy_targets(cache.engine(url), from_year, to_year, allowed=allowed, overwrite=overwrite)
    cache.clear()
    return n
