"""Benchmark: the compute part of ``sgdtails figure s1`` against a plain NumPy version.

Workload (magnitude scheme only, the paper's Figure S1): 250 α ~ U(1.75, 2), one 500×500 matrix
of each structure (iid, column, layer) per α, pruning ratio at ε = 0.1, p = 2.

* ``numpy``: Chambers–Mallows–Stuck and Kanter samplers as NumPy ufunc expressions, pruning
  ratio by a full sort and a cumulative sum (one process, the textbook way);
* ``sgdtails, jobs=1``: :func:`sgdtails.figures.figure_s1.compute` in this process;
* ``sgdtails, jobs=N``: the same over N local worker processes (:func:`sgdtails.simulator.sweep.run_study`).

Every sgdtails run uses a fresh cache folder (nothing is reused). Both versions must agree on the
trend (Spearman ρ of α vs ratio per structure); the table shows it. Optionally
(``--pruning-study``) the CPU-scale pruning study is timed too (minutes).

Run: ``python benchmarks/bench_figure_s1.py [--jobs 2] [--repeat 1] [--pruning-study]``.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time

import numpy as np

from sgdtails.figures import figure_s1, pruning_study
from sgdtails.figures._common import spearman
from sgdtails.simulator import RunOptions


def _cms(alpha: float, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    v = rng.uniform(-np.pi / 2, np.pi / 2, size)
    w = rng.exponential(1.0, size)
    return np.sin(alpha * v) / np.cos(v) ** (1 / alpha) * (np.cos((1 - alpha) * v) / w) ** ((1 - alpha) / alpha)


def _positive(a: float, size: int, rng: np.random.Generator) -> np.ndarray:
    u = rng.uniform(0, np.pi, size)
    w = rng.exponential(1.0, size)
    return np.sin(a * u) / np.sin(u) ** (1 / a) * (np.sin((1 - a) * u) / w) ** ((1 - a) / a)


def _ratio(w: np.ndarray, eps: float) -> float:
    """1 − κ₂(w, ε): the largest m with (sum of the m smallest squares) ≤ ε² · (sum of all)."""
    s = np.sort(np.square(w.ravel()))
    c = np.cumsum(s)
    return np.searchsorted(c, eps * eps * c[-1], side="right") / s.size


def numpy_figure_s1(config: figure_s1.FigureS1Config) -> list[dict]:
    rng = np.random.default_rng(config.seed)
    n = config.size
    rows = []
    for alpha in figure_s1.draw_alphas(config):
        mats = {
            "iid": _cms(alpha, (n, n), rng),
            "column": np.sqrt(2 * _positive(alpha / 2, n, rng))[None, :] * rng.standard_normal((n, n)),
            "layer": np.sqrt(2 * _positive(alpha / 2, 1, rng)) * rng.standard_normal((n, n)),
        }
        rows += [{"alpha": alpha, "structure": s, "pruning_ratio": _ratio(w, config.eps)} for s, w in mats.items()]
    return rows


def _time(func, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - start)
    return best, out


def _ours(config, jobs):
    with tempfile.TemporaryDirectory(prefix="bench_s1_") as tmp:
        return figure_s1.compute(config, run=RunOptions(cache_dir=tmp, jobs=jobs, progress=False))


def _rho(rows: list[dict]) -> str:
    out = []
    for s in ("iid", "column", "layer"):
        sel = [r for r in rows if r["structure"] == s and r.get("scheme", "magnitude") == "magnitude"]
        out.append(f"{s} {spearman([r['alpha'] for r in sel], [r['pruning_ratio'] for r in sel]):+.2f}")
    return ", ".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1, help="best of REPEAT runs")
    parser.add_argument("--pruning-study", action="store_true", help="also time the CPU-scale pruning study")
    args = parser.parse_args()
    config = figure_s1.FigureS1Config(schemes=("magnitude",))
    _ours(figure_s1.FigureS1Config(n_alpha=2, size=20), 1)  # compile / warm the kernels
    results = [("numpy (CMS + sort), 1 process", *_time(lambda: numpy_figure_s1(config), args.repeat))]
    results.append(("sgdtails figure s1 compute, jobs=1", *_time(lambda: _ours(config, 1), args.repeat)))
    if args.jobs > 1:
        results.append((f"sgdtails figure s1 compute, jobs={args.jobs}",
                        *_time(lambda: _ours(config, args.jobs), args.repeat)))
    base = results[0][1]
    print(f"\nFigure S1 compute (magnitude; 250 α × 3 structures × 500×500), {os.cpu_count()} CPUs, best of {args.repeat}\n")
    print("| version | wall time (s) | speed-up vs numpy | Spearman ρ(α, ratio) |")
    print("|---|---:|---:|---|")
    for name, seconds, rows in results:
        print(f"| {name} | {seconds:.2f} | {base / seconds:.1f}× | {_rho(rows)} |")
    if args.pruning_study:
        cfg = pruning_study.config_for_scale("cpu")
        with tempfile.TemporaryDirectory(prefix="bench_ps_") as tmp:
            start = time.perf_counter()
            pruning_study.compute(cfg, run=RunOptions(cache_dir=tmp, jobs=args.jobs, progress=False))
            seconds = time.perf_counter() - start
        print(f"\n| pruning study, --scale cpu (width {cfg.width}, {cfg.n_inputs} inputs, {cfg.repetitions} reps, "
              f"{len(cfg.alphas)} α, 4 schemes), jobs={args.jobs} | {seconds:.1f} s |")


if __name__ == "__main__":
    main()
