"""Tails of normalised SαS laws: σ_α, the BŁM20 tail bound and the Lemma S5 radius.

Conventions (docs/theory.md §1): SαS(σ) has E exp(itX) = exp(−|σt|^α); the *normalised* law is
SαSn(σ) ≡ SαS(σ_α σ) with σ_α := (2 Γ(−α) cos((2−α)π/2))^(1/α).  Equivalently
σ_α^α = ∫(1 − cos x)|x|^(−1−α) dx = π / (Γ(1+α) sin(πα/2)), so SαSn(σ) is the stable law
with Lévy density σ^α |x|^(−1−α) and P(y > a) ~ (σ/a)^α / α.  The second form is used
here: it is continuous at α = 1 (σ_1 = π) and avoids Γ(−α) poles.

Traps: "α" is the stability index, not the ESD exponent WeightWatcher reports;
σ_α → ∞ as α → 2 (the normalised law has no Gaussian limit); the tail bound and Lemma S5
need α ∈ (1, 2) strictly, and raise ``ValueError`` outside their stated ranges instead of
returning NaN.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gamma

from sgdtails.theory import _bounds_validation as v

__all__ = [
    "sigma_alpha",
    "blm20_threshold",
    "blm20_tail_bound",
    "blm20_tail_bound_simple",
    "lemma_s5_max_delta",
    "lemma_s5_radius",
]


def _alpha_open_1_2(alpha: ArrayLike, name: str = "alpha") -> NDArray[np.float64]:
    return v.in_range(name, alpha, 1.0, 2.0, low_closed=False, high_closed=False)


def sigma_alpha(alpha: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Normalising constant σ_α := (2 Γ(−α) cos((2−α)π/2))^(1/α) (proof of Corollary 1).

    Parameters
    ----------
    alpha : array_like
        Stability index α ∈ (0, 2); the paper uses α ∈ (1, 2).  α = 1 gives the
        continuous extension σ_1 = π.

    Returns
    -------
    ndarray or float
        σ_α > 0, computed as (π / (Γ(1+α) sin(πα/2)))^(1/α).
    """
    a = v.in_range("alpha", alpha, 0.0, 2.0, low_closed=False, high_closed=False)
    return v.scalar_or_array((np.pi / (gamma(1.0 + a) * np.sin(np.pi * a / 2.0))) ** (1.0 / a))


def blm20_threshold(sigma: ArrayLike, alpha: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Smallest a covered by the BŁM20 tail bound: 4σ/(2−α), α ∈ (1, 2), σ > 0."""
    a = _alpha_open_1_2(alpha)
    s = v.positive("sigma", sigma)
    return v.scalar_or_array(4.0 * s / (2.0 - a))


def _blm20_args(
    a: ArrayLike, sigma: ArrayLike, alpha: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    al = _alpha_open_1_2(alpha)
    s = v.positive("sigma", sigma)
    x = v.positive("a", a)
    if np.any(x < 4.0 * s / (2.0 - al)):
        raise ValueError("a must satisfy a >= 4*sigma/(2 - alpha) (range of [BŁM20, Thm 19])")
    return x, s, al


def blm20_tail_bound(a: ArrayLike, sigma: ArrayLike, alpha: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Tail bound of [BŁM20, Thm 19] as restated in the proof of Lemma S5.

    For y ~ SαSn(σ), α ∈ (1, 2) and a ≥ 4σ/(2−α): P(y ≥ a) ≤ (16/3)(2σ/a)^α.

    Parameters
    ----------
    a : array_like
        Threshold a ≥ 4σ/(2−α); smaller values raise ``ValueError``.
    sigma : array_like
        Normalised scale σ > 0 (y ~ SαS(σ_α σ)).
    alpha : array_like
        α ∈ (1, 2).
    """
    x, s, al = _blm20_args(a, sigma, alpha)
    return v.scalar_or_array(16.0 / 3.0 * (2.0 * s / x) ** al)


def blm20_tail_bound_simple(
    a: ArrayLike, sigma: ArrayLike, alpha: ArrayLike
) -> NDArray[np.float64] | np.float64:
    """The weaker form 4(3σ/a)^α ≥ (16/3)(2σ/a)^α used in (S47).

    Same range as :func:`blm20_tail_bound` (the inequality between the two holds for α ≥ 0.71).
    """
    x, s, al = _blm20_args(a, sigma, alpha)
    return v.scalar_or_array(4.0 * (3.0 * s / x) ** al)


def _layers(
    dims: ArrayLike, alphas: ArrayLike, sigmas: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate per-layer d_l (integers ≥ 1), α_l ∈ (1,2), σ_l > 0 as equal-length 1-D arrays."""
    d = np.atleast_1d(v.integers("dims", dims, minimum=1))
    al = np.atleast_1d(_alpha_open_1_2(alphas, "alphas"))
    s = np.atleast_1d(v.positive("sigmas", 1.0 if sigmas is None else sigmas))
    if d.ndim != 1 or al.ndim != 1 or s.ndim != 1:
        raise ValueError("dims, alphas and sigmas must be scalars or 1-D arrays (one entry per layer)")
    try:
        d, al, s = np.broadcast_arrays(d, al, s)
    except ValueError as exc:
        raise ValueError("dims, alphas and sigmas must have one entry per layer") from exc
    return d, al, s


def lemma_s5_max_delta(dims: ArrayLike, alphas: ArrayLike) -> np.float64:
    """Upper end 2d(2 − max_l α_l)^α of the δ-range of Lemma S5 (α := min_l α_l, d = Σ d_l)."""
    d, al, _ = _layers(dims, alphas)
    return np.float64(2.0 * d.sum() * (2.0 - al.max()) ** al.min())


def lemma_s5_radius(
    delta: ArrayLike, dims: ArrayLike, sigmas: ArrayLike, alphas: ArrayLike
) -> NDArray[np.float64] | np.float64:
    """Lemma S5 bound on R(δ) = inf{R : P(‖x‖ ≥ R) ≤ δ}: 3σ√d (4d/δ)^(1/α).

    x = (x_1, …, x_L), x_l with d_l i.i.d. SαlSn(σ_l) entries, α_l ∈ (1, 2);
    σ := √(Σ_l (d_l/d) σ_l²), α := min_l α_l, d := Σ_l d_l.

    Parameters
    ----------
    delta : array_like
        Probability level δ ∈ (0, 1) with δ < 2d(2 − max_l α_l)^α (the lemma's
        hypothesis, see :func:`lemma_s5_max_delta`); otherwise ``ValueError``.
    dims, sigmas, alphas : array_like
        Per-layer d_l, σ_l, α_l (scalars for a single block).

    Returns
    -------
    ndarray or float
        The upper bound 3σ√d(4d/δ)^(1/α) on R(δ), broadcast over ``delta``.
    """
    dl = v.in_range("delta", delta, 0.0, 1.0, low_closed=False, high_closed=False)
    d, al, s = _layers(dims, alphas, sigmas)
    total = d.sum()
    if np.any(dl >= lemma_s5_max_delta(d, al)):
        raise ValueError("delta must satisfy delta < 2 d (2 - max alpha_l)^alpha (Lemma S5)")
    sigma = np.sqrt(np.sum(d / total * s**2))
    return v.scalar_or_array(3.0 * sigma * np.sqrt(total) * (4.0 * total / dl) ** (1.0 / al.min()))
