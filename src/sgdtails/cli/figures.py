"""``sgdtails figure s1|pruning-study|s4|s5|convergence|all`` and ``sgdtails figure realnets RUN_DIR…``.

The synthetic figures: compute, plot and write OUT/<name>.png, OUT/<name>.csv (tidy) and
OUT/<name>.json (config, provenance, wall time) through :func:`sgdtails.figures.run.run_figure`.
The sweeps (Figure S1, the pruning study) keep every finished cell under OUT/<study>/cells.sqlite, so an
interrupted run resumes; the same seed reproduces every CSV byte for byte. ``realnets`` draws the
real-network figures (1–7, S2, S3 and trained-vs-synthetic) from trained runs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sgdtails.cli._args import add_run_flags, non_negative_int, run_options
from sgdtails.figures.vocabulary import FIGURES, SCALES

__all__ = ["register"]


def _folder(out: str) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--out must be a directory, got the file {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _figure(args: argparse.Namespace) -> int:
    from sgdtails.figures.run import run_figure

    out = _folder(args.out)
    run = run_options(args, jobs_default=None, cache_dir=str(out)).replace(progress=True)
    names = list(FIGURES) if args.figure == "all" else [args.figure]
    for i, name in enumerate(names, 1):
        if len(names) > 1:
            print(f"[{i}/{len(names)}] figure {name} (scale {args.scale})", file=sys.stderr)
        try:
            paths = run_figure(name, out, scale=args.scale, seed=args.seed, run=run)
        except RuntimeError as exc:  # failed sweep cells: finished ones are cached, a re-run retries the rest
            print(f"sgdtails figure {name}: {exc} (finished cells are kept; run again to retry)", file=sys.stderr)
            return 1
        print(f"wrote {paths['png']} {paths['csv']} {paths['json']}")
    return 0


def _realnets(args: argparse.Namespace) -> int:
    from sgdtails.figures.run import run_realnets_figures

    for path in run_realnets_figures(args.runs, _folder(args.out)):
        print(f"wrote {path}")
    return 0


_FIGURE_HELP = """\
Compute, plot and write OUT/<name>.png, OUT/<name>.csv (tidy) and OUT/<name>.json (config,
provenance, wall time). The sweeps (Figure S1, the pruning study) keep every finished cell under
OUT/<study>/cells.sqlite, so an interrupted run resumes; the same seed reproduces every CSV byte for byte.
'realnets' draws the real-network figures (1-7, S2, S3, trained vs synthetic) from trained runs."""


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``figure`` with one sub-command per figure."""
    figure = sub.add_parser("figure", help="reproduce a figure (S1, pruning study, S4, S5, convergence, real networks)",
                            description=_FIGURE_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    figure.set_defaults(handler=None, parser=figure)
    which = figure.add_subparsers(dest="figure", metavar="FIGURE")
    helps = {"s1": "Figure S1: tail index vs pruning ratio of iid / column / layer matrices",
             "pruning-study": "synthetic pruning study of Section S1.6.1 (FCN6 analogues)",
             "s4": "Figure S4: ρ_ε(κ) of Theorem S6 and its bound",
             "s5": "Figure S5: histogram of |x| for SαS(1), α = 1.7",
             "convergence": "error vs size for Theorems 1-3 with the derived slopes, and d0 (beyond the paper)",
             "all": "every synthetic figure, in order"}
    for name in (*FIGURES, "all"):
        p = which.add_parser(name, help=helps[name])
        p.add_argument("--scale", choices=SCALES, default="cpu",
                       help="'paper': the paper's sizes; 'cpu': reduced to minutes on two cores (default)")
        p.add_argument("--seed", type=non_negative_int, default=0, help="figure seed (default 0)")
        p.add_argument("--out", default="figures/out", help="output folder (default figures/out)")
        add_run_flags(p, jobs_default="auto, one per CPU", cache="OUT/<study>/cells.sqlite")
        p.set_defaults(handler=_figure, parser=p, figure=name)

    p = which.add_parser("realnets", help="the real-network figures (1-7, S2, S3, vs synthetic) from trained runs")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories or folders of runs")
    p.add_argument("--out", default="figures/out", help="output folder (default figures/out)")
    p.set_defaults(handler=_realnets, parser=p, figure="realnets")
