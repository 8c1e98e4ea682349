"""Theorem 1 at d = 10⁹ in bounded memory: time and peak memory of one streamed trial.

    python benchmarks/bench_theorem1_stream.py             # d = 10⁹ (minutes on 2 cores)
    python benchmarks/bench_theorem1_stream.py --d 1e7     # a smoke test

One cell of :func:`sgdtails.theory.check_theorem1` (α = 1.5, p = 2, κ = 0.1 by default): the relative ℓ2
error of keeping the ⌈κd⌉ largest |x_i| of x = ``sample_sas(alpha, d, seed)``, streamed
(:func:`sgdtails.simulator.streamed_magnitude_error`; the check uses it from d ≥ ``STREAM_MIN``, and
below that the benchmark calls it directly). Baseline, the floor: drawing the same d SαS values
chunk by chunk into one buffer with :func:`sgdtails.simulator.sample_sas_range` (``out=``), as the
check does, and discarding them. Peak memory is the
tracemalloc peak (NumPy buffers included) and the process's peak RSS. Numba kernels are compiled
(warm-up) before timing. Prints a markdown table.
"""
from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from sgdtails.simulator import sample_sas_range, streamed_magnitude_error
from sgdtails.simulator.streaming import STREAM_CHUNK
from sgdtails.theory.theorem1 import STREAM_MIN, Theorem1Cell, theorem1_cell


def _measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    value = fn()
    wall = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
    return value, wall, peak / 2**20, rss


def _floor(alpha: float, d: int, seed: int) -> float:
    seq = np.random.SeedSequence(seed)
    total = 0.0
    buf = np.empty(min(d, STREAM_CHUNK))  # one buffer, as the streamed check draws
    for start in range(0, d, STREAM_CHUNK):
        stop = min(d, start + STREAM_CHUNK)
        total += float(sample_sas_range(alpha, start, stop, seed=seq, out=buf[: stop - start])[0])
    return total


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--d", type=float, default=1e9, help="vector length (default 1e9)")
    ap.add_argument("--alpha", type=float, default=1.5)
    ap.add_argument("--p", type=float, default=2.0)
    ap.add_argument("--kappa", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    d = int(args.d)
    seq = np.random.SeedSequence(args.seed)
    if d >= STREAM_MIN:
        run = lambda: theorem1_cell(Theorem1Cell((args.alpha,), (d,), args.kappa, args.p), seq)  # noqa: E731
    else:
        run = lambda: streamed_magnitude_error(args.alpha, d, args.kappa, p=args.p, seed=seq)  # noqa: E731
    streamed_magnitude_error(args.alpha, 3 * STREAM_CHUNK // 2, args.kappa, p=args.p, seed=1)  # JIT warm-up
    _floor(args.alpha, STREAM_CHUNK, 1)
    err, t_check, peak_check, rss_check = _measure(run)
    _, t_floor, peak_floor, rss_floor = _measure(lambda: _floor(args.alpha, d, args.seed))
    print(f"Theorem 1, one streamed trial: alpha={args.alpha}, p={args.p}, kappa={args.kappa}, d={d:.3g}, "
          f"seed={args.seed}; relative error = {err:.6g}\n")
    print("| what | d | time (s) | d / s | peak traced (MB) | peak RSS so far (MB) |")
    print("|---|---|---|---|---|---|")
    for what, t, peak, rss in (("theorem1 cell (streamed)", t_check, peak_check, rss_check),
                               ("floor: sample_sas_range chunks, one buffer", t_floor, peak_floor, rss_floor)):
        print(f"| {what} | {d:.3g} | {t:.2f} | {d / t:.3g} | {peak:.0f} | {rss:.0f} |")
    print(f"\nstreamed / floor time: {t_check / t_floor:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
