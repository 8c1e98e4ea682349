"""``heavytails figure s1|pruning-study|s4|s5|convergence|all`` and ``heavytails figure realnets RUN_DIR…``.

The synthetic figures: compute, plot, write PNG/CSV/JSON. ``realnets`` draws the real-network
figures (1–7, S2, S3 and trained-vs-synthetic) from trained runs (:mod:`realnets.plots`).

Each figure module offers ``config_for_scale(scale, seed)``, ``compute(config, …) -> table`` and
``plot(table) -> Figure``; this layer only picks the config, times the computation and writes
``OUT/<name>.png``, ``OUT/<name>.csv`` and ``OUT/<name>.json``. The sweeps (Figure S1, the pruning
study) cache every finished cell under ``OUT/<study>/cells/``, so an interrupted run resumes
without recomputing them; the same seed reproduces every CSV byte for byte.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from figures import convergence, figure_s1, figure_s4, figure_s5, pruning_study
from figures._common import Table, default_device, write_outputs
from simulator.cli import non_negative_int, positive_int

__all__ = ["FIGURES", "output_name", "register", "run_figure"]


@dataclass(frozen=True)
class _Spec:
    module: ModuleType
    sweep: bool  # computed through simulator.sweep (cache, --jobs, --scheduler)
    extra: Callable[[Table], object] | None = None


FIGURES: dict[str, _Spec] = {
    "s1": _Spec(figure_s1, True, figure_s1.summary),
    "pruning-study": _Spec(pruning_study, True, pruning_study.trend),
    "s4": _Spec(figure_s4, False),
    "s5": _Spec(figure_s5, False, lambda t: {f"top_{f:g}": figure_s5.top_share(t, f) for f in (0.001, 0.01, 0.1)}),
    "convergence": _Spec(convergence, False),
}
"""Figure names of the command line and their modules (``all`` runs them in this order)."""


def output_name(figure: str, scale: str) -> str:
    """Base name of the outputs: the module's, plus ``_cpu`` for the reduced pruning study."""
    base = FIGURES[figure].module.NAME
    return f"{base}_cpu" if figure == "pruning-study" and scale == "cpu" else base


def run_figure(
    figure: str,
    out: Path,
    *,
    scale: str = "cpu",
    seed: int = 0,
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    resume: bool = True,
) -> dict[str, Path]:
    """Compute, plot and write one figure; return the written paths by suffix.

    ``resume=False`` recomputes the cached cells of the sweeps (Figure S1, the pruning study).
    """
    if figure not in FIGURES:
        raise ValueError(f"figure must be one of {sorted(FIGURES)}, got {figure!r}")
    spec = FIGURES[figure]
    config = spec.module.config_for_scale(scale, seed)
    start = time.perf_counter()
    if spec.sweep:
        table = spec.module.compute(config, cache_dir=str(out), jobs=jobs, scheduler=scheduler, progress=progress,
                                    resume=resume)
    else:
        table = spec.module.compute(config)
    wall = time.perf_counter() - start
    fig = spec.module.plot(table)
    device = default_device() if figure == "pruning-study" and getattr(config, "device", "cpu") == "auto" else "cpu"
    extra = {"scale": scale, "compute_wall_time_s": wall}
    if spec.extra is not None:
        extra["summary"] = spec.extra(table)
    return write_outputs(output_name(figure, scale), table, fig, out, config=config, seed=seed,
                         wall_time_s=time.perf_counter() - start, device=device, extra=extra)


def _realnets(runs: list[str], out: Path) -> int:
    """Analyse the runs (cached per run) and write every real-network figure into ``out``."""
    from realnets.analyze import analyze_runs, find_runs
    from realnets.plots import plot_all

    if not runs:
        raise ValueError("figure realnets needs run directories (or folders of runs): heavytails figure realnets DIR…")
    found = find_runs(runs)
    for path in plot_all(analyze_runs(found), out, runs=found):
        print(f"wrote {path}")
    return 0


def _main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out must be a directory, got the file {out}")
    if args.figure != "realnets" and args.runs:
        raise ValueError(f"run directories are only read by 'figure realnets', not by '{args.figure}'")
    out.mkdir(parents=True, exist_ok=True)
    if args.figure == "realnets":
        return _realnets(args.runs, out)
    names = list(FIGURES) if args.figure == "all" else [args.figure]
    for i, name in enumerate(names, 1):
        if len(names) > 1:
            print(f"[{i}/{len(names)}] figure {name} (scale {args.scale})", file=sys.stderr)
        try:
            paths = run_figure(name, out, scale=args.scale, seed=args.seed, jobs=args.jobs, scheduler=args.scheduler,
                               resume=args.resume)
        except RuntimeError as exc:  # failed sweep cells: finished ones are cached, a re-run retries the rest
            print(f"heavytails figure {name}: {exc} (finished cells are kept; run again to retry)", file=sys.stderr)
            return 1
        print(f"wrote {paths['png']} {paths['csv']} {paths['json']}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``heavytails figure`` to the ``heavytails`` parser."""
    p = sub.add_parser(
        "figure",
        help="reproduce a figure (S1, pruning study, S4, S5, convergence): PNG + tidy CSV + JSON",
        description="Compute, plot and write OUT/<name>.png, .csv (tidy) and .json (config, versions, "
                    "wall time). Sweeps resume from OUT/<study>/cells/.",
    )
    p.add_argument("figure", choices=[*FIGURES, "all", "realnets"],
                   help="which figure ('all': every synthetic one, in order; 'realnets': from trained runs)")
    p.add_argument("runs", nargs="*", metavar="RUN_DIR", help="for 'realnets': run directories or folders of runs")
    p.add_argument("--scale", choices=("cpu", "paper"), default="cpu",
                   help="'paper': the paper's sizes; 'cpu': reduced to minutes on two cores (default)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="figure seed (default 0)")
    p.add_argument("--out", default="figures/out", help="output directory (default figures/out)")
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="local worker processes for the sweeps (default: one per core)")
    p.add_argument("--scheduler", default=None, help="Dask scheduler address or file for the sweeps")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help="reuse the sweeps' cached cells under OUT/<study>/cells/ (default; --no-resume recomputes)")
    p.set_defaults(func=_main)
