r"""Compressibility: the exact minimal remaining ratio κ_p(w, ε) and the pruning ratio (docs/theory.md §2, (S5)).

κ_p(w, ε) := min{κ : ‖w^(κd) − w‖_p ≤ ε‖w‖_p}, returned as k/d with k the smallest count of kept
entries that achieves the error (k = 0 when ε ≥ 1). Found by an exact O(d) weighted selection on
|w_i|^p (:mod:`sgdtails.simulator._select`), never a full sort. The same count is taken over singular values
(``scheme="singular"``: Schatten-p error, Frobenius at p = 2, Theorem 2) or over columns ranked by
their ℓp norms (``scheme="nodes"``: the ℓp error of vec(W) equals that of the column norms,
Theorem 3). Figures 3 and S1 use ε = 0.1, p = 2.
"""
from __future__ import annotations

import math

import numpy as np

from sgdtails.simulator._layers import as_layers
from sgdtails.simulator._select import finite_abs_max, max_prunable
from sgdtails.simulator.masks import node_norms
from sgdtails.simulator.validate import check_choice, check_eps, check_p, finite_array
from sgdtails.simulator.vocabulary import SCHEMES

__all__ = ["min_kappa", "pruning_ratio", "scheme_values"]


def scheme_values(w: object, scheme: str, p: float) -> tuple[np.ndarray, float]:
    """The values whose ℓp tail is the error of ``scheme``, and 1/max|value| to scale them by.

    magnitude: the entries of all layers (signed; their magnitudes count); singular: σ_i(W);
    nodes: the column norms ‖W(i)‖_p. Returns ``(values, scale)``, scale a power of two with
    max|value|·scale ∈ [1/2, 1), or 0 when all values vanish.
    """
    check_choice(scheme, "scheme", SCHEMES)
    if scheme == "magnitude":
        layers, _ = as_layers(w, finite=False)  # finiteness is checked in the max pass below
        flat = [x.ravel() for x in layers]
        v = flat[0] if len(flat) == 1 else np.concatenate(flat)
        v = np.ascontiguousarray(v, dtype=np.float64)
    else:
        A = finite_array(w, "w", ndim=2)
        v = np.linalg.svd(A, compute_uv=False) if scheme == "singular" else node_norms(A, p, 0)
    top = finite_abs_max(v)
    # A power of two: scaling is then exact, so results equal those of unscaled (streamed) sums.
    return v, (2.0 ** -math.frexp(top)[1] if top > 0.0 else 0.0)


def min_kappa(w: object, eps: float, *, p: float = 2.0, scheme: str = "magnitude") -> float:
    r"""The exact minimal remaining ratio κ_p(w, ε) of (S5), as k/d.

    Parameters
    ----------
    w : array or sequence of arrays
        Weights (``scheme="magnitude"`` pools all layers, as global pruning does); a 2-D matrix for
        ``"singular"`` and ``"nodes"``.
    eps : float
        Relative error level ε ≥ 0.
    p : float
        Exponent p > 0 of the ℓp error.
    scheme : {"magnitude", "singular", "nodes"}
        What is counted: entries, singular values, or columns.

    Returns
    -------
    float
        k/d with k the smallest number kept such that the relative ℓp error is ≤ ε; then
        ``relative_error(w, prune_magnitude(w, min_kappa(w, eps)))`` ≤ ε (for k ≥ 1).
    """
    e = check_eps(eps)
    q = check_p(p)
    v, scale = scheme_values(w, scheme, q)
    if scale == 0.0:
        raise ValueError("w must not be all zeros (the relative error is undefined)")
    if e >= 1.0:
        return 0.0  # keeping nothing already has relative error 1
    if q == 2.0:
        m = max_prunable(v, scale, True, e * e)
    else:
        with np.errstate(under="ignore"):
            m = max_prunable(np.abs(v * scale) ** q, 1.0, False, e**q)
    return (v.size - m) / v.size


def pruning_ratio(w: object, eps: float, *, p: float = 2.0, scheme: str = "magnitude") -> float:
    """1 − κ_p(w, ε): the fraction that can be pruned at relative ℓp error ε (Figures 3, S1)."""
    return 1.0 - min_kappa(w, eps, p=p, scheme=scheme)
