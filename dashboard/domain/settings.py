"""What the county configures once: its names, the default targets, the assessment points and
veto line, the demonstration-site goals (read by ``data_access.config``, passed in here)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.domain.county import County
from dashboard.domain.sites import SiteGoals
from dashboard.domain.targets import Assessment


@dataclass(frozen=True)
class Settings:
    county: County
    default_targets: pd.DataFrame  # county-wide rows (targets.TARGET_COLUMNS)
    assessment: Assessment
    site_goals: SiteGoals
