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
from scipy import special  # (not scipy.stats: see intervals)

from dashboard.domain.indicators import Indicator

Z95 = float(special.ndtri(0.975))
Z998 = float(special.ndtri(0.999))


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


#: Hard bounds of the y axis per unit: a proportion cannot leave 0–100 %; a sex ratio of a
#: handful of births can be anything, but beyond 0–300 it says nothing a leader can use.
HARD_BOUNDS: dict[str, tuple[float, float]] = {"percent": (0.0, 100.0), "ratio": (0.0, 300.0)}


def y_range(
    indicator: Indicator,
    values: np.ndarray,
    sizes: np.ndarray,
    curve: pd.DataFrame,
    target: tuple[float, float],
) -> tuple[float, float]:
    """A y range a reader can use: the middle 80 % of the points (all of them when there are
    few, e.g. 13 townships), the target (both ends of a band) and the 99.8 % limits at the
    median size, padded by 8 % and kept inside :data:`HARD_BOUNDS`. Points outside it are
    drawn at its edge and marked.
    """
    v = np.asarray(values, dtype="float64")
    n = np.asarray(sizes, dtype="float64")
    ok = np.isfinite(v) & (n > 0)
    v, n = v[ok], n[ok]
    low, high = float(min(target)), float(max(target))
    if v.size:
        q_lo, q_hi = np.quantile(v, [0.1, 0.9]) if v.size > 20 else (v.min(), v.max())
        low, high = min(low, float(q_lo)), max(high, float(q_hi))
        median = float(np.median(n))
        at = curve.iloc[int(np.argmin(np.abs(curve["n"].to_numpy() - median)))]
        for column in ("lo998", "hi998"):
            if np.isfinite(at[column]):
                low, high = min(low, float(at[column])), max(high, float(at[column]))
    pad = (high - low) * 0.08 or max(abs(high) * 0.05, 1.0)
    low, high = low - pad, high + pad
    bounds = HARD_BOUNDS.get(indicator.unit)
    if bounds:
        low, high = max(low, bounds[0]), min(high, bounds[1])
    return low, high


def outside(
    indicator: Indicator,
    target_value: float,
    values: np.ndarray,
    sizes: np.ndarray,
    *,
    period_share: float = 1.0,
    events_per_person: float = 0.0,
) -> np.ndarray:
    """True where a point lies outside the 95 % limits for its own size (worth a label)."""
    v = np.asarray(values, dtype="float64")
    lim = limits(
        indicator,
        target_value,
        np.asarray(sizes, dtype="float64"),
        period_share=period_share,
        events_per_person=events_per_person,
    )
    with np.errstate(invalid="ignore"):
        return np.isfinite(v) & ((v < lim["lo95"].to_numpy()) | (v > lim["hi95"].to_numpy()))
