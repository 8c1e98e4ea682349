r"""How the theorem checks run their Monte-Carlo cells: seeds, grids, and the route through the runner.

A check measures one or more *series*: a statement "error(size) ≤ threshold" evaluated on
``trials`` independent samples at each size of a grid. Every (size, trial) cell is a pure
function ``cell(config, seed)`` of a frozen, picklable config and its own
``numpy.random.SeedSequence`` (:func:`cell_seed`, keyed by series, size and trial, never by the
order of execution), so a cell can be recomputed alone or routed through the sweep runner.

Where the cells run is a :class:`~sgdtails.simulator.RunOptions`: with the defaults (``jobs=1``, no
scheduler, no ``cache_dir``) they run in this process, one after the other. Otherwise each
:func:`run_grid` call becomes one :class:`sgdtails.simulator.sweep.Study` (folder
``cache_dir/<series>-<hash>/``) whose grid cells are :class:`SweepCell` — the cell function's
name, its config and the *full* seed ``cell_seed(root, *key, trial)`` (root entropy, spawn key,
pool size). :func:`sweep_cell` rebuilds that seed and ignores the stream the runner passes
(``cell_seed(study.seed, index)``), so a cell draws the same numbers in or out of a sweep, whatever
the backend, and finished cells are cached and reused (``resume``). Every cell computes with BLAS
and OpenMP held to one thread (:func:`sgdtails.simulator._threads.pinned_threads`, in this process
as on every backend), so its output is the same to the last bit for ``jobs=1``, ``jobs=n``, a Dask
cluster and any ``OPENBLAS_NUM_THREADS`` (a multi-threaded BLAS changes the last bits of singular
values and eigenvalues). The trials are the outer loop of the grid, so raising ``trials`` reuses
the earlier cells. A failed cell raises ``RuntimeError`` naming it: a check cannot give a verdict
with missing cells.
"""
from __future__ import annotations

import hashlib
import importlib
import json
import logging
import numbers
import os
import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from sgdtails.simulator._threads import pinned_threads
from sgdtails.simulator.fingerprint import engine_fingerprint
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike, as_seed_sequence
from sgdtails.simulator.validate import check_eps, check_int, check_kappa, check_p

__all__ = [
    "SWEEP_VERSION",
    "SweepCell",
    "boot_rng",
    "cell_seed",
    "check_run",
    "check_settings",
    "root_seed",
    "run_grid",
    "seed_config",
    "sweep_cell",
]

_log = logging.getLogger(__name__)



def check_settings(kappa: float, eps: float, p: float, trials: int) -> None:
    """Validate κ ∈ (0, 1], ε ≥ 0, p > 0 and trials ≥ 2 (ValueError naming the argument)."""
    check_kappa(kappa)
    check_eps(eps)
    check_p(p)
    check_int(trials, "trials", low=2)


def check_run(run: object) -> RunOptions:
    """``run`` must be a :class:`~sgdtails.simulator.RunOptions`."""
    if not isinstance(run, RunOptions):
        raise ValueError(f"run must be a RunOptions, got {type(run).__name__}")
    return run


def root_seed(seed: SeedLike) -> np.random.SeedSequence:
    """The check's root ``SeedSequence`` (``None`` draws fresh entropy, recorded in the config)."""
    return as_seed_sequence(seed)


def cell_seed(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The seed of one cell: ``root`` extended by ``key`` (series, size, trial), order-free."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size)


def run_grid(
    cell: Callable[[Any, np.random.SeedSequence], float | tuple[float, ...]],
    cases: Sequence[tuple[Hashable, Any, tuple[int, ...]]],
    trials: int,
    root: np.random.SeedSequence,
    *,
    desc: str = "cells",
    run: RunOptions = RunOptions(),
) -> dict[Hashable, np.ndarray]:
    """Evaluate ``cell(config, cell_seed(root, *key, trial))`` for every case and trial.

    ``cases`` holds ``(name, config, key)``; returns ``{name: array (trials, outputs)}``. With
    ``run.in_process`` and no ``run.cache_dir``, the cells run here (a progress bar as
    ``run.progress`` says); else through :func:`sgdtails.simulator.sweep.run_study`, with the same
    numbers (module docstring).
    """
    _log.info("%s: %d cases × %d trials", desc, len(cases), trials)
    if not run.in_process or run.cache_dir is not None:
        return _run_sweep(cell, cases, trials, root, desc, run)
    out: dict[Hashable, np.ndarray] = {}
    with tqdm(total=len(cases) * trials, desc=desc, disable=not run.show_progress(), leave=False) as bar:
        for name, config, key in cases:
            rows = []
            for t in range(trials):
                with pinned_threads():  # one BLAS thread, as on every backend (module docstring)
                    value = cell(config, cell_seed(root, *key, t))
                rows.append(np.atleast_1d(np.asarray(value, dtype=float)))
                bar.update()
            out[name] = np.vstack(rows)
    return out


SWEEP_VERSION = "1"
"""Part of every sweep cell's hash: bump it when a cell function changes what it returns."""


@dataclass(frozen=True)
class SweepCell:
    """One (case, trial) cell of a sweep: ``func(config, SeedSequence(entropy, spawn_key, pool_size))``.

    ``spawn_key`` is the root's spawn key followed by the case's key and the trial, so the seed is
    exactly ``cell_seed(root, *key, trial)`` of the in-process path.
    """

    func: str
    config: Any
    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    pool_size: int


def _resolve(name: str) -> Callable:
    module, _, qualname = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def sweep_cell(cell: SweepCell, seed: np.random.SeedSequence) -> dict:
    """The :class:`sgdtails.simulator.sweep.Study` function of the checks: ``{"value_i": output i}``.

    ``seed`` (the runner's ``cell_seed(study.seed, index)``) is ignored: the cell's stream is the
    one it carries, so a cell gives the same numbers in or out of a sweep and at any grid position.
    """
    del seed
    ss = np.random.SeedSequence(cell.entropy, spawn_key=cell.spawn_key, pool_size=cell.pool_size)
    values = np.atleast_1d(np.asarray(_resolve(cell.func)(cell.config, ss), dtype=float))
    return {f"value_{i}": float(v) for i, v in enumerate(values)}


def _entropy(root: np.random.SeedSequence) -> int | tuple[int, ...]:
    e = root.entropy
    if isinstance(e, numbers.Integral):
        return int(e)
    return tuple(int(v) for v in e)  # type: ignore[union-attr]


def _study_name(desc: str, fname: str, cases, root: np.random.SeedSequence) -> str:
    """``<desc slug>-<hash of the cases and the root seed>`` (the trials are not part of it)."""
    from sgdtails.simulator._sweep_store import canonical_config

    key = {"func": fname, "cases": [[canonical_config(c), list(k)] for _, c, k in cases],
           "entropy": canonical_config(_entropy(root)), "spawn_key": list(root.spawn_key),
           "pool_size": root.pool_size}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", desc).strip("_.-") or "cells"
    return f"{slug}-{digest}"


def _run_sweep(cell, cases, trials, root, desc, run: RunOptions) -> dict[Hashable, np.ndarray]:
    from sgdtails.simulator.sweep import Study, run_study

    fname = f"{cell.__module__}:{cell.__qualname__}"
    if "<" in fname or _resolve(fname) is not cell:
        raise ValueError(f"a swept cell function must be importable by name, got {cell!r}")
    entropy = _entropy(root)
    # trial-major: raising ``trials`` appends cells, so the earlier ones keep their grid index
    grid = [SweepCell(fname, config, entropy, (*root.spawn_key, *key, t), root.pool_size)
            for t in range(trials) for _, config, key in cases]
    study = Study(_study_name(desc, fname, cases, root), sweep_cell, grid,
                  version=f"{SWEEP_VERSION}+{engine_fingerprint()}")
    result = run_study(study, run=run)
    where = os.path.join(run.cache_dir, study.name) if run.cache_dir is not None else None
    if result.failed:
        first = result.failed[0]
        kept = (f"finished cells are cached under {where}; run again to retry" if where is not None
                else "no cache_dir: nothing was kept")
        raise RuntimeError(
            f"{desc}: {len(result.failed)} of {len(grid)} Monte-Carlo cells failed and a check needs every "
            f"cell ({kept}); first: cell {first['cell']} (config {first['config'].config!r}, seed spawn key "
            f"{first['config'].spawn_key}): {first['error']}")
    rows = {r["cell"]: r for r in result.rows}
    missing = [i for i in range(len(grid)) if i not in rows]
    if missing:
        raise RuntimeError(f"{desc}: {len(missing)} of {len(grid)} Monte-Carlo cells are missing (first: "
                           f"cell {missing[0]}); a check needs every cell")
    out: dict[Hashable, np.ndarray] = {}
    for c, (name, _, _) in enumerate(cases):
        table = []
        for t in range(trials):
            r = rows[t * len(cases) + c]
            n = sum(1 for k in r if k.startswith("value_"))
            table.append(np.array([r[f"value_{i}"] for i in range(n)], dtype=float))
        out[name] = np.vstack(table)
    return out


def seed_config(root: np.random.SeedSequence) -> dict:
    """The root seed as JSON-able config entries."""
    return {"seed_entropy": str(root.entropy), "seed_spawn_key": list(root.spawn_key)}


def boot_rng(root: np.random.SeedSequence) -> np.random.Generator:
    """The bootstrap generator of a check (a reserved child of the root)."""
    return np.random.default_rng(cell_seed(root, 0x424F4F54))
