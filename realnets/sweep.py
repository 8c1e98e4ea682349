"""The real-network sweep: train (and analyse) every run of a grid through :mod:`sgdtails.simulator.sweep`.

Each cell is one :class:`sgdtails.realnets.grids.RunSpec`: :func:`sgdtails.realnets.train` writes the
run to ``<runs folder>/<run name>/`` (resumable on its own), then
:func:`sgdtails.realnets.analyze.analyze_run` writes ``<run>/analysis/``; the cell returns a one-row
summary (status, iterations, accuracies, mean α̂, mean layer pruning ratio at ε = 0.1). The sweep's
records, CSV and manifest go to ``<cache_dir>/realnets_<grid>/`` (:func:`run_realnets`).
``grid="paper"`` cells ask Dask workers for ``{"GPU": 1}``.

On local processes each cell runs torch on one thread (the runner caps every thread pool of its
workers, PyTorch's included: :func:`sgdtails.simulator._sweep_backends.limit_threads`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sgdtails.realnets.analyze import analyze_run
from sgdtails.realnets.grids import RunSpec, grid
from sgdtails.realnets.train import train
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.sweep import Study, StudyResult, run_study

__all__ = ["SweepCell", "realnets_study", "run_cell", "run_realnets"]

STUDY_VERSION = "1"


@dataclass(frozen=True)
class SweepCell:
    """One cell of the realnets sweep: a run, where its directory goes, where the data are."""

    run: RunSpec
    runs_dir: str
    data_dir: str | None = None
    analyze: bool = True


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return float(np.mean(vals)) if vals else None


RUN_FIELDS = ("status", "iterations", "converged_at", "train_loss", "train_acc", "test_acc", "wall", "eta_over_b",
              "run_dir")
"""Fields of every record of :func:`run_cell`; with ``analyze`` also :data:`ANALYSIS_FIELDS`."""
ANALYSIS_FIELDS = ("mean_alpha_paper", "mean_alpha_mmo", "mean_pr_magnitude")


def run_cell(cell: SweepCell, seed: np.random.SeedSequence) -> dict:
    """Train ``cell.run`` (seeded by its own ``seed`` field, so a run is named by its config) and summarise it."""
    del seed  # the run's seed is part of its spec and its directory name
    out = Path(cell.runs_dir) / cell.run.name
    result = train(cell.run.train_config(data_dir=cell.data_dir), out, progress=False)
    tables = analyze_run(out, data_dir=cell.data_dir) if cell.analyze else None
    record = {"status": result.status, "iterations": result.iterations, "converged_at": result.converged_at,
              "train_loss": result.train_loss, "train_acc": result.train_acc, "test_acc": result.test_acc,
              "wall": result.wall, "eta_over_b": cell.run.eta_over_b, "run_dir": str(out)}
    if tables is not None:
        model = tables["model"][0]
        record.update(mean_alpha_paper=model["mean_alpha_paper"], mean_alpha_mmo=model["mean_alpha_mmo"],
                      mean_pr_magnitude=_mean(tables["layers"], "pr_magnitude"))
    return record


def realnets_study(grid_name: str, out_dir: str | os.PathLike[str], *, data_dir: str | None = None,
                   analyze: bool = True) -> Study:
    """The :class:`~sgdtails.simulator.sweep.Study` of grid ``grid_name`` with run directories under ``out_dir``."""
    runs_dir = str(Path(out_dir).resolve())
    cells = [SweepCell(spec, runs_dir, data_dir, analyze) for spec in grid(grid_name)]
    resources = {"GPU": 1} if grid_name == "paper" else None
    columns = RUN_FIELDS + (ANALYSIS_FIELDS if analyze else ())
    return Study(f"realnets_{grid_name}", run_cell, cells, version=STUDY_VERSION, resources=resources, columns=columns)


def run_realnets(grid_name: str, *, runs_dir: str | os.PathLike[str], data_dir: str | None = None,
                 analyze: bool = True, run: RunOptions = RunOptions()) -> StudyResult:
    """Train (and analyse) every run of grid ``grid_name`` into ``runs_dir``, resumably.

    The sweep's records, CSV and manifest go to ``run.cache_dir/realnets_<grid>/`` (``runs_dir``
    when ``run.cache_dir`` is None); ``run.resume=False`` re-runs every cell, though
    :func:`sgdtails.realnets.train` itself still resumes from the run directories.
    """
    study = realnets_study(grid_name, runs_dir, data_dir=data_dir, analyze=analyze)
    if run.cache_dir is None:
        run = run.replace(cache_dir=os.fspath(runs_dir))
    return run_study(study, run=run)
