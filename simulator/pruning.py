r"""Pruning schemes and the relative ℓp compression error (docs/theory.md §2).

κ is always the *remaining* (kept) ratio, κ ∈ (0, 1]; the pruning ratio is 1 − κ.

* Magnitude pruning keeps the ⌈κd⌉ entries of largest magnitude: globally over all layers
  (w^(κd), Theorem 1 (i)) or per layer (w_l^(κ_l d_l), Theorem 1 (ii)).
* Singular value pruning W^[k] = U Σ^(k) Vᵀ (Theorem 2), counting singular values or, as the
  experiments do, parameters (r(m + n + 1) numbers for r kept triplets; the paper's code counted
  r(m + n): ``count="paper"``).
* Node pruning keeps the ⌈κh⌉ columns (or rows) of largest ℓp norm (Theorem 3).

⌈κd⌉ is taken after rounding κd to 6 decimals, so that κ = 0.14, d = 100 keeps 14 entries although
the floating-point product 0.14·100 is 14.000000000000002 (see :func:`keep_count`). What each scheme keeps is a public
object of :mod:`sgdtails.simulator.masks` (a mask, or the singular-value projector); the
functions here apply it.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import numpy as np

from sgdtails.simulator._layers import as_layers, rebuild
from sgdtails.simulator.masks import centers_of, keep_count, layer_masks, nodes_kept, singular_projector
from sgdtails.simulator.validate import check_p, finite_array

__all__ = ["keep_count", "prune_magnitude", "prune_singular", "prune_nodes", "relative_error", "lp_norm"]


@overload
def prune_magnitude(w: list[np.ndarray], kappa: float | Sequence[float], *, scope: str = ...,
                    center: str | None = ...) -> list[np.ndarray]: ...
@overload
def prune_magnitude(w: tuple[np.ndarray, ...], kappa: float | Sequence[float], *, scope: str = ...,
                    center: str | None = ...) -> tuple[np.ndarray, ...]: ...
@overload
def prune_magnitude(w: Any, kappa: float | Sequence[float], *, scope: str = ...,
                    center: str | None = ...) -> np.ndarray: ...


def prune_magnitude(
    w: Any,
    kappa: float | Sequence[float],
    *,
    scope: str = "global",
    center: str | None = None,
) -> Any:
    r"""Keep the ⌈κd⌉ largest-magnitude entries, zero the rest (k-best term approximation, §2).

    Parameters
    ----------
    w : array or sequence of arrays
        The weights (one array, or the layers w_1 … w_L).
    kappa : float or sequence of float
        Kept fraction κ ∈ (0, 1]; with ``scope="layer"`` one value or one per layer (κ_l).
    scope : {"global", "layer"}
        Global magnitude pruning w^(κd) over all layers, or layer-wise w_l^(κ_l d_l).
    center : {None, "median"}
        With ``"median"``, each layer's median is subtracted first and added back after, so the
        pruned entries are set to the median (the experiments' convention).

    Returns
    -------
    The pruned weights in the structure of ``w`` (an array, or a list/tuple of arrays); the kept
    entries are :func:`sgdtails.simulator.magnitude_mask`.
    """
    layers, seq = as_layers(w)
    centers = centers_of(layers, center)
    masks = layer_masks(layers, kappa, scope, centers)
    out = [np.where(m, x, np.asarray(c, dtype=x.dtype)) for x, m, c in zip(layers, masks, centers)]
    return rebuild(out, seq, w)


def prune_singular(W: object, kappa: float, *, count: str = "values") -> np.ndarray:
    r"""Singular value pruning W^[r] = U Σ^(r) Vᵀ (Theorem 2; docs/theory.md §2).

    Parameters
    ----------
    W : array of shape (m, n)
    kappa : float
        κ ∈ (0, 1].
    count : {"values", "parameters", "paper"}
        ``"values"`` keeps r = ⌈κ·min(m, n)⌉ singular values (Theorem 2's count);
        ``"parameters"`` keeps the largest r with r(m + n + 1) ≤ κmn (the experiments);
        ``"paper"`` the largest r with r(m + n) ≤ κmn (the paper's code). r may be 0 there.

    Returns
    -------
    The rank-r matrix :meth:`SingularProjector.low_rank` of
    :func:`sgdtails.simulator.singular_projector`; its squared Frobenius error is the sum of the
    pruned σ_i².
    """
    return singular_projector(W, kappa, count=count).low_rank()


def prune_nodes(W: object, kappa: float, *, p: float = 2.0, by: str = "columns") -> np.ndarray:
    r"""Node pruning: keep the ⌈κh⌉ columns (or rows) of largest ℓp norm (Theorem 3).

    Parameters
    ----------
    W : array of shape (h_l, h_(l−1))
        Column i, W(i), holds the outgoing weights of node i of layer l − 1.
    kappa : float
        κ ∈ (0, 1].
    p : float
        Exponent of the norm ranking the nodes.
    by : {"columns", "rows"}
        Prune columns (Theorem 3) or rows.

    Returns
    -------
    ``W`` times :func:`sgdtails.simulator.node_mask` (pruned entries become 0).
    """
    A = finite_array(W, "W", ndim=2)
    return A * nodes_kept(A, kappa, p, by)


def lp_norm(x: np.ndarray, p: float) -> float:
    """‖x‖_p (a semi-norm for p < 1), computed without overflow by scaling with max|x|."""
    a = np.abs(np.asarray(x, dtype=np.float64)).ravel()
    top = float(a.max()) if a.size else 0.0
    if top == 0.0:
        return 0.0
    return top * float(np.sum((a / top) ** p)) ** (1.0 / p)


def relative_error(w: object, w_hat: object, *, p: float = 2.0) -> float:
    r"""Relative ℓp compression error ‖ŵ − w‖_p / ‖w‖_p over all entries of all layers (§2).

    Parameters
    ----------
    w, w_hat : array or sequence of arrays
        The weights and their compressed version, in the same structure and shapes.
    p : float
        p > 0 (a semi-norm for p < 1). Not defined for w = 0 (raises).
    """
    q = check_p(p)
    layers, _ = as_layers(w, "w")
    approx, _ = as_layers(w_hat, "w_hat")
    if len(layers) != len(approx) or any(a.shape != b.shape for a, b in zip(layers, approx)):
        raise ValueError("w and w_hat must have the same structure and shapes")
    x = np.concatenate([a.ravel() for a in layers]).astype(np.float64)
    diff = np.concatenate([(b.astype(np.float64) - a.astype(np.float64)).ravel() for a, b in zip(layers, approx)])
    top = float(np.max(np.abs(x)))
    if top == 0.0:
        raise ValueError("w must not be all zeros (the relative error is undefined)")
    return lp_norm(diff / top, q) / lp_norm(x / top, q)
