"""``sgdtails check …`` and ``sgdtails size …``: thin commands over :mod:`sgdtails.theory`.

``check theorem1|theorem2|theorem3|dependence|prop-s1`` runs one check (each a sub-command with
its own options) and prints its table, verdict and fitted vs derived exponent; ``check bounds``
prints representative values of the bounds (:func:`sgdtails.theory.bounds_report.bounds_report`);
``check all`` runs every check inside its hypothesis and its negative controls
(:data:`sgdtails.theory.suite.SUITE`) and prints a verdict table — exit status 1 when a verdict
contradicts its expectation (an expected "holds" that fails or vice versa), else 0. ``--out DIR``
writes DIR/<check>.csv (tidy table) and DIR/<check>.json (config, seed, provenance, wall time,
verdicts), and keeps every finished Monte-Carlo cell under ``DIR/cells-cache/``, so an interrupted
check resumes (``--no-resume`` recomputes). ``--quick`` uses small grids. ``size`` prints the
required size d₀ of :func:`sgdtails.theory.required_size`. Every command first estimates its
memory and time (:mod:`sgdtails.simulator.budget`; ``size``: every size up to ``--max-measured``)
and refuses, in one line, a request beyond this machine unless ``--force``.

Where the cells run: by default in this process, or with ``--out`` on one local process per CPU;
``--jobs N`` (or ``auto``) on N local processes, ``--scheduler ADDRESS`` (or ``$SGDTAILS_SCHEDULER``
when neither flag is given) on a Dask cluster.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sgdtails.cli._args import (
    add_force_flag,
    add_run_flags,
    alpha,
    eps,
    kappa,
    non_negative_int,
    p_exponent,
    positive_int,
    probability,
    refuse,
    run_options,
)
from sgdtails.simulator.vocabulary import SCOPES, STRUCTURES
from sgdtails.theory.suite import QUICK, SUITE, THEOREMS, check_functions, suite_arguments

__all__ = ["CACHE_DIR", "register", "run_check"]

CACHE_DIR = "cells-cache"
"""Subfolder of ``--out`` holding the cached Monte-Carlo cells (one sweep folder per series)."""

_CHECK_HELP = """\
Run one statement of the paper as a Monte-Carlo check and print its table, its verdict (holds,
fails or inconclusive) and the fitted vs derived decay exponent. 'bounds' prints representative
values of the bounds and evaluates every inequality on random instances (exit 1 if one is
violated); 'all' runs every check inside its hypothesis and its negative controls
(p < alpha, alpha = 2, the layer structure) and exits 1 when a verdict contradicts its expectation.

--out DIR writes DIR/<check>.csv and DIR/<check>.json and keeps every finished cell under
DIR/cells-cache/, so an interrupted check resumes (--no-resume recomputes). The cells run in this
process, or with --out on one local process per CPU; --jobs N|auto, --scheduler ADDRESS (or
$SGDTAILS_SCHEDULER when neither flag is given) choose otherwise. The mathematics and the verdict
rule: docs/theory.md, section 4."""

_RUN_HELP = dict(jobs_default="1, in this process; with --out: auto", cache=f"OUT/{CACHE_DIR}/")


def _write(out: Path, name: str, rows: list[dict], meta: dict) -> None:
    from sgdtails.simulator.provenance import provenance
    from sgdtails.simulator.records import write_csv, write_json

    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / f"{name}.csv", rows)
    write_json(out / f"{name}.json", {**meta, "provenance": provenance()})


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, tuple):
        return "[" + ", ".join(_fmt(x) for x in v) + "]"
    return "-" if v is None else str(v)


def _table(rows: list[dict], cols: list[str]) -> str:
    cells = [[_fmt(r.get(c)) for c in cols] for r in rows]
    width = [max(len(c), *(len(x[i]) for x in cells)) if cells else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, width))]
    lines += ["  ".join(x.ljust(w) for x, w in zip(row, width)) for row in cells]
    return "\n".join(lines)


def _print_result(name: str, res) -> None:
    if name == "prop-s1":
        print(_table(res.to_rows(), ["alpha", "structure", "d", "n_trials", "mean_error", "error_lo", "error_hi",
                                     "mean_kappa", "kappa_lo", "kappa_hi"]))
        print(_table(res.summary_rows(), ["label", "delta", "delta_lo", "delta_hi", "sign"]))
    else:
        print(_table(res.to_rows(), ["series", "size", "d", "n_trials", "threshold", "median", "q10", "q90",
                                     "p_within", "p_lo", "p_hi"]))
        cols = ["label", "expected", "verdict"] if name == "dependence" else ["label", "verdict"]
        print(_table(res.summary_rows(), cols + ["slope", "slope_ci", "theory_slope", "limit_ci", "d0"]))
    print(f"verdict: {res.verdict} — {res.reason}")


def run_check(name: str, kwargs: dict, out: Path | None, label: str | None = None):
    """Run one check, print it, write its files (when ``out``); return the result."""
    t0 = time.perf_counter()
    res = check_functions()[name](**kwargs)
    wall = time.perf_counter() - t0
    print(f"== {label or name} ({wall:.1f} s)")
    _print_result(name, res)
    if out is not None:
        run = kwargs.get("run")
        meta = {"check": name, "case": label or name, "verdict": res.verdict, "reason": res.reason,
                "config": dict(res.config), "seed": kwargs.get("seed"),
                "cells_cache": None if run is None else run.cache_dir,
                "wall_time_s": wall, "summary": res.summary_rows(), "table": res.to_rows()}
        _write(out, label or name, res.to_rows(), meta)
    return res


def _run(args: argparse.Namespace):
    """The run options of the flags: cells in this process unless --out (then one process per CPU) or --jobs."""
    cache = str(Path(args.out) / CACHE_DIR) if args.out else None
    return run_options(args, jobs_default=None if cache else 1, cache_dir=cache)


_OPTIONAL = ("p", "kappa", "eps", "trials", "seed", "scope", "structure", "rows", "d", "columns")


def _check(args: argparse.Namespace) -> int:
    kw = dict(QUICK[args.check]) if args.quick else {}
    for key in _OPTIONAL:
        if getattr(args, key, None) is not None:
            kw[key] = getattr(args, key)
    for key in ("sizes", "aspects", "tall", "structures"):
        if getattr(args, key, None) is not None:
            kw[key] = tuple(getattr(args, key))
    if getattr(args, "alpha", None) is not None:
        al = tuple(args.alpha) if isinstance(args.alpha, list) else (args.alpha,)
        if args.check == "prop-s1":
            kw["alphas"] = al
        else:
            kw["alpha"] = al[0] if len(al) == 1 else al
    from sgdtails.simulator.budget import check_estimate

    kw["run"] = _run(args)
    refuse(args, check_estimate(args.check, kw), kw["run"])
    try:
        run_check(args.check, kw, Path(args.out) if args.out else None)
    except RuntimeError as exc:  # failed Monte-Carlo cells: finished ones stay cached under --out
        print(f"sgdtails check {args.check}: {exc}", file=sys.stderr)
        return 1
    return 0


def _bounds(args: argparse.Namespace) -> int:
    from sgdtails.simulator.budget import inequalities_estimate
    from sgdtails.theory.bounds_report import bounds_report
    from sgdtails.theory.inequalities import check_inequalities

    refuse(args, inequalities_estimate(args.instances))
    rows = bounds_report()
    print(_table(rows, ["quantity", "reference", "parameters", "value"]))
    checks = check_inequalities(args.instances, seed=args.seed)
    table = [c.row() for c in checks]
    print()
    print(_table(table, ["bound", "reference", "instances", "max_lhs_over_rhs", "violations"]))
    violated = [c for c in checks if not c.holds]
    print("verdict: " + ("every inequality holds on every instance" if not violated else
                         "VIOLATED: " + "; ".join(f"{c.reference} {c.name} ({c.violations} instances)" for c in violated)))
    if args.out:
        _write(Path(args.out), "bounds", rows, {"check": "bounds", "rows": rows, "inequalities": table,
                                                "instances": args.instances, "seed": args.seed})
        _write(Path(args.out), "inequalities", table, {"check": "inequalities", "rows": table})
    return 1 if violated else 0


def _open_d0(res) -> float | None:
    """The size that would resolve an inconclusive check: the largest d₀ of its inconclusive series."""
    sizes = [s.d0 for s in getattr(res, "series", ()) if s.verdict == "inconclusive"]
    return max(sizes) if sizes else None


def _all(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    from sgdtails.simulator.budget import suite_estimate

    summary, bad = [], 0
    run = _run(args)
    cases = [(case.check, suite_arguments(case, quick=args.quick, seed=args.seed, trials=args.trials)) for case in SUITE]
    refuse(args, suite_estimate(cases), run)
    try:
        for case in SUITE:
            kwargs = suite_arguments(case, quick=args.quick, seed=args.seed, trials=args.trials)
            res = run_check(case.check, {**kwargs, "run": run}, out, label=case.name)
            contradicts = {case.expected, res.verdict} == {"holds", "fails"}
            bad += contradicts
            summary.append({"case": case.name, "expected": case.expected, "verdict": res.verdict,
                            "slope": getattr(res, "slope", None), "slope_ci": getattr(res, "slope_ci", None),
                            "theory_slope": getattr(res, "theory_slope", None), "d0": _open_d0(res),
                            "agrees": "yes" if res.verdict == case.expected else ("NO" if contradicts else "open")})
            print()
    except RuntimeError as exc:
        print(f"sgdtails check all: {exc}", file=sys.stderr)
        return 1
    print("== summary")
    print(_table(summary, ["case", "expected", "verdict", "agrees", "slope", "slope_ci", "theory_slope", "d0"]))
    if out is not None:
        _write(out, "all", summary, {"check": "all", "quick": args.quick, "seed": args.seed, "summary": summary})
    return 1 if bad else 0


def _size(args: argparse.Namespace) -> int:
    from sgdtails.simulator.budget import required_size_estimate
    from sgdtails.theory.required_size import required_size

    run = _run(args)
    refuse(args, required_size_estimate(args.theorem, args.max_measured, args.trials), run)
    t0 = time.perf_counter()
    try:
        est = required_size(args.alpha, p=args.p, kappa=args.kappa, eps=args.eps, confidence=args.confidence,
                            theorem=args.theorem, max_measured=args.max_measured, trials=args.trials,
                            seed=args.seed, run=run)
    except RuntimeError as exc:  # failed Monte-Carlo cells: finished ones stay cached under --out
        print(f"sgdtails size {args.theorem}: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - t0
    print(_table(est.to_rows(), ["size", "n_trials", "quantile", "p_within", "p_lo", "p_hi"]))
    print(est.describe())
    if args.out:
        meta = {"check": "size", "d0": est.d0, "method": est.method, "ci": est.ci, "note": est.note,
                "slope": est.slope, "slope_ci": est.slope_ci, "theory_slope": est.theory_slope,
                "theory_d0": est.theory_d0, "config": dict(est.config), "wall_time_s": wall}
        _write(Path(args.out), f"size-{args.theorem}", est.to_rows(), meta)
    return 0


def _common(p: argparse.ArgumentParser, *, sizes: str | None) -> None:
    p.add_argument("--p", type=p_exponent, help="exponent p > 0 of the ℓp error (default 2; prop-s1: 1)")
    p.add_argument("--kappa", type=kappa, help="kept fraction κ in (0, 1] (default 0.1)")
    p.add_argument("--eps", type=eps, help="error level ε >= 0 (default 0.1)")
    if sizes is not None:
        p.add_argument("--sizes", type=positive_int, nargs="+", help=sizes)
    p.add_argument("--trials", type=positive_int, help="independent samples per size")
    p.add_argument("--seed", type=non_negative_int, help="root seed (default 0)")
    p.add_argument("--quick", action="store_true", help="the small grid of sgdtails.theory.suite.QUICK")
    p.add_argument("--out", help=f"folder for <check>.csv and <check>.json (and the cell cache {CACHE_DIR}/)")
    add_run_flags(p, **_RUN_HELP)
    add_force_flag(p)


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``check`` (one sub-command per check) and ``size``."""
    check = sub.add_parser("check", help="Monte-Carlo checks of Theorems 1-3, Section 3.3, Proposition S1; bounds",
                           description=_CHECK_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.set_defaults(handler=None, parser=check)
    which = check.add_subparsers(dest="check", metavar="CHECK")

    p = which.add_parser("theorem1", help="Theorem 1: magnitude pruning, global or layer-wise")
    p.add_argument("--alpha", type=alpha, nargs="+", required=True, help="tail index α (several: one per layer)")
    _common(p, sizes="grid of layer sizes d")
    p.add_argument("--scope", choices=SCOPES, help="global (i) or layer-wise (ii) pruning (default global)")
    p.add_argument("--structure", choices=STRUCTURES, help="dependence of the entries (default iid)")
    p.set_defaults(handler=_check, parser=p)

    p = which.add_parser("theorem2", help="Theorem 2: singular value pruning (eigenvalues and Frobenius)")
    p.add_argument("--alpha", type=alpha, required=True, help="tail index α")
    _common(p, sizes="grid of h (W is h × a·h)")
    p.add_argument("--aspects", type=positive_int, nargs="*", help="wide W = h × (a·h) for each a (default 1 2)")
    p.add_argument("--tall", type=positive_int, nargs="+", help="also tall W = (a·h) × h for each a (e.g. 2 4)")
    p.add_argument("--columns", type=positive_int, help="also W = h × COLUMNS: h_(l-1) fixed while h_l grows")
    p.add_argument("--structure", choices=STRUCTURES, help="dependence of the entries (default iid)")
    p.set_defaults(handler=_check, parser=p)

    p = which.add_parser("theorem3", help="Theorem 3: node pruning")
    p.add_argument("--alpha", type=alpha, required=True, help="tail index α")
    _common(p, sizes="grid of h (columns of W)")
    p.add_argument("--rows", type=positive_int, help="rows of W (default: square)")
    p.add_argument("--structure", choices=STRUCTURES, help="dependence of the entries (default iid)")
    p.set_defaults(handler=_check, parser=p)

    p = which.add_parser("dependence", help="Section 3.3: Theorems 1-3 on column and layer matrices")
    p.add_argument("--alpha", type=alpha, help="tail index α (default 0.8)")
    _common(p, sizes="grid of h (W is h × h)")
    p.add_argument("--structures", nargs="+", choices=STRUCTURES, help="structures (default column layer)")
    p.set_defaults(handler=_check, parser=p)

    p = which.add_parser("prop-s1", help="Proposition S1: heavier tails compress better for p < α")
    p.add_argument("--alpha", type=alpha, nargs="+", help="tail indices α (default 1.2 1.5 1.8)")
    _common(p, sizes=None)
    p.add_argument("--d", type=positive_int, help="vector length (default 10^4)")
    p.add_argument("--structures", nargs="+", choices=("iid", "layer"),
                   help="one per alpha (default iid; layer: one elliptical vector, outside the hypothesis)")
    p.set_defaults(handler=_check, parser=p)

    p = which.add_parser("bounds", help="values of the bounds, and every inequality on random instances; exit 1 if one fails")
    p.add_argument("--instances", type=positive_int, default=200, help="random instances per inequality (default 200)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of the instances (default 0)")
    p.add_argument("--out", help="folder for bounds.csv/.json and inequalities.csv/.json")
    add_force_flag(p)
    p.set_defaults(handler=_bounds, parser=p)

    p = which.add_parser("all", help="every check in its hypothesis and its negative controls; exit 1 on a contradiction")
    p.add_argument("--quick", action="store_true", help="small grids (about 15 s on 2 cores)")
    p.add_argument("--trials", type=positive_int, help="samples per size for every check")
    p.add_argument("--seed", type=non_negative_int, default=0, help="root seed of every check (default 0)")
    p.add_argument("--out", help=f"folder for every check's .csv/.json and all.csv (and {CACHE_DIR}/)")
    add_run_flags(p, **_RUN_HELP)
    add_force_flag(p)
    p.set_defaults(handler=_all, parser=p)

    s = sub.add_parser("size", help="smallest size with P(error <= eps) >= confidence (measured or extrapolated)")
    s.add_argument("theorem", choices=THEOREMS)
    s.add_argument("--alpha", type=alpha, required=True, help="tail index α")
    s.add_argument("--p", type=p_exponent, default=2.0)
    s.add_argument("--kappa", type=kappa, default=0.1)
    s.add_argument("--eps", type=eps, default=0.1)
    s.add_argument("--confidence", type=probability, default=0.9)
    s.add_argument("--max-measured", type=positive_int, default=None, help="largest size simulated")
    s.add_argument("--trials", type=positive_int, default=50)
    s.add_argument("--seed", type=non_negative_int, default=0)
    s.add_argument("--out", help=f"folder for size-<theorem>.csv/.json (and the cell cache {CACHE_DIR}/)")
    add_run_flags(s, **_RUN_HELP)
    add_force_flag(s)
    s.set_defaults(handler=_size, parser=s)

