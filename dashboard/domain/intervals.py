"""95 % confidence intervals for the indicator kinds (DESIGN.md §2, "Small numbers").

All functions are vectorised over numpy arrays and return ``(low, high)`` arrays; an empty
denominator gives NaN, never an exception.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

# scipy.special, not scipy.stats: the same quantile functions (stats' chi2.ppf is
# 2·gammaincinv(df/2, q), norm.ppf is ndtri) without the second scipy.stats takes to import,
# which a server's first page paid.

Z95 = float(special.ndtri(0.975))

FloatArray = NDArray[np.float64]


def _arrays(*values: ArrayLike) -> list[FloatArray]:
    return [np.asarray(v, dtype="float64") for v in values]


def wilson(k: ArrayLike, n: ArrayLike, z: float = Z95) -> tuple[FloatArray, FloatArray]:
    """Wilson score interval for a proportion k/n, as fractions in [0, 1]; NaN where n = 0."""
    k_, n_ = _arrays(k, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k_ / n_
        denom = 1 + z * z / n_
        centre = (p + z * z / (2 * n_)) / denom
        half = z * np.sqrt(p * (1 - p) / n_ + z * z / (4 * n_ * n_)) / denom
        low = np.where(n_ > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(n_ > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    # Exact ends: no rounding noise at k = 0 or k = n.
    low = np.where((n_ > 0) & (k_ <= 0), 0.0, low)
    high = np.where((n_ > 0) & (k_ >= n_), 1.0, high)
    return low, high


def _chi2_ppf(q: float, df: FloatArray) -> FloatArray:
    """The χ² quantile ``q`` (0 < q < 1) for ``df`` degrees of freedom."""
    return np.asarray(2 * special.gammaincinv(df / 2, q), dtype="float64")


def poisson_exact(k: ArrayLike, alpha: float = 0.05) -> tuple[FloatArray, FloatArray]:
    """Exact (Garwood) interval for a Poisson count k: χ² quantiles; the lower end is 0 at k = 0."""
    (k_,) = _arrays(k)
    low = np.where(k_ > 0, _chi2_ppf(alpha / 2, 2 * np.maximum(k_, 1.0)) / 2, 0.0)
    high = _chi2_ppf(1 - alpha / 2, 2 * k_ + 2) / 2
    return low, high


def poisson_rate(k: ArrayLike, exposure: ArrayLike, scale: float) -> tuple[FloatArray, FloatArray]:
    """Exact Poisson interval of the rate k ÷ exposure × scale; NaN where exposure = 0."""
    k_, e_ = _arrays(k, exposure)
    low, high = poisson_exact(k_)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (
            np.where(e_ > 0, low / e_ * scale, np.nan),
            np.where(e_ > 0, high / e_ * scale, np.nan),
        )


def poisson_difference_rate(
    k_plus: ArrayLike, k_minus: ArrayLike, exposure: ArrayLike, scale: float, z: float = Z95
) -> tuple[FloatArray, FloatArray]:
    """Interval of (k₊ − k₋) ÷ exposure × scale for two independent Poisson counts.

    Normal approximation with variance k₊ + k₋ (natural growth = births − deaths). When both
    counts are 0 the half-width is the exact upper bound of a zero count (3.689), so that a
    tiny village with no events is not reported as known to be exactly 0.
    """
    kp, km, e_ = _arrays(k_plus, k_minus, exposure)
    _, zero_high = poisson_exact(np.zeros(1))
    half = np.where(kp + km > 0, z * np.sqrt(kp + km), zero_high[0])
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(e_ > 0, (kp - km - half) / e_ * scale, np.nan)
        high = np.where(e_ > 0, (kp - km + half) / e_ * scale, np.nan)
    return low, high


def sex_ratio(males: ArrayLike, females: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Interval of the sex ratio 100·m/f via the Wilson interval of the male share p.

    SRB = 100·p/(1−p); NaN where there are no female births (the ratio itself is undefined).
    """
    m, f = _arrays(males, females)
    low_p, high_p = wilson(m, m + f)
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(f > 0, 100 * low_p / (1 - low_p), np.nan)
        high = np.where(f > 0, 100 * high_p / (1 - high_p), np.nan)
    return low, high
