"""Addressable random streams: one child stream per fixed-size block.

Every sampler draws its raw variates (uniforms, exponentials) block by block. Variate kind ``k``
of block ``b`` of stream ``s`` uses its own ``numpy.random.SeedSequence`` child, keyed by
``(tag, s, b, k)`` under the caller's seed, so

* the output is identical whatever the thread count or the number of blocks handled per task;
* any block of a sample of any length can be regenerated alone (streaming d ≥ 10⁹, or splitting
  one sample across machines): element ``i`` of a stream always comes from draw
  ``i mod BLOCK_SIZE`` of block ``i // BLOCK_SIZE``;
* a sample shorter than a block draws only the raw variates it uses.

``BLOCK_SIZE`` is part of the mapping from seed to numbers: changing it changes every sample.
"""
from __future__ import annotations

import numbers
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from sgdtails.simulator.validate import check_int

__all__ = ["BLOCK_SIZE", "SeedLike", "as_seed_sequence", "block_generator", "run_blocks", "scratch"]

BLOCK_SIZE = 1 << 16
"""Draws per stream block (fixed: it is part of the seed → sample mapping)."""

_TAG = 0x48545331  # "HTS1": keeps our keys apart from a caller's own spawned children

SeedLike = None | int | np.integer | np.random.SeedSequence | np.random.Generator

# Stream identifiers: which raw variates a block holds.
STREAM_CMS = 0  # uniform angle + exponential, for symmetric α-stable draws
STREAM_POSITIVE = 1  # uniform angle + exponential, for positive stable draws (Kanter)
STREAM_NORMAL = 2  # standard normals, for elliptical vectors


def as_seed_sequence(seed: SeedLike) -> np.random.SeedSequence:
    """Normalise ``seed`` (None | int | SeedSequence | Generator) to a ``SeedSequence``.

    A ``Generator`` is advanced by four 64-bit draws, so passing the same generator twice gives
    two different samples (as NumPy users expect); an int or a ``SeedSequence`` gives the same
    sample every time and makes blocks addressable across calls.
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


def block_generator(seq: np.random.SeedSequence, stream: int, block: int, part: int = 0) -> np.random.Generator:
    """The generator of variate ``part`` (0: uniforms, 1: exponentials) of block ``block`` of ``stream``.

    Keyed under ``seq``. Each kind of raw variate has its own generator, so the first L values of a
    block can be drawn without drawing the rest (short samples stay cheap).
    """
    child = np.random.SeedSequence(
        seq.entropy, spawn_key=(*seq.spawn_key, _TAG, stream, block, part), pool_size=seq.pool_size
    )
    return np.random.Generator(np.random.PCG64(child))


def scratch(local: threading.local, count: int) -> list[np.ndarray]:
    """``count`` float64 buffers of ``BLOCK_SIZE`` owned by the calling thread (made on first use).

    Reusing them across blocks avoids mapping and zeroing fresh pages for every block, which
    costs as much as drawing the numbers. ``local`` belongs to one sampling call.
    """
    bufs = getattr(local, "bufs", None)
    if bufs is None:
        bufs = local.bufs = [np.empty(BLOCK_SIZE) for _ in range(count)]
    return bufs


def run_blocks(
    n: int,
    fill: Callable[[int, int, int], None],
    *,
    first_block: int = 0,
    threads: int | None = None,
    blocks_per_task: int = 4,
) -> None:
    """Call ``fill(block, start, stop)`` for the blocks covering ``n`` elements, in threads.

    ``start``/``stop`` are offsets into the caller's output (0 … n); ``block`` counts from
    ``first_block``. ``fill`` must release the GIL for the bulk of its work (NumPy's bit
    generators and the project's ``nogil`` kernels do). ``threads`` defaults to Numba's thread
    count (``NUMBA_NUM_THREADS``); neither it nor ``blocks_per_task`` changes the result.
    """
    n_blocks = -(-n // BLOCK_SIZE)
    if n_blocks == 0:
        return
    check_int(blocks_per_task, "blocks_per_task", low=1)

    def task(t0: int) -> None:
        for b in range(t0, min(t0 + blocks_per_task, n_blocks)):
            fill(first_block + b, b * BLOCK_SIZE, min(n, (b + 1) * BLOCK_SIZE))

    starts = range(0, n_blocks, blocks_per_task)
    workers = min(numba.get_num_threads() if threads is None else threads, len(starts))
    if workers <= 1:
        for t0 in starts:
            task(t0)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for fut in [pool.submit(task, t0) for t0 in starts]:
            fut.result()
