r"""Pruning schemes and the relative ℓp compression error (docs/theory.md §2).

κ is always the *remaining* (kept) ratio, κ ∈ (0, 1]; the pruning ratio is 1 − κ.

* Magnitude pruning keeps the ⌈κd⌉ entries of largest magnitude: globally over all layers
  (w^(κd), Theorem 1 (i)) or per layer (w_l^(κ_l d_l), Theorem 1 (ii)).
* Singular value pruning W^[k] = U Σ^(k) Vᵀ (Theorem 2), counting singular values or, as the
  experiments do, parameters (r(m + n + 1) numbers for r kept triplets); ``count="paper"`` is the
  authors' code, which sweeps the singular-value ratio (keeps s − ⌊s·ratio⌋ of s values) and
  counts r(m + n) parameters (:func:`sgdtails.simulator.masks.singular_rank`).
* Node pruning keeps the ⌈κh⌉ columns (or rows) of largest ℓp norm (Theorem 3).

⌈κd⌉ is taken after rounding κd to 6 decimals, so that κ = 0.14, d = 100 keeps 14 entries although
the floating-point product 0.14·100 is 14.000000000000002 (see :func:`keep_count`). What each scheme keeps is a public
object of :mod:`sgdtails.simulator.masks` (a mask, or the singular-value projector); the
functions here apply it.

dtypes: float32 weights stay float32 (the pruned arrays are float32, and the entries kept are those of
``w.astype(np.float64)``: see :mod:`sgdtails.simulator.masks`); every other real dtype (float16,
integers, bool) is converted to float64 first, as by :func:`~sgdtails.simulator.validate.finite_array`
(exact, but for integers beyond 2^53), and complex or non-numeric input is refused with ValueError.
:func:`relative_error` and :func:`lp_norm` compute in float64 whatever the input.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, overload

import numpy as np

from sgdtails.simulator._layers import as_layers, rebuild
from sgdtails.simulator._select import min_nonzero_abs
from sgdtails.simulator.masks import (
    centers_of,
    keep_count,
    layer_masks,
    matrix_svd,
    nodes_kept,
    singular_rank,
)
from sgdtails.simulator.validate import check_p, finite_array

__all__ = ["keep_count", "prune_magnitude", "prune_singular", "prune_nodes", "relative_error", "lp_norm"]


@overload
def prune_magnitude(w: list[np.ndarray], kappa: float | Sequence[float], *, scope: str = ...,
                    center: str | None = ..., centers: Sequence[float] | None = ...) -> list[np.ndarray]: ...
@overload
def prune_magnitude(w: tuple[np.ndarray, ...], kappa: float | Sequence[float], *, scope: str = ...,
                    center: str | None = ..., centers: Sequence[float] | None = ...) -> tuple[np.ndarray, ...]: ...
@overload
def prune_magnitude(w: Any, kappa: float | Sequence[float], *, scope: str = ...,
                    center: str | None = ..., centers: Sequence[float] | None = ...) -> np.ndarray: ...


def prune_magnitude(
    w: Any,
    kappa: float | Sequence[float],
    *,
    scope: str = "global",
    center: str | None = None,
    centers: Sequence[float] | None = None,
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
    centers : sequence of float, optional
        The value of ``center`` for each layer, computed once by a caller that prunes the same
        layers at many κ (a median costs as much as the pruning); the same result bit for bit.

    Returns
    -------
    The pruned weights in the structure of ``w`` (an array, or a list/tuple of arrays), each in its
    layer's dtype (float32 stays float32; a centre is cast to it); the kept entries are
    :func:`sgdtails.simulator.magnitude_mask`.
    """
    layers, seq = as_layers(w)
    if centers is None:
        cs = centers_of(layers, center)
    elif len(centers) != len(layers):
        raise ValueError(f"centers must have one entry per layer ({len(layers)}), got {len(centers)}")
    else:
        cs = [float(c) for c in centers]
    masks = layer_masks(layers, kappa, scope, cs)
    out = [np.where(m, x, np.asarray(c, dtype=x.dtype)) for x, m, c in zip(layers, masks, cs)]
    return rebuild(out, seq, w)


def prune_singular(W: object, kappa: float, *, count: str = "values") -> np.ndarray:
    r"""Singular value pruning W^[r] = U Σ^(r) Vᵀ (Theorem 2; docs/theory.md §2).

    Parameters
    ----------
    W : array of shape (m, n)
    kappa : float
        κ ∈ (0, 1].
    count : {"values", "parameters", "paper"}
        What κ counts (:func:`sgdtails.simulator.singular_rank`): ``"values"`` keeps
        r = ⌈κ·min(m, n)⌉ singular values (Theorem 2's count); ``"parameters"`` the largest r with
        r(m + n + 1) ≤ κmn (the experiments, S1.5); ``"paper"`` the authors' code, which sweeps
        the singular-value ratio 1 − κ and keeps s − ⌊s(1 − κ)⌋ of the s = min(m, n) values
        (375 of 500 at κ = 0.75). r may be 0 under the last two.

    Returns
    -------
    The rank-r matrix :meth:`sgdtails.simulator.masks.MatrixSVD.low_rank` of the SVD of W (the
    same as :meth:`SingularProjector.low_rank` of :func:`sgdtails.simulator.singular_projector`);
    its squared Frobenius error is the sum of the pruned σ_i². For max|W| outside [2^−960, 2^960]
    the SVD is taken of W·2^(−j) (exact) and the result multiplied back by 2^j, so that
    σ_1 ≥ 2^1024 does not overflow; ``ValueError`` if the pruned matrix itself does not fit in
    float64. To prune one matrix at many κ, take :func:`sgdtails.simulator.masks.matrix_svd` once.
    """
    A = finite_array(W, "W", ndim=2)
    r = singular_rank(kappa, A.shape[0], A.shape[1], count=count)
    return matrix_svd(A).low_rank(r)


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
    ``W`` times :func:`sgdtails.simulator.node_mask` (pruned entries become 0), in W's dtype (float32 stays
    float32; the columns are ranked in float64, :func:`sgdtails.simulator.node_mask`).
    """
    A = finite_array(W, "W", ndim=2)
    return A * nodes_kept(A, kappa, p, by)


def lp_norm(x: np.ndarray, p: float) -> float:
    """‖x‖_p (a semi-norm for p < 1), computed without overflow by scaling with max|x|.

    Written ‖x‖_p = M·S^(1/p), M = max|x|, S = Σ(|x_i|/M)^p ∈ [1, d]; S is summed in a log domain
    where the direct terms would underflow (p < 1 with subnormal ratios) and S^(1/p) is taken as
    exp(log S / p). ``ValueError`` if x holds NaN/inf or ‖x‖_p exceeds float64 (tiny p: ‖x‖_p ≥ M·S^(1/p)
    grows without bound).
    """
    q = check_p(p)
    a = np.abs(np.asarray(x, dtype=np.float64)).ravel()
    top = float(a.max()) if a.size else 0.0
    if top == 0.0:
        return 0.0
    if not np.isfinite(top):
        raise ValueError("x contains NaN or inf")
    with np.errstate(over="ignore", under="ignore"):
        out = _pow_root(top, float(np.sum((a / top) ** q)), q)
    if np.isfinite(out) and _scaled_ok(a, top, q):
        return out
    log_norm = math.log(top) + _log_sum_ratio(a, top, q) / q
    if log_norm > _LOG_MAX:
        raise ValueError(f"the l_p norm of x overflows float64 at p={q:g}")
    return math.exp(log_norm)


_TINY = float(np.finfo(np.float64).tiny)
_LOG_MAX = math.log(float(np.finfo(np.float64).max))
_LOG_TINY = math.log(_TINY)


def _scaled_ok(a: np.ndarray, top: float, q: float) -> bool:
    """Whether Σ(a/top)^q is accurate: for q < 1 no nonzero a/top may underflow (u^q ≫ u)."""
    if q >= 1.0:
        return True
    return bool(min_nonzero_abs(a) / top >= _TINY)  # inf (no nonzero) passes


def _diff_scaled_ok(diff: np.ndarray, top: float, q: float) -> bool:
    """For q < 1: neither diff/top nor (diff/top)/max|diff/top| (:func:`_plain_lp`'s two divisions) underflows."""
    if q >= 1.0:
        return True
    a = np.abs(diff)
    return _scaled_ok(a, top, q) and _scaled_ok(a, float(a.max()) or 1.0, q)


def _log_sum_ratio(a: np.ndarray, top: float, q: float) -> float:
    """Log Σ(a_i/top)^q for a ≥ 0 with max a = top > 0 (the sum lies in [1, d]), underflow-safe."""
    with np.errstate(under="ignore"):
        if _scaled_ok(a, top, q):
            return math.log(float(np.sum((a / top) ** q)))
        with np.errstate(divide="ignore"):
            return math.log(float(np.sum(np.exp(q * (np.log(a) - math.log(top))))))


def _ratio_lp(num: np.ndarray, den: np.ndarray, q: float, name: str) -> float:
    """‖num‖_q / ‖den‖_q of finite arrays (den ≠ 0) as (M_n/M_d)·exp((log S_n − log S_d)/q)."""
    a, b = np.abs(num), np.abs(den)
    tn, td = float(a.max()), float(b.max())
    if tn == 0.0:
        return 0.0
    return _combine(tn, _log_sum_ratio(a, tn, q), td, _log_sum_ratio(b, td, q), q, name)


def _combine(tn: float, log_sn: float, td: float, log_sd: float, q: float, name: str, factor: float = 1.0) -> float:
    """factor·(tn/td)·exp((log_sn − log_sd)/q): the ratio of two norms M·S^(1/q), without under/overflow."""
    log_s = (log_sn - log_sd) / q
    with np.errstate(over="ignore", under="ignore"):
        head = tn / td
    if _TINY <= head < math.inf and _LOG_TINY <= log_s <= _LOG_MAX:  # both factors normal: no digits lost
        out = head * math.exp(log_s) * factor
        if out < math.inf:
            return out
    log_out = math.log(tn) - math.log(td) + log_s + math.log(factor)
    if log_out > _LOG_MAX:
        raise ValueError(f"the relative error of {name} overflows float64 (> 1.8e308 at p={q:g})")
    return math.exp(log_out)


def _overflowed_ratio(x: np.ndarray, y: np.ndarray, diff: np.ndarray, q: float) -> float:
    """‖y − x‖_q / ‖x‖_q where some y_i − x_i overflow: ‖y − x‖ = 2‖(y − x)/2‖, the halves in a log domain.

    Where y_i − x_i overflowed, both are near ±max and (y_i/2 − x_i/2) is exact; elsewhere the
    difference is exact and only its logarithm is shifted by log 2, so no entry (not even a
    subnormal one) loses digits.
    """
    over = ~np.isfinite(diff)
    halves = y[over] * 0.5 - x[over] * 0.5
    rest = np.abs(diff[~over])
    top = max(float(np.max(np.abs(halves))), float(rest.max()) * 0.5 if rest.size else 0.0)
    with np.errstate(divide="ignore", under="ignore"):
        la = np.concatenate([np.log(np.abs(halves)), np.log(rest) - math.log(2.0)])
        log_sn = math.log(float(np.sum(np.exp(q * (la - math.log(top))))))
    b = np.abs(x)
    td = float(b.max())
    return _combine(top, log_sn, td, _log_sum_ratio(b, td, q), q, "w_hat", factor=2.0)


def relative_error(w: object, w_hat: object, *, p: float = 2.0) -> float:
    r"""Relative ℓp compression error ‖ŵ − w‖_p / ‖w‖_p over all entries of all layers (§2).

    Parameters
    ----------
    w, w_hat : array or sequence of arrays
        The weights and their compressed version, in the same structure and shapes.
    p : float
        p > 0 (a semi-norm for p < 1). Not defined for w = 0 (raises).

    Any finite inputs are accepted: where the direct scaled sums would over- or underflow (w and
    ``w_hat`` near ±max, subnormal entries at p < 1, tiny or huge p) each norm is taken as
    max·exp(log S / p) with S summed relative to its own largest term. ``ValueError`` if the ratio
    itself exceeds float64 (only for a ``w_hat`` far larger than w).
    """
    q = check_p(p)
    layers, _ = as_layers(w, "w")
    approx, _ = as_layers(w_hat, "w_hat")
    if len(layers) != len(approx) or any(a.shape != b.shape for a, b in zip(layers, approx)):
        raise ValueError("w and w_hat must have the same structure and shapes")
    x = np.concatenate([a.ravel() for a in layers]).astype(np.float64)
    with np.errstate(over="ignore"):
        diff = np.concatenate([(b.astype(np.float64) - a.astype(np.float64)).ravel() for a, b in zip(layers, approx)])
    top = float(np.max(np.abs(x)))
    if top == 0.0:
        raise ValueError("w must not be all zeros (the relative error is undefined)")
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        num, den = _plain_lp(diff / top, q), _plain_lp(x / top, q)
        out = num / den
    plain_ok = math.isfinite(num) and 0.0 < den < math.inf and math.isfinite(out)
    if plain_ok and np.isfinite(diff).all() and _scaled_ok(np.abs(x), top, q) and _diff_scaled_ok(diff, top, q):
        return out
    # w and w_hat near ±max (w_hat − w overflows), subnormal entries at p < 1, or tiny p: the ratio of the
    # two scaled sums, each summed in a log domain where needed; if w_hat − w overflows, its half.
    if np.isfinite(diff).all():
        return _ratio_lp(diff, x, q, "w_hat")
    return _overflowed_ratio(x, np.concatenate([b.ravel() for b in approx]).astype(np.float64), diff, q)


def _plain_lp(x: np.ndarray, p: float) -> float:
    """:func:`lp_norm` without validation (the scaled sum only; may be inaccurate or inf at extremes)."""
    a = np.abs(x).ravel()
    top = float(a.max()) if a.size else 0.0
    if top == 0.0:
        return 0.0
    return _pow_root(top, float(np.sum((a / top) ** p)), p)


def _pow_root(top: float, total: float, p: float) -> float:
    """top·total^(1/p), inf where it overflows (Python's float power raises OverflowError instead)."""
    try:
        return top * total ** (1.0 / p)
    except OverflowError:
        return math.inf
