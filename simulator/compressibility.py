r"""Compressibility: the exact minimal remaining ratio κ_p(w, ε) and the pruning ratio (docs/theory.md §2, (S5)).

κ_p(w, ε) := min{κ : ‖w^(κd) − w‖_p ≤ ε‖w‖_p}, returned as k/d with k the smallest count of kept
entries that achieves the error (k = 0 when ε ≥ 1). Found by an exact O(d) weighted selection on
|w_i|^p (:mod:`sgdtails.simulator._select`), never a full sort. The same count is taken over singular values
(``scheme="singular"``: Schatten-p error, Frobenius at p = 2, Theorem 2) or over columns ranked by
their ℓp norms (``scheme="nodes"``: the ℓp error of vec(W) equals that of the column norms,
Theorem 3). Figures 3 and S1 use ε = 0.1, p = 2.

Range: every finite w (subnormal to ±max) and p > 0 has a well-defined answer. The budget
ε^p Σ|w_i|^p is summed directly (scaled so that max|w_i| ∈ [1/2, 1)) when that is accurate, i.e. when
ε^p 2^(−p) ≥ 2^(−900) (for every input dtype: the y are formed in float64) and, for p < 1, no
nonzero scaled value underflows in float64; otherwise (large p such as p = 3000, tiny ε, tiny p, subnormal
entries) the same selection runs on z_i = exp(p(log|w_i| − log max|w|) − p log ε) against the budget
Σ exp(p(log|w_i| − log max|w|)) ∈ [1, d], which neither underflows nor overflows where it matters
(entries too large ever to be pruned are capped at 2^1000). For ε < 1 at least one entry is always
kept (κ ≥ 1/d), as the definition requires.

float32. A float32 w is read as it is, never copied to float64: the selection forms each y = |w_i|^p
(scaled) in float64 from the exactly widened entry and accumulates every sum in float64, so for
``scheme="magnitude"`` and ``"nodes"`` κ of a float32 array is the exact κ of those float32 values, bit
for bit the κ of ``w.astype(np.float64)``. Memory beyond the array: the histogram (one 65,536-bin row,
1 MiB, per 2^20 entries: about one byte per entry), for p ∉ {1, 2} a 512 KiB float64 block of y, and the
boundary bin's values; only the rare log-domain fallback above (extreme p or ε) allocates float64 work
arrays of the array's size. ``"singular"`` takes the SVD in w's own precision (LAPACK's float32 SVD for
a float32 w: its singular values carry float32 rounding, ~1e-7·σ_1, and differ from those of the
float64 copy) and then selects exactly on those σ_i. Other real dtypes (float16, integers, bool) are
converted to float64 on input (:func:`~sgdtails.simulator.validate.finite_array`), exactly except for
integers beyond 2^53 (rounded to nearest); complex input is refused.
"""
from __future__ import annotations

import math

import numpy as np

from sgdtails.simulator._layers import as_layers
from sgdtails.simulator._select import finite_abs_max, log_pow_sum, max_prunable, min_nonzero_abs
from sgdtails.simulator.masks import UNDERFLOW_FLOOR, node_norms, node_pow_sums, singular_values
from sgdtails.simulator.validate import check_choice, check_eps, check_p, finite_array
from sgdtails.simulator.vocabulary import SCHEMES

__all__ = ["min_kappa", "pruning_ratio", "scheme_values"]


def scheme_values(w: object, scheme: str, p: float) -> tuple[np.ndarray, float]:
    """The values whose ℓp tail is the error of ``scheme``, and 1/max|value| to scale them by.

    magnitude: the entries of all layers (signed; their magnitudes count), in w's dtype (float32 kept,
    without a copy for one contiguous array; layers of mixed dtypes are pooled as float64); singular:
    σ_i(W) (float32 for a float32 W); nodes: the column norms ‖W(i)‖_p (divided by max|W|, as
    :func:`~sgdtails.simulator.masks.node_norms` returns them). Returns ``(values, scale)``, scale a power
    of two with max|value|·scale ∈ [1/2, 1), or 0 when all values vanish. Singular values of a W with
    max|W| ≥ 2^960 come multiplied by an exact power of two 2^(−j) (so that σ_1 does not overflow); the
    values of nodes at tiny p may be inf: :func:`min_kappa` then works on logarithms instead.
    """
    check_choice(scheme, "scheme", SCHEMES)
    if scheme == "magnitude":
        layers, _ = as_layers(w, finite=False)  # finiteness is checked in the max pass below
        flat = [x.ravel() for x in layers]
        v = flat[0] if len(flat) == 1 else np.concatenate(flat)
        v = np.ascontiguousarray(v)  # float32 stays float32: the kernels widen each entry, never the array
    else:
        A = finite_array(w, "w", ndim=2)
        if scheme == "singular":
            v = singular_values(A)[0]
        else:
            with np.errstate(over="ignore", under="ignore"):
                v = node_norms(A, p, 0)
            if not np.isfinite(v).all():
                raise ValueError(f"the column l_p norms of w overflow float64 at p={p:g}")
    top = finite_abs_max(v)
    # A power of two: scaling is then exact, so results equal those of unscaled (streamed) sums.
    return v, _pow2_scale(top)


def _pow2_scale(top: float) -> float:
    """2^(−e) with top·2^(−e) ∈ [1/2, 1); 0 for top = 0; inf where 2^(−e) overflows (subnormal top)."""
    if top == 0.0:
        return 0.0
    e = math.frexp(top)[1]
    return 2.0**-e if e > -1023 else math.inf


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
        ``relative_error(w, prune_magnitude(w, min_kappa(w, eps)))`` ≤ ε (for k ≥ 1). k = 0 exactly
        when ε ≥ 1; for ε < 1, k ≥ 1. Any finite w (not all zeros) and p > 0 are accepted: extreme p
        or magnitudes are handled in the scaled domain of the module docstring. A float32 w is
        selected in place, with float64 arithmetic: for "magnitude" and "nodes" the result is that of
        ``w.astype(np.float64)`` (module docstring, "float32"); other dtypes are converted to float64.

    Raises
    ------
    ValueError
        If w holds NaN/inf or only zeros (the relative error is undefined), or an argument is invalid.
    """
    e = check_eps(eps)
    q = check_p(p)
    check_choice(scheme, "scheme", SCHEMES)
    ratio = e * e if q == 2.0 else e**q
    if scheme == "nodes":
        A = finite_array(w, "w", ndim=2)
        y = _node_pow_sums(A, q, ratio)
        if y is None:
            return _robust_kappa(_log_node_pow(A, q), e, q)
        if e >= 1.0:
            return 0.0
        m = max_prunable(y, 1.0, False, ratio)
        return (y.size - min(m, y.size - 1)) / y.size
    v, scale = scheme_values(w, scheme, q)
    if scale == math.inf:  # subnormal max: an exact power of two brings the values into the normal range
        v = np.ascontiguousarray(v, dtype=np.float64) * _SUBNORMAL_LIFT
        scale = _pow2_scale(finite_abs_max(v))
    if scale == 0.0:
        raise ValueError("w must not be all zeros (the relative error is undefined)")
    if e >= 1.0:
        return 0.0  # keeping nothing already has relative error 1
    if not _direct_ok(v, scale, q, ratio):
        with np.errstate(divide="ignore"):
            return _robust_kappa(q * np.log(np.abs(v), dtype=np.float64), e, q)  # float64 logs of float32 too
    m = max_prunable(v, scale, q, ratio)  # y = (|v_i|·scale)^q per entry, in float64 (no array of y)
    return (v.size - min(m, v.size - 1)) / v.size  # ε < 1: pruning all (error 1) never qualifies


_Z_CAP = 2.0**1000
_SUBNORMAL_LIFT = 2.0**600
"""Multiplying a subnormal (≥ 2^-1074) by 2^600 is exact and lands in the normal range (≤ 2^-422)."""


def _node_pow_sums(A: np.ndarray, q: float, ratio: float) -> np.ndarray | None:
    """Σ_i (|A_ij|·2^-e)^q per column j, 2^-e the power of two putting max|A| in [1/2, 1); None if inaccurate.

    The q-th powers are summed directly (no q-th root taken and raised again, which would round twice
    and decide exact ties wrongly); the scaling is exact, so the selection sees the column sums of
    |A|^q up to one common power of two. Each term is formed and summed in float64 from A as it is
    (:func:`~sgdtails.simulator.masks.node_pow_sums`, the ranking of node pruning: a float32 A is not
    copied). None when the budget would underflow (:func:`_direct_ok`'s rule) or the sums cannot be
    trusted (a live column's sum underflows, or for q < 1 a nonzero scaled entry is subnormal): then
    :func:`_log_node_pow` ranks the columns instead.
    """
    y = node_pow_sums(A, q, 0)
    if y is not None and not np.any(y):  # live columns have sums ≥ 2^-900: all columns are zero
        raise ValueError("w must not be all zeros (the relative error is undefined)")
    with np.errstate(under="ignore"):
        if not ratio * 2.0**-q >= UNDERFLOW_FLOOR[np.dtype(np.float64)]:
            return None
    return y


def _direct_ok(v: np.ndarray, scale: float, q: float, ratio: float) -> bool:
    """Whether the budget ratio·Σ(|v|·scale)^q and the prunable y are summed accurately in float64.

    The y are always formed in float64 (also for float32 v: the kernels widen each entry first), with
    max|v|·scale ≥ 1/2, so Σy ≥ 2^(−q) and the budget is ≥ ratio·2^(−q): above 2^(−900)
    (:data:`~sgdtails.simulator.masks.UNDERFLOW_FLOOR` of float64), a y lost to underflow (< 2^(−1022))
    is negligible against it. For q < 1 an underflowed y would not be small (u^q ≫ u), so no nonzero
    |v|·scale may be subnormal.
    """
    if not scale < math.inf:
        return False
    with np.errstate(under="ignore", over="ignore"):
        if not ratio * 2.0**-q >= UNDERFLOW_FLOOR[np.dtype(np.float64)]:
            return False
        if q < 1.0:
            return bool(min_nonzero_abs(v) * scale >= _TINY64)  # inf (no nonzero) passes
    return True


_TINY64 = float(np.finfo(np.float64).tiny)


def _log_node_pow(A: np.ndarray, q: float) -> np.ndarray:
    """Log Σ_i |A_ij|^q for each column j (−inf for a zero column), without under/overflow (float64 logs)."""
    with np.errstate(divide="ignore"):
        return log_pow_sum(np.log(np.abs(A), dtype=np.float64), q, axis=0)


def _robust_kappa(ly: np.ndarray, e: float, q: float) -> float:
    """κ from ly = log y (y the |value|^q; −inf for zeros) in the scaled domain of the module docstring.

    Budget T = Σ exp(ly − max ly) ∈ [1, d]; the selection runs on z = exp(ly − max ly − q log ε), whose
    m smallest sum to ≤ T exactly when those y sum to ≤ ε^q Σy. At ε ≥ 1 κ = 0, as in :func:`min_kappa`.
    """
    ly = np.ascontiguousarray(ly, dtype=np.float64).ravel()
    top = float(np.max(ly))
    if top == -math.inf:
        raise ValueError("w must not be all zeros (the relative error is undefined)")
    if e >= 1.0:
        return 0.0
    with np.errstate(under="ignore", over="ignore"):
        shifted = ly - top
        budget = float(np.sum(np.exp(shifted)))
        z = np.exp(shifted - q * math.log(e)) if e > 0.0 else np.where(ly == -math.inf, 0.0, math.inf)
    # z > budget (≤ d) can never be pruned: cap it at a finite 2^1000 (the selection's bins need finite y).
    m = max_prunable(np.minimum(z, _Z_CAP), 1.0, False, 0.0, budget=budget)
    return (ly.size - min(m, ly.size - 1)) / ly.size


def pruning_ratio(w: object, eps: float, *, p: float = 2.0, scheme: str = "magnitude") -> float:
    """1 − κ_p(w, ε): the fraction that can be pruned at relative ℓp error ε (Figures 3, S1)."""
    return 1.0 - min_kappa(w, eps, p=p, scheme=scheme)
