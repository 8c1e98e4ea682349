"""One BLAS (and OpenMP) thread while a grid cell computes: the same bits whatever the thread count.

A multi-threaded BLAS splits a factorisation's inner products over its threads, so singular
values and eigenvalues computed with ``OPENBLAS_NUM_THREADS=1`` and ``=2`` differ in their last
bits (hundreds of ulps after an SVD). Every cell of a sweep or a theorem check therefore runs
inside :func:`pinned_threads`, on every backend (this process, local processes, Dask workers):
a cell's numbers are then those of a single-threaded BLAS, whoever computes it and however the
process was started. Numba's kernels are thread-count independent by design (their streams are
addressed by block) and keep their threads.

The limits are set with threadpoolctl on the libraries loaded in the process (NumPy's and SciPy's
OpenBLAS, MKL, OpenMP runtimes, …). The controller that finds them is built lazily, once per
process, after NumPy and ``scipy.linalg`` are imported (SciPy loads its own OpenBLAS), and is
rebuilt when modules were imported since (a cell may load a new library). Entering and leaving
costs about 10 µs. BLAS limits are process-wide, so the pin is counted: cells running at the same
time in threads of one process (a Dask worker with several threads) share one pin, and the
original limits come back when the last of them leaves.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["PINNED_APIS", "pinned_threads"]

PINNED_APIS = ("blas", "openmp")
"""threadpoolctl user APIs held at one thread while a cell computes."""


class _Pin:
    """The process's pin: a lazily built threadpoolctl controller and a count of cells inside.

    The only state is what BLAS's process-wide limits force on us: the current limiters (to
    restore on the last exit) and how many cells hold them, behind a lock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._controller: Any = None
        self._modules = -1
        self._depth = 0
        self._limiters: list[Any] = []

    def _refresh(self) -> bool:
        """(Re)build the controller if none yet or modules were imported since; True if rebuilt."""
        if self._controller is not None and len(sys.modules) == self._modules:
            return False
        if self._controller is None:
            import numpy  # noqa: F401 - load the BLAS libraries before looking for them
            import scipy.linalg  # noqa: F401 - SciPy ships its own OpenBLAS
        from threadpoolctl import ThreadpoolController

        self._controller = ThreadpoolController()
        self._modules = len(sys.modules)
        return True

    def enter(self) -> None:
        with self._lock:
            rebuilt = self._refresh()
            _release_control()  # this thread may set the limits (threadpoolctl lets only one thread do so)
            limiter = self._controller.limit(limits={api: 1 for api in PINNED_APIS})
            if self._depth == 0 or rebuilt:  # a rebuilt controller may see libraries loaded meanwhile
                self._limiters.append(limiter)  # holds the limits to restore
            # otherwise the limits were already 1 (process-wide) and are now 1 for this thread too (OpenMP)
            self._depth += 1
            _release_control()

    def leave(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                _release_control()
                while self._limiters:  # last in, first restored: the oldest limiter holds the true originals
                    self._limiters.pop().restore_original_limits()
                _release_control()


def _release_control() -> None:
    """Let the next thread that sets OpenBLAS's (process-wide) limits do so.

    threadpoolctl (≥ 3.6) lets only the first thread that sets the limits of an OpenBLAS with its
    own thread pool change them and silently ignores the others: a cell computing in a Dask
    worker's thread would keep the full BLAS. The pin serialises its changes under its own lock
    and releases that control after each, so neither it nor the user's own limits are locked out.
    """
    from threadpoolctl import OpenBLASController

    clear = getattr(OpenBLASController, "clear_controlling_thread", None)
    if clear is not None:  # older threadpoolctl: every thread may set the limits
        clear(force=True)


_PIN = _Pin()


@contextmanager
def pinned_threads() -> Iterator[None]:
    """Hold BLAS and OpenMP to one thread in this process while the block runs (re-entrant, thread-safe).

    Wraps the evaluation of one cell ``func(config, seed)`` on every backend of
    :mod:`sgdtails.simulator.sweep` and of :func:`sgdtails.theory._cells.run_grid`, so its output
    does not depend on ``OPENBLAS_NUM_THREADS`` (or ``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``) nor on
    the backend. The previous limits are restored when the last block of the process leaves.
    """
    _PIN.enter()
    try:
        yield
    finally:
        _PIN.leave()
