"""Bias-free ReLU networks, margins and margin losses (Section 4 and (S27) of the paper).

f_w(x) = W_L φ(W_(L−1) φ(… φ(W_1 x))), φ = ReLU, no biases; W_l has shape (h_l, h_(l−1)),
so d_l = h_l h_(l−1) and ‖w_l‖ = ‖W_l‖ (Frobenius).  Data are rows: X is (n, h_0), and
labels y are integers in [0, h_L).  Margin D(y, f(x)) := f(x)[y] − max_(j≠y) f(x)[j]
needs h_L ≥ 2 outputs.

Losses: ℓ_γ = 1{D ≤ γ} (6) and the ramp ℓ_(γ,τ) (S27), 1 for D ≤ γ, 1 − (D−γ)/τ on
(γ, γ+τ], 0 above; ℓ_(γ,0) = ℓ_γ.  Empirical risks are averages over the n samples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sgdtails.theory import _bounds_validation as v

__all__ = [
    "check_weights",
    "layer_norms",
    "forward",
    "margins",
    "margin_loss",
    "ramp_loss",
    "empirical_margin_risk",
    "empirical_ramp_risk",
]


def check_weights(weights: Sequence[ArrayLike]) -> list[NDArray[np.float64]]:
    """Validate a list of finite 2-D weight matrices with chained shapes (h_l, h_(l−1))."""
    if len(weights) == 0:
        raise ValueError("weights must contain at least one layer")
    mats = [v.as_finite(f"weights[{i}]", w) for i, w in enumerate(weights)]
    for i, w in enumerate(mats):
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(f"weights[{i}] must be a non-empty 2-D array, got shape {w.shape}")
        if i and w.shape[1] != mats[i - 1].shape[0]:
            raise ValueError(
                f"weights[{i}] has {w.shape[1]} columns but weights[{i - 1}] has "
                f"{mats[i - 1].shape[0]} rows (W_l must be h_l x h_(l-1))"
            )
    return mats


def layer_norms(weights: Sequence[ArrayLike]) -> NDArray[np.float64]:
    """Frobenius norms (‖w_1‖, …, ‖w_L‖); the total norm is ‖w‖ = √(Σ ‖w_l‖²)."""
    return np.array([np.linalg.norm(w) for w in check_weights(weights)])


def forward(weights: Sequence[ArrayLike], X: ArrayLike) -> NDArray[np.float64]:
    """Outputs f_w(x) of the bias-free ReLU network for every row x of X.

    Parameters
    ----------
    weights : sequence of array_like
        W_1, …, W_L with W_l of shape (h_l, h_(l−1)).
    X : array_like
        Inputs, shape (n, h_0).

    Returns
    -------
    ndarray, shape (n, h_L)
    """
    mats = check_weights(weights)
    h = v.as_finite("X", X)
    if h.ndim != 2 or h.shape[1] != mats[0].shape[1]:
        raise ValueError(f"X must have shape (n, {mats[0].shape[1]}), got {h.shape}")
    for w in mats[:-1]:
        h = np.maximum(h @ w.T, 0.0)
    return h @ mats[-1].T


def margins(outputs: ArrayLike, y: ArrayLike) -> NDArray[np.float64]:
    """D(y, f(x)) = f(x)[y] − max_(j≠y) f(x)[j] for each row of ``outputs`` (n, K), K ≥ 2."""
    f = v.as_finite("outputs", outputs)
    if f.ndim != 2 or f.shape[1] < 2:
        raise ValueError(f"outputs must have shape (n, K) with K >= 2 classes, got {f.shape}")
    labels = _labels(y, f.shape)
    rows = np.arange(f.shape[0])
    own = f[rows, labels]
    others = f.copy()
    others[rows, labels] = -np.inf
    return own - others.max(axis=1)


def _labels(y: ArrayLike, shape: tuple[int, ...]) -> NDArray[np.intp]:
    lab = v.integers("y", y, minimum=0)
    if lab.shape != (shape[0],):
        raise ValueError(f"y must have shape ({shape[0]},), got {lab.shape}")
    if np.any(lab >= shape[1]):
        raise ValueError(f"y must be a class index in [0, {shape[1]})")
    return lab.astype(np.intp)


def margin_loss(margin: ArrayLike, gamma: float) -> NDArray[np.float64]:
    """ℓ_γ = 1{D ≤ γ} (eq. 6), γ ≥ 0."""
    g = float(v.nonnegative("gamma", gamma))
    return (v.as_finite("margin", margin) <= g).astype(np.float64)


def ramp_loss(margin: ArrayLike, gamma: float, tau: float) -> NDArray[np.float64]:
    """ℓ_(γ,τ) of (S27): 1 if D ≤ γ, 1 − (D−γ)/τ if γ < D ≤ γ+τ, 0 above; γ ≥ 0, τ > 0.

    It is (1/τ)-Lipschitz in D, hence (√2/τ)-Lipschitz in f(x) (Lemma S3 i).
    """
    g = float(v.nonnegative("gamma", gamma))
    t = float(v.positive("tau", tau))
    dd = v.as_finite("margin", margin)
    return np.clip(1.0 - (dd - g) / t, 0.0, 1.0)


def empirical_margin_risk(
    weights: Sequence[ArrayLike], X: ArrayLike, y: ArrayLike, gamma: float
) -> np.float64:
    """R̂_γ(w) = (1/n) Σ_i ℓ_γ(y_i, f_w(x_i))."""
    return np.float64(margin_loss(margins(forward(weights, X), y), gamma).mean())


def empirical_ramp_risk(
    weights: Sequence[ArrayLike], X: ArrayLike, y: ArrayLike, gamma: float, tau: float
) -> np.float64:
    """R̂_(γ,τ)(w) = (1/n) Σ_i ℓ_(γ,τ)(y_i, f_w(x_i)) (S27)."""
    return np.float64(ramp_loss(margins(forward(weights, X), y), gamma, tau).mean())
