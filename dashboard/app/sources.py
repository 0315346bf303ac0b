"""Where the numbers come from: open the registry, load a period's inputs, build reports, run
the data-quality checks, read the configuration and the map's boundaries. No Streamlit: the
app caches these (``dashboard.app.cache``), the CLI calls them directly."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from dashboard import labels
from dashboard.domain import indicators as ind
from dashboard.domain import quality
from dashboard.domain import report as reports
from dashboard.domain import targets as tr
from dashboard.domain.periods import Period, last_complete_month_end
from dashboard.domain.settings import Settings
from dashboard.render import formats
from dashboard.render.maps import geometry
from dashboard.views import targets as target_views
from dashboard.views.map import Boundaries
from data_access import config
from data_access.db import check_contract, make_engine, reading, writing
from data_access.queries import counts, services, targets, units
from data_access.queries import quality as quality_queries


def settings() -> Settings:
    return config.settings()


def open_registry(url: str) -> sa.Engine:
    """An engine for ``url`` whose database carries the contract; RegistryError otherwise."""
    engine = make_engine(url)
    check_contract(engine)
    return engine


def load_inputs(engine: sa.Engine, period: Period, with_services: bool = True) -> reports.Inputs:
    """Run the period's queries: units, base counts per village (and service counts unless
    ``with_services`` is False), the year's targets and quotas."""
    conf = settings()
    with reading(engine) as conn:
        unit_rows = units.load_units(conn)
        frame = counts.base_counts(conn, period)
        if with_services:
            frame = frame.join(services.service_counts(conn, period))
        year_targets = targets.load_targets(conn, period.year)
        quotas = services.load_quotas(conn, period.year)
        tables = frozenset(sa.inspect(conn).get_table_names())
    rules, used_defaults = tr.with_defaults(year_targets, conf.default_targets)
    return reports.Inputs(period, unit_rows, frame, rules, used_defaults, conf, quotas, tables)


def indicator_report(
    engine: sa.Engine, period: Period, level: str, indicators: tuple[ind.Indicator, ...] = ind.CATALOGUE
) -> reports.Report:
    """Query and compute in one go (the CLI's path)."""
    return reports.build(load_inputs(engine, period), level, indicators)


def incomplete_after(period: Period, today: date) -> date | None:
    """The last complete month's end when ``period`` runs past it (counts incomplete), else None."""
    as_of = last_complete_month_end(today)
    return as_of if period.end > as_of else None


def quality_report(engine: sa.Engine, period: Period, today: date) -> quality.QualityReport:
    """Every data-quality check: records dated after ``today`` are in the future, villages are
    stale against the last complete month, the population balance is for ``period``."""
    q = quality_queries
    with reading(engine) as conn:
        unit_rows = units.load_units(conn)
        parts = [
            quality.id_findings(q.persons_for_id_checks(conn)),
            quality.mother_age_findings(q.mother_ages(conn)),
            quality.dated_findings(q.dated_records(conn, after=today), "event_future"),
            quality.dated_findings(q.dated_records(conn, before_birth=True), "event_before_birth"),
            quality.missing_field_findings(q.births_missing_fields(conn)),
            quality.stale_findings(q.last_change(conn), last_complete_month_end(today)),
            quality.balance_findings(counts.base_counts(conn, period), q.moves(conn, period)),
        ]
    found = [p for p in parts if not p.empty]
    findings = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=quality.FINDING_COLUMNS)
    return quality.summarise(findings, unit_rows)


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


def save_targets(engine: sa.Engine, year: int, frame: pd.DataFrame, *, allowed: bool) -> int:
    """Validate and write a year's rows in one transaction; returns the number of rows saved.
    An invalid row, or a role that may not edit, refuses the save and writes nothing."""
    if not allowed:
        raise target_views.TargetEditError(target_views.role_refusal())
    with reading(engine) as conn:
        unit_rows = units.load_units(conn)
    rows = target_views.validate(frame, target_views.township_ids(unit_rows))
    with writing(engine) as conn:
        targets.replace_targets(conn, year, rows)
    return len(rows)


def copy_targets(engine: sa.Engine, from_year: int, to_year: int, *, allowed: bool) -> int:
    """Copy ``from_year``'s rows (or the defaults) to ``to_year``, replacing what it had."""
    frame, _, _ = target_editor(engine, from_year)
    return save_targets(engine, to_year, frame, allowed=allowed)
