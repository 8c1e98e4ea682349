"""How and where a grid of independent cells runs: one set of options for every grid function.

Every function of the library that computes a grid of cells — :func:`sgdtails.simulator.run_study`,
the theorem checks of :mod:`sgdtails.theory`, the figures that sweep, the real-network sweep —
takes these options as one ``run=`` argument. Each cell draws from its own seed, so the random
numbers never depend on them: in this process, on local processes or on a Dask cluster, with or
without a cache, every cell computes with BLAS and OpenMP held to one thread
(:func:`sgdtails.simulator._threads.pinned_threads`), so its output is the same to the last bit
whatever the backend and ``OPENBLAS_NUM_THREADS``. Only the command line reads environment
variables (``SGDTAILS_SCHEDULER``); the library never does.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import os
import sys
from dataclasses import dataclass

from sgdtails.simulator.validate import check_bool, check_int

__all__ = ["RunOptions"]


@dataclass(frozen=True)
class RunOptions:
    """Where the cells of a grid run, whether finished ones are kept and reused, what is shown.

    Attributes
    ----------
    jobs : int or None
        1 (default): one cell after the other in this process. n > 1: n local worker processes
        (loky), each capped to one thread. None: one process per usable CPU (``os.cpu_count()``
        narrowed by affinity and cgroup quotas). Never more processes than cells to compute.
    scheduler : str or None
        A Dask scheduler address (``tcp://host:8786``) or scheduler-file path; when given the cells
        run on that cluster and ``jobs`` is ignored.
    cache_dir : str or None
        Folder under which each grid keeps a record per finished cell (``cache_dir/<study>/``),
        so that an interrupted run resumes; None: a temporary folder, nothing is kept.
    resume : bool
        Reuse the records of finished cells found under ``cache_dir`` (default); False
        recomputes every cell.
    progress : bool or None
        Show a progress bar (cells done, rate, time left) on stderr: always (True), never (False),
        or only when stderr is a terminal (None, default).
    worker_timeout : float or None
        With ``scheduler``: seconds the run waits while no Dask worker (able to run the cells) is
        connected, at the start or after losing every worker, before it stops with
        :class:`~sgdtails.simulator._sweep_backends.BackendLost` (finished cells are kept; a
        rerun resumes). Default 60; None waits for workers forever (e.g. a batch queue that
        starts them late).
    """

    jobs: int | None = 1
    scheduler: str | None = None
    cache_dir: str | None = None
    resume: bool = True
    progress: bool | None = None
    worker_timeout: float | None = 60.0

    def __post_init__(self) -> None:
        if self.jobs is not None:
            object.__setattr__(self, "jobs", check_int(self.jobs, "jobs", low=1))
        if self.scheduler is not None and (not isinstance(self.scheduler, str) or not self.scheduler):
            raise ValueError(f"scheduler must be None or an address such as 'tcp://host:8786', got {self.scheduler!r}")
        if self.cache_dir is not None:
            if not isinstance(self.cache_dir, str | os.PathLike) or not os.fspath(self.cache_dir):
                raise ValueError(f"cache_dir must be None or a folder path, got {self.cache_dir!r}")
            object.__setattr__(self, "cache_dir", os.fspath(self.cache_dir))
        check_bool(self.resume, "resume")
        if self.progress is not None:
            check_bool(self.progress, "progress")
        if self.worker_timeout is not None:
            t = self.worker_timeout
            if isinstance(t, bool) or not isinstance(t, numbers.Real) or not math.isfinite(t) or t <= 0:
                raise ValueError(f"worker_timeout must be None or a positive number of seconds, got {t!r}")
            object.__setattr__(self, "worker_timeout", float(t))

    @property
    def in_process(self) -> bool:
        """True when the cells run one after the other in this process (``jobs=1``, no scheduler)."""
        return self.jobs == 1 and self.scheduler is None

    def show_progress(self) -> bool:
        """Whether to draw a progress bar now (``progress``, or stderr is a terminal when None)."""
        if self.progress is None:
            return bool(getattr(sys.stderr, "isatty", lambda: False)())
        return self.progress

    def replace(self, **changes: object) -> RunOptions:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
