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

from simulator._jit import jit

__all__ = ["CHUNK", "N_BINS", "histogram", "gather", "max_prunable"]

CHUNK = 1 << 20
N_BINS = 1 << 16
_SHIFT = np.uint64(47)


@jit(inline="always")
def _value(x: float, scale: float, square: bool) -> float:
    y = abs(x) * scale
    return y * y if square else y


@jit(parallel=True)
def histogram(x: np.ndarray, scale: float, square: bool, counts: np.ndarray, sums: np.ndarray) -> None:
    """Add chunk c of ``x`` (y = (|x|·scale)² if ``square`` else |x|·scale) into counts[c], sums[c]."""
    n = x.shape[0]
    for c in numba.prange(counts.shape[0]):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            y = _value(x[i], scale, square)
            k = np.float64(y).view(np.uint64) >> _SHIFT
            counts[c, k] += 1
            sums[c, k] += y


@jit(parallel=True)
def gather(x: np.ndarray, scale: float, square: bool, key: int, offsets: np.ndarray, out: np.ndarray) -> None:
    """Copy the y of chunk c whose bin is ``key`` to out[offsets[c]:…], in index order."""
    n = x.shape[0]
    for c in numba.prange(offsets.shape[0]):
        j = offsets[c]
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            y = _value(x[i], scale, square)
            if (np.float64(y).view(np.uint64) >> _SHIFT) == key:
                out[j] = y
                j += 1


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
def _take_sorted(y: np.ndarray, budget: float) -> int:
    y.sort()
    taken = 0
    for v in y:
        if v > budget:
            break
        budget -= v
        taken += 1
    return taken


def max_prunable(x: np.ndarray, scale: float, square: bool, budget_ratio: float) -> int:
    """Largest m with (sum of the m smallest y) ≤ budget_ratio · Σ y, y as in :func:`histogram`.

    ``x`` is a 1-D float64 array (not modified).
    """
    n_chunks = max(1, -(-x.shape[0] // CHUNK))
    counts = np.zeros((n_chunks, N_BINS), dtype=np.int64)
    sums = np.zeros((n_chunks, N_BINS), dtype=np.float64)
    histogram(x, scale, square, counts, sums)
    total_counts = counts.sum(axis=0)
    total_sums = sums.sum(axis=0)
    budget = budget_ratio * float(total_sums.sum())
    key, below, left = _boundary(total_counts, total_sums, budget)
    if key < 0:
        return int(below)
    offsets = np.concatenate(([0], np.cumsum(counts[:, key])[:-1]))
    boundary = np.empty(int(total_counts[key]), dtype=np.float64)
    gather(x, scale, square, key, offsets, boundary)
    return int(below) + int(_take_sorted(boundary, left))
