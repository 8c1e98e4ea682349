"""``heavytails sweep realnets``: train (and analyse) every run of a grid with :mod:`simulator.sweep`.

Each cell is one :class:`realnets.grids.RunSpec`: :func:`realnets.train` writes the run to
``OUT/<run name>/`` (resumable on its own), then :func:`realnets.analyze.analyze_run` writes
``OUT/<run name>/analysis/``; the cell returns a one-row summary (status, iterations, accuracies,
mean α̂, mean layer pruning ratio at ε = 0.1). The sweep's records, CSV and manifest go to
``OUT/realnets_<grid>/``. ``--grid paper`` cells ask Dask workers for ``{"GPU": 1}``.

On local processes each cell runs torch on one thread (the runner caps ``OMP_NUM_THREADS`` to 1 in
its workers; the cell applies it to torch and restores the previous count after).
"""
from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from realnets.analyze import analyze_run
from realnets.grids import GRIDS, RunSpec, grid
from realnets.train import train
from simulator.sweep import Study, run_study

__all__ = ["SweepCell", "run_cell", "realnets_study", "register"]

STUDY_VERSION = "1"


@dataclass(frozen=True)
class SweepCell:
    """One cell of the realnets sweep: a run, where its directory goes, where the data are."""

    run: RunSpec
    runs_dir: str
    data_dir: str | None = None
    analyze: bool = True


@contextlib.contextmanager
def _torch_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    cap = os.environ.get("OMP_NUM_THREADS")
    if cap and cap.isdigit() and int(cap) >= 1:
        torch.set_num_threads(int(cap))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return float(np.mean(vals)) if vals else None


def run_cell(cell: SweepCell, seed: np.random.SeedSequence) -> dict:
    """Train ``cell.run`` (seeded by its own ``seed`` field, so a run is named by its config) and summarise it."""
    del seed  # the run's seed is part of its spec and its directory name
    out = Path(cell.runs_dir) / cell.run.name
    with _torch_threads():
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
    """The :class:`~simulator.sweep.Study` of grid ``grid_name`` with run directories under ``out_dir``."""
    runs_dir = str(Path(out_dir).resolve())
    cells = [SweepCell(spec, runs_dir, data_dir, analyze) for spec in grid(grid_name)]
    resources = {"GPU": 1} if grid_name == "paper" else None
    return Study(f"realnets_{grid_name}", run_cell, cells, version=STUDY_VERSION, resources=resources)


def _cmd_sweep_realnets(args: argparse.Namespace) -> int:
    study = realnets_study(args.grid, args.out, data_dir=args.data_dir, analyze=not args.no_analyze)
    result = run_study(study, args.out, jobs=args.jobs, scheduler=args.scheduler, resume=args.resume, progress=True)
    print(f"{len(result.rows)} of {result.n_cells} runs finished ({result.summary}); table: {result.csv_path}")
    for f in result.failed:
        print(f"failed: {f['config'].run.name}: {f['error']}")
    return 1 if result.failed else 0


def _sweep_subparsers(sub: argparse._SubParsersAction) -> argparse._SubParsersAction:
    """The sub-subcommands of ``heavytails sweep`` (created here unless another package did)."""
    parser = sub.choices.get("sweep") or sub.add_parser("sweep", help="run a resumable grid of cells")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="sweep", metavar="STUDY")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sweep realnets`` to the ``heavytails`` command."""
    p = _sweep_subparsers(sub).add_parser(
        "realnets", help="train and analyse every run of a real-network grid (paper | cpu)")
    p.add_argument("--grid", required=True, choices=tuple(GRIDS),
                   help="paper: Table 2 at full size (GPU); cpu: small FCNs on MNIST-1D")
    p.add_argument("--out", required=True, help="folder of the run directories and of the sweep records")
    p.add_argument("--jobs", type=int, default=None, help="local processes (default: one per core)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address or scheduler file")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help="reuse the sweep's finished cell records (default; --no-resume re-runs every cell: "
                        "train() itself still resumes from the run directories)")
    p.add_argument("--data-dir", default=None, help="folder with the MNIST / CIFAR10 files (paper grid)")
    p.add_argument("--no-analyze", action="store_true", help="train only; run `heavytails analyze` later")
    p.set_defaults(func=_cmd_sweep_realnets)
