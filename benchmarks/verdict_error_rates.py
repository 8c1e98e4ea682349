"""The verdict rule's error rates on constructed series (not a speed benchmark; docs/theory.md §4.10).

Each series is a median curve m(d) over d = 10³ … 10⁶ (4 sizes) with log-normal trial noise of
spread σ (the median kept), ``trials`` trials; the rule is sgdtails.theory.verdict.analyse_series.
Reported per family: the share of seeds given each verdict. A wrong verdict is "fails" for a
decay to 0 at the derived rate (a false finding against a proof) and "holds" for a positive limit.

    python benchmarks/verdict_error_rates.py [--seeds 500]
"""
from __future__ import annotations

import argparse

import numpy as np

from sgdtails.theory.verdict import analyse_series

SIZES = (10**3, 10**4, 10**5, 10**6)
FAMILIES = [
    # (name, median curve, derived rate, sigma)
    ("decay d^-0.33 (alpha 1.2), rate -0.33", lambda d: 2.0 * d**-0.33, -0.33, 0.3),
    ("slow decay d^-0.056 (alpha 1.8), rate -0.056", lambda d: 0.9 * d**-0.056, -0.056, 0.3),
    ("slow decay d^-0.026 (alpha 1.9), rate -0.026", lambda d: 0.9 * d**-0.026, -0.026, 0.3),
    ("slow decay d^-0.0025 (alpha 1.99), rate -0.0025", lambda d: 0.9 * d**-0.0025, -0.0025, 0.3),
    ("limit 0.06 + 0.5 d^-0.5, no rate (below eps)", lambda d: 0.06 + 0.5 * d**-0.5, None, 0.1),
    ("limit 0.3 + 0.5 d^-0.5, no rate", lambda d: 0.3 + 0.5 * d**-0.5, None, 0.1),
    ("flat 0.7, no rate", lambda d: 0.7 + 0 * d, None, 0.05),
    ("limit 0.3 + 2 d^-0.5 against rate -0.33", lambda d: 0.3 + 2.0 * d**-0.5, -0.33, 0.03),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=500)
    parser.add_argument("--trials", type=int, default=30)
    args = parser.parse_args()
    d = np.asarray(SIZES, dtype=float)
    print(f"\n{args.seeds} seeds per family, {args.trials} trials per size, sizes {SIZES}, threshold 0.1\n")
    print("| family | holds | fails | inconclusive |")
    print("|---|---:|---:|---:|")
    for name, curve, rate, sigma in FAMILIES:
        counts = {"holds": 0, "fails": 0, "inconclusive": 0}
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            E = np.exp(sigma * rng.standard_normal((d.size, args.trials))) * curve(d)[:, None]
            counts[analyse_series("s", SIZES, E, 0.1, theory_slope=rate, rng=rng).verdict] += 1
        share = {k: v / args.seeds for k, v in counts.items()}
        print(f"| {name} | {share['holds']:.3f} | {share['fails']:.3f} | {share['inconclusive']:.3f} |")


if __name__ == "__main__":
    main()
