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
* :func:`matrix_svd`: the whole thin SVD of a matrix (:class:`MatrixSVD`), taken once and cut at
  any rank, so that a sweep over κ costs one SVD per matrix; :func:`singular_rank` says how many
  triplets each κ keeps and :func:`singular_parameters` how many numbers they count for.

Ties are broken by position (a stable choice, the same on every run). With ``center="median"``
the ranking is of |w − median(w)| (the experiments' median centring).

float32. Masks of a float32 w are those of ``w.astype(np.float64)``: magnitudes |w_i| are exact in
float32 and ranked as they are (no copy beyond |w|); centred deviations |w_i − c| are formed in float64
(a float32 difference could round two distinct deviations to a tie); node norms are ranked by their
float64 sums of p-th powers, formed entry by entry without a float64 copy of w
(:func:`~sgdtails.simulator._select.column_pow_sums`). The SVD of a float32 matrix is LAPACK's float32 SVD.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

import numpy as np

from sgdtails.simulator._layers import as_layers, rebuild
from sgdtails.simulator._select import column_pow_sums, finite_abs_max, log_pow_sum, min_nonzero_abs
from sgdtails.simulator.validate import check_choice, check_kappa, check_p, finite_array
from sgdtails.simulator.vocabulary import CENTERS, NODE_AXES, SCOPES, SINGULAR_COUNTS

__all__ = [
    "MatrixSVD",
    "SVDBackend",
    "SingularProjector",
    "UNDERFLOW_FLOOR",
    "keep_count",
    "magnitude_mask",
    "matrix_svd",
    "node_mask",
    "log_node_norms",
    "node_norms",
    "node_pow_sums",
    "node_sums_ok",
    "singular_projector",
    "singular_values",
    "singular_parameters",
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
    dev = [_deviation(x, c) for x, c in zip(layers, centers)]
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


def _deviation(x: np.ndarray, c: float) -> np.ndarray:
    """|x − c| flattened: |x| in x's own dtype for c = 0 (exact), else formed in float64.

    A float32 difference x − c rounds to float32, which can turn two distinct deviations into a tie
    and keep the wrong one; in float64 the ranking is that of ``x.astype(np.float64)``.
    """
    if c == 0.0:
        return np.abs(x).ravel()
    return np.abs(x - np.float64(c)).ravel()  # a float32 x is promoted (NumPy scalars keep their type)


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
    A boolean array per layer, in the structure of ``w``. A float32 layer is ranked exactly as its
    float64 copy would be (module docstring, "float32").
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

    The nodes are ranked by Σ_i (|W_ij|·2^(−e))^p, 2^(−e) the power of two putting max|W| in [1/2, 1):
    the p-th powers of their norms up to one exact common factor, formed and summed in float64 (also for
    a float32 W, which is not copied), with no p-th root to round. Where those sums under- or overflow
    (extreme p) the nodes are ranked by :func:`log_node_norms` instead.
    """
    return nodes_kept(finite_array(W, "W", ndim=2), kappa, p, by)


def nodes_kept(A: np.ndarray, kappa: float, p: float, by: str) -> np.ndarray:
    """:func:`node_mask` of an already validated 2-D float array ``A``."""
    check_kappa(kappa)
    q = check_p(p)
    check_choice(by, "by", NODE_AXES)
    axis = 0 if by == "columns" else 1
    ranks = node_pow_sums(A, q, axis)
    if ranks is None:  # extreme p for these data: rank by log norms
        ranks = log_node_norms(A, q, axis)
    keep = _top_mask(ranks, keep_count(kappa, ranks.size))
    return np.broadcast_to(keep[None, :] if axis == 0 else keep[:, None], A.shape)


_SUBNORMAL_LIFT = 2.0**600  # exact; lifts a subnormal max|A| (≥ 2^-1074) into the normal range


def node_pow_sums(A: np.ndarray, p: float, axis: int) -> np.ndarray | None:
    """Σ (|a|·2^(−e))^p over each column (axis=0) or row (axis=1) of a finite float32/float64 ``A``, in float64.

    2^(−e) is the power of two with max|A|·2^(−e) ∈ [1/2, 1) (an exact scaling, so the sums rank the
    nodes as their ℓp norms do). Every term is formed from the exactly widened entry and summed in
    float64 in index order (:func:`~sgdtails.simulator._select.column_pow_sums`): a float32 ``A`` gives
    the bits of its float64 copy, and no float64 copy of it is made. None where the sums cannot be
    trusted: a node with a nonzero entry whose sum is not finite or below :data:`UNDERFLOW_FLOOR`
    (float64), or for p < 1 a nonzero scaled entry that is subnormal (u^p ≫ u is lost).
    """
    B = A if axis == 0 else A.T  # the rows of A are the columns of its transpose (a view)
    top = finite_abs_max(B.ravel(order="K"))
    if top == 0.0:
        return np.zeros(B.shape[1])
    if top < 2.0**-1000:  # float64 only (a float32 is never below 2^-149)
        B = B * _SUBNORMAL_LIFT
        top *= _SUBNORMAL_LIFT
    scale = 2.0 ** -math.frexp(top)[1]
    with np.errstate(under="ignore"):
        if p < 1.0 and not min_nonzero_abs(B) * scale >= float(np.finfo(np.float64).tiny):
            return None
    sums, live = column_pow_sums(B, scale, p)
    if not (np.isfinite(sums).all() and np.all(~live | (sums >= UNDERFLOW_FLOOR[np.dtype(np.float64)]))):
        return None
    return sums


def singular_rank(kappa: float, m: int, n: int, count: str = "values") -> int:
    """Singular triplets r that an m × n matrix keeps at kept fraction κ (SPEC §2, paper Section S1.5).

    * ``"values"``: κ counts singular values, r = ⌈κ·min(m, n)⌉ (Theorem 2's count; at least 1).
    * ``"parameters"``: κ counts parameters, r is the largest with r(m + n + 1) ≤ κmn (S1.5: the
      singular values and vectors left over the layer's mn weights). r may be 0.
    * ``"paper"``: the authors' code. It sweeps the singular-value ratio ρ = 1 − κ and keeps
      s − ⌊s·ρ⌋ of the s = min(m, n) singular values (500 values at ρ = 0.25 keep 375); it counts
      the parameters of r triplets as r(m + n) (:func:`singular_parameters`), which exceeds mn for
      r > mn/(m + n). s·ρ is rounded to 6 decimals before the floor (ρ = 1 − 0.9 is 0.0999…98 in
      floating point). The same r as ``"values"`` (s − ⌊sρ⌋ = ⌈sκ⌉), except that r is 0 when
      ⌊sρ⌋ = s.
    """
    k = check_kappa(kappa)
    check_choice(count, "count", SINGULAR_COUNTS)
    s = min(m, n)
    if count == "values":
        return keep_count(k, s)
    if count == "paper":
        return s - math.floor(round(s * (1.0 - k), 6))
    return min(s, math.floor(round(k * m * n, 6) / (m + n + 1)))


def singular_parameters(r: int, m: int, n: int, count: str = "parameters") -> int:
    """The numbers r singular triplets of an m × n matrix count for (SPEC §2).

    r(m + n + 1) — r values, r left and r right vectors — under ``"values"`` and ``"parameters"``;
    r(m + n) under ``"paper"`` (the authors' code leaves the values out).
    """
    check_choice(count, "count", SINGULAR_COUNTS)
    if not 0 <= r <= min(m, n):
        raise ValueError(f"r must be in [0, min(m, n)] = [0, {min(m, n)}], got {r}")
    return r * (m + n + (0 if count == "paper" else 1))


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

SVDBackend = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]
"""A thin SVD B ↦ (U, s, Vᵀ) of a 2-D float array, s descending, as NumPy arrays."""


def _svd(A: np.ndarray, uv: bool, backend: SVDBackend | None = None) -> tuple:
    """SVD of A·2^(−shift), shift = 0 for max|A| in [2^−960, 2^960] (float32: [2^−100, 2^100]), else the exponent of max|A|.

    The power of two is exact, so the singular vectors are those of A and σ_i(A) = 2^shift σ_i.
    ``backend`` (with ``uv`` only) replaces ``numpy.linalg.svd(B, full_matrices=False)``.
    """
    top = float(np.max(np.abs(A)))
    safe = _SVD_SAFE if A.dtype == np.float64 else _SVD_SAFE_32
    shift = 0 if top == 0.0 or -safe <= math.frexp(top)[1] <= safe else math.frexp(top)[1]
    B = np.ldexp(A, -shift) if shift else A
    if uv and backend is not None:
        return backend(B), shift
    out = np.linalg.svd(B, full_matrices=False) if uv else np.linalg.svd(B, compute_uv=False)
    return out, shift


@dataclass(frozen=True)
class MatrixSVD:
    """The thin SVD W = 2^shift · U diag(s) Vᵀ of an m × n matrix, computed once and cut at any rank r.

    Singular value pruning at every κ of a sweep needs only the leading triplets of one SVD
    (Theorem 2: W^[r] = U_r Σ_r V_rᵀ), so :func:`matrix_svd` is taken once per matrix and
    :meth:`low_rank` gives W^[r] for each r; :func:`sgdtails.simulator.prune_singular` is
    ``matrix_svd(W).low_rank(singular_rank(κ, m, n, count))``.

    Attributes
    ----------
    left : numpy.ndarray of shape (m, min(m, n))
        U, the left singular vectors (columns).
    values : numpy.ndarray of shape (min(m, n),)
        s = σ(W)·2^(−shift), descending.
    right : numpy.ndarray of shape (min(m, n), n)
        Vᵀ, the right singular vectors (rows).
    shift : int
        0 unless max|W| is outside [2^−960, 2^960] (float32: [2^−100, 2^100]); the SVD is then of the
        exactly rescaled W·2^(−shift), so that σ_1 ≥ 2^1024 does not overflow.
    """

    left: np.ndarray
    values: np.ndarray
    right: np.ndarray
    shift: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        """(m, n), the shape of W."""
        return int(self.left.shape[0]), int(self.right.shape[1])

    def low_rank(self, r: int) -> np.ndarray:
        """W^[r] = 2^shift · U_r diag(s_r) V_rᵀ, the matrix singular value pruning leaves with r triplets.

        ``ValueError`` if r is outside [0, min(m, n)] or if W^[r] itself does not fit in float64.
        """
        if not 0 <= r <= self.values.size:
            raise ValueError(f"r must be in [0, {self.values.size}], got {r}")
        out = SingularProjector(self.left[:, :r], self.values[:r], self.right[:r]).low_rank()
        if self.shift:
            with np.errstate(over="ignore"):
                out = np.ldexp(out, self.shift)
            if not np.isfinite(out).all():
                raise ValueError(f"the pruned matrix overflows float64 (sigma_1 = {self.values[0]:g} * 2^{self.shift})")
        return out

    def rank(self, r: int) -> int:
        """The numerical rank of W^[r]: kept values s_i (i ≤ r) above ``numpy.linalg.matrix_rank``'s tolerance.

        That tolerance is s_1·max(m, n)·eps (eps of the values' dtype), as ``matrix_rank`` of W^[r]
        would use (up to rounding of W^[r]'s own σ_1); r itself for a matrix of full numerical rank.
        """
        if not 0 <= r <= self.values.size:
            raise ValueError(f"r must be in [0, {self.values.size}], got {r}")
        if r == 0:
            return 0
        tol = float(self.values[0]) * max(self.shape) * float(np.finfo(self.values.dtype).eps)
        return int(np.count_nonzero(self.values[:r] > tol))


def matrix_svd(W: object, *, backend: SVDBackend | None = None) -> MatrixSVD:
    """The thin SVD of a finite 2-D ``W`` (:class:`MatrixSVD`), for pruning it at many ranks.

    Parameters
    ----------
    W : array of shape (m, n)
    backend : callable, optional
        B ↦ (U, s, Vᵀ) NumPy arrays, the thin SVD of the (rescaled) matrix; default
        ``numpy.linalg.svd(B, full_matrices=False)``. :func:`sgdtails.realnets.adapt.layer_svds` passes
        ``torch.linalg.svd`` on a GPU here.
    """
    A = finite_array(W, "W", ndim=2)
    (U, s, Vt), shift = _svd(A, True, backend)
    k = min(A.shape)
    if np.shape(U) != (A.shape[0], k) or np.shape(s) != (k,) or np.shape(Vt) != (k, A.shape[1]):
        raise ValueError(f"backend must return a thin SVD of an {A.shape} matrix, got shapes "
                         f"{np.shape(U)}, {np.shape(s)}, {np.shape(Vt)}")
    return MatrixSVD(np.asarray(U), np.asarray(s), np.asarray(Vt), shift)


def singular_values(A: np.ndarray) -> tuple[np.ndarray, int]:
    """(σ(A)·2^(−shift), shift) of a validated 2-D array (see :func:`_svd`): finite for every finite A."""
    s, shift = _svd(A, False)
    return s, shift

