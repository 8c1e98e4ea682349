"""float32 against float64 for the pruning ratio (issue "engine speed", item 3): accuracy, memory, time.

    python benchmarks/bench_float32.py                 # α ∈ {1.2, 1.5, 1.8, 2.0}, 500×500, 20 seeds (about 30 s)
    python benchmarks/bench_float32.py --seeds 3       # a smoke test

For each α and ε the same sample is drawn twice, ``sample_weights(α, shape, seed=s, dtype=...)`` in float64
and in float32, and ``pruning_ratio`` (p = 2 by default) is taken of each. The float32 entries are the float64
draws rounded to nearest (relative error ≤ 2^-24), saturated at ±float32 max; the table checks that on every
sample. κ of a float32 array is exact for those float32 values (it equals κ of ``w32.astype(float64)``, also
checked), so |κ32 − κ64| measures only what the rounding of the entries does to the answer.

Prints markdown tables: accuracy (max and mean |κ32 − κ64| over the seeds, in entries and as a fraction of d),
then memory (bytes of the arrays; peak extra bytes that ``pruning_ratio`` allocates, by ``tracemalloc``) and
time (best of ``--repeat`` calls after one warm-up, Numba compilation excluded) of each path.
"""
from __future__ import annotations

import argparse
import math
import platform
import tracemalloc
from collections.abc import Callable
from functools import partial

import numba
import numpy as np
from _timing import best  # benchmarks/_timing.py (scripts run from benchmarks/)

from sgdtails.simulator import pruning_ratio, sample_weights

F32_MAX = float(np.finfo(np.float32).max)
F32_TINY = float(np.finfo(np.float32).tiny)


def peak_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes NumPy and Python allocate while ``fn`` runs (``tracemalloc``; after one warm-up call)."""
    fn()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def rounding_check(w64: np.ndarray, w32: np.ndarray) -> tuple[int, int, float]:
    """(entries differing from round-to-nearest of the saturated float64 draw, saturated entries, max rel. error)."""
    expected = np.clip(w64, -F32_MAX, F32_MAX).astype(np.float32)
    mismatches = int(np.count_nonzero(expected != w32))
    saturated = int(np.count_nonzero(np.abs(w64) > F32_MAX))
    normal = (np.abs(w64) >= F32_TINY) & (np.abs(w64) <= F32_MAX)
    rel = np.abs(w32[normal].astype(np.float64) - w64[normal]) / np.abs(w64[normal])
    return mismatches, saturated, float(rel.max()) if rel.size else 0.0


def main(argv: list[str] | None = None) -> None:
    """Run the comparison and print the tables."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--alphas", type=float, nargs="+", default=[1.2, 1.5, 1.8, 2.0])
    ap.add_argument("--shape", type=int, nargs=2, default=[500, 500])
    ap.add_argument("--structure", default="iid", choices=["iid", "column", "layer"])
    ap.add_argument("--seeds", type=int, default=20, help="seeds 0 .. seeds-1 per alpha")
    ap.add_argument("--p", type=float, default=2.0)
    ap.add_argument("--eps", type=float, nargs="+", default=[0.1, 0.3])
    ap.add_argument("--repeat", type=int, default=5, help="timed calls per path (best is reported)")
    args = ap.parse_args(argv)
    shape = tuple(args.shape)
    d = math.prod(shape)

    def draw(alpha: float, seed: int, dtype: type) -> np.ndarray:
        return sample_weights(alpha, shape, structure=args.structure, seed=seed, dtype=dtype)

    acc_rows, cost_rows, round_rows = [], [], []
    for alpha in args.alphas:
        pairs = [(draw(alpha, s, np.float64), draw(alpha, s, np.float32)) for s in range(args.seeds)]
        checks = [rounding_check(w64, w32) for w64, w32 in pairs]
        round_rows.append((alpha, sum(c[0] for c in checks), sum(c[1] for c in checks), max(c[2] for c in checks)))
        for eps in args.eps:
            k64 = np.array([pruning_ratio(w64, eps, p=args.p) for w64, _ in pairs])
            k32 = np.array([pruning_ratio(w32, eps, p=args.p) for _, w32 in pairs])
            exact = all(pruning_ratio(w32.astype(np.float64), eps, p=args.p) == k for (_, w32), k in zip(pairs, k32))
            diff = np.abs(k32 - k64)
            acc_rows.append((alpha, eps, float(k64.mean()), float(diff.max() * d), float(diff.mean() * d),
                             float(diff.max()), float(diff.mean()), int(np.count_nonzero(diff)), exact))
        select = [partial(pruning_ratio, w, args.eps[0], p=args.p) for w in pairs[0]]
        sample = [partial(draw, alpha, 0, dt) for dt in (np.float64, np.float32)]
        cost_rows.append((alpha, pairs[0][0].nbytes, pairs[0][1].nbytes, *map(peak_bytes, select),
                          *(best(f, args.repeat) for f in select), *(best(f, args.repeat) for f in sample)))

    print(f"float32 vs float64 pruning ratio: structure {args.structure}, shape {shape[0]}×{shape[1]} (d = {d:,}), "
          f"{args.seeds} seeds, p = {args.p:g}; {platform.processor() or platform.machine()}, "
          f"{numba.config.NUMBA_NUM_THREADS} Numba threads, NumPy {np.__version__}, Numba {numba.__version__}\n")
    print("Accuracy: |Δ| = |κ32 − κ64| = |r32 − r64| over the seeds (r = pruning_ratio = 1 − κ; entries = |Δ|·d). "
          "exact: r32 equals pruning_ratio(w32.astype(float64)) on every seed.\n")
    print("| α | ε | mean r64 | max \\|Δ\\| (entries) | mean \\|Δ\\| (entries) | max \\|Δ\\| (fraction) | "
          "mean \\|Δ\\| (fraction) | seeds with Δ ≠ 0 | exact |")
    print("|---|---|---|---|---|---|---|---|---|")
    for a, e, mean_k, mx_n, mean_n, mx_f, mean_f, nz, ex in acc_rows:
        print(f"| {a:g} | {e:g} | {mean_k:.5f} | {mx_n:.0f} | {mean_n:.2f} | {mx_f:.1e} | {mean_f:.1e} | "
              f"{nz}/{args.seeds} | {'yes' if ex else 'NO'} |")
    print("\nRounding: float32 entry = float64 draw rounded to nearest, saturated at ±float32 max "
          f"(bound 2^-24 = {2.0**-24:.2e} relative, normal range).\n")
    print("| α | entries ≠ round-to-nearest | saturated entries | max relative error |")
    print("|---|---|---|---|")
    for a, mism, sat, rel in round_rows:
        print(f"| {a:g} | {mism} of {args.seeds * d:,} | {sat} | {rel:.2e} |")
    print(f"\nMemory and time (seed 0, ε = {args.eps[0]:g}; best of {args.repeat}): array bytes; peak bytes "
          "pruning_ratio allocates beyond the array; pruning_ratio and sample_weights times.\n")
    print("| α | array f64 | array f32 | extra f64 | extra f32 | pruning_ratio f64 | pruning_ratio f32 | "
          "sample f64 | sample f32 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for a, b64, b32, x64, x32, t64, t32, s64, s32 in cost_rows:
        print(f"| {a:g} | {b64 / 2**20:.2f} MiB | {b32 / 2**20:.2f} MiB | {x64 / 2**20:.2f} MiB | {x32 / 2**20:.2f} MiB | "
              f"{t64 * 1e3:.2f} ms | {t32 * 1e3:.2f} ms | {s64 * 1e3:.2f} ms | {s32 * 1e3:.2f} ms |")


if __name__ == "__main__":
    main()
