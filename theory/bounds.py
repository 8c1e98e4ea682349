"""Generalisation bounds of Section 4 and S2: Theorem 4, Corollary 1, Corollary S2, Theorem S6.

Notation (docs/theory.md §5, eq. (7)): depth L (argument ``depth``), inputs ‖x‖ ≤ B, d = Σ d_l
parameters, n samples, R = R(δ) := inf{R : P(‖w‖ ≥ R) ≤ δ} (argument ``R``; bound it with
:func:`sgdtails.theory.stable_tails.lemma_s5_radius` for stable weights), and
L(τ, δ) := √2 B L (2R(δ)/√L)^(L−1) / τ.  κ̄ := (1/d) Σ⌈κ_l d_l⌉ (:func:`kappa_bar`),
ε_κ := (2h_b(κ̄) − κ̄ log κ̄)/log n.

Each theorem has the shape "with probability ≥ ``confidence``,
R_0 ≤ R̂_``margin``(w) + ``gap``" and is returned as a :class:`GeneralizationBound`.

Two different epsilons: the paper's H1 uses ε for the relative compression error
‖ŵ_l − w_l‖ ≤ ε‖w_l‖ (argument ``eps``, enters γ and ρ_ε) and a second ε for the
probability that this fails (argument ``fail_prob``, enters only the confidence).  The
PDF-to-text extraction, and docs/theory.md §5, print both as ε.

Theorem hypotheses that can be checked (n/log n ≥ 10L, d ≥ 10, ranges of α, κ, δ) raise
``ValueError`` when violated; the existential "d_l ≥ d_(l,0)" cannot be checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import xlogy

from sgdtails.theory import _bounds_validation as _checks
from sgdtails.theory.entropy import binary_entropy, rho_eps

__all__ = [
    "GeneralizationBound",
    "lipschitz_constant",
    "theorem4_margin",
    "kappa_bar",
    "epsilon_kappa",
    "lemma_s4_log_covering",
    "lemma_s6_log_covering",
    "theorem4_bound",
    "theorem_s6_bound",
    "corollary1_sigma",
    "corollary1_bound",
    "corollary_s2_bound",
]

Array = NDArray[np.float64] | np.float64


def _non_empty(check: Callable[..., Any]) -> Callable[..., Any]:
    """``check``, also refusing an empty array (an evaluator of no values would return NaN or nothing)."""
    def checked(name: str, value: ArrayLike, *args: Any, **kwargs: Any) -> Any:
        arr = check(name, value, *args, **kwargs)
        if np.size(arr) == 0:
            raise ValueError(f"{name} must not be empty, got {value!r}")
        return arr
    return checked


# The shared argument checks (finite, in range), each refusing empty arrays as well.
v = SimpleNamespace(
    **{n: _non_empty(getattr(_checks, n)) for n in ("in_range", "positive", "nonnegative", "unit_interval", "integers")},
    single_integer=_checks.single_integer, snap_to_integer=_checks.snap_to_integer, scalar_or_array=_checks.scalar_or_array,
)


@dataclass(frozen=True)
class GeneralizationBound:
    """With probability ≥ ``confidence``: R_0 ≤ R̂_``margin``(w) + ``gap``.

    Attributes
    ----------
    margin : float or ndarray
        The margin γ at which the empirical risk R̂_γ of the uncompressed network is taken.
    gap : float or ndarray
        The complexity term added to the empirical risk.
    confidence : float or ndarray
        Lower bound on the probability (may be ≤ 0, then the statement is vacuous).
    """

    margin: Array
    gap: Array
    confidence: Array

    def rhs(self, empirical_risk: ArrayLike) -> Array:
        """R̂_γ(w) + gap, for an empirical margin risk R̂_γ(w) ∈ [0, 1] at γ = ``margin``."""
        r = v.unit_interval("empirical_risk", empirical_risk)
        return v.scalar_or_array(r + self.gap)


def lipschitz_constant(R: ArrayLike, tau: ArrayLike, depth: int, B: float) -> Array:
    """L(τ, δ) := √2 B L (2R(δ)/√L)^(L−1) / τ, eq. (7); ``R`` is R(δ) ≥ 0, τ > 0."""
    r = v.nonnegative("R", R)
    t = v.positive("tau", tau)
    L = v.single_integer("depth", depth, minimum=1)
    b = v.nonnegative("B", B)
    return v.scalar_or_array(np.sqrt(2.0) * b * L * (2.0 * r / np.sqrt(L)) ** (L - 1) / t)


def theorem4_margin(R: ArrayLike, tau: ArrayLike, depth: int, B: float, eps: ArrayLike) -> Array:
    """γ(δ, τ) := τ + (√2 B/τ)(R(δ)/√L)^L ((1+ε)^L − 1) of Theorem 4."""
    r = v.nonnegative("R", R)
    t = v.positive("tau", tau)
    L = v.single_integer("depth", depth, minimum=1)
    b = v.nonnegative("B", B)
    e = v.nonnegative("eps", eps)
    return v.scalar_or_array(t + np.sqrt(2.0) * b / t * (r / np.sqrt(L)) ** L * np.expm1(L * np.log1p(e)))


def kappa_bar(kappas: ArrayLike, dims: ArrayLike) -> np.float64:
    """κ̄ := (1/d) Σ_l ⌈κ_l d_l⌉ for per-layer ratios κ_l ∈ [0, 1] and sizes d_l ≥ 1."""
    k = np.atleast_1d(v.unit_interval("kappas", kappas))
    d = np.atleast_1d(v.integers("dims", dims, minimum=1))
    if k.ndim != 1 or d.ndim != 1 or (k.size != d.size and k.size != 1):
        raise ValueError("kappas and dims must be 1-D with one entry per layer")
    kept = np.ceil(v.snap_to_integer(k * d))
    return np.float64(kept.sum() / d.sum())


def epsilon_kappa(kappa_bar: ArrayLike, n: ArrayLike) -> Array:
    """ε_κ := (2 h_b(κ̄) − κ̄ log κ̄) / log n of Theorem 4 (n ≥ 2 integer, κ̄ ∈ [0, 1])."""
    k = v.unit_interval("kappa_bar", kappa_bar)
    nn = v.integers("n", n, minimum=2)
    return v.scalar_or_array((2.0 * binary_entropy(k) - xlogy(k, k)) / np.log(nn))


def lemma_s4_log_covering(d: ArrayLike, kappa: ArrayLike, R: ArrayLike, upsilon: ArrayLike) -> Array:
    """Lemma S4 in log form: log N_υ ≤ d h_b(κ) + κd log(3R(δ)/υ).

    N_υ covers {ŵ ∈ R^d : ‖ŵ‖ ≤ R(δ), ‖ŵ‖_0 ≤ κd} at precision υ > 0.
    """
    dd = v.integers("d", d, minimum=1)
    k = v.unit_interval("kappa", kappa)
    r = v.positive("R", R)
    u = v.positive("upsilon", upsilon)
    return v.scalar_or_array(dd * binary_entropy(k) + k * dd * np.log(3.0 * r / u))


def lemma_s6_log_covering(
    d: ArrayLike, kappa: ArrayLike, eps: ArrayLike, R: ArrayLike, upsilon: ArrayLike
) -> Array:
    """Lemma S6 in log form: log N'_υ ≤ d log(3 ρ_ε(κ, d) R/υ), for d ≥ 10 and υ < εR.

    N'_υ covers {w : ‖w‖ ≤ R(δ), ‖w^(κd) − w‖ ≤ εR(δ)} at precision υ.
    """
    dd = v.integers("d", d, minimum=10)
    e = v.positive("eps", eps)
    r = v.positive("R", R)
    u = v.positive("upsilon", upsilon)
    if np.any(u >= e * r):
        raise ValueError("upsilon must satisfy upsilon < eps * R (Lemma S6)")
    return v.scalar_or_array(dd * np.log(3.0 * rho_eps(kappa, dd, e) * r / u))


def _sample_size(n: ArrayLike, minimum_ratio: ArrayLike, statement: str) -> NDArray[np.float64]:
    """Integer n ≥ 2 with n / log n ≥ ``minimum_ratio``, else ``ValueError``."""
    nn = v.integers("n", n, minimum=2)
    if np.any(nn / np.log(nn) < np.asarray(minimum_ratio, dtype=float)):
        raise ValueError(f"n must satisfy {statement}")
    return nn


def theorem4_bound(
    *, R: ArrayLike, delta: ArrayLike, tau: ArrayLike, depth: int, B: float, d: ArrayLike,
    kappa_bar: ArrayLike, n: ArrayLike, eps: ArrayLike, fail_prob: ArrayLike = 0.0,
) -> GeneralizationBound:
    """Theorem 4 (compressed network ŵ, layer-wise magnitude pruning).

    With probability ≥ 1 − 2e^(−κ̄d/2) − δ − ``fail_prob``:
    R_0(ŵ) ≤ R̂_γ(δ,τ)(w) + (12 L(τ,δ) R(δ) + √d) √((κ̄ + ε_κ) log(n)/n).

    Parameters
    ----------
    R : array_like
        R(δ), or any upper bound on it (the bound is increasing in R).
    delta : array_like
        δ ∈ (0, 1), enters only the confidence.
    tau, depth, B, eps
        τ > 0, L ≥ 1, input radius B, relative compression error ε ≥ 0.
    d, kappa_bar, n
        Parameter count, κ̄ ∈ [0, 1], sample size with n/log n ≥ 10L.
    fail_prob : array_like
        Probability that H1's compressibility event fails (the paper's second ε).
    """
    L = v.single_integer("depth", depth, minimum=1)
    nn = _sample_size(n, 10 * L, "n / log(n) >= 10 L (Theorem 4)")
    dd = v.integers("d", d, minimum=1)
    k = v.unit_interval("kappa_bar", kappa_bar)
    dl = v.in_range("delta", delta, 0.0, 1.0, low_closed=False, high_closed=False)
    fp = v.unit_interval("fail_prob", fail_prob)
    lip_r = lipschitz_constant(R, tau, L, B) * v.nonnegative("R", R)
    root = np.sqrt((k + epsilon_kappa(k, nn)) * np.log(nn) / nn)
    return GeneralizationBound(
        margin=theorem4_margin(R, tau, L, B, eps),
        gap=v.scalar_or_array((12.0 * lip_r + np.sqrt(dd)) * root),
        confidence=v.scalar_or_array(1.0 - 2.0 * np.exp(-k * dd / 2.0) - dl - fp),
    )


def theorem_s6_bound(
    *, R: ArrayLike, delta: ArrayLike, tau: ArrayLike, depth: int, B: float, d: ArrayLike,
    kappa_bar: ArrayLike, n: ArrayLike, eps: ArrayLike, fail_prob: ArrayLike = 0.0,
) -> GeneralizationBound:
    """Theorem S6 (uncompressed network w).

    With probability ≥ 1 − 2e^(−d/2) − δ − ``fail_prob``:
    R_0(w) ≤ R̂_τ(w) + max(2, 24 ρ_ε(κ̄, d) L(τ,δ) R(δ)/√d) √(d log(n)/n),
    for d ≥ 10, ε > 0 and n/log n ≥ max(9L, 81 ε^(−2κ̄)).  Arguments as in
    :func:`theorem4_bound`.
    """
    L = v.single_integer("depth", depth, minimum=1)
    e = v.positive("eps", eps)
    k = v.unit_interval("kappa_bar", kappa_bar)
    with np.errstate(over="ignore"):
        need = np.maximum(9.0 * L, 81.0 * e ** (-2.0 * k))
    nn = _sample_size(n, need, "n / log(n) >= max(9 L, 81 eps^(-2 kappa_bar)) (Theorem S6)")
    dd = v.integers("d", d, minimum=10)
    dl = v.in_range("delta", delta, 0.0, 1.0, low_closed=False, high_closed=False)
    fp = v.unit_interval("fail_prob", fail_prob)
    lip_r = lipschitz_constant(R, tau, L, B) * v.nonnegative("R", R)
    factor = np.maximum(2.0, 24.0 * rho_eps(k, dd, e) * lip_r / np.sqrt(dd))
    return GeneralizationBound(
        margin=v.scalar_or_array(v.positive("tau", tau)),
        gap=v.scalar_or_array(factor * np.sqrt(dd * np.log(nn) / nn)),
        confidence=v.scalar_or_array(1.0 - 2.0 * np.exp(-dd / 2.0) - dl - fp),
    )


def _alpha(alpha: ArrayLike) -> NDArray[np.float64]:
    return v.in_range("alpha", alpha, 1.0, 2.0, low_closed=False, high_closed=False)


def corollary1_sigma(sigma0: ArrayLike, depth: int, d: ArrayLike, alpha: ArrayLike) -> Array:
    """Scale σ of (9): σ = (4^(−1/α) √L / 3) σ_0 d^(−(1/2 + 1/α)), α = min_l α_l ∈ (1, 2).

    Here σ² = Σ (d_l/d)(σ_l/σ_(α_l))² is the normalised scale of Lemma S5.
    """
    s0 = v.positive("sigma0", sigma0)
    L = v.single_integer("depth", depth, minimum=1)
    dd = v.integers("d", d, minimum=1)
    a = _alpha(alpha)
    return v.scalar_or_array(4.0 ** (-1.0 / a) * np.sqrt(L) / 3.0 * s0 * dd ** (-(0.5 + 1.0 / a)))


def corollary1_bound(
    *, sigma0: ArrayLike, alpha: ArrayLike, tau: ArrayLike, depth: int, B: float,
    d: ArrayLike, kappa_bar: ArrayLike, n: ArrayLike, eps: ArrayLike,
) -> GeneralizationBound:
    """Corollary 1 (stable weights w_(l,i) ~ SαlS(σ_l), α_l ∈ (1, 2), σ as in (9)).

    With probability ≥ 1 − 3 d^(−α/(2L)):
    R_0(ŵ) ≤ R̂_γ(w) + (a σ_0^L/τ + 1) √((κ̄ + ε_κ) d log(n)/n),
    γ := τ + b_ε σ_0^L √d/τ, a := 6√2 B 2^L L^(3/2), b_ε := √2 B ((1+ε)^L − 1).
    ``alpha`` is α = min_l α_l; n/log n ≥ 10L is required.
    """
    L = v.single_integer("depth", depth, minimum=1)
    nn = _sample_size(n, 10 * L, "n / log(n) >= 10 L (Corollary 1)")
    a = _alpha(alpha)
    s0L = v.positive("sigma0", sigma0) ** L
    t = v.positive("tau", tau)
    b = v.nonnegative("B", B)
    dd = v.integers("d", d, minimum=1)
    k = v.unit_interval("kappa_bar", kappa_bar)
    b_eps = np.sqrt(2.0) * b * np.expm1(L * np.log1p(v.nonnegative("eps", eps)))
    a_const = 6.0 * np.sqrt(2.0) * b * 2.0**L * L**1.5
    root = np.sqrt((k + epsilon_kappa(k, nn)) * dd * np.log(nn) / nn)
    return GeneralizationBound(
        margin=v.scalar_or_array(t + b_eps * s0L * np.sqrt(dd) / t),
        gap=v.scalar_or_array((a_const * s0L / t + 1.0) * root),
        confidence=v.scalar_or_array(1.0 - 3.0 * dd ** (-a / (2.0 * L))),
    )


def corollary_s2_bound(
    *, sigma: ArrayLike, alpha: ArrayLike, beta: ArrayLike, tau: ArrayLike, depth: int,
    B: float, d: ArrayLike, kappa_bar: ArrayLike, n: ArrayLike, eps: ArrayLike,
) -> GeneralizationBound:
    """Corollary S2 (w_(l,i) ~ SαlSn(σ_l), α_l ∈ (1, 2), σ² := Σ (d_l/d) σ_l², δ = d^(−β)).

    With probability ≥ 1 − 3 d^(−β):
    R_0(ŵ) ≤ R̂_γ(w) + (a(α) σ^L d^(L(α+2β+2)/(2α))/τ + √d) √((κ̄+ε_κ) log(n)/n),
    a(α) := 6√2 B 6^L 4^(L/α) / L^((L−3)/2), γ := τ + b_ε(α) σ^L d^(L(α+2β+2)/(2α))/τ,
    b_ε(α) := √2 B 3^L 4^(L/α) ((1+ε)^L − 1) / L^(L/2)  (constants re-derived in docs/theory.md §5
    from Theorem 4 and Lemma S5; β = α/(2L) with σ from (9) gives Corollary 1).
    """
    L = v.single_integer("depth", depth, minimum=1)
    nn = _sample_size(n, 10 * L, "n / log(n) >= 10 L (Corollary S2)")
    a = _alpha(alpha)
    be = v.positive("beta", beta)
    s = v.positive("sigma", sigma)
    t = v.positive("tau", tau)
    b = v.nonnegative("B", B)
    dd = v.integers("d", d, minimum=1)
    k = v.unit_interval("kappa_bar", kappa_bar)
    # σ^L d^(L(α+2β+2)/(2α)) in log space: σ is tiny and the power of d huge for real nets
    scale = np.exp(L * np.log(s) + L * (a + 2.0 * be + 2.0) / (2.0 * a) * np.log(dd))
    a_const = 6.0 * np.sqrt(2.0) * b * 6.0**L * 4.0 ** (L / a) / L ** ((L - 3.0) / 2.0)
    b_eps = np.sqrt(2.0) * b * 3.0**L * 4.0 ** (L / a) * np.expm1(L * np.log1p(v.nonnegative("eps", eps)))
    root = np.sqrt((k + epsilon_kappa(k, nn)) * np.log(nn) / nn)
    return GeneralizationBound(
        margin=v.scalar_or_array(t + b_eps / L ** (L / 2.0) * scale / t),
        gap=v.scalar_or_array((a_const * scale / t + np.sqrt(dd)) * root),
        confidence=v.scalar_or_array(1.0 - 3.0 * dd ** (-be)),
    )
