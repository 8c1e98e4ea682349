"""Reference CDFs for the statistical tests: scipy's ``levy_stable`` (β = 0 or 1) on a grid.

scipy's CDF is a numerical integral (~0.2 ms a point), too slow at 2·10⁵ sample points, so it is
evaluated on 3,001 points x = sinh(t), t uniform on [−asinh(10⁴), asinh(10⁴)], and interpolated
linearly (interpolation error < 10⁻⁵, far below the KS critical values used, ~4·10⁻³). Beyond ±10⁴
the exact power tail P(X > x) ≈ C_α x^(−α), C_α = Γ(α) sin(πα/2)/π, is used (relative error
O(x^(−α)), < 10⁻⁴ in absolute terms for the α tested). Near 0, where scipy's CDF is flat at 1/2
(wrong), the power series of the CDF at 0 is used instead (for α ≥ 1, where it converges fast).
"""
from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
from scipy import stats

_EDGE = 1.0e4


def sas_cdf(alpha: float, scale: float = 1.0) -> Callable[[np.ndarray], np.ndarray]:
    """Interpolated CDF of SαS(scale) (β = 0, same law in scipy's S0 and S1)."""
    t = np.linspace(-math.asinh(_EDGE), math.asinh(_EDGE), 3001)
    grid = np.sinh(t)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = stats.levy_stable.cdf(grid, alpha, 0.0)
    # scipy returns exactly 1/2 on a neighbourhood of 0 (up to |x| ≈ 0.007 at α = 1.95); there the
    # convergent series F(x) = 1/2 + (1/π) Σ_k (−1)^k x^(2k+1) Γ((2k+1)/α) / (α (2k+1)!) is exact.
    # For α < 1 the series is only asymptotic: two terms on |x| < 2·10⁻³ (error < 10⁻⁶ for α ≥ 0.5).
    radius, terms = (0.1, 4) if alpha >= 1.0 else (2e-3, 2)
    near = np.abs(grid) < radius
    values[near] = _cdf_series_near_zero(grid[near], alpha, terms)
    c = math.gamma(alpha) * math.sin(math.pi * alpha / 2) / math.pi if alpha < 2 else 0.0

    def cdf(x: np.ndarray) -> np.ndarray:
        z = np.asarray(x, dtype=np.float64) / scale
        out = np.interp(z, grid, values)
        with np.errstate(divide="ignore"):
            hi, lo = z > _EDGE, z < -_EDGE
            out[hi] = 1.0 - c * z[hi] ** (-alpha)
            out[lo] = c * (-z[lo]) ** (-alpha)
        return out

    return cdf


def _cdf_series_near_zero(x: np.ndarray, alpha: float, terms: int = 4) -> np.ndarray:
    """SαS(1) CDF from its power series at 0 (α ≥ 1, four terms: truncation error < 1e-8 at |x| < 0.1)."""
    out = np.full_like(x, 0.5)
    for k in range(terms):
        out += (-1) ** k * x ** (2 * k + 1) * math.gamma((2 * k + 1) / alpha) / (alpha * math.factorial(2 * k + 1)) / math.pi
    return out


def positive_stable_cdf(a: float) -> Callable[[np.ndarray], np.ndarray]:
    """CDF of the positive stable law with Laplace transform exp(−γ^a).

    That is scipy's ``levy_stable(a, 1, scale=cos(πa/2)^(1/a))`` in the S1 parametrisation
    (evaluated directly).
    """
    assert stats.levy_stable.parameterization == "S1"
    scale = math.cos(math.pi * a / 2) ** (1 / a)

    def cdf(x: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return stats.levy_stable.cdf(x, a, 1.0, scale=scale)

    return cdf
