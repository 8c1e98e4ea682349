r"""Pruning schemes and the relative ℓp compression error (SPEC §2).

κ is always the *remaining* (kept) ratio, κ ∈ (0, 1]; the pruning ratio is 1 − κ.

* Magnitude pruning keeps the ⌈κd⌉ entries of largest magnitude: globally over all layers
  (w^(κd), Theorem 1 (i)) or per layer (w_l^(κ_l d_l), Theorem 1 (ii)).
* Singular value pruning W^[k] = U Σ^(k) Vᵀ (Theorem 2), counting singular values or, as the
  experiments do, parameters (r(m + n + 1) numbers for r kept triplets; the paper's code counted
  r(m + n): ``count="paper"``).
* Node pruning keeps the ⌈κh⌉ columns (or rows) of largest ℓp norm (Theorem 3).

⌈κd⌉ is taken after rounding κd to 6 decimals, so that κ = 0.1, d = 30 keeps 3 entries although
binary 0.1 is slightly above 1/10 (see :func:`keep_count`).
"""
from __future__ import annotations

import math

import numpy as np

from simulator._layers import as_layers, rebuild
from simulator._validate import check_choice, check_kappa, check_p, finite_array

__all__ = ["keep_count", "prune_magnitude", "prune_singular", "prune_nodes", "relative_error", "lp_norm"]


def keep_count(kappa: float, d: int) -> int:
    """⌈κd⌉, the number of entries kept at remaining ratio κ out of d (at least 1, at most d)."""
    k = check_kappa(kappa)
    return min(d, max(1, math.ceil(round(k * d, 6))))


def _top_mask(values: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of exactly k entries of largest value (ties broken by position)."""
    mask = np.zeros(values.size, dtype=bool)
    if k >= values.size:
        mask[:] = True
    elif k > 0:
        mask[np.argpartition(values, values.size - k)[values.size - k :]] = True
    return mask


def prune_magnitude(
    w: object,
    kappa: float | list[float],
    *,
    scope: str = "global",
    center: str | None = None,
) -> object:
    r"""Keep the ⌈κd⌉ largest-magnitude entries, zero the rest (k-best term approximation, §2).

    Parameters
    ----------
    w : array or sequence of arrays
        The weights (one array, or the layers w_1 … w_L).
    kappa : float or sequence of float
        Remaining ratio κ ∈ (0, 1]; with ``scope="layer"`` one value or one per layer (κ_l).
    scope : {"global", "layer"}
        Global magnitude pruning w^(κd) over all layers, or layer-wise w_l^(κ_l d_l).
    center : {None, "median"}
        With ``"median"``, each layer's median is subtracted first and added back after, so the
        pruned entries are set to the median (the experiments' convention).

    Returns
    -------
    The pruned weights in the structure of ``w`` (an array, or a list/tuple of arrays).
    """
    layers, seq = as_layers(w)
    check_choice(scope, "scope", ("global", "layer"))
    check_choice(center, "center", (None, "median"))
    centers = [float(np.median(x)) if center == "median" else 0.0 for x in layers]
    dev = [np.abs(x - c).ravel() for x, c in zip(layers, centers)]
    if scope == "global":
        if not np.isscalar(kappa):
            raise ValueError("kappa must be one value for scope='global'")
        flat = np.concatenate(dev)
        mask = _top_mask(flat, keep_count(kappa, flat.size))
        masks = np.split(mask, np.cumsum([d.size for d in dev])[:-1])
    else:
        kappas = [kappa] * len(layers) if np.isscalar(kappa) else list(kappa)
        if len(kappas) != len(layers):
            raise ValueError(f"kappa must have one value per layer ({len(layers)}), got {len(kappas)}")
        masks = [_top_mask(d, keep_count(k, d.size)) for d, k in zip(dev, kappas)]
    out = [np.where(m.reshape(x.shape), x, np.asarray(c, dtype=x.dtype)) for x, m, c in zip(layers, masks, centers)]
    return rebuild(out, seq, w)


def _matrix(W: object, name: str = "W") -> np.ndarray:
    return finite_array(W, name, ndim=2)


def prune_singular(W: object, kappa: float, *, count: str = "values") -> np.ndarray:
    r"""Singular value pruning W^[r] = U Σ^(r) Vᵀ (Theorem 2; SPEC §2).

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
    The rank-r matrix; its squared Frobenius error is the sum of the pruned σ_i².
    """
    A = _matrix(W)
    k = check_kappa(kappa)
    check_choice(count, "count", ("values", "parameters", "paper"))
    m, n = A.shape
    if count == "values":
        r = keep_count(k, min(m, n))
    else:
        per = m + n + (1 if count == "parameters" else 0)
        r = min(min(m, n), math.floor(round(k * m * n, 6) / per))
    U, s, Vt = np.linalg.svd(A, full_matrices=False)
    return (U[:, :r] * s[:r]) @ Vt[:r]


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
    """
    A = _matrix(W)
    check_kappa(kappa)
    q = check_p(p)
    check_choice(by, "by", ("columns", "rows"))
    axis = 0 if by == "columns" else 1
    norms = _node_norms(A, q, axis)
    keep = _top_mask(norms, keep_count(kappa, norms.size))
    return A * (keep[None, :] if axis == 0 else keep[:, None])


def _node_norms(A: np.ndarray, p: float, axis: int) -> np.ndarray:
    """ℓp norms of the columns (axis=0) or rows (axis=1), scaled by max|A| to avoid overflow."""
    top = float(np.max(np.abs(A))) or 1.0
    return np.sum((np.abs(A) / top) ** p, axis=axis) ** (1.0 / p)


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
