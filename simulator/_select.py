"""Exact O(d) weighted selection behind ``min_kappa`` (private Numba kernels).

Given y ≥ 0 (the |w_i|^p, scaled) and a budget b = ε^p Σ y, find the largest m such that the m
smallest y sum to at most b: pruning them gives error ≤ ε, pruning one more would not.

Two passes, no sort of the whole vector (a radix select on the IEEE bits of y, which order
non-negative floats): pass 1 builds a 65,536-bin histogram of counts and sums keyed by the top 16
bits of y (exponent and 5 mantissa bits, so a bin spans a factor 2^(1/32)); the bin where the
cumulative sum crosses b is the boundary; pass 2 gathers that bin's entries, which are sorted and
taken one at a time (ties exact). Pass 1 runs over fixed 2^20-entry chunks in parallel, each with
its own histogram, merged in chunk order: the sums, hence the answer, are identical for any thread
count. The same kernels serve streamed samples (chunks generated block by block).
"""
from __future__ import annotations

import numba
import numpy as np

from sgdtails.simulator._jit import jit

__all__ = ["CHUNK", "N_BINS", "Histogram", "finite_abs_max", "gather", "histogram", "keys_of", "log_pow_sum", "max_prunable",
           "min_nonzero_abs",
           "smallest_sum"]

CHUNK = 1 << 20
N_BINS = 1 << 16
_SHIFT = np.uint64(47)
_RUN = 16  # entries counted before a run is copied (gather)


@jit(inline="always")
def _value(x: float, scale: float, square: bool) -> float:
    y = abs(x) * scale
    return y * y if square else y


def _histogram(x: np.ndarray, scale: float, square: bool, counts: np.ndarray, sums: np.ndarray) -> None:
    """Add chunk c of ``x`` (y = (|x|·scale)² if ``square`` else |x|·scale) into counts[c], sums[c]."""
    n = x.shape[0]
    for c in numba.prange(counts.shape[0]):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            y = _value(x[i], scale, square)
            k = np.float64(y).view(np.uint64) >> _SHIFT
            counts[c, k] += 1
            sums[c, k] += y


def _histogram_window(
    x: np.ndarray, scale: float, square: bool, counts: np.ndarray, sums: np.ndarray,
    lo: int, hi: int, buf: np.ndarray, fill: np.ndarray,
) -> None:
    """:func:`_histogram`, keeping in the same pass the y whose bin lies in [lo, hi].

    The kept y of chunk c go to buf[c, :fill[c]] in index order (streaming: one read of each
    generated chunk).
    """
    n = x.shape[0]
    for c in numba.prange(counts.shape[0]):
        j = 0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            y = _value(x[i], scale, square)
            k = np.float64(y).view(np.uint64) >> _SHIFT
            counts[c, k] += 1
            sums[c, k] += y
            if k >= lo and k <= hi:
                buf[c, j] = y
                j += 1
        fill[c] = j


def _gather(x: np.ndarray, scale: float, square: bool, lo: int, hi: int, offsets: np.ndarray, out: np.ndarray) -> None:
    """Copy the y of chunk c whose bin is in [lo, hi] to out[offsets[c]:…], in index order.

    Bin [lo, hi] is the value range [y_lo, y_hi) (bits order non-negative floats), so each run of
    _RUN entries is first counted with a vectorised compare and copied only if it has a hit.
    """
    n = x.shape[0]
    y_lo = np.uint64(lo << _SHIFT).view(np.float64)
    y_hi = np.uint64((hi + 1) << _SHIFT).view(np.float64)
    for c in numba.prange(offsets.shape[0]):
        j = offsets[c]
        end = min(n, (c + 1) * CHUNK)
        for r0 in range(c * CHUNK, end, _RUN):
            r1 = min(end, r0 + _RUN)
            hits = 0
            for i in range(r0, r1):
                y = _value(x[i], scale, square)
                hits += (y >= y_lo) & (y < y_hi)
            if hits:
                for i in range(r0, r1):
                    y = _value(x[i], scale, square)
                    if y >= y_lo and y < y_hi:
                        out[j] = y
                        j += 1


def _abs_max(x: np.ndarray) -> tuple[float, float]:
    """(max |x_i|, Σ 0·x_i): the second is NaN exactly when some x_i is NaN or ±inf."""
    m = 0.0
    z = 0.0
    for i in numba.prange(x.shape[0]):
        v = abs(x[i])
        m = max(m, v)
        z += 0.0 * v
    return m, z


# Each kernel twice: parallel over rows for long inputs, serial for one row, so that short inputs
# never enter Numba's thread pool (whose default layer must not be entered from two Python threads).
histogram = jit(parallel=True)(_histogram)
histogram_window = jit(parallel=True)(_histogram_window)
gather = jit(parallel=True)(_gather)
_histogram_serial = jit(_histogram)
_gather_serial = jit(_gather)
_abs_max_parallel = jit(parallel=True)(_abs_max)
_abs_max_serial = jit(_abs_max)


@jit
def _min_nonzero_abs(x: np.ndarray) -> float:
    m = np.inf
    for i in range(x.shape[0]):
        v = abs(x[i])
        if v > 0.0 and v < m:
            m = v
    return m


def min_nonzero_abs(x: np.ndarray) -> float:
    """Min |x_i| over the nonzero x_i of an array (inf if all vanish), in one pass without copies."""
    return float(_min_nonzero_abs(np.ascontiguousarray(x, dtype=np.float64).ravel()))


def finite_abs_max(x: np.ndarray) -> float:
    """Max |x_i| of a 1-D float64 array in one pass; raises ValueError if some entry is not finite."""
    m, z = (_abs_max_parallel if x.shape[0] > CHUNK else _abs_max_serial)(x)
    if z != 0.0:
        raise ValueError("w contains NaN or inf")
    return float(m)


def keys_of(y: np.ndarray) -> np.ndarray:
    """Histogram bin of each (non-negative float64) y."""
    return y.view(np.uint64) >> _SHIFT


class Histogram:
    """Counts and sums per bin, accumulated chunk row by chunk row in a fixed order.

    Feeding an array in one call or in consecutive pieces whose lengths are multiples of
    :data:`CHUNK` gives bit-identical sums (rows are added one at a time, as ``sum(axis=0)`` does).
    """

    def __init__(self) -> None:
        self.counts = np.zeros(N_BINS, dtype=np.int64)
        self.sums = np.zeros(N_BINS, dtype=np.float64)

    def add(self, x: np.ndarray, scale: float, square: bool) -> tuple[np.ndarray, np.ndarray]:
        """Histogram ``x`` (y as in :func:`histogram`); returns its per-row counts and sums."""
        counts, sums = self._rows(x)
        (histogram if counts.shape[0] > 1 else _histogram_serial)(x, scale, square, counts, sums)
        self._accumulate(counts, sums)
        return counts, sums

    def add_keeping(self, x: np.ndarray, scale: float, square: bool, lo: int, hi: int) -> np.ndarray:
        """:meth:`add`, also returning (in index order) the y of ``x`` whose bin is in [lo, hi]."""
        counts, sums = self._rows(x)
        buf = np.empty((counts.shape[0], CHUNK))
        fill = np.zeros(counts.shape[0], dtype=np.int64)
        histogram_window(x, scale, square, counts, sums, lo, hi, buf, fill)
        self._accumulate(counts, sums)
        return np.concatenate([buf[r, : fill[r]] for r in range(counts.shape[0])])

    @staticmethod
    def _rows(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n_rows = max(1, -(-x.shape[0] // CHUNK))
        return np.zeros((n_rows, N_BINS), dtype=np.int64), np.zeros((n_rows, N_BINS), dtype=np.float64)

    def _accumulate(self, counts: np.ndarray, sums: np.ndarray) -> None:
        for r in range(counts.shape[0]):  # row by row, as sum(axis=0) does: order-fixed sums
            self.counts += counts[r]
            self.sums += sums[r]

    def total(self) -> float:
        """Σ y over all bins (inf, without a warning, if it overflows: callers check)."""
        with np.errstate(over="ignore"):
            return float(self.sums.sum())


def gather_range(x: np.ndarray, scale: float, square: bool, counts: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The y of ``x`` whose bin is in [lo, hi], in index order (``counts`` from :meth:`Histogram.add`)."""
    per_row = counts[:, lo : hi + 1].sum(axis=1)
    offsets = np.concatenate(([0], np.cumsum(per_row)[:-1])).astype(np.int64)
    out = np.empty(int(per_row.sum()), dtype=np.float64)
    (gather if offsets.shape[0] > 1 else _gather_serial)(x, scale, square, lo, hi, offsets, out)
    return out


@jit
def _boundary(counts: np.ndarray, sums: np.ndarray, budget: float) -> tuple[int, int, float]:
    """(boundary bin, entries below it, budget left after them); bin = -1 if all fit."""
    below = 0
    for k in range(counts.shape[0]):
        if sums[k] > budget:
            return k, below, budget
        budget -= sums[k]
        below += counts[k]
    return -1, below, budget


@jit
def _count_boundary(counts: np.ndarray, sums: np.ndarray, n_small: int) -> tuple[int, int, float]:
    """(bin holding the n_small-th smallest entry, entries below it, their sum); -1 if none."""
    below = 0
    acc = 0.0
    for k in range(counts.shape[0]):
        if below + counts[k] >= n_small:
            return k, below, acc
        below += counts[k]
        acc += sums[k]
    return -1, below, acc


def count_boundary(hist: "Histogram", n_small: int) -> tuple[int, int, float]:
    """Boundary bin for the ``n_small`` smallest entries (see :func:`smallest_sum`)."""
    return _count_boundary(hist.counts, hist.sums, n_small)


def budget_boundary(hist: "Histogram", budget: float) -> tuple[int, int, float]:
    """Boundary bin for the largest prefix of smallest entries whose sum fits ``budget``."""
    return _boundary(hist.counts, hist.sums, budget)


def finish_smallest_sum(boundary_values: np.ndarray, below_sum: float, need: int) -> float:
    """below_sum + the sum of the ``need`` smallest boundary values (taken in ascending order)."""
    v = np.sort(boundary_values)
    return float(_ascending_sum(v[:need], below_sum))


@jit
def _ascending_sum(v: np.ndarray, acc: float) -> float:
    for x in v:
        acc += x
    return acc


def finish_prunable(boundary_values: np.ndarray, below: int, left: float) -> int:
    """Below + how many boundary values fit, smallest first, in the budget ``left``."""
    return int(below) + int(_take_sorted(np.sort(boundary_values), left))


def smallest_sum(x: np.ndarray, scale: float, square: bool, n_small: int) -> tuple[float, float]:
    """(sum of the n_small smallest y, sum of all y), y as in :func:`histogram`; exact, O(d)."""
    hist = Histogram()
    counts, _ = hist.add(x, scale, square)
    key, below, acc = count_boundary(hist, n_small)
    if key < 0 or n_small == 0:
        return (hist.total() if n_small else 0.0), hist.total()
    vals = gather_range(x, scale, square, counts, key, key)
    return finish_smallest_sum(vals, acc, n_small - below), hist.total()


@jit
def _take_sorted(y: np.ndarray, budget: float) -> int:
    """How many of the ascending ``y`` fit, one at a time, in ``budget``."""
    taken = 0
    for v in y:
        if v > budget:
            break
        budget -= v
        taken += 1
    return taken


def max_prunable(x: np.ndarray, scale: float, square: bool, budget_ratio: float, *, budget: float | None = None) -> int:
    """Largest m with (sum of the m smallest y) ≤ budget_ratio · Σ y, y as in :func:`histogram`.

    ``x`` is a 1-D float64 array (not modified). With ``budget``, the bound is that absolute value
    instead (Σ y is then not used; every y must be finite).
    """
    hist = Histogram()
    counts, _ = hist.add(x, scale, square)
    key, below, left = budget_boundary(hist, budget_ratio * hist.total() if budget is None else budget)
    if key < 0:
        return int(below)
    return finish_prunable(gather_range(x, scale, square, counts, key, key), below, left)


def log_pow_sum(la: np.ndarray, q: float, axis: int | None = None) -> np.ndarray:
    """Log Σ exp(q·la) (along ``axis``), la = log|a| (−inf for zeros): log Σ|a|^q with no under/overflow.

    Each term is taken relative to the largest, so the sum lies in [1, n] (−inf when all a vanish).
    """
    top = np.max(la, axis=axis, keepdims=True)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(under="ignore", invalid="ignore"):
        total = np.sum(np.exp(q * (la - safe)), axis=axis, keepdims=True)
        with np.errstate(divide="ignore"):
            out = np.where(np.isfinite(top), q * safe + np.log(total), -np.inf)
    return np.squeeze(out) if axis is None else np.squeeze(out, axis=axis)
