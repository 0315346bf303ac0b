"""Cached access to the registry for the app: one engine per database, one query set per period.

Only language-independent query results are cached (per database URL and period label, with
a TTL so that registry changes show up); everything derived from them is recomputed per run,
which takes milliseconds.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa
import streamlit as st

from dashboard import report
from dashboard.periods import Period, parse_period
from data_access import queries
from data_access.db import DEFAULT_DEMO_PATH, RegistryError, normalise_url, one_line

CACHE_TTL_SECONDS = 600


def ensure_demo_database(url: str) -> None:
    """Build the demo registry the first time the app runs on its default SQLite file."""
    if normalise_url(url) != f"sqlite:///{DEFAULT_DEMO_PATH}" or DEFAULT_DEMO_PATH.exists():
        return

    from dashboard.targets import default_target_rows
    from data_access import demo
    from data_access.db import make_engine

    tmp = DEFAULT_DEMO_PATH.with_name(f".{DEFAULT_DEMO_PATH.name}.building")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.unlink(missing_ok=True)
    today = date.today()
    rows = [r for y in range(2019, today.year + 1) for r in default_target_rows(y)]
    engine = make_engine(f"sqlite:///{tmp}")
    try:
        demo.build_demo(engine, scale=1.0, today=today, target_rows=rows)
    finally:
        engine.dispose()
    Path(tmp).replace(DEFAULT_DEMO_PATH)


@st.cache_resource(show_spinner=False)
def engine(url: str) -> sa.Engine:
    """A validated engine for ``url`` (RegistryError is raised, not cached)."""
    return report.open_registry(url)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=128)
def inputs(url: str, period_label: str, with_services: bool = True) -> report.Inputs:
    """Units, per-village base counts (and service counts) and targets for one period."""
    return report.load_inputs(engine(url), parse_period(period_label), with_services)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def units(url: str):  # type: ignore[no-untyped-def]
    """Villages with their townships (names, codes, coordinates)."""
    try:
        with engine(url).connect() as conn:
            return queries.load_units(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def year_span(url: str) -> tuple[int, int] | None:
    """First and last year with births or registrations (None for an empty registry)."""
    try:
        with engine(url).connect() as conn:
            return queries.year_span(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc


def report_for(url: str, period: Period, level: str, with_services: bool = True) -> report.Report:
    """The indicator report for a level (built from the cached inputs, cached itself);
    ``with_services=False`` skips the service counts (headline indicators only)."""
    from dashboard import labels

    return _report(url, period.label, level, labels.language(), with_services)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=256)
def _report(url: str, period_label: str, level: str, language: str, with_services: bool = True) -> report.Report:
    # The language is part of the key: names and target texts in a report are in it.
    return report.build(inputs(url, period_label, with_services), level)


def clear() -> None:
    """Forget every cached query result (tests; a 'refresh data' button)."""
    st.cache_data.clear()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def intervals(url: str, starts: tuple[date, ...], parts: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """Base counts per village for consecutive periods [starts[k−1], starts[k]) (one pass)."""
    try:
        with engine(url).connect() as conn:
            return queries.interval_counts(conn, list(starts), parts)
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=128)
def trend_series(  # type: ignore[no-untyped-def]
    url: str, period_label: str, indicator: str, level: str, code: str | None, scope: str, language: str
):
    """The trends page's series for one indicator and unit (the language is part of the key)."""
    from dashboard import trends

    return trends.series_data(url, parse_period(period_label), indicator, level, code, scope)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def targets(url: str, year: int):  # type: ignore[no-untyped-def]
    """The year's target rows completed by the defaults."""
    from dashboard.targets import with_defaults

    try:
        with engine(url).connect() as conn:
            return with_defaults(queries.load_targets(conn, year))[0]
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def records(url: str, kind: str, period_label: str, village_ids: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """Registry rows behind a number (unmasked; the caller masks).

    ``kind``: 'births' (births in the period), 'wcba' or 'wcba_without_long_acting' (married
    women 15–49 at the period's end without a long-acting method), 'wcba_long_acting',
    'wcba_all'.
    """
    period = parse_period(period_label)
    long_acting = {"wcba": False, "wcba_without_long_acting": False, "wcba_long_acting": True, "wcba_all": None}
    try:
        with engine(url).connect() as conn:
            if kind == "births":
                return queries.births_list(conn, period, list(village_ids))
            return queries.married_wcba_list(conn, period.end, list(village_ids), long_acting=long_acting[kind])
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=16)
def quality(url: str, period_label: str, today: date):  # type: ignore[no-untyped-def]
    """Every data-quality check for the period (the slowest read: it scans every person)."""
    return report.quality_report(engine(url), parse_period(period_label), today)


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=64)
def persons(url: str, ids: tuple[int, ...]):  # type: ignore[no-untyped-def]
    """Identity of the given persons (unmasked; the caller masks)."""
    try:
        with engine(url).connect() as conn:
            return queries.persons_by_id(conn, list(ids))
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False, max_entries=32)
def reward_problems(url: str, period_label: str):  # type: ignore[no-untyped-def]
    """Reward payments due in the period not paid in full on time (unmasked; the caller masks)."""
    try:
        with engine(url).connect() as conn:
            return queries.reward_problems(conn, parse_period(period_label))
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc
