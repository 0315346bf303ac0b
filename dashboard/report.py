"""From a registry and a period to the indicator table: the one call pages and the CLI make.

``load_inputs`` runs the queries (one grouped base-count query per period, the units, the
year's targets); ``build`` is pure and turns those inputs into the indicator frame for a
level. The app caches ``load_inputs`` per (database, period); the CLI calls it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
import sqlalchemy as sa

from dashboard import indicators as ind
from dashboard import targets as target_rules
from dashboard.periods import Period
from data_access import queries
from data_access.db import RegistryError, check_contract, make_engine, one_line

if TYPE_CHECKING:
    from dashboard.quality import QualityReport


@dataclass(frozen=True)
class Inputs:
    """What the queries return for one period: units, per-village counts, targets."""

    period: Period
    units: pd.DataFrame
    counts: pd.DataFrame  # per village: headline and service base counts
    targets: pd.DataFrame
    default_targets_used: bool
    quotas: pd.DataFrame | None = None  # task_quota rows of the period's year
    tables: frozenset[str] = frozenset()  # the registry's tables (a missing service table: no data)


@dataclass(frozen=True)
class Report:
    """The indicator table of one level for one period."""

    period: Period
    level: str
    rolled: pd.DataFrame  # one row per unit: unit columns + base counts
    result: pd.DataFrame  # long: one row per unit × indicator (indicators.RESULT_COLUMNS)
    default_targets_used: bool
    tables: frozenset[str] = frozenset()  # the registry's tables


def open_registry(url: str) -> sa.Engine:
    """An engine for ``url`` whose database carries the contract; RegistryError otherwise."""
    engine = make_engine(url)
    check_contract(engine)
    return engine


def load_inputs(engine: sa.Engine, period: Period, with_services: bool = True) -> Inputs:
    """Run the period's queries: units, base counts per village (and service counts unless
    ``with_services`` is False), the year's targets."""
    try:
        with engine.connect() as conn:
            units = queries.load_units(conn)
            counts = queries.base_counts(conn, period)
            if with_services:
                counts = counts.join(queries.service_counts(conn, period))
            year_targets = queries.load_targets(conn, period.year)
            quotas = queries.load_quotas(conn, period.year)
            tables = frozenset(sa.inspect(conn).get_table_names())
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc
    targets, used_defaults = target_rules.with_defaults(year_targets)
    return Inputs(period, units, counts, targets, used_defaults, quotas, tables)


def build(
    inputs: Inputs, level: str, indicators: tuple[ind.Indicator, ...] = ind.CATALOGUE
) -> Report:
    """The indicator table for ``level`` from already loaded inputs (pure)."""
    if "households" not in inputs.counts.columns:  # loaded without service counts
        indicators = tuple(i for i in indicators if i.group == "headline")
    rolled = ind.attach_quotas(ind.roll_up(inputs.counts, inputs.units, level), inputs.quotas)
    result = ind.compute(rolled, inputs.period, inputs.targets, indicators)
    return Report(inputs.period, level, rolled, result, inputs.default_targets_used, inputs.tables)


def indicator_report(
    engine: sa.Engine, period: Period, level: str, indicators: tuple[ind.Indicator, ...] = ind.CATALOGUE
) -> Report:
    """Query and compute in one go (the CLI's path)."""
    return build(load_inputs(engine, period), level, indicators)


def incomplete_after(period: Period, today: date) -> date | None:
    """The last complete month's end when ``period`` runs past it (counts incomplete), else None."""
    from dashboard.periods import last_complete_month_end

    as_of = last_complete_month_end(today)
    return as_of if period.end > as_of else None


def quality_report(engine: sa.Engine, period: Period, today: date) -> "QualityReport":
    """Every data-quality check: records dated after ``today`` are in the future, villages are
    stale against the last complete month, the population balance is for ``period``."""
    from dashboard import quality
    from dashboard.periods import last_complete_month_end

    try:
        with engine.connect() as conn:
            units = queries.load_units(conn)
            parts = [
                quality.id_findings(queries.persons_for_id_checks(conn)),
                quality.mother_age_findings(queries.mother_ages(conn)),
                quality.dated_findings(queries.dated_records(conn, after=today), "event_future"),
                quality.dated_findings(queries.dated_records(conn, before_birth=True), "event_before_birth"),
                quality.missing_field_findings(queries.births_missing_fields(conn)),
                quality.stale_findings(queries.last_change(conn), last_complete_month_end(today)),
                quality.balance_findings(queries.base_counts(conn, period), queries.moves(conn, period)),
            ]
    except sa.exc.SQLAlchemyError as exc:
        raise RegistryError("err_query", reason=one_line(exc)) from exc
    findings = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) \
        else pd.DataFrame(columns=quality.FINDING_COLUMNS)
    return quality.summarise(findings, units)
