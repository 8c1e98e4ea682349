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

Input dtype: x may be float32 or float64 (Numba compiles each kernel once per dtype; other dtypes are
refused, callers convert). Every y is formed in float64 from the exactly widened entry and every sum
accumulates in float64, so a float32 array is selected exactly as its float64 copy would be, bit for
bit, and no copy is made. The kernels form y = (|x|·scale)² or |x|·scale themselves; for another
exponent q, :func:`max_prunable` and :func:`column_pow_sums` form y = (|x|·scale)^q with NumPy's
``power`` (elementwise, vectorised) in float64 blocks of :data:`POW_BLOCK` entries: no array of d
values of y is made.
"""
from __future__ import annotations

import math
from collections.abc import Iterator

import numba
import numpy as np

from sgdtails.simulator._jit import jit, serial_or_parallel

__all__ = ["CHUNK", "INPUT_DTYPES", "N_BINS", "POW_BLOCK", "Histogram", "column_pow_sums", "finite_abs_max", "gather",
           "histogram", "keys_of", "log_pow_sum", "max_prunable", "min_nonzero_abs", "smallest_sum"]

CHUNK = 1 << 20
N_BINS = 1 << 16
_SHIFT = np.uint64(47)
_ABS_BITS = np.uint64(0x7FFFFFFFFFFFFFFF)  # all bits of a float64 but its sign
_INF_BITS = np.uint64(0x7FF0000000000000)  # the bits of +inf; NaNs lie above
_INF_KEY = 0x7FF0000000000000 >> 47  # the bin of +inf
POW_BLOCK = 1 << 16
"""Entries whose y = (|x|·scale)^q NumPy forms at a time for q ∉ {1, 2} (a float64 buffer of 512 KiB)."""
INPUT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
"""The dtypes the kernels read x in (float32 without widening the array: each entry is widened)."""


@jit(inline="always")
def _value(x: float, scale: float, square: bool) -> float:
    y = np.float64(abs(x)) * scale  # a float32 x is widened exactly first: y is that of its float64 value
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
    k_lo, k_hi = np.uint64(lo), np.uint64(hi)  # keys are uint64 (against an int64, Numba compares in float64)
    for c in numba.prange(counts.shape[0]):
        j = 0
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            y = _value(x[i], scale, square)
            k = np.float64(y).view(np.uint64) >> _SHIFT
            counts[c, k] += 1
            sums[c, k] += y
            buf[c, j] = y  # branch-free: j < i − c·CHUNK + 1 ≤ the row's length, so always in bounds
            j += int((k >= k_lo) & (k <= k_hi))
        fill[c] = j


def _gather(x: np.ndarray, scale: float, square: bool, lo: int, hi: int, starts: np.ndarray, ends: np.ndarray,
            out: np.ndarray, fill: np.ndarray) -> None:
    """Copy the y of chunk c whose bin is in [lo, hi] to out[starts[c]:ends[c]], in index order; fill[c] ← how many.

    Bins [lo, hi] hold the y in [y_lo, y_top] (bits order non-negative floats; keys are the top 16
    bits, as in :func:`_histogram`), y_top the largest float of bin hi, or inf when bin hi holds inf
    (its upper end would be a NaN). Branch-free: each y is stored in the chunk's next free slot,
    which advances only on a hit and never past ends[c].
    :func:`gather_range` sets ends[c] two slots past the region's expected hits, so a count that
    disagrees with the histogram's shows in ``fill`` and is never written out of bounds.
    """
    n = x.shape[0]
    y_lo = np.uint64(lo << _SHIFT).view(np.float64)
    y_top = np.inf if hi >= _INF_KEY else np.uint64(((hi + 1) << _SHIFT) - 1).view(np.float64)
    for c in numba.prange(starts.shape[0]):
        j = starts[c]
        end = ends[c]
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            y = _value(x[i], scale, square)
            hit = (y >= y_lo) & (y <= y_top)
            out[j] = y
            j = min(j + hit, end)
        fill[c] = j - starts[c]


def _abs_max(x: np.ndarray) -> np.uint64:
    """Max over i of the IEEE bits of |x_i|, each x_i widened to float64 first.

    The bits order |x| as the numbers do and exceed :data:`_INF_BITS` exactly when some x_i is ±inf
    or NaN. An integer max, hence SIMD code (a float max or sum reduction would stay scalar).
    """
    m = np.uint64(0)
    for i in numba.prange(x.shape[0]):
        m = max(m, np.float64(x[i]).view(np.uint64) & _ABS_BITS)
    return m


def _column_sums_c(A: np.ndarray, scale: float, square: bool, out: np.ndarray, live: np.ndarray) -> None:
    """out[j] += y(A[i, j]) for i = 0, 1, … in turn, rows outer (contiguous for a C-ordered A); live[j] |= A[i, j] ≠ 0."""
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            a = A[i, j]
            out[j] += _value(a, scale, square)
            if a != 0.0:
                live[j] = True


def _column_sums_f(A: np.ndarray, scale: float, square: bool, out: np.ndarray, live: np.ndarray) -> None:
    """:func:`_column_sums_c` with columns outer (contiguous for a Fortran-ordered A): the same order of i."""
    for j in range(A.shape[1]):
        acc = out[j]
        alive = live[j]
        for i in range(A.shape[0]):
            a = A[i, j]
            acc += _value(a, scale, square)
            alive |= a != 0.0
        out[j] = acc
        live[j] = alive


# Each kernel twice: parallel over rows for long inputs in the main thread, serial for one row or off
# the main thread (_jit.may_enter_pool: Numba's workqueue layer must not be entered from two threads).
histogram = jit(parallel=True)(_histogram)
histogram_window = jit(parallel=True)(_histogram_window)
gather = jit(parallel=True)(_gather)
_histogram_serial = jit(_histogram)
_histogram_window_serial = jit(_histogram_window)
_gather_serial = jit(_gather)
_abs_max_parallel = jit(parallel=True)(_abs_max)
_abs_max_serial = jit(_abs_max)
_column_sums_c_kernel = jit(_column_sums_c)
_column_sums_f_kernel = jit(_column_sums_f)


def _kernel_input(x: object, ndim: int = 1) -> np.ndarray:
    """``x`` itself if it is a float32 or float64 array with ``ndim`` dimensions; else ValueError.

    Nothing is converted here (a float64 copy of a float32 array is what the kernels exist to avoid):
    callers pass arrays validated by :func:`~sgdtails.simulator.validate.finite_array`, which keeps
    float32 and converts every other real dtype to float64.
    """
    if not isinstance(x, np.ndarray) or x.dtype not in INPUT_DTYPES or x.ndim != ndim:
        what = f"{x.dtype} array of shape {x.shape}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"the selection kernels take a {ndim}-D float32 or float64 array, got a {what}")
    return x


@jit
def _min_nonzero_abs(x: np.ndarray) -> float:
    m = np.inf
    for i in range(x.shape[0]):
        v = np.float64(abs(x[i]))
        if v > 0.0 and v < m:
            m = v
    return m


def min_nonzero_abs(x: np.ndarray) -> float:
    """Min |x_i| over the nonzero x_i of an array (inf if all vanish), in one pass.

    float32 and float64 arrays are read as they are (flattened without a copy when C- or
    Fortran-contiguous); any other dtype is converted to float64 first.
    """
    a = np.asarray(x)
    if a.dtype not in INPUT_DTYPES:
        a = a.astype(np.float64)
    return float(_min_nonzero_abs(a.ravel(order="K")))


def finite_abs_max(x: np.ndarray) -> float:
    """Max |x_i| of a 1-D float32 or float64 array in one pass; raises ValueError if some entry is not finite."""
    _kernel_input(x)
    bits = serial_or_parallel(_abs_max_serial, _abs_max_parallel, x.shape[0] > CHUNK)(x)
    if bits >= _INF_BITS:
        raise ValueError("w contains NaN or inf")
    return float(np.uint64(bits).view(np.float64))


def keys_of(y: np.ndarray) -> np.ndarray:
    """Histogram bin of each (non-negative) y, keyed by its float64 value (a float32 y is widened first)."""
    return np.ascontiguousarray(y, dtype=np.float64).view(np.uint64) >> _SHIFT


class Histogram:
    """Counts and sums per bin, accumulated chunk row by chunk row in a fixed order.

    Feeding an array in one call or in consecutive pieces whose lengths are multiples of
    :data:`CHUNK` gives bit-identical sums (rows are added one at a time, as ``sum(axis=0)`` does).
    """

    def __init__(self) -> None:
        self.counts = np.zeros(N_BINS, dtype=np.int64)
        self.sums = np.zeros(N_BINS, dtype=np.float64)

    def add(self, x: np.ndarray, scale: float, square: bool) -> tuple[np.ndarray, np.ndarray]:
        """Histogram a 1-D float32 or float64 ``x`` (y as in :func:`histogram`); returns its per-row counts and sums."""
        counts, sums = _row_histograms(x, scale, square)
        self._accumulate(counts, sums)
        return counts, sums

    def add_keeping(self, x: np.ndarray, scale: float, square: bool, lo: int, hi: int) -> np.ndarray:
        """:meth:`add`, also returning (in index order, as float64) the y of ``x`` whose bin is in [lo, hi]."""
        _kernel_input(x)
        counts, sums = self._rows(x)
        buf = np.empty((counts.shape[0], min(CHUNK, x.shape[0])))
        fill = np.zeros(counts.shape[0], dtype=np.int64)
        kernel = serial_or_parallel(_histogram_window_serial, histogram_window, counts.shape[0] > 1)
        kernel(x, scale, square, counts, sums, lo, hi, buf, fill)
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

    @classmethod
    def of_rows(cls, counts: np.ndarray, sums: np.ndarray) -> Histogram:
        """The histogram whose bins total the given per-row counts and sums (row by row, as :meth:`add`).

        A single row is used as it is (0 + s = s: the same bits, without 1 MiB of totals).
        """
        hist = cls.__new__(cls)
        if counts.shape[0] == 1:
            hist.counts, hist.sums = counts[0], sums[0]
        else:
            hist.counts = np.zeros(N_BINS, dtype=np.int64)
            hist.sums = np.zeros(N_BINS, dtype=np.float64)
            hist._accumulate(counts, sums)
        return hist

    def total(self) -> float:
        """Σ y over all bins (inf, without a warning, if it overflows: callers check)."""
        with np.errstate(over="ignore"):
            return float(self.sums.sum())


def _row_histograms(x: np.ndarray, scale: float, square: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per-row counts and sums of a 1-D float32 or float64 ``x`` (y as in :func:`histogram`), rows in parallel if several."""
    _kernel_input(x)
    counts, sums = Histogram._rows(x)
    serial_or_parallel(_histogram_serial, histogram, counts.shape[0] > 1)(x, scale, square, counts, sums)
    return counts, sums


def _histogram_of(x: np.ndarray, scale: float, square: bool) -> tuple[Histogram, np.ndarray]:
    """(histogram of ``x``, its per-row counts): :meth:`Histogram.add` into a new histogram, without its totals' copy."""
    counts, sums = _row_histograms(x, scale, square)
    return Histogram.of_rows(counts, sums), counts


def gather_range(x: np.ndarray, scale: float, square: bool, counts: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """The y of ``x`` whose bin is in [lo, hi], in index order, as float64 (``counts`` from :meth:`Histogram.add`)."""
    _kernel_input(x)
    per_row = counts[:, lo : hi + 1].sum(axis=1)
    starts = np.concatenate(([0], np.cumsum(per_row + 2)[:-1])).astype(np.int64)  # two spare slots per row
    out = np.empty(int(per_row.sum()) + 2 * per_row.shape[0], dtype=np.float64)
    fill = np.empty_like(starts)
    kernel = serial_or_parallel(_gather_serial, gather, starts.shape[0] > 1)
    kernel(x, scale, square, lo, hi, starts, starts + per_row + 1, out, fill)
    if not np.array_equal(fill, per_row):  # an internal error, not the user's: never seen
        raise RuntimeError(f"selection: bins [{lo}, {hi}] hold {fill.tolist()} entries per row, the histogram said "
                           f"{per_row.tolist()}")
    if per_row.shape[0] == 1:
        return out[: per_row[0]]
    return np.concatenate([out[s : s + k] for s, k in zip(starts, per_row)])


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
    hist, counts = _histogram_of(x, scale, square)
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


def max_prunable(x: np.ndarray, scale: float, power: bool | float, budget_ratio: float, *,
                 budget: float | None = None) -> int:
    """Largest m with (sum of the m smallest y) ≤ budget_ratio · Σ y.

    ``x`` is a 1-D float32 or float64 array (not modified, not copied). ``power`` says what y is:
    ``True`` (or 2.0) y = (|x|·scale)², ``False`` (or 1.0) y = |x|·scale, another float q > 0
    y = (|x|·scale)^q, formed by NumPy in float64 blocks (:func:`_max_prunable_pow`). y and every sum
    are float64, so a float32 ``x`` gives the count of its float64 copy. With ``budget``, the bound is
    that absolute value instead (Σ y is then not used; every y must be finite).
    """
    _kernel_input(x)
    if not isinstance(power, bool | np.bool_):
        q = float(power)
        if not (q > 0.0 and math.isfinite(q)):
            raise ValueError(f"power must be True, False or a finite float > 0, got {power!r}")
        if q not in (1.0, 2.0):
            return _max_prunable_pow(x, scale, q, budget_ratio, budget)
        power = q == 2.0

    def bound(h: Histogram) -> tuple[int, int, float]:
        return budget_boundary(h, budget_ratio * h.total() if budget is None else budget)

    hist, counts = _histogram_of(x, scale, bool(power))
    key, below, left = bound(hist)
    if key < 0:
        return int(below)
    return finish_prunable(gather_range(x, scale, bool(power), counts, key, key), below, left)


def _pow_blocks(x: np.ndarray, scale: float, q: float, buf: np.ndarray) -> Iterator[np.ndarray]:
    """The y = (|x_i|·scale)^q of consecutive :data:`POW_BLOCK`-entry blocks of ``x``, in float64, into ``buf``.

    |x_i| is exact in x's dtype and widened exactly; scale is a power of two; ``numpy.power`` then
    rounds once, elementwise, as on the whole array at once.
    """
    with np.errstate(under="ignore", over="ignore"):
        for start in range(0, x.shape[0], POW_BLOCK):
            block = x[start : start + POW_BLOCK]
            y = buf[: block.shape[0]]
            np.absolute(block, out=y)
            y *= scale
            np.power(y, q, out=y)
            yield y


def _max_prunable_pow(x: np.ndarray, scale: float, q: float, budget_ratio: float, budget: float | None) -> int:
    """:func:`max_prunable` for y = (|x|·scale)^q, q ∉ {1, 2}, with O(POW_BLOCK) float64 memory.

    Pass 1 histograms the blocks of :func:`_pow_blocks` in turn into one row of counts and sums (each
    bin's sum is taken in index order: the same bits for any thread count) and finds the boundary
    bin. Pass 2 needs only that bin's y: it reads u = |x|·scale, keeps the u of a slightly wider
    interval (:func:`_u_interval`), forms their y with the same ``numpy.power`` and keeps those in the
    bin. Their count must be the bin's count from pass 1; otherwise (a safeguard, not seen in the
    tests), or if the interval holds more than d/16 entries (tiny q), the blocks are formed again and
    the bin gathered from them. Cost: one ``numpy.power`` per entry, as one call on the whole array.
    """
    n = x.shape[0]
    buf = np.empty(min(n, POW_BLOCK))
    rows, sums = Histogram._rows(buf)  # one row (POW_BLOCK ≤ CHUNK), accumulated block after block
    for y in _pow_blocks(x, scale, q, buf):
        _histogram_serial(y, 1.0, False, rows, sums)
    hist = Histogram.of_rows(rows, sums)
    key, below, left = budget_boundary(hist, budget_ratio * hist.total() if budget is None else budget)
    if key < 0:
        return int(below)
    if n <= POW_BLOCK:  # one block: its y are still in buf
        return finish_prunable(gather_range(buf, 1.0, False, rows, key, key), below, left)
    want = int(hist.counts[key])
    u_lo, u_hi = _u_interval(key, q)
    n_cand = int(_count_in(x, scale, u_lo, u_hi))
    vals = None
    if n_cand <= max(POW_BLOCK, n // 16):  # at most d/2 bytes of candidates
        u = np.empty(n_cand)
        _fill_in(x, scale, u_lo, u_hi, u)
        with np.errstate(under="ignore", over="ignore"):
            np.power(u, q, out=u)
        vals = u[keys_of(u) == key]
    if vals is None or vals.size != want:
        vals = np.concatenate([Histogram().add_keeping(y, 1.0, False, key, key) for y in _pow_blocks(x, scale, q, buf)])
    return finish_prunable(vals, below, left)


def _u_interval(key: int, q: float) -> tuple[float, float]:
    """[u_lo, u_hi] holding every u ≥ 0 whose y = u^q (NumPy's, within a few ulp) lies in bin ``key``.

    The bin is [y_lo, y_hi); u = exp(log(y)/q) at its ends, widened by a relative margin that covers
    the rounding of log, exp and of u^q itself (an error ρ in y is one of ρ/q in u): generous, since
    a wider interval only costs candidates.
    """
    y_lo = float(np.uint64(key << 47).view(np.float64))
    y_hi = float(np.uint64((key + 1) << 47).view(np.float64))
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        def end(y: float, sign: float) -> float:
            if y == 0.0:
                return 0.0
            t = math.log(y) / q
            delta = 2.0**-20 + 2.0**-40 * abs(t) + 2.0**-40 / q
            arg = t + sign * delta
            if arg > 709.0:
                return math.inf
            return math.exp(arg) if arg > -745.0 else 0.0

        return end(y_lo, -1.0), end(y_hi, 1.0) if math.isfinite(y_hi) else math.inf


@jit
def _count_in(x: np.ndarray, scale: float, u_lo: float, u_hi: float) -> int:
    n = 0
    for i in range(x.shape[0]):
        u = np.float64(abs(x[i])) * scale
        if u >= u_lo and u <= u_hi:
            n += 1
    return n


@jit
def _fill_in(x: np.ndarray, scale: float, u_lo: float, u_hi: float, out: np.ndarray) -> None:
    j = 0
    for i in range(x.shape[0]):
        u = np.float64(abs(x[i])) * scale
        if u >= u_lo and u <= u_hi:
            out[j] = u
            j += 1


def column_pow_sums(A: np.ndarray, scale: float, q: float) -> tuple[np.ndarray, np.ndarray]:
    """(s, live) for a finite 2-D float32 or float64 ``A``: s_j = Σ_i (|A_ij|·scale)^q, live_j = any A_ij ≠ 0.

    Each term is formed in float64 (q = 2 and q = 1 by the kernel, other q by ``numpy.power`` on blocks
    of rows, as in :func:`max_prunable`) and s_j is accumulated in float64 in order of i whatever the
    memory layout of ``A``: a float32 ``A`` gives the bits of its float64 copy, and is not copied.
    """
    _kernel_input(A, 2)
    q = float(q)
    if not (q > 0.0 and math.isfinite(q)):
        raise ValueError(f"q must be a finite float > 0, got {q!r}")
    out = np.zeros(A.shape[1], dtype=np.float64)
    live = np.zeros(A.shape[1], dtype=np.bool_)
    if A.size == 0:
        return out, live

    def add(B: np.ndarray, s: float, square: bool) -> None:
        fortran = B.flags.f_contiguous and not B.flags.c_contiguous
        (_column_sums_f_kernel if fortran else _column_sums_c_kernel)(B, s, square, out, live)

    if q in (1.0, 2.0):
        add(A, float(scale), q == 2.0)
        return out, live
    rows = max(1, POW_BLOCK // A.shape[1])
    buf = np.empty(min(A.shape[0], rows) * A.shape[1])
    with np.errstate(under="ignore", over="ignore"):
        for start in range(0, A.shape[0], rows):
            block = A[start : start + rows]
            y = buf[: block.size].reshape(block.shape)
            np.absolute(block, out=y)
            y *= scale
            np.power(y, q, out=y)
            add(y, 1.0, False)  # y is C-ordered: rows added in turn, the same order of i as one pass
            live |= np.any(block != 0.0, axis=0)
    return out, live


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
