"""A period's inputs (units, per-village base counts, targets, quotas, settings) and the
indicator report built from them for one level — pure: the app and the CLI load the inputs
(``dashboard.app.sources``) and call :func:`build`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from dashboard.domain import indicators as ind
from dashboard.domain import ranking
from dashboard.domain.coverage import NONE, PARTIAL, Coverage, Covered
from dashboard.domain.periods import Period
from dashboard.domain.settings import Settings


@dataclass(frozen=True)
class Inputs:
    """What the queries return for one period: units, per-village counts, targets."""

    period: Period
    units: pd.DataFrame
    counts: pd.DataFrame  # per village: headline and service base counts
    targets: pd.DataFrame
    default_targets_used: bool
    settings: Settings
    quotas: pd.DataFrame | None = None  # task_quota rows of the period's year
    tables: frozenset[str] = field(default_factory=frozenset)  # the registry's tables (a missing one: no data)
    coverage: Coverage | None = None  # the days the registry's data covers (None: not known)


@dataclass(frozen=True)
class Report:
    """The indicator table of one level for one period."""

    period: Period
    level: str
    rolled: pd.DataFrame  # one row per unit: unit columns + base counts
    result: pd.DataFrame  # long: one row per unit × indicator (indicators.RESULT_COLUMNS)
    default_targets_used: bool
    settings: Settings
    tables: frozenset[str] = field(default_factory=frozenset)
    covered: Covered | None = None  # how much of the period the data covers

    @property
    def projection_factor(self) -> float:
        """The full-year factor the statuses were judged with (covered days, when partial)."""
        return self.covered.projection_factor(self.period) if self.covered else self.period.projection_factor

    @cached_property
    def assessment(self) -> pd.DataFrame:
        """The assessment score per unit (``ranking.assessment``), worked out once per report."""
        return ranking.assessment(self.result, self.settings.assessment)

    @property
    def has_services(self) -> bool:
        """Whether the service counts were loaded (else only the headline indicators are in it)."""
        return "households" in self.rolled.columns

    def only(self, codes: set[str] | frozenset[str]) -> Report:
        """The same report with only the indicators in ``codes``."""
        result = self.result[self.result["indicator"].isin(codes)]
        return Report(
            self.period,
            self.level,
            self.rolled,
            result,
            self.default_targets_used,
            self.settings,
            self.tables,
            self.covered,
        )


def build(inputs: Inputs, level: str, indicators: tuple[ind.Indicator, ...] = ind.CATALOGUE) -> Report:
    """The indicator table for ``level`` from already loaded inputs. A period the data does not
    cover has no values (``no_data``); one it partly covers is projected from its covered days."""
    if "households" not in inputs.counts.columns:  # loaded without service counts
        indicators = tuple(i for i in indicators if i.group == "headline")
    rolled = ind.roll_up(inputs.counts, inputs.units, level, inputs.settings.county)
    rolled = ind.attach_quotas(rolled, inputs.quotas)
    covered = inputs.coverage.of(inputs.period) if inputs.coverage is not None else None
    factors = None
    if covered is not None and covered.kind == PARTIAL:
        factors = np.full(len(rolled), covered.projection_factor(inputs.period))
    result = ind.compute(rolled, inputs.period, inputs.targets, indicators, factors=factors)
    if covered is not None and covered.kind == NONE:
        result = ind.without_values(result)
    return Report(
        inputs.period, level, rolled, result, inputs.default_targets_used, inputs.settings, inputs.tables, covered
    )
