"""Addressable random streams: every variate is a pure function of (seed, stream, index).

The engine's generator is Philox4x64-10 (:mod:`sgdtails.simulator._philox`), run inside the
sampling kernels. A seed gives one 128-bit Philox key, :func:`stream_key`: the first two 64-bit
words of ``SeedSequence(entropy, spawn_key=(*spawn_key, TAG)).generate_state``. Stream ``s`` of
that key is ``numpy.random.Philox(key=key, counter=s·2⁶⁴)``: its raw word j is word j mod 4 of the
Philox block at counter (1 + ⌊j/4⌋, s, 0, 0). Variate i of the stable streams uses raw words 2i (its
uniform) and 2i + 1 (its exponential); normals come in Box–Muller pairs, pair k (words 2k, 2k + 1)
giving normals 2k (cosine part) and 2k + 1 (sine part). So

* the output is identical whatever the thread count or the split of the work into tiles or calls;
* any range of a sample of any length is generated alone, without the elements before it
  (streaming d ≥ 10⁹, or splitting one sample across machines);
* nothing but the key is set up per call: no child ``SeedSequence`` per block, no array of raw
  draws in memory.

Raw words become variates as NumPy does: U = (x >> 11)·2⁻⁵³ ∈ [0, 1) for angles (NumPy's
``random()``) and U° = ((x >> 11) + ½)·2⁻⁵³ ∈ (0, 1) where a logarithm follows (W = −log U° is
Exp(1), never 0 or inf; a Box–Muller radius √(−2 log U°) is finite).
"""
from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager

import numba
import numpy as np

from sgdtails.simulator.validate import check_int

__all__ = ["MAX_INDEX", "STREAM_CMS", "STREAM_NORMAL", "STREAM_POSITIVE", "SeedLike", "TAG", "as_seed_sequence",
           "kernel_threads", "stream_key"]

TAG = 0x48545332
"""Spawn-key word of the key's ``SeedSequence`` ("HTS2"): keeps it apart from a caller's own children."""

MAX_INDEX = 2**62
"""Elements of a stream are indexed 0 … MAX_INDEX − 1."""

SeedLike = None | int | np.integer | np.random.SeedSequence | np.random.Generator

# Stream identifiers: the second word of the Philox counter.
STREAM_CMS = 0  # uniform angle + exponential, for symmetric α-stable draws
STREAM_POSITIVE = 1  # uniform angle + exponential, for positive stable draws (Kanter)
STREAM_NORMAL = 2  # Box–Muller pairs, for the Gaussian part of elliptical vectors


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Normalise ``seed`` (None | int | SeedSequence | Generator) to a ``SeedSequence``.

    A ``Generator`` is advanced by four 64-bit draws, so passing the same generator twice gives
    two different samples (as NumPy users expect); an int or a ``SeedSequence`` gives the same
    sample every time and makes ranges addressable across calls.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, np.random.Generator):
        return np.random.SeedSequence(seed.integers(0, 2**64, size=4, dtype=np.uint64))
    if seed is None:
        return np.random.SeedSequence()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed}")
        return np.random.SeedSequence(int(seed))
    raise ValueError(
        f"seed must be None, a non-negative int, a SeedSequence or a Generator, got {type(seed).__name__}"
    )


def stream_key(seq: np.random.SeedSequence) -> np.ndarray:
    """The Philox key (two uint64 words, little-endian) of every stream drawn under ``seq``."""
    child = np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, TAG), pool_size=seq.pool_size)
    return child.generate_state(2, dtype=np.uint64)


@contextmanager
def kernel_threads(threads: int | None) -> Iterator[None]:
    """Run the enclosed Numba parallel kernels on ``threads`` threads (None: Numba's current count).

    At most ``NUMBA_NUM_THREADS`` (the threads Numba started) are used. Numba's thread count is per
    calling thread, so this changes nothing for other threads. It never changes a result: the
    kernels' outputs do not depend on how their work is split.
    """
    if threads is None:
        yield
        return
    limit = int(numba.config.NUMBA_NUM_THREADS)  # type: ignore[attr-defined]  # the most threads Numba started
    t = min(check_int(threads, "threads", low=1), limit)
    before = numba.get_num_threads()
    numba.set_num_threads(t)
    try:
        yield
    finally:
        numba.set_num_threads(before)
