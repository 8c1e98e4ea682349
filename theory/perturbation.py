"""Output-perturbation bounds for bias-free ReLU networks: Lemma S1, Lemma S3 and (S45).

Notation (docs/theory.md §5): inputs ‖x‖ ≤ B, ‖w_l‖ Frobenius norm of layer l, L the depth (called
``depth`` here, to keep ``L`` free for the Lipschitz constant L(τ, δ)).  Arguments
``layer_norms``, ``eps`` and ``upsilon`` follow NumPy broadcasting with the **last axis
indexing layers**, so a batch of networks can be evaluated at once.

Products Π(1 + ε_l) − 1 are computed as expm1(Σ log1p ε_l), so a tiny ε gives a tiny
(not zero) bound.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sgdtails.theory import _bounds_validation as v

__all__ = [
    "lemma_s1_bound",
    "lemma_s1_uniform_bound",
    "lemma_s3_output_bound",
    "lemma_s3_uniform_bound",
    "ramp_lipschitz_bound",
    "power_difference_bound",
]


def _per_layer(
    norms: ArrayLike, other: ArrayLike, other_name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    w = np.atleast_1d(v.nonnegative("layer_norms", norms))
    o = np.atleast_1d(v.nonnegative(other_name, other))
    try:
        w, o = np.broadcast_arrays(w, o)
    except ValueError as exc:
        raise ValueError(f"layer_norms and {other_name} must broadcast (last axis = layers)") from exc
    return w, o


def _depth(depth: int) -> int:
    return v.single_integer("depth", depth, minimum=1)


def lemma_s1_bound(layer_norms: ArrayLike, eps: ArrayLike, B: float) -> NDArray[np.float64] | np.float64:
    """Right side of (S3): B [Π_l (1+ε_l) − 1] Π_l ‖w_l‖.

    Lemma S1: if ‖ŵ_l − w_l‖ ≤ ε_l ‖w_l‖ for all l then ‖f_ŵ(x) − f_w(x)‖ ≤ (S3) for all
    ‖x‖ ≤ B.

    Parameters
    ----------
    layer_norms : array_like, shape (..., L)
        ‖w_l‖ ≥ 0.
    eps : array_like, broadcastable to ``layer_norms``
        Relative layer errors ε_l ≥ 0.
    B : float
        Input radius B ≥ 0.
    """
    w, e = _per_layer(layer_norms, eps, "eps")
    b = v.nonnegative("B", B)
    return v.scalar_or_array(b * np.expm1(np.log1p(e).sum(axis=-1)) * w.prod(axis=-1))


def lemma_s1_uniform_bound(eps: ArrayLike, R: ArrayLike, depth: int, B: float) -> NDArray[np.float64] | np.float64:
    """Right side of (S4): B [(1+ε)^L − 1] (R/√L)^L, for ε_l = ε and ‖w‖ ≤ R."""
    e = v.nonnegative("eps", eps)
    r = v.nonnegative("R", R)
    L = _depth(depth)
    b = v.nonnegative("B", B)
    return v.scalar_or_array(b * np.expm1(L * np.log1p(e)) * (r / np.sqrt(L)) ** L)


def lemma_s3_output_bound(
    layer_norms: ArrayLike, upsilon: ArrayLike, B: float
) -> NDArray[np.float64] | np.float64:
    """Lemma S3 (i): ‖f_w(x) − f_w'(x)‖ ≤ B Π(‖w_l‖ + υ_l) − B Π‖w_l‖ if ‖w_l − w'_l‖ ≤ υ_l.

    Parameters
    ----------
    layer_norms : array_like, shape (..., L)
        ‖w_l‖ ≥ 0 of the reference network w.
    upsilon : array_like, broadcastable to ``layer_norms``
        Absolute layer perturbations υ_l ≥ 0.
    B : float
        Input radius.
    """
    w, u = _per_layer(layer_norms, upsilon, "upsilon")
    b = v.nonnegative("B", B)
    # Π‖w_l‖ · (Π(1 + υ_l/‖w_l‖) − 1) avoids cancellation; with a zero layer Π‖w_l‖ = 0
    all_pos = np.all(w > 0, axis=-1)
    ratio = u / np.where(w > 0, w, 1.0)
    stable = w.prod(axis=-1) * np.expm1(np.log1p(ratio).sum(axis=-1))
    value = np.where(all_pos, stable, (w + u).prod(axis=-1))
    return v.scalar_or_array(b * value)


def lemma_s3_uniform_bound(
    upsilon: ArrayLike, R: ArrayLike, depth: int, B: float
) -> NDArray[np.float64] | np.float64:
    """Lemma S3 (ii): ‖f_w(x) − f_w'(x)‖ ≤ B L (2R/√L)^(L−1) υ.

    Valid when υ_l = υ ≤ R/√L and ‖w‖ ≤ R; υ > R/√L raises ``ValueError``.
    """
    u = v.nonnegative("upsilon", upsilon)
    r = v.nonnegative("R", R)
    L = _depth(depth)
    b = v.nonnegative("B", B)
    if np.any(u > r / np.sqrt(L)):
        raise ValueError("upsilon must satisfy upsilon <= R / sqrt(depth) (Lemma S3 ii)")
    return v.scalar_or_array(b * L * (2.0 * r / np.sqrt(L)) ** (L - 1) * u)


def ramp_lipschitz_bound(output_gap: ArrayLike, tau: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Lemma S3 (i), loss part: |ℓ_(0,τ)(y, f) − ℓ_(0,τ)(y, f')| ≤ (√2/τ) ‖f − f'‖.

    Parameters
    ----------
    output_gap : array_like
        ‖f_w(x) − f_w'(x)‖ ≥ 0.
    tau : array_like
        Ramp width τ > 0.
    """
    g = v.nonnegative("output_gap", output_gap)
    t = v.positive("tau", tau)
    return v.scalar_or_array(np.sqrt(2.0) / t * g)


def power_difference_bound(a: ArrayLike, b: ArrayLike, n: ArrayLike) -> NDArray[np.float64] | np.float64:
    """Right side of (S45): for a ≥ b ≥ 0 and integer n ≥ 1, a^n − b^n ≤ n (a − b) a^(n−1)."""
    aa = v.nonnegative("a", a)
    bb = v.nonnegative("b", b)
    nn = v.integers("n", n, minimum=1)
    if np.any(bb > aa):
        raise ValueError("a and b must satisfy a >= b >= 0 (S45)")
    return v.scalar_or_array(nn * (aa - bb) * aa ** (nn - 1.0))
