r"""What each pruning scheme keeps: boolean masks and the singular-value projector (docs/theory.md §2).

The pruning functions of :mod:`sgdtails.simulator.pruning` are these objects applied to the
weights; :mod:`sgdtails.realnets` applies the same objects to PyTorch layers (for example to keep
pruned weights pruned while training goes on). κ is always the kept fraction.

* :func:`magnitude_mask`: the ⌈κd⌉ entries of largest magnitude (globally over all layers,
  w^(κd), Theorem 1 (i); or per layer, w_l^(κ_l d_l), Theorem 1 (ii)).
* :func:`node_mask`: the ⌈κh⌉ columns (or rows) of largest ℓp norm (Theorem 3).
* :func:`singular_projector`: the r leading singular triplets of W = UΣVᵀ; the pruned matrix is
  W^[r] = U_r Σ_r V_rᵀ (Theorem 2), and :meth:`SingularProjector.apply` projects any matrix onto
  the same pair of subspaces, X ↦ U_r U_rᵀ X V_r V_rᵀ. A mask cannot describe this scheme:
  every entry changes.

Ties are broken by position (a stable choice, the same on every run). With ``center="median"``
the ranking is of |w − median(w)| (the experiments' median centring).
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from sgdtails.simulator._layers import as_layers, rebuild
from sgdtails.simulator._select import log_pow_sum, min_nonzero_abs
from sgdtails.simulator.validate import check_choice, check_kappa, check_p, finite_array
from sgdtails.simulator.vocabulary import CENTERS, NODE_AXES, SCOPES, SINGULAR_COUNTS

__all__ = [
    "SingularProjector",
    "UNDERFLOW_FLOOR",
    "keep_count",
    "magnitude_mask",
    "node_mask",
    "log_node_norms",
    "node_norms",
    "node_sums_ok",
    "singular_projector",
    "singular_values",
    "singular_rank",
]


def keep_count(kappa: float, d: int) -> int:
    """⌈κd⌉, the number of entries kept at kept fraction κ out of d (at least 1, at most d).

    κd is rounded to 6 decimals first, so that κ = 0.14, d = 100 keeps 14 entries although the
    floating-point product 0.14·100 is 14.000000000000002 (whose ceiling is 15).
    """
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


def centers_of(layers: list[np.ndarray], center: str | None) -> list[float]:
    """The value each layer is centred on: its median (``"median"``) or 0 (``None``)."""
    check_choice(center, "center", CENTERS)
    return [float(np.median(x)) if center == "median" else 0.0 for x in layers]


def layer_masks(
    layers: list[np.ndarray], kappa: float | Sequence[float], scope: str, centers: list[float]
) -> list[np.ndarray]:
    """Masks of magnitude pruning of validated ``layers`` centred on ``centers`` (shapes of the layers)."""
    check_choice(scope, "scope", SCOPES)
    dev = [np.abs(x - c).ravel() for x, c in zip(layers, centers)]
    if scope == "global":
        if not np.isscalar(kappa):
            raise ValueError("kappa must be one value for scope='global'")
        flat = np.concatenate(dev)
        mask = _top_mask(flat, keep_count(float(kappa), flat.size))  # type: ignore[arg-type]
        masks = np.split(mask, np.cumsum([d.size for d in dev])[:-1])
    else:
        kappas = [float(kappa)] * len(layers) if np.isscalar(kappa) else [float(k) for k in kappa]  # type: ignore[arg-type,union-attr]
        if len(kappas) != len(layers):
            raise ValueError(f"kappa must have one value per layer ({len(layers)}), got {len(kappas)}")
        masks = [_top_mask(d, keep_count(k, d.size)) for d, k in zip(dev, kappas)]
    return [m.reshape(x.shape) for m, x in zip(masks, layers)]


@overload
def magnitude_mask(w: list[np.ndarray], kappa: float | Sequence[float], *, scope: str = ...,
                   center: str | None = ...) -> list[np.ndarray]: ...
@overload
def magnitude_mask(w: tuple[np.ndarray, ...], kappa: float | Sequence[float], *, scope: str = ...,
                   center: str | None = ...) -> tuple[np.ndarray, ...]: ...
@overload
def magnitude_mask(w: Any, kappa: float | Sequence[float], *, scope: str = ...,
                   center: str | None = ...) -> np.ndarray: ...


def magnitude_mask(
    w: Any,
    kappa: float | Sequence[float],
    *,
    scope: str = "global",
    center: str | None = None,
) -> Any:
    r"""Which entries magnitude pruning keeps: the ⌈κd⌉ largest |w_i − c| (True = kept).

    Parameters
    ----------
    w : array or sequence of arrays
        The weights (one array, or the layers w_1 … w_L).
    kappa : float or sequence of float
        Kept fraction κ ∈ (0, 1]; with ``scope="layer"`` one value or one per layer (κ_l).
    scope : {"global", "layer"}
        One budget over all layers (w^(κd), Theorem 1 (i)) or one per layer (Theorem 1 (ii)).
    center : {None, "median"}
        Rank |w − median(w)| per layer instead of |w|.

    Returns
    -------
    A boolean array per layer, in the structure of ``w``.
    """
    layers, seq = as_layers(w)
    return rebuild(layer_masks(layers, kappa, scope, centers_of(layers, center)), seq, w)


def node_norms(A: np.ndarray, p: float, axis: int) -> np.ndarray:
    """ℓp norms of the columns (axis=0) or rows (axis=1), divided by max|A| to avoid overflow.

    Accurate unless p is extreme for the data (see :func:`node_sums_ok`); :func:`node_mask` then
    ranks by :func:`log_node_norms` instead. At tiny p a norm may overflow to inf.
    """
    top = float(np.max(np.abs(A))) or 1.0
    return np.sum((np.abs(A) / top) ** p, axis=axis) ** (1.0 / p)


UNDERFLOW_FLOOR = {np.dtype(np.float64): 2.0**-900, np.dtype(np.float32): 2.0**-80}
"""Per dtype, the smallest sum of p-th powers trusted as summed directly: terms lost to underflow
(each below the dtype's smallest normal, 2^-1022 or 2^-126) are then negligible against it."""


def node_sums_ok(A: np.ndarray, norms: np.ndarray, p: float, axis: int) -> bool:
    """Whether :func:`node_norms` ``norms`` of ``A`` rank the nodes correctly (no under/overflow).

    Every node with a nonzero entry must have a finite norm whose p-th power sum Σ(|a|/max|A|)^p is at
    least :data:`UNDERFLOW_FLOOR` of A's dtype (a term lost to underflow is then negligible), and for
    p < 1 no nonzero |a|/max|A| may be subnormal (u^p ≫ u).
    """
    if not np.isfinite(norms).all():
        return False
    with np.errstate(under="ignore", over="ignore"):
        top = float(np.max(np.abs(A))) or 1.0
        live = np.any(A != 0.0, axis=axis)
        if np.any(live & ~(norms.astype(np.float64) ** p >= UNDERFLOW_FLOOR[norms.dtype])):
            return False
        if p < 1.0:
            return bool(min_nonzero_abs(A) / top >= float(np.finfo(A.dtype).tiny))  # inf (no nonzero) passes
    return True


def log_node_norms(A: np.ndarray, p: float, axis: int) -> np.ndarray:
    """Log ‖A(i)‖_p of each column (axis=0) or row (axis=1), in a log domain (any p > 0, any finite A).

    log‖a‖_p = (1/p) log Σ exp(p(log|a_j| − log max|a|)) + log max|a|; −inf for a zero node.
    """
    with np.errstate(divide="ignore"):
        la = np.log(np.abs(A.astype(np.float64, copy=False)))
    return log_pow_sum(la, p, axis=axis) / p


def node_mask(W: object, kappa: float, *, p: float = 2.0, by: str = "columns") -> np.ndarray:
    r"""Which entries node pruning keeps: whole columns (or rows) of largest ℓp norm (Theorem 3).

    Parameters
    ----------
    W : array of shape (h_l, h_(l−1))
        Column i, W(i), holds the outgoing weights of node i of layer l − 1.
    kappa : float
        Kept fraction κ ∈ (0, 1]: ⌈κ·h_(l−1)⌉ columns (or ⌈κ·h_l⌉ rows) are kept.
    p : float
        Exponent of the norm ranking the nodes.
    by : {"columns", "rows"}
        Rank and keep columns (Theorem 3) or rows.

    Returns
    -------
    numpy.ndarray of bool, the shape of ``W``: True on the kept columns (rows).
    """
    return nodes_kept(finite_array(W, "W", ndim=2), kappa, p, by)


def nodes_kept(A: np.ndarray, kappa: float, p: float, by: str) -> np.ndarray:
    """:func:`node_mask` of an already validated 2-D float array ``A``."""
    check_kappa(kappa)
    q = check_p(p)
    check_choice(by, "by", NODE_AXES)
    axis = 0 if by == "columns" else 1
    with np.errstate(over="ignore", under="ignore"):
        norms = node_norms(A, q, axis)
    if not node_sums_ok(A, norms, q, axis):  # extreme p for these data: rank by log norms
        norms = log_node_norms(A, q, axis)
    keep = _top_mask(norms, keep_count(kappa, norms.size))
    return np.broadcast_to(keep[None, :] if axis == 0 else keep[:, None], A.shape)


def singular_rank(kappa: float, m: int, n: int, count: str = "values") -> int:
    """Singular triplets r that an m × n matrix keeps at kept fraction κ.

    ``"values"``: r = ⌈κ·min(m, n)⌉ (Theorem 2's count); ``"parameters"``: the largest r with
    r(m + n + 1) ≤ κmn (the experiments count the numbers of r triplets); ``"paper"``: the largest
    r with r(m + n) ≤ κmn (the paper's code). r may be 0 for the last two.
    """
    k = check_kappa(kappa)
    check_choice(count, "count", SINGULAR_COUNTS)
    if count == "values":
        return keep_count(k, min(m, n))
    per = m + n + (1 if count == "parameters" else 0)
    return min(min(m, n), math.floor(round(k * m * n, 6) / per))


@dataclass(frozen=True)
class SingularProjector:
    """The r leading singular triplets of a matrix W = UΣVᵀ (Theorem 2).

    Attributes
    ----------
    left : numpy.ndarray of shape (m, r)
        U_r, the leading left singular vectors.
    values : numpy.ndarray of shape (r,)
        σ_1 ≥ … ≥ σ_r.
    right : numpy.ndarray of shape (r, n)
        V_rᵀ, the leading right singular vectors (as rows).
    """

    left: np.ndarray
    values: np.ndarray
    right: np.ndarray

    @property
    def rank(self) -> int:
        """r, the number of triplets kept."""
        return int(self.values.size)

    def low_rank(self) -> np.ndarray:
        """W^[r] = U_r Σ_r V_rᵀ, the singular-value-pruned matrix."""
        return (self.left * self.values) @ self.right

    def apply(self, X: object) -> np.ndarray:
        """U_r U_rᵀ X V_r V_rᵀ: the orthogonal projection (Frobenius) of X onto the kept subspaces.

        For X = W this is W^[r] up to rounding; for a gradient it keeps an update inside the
        rank-r set {U_r B V_rᵀ} that singular value pruning leaves.
        """
        A = finite_array(X, "X", ndim=2)
        if A.shape != (self.left.shape[0], self.right.shape[1]):
            raise ValueError(f"X must have shape {(self.left.shape[0], self.right.shape[1])}, got {A.shape}")
        return self.left @ ((self.left.T @ A) @ self.right.T) @ self.right


def singular_projector(W: object, kappa: float, *, count: str = "values") -> SingularProjector:
    r"""The singular triplets singular value pruning keeps at kept fraction κ (Theorem 2).

    Parameters
    ----------
    W : array of shape (m, n)
    kappa : float
        κ ∈ (0, 1]; how many triplets that keeps: :func:`singular_rank` with ``count``.
    count : {"values", "parameters", "paper"}
        What κ counts (see :func:`singular_rank`).
    """
    A = finite_array(W, "W", ndim=2)
    m, n = A.shape
    r = singular_rank(kappa, m, n, count=count)
    (U, s, Vt), shift = _svd(A, True)
    if shift:
        with np.errstate(over="ignore"):
            s = np.ldexp(s, shift)
        if not np.isfinite(s[:r]).all():
            raise ValueError(f"the singular values of W overflow float64 (max|W| = {float(np.max(np.abs(A))):g})")
    return SingularProjector(U[:, :r], s[:r], Vt[:r])


_SVD_SAFE = 960  # SVD unscaled for max|W| in [2^-960, 2^960]: σ_1 ≤ √(mn) max|W| cannot overflow
_SVD_SAFE_32 = 100  # the same for float32 W (σ_1 < 2^128)


def _svd(A: np.ndarray, uv: bool) -> tuple:
    """SVD of A·2^(−shift), shift = 0 for max|A| in [2^−960, 2^960] (float32: [2^−100, 2^100]), else the exponent of max|A|.

    The power of two is exact, so the singular vectors are those of A and σ_i(A) = 2^shift σ_i.
    """
    top = float(np.max(np.abs(A)))
    safe = _SVD_SAFE if A.dtype == np.float64 else _SVD_SAFE_32
    shift = 0 if top == 0.0 or -safe <= math.frexp(top)[1] <= safe else math.frexp(top)[1]
    B = np.ldexp(A, -shift) if shift else A
    out = np.linalg.svd(B, full_matrices=False) if uv else np.linalg.svd(B, compute_uv=False)
    return out, shift


def singular_values(A: np.ndarray) -> tuple[np.ndarray, int]:
    """(σ(A)·2^(−shift), shift) of a validated 2-D array (see :func:`_svd`): finite for every finite A."""
    s, shift = _svd(A, False)
    return s, shift

