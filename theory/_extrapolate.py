r"""Extrapolating the size d₀ at which P(error ≤ t) reaches a level c, with the model's uncertainty.

P(error ≤ t) ≥ c exactly when the c-quantile q_c of the error is ≤ t. Over the measured sizes,
log q_c is fitted by a straight line in log(size) and solved for q_c = t. A single fit's bootstrap
interval (trials resampled within each size) covers the noise of the trials only, not the choice
of the power-law model, so the interval reported is the union over three models:

* the line through the upper half of the sizes (the local rate; its value is the point estimate);
* the line through all the sizes;
* when a power law size^r is derived (r < 0), the line of slope r through the largest size's
  quantile (its bootstrap spread comes from that quantile).

An interval end is ∞ where a model's fitted quantile does not decrease.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sgdtails.theory._stats import N_BOOT, ols_fit, reach_size

__all__ = ["extrapolate_d0", "quantile_fit"]


def _boot_quantiles(E: np.ndarray, c: float, rng: np.random.Generator) -> np.ndarray:
    """(N_BOOT, J) c-quantiles of the trials resampled with replacement within each size."""
    J, n = E.shape
    idx = rng.integers(0, n, size=(N_BOOT, n))
    return np.stack([np.quantile(E[j][idx], c, axis=1, method="inverted_cdf") for j in range(J)], axis=1)


def quantile_fit(sizes: Sequence[float], E: np.ndarray, c: float, window: slice) -> tuple[float, float]:
    """(slope, intercept) of log q_c on log size over ``window`` of the sizes."""
    x = np.log(np.asarray(sizes, dtype=float))[window]
    q = np.array([np.quantile(e, c, method="inverted_cdf") for e in E[window]])
    b, a = ols_fit(x, np.log(np.maximum(q, 1e-300)))
    return float(b), float(a)


def extrapolate_d0(
    sizes: Sequence[float],
    E: np.ndarray,
    t: float,
    c: float,
    rng: np.random.Generator,
    *,
    rate: float | None = None,
) -> tuple[float, tuple[float, float]]:
    """d₀ where the fitted c-quantile of the errors reaches ``t`` and its interval (module docstring).

    ``E`` has one row of trials per size. The point estimate is the upper-half fit's; the interval
    spans the 2.5%–97.5% bootstrap range of every model.
    """
    if not t > 0.0 or not math.isfinite(t):
        raise ValueError(f"eps must be a finite number > 0 to extrapolate a size at which the error reaches it, got {t}")
    E = np.asarray(E, dtype=float)
    if E.ndim != 2 or E.shape[0] != len(sizes) or E.shape[0] < 2 or E.shape[1] < 1:
        raise ValueError(f"cannot extrapolate: need errors at >= 2 sizes (one row each), got shape {E.shape}")
    if not np.isfinite(E).all():
        raise ValueError("cannot extrapolate: some measured errors are NaN or inf")
    J = E.shape[0]
    x = np.log(np.asarray(sizes, dtype=float))
    qb = np.log(np.maximum(_boot_quantiles(E, c, rng), 1e-300))
    k = max(2, math.ceil(J / 2))
    b, a = quantile_fit(sizes, E, c, slice(J - k, J))
    d0 = float(reach_size(np.asarray(a), np.asarray(b), t))
    ends = []
    for window in (slice(J - k, J), slice(0, J)):
        bb, ab = ols_fit(x[window], qb[:, window])
        ends.append(np.quantile(reach_size(ab, bb, t), [0.025, 0.975], method="inverted_cdf"))
    if rate is not None and rate < 0:
        anchored = x[-1] + (math.log(t) - qb[:, -1]) / rate  # log size where slope r through q_c(d_J) reaches t
        with np.errstate(over="ignore"):
            ends.append(np.quantile(np.exp(anchored), [0.025, 0.975], method="inverted_cdf"))
    lo = float(min(e[0] for e in ends))
    hi = float(max(e[1] for e in ends))
    return d0, (lo, hi)
