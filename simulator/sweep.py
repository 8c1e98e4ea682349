"""Resumable runner for grids of independent cells (every figure's and table's sweep).

A :class:`Study` is a cell function and a grid of configs (frozen dataclasses or dicts of
scalars). :func:`run_study` computes every cell not finished yet — in-process, on local processes
or on a Dask cluster — and writes, under ``out_dir/<name>/``:

* ``cells.sqlite``: the study's cell store (:mod:`sgdtails.simulator._cell_store`, SQLite in WAL
  mode): every finished cell (its rows and a sha256 checksum of them), every failed cell (error
  and traceback, retried by the next run) and which run is computing which cell. The runner
  writes the records as they arrive, in batched transactions (a killed run loses only the cells
  in flight), and verifies each one before reusing it;
* ``<name>.csv``: the tidy rows of all finished cells in grid order, byte-identical for the same
  results whatever the backend, batch size or completion order;
* ``manifest.json``: grid size, seed, version, package versions, backend, per-cell timings.

Records are verified, never trusted: a record is reused only if its header (hash, grid index,
config, cell function, version, seed, sgdtails version) is the current grid's, its checksum
matches its rows, and its rows are a non-empty list of dicts of scalars without reserved fields
(and with every field of ``Study.columns`` when the study declares them). Any other record is
discarded and recomputed with one :class:`StoreWarning` per run; a damaged store (not a database,
truncated, a directory in its place, read-only) is moved aside with one warning and its cells
recomputed. The per-cell JSON files of earlier versions (``cells/<hash>.json``,
``failed/<hash>.json``) are imported when a grid they belong to runs (verified the same way, and
against the other records' fields since they carry no checksum); the imported and rejected files
are then deleted, the others left as they are.

Two runs on one folder share the work: each claims the cells it computes; a run finding cells
claimed by another live run computes the rest, then waits for those (saying so on stderr) and
reuses them, and takes over the claims of a run that died.

Traps
-----
* Cell ``i`` draws from ``cell_seed(study.seed, i)``, so its *grid position* and the study seed
  are part of its hash together with the config, ``version``, the function's qualified name and
  the installed sgdtails version. Appending configs reuses the earlier cells; inserting or
  reordering recomputes the cells whose index moved.
* The function's *code* is not hashed, and an editable install keeps its version number: bump
  ``Study.version`` when a cell function changes what it returns.
* The checksum catches damage and hand edits, not forgery: a record rewritten together with a
  recomputed checksum is indistinguishable from a real one.
* A backend that loses its workers (:class:`~sgdtails.simulator._sweep_backends.BackendLost`)
  ends the run with one ``BackendLost`` (a ``RuntimeError``) after the finished cells, CSV and
  manifest are written; a ``KeyboardInterrupt`` likewise keeps them.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from tqdm import tqdm

from sgdtails.simulator import _cell_store as cellstore
from sgdtails.simulator import _sweep_backends as backends
from sgdtails.simulator import _sweep_store as store
from sgdtails.simulator._cell_store import StoreWarning
from sgdtails.simulator._sweep_backends import BackendLost, cell_seed
from sgdtails.simulator.messages import one_line
from sgdtails.simulator.provenance import package_version, provenance
from sgdtails.simulator.records import TMP_SUFFIX, clear_temporaries, write_csv, write_json
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.validate import check_int

__all__ = ["BackendLost", "StoreWarning", "Study", "StudyResult", "cell_seed", "run_study"]

_log = logging.getLogger(__name__)


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
    columns : sequence of str, optional
        Fields every row of every cell must have. A computed cell lacking one is a failed cell;
        a stored record lacking one is discarded and recomputed. Not part of the hash.
    """

    name: str
    func: Callable[[Any, np.random.SeedSequence], dict | list[dict]]
    grid: Sequence[Any]
    seed: int = 0
    version: str = ""
    resources: dict | None = None
    columns: tuple[str, ...] | None = None

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
        if self.columns is not None:
            if isinstance(self.columns, str) or not isinstance(self.columns, Sequence) or not all(
                isinstance(c, str) and c for c in self.columns
            ):
                raise ValueError(f"columns must be None or a sequence of field names, got {self.columns!r}")
            object.__setattr__(self, "columns", tuple(self.columns))
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
    cell_seconds: float = 0.0
    """Compute time of the finished cells, summed over their records: reused cells count the time
    they took when they were computed, so this is the study's total across resumed invocations."""

    @property
    def summary(self) -> str:
        """``"N computed, M reused, K failed"``."""
        return f"{self.n_computed} computed, {self.n_reused} reused, {len(self.failed)} failed"


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



POLL_S = 0.2
"""Seconds between two looks at the store while waiting for cells another run computes."""


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

    Raises
    ------
    BackendLost
        The backend could compute no more (e.g. every Dask worker is gone): the cells it
        delivered are kept and written to the CSV and manifest first; the one-line message says
        how many cells are finished and that a rerun resumes.

    Warns
    -----
    StoreWarning
        A stored record failed verification, or the store was damaged or unusable (what it held
        is recomputed).
    """
    if not isinstance(study, Study):
        raise ValueError(f"study must be a Study, got {type(study).__name__}")
    if not isinstance(run, RunOptions):
        raise ValueError(f"run must be a RunOptions, got {type(run).__name__}")
    if batch is not None:
        check_int(batch, "batch", low=1)
    show = run.show_progress()
    with _folder(run.cache_dir) as (folder, kept):
        session = _Run(study, folder)
        try:
            result, lost = session.execute(run, batch, show)
        finally:
            session.close()
        stored = kept and not session.store.broken
        if not kept:
            result = dataclasses.replace(result, csv_path=None, manifest_path=None)
    if show:
        print(f"{study.name}: {result.summary}", file=sys.stderr)
    if lost is not None:
        finished = result.n_computed + result.n_reused
        how = ("finished and kept" if stored else "finished but not kept (no cache_dir)" if not kept
               else "finished but not kept (the cell store is unusable)")
        reason = one_line(lost)
        raise BackendLost(f"{study.name}: {finished} of {result.n_cells} cells {how}; {reason}; rerun to resume") from lost
    return result


class _Done(NamedTuple):
    """A finished cell: its rows and compute time."""

    rows: list[dict]
    seconds: float | None


def _same(value: object, expected: object) -> bool:
    """``value == expected`` with the same type (JSON ``true`` is not the seed ``1``)."""
    return type(value) is type(expected) and value == expected


class _Run:
    """The study folder during one :func:`run_study` call: its store, its verified records."""

    def __init__(self, study: Study, out_dir: Path) -> None:
        self.study = study
        self.root = out_dir / study.name
        self.root.mkdir(parents=True, exist_ok=True)
        clear_temporaries(self.root)
        try:  # fail now, not after computing every cell, when the folder cannot be written
            fd, probe = tempfile.mkstemp(dir=self.root, suffix=TMP_SUFFIX)
        except OSError as exc:
            raise type(exc)(exc.errno, f"cannot write to the study folder {self.root}: {exc.strerror}") from None
        os.close(fd)
        os.unlink(probe)
        self.func = func_name(study.func)
        self.package = package_version()
        self.flat = [store.flatten_config(c) for c in study.grid]
        self.hashes = [store.cell_hash(c, index=i, func=self.func, version=study.version, package=self.package,
                                       seed=study.seed) for i, c in enumerate(study.grid)]
        self.index = {h: i for i, h in enumerate(self.hashes)}
        self.headers = [
            cellstore.Header(h, i, store.canonical_json(c), self.func, study.version, study.seed, self.package)
            for i, (h, c) in enumerate(zip(self.hashes, study.grid))
        ]
        self.store = cellstore.CellStore(self.root, study.name)

    def close(self) -> None:
        """Release this run's claims and close the store."""
        self.store.close()

    def reserved(self, index: int) -> set[str]:
        """Field names a row of cell ``index`` may not use (its config's fields and ``cell``)."""
        return {*self.flat[index], "cell"}

    # -- verification ------------------------------------------------------------------------
    def verify(self, index: int, rec: cellstore.StoredCell) -> tuple[list[dict] | None, str | None]:
        """(rows, None) for a record that may be reused as cell ``index``, else (None, why not)."""
        head = self.headers[index]
        if not _same(rec.cell, index):
            return None, f"it says it is cell {rec.cell!r}"
        if rec.config != head.config:
            return None, "its config is not the grid's"
        for name in ("func", "version", "seed", "sgdtails"):
            if not _same(getattr(rec, name), getattr(head, name)):
                return None, f"its {name} {getattr(rec, name)!r} is not the study's {getattr(head, name)!r}"
        if not isinstance(rec.rows, str) or rec.checksum != cellstore.checksum(head.hash, rec.rows):
            return None, "its checksum does not match its rows"
        try:
            rows = json.loads(rec.rows)
        except (ValueError, RecursionError):
            return None, "its rows are not JSON"
        reason = store.check_rows(rows, self.reserved(index), self.study.columns)
        return (rows, None) if reason is None else (None, reason)

    def warn_discarded(self, bad: Mapping[int, str]) -> None:
        """One :class:`StoreWarning` for the records that failed verification."""
        if not bad:
            return
        cells = sorted(bad)
        shown = ", ".join(f"cell {i} ({bad[i]})" for i in cells[:3]) + (", …" if len(cells) > 3 else "")
        n = len(cells)
        warnings.warn(f"{self.study.name}: discarded {n} stored record{'s' if n > 1 else ''} that failed verification: "
                      f"{shown}; cells without a valid record are recomputed", StoreWarning, stacklevel=4)

    def load(self) -> dict[int, _Done]:
        """The verified records of this grid's cells in the store, by grid index (bad ones deleted, reported)."""
        done: dict[int, _Done] = {}
        bad: dict[int, str] = {}
        for h, rec in self.store.finished(self.hashes).items():
            i = self.index[h]
            rows, reason = self.verify(i, rec)
            if reason is None:
                done[i] = _Done(rows, rec.seconds if isinstance(rec.seconds, float) else None)  # type: ignore[arg-type]
            else:
                bad[i] = reason
        # a record carrying cell i's header under another hash was filed (or edited) wrongly
        wanted = {tuple(head[1:]): head.hash for head in self.headers}
        misfiled = [head for head in self.store.headers() if head.hash not in self.index and tuple(head[1:]) in wanted]
        for head in misfiled:
            bad.setdefault(head.cell, f"it is filed under hash {head.hash[:12]}…, which its header does not give")
        self.store.discard([self.hashes[i] for i in bad if i not in done] + [head.hash for head in misfiled])
        self.warn_discarded(bad)
        return done

    # -- the JSON records of earlier versions ---------------------------------------------------
    def _legacy_header(self, record: object, index: int) -> str | None:
        """Why a JSON record is not cell ``index`` of this grid, or None."""
        if not isinstance(record, dict):
            return "it is not a JSON object"
        head = self.headers[index]
        if not _same(record.get("hash"), head.hash):
            return "its hash field is not its file name"
        if not _same(record.get("cell"), index):
            return f"it says it is cell {record.get('cell')!r}"
        try:
            config = store.canonical_json(record.get("config"))
        except TypeError:
            config = None
        if config != head.config:
            return "its config is not the grid's"
        for name in ("func", "version", "seed", "sgdtails"):
            if not _same(record.get(name), getattr(head, name)):
                return f"its {name} {record.get(name)!r} is not the study's {getattr(head, name)!r}"
        return None

    def _legacy_record(self, path: Path, index: int) -> tuple[list[dict], float | None] | str:
        """(rows, seconds) of a JSON record that may be imported as cell ``index``, else why not."""
        record, reason = self._read_json(path)
        if reason is None:
            reason = self._legacy_header(record, index)
        if reason is not None or not isinstance(record, dict):
            return reason or "it is not a JSON object"
        rows = record.get("rows")
        reason = store.check_rows(rows, self.reserved(index), self.study.columns)
        if reason is not None or not isinstance(rows, list):
            return reason or "its rows are not a list"
        seconds = record.get("seconds")
        return rows, seconds if isinstance(seconds, float) else None

    @staticmethod
    def _read_json(path: Path) -> tuple[object, str | None]:
        try:
            return json.loads(path.read_text(encoding="utf-8")), None
        except (OSError, ValueError, RecursionError) as exc:
            return None, f"it cannot be read ({one_line(exc, typed=True)})"

    def _disagreeing(self, candidates: Mapping[int, list[dict]], done: Mapping[int, _Done]) -> dict[int, str]:
        """Candidates lacking a field that most records have in every row (they carry no checksum)."""
        every = {i: set.intersection(*(set(r) for r in rows)) for i, rows in candidates.items()}
        every.update({i: set.intersection(*(set(r) for r in d.rows)) for i, d in done.items() if i not in every})
        total = len(every)
        if total < 3:
            return {}
        count: dict[str, int] = {}
        for fields in every.values():
            for f in fields:
                count[f] = count.get(f, 0) + 1
        common = [f for f, k in count.items() if 2 * k > total]
        out = {}
        for i in candidates:
            missing = [f for f in common if f not in every[i]]
            if missing:
                out[i] = f"a row lacks the field {missing[0]!r} that {count[missing[0]]} of {total} records have"
        return out

    def migrate(self, done: dict[int, _Done]) -> None:
        """Import this grid's records from ``cells/*.json`` and ``failed/*.json`` (earlier versions), verified.

        Imported and rejected files are deleted once the store holds the import, as are files
        superseded by a stored record; files of other grids stay. Without a usable store the
        verified records are reused this run and nothing is deleted.
        """
        cells_dir, failed_dir = self.root / "cells", self.root / "failed"
        if not (cells_dir.is_dir() or failed_dir.is_dir()):
            return
        bad: dict[int, str] = {}
        candidates: dict[int, tuple[list[dict], float | None]] = {}
        remove: list[Path] = []
        names = self._json_names(cells_dir)
        for i, h in enumerate(self.hashes):
            path = cells_dir / f"{h}.json"
            if path.name not in names:
                continue
            if path.is_file():
                remove.append(path)  # imported, rejected or superseded by a stored record
            if i in done:
                continue
            found = self._legacy_record(path, i)
            if isinstance(found, str):
                bad[i] = f"cells/{path.name[:12]}…: {found}"
            else:
                candidates[i] = found
        for i, reason in self._disagreeing({i: rows for i, (rows, _) in candidates.items()}, done).items():
            bad[i] = f"cells/{self.hashes[i][:12]}…: {reason}"
            del candidates[i]
        failures: list[tuple[cellstore.Header, str, str | None, float | None]] = []
        names = self._json_names(failed_dir)
        for i, h in enumerate(self.hashes):
            path = failed_dir / f"{h}.json"
            if path.name not in names:
                continue
            record, unreadable = self._read_json(path)
            if (unreadable is None and self._legacy_header(record, i) is None and isinstance(record, dict)
                    and isinstance(record.get("error"), str) and i not in done and i not in candidates):
                tb = record.get("traceback")
                seconds = record.get("seconds")
                failures.append((self.headers[i], record["error"], tb if isinstance(tb, str) else None,
                                 seconds if isinstance(seconds, float) else None))
            if path.is_file():
                remove.append(path)
        imported = [(self.headers[i], store.rows_json(rows), s) for i, (rows, s) in sorted(candidates.items())]
        done.update({i: _Done(rows, s) for i, (rows, s) in candidates.items()})
        self.warn_discarded(bad)
        if not self.store.import_records(imported, failures):
            return
        for path in remove:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass  # left for a later run (or the user)
        for folder in (cells_dir, failed_dir):
            if folder.is_dir():
                clear_temporaries(folder)
                try:
                    folder.rmdir()
                except OSError:
                    pass  # records of other grids (or other files) are left there

    @staticmethod
    def _json_names(folder: Path) -> set[str]:
        try:
            return {n for n in os.listdir(folder) if n.endswith(".json")}
        except OSError:
            return set()

    # -- computing ----------------------------------------------------------------------------
    def execute(self, run: RunOptions, batch: int | None, show: bool) -> tuple[StudyResult, BackendLost | None]:
        """Reuse, claim, compute and wait for the cells; write the CSV and manifest (also when interrupted)."""
        study = self.study
        since = time.time()
        done = self.load() if run.resume else {}
        if run.resume:
            self.migrate(done)
        reused = set(done)
        todo = [i for i in range(len(study.grid)) if i not in done]
        pending, waiting = self.claim(todo, done, reused, run.resume)
        _log.info("%s: %d cells in %s: %d reused, %d to compute here, %d claimed by another run",
                  study.name, len(study.grid), self.root, len(reused), len(pending), len(waiting))
        failures: dict[int, dict] = {}
        description, lost = "none (all cells reused)", None
        started, wall = datetime.now(timezone.utc), time.perf_counter()
        bar = tqdm(total=len(study.grid), initial=len(done), disable=not show, unit="cell", desc=study.name)
        writer = self.store.writer()
        try:
            while True:
                if pending:
                    what, outcomes = _backend(study, pending, run, batch)
                    _log.info("%s: computing %d cells on %s", study.name, len(pending), what)
                    description = what if description.startswith("none") else description
                    try:
                        for outcome in outcomes:
                            self.take(outcome, writer, done, failures)
                            bar.update(1)
                    except BackendLost as exc:
                        lost = exc
                        break
                if not waiting:
                    break
                pending = self.wait(waiting, done, failures, reused, since, run.resume, bar, writer)
        finally:
            bar.close()
            writer.close()
            result = self.finish(done, reused, failures, description, started, time.perf_counter() - wall)
        return result, lost

    def take(self, outcome: backends.Outcome, writer: cellstore.StoreWriter, done: dict[int, _Done],
             failures: dict[int, dict]) -> None:
        """Keep one outcome of the backend (queued for the store)."""
        i, rows = outcome.index, outcome.rows
        error, tb = outcome.error, outcome.traceback
        if error is None:
            reason = store.check_rows(rows, self.reserved(i), self.study.columns)
            if reason is None and isinstance(rows, list):
                done[i] = _Done(rows, outcome.seconds)
                failures.pop(i, None)
                writer.finished(self.headers[i], store.rows_json(rows), outcome.seconds)
                writer.check()
                return
            error, tb = f"ValueError: the cell's result does not fit the study: {reason}", None
        failures[i] = {"hash": self.hashes[i], "error": error, "traceback": tb, "seconds": outcome.seconds}
        writer.failed(self.headers[i], error, tb, outcome.seconds)
        writer.check()

    def wait(self, waiting: dict[int, cellstore.Claimant], done: dict[int, _Done], failures: dict[int, dict],
             reused: set[int], since: float, resume: bool, bar: tqdm, writer: cellstore.StoreWriter) -> list[int]:
        """Wait for the cells other runs compute; reuse them; return those to take over (claimed now)."""
        first = next(iter(waiting.values()))
        print(f"{self.study.name}: {len(waiting)} cell{'s are' if len(waiting) > 1 else ' is'} being computed by "
              f"another run ({first}); waiting to reuse {'them' if len(waiting) > 1 else 'it'}", file=sys.stderr)
        while waiting:
            time.sleep(POLL_S)
            writer.check()
            held = self.store.claimed([self.hashes[i] for i in waiting])
            released = [i for i in waiting if self.hashes[i] not in held]
            if not released:
                continue
            hashes = [self.hashes[i] for i in released]
            stored, failed = self.store.finished(hashes), self.store.failures(hashes)
            bad: dict[int, str] = {}
            takeover = []
            for i, h in zip(released, hashes):
                rec, fail = stored.get(h), failed.get(h)
                if rec is not None and (resume or rec.written >= since):
                    rows, reason = self.verify(i, rec)
                    if reason is None:
                        done[i] = _Done(rows, rec.seconds if isinstance(rec.seconds, float) else None)  # type: ignore[arg-type]
                        reused.add(i)
                        del waiting[i]
                        bar.update(1)
                        continue
                    bad[i] = reason
                elif fail is not None and fail.written >= since:
                    failures[i] = {"hash": h, "error": fail.error, "traceback": fail.traceback, "seconds": fail.seconds}
                    del waiting[i]
                    bar.update(1)
                    continue
                takeover.append(i)
            self.store.discard([self.hashes[i] for i in bad])
            self.warn_discarded(bad)
            if takeover:
                for i in takeover:
                    del waiting[i]
                mine, still = self.claim(takeover, done, reused, resume, bar)
                waiting.update(still)
                if mine:
                    return mine
        return []

    def claim(self, indices: list[int], done: dict[int, _Done], reused: set[int], resume: bool,
              bar: tqdm | None = None) -> tuple[list[int], dict[int, cellstore.Claimant]]:
        """Claim cells ``indices``: (those this run computes, those another live run computes).

        A cell finished by another run since this one looked (``resume``) is verified and reused.
        """
        mine: list[int] = []
        waiting: dict[int, cellstore.Claimant] = {}
        while indices:
            others, finished = self.store.claim([self.hashes[i] for i in indices], skip_finished=resume)
            waiting.update({self.index[h]: who for h, who in others.items()})
            mine += [i for i in indices if self.hashes[i] not in others and self.hashes[i] not in finished]
            bad: dict[int, str] = {}
            stored = self.store.finished(sorted(finished))
            vanished = [self.index[h] for h in finished if h not in stored]  # discarded meanwhile: claim again
            for h, rec in stored.items():
                i = self.index[h]
                rows, reason = self.verify(i, rec)
                if reason is None:
                    done[i] = _Done(rows, rec.seconds if isinstance(rec.seconds, float) else None)  # type: ignore[arg-type]
                    reused.add(i)
                    if bar is not None:
                        bar.update(1)
                else:
                    bad[i] = reason
            self.store.discard([self.hashes[i] for i in bad])
            self.warn_discarded(bad)
            indices = sorted([*bad, *vanished])  # their records are gone: claim them now
        return mine, waiting

    # -- outputs ------------------------------------------------------------------------------
    def rows(self, done: dict[int, _Done]) -> tuple[list[dict], list[str]]:
        """Tidy rows in grid order and the CSV columns (cell, config fields, record fields)."""
        rows, config_cols, record_cols = [], {}, {}
        for i in sorted(done):
            flat = self.flat[i]
            config_cols.update(dict.fromkeys(flat))
            for r in done[i].rows:
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
        cell_seconds = math.fsum(d.seconds for d in done.values() if d.seconds is not None)
        return StudyResult(rows, failed, csv_path, manifest_path, len(self.study.grid), n_computed, len(reused),
                           cell_seconds)

    def _manifest(self, done, reused, failures, description, started, wall) -> dict:
        def status(i: int) -> str:
            return "reused" if i in reused else "computed" if i in done else "failed" if i in failures else "pending"

        def seconds(i: int) -> float | None:
            return done[i].seconds if i in done else failures[i]["seconds"] if i in failures else None

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
