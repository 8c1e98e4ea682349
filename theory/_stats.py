"""Small statistics of the theorem checks: Wilson intervals, least-squares slopes, the bootstrap.

Private helpers of :mod:`sgdtails.theory.verdict` and :mod:`sgdtails.theory.required_size`.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["N_BOOT", "boot_medians", "ols_fit", "reach_size", "wilson_interval"]

N_BOOT = 1000
"""Bootstrap replicates for slope and reach intervals."""
_Z = 1.959963984540054  # 97.5% normal quantile


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval for a binomial proportion successes/n."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    phat = successes / n
    denom = 1.0 + _Z**2 / n
    centre = (phat + _Z**2 / (2 * n)) / denom
    half = _Z * math.sqrt(phat * (1 - phat) / n + _Z**2 / (4 * n * n)) / denom
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return lo, hi


def ols_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of y (…, J) on x (J,) by least squares, along the last axis."""
    xc = x - x.mean()
    b = (y - y.mean(axis=-1, keepdims=True)) @ xc / (xc @ xc)
    return b, y.mean(axis=-1) - b * x.mean()


def boot_medians(errors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N_BOOT, J) medians of trials resampled with replacement within each size."""
    J, n = errors.shape
    idx = rng.integers(0, n, size=(J, N_BOOT, n))
    return np.stack([np.median(errors[j][idx[j]], axis=1) for j in range(J)], axis=1)


def reach_size(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Size at which exp(a + b log d) = t (∞ where b ≥ 0)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = np.exp((math.log(t) - a) / b)
    return np.where(b < 0, r, np.inf)
