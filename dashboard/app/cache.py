"""Cached access for the app: one engine per registry and per summary store, the store's
current snapshot (re-read every few seconds, so a refresh shows up at once), and everything
read from the summaries keyed by the snapshot's generation — a refresh makes new keys, old
entries age out.

Only counts and language-free reports are cached; words are added per run by the views.
Person-level lists are live registry queries limited to a few villages or one check.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard.app import sources
from dashboard.domain import indicators as ind
from dashboard.domain import quality as quality_checks
from dashboard.domain import report as reports
from dashboard.domain import targets as tr
from dashboard.domain import trends
from dashboard.domain.periods import Period, parse_period
from dashboard.domain.settings import Settings
from dashboard.render import formats, vega
from dashboard.views.map import Boundaries, seats
from data_access import config
from data_access.db import (
    DEFAULT_DEMO_PATH,
    LONG_STATEMENT_TIMEOUT_S,
    RegistryError,
    file_identity,
    normalise_url,
    one_line,
    reading,
    safe_url,
)
from data_access.queries import records
from data_access.queries import targets as target_queries
from data_access.summaries import read

#: Live registry reads (person lists, targets) are kept this long.
CACHE_TTL_SECONDS = 600
#: How often a session re-reads which summary generation is current.
SNAPSHOT_TTL_SECONDS = 15
log = logging.getLogger(__name__)


def ensure_demo_database(url: str) -> None:
    """Build the demo registry (and its summaries) the first time the app runs on its
    default SQLite file."""
    if normalise_url(url) != f"sqlite:///{DEFAULT_DEMO_PATH}" or DEFAULT_DEMO_PATH.exists():
        return
    sources.build_demo_file(DEFAULT_DEMO_PATH, date.today())


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return sources.settings()


#: After a failed connection, calls within this many seconds fail at once with the same
#: line (a registry that is down costs one connect timeout, not one per widget).
RETRY_AFTER_S = 10.0
_failures: dict[str, tuple[float, RegistryError]] = {}


def engine(url: str) -> sa.Engine:
    """A validated engine for ``url``; a registry that cannot be reached raises its one-line
    RegistryError (remembered for a few seconds), and is tried again after that."""
    failed = _failures.get(url)
    if failed and time.monotonic() - failed[0] < RETRY_AFTER_S:
        raise failed[1]
    try:
        return _engine(url, _file_identity(url))
    except RegistryError as exc:
        _failures[url] = (time.monotonic(), exc)
        raise


def _file_identity(url: str) -> str:
    """A SQLite registry replaced while the app runs gets a new engine: pooled connections
    would keep reading the old, unlinked file."""
    return file_identity(url)


@st.cache_resource(show_spinner=False, max_entries=4)
def _engine(url: str, identity: str) -> sa.Engine:
    return sources.open_registry(url)


def _engine_or_none(url: str) -> sa.Engine | None:
    try:
        return engine(url)
    except RegistryError:
        return None


@st.cache_data(ttl=RETRY_AFTER_S, show_spinner=False)
def registry_problem(url: str) -> str | None:
    """The one line saying why the registry cannot be read now (None when it can)."""
    try:
        with engine(url).connect():
            return None
    except RegistryError as exc:
        return formats.message(exc)
    except sa.exc.SQLAlchemyError as exc:
        return formats.message(RegistryError("err_connect", url=safe_url(url), reason=one_line(exc)))


def refresh_engine(url: str) -> sa.Engine:
    """The engine the summaries' refresh reads with (statements may run long at scale)."""
    return _refresh_engine(url, _file_identity(url))


@st.cache_resource(show_spinner=False, max_entries=4)
def _refresh_engine(url: str, identity: str) -> sa.Engine:
    return sources.open_registry(url, LONG_STATEMENT_TIMEOUT_S)


@st.cache_resource(show_spinner=False)
def store(url: str) -> sa.Engine:
    """The summary store of the registry at ``url``."""
    return sources.open_store(url)


def snapshot(url: str) -> read.Snapshot:
    """The summaries' current generation (built first when the store is empty). A SQLite
    registry replaced since the last refresh is refreshed first."""
    snap = _snapshot(url)
    identity = _file_identity(url)
    if identity and snap.registry_file and identity != snap.registry_file:
        refresh(url)
        snap = _snapshot(url)
    return snap


@st.cache_data(ttl=SNAPSHOT_TTL_SECONDS, show_spinner=False)
def _snapshot(url: str) -> read.Snapshot:
    return sources.ensure_summary(lambda: refresh_engine(url), store(url))


def refresh(url: str, *, full: bool = False) -> sources.summary_refresh.Refreshed:
    """Refresh the summaries now (a county user's button); pages see the new generation."""
    _failures.pop(url, None)
    done = sources.refresh_summary(_refresh_engine(url, _file_identity(url)), store(url), full=full)
    _snapshot.clear()
    return done


def _refresh_loop(url: str, minutes: float) -> None:
    while True:
        time.sleep(minutes * 60)
        try:
            sources.refresh_summary(refresh_engine(url), store(url))
            _snapshot.clear()
        except Exception as exc:  # the next round tries again; pages keep the last summary
            log.warning("scheduled summary refresh failed: %s", " ".join(str(exc).split()))


@st.cache_resource(show_spinner=False)
def scheduler(url: str) -> threading.Thread | None:
    """One background thread per registry that refreshes its summaries every
    ``DASHBOARD_REFRESH_MINUTES`` (none when 0); sessions pick the result up via
    :func:`snapshot`."""
    minutes = config.refresh_minutes()
    if minutes <= 0:
        return None
    thread = threading.Thread(target=_refresh_loop, args=(url, minutes), name="summary-refresh", daemon=True)
    thread.start()
    return thread


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=128)
def _inputs(url: str, generation: int, period_label: str) -> reports.Inputs:
    snap = snapshot(url)
    period = parse_period(period_label)
    if snap.covers(period):
        return sources.summary_inputs(_engine_or_none(url), store(url), snap, period, generation)
    # A period outside the summaries' years (an old link, the year before the first): live.
    return sources.load_inputs(engine(url), period)


def inputs(url: str, period: Period) -> reports.Inputs:
    """Units, per-village base and service counts and targets for one period."""
    return _inputs(url, snapshot(url).generation, period.label)


def report(url: str, period: Period, level: str, generation: int | None = None) -> reports.Report:
    """The indicator report for a level (built from the cached inputs, cached itself), of the
    current summaries or of ``generation`` (the meeting deck keeps showing one until the next
    is built; the store keeps the generation before the current one)."""
    return _report(url, snapshot(url).generation if generation is None else generation, period.label, level)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)
def _report(url: str, generation: int, period_label: str, level: str) -> reports.Report:
    built = reports.build(_inputs(url, generation, period_label), level)
    if level == "township":  # worked out here, it is kept with the report (the matrix and the
        _ = built.assessment  # ranking read it on every run: ~20 ms each time it is not)
    return built


def unit_rows(url: str) -> pd.DataFrame:
    """Villages with their townships (names, codes, coordinates)."""
    return _unit_rows(url, snapshot(url).generation)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=8)
def _unit_rows(url: str, generation: int) -> pd.DataFrame:
    with reading(store(url)) as conn:
        return read.load_units(conn, generation)


def year_span(url: str) -> tuple[int, int]:
    """The first and last year the summaries cover."""
    snap = snapshot(url)
    return snap.first_year, snap.last_year


def unit_counts_for(url: str, periods: tuple[Period, ...], level: str, code: str | None) -> dict[str, pd.Series]:
    """One unit's base and service counts (the sum over its villages) for several periods."""
    return _unit_counts_for(url, snapshot(url).generation, tuple(p.label for p in periods), level, code)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def _unit_counts_for(
    url: str, generation: int, period_labels: tuple[str, ...], level: str, code: str | None
) -> dict[str, pd.Series]:
    snap = snapshot(url)
    periods = [parse_period(label) for label in period_labels]
    inside = [p for p in periods if snap.covers(p)]
    units = _unit_rows(url, generation)
    chosen = None if level == "county" else [int(v) for v in trends.chosen_villages(units, level, code)]
    with reading(store(url)) as conn:  # the store sums the villages: one row per month
        out = read.unit_periods_counts(conn, generation, inside, chosen)
    for p in periods:  # a period outside the summaries' years: the live counts, summed here
        if p.label not in out:
            out[p.label] = trends.unit_row(_inputs(url, generation, p.label).counts, units, level, code)
    return out


def trend_series(url: str, period: Period, indicator_code: str, level: str, code: str | None) -> trends.SeriesData:
    """One indicator's yearly, year-to-date and monthly results for one unit (numbers only)."""
    return _trend_series(url, snapshot(url).generation, period.label, indicator_code, level, code)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def _trend_series(
    url: str, generation: int, period_label: str, indicator_code: str, level: str, code: str | None
) -> trends.SeriesData:
    period = parse_period(period_label)
    first = min(year_span(url)[0], period.year)
    wanted = tuple(trends.periods_needed(first, period))
    counts = _unit_counts_for(url, generation, tuple(p.label for p in wanted), level, code)
    year_targets = targets_of(url, tuple(range(first, period.year + 1)))
    return trends.series(
        lambda p: counts[p.label],
        unit_rows(url),
        period,
        ind.get(indicator_code),
        level,
        code,
        lambda p: year_targets[p.year],
        settings().county,
        first,
        lambda y: quotas(url, y),
        snapshot(url).coverage,
    )


def quotas(url: str, year: int) -> pd.DataFrame:
    """The year's task quotas per township (from the summaries)."""
    return _quotas(url, snapshot(url).generation, year)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def _quotas(url: str, generation: int, year: int) -> pd.DataFrame:
    with reading(store(url)) as conn:
        return read.load_quotas(conn, generation, year)


def targets(url: str, year: int) -> pd.DataFrame:
    """The year's target rows completed by the defaults (read live: users edit them; while the
    registry is down, as they stood at the refresh)."""
    return targets_of(url, (year,))[year]


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def targets_of(url: str, years: tuple[int, ...]) -> dict[int, pd.DataFrame]:
    """:func:`targets` for several years, read in one query (a trends page's seven)."""
    registry = _engine_or_none(url)
    rows: dict[int, pd.DataFrame] | None = None
    if registry is not None:
        try:
            with reading(registry) as conn:
                rows = target_queries.load_targets_of(conn, list(years))
        except RegistryError:
            rows = None
    if rows is None:  # only then: parsing the refresh's copy costs ~20 ms a year
        rows = {y: snapshot(url).stored_targets(y) for y in years}
    return {y: tr.with_defaults(rows[y], settings().default_targets)[0] for y in years}


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def person_list(url: str, kind: str, period_label: str, village_ids: tuple[int, ...]) -> pd.DataFrame:
    """Registry rows behind a number (live, unmasked; the caller masks).

    ``kind``: 'births' (births in the period), 'wcba_without_long_acting' (married women 15–49
    at the period's end without a long-acting method), 'wcba_long_acting', 'wcba_all'.
    """
    period = parse_period(period_label)
    long_acting = {"wcba_without_long_acting": False, "wcba_long_acting": True, "wcba_all": None}
    with reading(engine(url)) as conn:
        if kind == "births":
            return records.births_list(conn, period, list(village_ids))
        return records.married_wcba_list(conn, period.end, list(village_ids), long_acting=long_acting[kind])


def quality(url: str, period: Period) -> quality_checks.QualityReport:
    """Findings counted per check, township and village (from the summaries)."""
    return _quality(url, snapshot(url).generation, period.label)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=16)
def _quality(url: str, generation: int, period_label: str) -> quality_checks.QualityReport:
    snap, period = snapshot(url), parse_period(period_label)
    # The period's counts as the page's reports read them (cached): the balance needs them too.
    inputs = _inputs(url, generation, period_label) if snap.covers(period) and snap.generation == generation else None
    return sources.summary_quality(store(url), snap, period, inputs)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def quality_records(url: str, period_label: str, today: date, check: str) -> quality_checks.QualityReport:
    """One check's findings with their records, live on the registry (the villages the
    summaries place findings in, not the whole registry, where the check allows it)."""
    found = quality(url, parse_period(period_label)).findings
    in_check = found[found["check"] == check]
    villages = tuple(sorted(int(v) for v in in_check["village_id"].dropna().unique()))
    unplaced = bool(in_check["village_id"].isna().any())
    return sources.quality_report(
        engine(url), parse_period(period_label), today, check=check, villages=(villages, unplaced)
    )


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def persons(url: str, ids: tuple[int, ...]) -> pd.DataFrame:
    """Identity of the given persons (unmasked; the caller masks)."""
    with reading(engine(url)) as conn:
        return records.persons_by_id(conn, list(ids))


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def reward_problems(url: str, period_label: str) -> pd.DataFrame:
    """Reward payments due in the period not paid in full on time (unmasked; the caller masks)."""
    with reading(engine(url)) as conn:
        return records.reward_problems(conn, parse_period(period_label))


@st.cache_resource(show_spinner=False)
def boundaries(url: str) -> Boundaries:
    """The map's township polygons for this registry's townships."""
    return sources.boundaries(seats(unit_rows(url)))


@st.cache_data(show_spinner=False, max_entries=48)
def svg(spec_json: str) -> str:
    """A Vega-Lite chart (its canonical spec JSON) drawn to SVG once."""
    return vega.to_svg(spec_json)


#: One background worker builds what a page will need next (the meeting's next slide, the next
#: summaries generation) while the current one is on screen; one at a time, so that it never
#: competes with more than one page run for the two cores.
_warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warm")
_warming: dict[tuple[object, ...], Future[None]] = {}
_warming_lock = threading.Lock()


def warm(key: tuple[object, ...], build: Callable[[], object]) -> bool:
    """Run ``build`` in the background once per ``key`` (it fills the caches above; it runs in
    a copy of the caller's context, so its words are in the session's language); True once
    it has finished (a failure counts as finished: the page then builds in the foreground and
    shows the error as usual)."""
    with _warming_lock:
        job = _warming.get(key)
        if job is None:
            if len(_warming) > 64:  # forget finished jobs of earlier generations
                for old in [k for k, f in _warming.items() if f.done()]:
                    del _warming[old]
            run = contextvars.copy_context().run
            job = _warmer.submit(lambda: _quietly(run, build))
            _warming[key] = job
    return job.done()


def _quietly(run: Callable[..., object], build: Callable[[], object]) -> None:
    try:
        run(build)
    except Exception as exc:  # the foreground run meets it again and says it on the page
        log.info("warming failed: %s", " ".join(str(exc).split()))


def clear() -> None:
    """Forget every cached result (tests; after a target edit)."""
    st.cache_data.clear()
