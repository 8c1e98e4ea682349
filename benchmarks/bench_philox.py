"""Philox4x64-10 raw words: the Numba kernel (simulator/_philox.py) against numpy.random.Philox, same run.

Baseline: ``numpy.random.Philox(key, counter).random_raw(n)`` (C). Measured: ``philox_raw(key, counter,
n)`` (one Numba call, single thread) for n = 250,000 (a 500×500 matrix) and n = 10⁷; best of
``--repeat`` runs each, after one warm-up call. Also checks that both give the same words.

    python benchmarks/bench_philox.py [--repeat 20]
"""
from __future__ import annotations

import argparse

import numpy as np
from _timing import best  # benchmarks/_timing.py (scripts run from benchmarks/)

from sgdtails.simulator._philox import philox_raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    key, counter = 20211206, 0
    print("| n | numpy Philox.random_raw | sgdtails philox_raw | ratio |")
    print("|---|---|---|---|")
    for n in (250_000, 10_000_000):
        assert np.array_equal(philox_raw(key, counter, n), np.random.Philox(key=key, counter=counter).random_raw(n))
        base = best(lambda n=n: np.random.Philox(key=key, counter=counter).random_raw(n), args.repeat)
        ours = best(lambda n=n: philox_raw(key, counter, n), args.repeat)
        print(f"| {n:,} | {base * 1e3:.2f} ms | {ours * 1e3:.2f} ms | {base / ours:.2f}× |")


if __name__ == "__main__":
    main()
