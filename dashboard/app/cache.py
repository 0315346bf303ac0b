"""Cached access to the registry for the app: one engine per database, one query set per
period, one report per (database, period, level).

Only query results and language-free reports are cached (per database URL and period label,
with a TTL so that registry changes show up); words are added per run by the views.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
import streamlit as st

from dashboard.app import sources
from dashboard.domain import quality as quality_checks
from dashboard.domain import report as reports
from dashboard.domain import targets as tr
from dashboard.domain.periods import Period, parse_period
from dashboard.domain.settings import Settings
from dashboard.views.map import Boundaries, seats
from data_access import demo
from data_access.db import DEFAULT_DEMO_PATH, normalise_url, reading
from data_access.queries import counts, records, units
from data_access.queries import targets as target_queries

CACHE_TTL_SECONDS = 600


def ensure_demo_database(url: str) -> None:
    """Build the demo registry the first time the app runs on its default SQLite file."""
    if normalise_url(url) != f"sqlite:///{DEFAULT_DEMO_PATH}" or DEFAULT_DEMO_PATH.exists():
        return
    tmp = DEFAULT_DEMO_PATH.with_name(f".{DEFAULT_DEMO_PATH.name}.building")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.unlink(missing_ok=True)
    today = date.today()
    defaults = settings().default_targets
    rows = [r for y in range(2019, today.year + 1) for r in tr.seed_rows(defaults, y)]
    engine = sa.create_engine(f"sqlite:///{tmp}")
    try:
        demo.build_demo(engine, scale=1.0, today=today, target_rows=rows)
    finally:
        engine.dispose()
    tmp.replace(DEFAULT_DEMO_PATH)


@st.cache_resource(show_spinner=False)
def settings() -> Settings:
    return sources.settings()


@st.cache_resource(show_spinner=False)
def engine(url: str) -> sa.Engine:
    """A validated engine for ``url`` (RegistryError is raised, not cached)."""
    return sources.open_registry(url)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=128)
def inputs(url: str, period_label: str, with_services: bool = True) -> reports.Inputs:
    """Units, per-village base counts (and service counts) and targets for one period."""
    return sources.load_inputs(engine(url), parse_period(period_label), with_services)


def report(url: str, period: Period, level: str, with_services: bool = True) -> reports.Report:
    """The indicator report for a level (built from the cached inputs, cached itself);
    ``with_services=False`` skips the service counts (headline indicators only)."""
    return _report(url, period.label, level, with_services)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)
def _report(url: str, period_label: str, level: str, with_services: bool = True) -> reports.Report:
    return reports.build(inputs(url, period_label, with_services), level)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def unit_rows(url: str) -> pd.DataFrame:
    """Villages with their townships (names, codes, coordinates)."""
    with reading(engine(url)) as conn:
        return units.load_units(conn)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def year_span(url: str) -> tuple[int, int] | None:
    """First and last year with births (None for an empty registry)."""
    with reading(engine(url)) as conn:
        return units.year_span(conn)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def intervals(url: str, starts: tuple[date, ...], parts: tuple[str, ...]) -> pd.DataFrame:
    """Base counts per village for consecutive periods [starts[k−1], starts[k]) (one pass)."""
    with reading(engine(url)) as conn:
        return counts.interval_counts(conn, list(starts), parts)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def targets(url: str, year: int) -> pd.DataFrame:
    """The year's target rows completed by the defaults."""
    with reading(engine(url)) as conn:
        return tr.with_defaults(target_queries.load_targets(conn, year), settings().default_targets)[0]


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def person_list(url: str, kind: str, period_label: str, village_ids: tuple[int, ...]) -> pd.DataFrame:
    """Registry rows behind a number (unmasked; the caller masks).

    ``kind``: 'births' (births in the period), 'wcba_without_long_acting' (married women 15–49
    at the period's end without a long-acting method), 'wcba_long_acting', 'wcba_all'.
    """
    period = parse_period(period_label)
    long_acting = {"wcba_without_long_acting": False, "wcba_long_acting": True, "wcba_all": None}
    with reading(engine(url)) as conn:
        if kind == "births":
            return records.births_list(conn, period, list(village_ids))
        return records.married_wcba_list(conn, period.end, list(village_ids), long_acting=long_acting[kind])


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=16)
def quality(url: str, period_label: str, today: date) -> quality_checks.QualityReport:
    """Every data-quality check for the period (the slowest read: it scans every person)."""
    return sources.quality_report(engine(url), parse_period(period_label), today)


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


def clear() -> None:
    """Forget every cached query result (tests; a 'refresh data' button)."""
    st.cache_data.clear()
