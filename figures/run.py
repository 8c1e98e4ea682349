"""Compute, plot and write one figure: the library side of ``sgdtails figure``.

Each figure module offers ``config_for_scale(scale, seed)``, ``compute(config, …) -> table`` and
``plot(table) -> Figure``; :func:`run_figure` picks the config, times the computation and writes
``OUT/<name>.png``, ``OUT/<name>.csv`` and ``OUT/<name>.json``. The sweeps (Figure S1, the pruning
study) keep every finished cell under ``OUT/<study>/cells.sqlite`` unless ``run.cache_dir`` says
otherwise, so an interrupted run resumes without recomputing them; the same seed reproduces every
CSV byte for byte. :func:`run_realnets_figures` draws the real-network figures (1–7, S2, S3 and
trained-vs-synthetic) from trained runs (:mod:`sgdtails.realnets.plots`).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from sgdtails.figures._common import Table, write_outputs
from sgdtails.figures.vocabulary import FIGURES, SCALES
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.validate import check_choice, check_int

__all__ = ["output_name", "run_figure", "run_realnets_figures"]


@dataclass(frozen=True)
class _Spec:
    module: ModuleType
    sweep: bool  # computed through the sweep runner (cells cached, resumable)
    extra: Callable[[Table], object] | None = None


def _spec(figure: str) -> _Spec:
    """The module of ``figure`` (imported now) and how it is computed."""
    check_choice(figure, "figure", FIGURES)
    if figure == "s1":
        from sgdtails.figures import figure_s1

        return _Spec(figure_s1, True, figure_s1.summary)
    if figure == "pruning-study":
        from sgdtails.figures import pruning_study

        return _Spec(pruning_study, True, pruning_study.trend)
    if figure == "s4":
        from sgdtails.figures import figure_s4

        return _Spec(figure_s4, False)
    if figure == "s5":
        from sgdtails.figures import figure_s5

        return _Spec(figure_s5, False, lambda t: {f"top_{f:g}": figure_s5.top_share(t, f) for f in (0.001, 0.01, 0.1)})
    from sgdtails.figures import convergence

    return _Spec(convergence, False)


def output_name(figure: str, scale: str) -> str:
    """Base name of the outputs: the module's, plus ``_cpu`` for the reduced pruning study."""
    base = _spec(figure).module.NAME
    return f"{base}_cpu" if figure == "pruning-study" and scale == "cpu" else base


def run_figure(
    figure: str,
    out: str | os.PathLike[str],
    *,
    scale: str = "cpu",
    seed: int = 0,
    run: RunOptions = RunOptions(),
) -> dict[str, Path]:
    """Compute, plot and write one figure into the folder ``out``; return the written paths by suffix.

    Parameters
    ----------
    figure : {"s1", "pruning-study", "s4", "s5", "convergence"}
    out : path
        An existing folder.
    scale : {"cpu", "paper"}
    seed : int
        Figure seed.
    run : RunOptions
        Where the cells of the sweeps run; their records go to ``run.cache_dir`` (default: ``out``);
        ``run.resume=False`` recomputes them. The figures without a sweep run in this process.
    """
    spec = _spec(figure)
    check_choice(scale, "scale", SCALES)
    check_int(seed, "seed", low=0)
    folder = Path(out)
    if not folder.is_dir():
        raise FileNotFoundError(f"output directory does not exist: {folder}")
    config = spec.module.config_for_scale(scale, seed)
    start = time.perf_counter()
    if spec.sweep:
        table = spec.module.compute(config, run=run if run.cache_dir is not None else run.replace(cache_dir=folder))
    elif figure == "convergence":
        table = spec.module.compute(config, run=RunOptions(progress=run.progress))
    else:
        table = spec.module.compute(config)
    wall = time.perf_counter() - start
    fig = spec.module.plot(table)
    device = "cpu"
    if figure == "pruning-study" and getattr(config, "device", "cpu") == "auto":
        from sgdtails.realnets.device import default_device

        device = default_device()
    extra: dict[str, object] = {"scale": scale, "compute_wall_time_s": wall}
    if spec.extra is not None:
        extra["summary"] = spec.extra(table)
    return write_outputs(output_name(figure, scale), table, fig, folder, config=config, seed=seed,
                         wall_time_s=time.perf_counter() - start, device=device, extra=extra)


def run_realnets_figures(runs: Sequence[str | os.PathLike[str]], out: str | os.PathLike[str]) -> list[Path]:
    """Analyse the runs (cached per run) and write every real-network figure into ``out``."""
    from sgdtails.realnets.analyze import analyze_runs, find_runs
    from sgdtails.realnets.plots import plot_all

    if not runs:
        raise ValueError("run directories are needed (or folders of runs): sgdtails figure realnets DIR…")
    found = find_runs(runs)
    return plot_all(analyze_runs(found), out, runs=found)
