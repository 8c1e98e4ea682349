"""The real-network sweep: train, then analyse, every run of a grid through :mod:`sgdtails.simulator.sweep`.

Two studies, each resumable on its own (records, CSV and manifest under ``<cache_dir>/``):

``realnets_<grid>``
    One cell per :class:`sgdtails.realnets.grids.RunSpec`: :func:`sgdtails.realnets.train` writes the
    run to ``<runs folder>/<run name>/`` (resumable on its own) and the cell returns the training
    summary (status, iterations, accuracies, wall time). Each cell trains on a GPU it holds alone
    (:func:`sgdtails.realnets.device.claimed_device`: the first free visible GPU of its host, so
    ``--jobs N`` on a node with N GPUs places one run on each; more jobs than GPUs wait for one),
    or on the CPU where none is visible. ``grid="paper"`` and ``"table2"`` cells ask Dask workers
    for ``{"GPU": 1}``.
``realnets_<grid>_analysis``
    One cell per run that trained: :func:`sgdtails.realnets.analyze.analyze_run` writes
    ``<run>/analysis/`` and the cell returns the training summary plus the mean α̂ and mean layer
    pruning ratio at ε = 0.1. It asks for no GPU, so the analysis (SVDs, estimators, synthetic
    references: CPU work) never holds a GPU slot that a training run could use; the pruned models'
    test accuracies are evaluated on ``analysis_device`` (default ``"cpu"``). The paper-scale grids
    (``paper``, ``table2``) are analysed with the authors' conventions
    (``conventions="paper_code"`` of :func:`~sgdtails.realnets.analyze.analyze_run`), so that their
    numbers compare with the paper's; the CPU grids with the project's.

On local processes each cell runs torch on one thread (the runner caps every thread pool of its
workers, PyTorch's included: :func:`sgdtails.simulator._sweep_backends.limit_threads`).

With Dask (``--scheduler``): start one worker per GPU, each with ``--resources GPU=1`` and its own
``CUDA_VISIBLE_DEVICES``, plus CPU workers without resources for the analysis; the run folders
must be on a filesystem every worker sees under the same path (``--out``), and the sweep's records
live there too.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from sgdtails.realnets.analyze import analyze_run
from sgdtails.realnets.device import check_device, claimed_device
from sgdtails.realnets.grids import RunSpec, grid
from sgdtails.realnets.train import train
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.sweep import Study, StudyResult, run_study

__all__ = ["AnalysisCell", "RealnetsResult", "TrainCell", "analysis_study", "realnets_study", "run_analysis_cell",
           "run_realnets", "run_train_cell"]

STUDY_VERSION = "2"
_GPU_GRIDS = ("paper", "table2")
_DEVICE_LOCKS = ".devices"


@dataclass(frozen=True)
class TrainCell:
    """One training cell: a run, where its directory goes, where the data are."""

    run: RunSpec
    runs_dir: str
    data_dir: str | None = None


@dataclass(frozen=True)
class AnalysisCell:
    """One analysis cell: a trained run, the data it needs, where pruned models are evaluated."""

    run: RunSpec
    runs_dir: str
    data_dir: str | None = None
    device: str = "cpu"
    conventions: str = "sgdtails"


RUN_FIELDS = ("status", "iterations", "converged_at", "train_loss", "train_acc", "test_acc", "wall", "eta_over_b",
              "run_dir")
"""Fields of every record of :func:`run_train_cell`; :func:`run_analysis_cell` adds :data:`ANALYSIS_FIELDS`."""
ANALYSIS_FIELDS = ("mean_alpha_paper", "mean_alpha_mmo", "mean_pr_magnitude")


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return float(np.mean(vals)) if vals else None


def _record(result: Mapping[str, Any], spec: RunSpec, out: Path) -> dict:
    """The training summary of a run from its :class:`TrainResult` fields (or its ``status.json``)."""
    return {**{k: result[k] for k in RUN_FIELDS[:7]}, "eta_over_b": spec.eta_over_b, "run_dir": str(out)}


def run_train_cell(cell: TrainCell, seed: np.random.SeedSequence) -> dict:
    """Train ``cell.run`` (seeded by its own ``seed`` field, so a run is named by its config) on a device it holds."""
    del seed  # the run's seed is part of its spec and its directory name
    out = Path(cell.runs_dir) / cell.run.name
    with claimed_device(Path(cell.runs_dir) / _DEVICE_LOCKS) as device:
        result = train(cell.run.train_config(data_dir=cell.data_dir, device=device), out, progress=False)
    return _record(asdict(result), cell.run, out)


def run_analysis_cell(cell: AnalysisCell, seed: np.random.SeedSequence) -> dict:
    """Analyse the trained run of ``cell`` (its training summary from the run folder) and summarise it."""
    del seed
    out = Path(cell.runs_dir) / cell.run.name
    tables = analyze_run(out, data_dir=cell.data_dir, device=cell.device,  # says so if the run has not finished
                         conventions=cell.conventions)
    result = json.loads((out / "status.json").read_text(encoding="utf-8"))
    model = tables["model"][0]
    return {**_record(result, cell.run, out), "mean_alpha_paper": model["mean_alpha_paper"],
            "mean_alpha_mmo": model["mean_alpha_mmo"], "mean_pr_magnitude": _mean(tables["layers"], "pr_magnitude")}


def realnets_study(grid_name: str, out_dir: str | os.PathLike[str], *, data_dir: str | None = None,
                   specs: Sequence[RunSpec] | None = None) -> Study:
    """The training :class:`~sgdtails.simulator.sweep.Study` of grid ``grid_name`` (or of ``specs``) into ``out_dir``."""
    runs_dir = str(Path(out_dir).resolve())
    cells = [TrainCell(spec, runs_dir, data_dir) for spec in (grid(grid_name) if specs is None else specs)]
    resources = {"GPU": 1} if grid_name in _GPU_GRIDS else None
    return Study(f"realnets_{grid_name}", run_train_cell, cells, version=STUDY_VERSION, resources=resources,
                 columns=RUN_FIELDS)


def analysis_study(grid_name: str, out_dir: str | os.PathLike[str], specs: Sequence[RunSpec], *,
                   data_dir: str | None = None, device: str = "cpu") -> Study:
    """The analysis :class:`~sgdtails.simulator.sweep.Study` of the trained runs ``specs`` in ``out_dir``."""
    runs_dir = str(Path(out_dir).resolve())
    conventions = "paper_code" if grid_name in _GPU_GRIDS else "sgdtails"
    cells = [AnalysisCell(spec, runs_dir, data_dir, device, conventions) for spec in specs]
    return Study(f"realnets_{grid_name}_analysis", run_analysis_cell, cells, version=STUDY_VERSION,
                 columns=RUN_FIELDS + ANALYSIS_FIELDS)


@dataclass(frozen=True)
class RealnetsResult:
    """The two studies of :func:`run_realnets` (``analysis`` is None with ``analyze=False``)."""

    training: StudyResult
    analysis: StudyResult | None

    @property
    def rows(self) -> list[dict]:
        """The analysis records (the training ones without analysis)."""
        return (self.training if self.analysis is None else self.analysis).rows

    @property
    def n_cells(self) -> int:
        """Runs in the grid."""
        return self.training.n_cells

    @property
    def failed(self) -> list[dict]:
        """Failed cells of both studies (``config`` is the cell, its ``run`` the spec)."""
        return self.training.failed + ([] if self.analysis is None else self.analysis.failed)

    @property
    def csv_path(self) -> Path | None:
        """The CSV of the last study that ran."""
        return (self.training if self.analysis is None else self.analysis).csv_path

    @property
    def summary(self) -> str:
        """``"training: …; analysis: …"`` (computed, reused, failed per study)."""
        text = f"training: {self.training.summary}"
        return text if self.analysis is None else f"{text}; analysis: {self.analysis.summary}"


def run_realnets(grid_name: str, *, runs_dir: str | os.PathLike[str], data_dir: str | None = None,
                 analyze: bool = True, analysis_device: str = "cpu", specs: Sequence[RunSpec] | None = None,
                 run: RunOptions = RunOptions()) -> RealnetsResult:
    """Train, then analyse, every run of grid ``grid_name`` (or of ``specs``) into ``runs_dir``, resumably.

    The records, CSVs and manifests of both studies go to ``run.cache_dir/realnets_<grid>[_analysis]/``
    (``runs_dir`` when ``run.cache_dir`` is None); ``run.resume=False`` re-runs every cell, though
    :func:`sgdtails.realnets.train` itself still resumes from the run directories. Only runs whose
    training cell succeeded are analysed.
    """
    check_device(analysis_device, "analysis_device")
    if run.cache_dir is None:
        run = run.replace(cache_dir=os.fspath(runs_dir))
    training = run_study(realnets_study(grid_name, runs_dir, data_dir=data_dir, specs=specs), run=run)
    if not analyze:
        return RealnetsResult(training, None)
    trained = _trained_specs(grid_name, specs, training)
    analysis = run_study(analysis_study(grid_name, runs_dir, trained, data_dir=data_dir, device=analysis_device),
                         run=run)
    return RealnetsResult(training, analysis)


def _trained_specs(grid_name: str, specs: Sequence[RunSpec] | None, training: StudyResult) -> list[RunSpec]:
    """The specs whose training cell succeeded (by run directory)."""
    done = {Path(row["run_dir"]).name for row in training.rows}
    return [s for s in (grid(grid_name) if specs is None else specs) if s.name in done]
