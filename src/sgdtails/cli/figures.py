"""``sgdtails figure s1|pruning-study|s4|s5|convergence|all`` and ``sgdtails figure realnets RUN_DIR…``.

The synthetic figures: compute, plot and write OUT/<name>.pdf and .png (``--format``, ``--dpi``,
``--width``), OUT/<name>.csv (tidy), OUT/<name>.toml (the config used) and OUT/<name>.json
(config, provenance, times) through :func:`sgdtails.figures.run.run_figure`. Every config field
is settable (``--set eps=0.05 size=1000``, ``--config FILE.toml``). OUT defaults to
``./sgdtails-figures/<figure>/``. The sweeps (Figure S1, the pruning study) keep every finished
cell under OUT/<study>/cells.sqlite, so an interrupted run resumes; the same seed reproduces every
CSV byte for byte. ``realnets`` draws the real-network figures (1–7, S2, S3 and trained-vs-synthetic)
from trained runs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sgdtails.cli._args import add_run_flags, bounded_int, non_negative_int, run_options
from sgdtails.figures.vocabulary import FIGURES, SCALES

__all__ = ["register"]

_FORMATS = ("pdf", "png", "svg")
_WIDTHS = ("single", "double")


def _figure(args: argparse.Namespace) -> int:
    from sgdtails.figures.config import parse_sets
    from sgdtails.figures.run import default_out_dir, run_figure

    names = list(FIGURES) if args.figure == "all" else [args.figure]
    overrides = parse_sets(args.set or [])
    if args.figure == "all" and (overrides or args.config):
        raise ValueError("--set and --config name one figure's fields: give a figure, not 'all'")
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise NotADirectoryError(f"output folder is a file: {args.out}")
    base = run_options(args, jobs_default=None, cache_dir=None).replace(progress=not args.quiet)  # validated once
    for i, name in enumerate(names, 1):
        if len(names) > 1 and not args.quiet:
            print(f"[{i}/{len(names)}] figure {name} (scale {args.scale})", file=sys.stderr)
        out = args.out if args.out is not None and len(names) == 1 else (
            None if args.out is None else f"{args.out}/{name}")
        folder = out if out is not None else default_out_dir(name)
        run = base.replace(cache_dir=str(folder))
        try:
            paths = run_figure(name, folder, scale=args.scale, seed=args.seed, config_file=args.config,
                               overrides=overrides, formats=args.format, dpi=args.dpi, width=args.width, run=run)
        except RuntimeError as exc:  # failed sweep cells: finished ones are cached, a re-run retries the rest
            print(f"sgdtails figure {name}: {exc} (finished cells are kept; run again to retry)", file=sys.stderr)
            return 1
        print("wrote " + " ".join(str(p) for p in paths.values()))
    return 0


def _realnets(args: argparse.Namespace) -> int:
    from sgdtails.figures.run import run_realnets_figures

    for path in run_realnets_figures(args.runs, args.out, formats=args.format, dpi=args.dpi, width=args.width):
        print(f"wrote {path}")
    return 0


_FIGURE_HELP = """\
Compute, plot and write OUT/<name>.pdf and .png, OUT/<name>.csv (tidy), OUT/<name>.toml (the
config used; --config reads it back) and OUT/<name>.json (config, provenance, times). OUT defaults
to ./sgdtails-figures/<figure>/. The sweeps (Figure S1, the pruning study) keep every finished cell
under OUT/<study>/cells.sqlite, so an interrupted run resumes; the same seed reproduces every CSV
byte for byte. 'realnets' draws the real-network figures (1-7, S2, S3, trained vs synthetic) from
trained runs."""


def _add_image_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", nargs="+", choices=_FORMATS, default=["pdf", "png"], metavar="FMT",
                   help="image formats among pdf, png, svg (default: pdf png)")
    p.add_argument("--dpi", type=bounded_int(50, "dpi (>= 50)"), default=300, help="PNG resolution (default 300)")
    p.add_argument("--width", choices=_WIDTHS, default="double",
                   help="paper width: 'single' column (3.5 in) or 'double' (7 in, default)")


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
             "all": "every synthetic figure, in order (into OUT/<figure>/)"}
    for name in (*FIGURES, "all"):
        p = which.add_parser(name, help=helps[name], description=helps[name])
        p.add_argument("--scale", choices=SCALES, default="cpu",
                       help="'paper': the paper's sizes; 'cpu': reduced to minutes on two cores (default)")
        p.add_argument("--seed", type=non_negative_int, default=0, help="figure seed (default 0)")
        p.add_argument("--set", nargs="+", action="extend", default=None, metavar="KEY=VALUE",
                       help="config fields, e.g. --set eps=0.05 size=1000 (tuples comma separated: alphas=1.2,1.5; "
                            "an unknown key lists the known ones; the written <name>.toml shows them all)")
        p.add_argument("--config", default=None, metavar="FILE.toml",
                       help="config fields from a TOML file (applied before --set), e.g. a written <name>.toml")
        where = name if name != "all" else "<figure>"
        p.add_argument("--out", default=None, help=f"output folder (default ./sgdtails-figures/{where}/)")
        _add_image_flags(p)
        add_run_flags(p, jobs_default="auto, one per CPU", cache="OUT/<study>/cells.sqlite")
        p.set_defaults(handler=_figure, parser=p, figure=name)

    p = which.add_parser("realnets", help="the real-network figures (1-7, S2, S3, vs synthetic) from trained runs")
    p.add_argument("runs", nargs="+", metavar="RUN_DIR", help="run directories or folders of runs")
    p.add_argument("--out", default=None, help="output folder (default ./sgdtails-figures/realnets/)")
    _add_image_flags(p)
    p.set_defaults(handler=_realnets, parser=p, figure="realnets")
