"""Where a sweep's cells run (:mod:`sgdtails.simulator.sweep`): in-process, local processes, or Dask.

Every backend is a generator of :class:`Outcome` in completion order; the runner (the parent)
writes each one as it arrives. Workers only compute: :func:`run_batch` calls the cell function on
a batch of cells, each with its own stream ``cell_seed(seed, index)``, and returns the rows (or
the error) and the time each cell took. Batches are sized adaptively by :class:`Batcher` so that a
task holds about ``TARGET_TASK_S`` of computing: trivial cells travel in large batches (low
overhead per cell), expensive cells one by one (a killed run loses little).
"""
from __future__ import annotations

import logging
import os
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from sgdtails.simulator._sweep_store import flatten_config, normalize_rows
from sgdtails.simulator._threads import pinned_threads
from sgdtails.simulator.messages import one_line

__all__ = [
    "NO_WORKER_TIMEOUT_S",
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

NO_WORKER_TIMEOUT_S = 60.0
"""Default seconds a Dask run waits with no worker connected before it raises :class:`BackendLost`."""

PARENT_POLL_S = 0.5
"""How often a local worker process checks that its parent is alive (it exits when not)."""

POLL_S = 0.5
CHECK_S = 1.0
RPC_TIMEOUT_S = 10.0
RESULT_TIMEOUT_S = 10.0
CLOSE_TIMEOUT_S = 5.0


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
            with pinned_threads():
                result = func(config, cell_seed(seed, index))
            rows = normalize_rows(result, reserved)
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


def _watch_parent(parent: int) -> None:
    """Loky worker initializer: end this worker within :data:`PARENT_POLL_S` once ``parent`` is gone.

    Without it the workers of a killed (SIGKILL) parent wait for their idle timeout (5 minutes)
    before exiting, holding their cores and memory. POSIX: a worker whose parent died is
    re-parented, so ``os.getppid()`` changes; a daemon thread polls it (other platforms: no-op).
    """
    if os.name != "posix":
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)  # no clean-up: the parent that would receive anything is gone

    threading.Thread(target=watch, name="sgdtails-parent-watch", daemon=True).start()


def run_processes(
    func: Callable, seed: int, grid: Sequence, indices: Sequence[int], workers: int, batch: int | None
) -> Iterator[Outcome]:
    """``workers`` local loky processes (joblib), each capped to one thread; results as completed.

    The workers end within seconds when this process dies, even by SIGKILL (:func:`_watch_parent`).
    """
    from joblib import Parallel, delayed, parallel_config

    batcher = Batcher(indices, workers, batch)
    tasks = (delayed(run_batch)(func, seed, [(i, grid[i]) for i in b], 1) for b in batcher)
    with parallel_config(backend="loky", inner_max_num_threads=1, initializer=_watch_parent, initargs=(os.getpid(),)):
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


class _Cluster:
    """The runner's view of a Dask cluster: worker threads now, and how long it has had none.

    :meth:`check` raises :class:`BackendLost` when the scheduler is unreachable or when no worker
    (able to run the study's tasks: it has ``resources``) was seen for ``worker_timeout`` seconds.
    """

    def __init__(self, client: Any, address: str, resources: dict | None, worker_timeout: float | None) -> None:
        self.client = client
        self.address = address
        self.resources = resources
        self.worker_timeout = worker_timeout
        self.ever = False  # a worker has been seen
        self.since = time.monotonic()  # no worker since (while ``threads == 0``)
        self.threads = 0
        self.checked = -float("inf")

    def lost(self, what: BaseException | str | None = None) -> BackendLost:
        why = f": {one_line(what, typed=True)}" if isinstance(what, BaseException) else f" ({what})" if what else ""
        return BackendLost(f"lost the Dask scheduler at {self.address}{why}")

    def connected(self) -> bool:
        return self.client.status == "running"

    def _count(self) -> int:
        try:
            per_worker = self.client.nthreads(callback_timeout=RPC_TIMEOUT_S)
            if not self.resources:
                return sum(per_worker.values())
            workers = self.client.scheduler_info().get("workers", {})
        except Exception as exc:  # noqa: BLE001 - any failure to reach the scheduler ends the run
            raise self.lost(exc) from exc
        need = self.resources
        return sum(w.get("nthreads", 0) for w in workers.values()
                   if all(w.get("resources", {}).get(k, 0) >= v for k, v in need.items()))

    def check(self, force: bool = False) -> None:
        """Re-count the workers (every :data:`CHECK_S`, or now if ``force``); raise if lost."""
        if not self.connected():
            raise self.lost(f"client {self.client.status}")
        now = time.monotonic()
        if not force and now - self.checked < CHECK_S:
            return
        self.threads, self.checked = self._count(), now
        if self.threads > 0:
            self.ever, self.since = True, now
        elif self.worker_timeout is not None and now - self.since >= self.worker_timeout:
            able = f" with resources {self.resources}" if self.resources else ""
            if self.ever:
                raise BackendLost(f"every Dask worker{able} of {self.address} is gone "
                                  f"(none for {self.worker_timeout:g} s)")
            raise BackendLost(f"no Dask worker{able} joined {self.address} within {self.worker_timeout:g} s")


class _QuietWhileLost(logging.Filter):
    """Drops what Dask's client side logs while its scheduler connection is broken or closing.

    Once the scheduler is gone the client logs its failed reconnections and closed comms, often
    with tracebacks (seen: an ERROR from ``distributed.client`` with a ``CancelledError``
    traceback, an INFO from ``distributed.batched`` with a ``CommClosedError`` one); the run
    reports that loss itself, in one line (:class:`BackendLost`). Records logged while the client
    is connected pass. A logger's filters do not see its children's records, so each logger that
    was seen is named.
    """

    LOGGERS = ("distributed.client", "distributed.core", "distributed.batched", "distributed.comm.core",
               "distributed.comm.tcp", "distributed.utils")

    def __init__(self, client: Any) -> None:
        super().__init__()
        self.client = client

    def filter(self, record: logging.LogRecord) -> bool:
        return self.client.status == "running"

    def install(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def remove(self) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)


def _close(client: Any) -> None:
    """Close a client, whatever state its scheduler connection is in (never raises)."""
    try:
        client.close(timeout=CLOSE_TIMEOUT_S)
    except Exception:  # noqa: BLE001, S110 - the run is over either way
        pass


def run_dask(
    func: Callable,
    seed: int,
    grid: Sequence,
    indices: Sequence[int],
    scheduler: str,
    batch: int | None,
    resources: dict | None,
    worker_timeout: float | None = NO_WORKER_TIMEOUT_S,
) -> Iterator[Outcome]:
    """Batches submitted to a Dask cluster (about two per worker thread in flight), as completed.

    A batch whose task fails as a whole (its worker died repeatedly, the function cannot be
    unpickled) makes each of its cells a failed outcome with that error. When the cluster can
    compute no more, the generator raises :class:`BackendLost` (one line) after every outcome it
    could collect: the scheduler cannot be reached (or is lost mid-run: the client cancels every
    task), or no worker (with ``resources``) was connected for ``worker_timeout`` seconds (None:
    wait for workers forever). Those outcomes are valid; the other cells were not computed.
    """
    from concurrent.futures import CancelledError

    from distributed import wait

    try:
        client = connect(scheduler)
    except Exception as exc:  # noqa: BLE001 - unreachable, refused, timed out: one line for the runner
        raise BackendLost(f"cannot reach the Dask scheduler at {scheduler}: {one_line(exc, typed=True)}") from exc
    cluster = _Cluster(client, scheduler, resources, worker_timeout)
    result_timeout = RESULT_TIMEOUT_S if worker_timeout is None else min(RESULT_TIMEOUT_S, worker_timeout)
    quiet = _QuietWhileLost(client)
    quiet.install()  # for the whole run, closing included
    try:
        batcher = Batcher(indices, 1, batch)
        batches = iter(batcher)
        pending: dict = {}  # future -> its cell indices, in submission order

        def fill() -> None:
            while len(pending) < 2 * batcher.workers and (b := next(batches, None)) is not None:
                items = [(i, grid[i]) for i in b]
                try:
                    fut = client.submit(run_batch, func, seed, items, None, resources=resources, pure=False)
                except Exception as exc:  # noqa: BLE001 - the client cannot send: the scheduler is gone
                    raise cluster.lost(exc) from exc
                pending[fut] = b

        cluster.check(force=True)
        batcher.workers = max(1, cluster.threads)  # a cluster still starting gets work
        fill()
        while pending:
            with client.as_current():  # ``wait`` uses the current client
                try:
                    wait(list(pending), timeout=POLL_S, return_when="FIRST_COMPLETED")
                except (TimeoutError, CancelledError):  # nothing finished yet / cancelled: sorted out below
                    pass
            lost: BaseException | str | None = None
            for fut in [f for f in pending if f.done()]:
                if fut.cancelled():  # the client cancels every task when it loses the scheduler
                    lost = "its tasks were cancelled"
                    continue
                b = pending.pop(fut)
                try:
                    outcomes = _observed(fut.result(timeout=result_timeout), batcher)
                except Exception as exc:  # noqa: BLE001 - recorded per cell, retried next run
                    if not cluster.connected() or isinstance(exc, CancelledError):
                        lost = exc
                        continue
                    if isinstance(exc, TimeoutError) and fut.status != "error":
                        pending[fut] = b  # its result's worker died: the scheduler recomputes it
                        continue
                    tb = traceback.format_exc()
                    outcomes = [Outcome(i, None, one_line(exc, typed=True), tb, 0.0) for i in b]
                fut.release()
                yield from outcomes
            if lost is not None:
                raise cluster.lost(lost)
            cluster.check()
            batcher.workers = max(1, cluster.threads)  # the cluster may grow or shrink
            fill()
    finally:
        _close(client)
        quiet.remove()
