"""Binary entropy, the factor ρ_ε of Theorem S6 and the binomial bounds (Lemmas S7, S8).

All entropies are in nats: h_b(κ) = −κ log κ − (1−κ) log(1−κ), h_b(0) = h_b(1) = 0
(docs/theory.md §5, footnote 2 of the paper).  Binomial coefficients and the Gamma ratio of Lemma S8
are evaluated in log form with :func:`scipy.special.betaln`, which stays accurate for
n up to 10⁶ and beyond (no factorials, no cancellation of huge ``gammaln`` values).

Trap: κd need not be an integer in floating point (``0.14 * 100 == 14.000000000000002``);
⌈κd/2⌉ is taken after snapping κd to the nearest integer when it is within 1e-9 relative.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, xlogy

from sgdtails.theory import _bounds_validation as v

__all__ = [
    "binary_entropy",
    "half_binary_entropy",
    "rho_eps",
    "rho_eps_fig_s4",
    "rho_eps_upper",
    "log_binomial",
    "lemma_s7_log_bound",
    "log_gamma_ratio",
    "lemma_s8_log_bound",
]


def binary_entropy(kappa: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Binary entropy h_b(κ) in nats, with h_b(0) = h_b(1) = 0.

    Parameters
    ----------
    kappa : array_like
        κ ∈ [0, 1].

    Returns
    -------
    ndarray or float
        h_b(κ) = −κ log κ − (1−κ) log(1−κ) ∈ [0, log 2].
    """
    k = v.unit_interval("kappa", kappa)
    return v.scalar_or_array(_hb(k))


def _hb(k: NDArray[np.float64]) -> NDArray[np.float64]:
    """Unchecked h_b; ``xlogy`` gives 0·log 0 = 0."""
    return -xlogy(k, k) - xlogy(1.0 - k, 1.0 - k)


def _s8_exponent(n: NDArray[np.float64], m: NDArray[np.float64]) -> NDArray[np.float64]:
    """⌈n/2⌉ · max(h_b(⌈m/2⌉/⌈n/2⌉), h_b(⌊m/2⌋/⌈n/2⌉)) for integer 0 ≤ m ≤ n, n ≥ 1."""
    half = np.ceil(n / 2.0)
    return half * np.maximum(_hb(np.ceil(m / 2.0) / half), _hb(np.floor(m / 2.0) / half))


def half_binary_entropy(kappa: ArrayLike, d: ArrayLike) -> NDArray[np.float64] | np.float64:
    """h_b^(1)(κ, d) of Theorem S6.

    h_b^(1)(κ, d) := (⌈d/2⌉/d) · max(h_b(⌈κd/2⌉/⌈d/2⌉), h_b(⌊κd/2⌋/⌈d/2⌉)).

    Parameters
    ----------
    kappa : array_like
        κ ∈ [0, 1]; κd is snapped to the nearest integer when within 1e-9 relative.
    d : array_like
        Dimension, integer ≥ 1.

    Notes
    -----
    When d and κd are both even this equals h_b(κ)/2; the paper also states
    h_b^(1)(κ, d) ≤ log(2)(1/2 + 1/d).
    """
    k = v.unit_interval("kappa", kappa)
    dd = v.integers("d", d, minimum=1)
    m = v.snap_to_integer(k * dd)
    return v.scalar_or_array(_s8_exponent(dd, m) / dd)


def rho_eps(kappa: ArrayLike, d: ArrayLike, eps: ArrayLike) -> NDArray[np.float64] | np.float64:
    """ρ_ε(κ, d) := min(ε^(1−κ) exp(h_b(κ) + h_b^(1)(κ, d)), 1) of Theorem S6.

    Parameters
    ----------
    kappa : array_like
        Remaining ratio κ ∈ [0, 1].
    d : array_like
        Dimension d, integer ≥ 1.
    eps : array_like
        Relative compression error ε ≥ 0.

    Notes
    -----
    ρ_ε(1, d) = 1, ρ_ε(0, d) = ε for ε ≤ 1, and ρ_ε(κ, d) ≤ min(3ε^(1−κ), 1) for d ≥ 12
    (text below Theorem S6); see :func:`rho_eps_upper`.
    """
    k = v.unit_interval("kappa", kappa)
    e = v.nonnegative("eps", eps)
    h1 = half_binary_entropy(k, d)
    with np.errstate(divide="ignore", over="ignore"):
        value = e ** (1.0 - k) * np.exp(_hb(k) + h1)
    return v.scalar_or_array(np.minimum(value, 1.0))


def rho_eps_fig_s4(kappa: ArrayLike, eps: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Figure S4's ρ_ε(κ) = min(ε^(1−κ) exp(1.5 h_b(κ)), 1).

    This is ρ_ε(κ, d) whenever d and κd are even (then h_b^(1) = h_b/2); it is
    non-decreasing in κ, maximal slope point κ* = 1/(1 + ε^(2/3)) (text below Theorem S6).
    """
    k = v.unit_interval("kappa", kappa)
    e = v.nonnegative("eps", eps)
    with np.errstate(over="ignore"):
        value = e ** (1.0 - k) * np.exp(1.5 * _hb(k))
    return v.scalar_or_array(np.minimum(value, 1.0))


def rho_eps_upper(kappa: ArrayLike, eps: ArrayLike) -> NDArray[np.float64] | np.float64:
    """The upper bound min(3ε^(1−κ), 1) on ρ_ε(κ, d), claimed for d ≥ 12 (Theorem S6)."""
    k = v.unit_interval("kappa", kappa)
    e = v.nonnegative("eps", eps)
    with np.errstate(over="ignore"):
        return v.scalar_or_array(np.minimum(3.0 * e ** (1.0 - k), 1.0))


def _counts(n: ArrayLike, m: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Validate integer n ≥ 1 and 0 ≤ m ≤ n, broadcast together."""
    nn = v.integers("n", n, minimum=1)
    mm = v.integers("m", m, minimum=0)
    nn, mm = np.broadcast_arrays(nn, mm)
    if np.any(mm > nn):
        raise ValueError("m must satisfy 0 <= m <= n")
    return nn, mm


def log_binomial(n: ArrayLike, m: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Log C(n, m) = −log(n+1) − log B(m+1, n−m+1), exact up to rounding."""
    nn, mm = _counts(n, m)
    return v.scalar_or_array(-betaln(mm + 1.0, nn - mm + 1.0) - np.log1p(nn))


def lemma_s7_log_bound(n: ArrayLike, m: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Lemma S7 ([Gal68, Ex. 5.8.b]) in log form: log C(n, m) ≤ n h_b(m/n).

    Returns the right-hand side n·h_b(m/n) for integers n ≥ 1, 0 ≤ m ≤ n.
    """
    nn, mm = _counts(n, m)
    return v.scalar_or_array(nn * _hb(mm / nn))


def log_gamma_ratio(n: ArrayLike, m: ArrayLike) -> NDArray[np.float64] | np.float64:
    """log[Γ(n/2+1) / (Γ(m/2+1) Γ((n−m)/2+1))], the left side of Lemma S8.

    Computed as −log(n/2+1) − log B(m/2+1, (n−m)/2+1).
    """
    nn, mm = _counts(n, m)
    return v.scalar_or_array(-betaln(mm / 2.0 + 1.0, (nn - mm) / 2.0 + 1.0) - np.log1p(nn / 2.0))


def lemma_s8_log_bound(n: ArrayLike, m: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Lemma S8 in log form: the right side ⌈n/2⌉ max(h_b(⌈m/2⌉/⌈n/2⌉), h_b(⌊m/2⌋/⌈n/2⌉)).

    The lemma states log_gamma_ratio(n, m) ≤ lemma_s8_log_bound(n, m) for integers
    n ≥ 10, 0 ≤ m ≤ n; n < 10 raises ``ValueError`` (it fails at n = 2, m = 1).
    """
    nn, mm = _counts(n, m)
    if np.any(nn < 10):
        raise ValueError("n must be >= 10 (hypothesis of Lemma S8)")
    return v.scalar_or_array(_s8_exponent(nn, mm))
