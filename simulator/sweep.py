"""Resumable runner for grids of independent cells (every figure's and table's sweep).

A :class:`Study` is a cell function and a grid of configs (frozen dataclasses or dicts of
scalars). :func:`run_study` computes every cell not finished yet — in-process, on local processes
or on a Dask cluster — and writes, under ``out_dir/<name>/``:

* ``cells/<hash>.json``: one finished cell, written atomically by the runner as it arrives (a
  killed run loses only the cells in flight);
* ``failed/<hash>.json``: a cell that raised (error and traceback), retried by the next run;
* ``<name>.csv``: the tidy rows of all finished cells in grid order, byte-identical for the same
  results whatever the backend, batch size or completion order;
* ``manifest.json``: grid size, seed, version, package versions, backend, per-cell timings.

Traps
-----
* Cell ``i`` draws from ``cell_seed(study.seed, i)``, so its *grid position* and the study seed
  are part of its hash together with the config, ``version``, the function's qualified name and
  the installed heavytails version. Appending configs reuses the earlier cells; inserting or
  reordering recomputes the cells whose index moved.
* The function's *code* is not hashed, and an editable install keeps its version number: bump
  ``Study.version`` when a cell function changes what it returns.
* One runner per study folder at a time (two runners would compute the same cells twice).
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version as _dist_version
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from simulator import _sweep_backends as backends
from simulator import _sweep_store as store
from simulator._sweep_backends import cell_seed

__all__ = ["SCHEDULER_ENV", "Study", "StudyResult", "cell_seed", "run_study"]

SCHEDULER_ENV = "HEAVYTAILS_SCHEDULER"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_VERSIONED = ("numpy", "scipy", "numba", "heavytails", "joblib", "dask", "distributed", "tqdm")


def _installed(dist: str) -> str | None:
    try:
        return _dist_version(dist)
    except PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def package_version() -> str:
    """The installed heavytails version (part of every cell hash)."""
    return _installed("heavytails") or "0.0.0+unknown"


def func_name(func: Callable) -> str:
    """``module:qualname`` of a top-level function (part of every cell hash)."""
    return f"{func.__module__}:{func.__qualname__}"


@dataclasses.dataclass(frozen=True)
class Study:
    """A grid of independent cells: ``func(config, seed) -> dict | list[dict]`` for each config.

    Parameters
    ----------
    name : str
        Folder name of the results (``out_dir/<name>/``): letters, digits, ``_ . -``.
    func : callable
        A top-level (picklable) function of ``(config, numpy.random.SeedSequence)`` returning
        one record (a dict of scalars) or a small table (a list of such dicts).
    grid : sequence
        Configs (frozen dataclass instances or mappings of scalars); order = grid position.
    seed : int
        Study seed; cell ``i`` gets ``cell_seed(seed, i)``.
    version : str
        Bump to recompute every cell (see the module's traps).
    resources : dict, optional
        Dask worker resources each task needs, e.g. ``{"GPU": 1}`` (ignored by local backends).
    """

    name: str
    func: Callable[[Any, np.random.SeedSequence], dict | list[dict]]
    grid: Sequence[Any]
    seed: int = 0
    version: str = ""
    resources: dict | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _NAME.fullmatch(self.name):
            raise ValueError(f"name must match {_NAME.pattern} (a folder name), got {self.name!r}")
        if not callable(self.func) or "<" in getattr(self.func, "__qualname__", "<"):
            raise ValueError(f"func must be a top-level (importable, picklable) function, got {self.func!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {self.seed!r}")
        if not isinstance(self.version, str):
            raise ValueError(f"version must be a str, got {self.version!r}")
        if self.resources is not None and not (
            isinstance(self.resources, Mapping)
            and all(isinstance(k, str) and isinstance(v, (int, float)) and v > 0 for k, v in self.resources.items())
        ):
            raise ValueError(f"resources must be None or a dict of positive amounts, got {self.resources!r}")
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "grid", tuple(self.grid))
        for i, config in enumerate(self.grid):
            store.flatten_config(config)  # raises TypeError naming the offending field


@dataclasses.dataclass(frozen=True)
class StudyResult:
    """Finished and failed cells of a :func:`run_study` call and where its outputs are."""

    rows: list[dict]
    failed: list[dict]
    csv_path: Path
    manifest_path: Path
    n_cells: int
    n_computed: int
    n_reused: int

    @property
    def summary(self) -> str:
        """``"N computed, M reused, K failed"``."""
        return f"{self.n_computed} computed, {self.n_reused} reused, {len(self.failed)} failed"


def _load(path: Path) -> dict | None:
    """A stored record, or None if it is unreadable (it is then recomputed)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("rows"), list) else None


def _backend(study: Study, todo: list[int], jobs: int | None, scheduler: str | None, batch: int | None):
    """(description, outcome iterator) of the backend the arguments select."""
    if scheduler is None and jobs is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    args = (study.func, study.seed, study.grid, todo)
    if scheduler is not None:
        return f"dask({scheduler})", backends.run_dask(*args, scheduler, batch, study.resources)
    workers = min(jobs or _usable_cpus(), len(todo))
    if workers <= 1:
        return "sequential", backends.run_sequential(*args)
    return f"processes(loky, {workers} workers)", backends.run_processes(*args, workers, batch)


def _usable_cpus() -> int:
    """CPUs this process may use: ``os.cpu_count()`` narrowed by affinity and cgroup quotas (joblib)."""
    from joblib import cpu_count

    return max(1, cpu_count())


def _check_args(jobs: int | None, scheduler: str | None, batch: int | None) -> None:
    for name, value in (("jobs", jobs), ("batch", batch)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise ValueError(f"{name} must be None or an int >= 1, got {value!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ValueError(f"scheduler must be None or an address such as 'tcp://host:8786', got {scheduler!r}")


def run_study(
    study: Study,
    out_dir: str | os.PathLike,
    *,
    jobs: int | None = None,
    scheduler: str | None = None,
    resume: bool = True,
    progress: bool = True,
    batch: int | None = None,
) -> StudyResult:
    """Compute the unfinished cells of ``study`` and write its records, CSV and manifest.

    Parameters
    ----------
    study : Study
    out_dir : path
        Results go to ``out_dir/<study.name>/``.
    jobs : int, optional
        1: sequential, in this process. n > 1: n local processes (loky), each capped to one
        thread (``NUMBA_NUM_THREADS`` …). None: one process per usable CPU (``os.cpu_count()``
        narrowed by affinity/cgroups), or the Dask cluster named by ``$HEAVYTAILS_SCHEDULER``
        when that is set. Never more processes than cells to compute; one cell runs in-process.
    scheduler : str, optional
        A Dask scheduler address (``tcp://host:port``) or scheduler-file path; takes precedence
        over ``jobs``. Cells travel in batches with ``study.resources``.
    resume : bool
        Reuse the records of finished cells (default); False recomputes every cell.
    progress : bool
        Show a tqdm bar (cells done/total, rate, ETA) and print the summary line to stderr.
    batch : int, optional
        Cells per task on processes/Dask; default adapts so a task computes for ~0.2 s.

    Returns
    -------
    StudyResult
        Rows of the finished cells in grid order, the failed cells, paths and counts. Failed
        cells do not stop the others; they are retried by the next run.
    """
    if not isinstance(study, Study):
        raise ValueError(f"study must be a Study, got {type(study).__name__}")
    _check_args(jobs, scheduler, batch)
    run = _Run(study, Path(out_dir))
    done = run.load_finished() if resume else {}
    reused = set(done)
    todo = [i for i in range(len(study.grid)) if i not in done]
    description, outcomes = ("none (all cells reused)", iter(()))
    if todo:
        description, outcomes = _backend(study, todo, jobs, scheduler, batch)
    failures: dict[int, dict] = {}
    started, wall = datetime.now(timezone.utc), time.perf_counter()
    bar = tqdm(total=len(study.grid), initial=len(done), disable=not progress, unit="cell", desc=study.name)
    writer = store.RecordWriter()
    try:
        for outcome in outcomes:
            if outcome.error is None:
                done[outcome.index] = run.record(outcome, writer)
            else:
                failures[outcome.index] = run.failure(outcome, writer)
            bar.update(1)
    finally:
        bar.close()
        writer.close()
        result = run.finish(done, reused, failures, description, started, time.perf_counter() - wall)
    if progress:
        print(f"{study.name}: {result.summary}", file=sys.stderr)
    return result


class _Run:
    """The files of one study folder during one :func:`run_study` call."""

    def __init__(self, study: Study, out_dir: Path) -> None:
        self.study = study
        self.root = out_dir / study.name
        self.cells = self.root / "cells"
        self.failed = self.root / "failed"
        for folder in (self.root, self.cells, self.failed):
            folder.mkdir(parents=True, exist_ok=True)
            store.clear_temporaries(folder)
        self.func = func_name(study.func)
        keys = {"func": self.func, "version": study.version, "package": package_version(), "seed": study.seed}
        self.hashes = [store.cell_hash(c, index=i, **keys) for i, c in enumerate(study.grid)]

    def load_finished(self) -> dict[int, dict]:
        """Stored records of this grid's cells, by grid index."""
        present = {name[:-5] for name in os.listdir(self.cells) if name.endswith(".json")}
        done = {}
        for i, h in enumerate(self.hashes):
            if h in present and (record := _load(self.cells / f"{h}.json")) is not None:
                done[i] = record
        return done

    def _header(self, index: int) -> dict:
        return {
            "hash": self.hashes[index],
            "cell": index,
            "config": store.canonical_config(self.study.grid[index]),
            "func": self.func,
            "version": self.study.version,
            "seed": self.study.seed,
            "heavytails": package_version(),
        }

    def record(self, outcome: backends.Outcome, writer: store.RecordWriter) -> dict:
        """Queue the atomic write of a finished cell; return its record."""
        h = self.hashes[outcome.index]
        record = {**self._header(outcome.index), "seconds": outcome.seconds, "rows": outcome.rows}
        writer.submit(self.cells / f"{h}.json", record, remove=self.failed / f"{h}.json")
        return record

    def failure(self, outcome: backends.Outcome, writer: store.RecordWriter) -> dict:
        """Queue the write of a failed cell's error and traceback; return it."""
        fail = {**self._header(outcome.index), "seconds": outcome.seconds}
        fail.update(error=outcome.error, traceback=outcome.traceback)
        writer.submit(self.failed / f"{self.hashes[outcome.index]}.json", fail)
        return fail

    def rows(self, done: dict[int, dict]) -> tuple[list[dict], list[str]]:
        """Tidy rows in grid order and the CSV columns (cell, config fields, record fields)."""
        rows, config_cols, record_cols = [], {}, {}
        for i in sorted(done):
            flat = store.flatten_config(self.study.grid[i])
            config_cols.update(dict.fromkeys(flat))
            for r in done[i]["rows"]:
                record_cols.update(dict.fromkeys(r))
                rows.append({"cell": i, **flat, **r})
        return rows, ["cell", *config_cols, *record_cols]

    def finish(self, done, reused, failures, description, started, wall) -> StudyResult:
        """Write the CSV and the manifest; build the result."""
        rows, columns = self.rows(done)
        csv_path = self.root / f"{self.study.name}.csv"
        store.write_text(csv_path, store.csv_text(rows, columns))
        manifest_path = self.root / "manifest.json"
        store.write_json(manifest_path, self._manifest(done, reused, failures, description, started, wall), indent=1)
        failed = [
            {"cell": i, "config": self.study.grid[i], **{k: f[k] for k in ("error", "traceback", "hash")}}
            for i, f in sorted(failures.items())
        ]
        n_computed = len(done) - len(reused)
        return StudyResult(rows, failed, csv_path, manifest_path, len(self.study.grid), n_computed, len(reused))

    def _manifest(self, done, reused, failures, description, started, wall) -> dict:
        def status(i: int) -> str:
            return "reused" if i in reused else "computed" if i in done else "failed" if i in failures else "pending"

        def seconds(i: int) -> float | None:
            return (done.get(i) or failures.get(i) or {}).get("seconds")

        cells = [{"cell": i, "hash": h, "status": status(i), "seconds": seconds(i)} for i, h in enumerate(self.hashes)]
        return {
            "study": self.study.name,
            "func": self.func,
            "n_cells": len(self.study.grid),
            "seed": self.study.seed,
            "version": self.study.version,
            "resources": self.study.resources,
            "backend": description,
            "started": started.isoformat(timespec="seconds"),
            "wall_seconds": wall,
            "n_computed": len(done) - len(reused),
            "n_reused": len(reused),
            "n_failed": len(failures),
            "n_pending": len(self.study.grid) - len(done) - len(failures),
            "versions": {"python": sys.version.split()[0], **{d: _installed(d) for d in _VERSIONED}},
            "failures": [{"cell": i, "hash": f["hash"], "error": f["error"]} for i, f in sorted(failures.items())],
            "cells": cells,
        }
