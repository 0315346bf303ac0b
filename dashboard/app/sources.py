"""Where the numbers come from: open the registry, load a period's inputs, build reports, run
the data-quality checks, read the configuration and the map's boundaries. No Streamlit: the
app caches these (``dashboard.app.cache``), the CLI calls them directly."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import quality
from dashboard.domain import report as reports
from dashboard.domain import targets as tr
from dashboard.domain.coverage import Coverage
from dashboard.domain.periods import Period, PeriodError, last_complete_month_end
from dashboard.domain.settings import Settings
from dashboard.render import formats
from dashboard.render.maps import geometry
from dashboard.views import meeting
from dashboard.views import targets as target_views
from dashboard.views.map import Boundaries, seats
from data_access import config, demo
from data_access.db import (
    LONG_STATEMENT_TIMEOUT_S,
    STATEMENT_TIMEOUT_S,
    RegistryError,
    check_contract,
    make_engine,
    reading,
    relations,
    writing,
)
from data_access.queries import counts, services, targets, units
from data_access.queries import quality as quality_queries
from data_access.summaries import read, store
from data_access.summaries import refresh as summary_refresh


def settings() -> Settings:
    return config.settings()


def open_registry(url: str, statement_timeout_s: float = STATEMENT_TIMEOUT_S) -> sa.Engine:
    """An engine for ``url`` whose database carries the contract; RegistryError otherwise."""
    engine = make_engine(url, statement_timeout_s)
    check_contract(engine)
    return engine


def load_inputs(
    engine: sa.Engine, period: Period, with_services: bool = True, today: date | None = None
) -> reports.Inputs:
    """Run the period's live queries on the registry: units, base counts per village (and
    service counts unless ``with_services`` is False), the year's targets and quotas. The CLI's
    path, and the reference the summaries are tested against."""
    conf = settings()
    with reading(engine) as conn:
        unit_rows = units.load_units(conn)
        frame = counts.base_counts(conn, period)
        if with_services:
            frame = frame.join(services.service_counts(conn, period))
        year_targets = targets.load_targets(conn, period.year)
        quotas = services.load_quotas(conn, period.year)
        tables = frozenset(relations(conn))
        first, last = units.coverage(conn, today or date.today())
    rules, used_defaults = tr.with_defaults(year_targets, conf.default_targets)
    return reports.Inputs(period, unit_rows, frame, rules, used_defaults, conf, quotas, tables, Coverage(first, last))


# --------------------------------------------------------------------------- the summaries


def open_store(registry_url: str) -> sa.Engine:
    """The summary store of a registry (created empty when missing)."""
    return open_store_url(config.summary_url(registry_url))


def open_store_url(summary_url: str) -> sa.Engine:
    return store.make_store(summary_url)


def refresh_summary(
    registry: sa.Engine,
    store_engine: sa.Engine,
    *,
    full: bool = False,
    today: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> summary_refresh.Refreshed:
    return summary_refresh.refresh(registry, store_engine, today=today, full=full, progress=progress)


def current_snapshot(store_engine: sa.Engine) -> read.Snapshot | None:
    with reading(store_engine) as conn:
        return read.snapshot(conn)


def ensure_summary(registry: Callable[[], sa.Engine], store_engine: sa.Engine, wait_s: float = 900) -> read.Snapshot:
    """The store's current snapshot, built first (a full refresh) when there is none yet —
    only then is the registry opened (``registry()``): pages keep showing the last summaries
    while the registry is down. While another process builds them, wait (at most ``wait_s``)."""
    deadline = time.monotonic() + wait_s
    while (snap := current_snapshot(store_engine)) is None:
        try:
            refresh_summary(registry(), store_engine, full=True)
        except store.RefreshBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)
    return snap


def build_demo_file(path: Path, today: date, scale: float = 1.0) -> None:
    """Build the demo registry at ``path`` (beside, then renamed) and its summaries."""
    tmp = path.with_name(f".{path.name}.building")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    tmp.unlink(missing_ok=True)
    defaults = settings().default_targets
    rows = [r for y in range(2019, today.year + 1) for r in tr.seed_rows(defaults, y)]
    engine = sa.create_engine(f"sqlite:///{tmp}")
    try:
        demo.build_demo(engine, scale=scale, today=today, target_rows=rows)
    finally:
        engine.dispose()
    tmp.replace(path)
    url = f"sqlite:///{path}"
    summaries = open_store(url)
    try:
        refresh_summary(open_registry(url, LONG_STATEMENT_TIMEOUT_S), summaries, full=True, today=today)
    finally:
        summaries.dispose()


def summary_inputs(
    registry: sa.Engine | None,
    store_engine: sa.Engine,
    snap: read.Snapshot,
    period: Period,
    generation: int | None = None,
) -> reports.Inputs:
    """A period's inputs from the summaries (units, counts, quotas; of ``generation``, by
    default the snapshot's) and the registry's target table (the one table users edit, read
    live; while the registry — ``None`` — is down, the targets kept at the refresh)."""
    conf = settings()
    gen = snap.generation if generation is None else generation
    with reading(store_engine) as sconn:
        unit_rows = read.load_units(sconn, gen)
        frame = read.period_counts(sconn, gen, period, unit_rows.index)
        quotas = read.load_quotas(sconn, gen, period.year)
    year_targets = snap.stored_targets(period.year)  # as they stood at the refresh …
    if registry is not None:
        try:  # … unless the registry answers (an edit since the refresh counts at once)
            with reading(registry) as conn:
                year_targets = targets.load_targets(conn, period.year)
        except RegistryError:
            pass
    rules, used_defaults = tr.with_defaults(year_targets, conf.default_targets)
    return reports.Inputs(period, unit_rows, frame, rules, used_defaults, conf, quotas, snap.tables, snap.coverage)


def indicator_report(
    engine: sa.Engine, period: Period, level: str, indicators: tuple[ind.Indicator, ...] = ind.CATALOGUE
) -> reports.Report:
    """Query and compute in one go (the CLI's path)."""
    return reports.build(load_inputs(engine, period), level, indicators)


def indicator_reports(
    engine: sa.Engine, period: Period, levels: tuple[str, ...], indicators: tuple[ind.Indicator, ...] = ind.CATALOGUE
) -> dict[str, reports.Report]:
    """Several levels' reports from one read of the registry (the CLI's matrix needs the
    county's row beside the townships')."""
    inputs = load_inputs(engine, period)
    return {level: reports.build(inputs, level, indicators) for level in levels}


def incomplete_after(period: Period, today: date) -> date | None:
    """The last complete month's end when ``period`` runs past it (counts incomplete), else None."""
    as_of = last_complete_month_end(today)
    return as_of if period.end > as_of else None


def quality_report(
    engine: sa.Engine,
    period: Period,
    today: date,
    check: str | None = None,
    villages: tuple[tuple[int, ...], bool] | None = None,
) -> quality.QualityReport:
    """The data-quality checks, live on the registry (``check``: that one alone — the records
    behind a count): records dated after ``today`` are in the future, villages are stale
    against the last complete month, the population balance is for ``period``."""
    with reading(engine) as conn:
        unit_rows = units.load_units(conn)
        parts = [quality_queries.findings(conn, today, check, villages)]
        if check in (None, "population_balance"):
            parts.append(
                quality.balance_findings(counts.base_counts(conn, period), quality_queries.moves(conn, period))
            )
    found = [p for p in parts if not p.empty]
    findings = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=quality.FINDING_COLUMNS)
    return quality.summarise(findings, unit_rows)


def summary_quality(
    store_engine: sa.Engine, snap: read.Snapshot, period: Period, inputs: reports.Inputs | None = None
) -> quality.QualityReport:
    """Findings counted per check, township and village from the summaries (the period's
    population balance worked out from them, or from the period's ``inputs`` when already
    read); the findings carry no records."""
    with reading(store_engine) as conn:
        unit_rows = read.load_units(conn, snap.generation) if inputs is None else inputs.units
        counts = None if inputs is None else inputs.counts
        findings = read.quality_findings(conn, snap.generation, period, unit_rows.index, counts)
    return read.quality_report(findings, unit_rows)


@dataclass(frozen=True)
class PeriodReports:
    """What the 通报 of a period reads, as the pages read it: the county, township and village
    reports, the townships a year earlier (None: no such period), the quality counts, and when
    the summaries were refreshed (ISO time)."""

    county: reports.Report
    townships: reports.Report
    townships_last: reports.Report | None
    county_last: reports.Report | None  # the cards' change against the same months last year
    villages: reports.Report
    checks: quality.QualityReport  # the data-quality findings, counted
    refreshed_at: str


def period_reports(registry: sa.Engine, store_engine: sa.Engine, period: Period) -> PeriodReports:
    """A period's reports from the summaries, as the app reads them (built first, as the app
    does on its first run, when there are none; a period outside their years read live)."""
    snap = ensure_summary(lambda: registry, store_engine)

    def inputs(p: Period) -> reports.Inputs:
        return summary_inputs(registry, store_engine, snap, p) if snap.covers(p) else load_inputs(registry, p)

    now = inputs(period)
    try:
        before: reports.Inputs | None = inputs(period.same_period_last_year())
    except PeriodError:
        before = None
    return PeriodReports(
        county=reports.build(now, "county"),
        townships=reports.build(now, "township"),
        townships_last=reports.build(before, "township") if before is not None else None,
        county_last=reports.build(before, "county") if before is not None else None,
        villages=reports.build(now, "village"),
        checks=summary_quality(store_engine, snap, period),
        refreshed_at=snap.refreshed_at,
    )


def boundaries(seats: pd.DataFrame) -> Boundaries:
    """The township polygons to draw: a configured boundary file's, else the schematic cells;
    a file that cannot be used falls back to the schematic cells with a one-line warning."""
    outline = config.outline_geojson()
    path = config.boundaries_path()
    try:
        data = config.read_geojson(path) if path else None
        geojson, schematic = geometry.load_boundaries(seats, data, path or "", outline)
        return Boundaries(geojson, schematic)
    except (config.ConfigError, geometry.BoundaryError) as exc:
        warning = labels.t("map_boundary_fallback", reason=formats.message(exc))
        return Boundaries(geometry.schematic_boundaries(seats, outline), True, warning)


# --------------------------------------------------------------------------- target edits


def target_editor(engine: sa.Engine, year: int) -> tuple[pd.DataFrame, bool, list[str]]:
    """The year's rows for the editor, whether they are the defaults, and the township names."""
    with reading(engine) as conn:
        rows = targets.load_targets(conn, year)
        unit_rows = units.load_units(conn)
    frame, defaults = target_views.editor_frame(rows, unit_rows, settings().default_targets)
    return frame, defaults, list(target_views.township_ids(unit_rows))


def target_version(engine: sa.Engine, year: int) -> str:
    """The fingerprint of the year's rows now (see ``views.targets.version``)."""
    with reading(engine) as conn:
        return target_views.version(targets.load_targets(conn, year))


def save_targets(
    engine: sa.Engine, year: int, frame: pd.DataFrame, *, allowed: bool, version: str | None = None
) -> int:
    """Validate and write a year's rows in one transaction; returns the number of rows saved.
    An invalid row, a role that may not edit, or — with ``version`` — rows someone else saved
    since the editor loaded them refuse the save and write nothing."""
    if not allowed:
        raise target_views.TargetEditError(target_views.role_refusal())
    with reading(engine) as conn:
        unit_rows = units.load_units(conn)
    rows = target_views.validate(frame, target_views.township_ids(unit_rows))
    with writing(engine) as conn:
        current = targets.load_targets(conn, year)
        if version is not None and target_views.version(current) != version:
            raise target_views.TargetEditError(
                labels.t("target_err_stale", year=year, what=target_views.changes(pd.DataFrame(rows), current))
            )
        targets.replace_targets(conn, year, rows)
    return len(rows)


def copy_targets(engine: sa.Engine, from_year: int, to_year: int, *, allowed: bool, overwrite: bool = False) -> int:
    """Copy ``from_year``'s rows (or the defaults) to ``to_year``; a year that has rows of its
    own is replaced only with ``overwrite`` (the page asks first)."""
    with reading(engine) as conn:
        existing = len(targets.load_targets(conn, to_year))
    if existing and not overwrite:
        raise target_views.TargetEditError(labels.t("target_err_copy_exists", year=to_year, n=existing))
    frame, _, _ = target_editor(engine, from_year)
    return save_targets(engine, to_year, frame, allowed=allowed)


# --------------------------------------------------------------------------- meeting pack


def meeting_deck(registry: sa.Engine, store_engine: sa.Engine, period: Period) -> meeting.MeetingDeck:
    """Every slide of the meeting deck from the summaries, as the meeting page reads them (the
    CLI's path; built first when there are none)."""
    data = period_reports(registry, store_engine, period)
    with reading(registry) as conn:
        unit_rows = units.load_units(conn)
    return meeting.build(
        data.county, data.county_last, data.townships, data.villages, None, boundaries(seats(unit_rows))
    )
