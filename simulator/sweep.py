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
  the installed sgdtails version. Appending configs reuses the earlier cells; inserting or
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
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from sgdtails.simulator import _sweep_backends as backends
from sgdtails.simulator import _sweep_store as store
from sgdtails.simulator._sweep_backends import cell_seed
from sgdtails.simulator.provenance import package_version, provenance
from sgdtails.simulator.records import clear_temporaries, write_csv, write_json
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.validate import check_int

__all__ = ["Study", "StudyResult", "cell_seed", "run_study"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


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
        check_int(self.seed, "seed", low=0)
        if not isinstance(self.version, str):
            raise ValueError(f"version must be a str, got {self.version!r}")
        if self.resources is not None and not (
            isinstance(self.resources, Mapping)
            and all(isinstance(k, str) and isinstance(v, (int, float)) and v > 0 for k, v in self.resources.items())
        ):
            raise ValueError(f"resources must be None or a dict of positive amounts, got {self.resources!r}")
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "grid", tuple(self.grid))
        for config in self.grid:
            store.flatten_config(config)  # raises TypeError naming the offending field


@dataclasses.dataclass(frozen=True)
class StudyResult:
    """Finished and failed cells of a :func:`run_study` call and where its outputs are.

    ``csv_path`` and ``manifest_path`` are None when the study ran without a ``cache_dir`` (its
    temporary folder is gone).
    """

    rows: list[dict]
    failed: list[dict]
    csv_path: Path | None
    manifest_path: Path | None
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


def _backend(study: Study, todo: list[int], run: RunOptions, batch: int | None) -> tuple[str, Iterator[backends.Outcome]]:
    """(description, outcome iterator) of the backend ``run`` selects."""
    args = (study.func, study.seed, study.grid, todo)
    if run.scheduler is not None:
        return f"dask({run.scheduler})", backends.run_dask(*args, run.scheduler, batch, study.resources)
    workers = min(run.jobs or _usable_cpus(), len(todo))
    if workers <= 1:
        return "sequential", backends.run_sequential(*args)
    return f"processes(loky, {workers} workers)", backends.run_processes(*args, workers, batch)


def _usable_cpus() -> int:
    """CPUs this process may use: ``os.cpu_count()`` narrowed by affinity and cgroup quotas (joblib)."""
    from joblib import cpu_count

    return max(1, cpu_count())


@contextmanager
def _folder(cache_dir: str | None) -> Iterator[tuple[Path, bool]]:
    """(folder, kept): ``cache_dir`` itself, or a temporary folder removed afterwards."""
    if cache_dir is not None:
        yield Path(cache_dir), True
        return
    with tempfile.TemporaryDirectory(prefix="sgdtails_study_") as tmp:
        yield Path(tmp), False


def run_study(study: Study, *, run: RunOptions = RunOptions(), batch: int | None = None) -> StudyResult:
    """Compute the unfinished cells of ``study`` and write its records, CSV and manifest.

    Parameters
    ----------
    study : Study
    run : RunOptions
        Where the cells run (``jobs``, ``scheduler``), where their records go
        (``cache_dir/<study.name>/``; a temporary folder when None), whether finished records are
        reused (``resume``) and whether a progress bar and a summary line are shown on stderr
        (``progress``). One cell to compute always runs in this process.
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
    if not isinstance(run, RunOptions):
        raise ValueError(f"run must be a RunOptions, got {type(run).__name__}")
    if batch is not None:
        check_int(batch, "batch", low=1)
    show = run.show_progress()
    with _folder(run.cache_dir) as (folder, kept):
        files = _Run(study, folder)
        done = files.load_finished() if run.resume else {}
        reused = set(done)
        todo = [i for i in range(len(study.grid)) if i not in done]
        description = "none (all cells reused)"
        outcomes: Iterator[backends.Outcome] = iter([])
        if todo:
            description, outcomes = _backend(study, todo, run, batch)
        failures: dict[int, dict] = {}
        started, wall = datetime.now(timezone.utc), time.perf_counter()
        bar = tqdm(total=len(study.grid), initial=len(done), disable=not show, unit="cell", desc=study.name)
        writer = store.RecordWriter()
        try:
            for outcome in outcomes:
                if outcome.error is None:
                    done[outcome.index] = files.record(outcome, writer)
                else:
                    failures[outcome.index] = files.failure(outcome, writer)
                bar.update(1)
        finally:
            bar.close()
            writer.close()
            result = files.finish(done, reused, failures, description, started, time.perf_counter() - wall)
        if not kept:
            result = dataclasses.replace(result, csv_path=None, manifest_path=None)
    if show:
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
            clear_temporaries(folder)
        self.func = func_name(study.func)
        self.package = package_version()
        self.hashes = [store.cell_hash(c, index=i, func=self.func, version=study.version, package=self.package,
                                       seed=study.seed) for i, c in enumerate(study.grid)]

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
            "sgdtails": self.package,
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
        write_csv(csv_path, rows, columns)
        manifest_path = self.root / "manifest.json"
        write_json(manifest_path, self._manifest(done, reused, failures, description, started, wall))
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
            "provenance": provenance(),
            "failures": [{"cell": i, "hash": f["hash"], "error": f["error"]} for i, f in sorted(failures.items())],
            "cells": cells,
        }
