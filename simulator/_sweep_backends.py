"""Where a sweep's cells run (:mod:`sgdtails.simulator.sweep`): in-process, local processes, or Dask.

Every backend is a generator of :class:`Outcome` in completion order; the runner (the parent)
writes each one as it arrives. Workers only compute: :func:`run_batch` calls the cell function on
a batch of cells, each with its own stream ``cell_seed(seed, index)``, and returns the rows (or
the error) and the time each cell took. Batches are sized adaptively by :class:`Batcher` so that a
task holds about ``TARGET_TASK_S`` of computing: trivial cells travel in large batches (low
overhead per cell), expensive cells one by one (a killed run loses little).
"""
from __future__ import annotations

import os
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from sgdtails.simulator._sweep_store import flatten_config, normalize_rows

__all__ = [
    "BackendLost",
    "Batcher",
    "Outcome",
    "THREAD_VARS",
    "cell_seed",
    "connect",
    "limit_threads",
    "run_batch",
    "run_dask",
    "run_processes",
    "run_sequential",
]

THREAD_VARS = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
"""Thread-count variables capped to 1 in local worker processes (one process per core)."""

TARGET_TASK_S = 0.2
"""Seconds of cell computing aimed for in one task (batch) when the batch size is not given."""

MAX_BATCH = 256


def cell_seed(study_seed: int, index: int) -> np.random.SeedSequence:
    """The random stream of cell ``index``: ``SeedSequence(study_seed, spawn_key=(index,))``.

    Equal to ``SeedSequence(study_seed).spawn(n)[index]``; independent of the backend, of the
    batch a cell travels in and of the order cells run.
    """
    return np.random.SeedSequence(study_seed, spawn_key=(index,))


class BackendLost(RuntimeError):
    """The backend can compute no more (e.g. every Dask worker, or the scheduler, is gone).

    Raised by a backend generator after the outcomes it could deliver: those are valid and are
    kept by the runner; the cells not yet delivered were not computed. The message is one line.
    """


class Outcome(NamedTuple):
    """One finished cell: ``rows`` on success, else ``error`` and ``traceback``."""

    index: int  # type: ignore[assignment]  # (NamedTuple field shadows tuple.index)
    rows: list[dict] | None
    error: str | None
    traceback: str | None
    seconds: float


def limit_threads(n: int) -> None:
    """Cap the thread pools of this worker process to ``n`` (before the cells compute).

    The variables of :data:`THREAD_VARS` reach the BLAS and OpenMP libraries loaded later; Numba's
    pool is set directly, and PyTorch's when a cell function has already imported it (unpickling
    the task imports the cell's module).
    """
    import sys

    import numba

    for var in THREAD_VARS:
        os.environ[var] = str(n)
    numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(n)


def run_batch(
    func: Callable, seed: int, items: Sequence[tuple[int, Any]], threads: int | None
) -> list[Outcome]:
    """Worker side: compute the cells ``items`` = [(index, config), …]; a raising cell is an outcome."""
    if threads is not None:
        limit_threads(threads)
    out = []
    for index, config in items:
        reserved = {*flatten_config(config), "cell"}
        start = time.perf_counter()
        try:
            rows = normalize_rows(func(config, cell_seed(seed, index)), reserved)
        except Exception as exc:  # noqa: BLE001 - a failing cell must not stop the others
            error = f"{type(exc).__name__}: {exc}"
            out.append(Outcome(index, None, error, traceback.format_exc(), time.perf_counter() - start))
        else:
            out.append(Outcome(index, rows, None, None, time.perf_counter() - start))
    return out


class Batcher:
    """Hands out batches of cell indices, sized from the cell times observed so far (thread-safe)."""

    def __init__(self, indices: Sequence[int], workers: int, size: int | None = None) -> None:
        self._todo = deque(indices)
        self._lock = threading.Lock()
        self.workers = workers
        self.size = size
        self._count = 0
        self._total = 0.0

    def observe(self, seconds: float) -> None:
        """Record one finished cell's compute time."""
        with self._lock:
            self._count += 1
            self._total += seconds

    def _next_size(self) -> int:
        if self.size is not None:
            return self.size
        if self._count == 0:
            return 1
        by_time = int(TARGET_TASK_S / max(self._total / self._count, 1e-6))
        balance = -(-len(self._todo) // (2 * self.workers))  # keep the tail spread over workers
        return max(1, min(by_time, balance, MAX_BATCH))

    def __iter__(self) -> Iterator[list[int]]:
        while True:
            with self._lock:
                if not self._todo:
                    return
                k = min(self._next_size(), len(self._todo))
                batch = [self._todo.popleft() for _ in range(k)]
            yield batch


def _observed(outcomes: list[Outcome], batcher: Batcher) -> list[Outcome]:
    for o in outcomes:
        batcher.observe(o.seconds)
    return outcomes


def run_sequential(func: Callable, seed: int, grid: Sequence, indices: Sequence[int]) -> Iterator[Outcome]:
    """In-process, one cell after the other, in grid order."""
    for i in indices:
        yield from run_batch(func, seed, [(i, grid[i])], None)


def run_processes(
    func: Callable, seed: int, grid: Sequence, indices: Sequence[int], workers: int, batch: int | None
) -> Iterator[Outcome]:
    """``workers`` local loky processes (joblib), each capped to one thread; results as completed."""
    from joblib import Parallel, delayed, parallel_config

    batcher = Batcher(indices, workers, batch)
    tasks = (delayed(run_batch)(func, seed, [(i, grid[i]) for i in b], 1) for b in batcher)
    with parallel_config(backend="loky", inner_max_num_threads=1):
        parallel = Parallel(
            n_jobs=workers, return_as="generator_unordered", batch_size=1, pre_dispatch="2 * n_jobs"
        )
        for outcomes in parallel(tasks):
            yield from _observed(outcomes, batcher)


def connect(scheduler: str):
    """A ``distributed.Client`` for an address (``tcp://host:port``) or a scheduler file path."""
    from distributed import Client

    if "://" not in scheduler and os.path.isfile(scheduler):
        return Client(scheduler_file=scheduler, set_as_default=False)
    return Client(scheduler, set_as_default=False)


def _threads(client) -> int:
    """Worker threads in the cluster now (at least 1, so a cluster still starting gets work)."""
    return max(1, sum(client.nthreads().values()))


def run_dask(
    func: Callable,
    seed: int,
    grid: Sequence,
    indices: Sequence[int],
    scheduler: str,
    batch: int | None,
    resources: dict | None,
) -> Iterator[Outcome]:
    """Batches submitted to a Dask cluster (about two per worker thread in flight), as completed.

    A batch whose task fails as a whole (a worker died, the function cannot be unpickled) makes
    each of its cells a failed outcome with that error.
    """
    from distributed import as_completed

    client = connect(scheduler)
    try:
        batcher = Batcher(indices, 1, batch)
        batches = iter(batcher)
        pending: dict = {}

        def submit() -> list:
            b = next(batches, None)
            if b is None:
                return []
            items = [(i, grid[i]) for i in b]
            fut = client.submit(run_batch, func, seed, items, None, resources=resources, pure=False)
            pending[fut] = b
            return [fut]

        batcher.workers = _threads(client)
        first = [f for _ in range(2 * batcher.workers) for f in submit()]
        flow = as_completed(first, loop=client.loop)
        checked = time.monotonic()
        for fut in flow:
            b = pending.pop(fut)
            try:
                outcomes = _observed(fut.result(), batcher)
            except Exception as exc:  # noqa: BLE001 - recorded per cell, retried next run
                tb = traceback.format_exc()
                outcomes = [Outcome(i, None, f"{type(exc).__name__}: {exc}", tb, 0.0) for i in b]
            fut.release()
            yield from outcomes
            if time.monotonic() - checked > 2.0:  # the cluster may grow or shrink
                batcher.workers, checked = _threads(client), time.monotonic()
            while len(pending) < 2 * batcher.workers and (new := submit()):
                flow.update(new)
    finally:
        client.close()
