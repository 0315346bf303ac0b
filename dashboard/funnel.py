"""Funnel-plot control limits: where a unit's value may fall by chance if it were on target.

For a unit with denominator n, the limits are the target value ± z × the standard error a
unit of that size would have if its true value were exactly the target (z = 1.96 for 95 %,
3.09 for 99.8 %), in the same (projected) units the status judges:

- proportions: binomial, SE = √(p₀(1−p₀)/n);
- sex ratio: binomial on the male share p₀ = t/(100+t) with n = all births, mapped back by
  100·p/(1−p);
- per-mille rates: Poisson, expected events λ = r₀·n·(days/days in year), SE of the rate
  = √λ ÷ (n·days/days in year);
- natural growth (births − deaths): variance of the two Poisson counts at the county's
  observed events per person (births + deaths ÷ population).

A point outside the 99.8 % funnel differs from the target by more than chance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.indicators import Indicator

Z95 = float(stats.norm.ppf(0.975))
Z998 = float(stats.norm.ppf(0.999))


def funnel_x(indicator: Indicator, rolled: pd.DataFrame) -> pd.Series:
    """The size that governs a unit's noise: the denominator, or all births for the sex ratio."""
    if indicator.interval == "sex_ratio":
        return (rolled["births_male"] + rolled["births_female"]).astype("float64")
    total = pd.Series(0.0, index=rolled.index)
    for column, weight in indicator.denominator:
        total += rolled[column].astype("float64") * weight
    return total


def limits(
    indicator: Indicator,
    target_value: float,
    n: np.ndarray,
    *,
    period_share: float = 1.0,
    events_per_person: float = 0.0,
) -> pd.DataFrame:
    """Control limits for sizes ``n`` around ``target_value``.

    ``period_share`` is days in period ÷ days in year (per-mille rates are judged on their
    full-year projection). ``events_per_person`` (births + deaths per person over the period)
    sets the natural-growth variance. Returns n, lo95, hi95, lo998, hi998.
    """
    n = np.asarray(n, dtype="float64")
    out = pd.DataFrame({"n": n})
    with np.errstate(divide="ignore", invalid="ignore"):
        if indicator.interval == "wilson":
            p0 = np.clip(target_value / indicator.scale, 0, 1)
            se = np.sqrt(p0 * (1 - p0) / n)
            for name, z in (("95", Z95), ("998", Z998)):
                out[f"lo{name}"] = np.clip(p0 - z * se, 0, 1) * indicator.scale
                out[f"hi{name}"] = np.clip(p0 + z * se, 0, 1) * indicator.scale
        elif indicator.interval == "sex_ratio":
            p0 = target_value / (100 + target_value)
            se = np.sqrt(p0 * (1 - p0) / n)
            for name, z in (("95", Z95), ("998", Z998)):
                lo = np.clip(p0 - z * se, 1e-9, 1 - 1e-9)
                hi = np.clip(p0 + z * se, 1e-9, 1 - 1e-9)
                out[f"lo{name}"] = 100 * lo / (1 - lo)
                out[f"hi{name}"] = 100 * hi / (1 - hi)
        else:
            exposure = n * period_share
            if indicator.interval == "poisson":
                expected_events = target_value / indicator.scale * exposure
            else:
                expected_events = events_per_person * n
            se = np.sqrt(np.maximum(expected_events, 0)) / exposure * indicator.scale
            for name, z in (("95", Z95), ("998", Z998)):
                out[f"lo{name}"] = target_value - z * se
                out[f"hi{name}"] = target_value + z * se
    return out


def curve_sizes(n_values: pd.Series, points: int = 80) -> np.ndarray:
    """Sizes spanning the observed denominators, log-spaced, for drawing smooth funnels."""
    positive = n_values[n_values > 0]
    if positive.empty:
        return np.array([1.0, 10.0])
    lo = max(float(positive.min()) * 0.8, 1.0)
    hi = float(positive.max()) * 1.15
    return np.geomspace(lo, hi, points)
