"""``heavytails check …`` and ``heavytails size …``: thin commands over the theorem checks.

``check theorem1|theorem2|theorem3|dependence|prop-s1`` runs one check and prints its table,
verdict and fitted vs derived exponent; ``check bounds`` prints the SPEC §5 values of
:func:`theory.cli_bounds.bounds_report`; ``check all`` runs every check inside its hypothesis and
its negative controls (p < α, α = 2, ``layer`` matrices) and prints a verdict table — exit code 1
when a verdict contradicts its expectation (an expected "holds" that fails or vice versa), else 0.
``--out DIR`` writes DIR/<check>.csv (tidy table) and DIR/<check>.json (config, seed, package
versions, wall time, verdicts). ``--quick`` uses small grids (``check all --quick`` ≈ 1–2 minutes
on 2 cores). ``size`` prints the required size d₀ of :func:`theory.required_size.required_size`.

Where the Monte-Carlo cells run: by default in this process. ``--jobs N`` (N > 1) runs them on N
local processes, ``--scheduler ADDRESS`` (or ``$HEAVYTAILS_SCHEDULER`` when ``--jobs`` is not
given) on a Dask cluster, through :func:`simulator.sweep.run_study`; the numbers are the same.
With ``--out DIR`` every finished cell is cached under ``DIR/cells-cache/`` (then one process per
core unless ``--jobs``), so an interrupted check resumes; ``--no-resume`` recomputes every cell.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from simulator.cli import positive_int
from simulator.sweep import SCHEDULER_ENV
from theory.cli_bounds import bounds_report
from theory.dependence import check_dependence
from theory.proposition_s1 import check_proposition_s1
from theory.required_size import THEOREMS, required_size
from theory.theorem1 import check_theorem1
from theory.theorem2 import check_theorem2
from theory.theorem3 import check_theorem3

__all__ = ["CACHE_DIR", "QUICK", "SUITE", "register", "run_check"]

CACHE_DIR = "cells-cache"
"""Subfolder of ``--out`` holding the cached Monte-Carlo cells (one sweep folder per series)."""

CHECKS = {"theorem1": check_theorem1, "theorem2": check_theorem2, "theorem3": check_theorem3,
          "dependence": check_dependence, "prop-s1": check_proposition_s1}
QUICK = {"theorem1": dict(sizes=(10**3, 10**4, 10**5), trials=20),
         "theorem2": dict(sizes=(16, 32, 64, 128, 256), trials=30),
         "theorem3": dict(sizes=(32, 64, 128, 256, 512, 1024), trials=30),
         "dependence": dict(sizes=(32, 64, 128, 256, 512), trials=30),
         "prop-s1": dict(d=10**4, trials=50)}
"""Grids used by ``--quick`` (explicit --sizes/--trials/--d still win)."""

# (case name, check, arguments, expectation). In-hypothesis cases use α far enough below p that
# the statement is reachable at the quick sizes; α near p needs astronomically large sizes
# (``heavytails size``), where "inconclusive" is the honest verdict.
SUITE = (
    ("theorem1", "theorem1", dict(alpha=1.2, p=2.0), "holds"),
    ("theorem1-layerwise", "theorem1", dict(alpha=(1.1, 1.3), p=2.0, scope="layer"), "holds"),
    ("theorem1-gaussian", "theorem1", dict(alpha=2.0, p=2.0), "fails"),
    ("theorem1-p-below-alpha", "theorem1", dict(alpha=1.5, p=1.0), "fails"),
    ("theorem1-layer-structure", "theorem1",
     dict(alpha=1.2, p=2.0, structure="layer", sizes=(32**2, 64**2, 128**2, 256**2, 512**2)), "fails"),
    ("theorem2", "theorem2", dict(alpha=0.8, p=2.0), "holds"),
    ("theorem2-gaussian", "theorem2", dict(alpha=2.0, p=2.0), "fails"),
    ("theorem2-layer-structure", "theorem2", dict(alpha=0.8, p=2.0, structure="layer"), "fails"),
    ("theorem3", "theorem3", dict(alpha=1.0, p=2.0), "holds"),
    ("theorem3-gaussian", "theorem3", dict(alpha=2.0, p=2.0), "fails"),
    ("theorem3-p-below-alpha", "theorem3", dict(alpha=1.5, p=1.0), "fails"),
    ("theorem3-layer-structure", "theorem3", dict(alpha=1.0, p=2.0, structure="layer"), "fails"),
    ("dependence", "dependence", dict(alpha=0.8, p=2.0), "holds"),
    ("prop-s1", "prop-s1", dict(alphas=(1.2, 1.5, 1.8), p=1.0), "holds"),
)


def _versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("heavytails", "numpy", "scipy", "numba", "tqdm"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def _jsonable(x):
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_jsonable(v) for v in x]
    return x


def _write(out: Path, name: str, rows: list[dict], meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    cols = list(dict.fromkeys(k for r in rows for k in r))
    with open(out / f"{name}.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        writer.writerows(rows)
    (out / f"{name}.json").write_text(json.dumps(_jsonable(meta), indent=2) + "\n")


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
        print(_table(res.to_rows(), ["alpha", "d", "n_trials", "mean_error", "error_lo", "error_hi",
                                     "mean_kappa", "kappa_lo", "kappa_hi"]))
        print(_table(res.summary_rows(), ["label", "delta", "delta_lo", "delta_hi", "sign"]))
    else:
        print(_table(res.to_rows(), ["series", "size", "d", "n_trials", "threshold", "median", "q10", "q90",
                                     "p_within", "p_lo", "p_hi"]))
        cols = ["label", "expected", "verdict"] if name == "dependence" else ["label", "verdict"]
        print(_table(res.summary_rows(), cols + ["slope", "slope_ci", "theory_slope"]))
    print(f"verdict: {res.verdict} — {res.reason}")


def run_check(name: str, kwargs: dict, out: Path | None, label: str | None = None):
    """Run one check, print it, write its files; returns the result."""
    t0 = time.perf_counter()
    res = CHECKS[name](**kwargs)
    wall = time.perf_counter() - t0
    print(f"== {label or name} ({wall:.1f} s)")
    _print_result(name, res)
    if out is not None:
        meta = {"check": name, "case": label or name, "verdict": res.verdict, "reason": res.reason,
                "config": dict(res.config), "seed": kwargs.get("seed"), "cells_cache": kwargs.get("cache_dir"),
                "versions": _versions(),
                "wall_time_s": wall, "summary": res.summary_rows(), "table": res.to_rows()}
        _write(out, label or name, res.to_rows(), meta)
    return res


def _sweep_kwargs(args: argparse.Namespace) -> dict:
    """jobs, scheduler, cache_dir, resume of the checks from --jobs, --scheduler, --out, --resume."""
    scheduler = args.scheduler
    if scheduler is None and args.jobs is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    cache_dir = str(Path(args.out) / CACHE_DIR) if args.out else None
    return dict(jobs=args.jobs, scheduler=scheduler, cache_dir=cache_dir, resume=args.resume)


def _kwargs(args: argparse.Namespace) -> dict:
    kw = dict(QUICK[args.check]) if args.quick else {}
    kw.update(_sweep_kwargs(args))
    for key in ("p", "kappa", "eps", "trials", "seed"):
        if getattr(args, key) is not None:
            kw[key] = getattr(args, key)
    if args.sizes is not None:
        kw["sizes"] = tuple(args.sizes)
    if args.alpha is not None:
        al = tuple(args.alpha)
        if args.check == "prop-s1":
            kw["alphas"] = al
        elif args.check == "theorem1":
            kw["alpha"] = al[0] if len(al) == 1 else al
        elif len(al) != 1:
            raise ValueError(f"--alpha takes one value for {args.check}, got {len(al)}")
        else:
            kw["alpha"] = al[0]
    for key in ("scope", "structure", "rows", "d", "aspects", "structures"):
        if getattr(args, key, None) is not None:
            kw[key] = tuple(getattr(args, key)) if key in ("aspects", "structures") else getattr(args, key)
    return kw


def _check(args: argparse.Namespace) -> int:
    out = Path(args.out) if args.out else None
    if args.check == "bounds":
        rows = bounds_report()
        print(_table(rows, ["quantity", "reference", "parameters", "value"]))
        if out is not None:
            _write(out, "bounds", rows, {"check": "bounds", "versions": _versions(), "rows": rows})
        return 0
    try:
        if args.check == "all":
            return _all(args, out)
        _check_flags(args)
        if args.alpha is None and args.check in ("theorem1", "theorem2", "theorem3"):
            raise ValueError(f"'check {args.check}' needs --alpha")
        run_check(args.check, _kwargs(args), out)
    except RuntimeError as exc:  # failed Monte-Carlo cells: finished ones stay cached under --out
        print(f"heavytails check {args.check}: {exc}", file=sys.stderr)
        return 1
    return 0


def _check_flags(args: argparse.Namespace) -> None:
    allowed = {"theorem1": {"scope", "structure"}, "theorem2": {"structure", "aspects"},
               "theorem3": {"structure", "rows"}, "dependence": {"structures"}, "prop-s1": {"d"}}[args.check]
    for key in ("scope", "structure", "rows", "d", "aspects", "structures"):
        if getattr(args, key, None) is not None and key not in allowed:
            raise ValueError(f"--{key} does not apply to 'check {args.check}'")
    if args.check == "prop-s1" and args.sizes is not None:
        raise ValueError("'check prop-s1' takes --d (one size), not --sizes")


def _all(args: argparse.Namespace, out: Path | None) -> int:
    summary, bad = [], 0
    seed = args.seed if args.seed is not None else 0
    for case, name, kw, expected in SUITE:
        kwargs = dict(QUICK[name]) if args.quick else {}
        kwargs.update(kw, seed=seed, **_sweep_kwargs(args))
        if args.trials is not None:
            kwargs["trials"] = args.trials
        res = run_check(name, kwargs, out, label=case)
        contradicts = {expected, res.verdict} == {"holds", "fails"}
        bad += contradicts
        summary.append({"case": case, "expected": expected, "verdict": res.verdict,
                        "slope": getattr(res, "slope", None), "slope_ci": getattr(res, "slope_ci", None),
                        "theory_slope": getattr(res, "theory_slope", None),
                        "agrees": "yes" if res.verdict == expected else ("NO" if contradicts else "open")})
        print()
    print("== summary")
    print(_table(summary, ["case", "expected", "verdict", "agrees", "slope", "slope_ci", "theory_slope"]))
    if out is not None:
        _write(out, "all", summary, {"check": "all", "quick": args.quick, "seed": seed,
                                     "versions": _versions(), "summary": summary})
    return 1 if bad else 0


def _size(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    try:
        est = required_size(args.alpha, p=args.p, kappa=args.kappa, eps=args.eps, confidence=args.confidence,
                            theorem=args.theorem, max_measured=args.max_measured, trials=args.trials,
                            seed=args.seed, **_sweep_kwargs(args))
    except RuntimeError as exc:  # failed Monte-Carlo cells: finished ones stay cached under --out
        print(f"heavytails size {args.theorem}: {exc}", file=sys.stderr)
        return 1
    wall = time.perf_counter() - t0
    print(_table(est.to_rows(), ["size", "n_trials", "quantile", "p_within", "p_lo", "p_hi"]))
    print(est.describe())
    if args.out:
        meta = {"check": "size", "d0": est.d0, "method": est.method, "ci": est.ci, "note": est.note,
                "slope": est.slope, "slope_ci": est.slope_ci, "theory_slope": est.theory_slope,
                "theory_d0": est.theory_d0, "config": dict(est.config), "versions": _versions(), "wall_time_s": wall}
        _write(Path(args.out), f"size-{args.theorem}", est.to_rows(), meta)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``check`` and ``size`` to the ``heavytails`` parser."""
    p = sub.add_parser("check", help="Monte-Carlo checks of Theorems 1-3, Section 3.3, Proposition S1; bounds",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("check", choices=(*CHECKS, "bounds", "all"))
    p.add_argument("--alpha", type=float, nargs="+", help="tail index α (theorem1 layer-wise, prop-s1: several)")
    p.add_argument("--p", type=float, help="exponent of the ℓp error (default 2; prop-s1: 1)")
    p.add_argument("--kappa", type=float, help="remaining ratio κ (default 0.1)")
    p.add_argument("--eps", type=float, help="error level ε (default 0.1)")
    p.add_argument("--sizes", type=int, nargs="+", help="size grid: d (theorem1) or h (theorem2, 3, dependence)")
    p.add_argument("--trials", type=int, help="samples per size")
    p.add_argument("--seed", type=int, help="root seed (default 0)")
    p.add_argument("--quick", action="store_true", help="small grids (check all: about 1-2 minutes on 2 cores)")
    p.add_argument("--out", help=f"directory for <check>.csv and <check>.json (and the cell cache {CACHE_DIR}/)")
    p.add_argument("--scope", choices=("global", "layer"), help="theorem1: global or layer-wise pruning")
    p.add_argument("--structure", choices=("iid", "column", "layer"), help="theorem1-3: entry dependence")
    p.add_argument("--structures", nargs="+", choices=("iid", "column", "layer"), help="dependence: structures")
    p.add_argument("--aspects", type=int, nargs="+", help="theorem2: W is h x (a·h) for each a (default 1 2)")
    p.add_argument("--rows", type=int, help="theorem3: rows of W (default square)")
    p.add_argument("--d", type=int, help="prop-s1: vector length")
    _sweep_flags(p)
    p.set_defaults(func=_check)

    s = sub.add_parser("size", help="smallest size with P(error <= eps) >= confidence (measured or extrapolated)")
    s.add_argument("theorem", choices=THEOREMS)
    s.add_argument("--alpha", type=float, required=True, help="tail index α")
    s.add_argument("--p", type=float, default=2.0)
    s.add_argument("--kappa", type=float, default=0.1)
    s.add_argument("--eps", type=float, default=0.1)
    s.add_argument("--confidence", type=float, default=0.9)
    s.add_argument("--max-measured", type=int, default=None, help="largest size simulated")
    s.add_argument("--trials", type=int, default=50)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", help="directory for size-<theorem>.csv/.json (and the cell cache cells-cache/)")
    _sweep_flags(s)
    s.set_defaults(func=_size)


def _sweep_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=positive_int, default=None,
                   help="local worker processes for the Monte-Carlo cells (default: in this process; "
                        "with --out: one per core)")
    p.add_argument("--scheduler", default=None,
                   help=f"Dask scheduler address or scheduler file for the cells (default ${SCHEDULER_ENV})")
    p.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                   help=f"reuse the cells cached under OUT/{CACHE_DIR}/ (default; --no-resume recomputes)")
