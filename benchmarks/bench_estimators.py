"""Bias and spread of every tail-index estimator against the true α (not a speed benchmark; docs/theory.md §3).

The baseline is the truth: each estimator of :func:`sgdtails.simulator.tail_index` is run on exact
samples of known index α ∈ {1.2, 1.5, 1.8} at n ∈ {10³, 10⁵} observations, over R independent
seeds (R = 200 at n = 10³, 50 at n = 10⁵ by default), with ``uncertainty=False`` (α̂ only). For each
(method, data, α, n) the table gives the mean bias E α̂ − α with its Monte-Carlo standard error
sd/√R, the seed-to-seed sd of α̂, and the RMSE. The figures quoted in the docstrings of
``sgdtails.simulator.tail_index`` come from this script (default arguments).

Data (n counts the method's observations: entries for ``"mmo"``/``"hill"``, rows for the others):

* ``sas``: n i.i.d. SαS(1) entries (:func:`sgdtails.simulator.sample_sas`);
* ``iid rows``: an n × 10 array of i.i.d. SαS(1) entries (the HML layer model);
* ``elliptical rows``: n independent elliptical SαS vectors of dimension 10
  (:func:`sgdtails.simulator.sample_elliptical`; coordinates of a row share their mixing variable).

The row ``mmo`` on ``elliptical rows (flattened)`` is a misuse kept as a reference: the univariate
estimator pools dependent coordinates, which ``"mmo_multivariate"`` exists to avoid.

    python benchmarks/bench_estimators.py                  # about 2–3 minutes on 2 cores
    python benchmarks/bench_estimators.py --quick          # R = 20 / 5, a smoke test
    python benchmarks/bench_estimators.py --out table.md   # also write the markdown table
"""
from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np

from sgdtails.simulator import sample_elliptical, sample_sas, tail_index

ALPHAS = (1.2, 1.5, 1.8)
SIZES = (1_000, 100_000)
DIM = 10  # coordinates per row for the multivariate methods
ROOT = 20240614  # root of the seeds: seed i of a cell is SeedSequence(ROOT, spawn_key=(cell, i))


def _sas(alpha: float, n: int, seed: np.random.SeedSequence) -> np.ndarray:
    return sample_sas(alpha, n, seed=seed)


def _iid_rows(alpha: float, n: int, seed: np.random.SeedSequence) -> np.ndarray:
    return sample_sas(alpha, (n, DIM), seed=seed)


def _elliptical_rows(alpha: float, n: int, seed: np.random.SeedSequence) -> np.ndarray:
    return sample_elliptical(alpha, n, DIM, seed=seed)


# (method, data label, sampler); the method's n is the sampler's n (entries or rows)
CASES: tuple[tuple[str, str, Callable[[float, int, np.random.SeedSequence], np.ndarray]], ...] = (
    ("mmo", "sas", _sas),
    ("hill", "sas", _sas),
    ("mmo_multivariate", "elliptical rows", _elliptical_rows),
    ("mmo_multivariate", "iid rows", _iid_rows),
    ("paper", "iid rows", _iid_rows),
    ("paper", "elliptical rows", _elliptical_rows),
    ("mmo", "elliptical rows (flattened)", _elliptical_rows),
)


def measure(method: str, sampler, alpha: float, n: int, reps: int, cell: int) -> np.ndarray:
    """α̂ over ``reps`` independent seeds."""
    out = np.empty(reps)
    for i in range(reps):
        seed = np.random.SeedSequence(ROOT, spawn_key=(cell, i))
        out[i] = tail_index(sampler(alpha, n, seed), method=method, uncertainty=False).alpha
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps-small", type=int, default=200, help="seeds at n = 10³")
    parser.add_argument("--reps-large", type=int, default=50, help="seeds at n = 10⁵")
    parser.add_argument("--quick", action="store_true", help="20 / 5 seeds")
    parser.add_argument("--out", help="also write the markdown table to this file")
    args = parser.parse_args()
    reps = {SIZES[0]: 20 if args.quick else args.reps_small, SIZES[1]: 5 if args.quick else args.reps_large}
    lines = [
        f"Tail-index estimators against the true α: R seeds per cell (R = {reps[SIZES[0]]} at n = 10³, "
        f"{reps[SIZES[1]]} at n = 10⁵), rows of dimension {DIM}",
        "",
        "| method | data | α | n | mean α̂ | bias (± MC se) | sd | RMSE |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    print("\n".join(lines), flush=True)
    t0 = time.perf_counter()
    cell = 0
    for method, label, sampler in CASES:
        for n in SIZES:
            for alpha in ALPHAS:
                est = measure(method, sampler, alpha, n, reps[n], cell)
                cell += 1
                bias, sd = float(est.mean() - alpha), float(est.std(ddof=1))
                rmse = math.sqrt(float(np.mean((est - alpha) ** 2)))
                row = (f"| {method} | {label} | {alpha} | {n:.0e} | {est.mean():.3f} | "
                       f"{bias:+.3f} ± {sd / math.sqrt(len(est)):.3f} | {sd:.3f} | {rmse:.3f} |")
                lines.append(row)
                print(row, flush=True)
    tail = f"\n{cell} cells in {time.perf_counter() - t0:.0f} s"
    print(tail)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
