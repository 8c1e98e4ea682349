"""Simulator speed against named baselines run in the same process (issue: simulator, "Speed").

    python benchmarks/bench_simulator.py            # full sizes (about 3 minutes on 2 cores)
    python benchmarks/bench_simulator.py --quick    # 10× smaller, a smoke test

Prints a markdown table: each row is one task, the baseline's time, ours, and the ratio. Times
are the best of ``--repeat`` runs after one warm-up call (Numba compilation excluded).
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numba
import numpy as np
import scipy
from _timing import best  # benchmarks/_timing.py (scripts run from benchmarks/)
from scipy import stats

from sgdtails.simulator import STRUCTURES, min_kappa, pruning_ratio, sample_sas, sample_weights


def _secs(t: float) -> str:
    """Seconds with 3 decimals, or 3 significant digits below 0.1 s (a 1 ms task keeps its digits)."""
    return f"{t:.3f}" if t >= 0.1 else f"{t:.3g}"


def numpy_cms(alpha: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """The docs/theory.md §1 CMS formula vectorised in plain NumPy (the baseline)."""
    v = rng.uniform(-np.pi / 2, np.pi / 2, n)
    w = rng.standard_exponential(n)
    return np.sin(alpha * v) / np.cos(v) ** (1 / alpha) * (np.cos((1 - alpha) * v) / w) ** ((1 - alpha) / alpha)


def numpy_pruning_ratio(w: np.ndarray, eps: float = 0.1) -> float:
    """Plain NumPy κ_2(w, ε) by a full sort and a cumulative sum (the baseline)."""
    y = np.sort(w.ravel() ** 2)
    c = np.cumsum(y)
    m = np.searchsorted(c, eps**2 * c[-1], side="right")
    return m / y.size


def numpy_structures(alpha: float, shape: tuple[int, int], rng: np.random.Generator) -> list[np.ndarray]:
    """iid, column and layer matrices with plain NumPy (CMS; √A·G with A from the CMS-type Kanter formula)."""
    m, n = shape
    iid = numpy_cms(alpha, m * n, rng).reshape(shape)
    a = alpha / 2
    u = rng.uniform(0, np.pi, n + 1)
    e = rng.standard_exponential(n + 1)
    A = np.sin(a * u) / np.sin(u) ** (1 / a) * (np.sin((1 - a) * u) / e) ** ((1 - a) / a)
    g = rng.standard_normal((2, m, n)) * np.sqrt(2)
    return [iid, g[0] * np.sqrt(A[:n]), g[1] * np.sqrt(A[n])]


def figure_s1_numpy(alphas: np.ndarray, size: int, seed: int) -> list[float]:
    rng = np.random.default_rng(seed)
    return [numpy_pruning_ratio(w) for a in alphas for w in numpy_structures(a, (size, size), rng)]


def figure_s1_ours(alphas: np.ndarray, size: int, seed: int) -> list[float]:
    """The Figure S1 kernel with sgdtails, cell after cell (each kernel runs on Numba's threads)."""
    out = []
    for i, a in enumerate(alphas):
        ss = np.random.SeedSequence(seed, spawn_key=(i,))
        out += [pruning_ratio(sample_weights(a, (size, size), structure=s, seed=ss), 0.1) for s in STRUCTURES]
    return out


def figure_s1_stages(alphas: np.ndarray, size: int, seed: int) -> dict[str, float]:
    """Where the Figure S1 kernel's time goes: seconds in each sampler and in the selection, summed over α."""
    stages = dict.fromkeys([*(f"sample {s}" for s in STRUCTURES), "pruning_ratio (3 matrices)"], 0.0)
    for i, a in enumerate(alphas):
        ss = np.random.SeedSequence(seed, spawn_key=(i,))
        for s in STRUCTURES:
            t0 = time.perf_counter()
            w = sample_weights(a, (size, size), structure=s, seed=ss)
            t1 = time.perf_counter()
            pruning_ratio(w, 0.1)
            stages[f"sample {s}"] += t1 - t0
            stages["pruning_ratio (3 matrices)"] += time.perf_counter() - t1
    return stages


def _selection_rows(d_select: int, repeat: int) -> list[tuple[str, str, float, float]]:
    x = sample_sas(1.5, d_select, seed=2)
    y = x * x
    t_part = best(lambda: np.partition(y.copy(), d_select // 2), repeat) - best(lambda: y.copy(), repeat)
    t_sort = best(lambda: np.sort(y), 1)
    t_mk = best(lambda: min_kappa(x, 0.1), repeat)
    label = f"min_kappa, d = {d_select:.0e}, p = 2"
    return [(label, "np.partition of |x|² (one selection)", t_part, t_mk), (label, "np.sort of |x|²", t_sort, t_mk)]


def _pruning_ratio_row(repeat: int) -> tuple[str, str, float, float]:
    """``pruning_ratio`` of one 500×500 i.i.d. matrix (d = 2.5·10⁵, the Figure S1 cell) against np.partition."""
    w = sample_weights(1.8, (500, 500), seed=5)
    y = (w * w).ravel()
    t_part = best(lambda: np.partition(y.copy(), y.size // 2), 10 * repeat) - best(lambda: y.copy(), 10 * repeat)
    t_ours = best(lambda: pruning_ratio(w, 0.1), 10 * repeat)
    return "pruning_ratio, d = 2.5e5, p = 2", "np.partition of |w|² (one selection)", t_part, t_ours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10x smaller sizes")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    f = 10 if args.quick else 1
    n_sample, d_select, n_alpha = 10**7 // f, 10**8 // f, 250 // f
    rows = []

    rng = np.random.default_rng(0)
    t_floor = best(lambda: (rng.random(n_sample), rng.standard_exponential(n_sample)), args.repeat)
    t_np = best(lambda: numpy_cms(1.7, n_sample, rng), args.repeat)
    t_scipy = best(lambda: stats.levy_stable.rvs(1.7, 0.0, size=n_sample, random_state=1), 1)
    t_ours = best(lambda: sample_sas(1.7, n_sample, seed=1), args.repeat)
    label = f"sample_sas, n = {n_sample:.0e}, α = 1.7"
    rows += [
        (label, "scipy.stats.levy_stable.rvs", t_scipy, t_ours),
        (label, "NumPy CMS (vectorised)", t_np, t_ours),
        (label, "NumPy uniform + exponential draws only (floor)", t_floor, t_ours),
    ]

    rows += _selection_rows(d_select, args.repeat)  # its 10⁸-entry arrays are freed on return
    rows.append(_pruning_ratio_row(args.repeat))

    alphas = np.random.default_rng(3).uniform(1.75, 2.0, n_alpha)
    t_s1_np = best(lambda: figure_s1_numpy(alphas, 500, 4), 1)
    t_s1 = best(lambda: figure_s1_ours(alphas, 500, 4), args.repeat)
    rows.append((f"Figure S1 kernel, {n_alpha} α × 3 structures × 500²", "NumPy CMS + sort", t_s1_np, t_s1))
    stages = figure_s1_stages(alphas, 500, 4)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"numba threads {numba.get_num_threads()}; numpy {np.__version__}, scipy {scipy.__version__}, "
          f"numba {numba.__version__}")
    print("\n| task | baseline | baseline (s) | sgdtails (s) | speed-up |\n|---|---|---:|---:|---:|")
    for task, base, tb, to in rows:
        print(f"| {task} | {base} | {_secs(tb)} | {_secs(to)} | {tb / to:.1f}× |")
    print("\nFigure S1 kernel by stage (one timed pass, s):\n\n| stage | s | per matrix (ms) |\n|---|---:|---:|")
    for name, t in stages.items():
        print(f"| {name} | {t:.3f} | {t / n_alpha * 1e3 / (3 if name.startswith('pruning') else 1):.2f} |")


if __name__ == "__main__":
    main()
