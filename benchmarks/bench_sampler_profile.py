"""Where a 500×500 i.i.d. SαS draw spends its time: a per-stage profile (issue "engine speed", item 2).

``sample_weights(1.8, (500, 500), structure="iid")`` (250,000 values) is timed whole and by stage;
the stages are re-created here as small kernels from the engine's own pieces (so they run the same
code the fused kernel inlines), each on one thread:

* ``key``: ``as_seed_sequence`` of an int and the Philox key (``streams.stream_key``), the only set-up
  of a call;
* ``raw words``: the 500,000 Philox4x64-10 words turned into U and U° (``_philox.fill_pairs``), tile
  by tile, nothing else;
* ``transform``: CMS on stored U, U° (W = −log U°, two sin/cos pairs, one log and one exp,
  ``stable._cms_terms``), nothing else;
* ``fused, 1 thread``: the real kernel on one thread (raw words + transform in the same tile);
* ``fused, all threads``: the real call (``sample_sas_range``) on Numba's threads.

Baselines (same run): NumPy's uniform + exponential draws alone for 250,000 values from one
existing ``Generator`` (the issue's reference) and a 10⁷-value call per 250,000 values.
Best of ``--repeat`` after a warm-up.

    python benchmarks/bench_sampler_profile.py [--repeat 30]
"""
from __future__ import annotations

import argparse

import numba
import numpy as np
from _timing import best  # benchmarks/_timing.py (scripts run from benchmarks/)

from sgdtails.simulator import sample_sas_range, sample_weights, streams
from sgdtails.simulator._explog import exp, log_normal
from sgdtails.simulator._philox import fill_pairs
from sgdtails.simulator.stable import TILE, _cms_terms

ALPHA, SHAPE = 1.8, (500, 500)
N = SHAPE[0] * SHAPE[1]


@numba.njit(error_model="numpy", nogil=True)
def _raw_words(k0, k1, n, u, w):  # noqa: ANN001, ANN202 — a benchmark stage
    for lo in range(0, n, TILE):
        m = min(TILE, n - lo)
        fill_pairs(k0, k1, streams.STREAM_CMS, lo, m, u[lo:lo + m], w[lo:lo + m])


@numba.njit(error_model="numpy", nogil=True)
def _transform(u, w, out, alpha):  # noqa: ANN001, ANN202
    b = (1.0 - alpha) / alpha
    for j in range(u.shape[0]):
        s, r = _cms_terms(u[j], alpha)
        out[j] = s * exp(b * log_normal(r / -log_normal(w[j])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    r = args.repeat
    key = streams.stream_key(streams.as_seed_sequence(0))
    u, w, out = np.empty(N), np.empty(N), np.empty(N)
    _raw_words(key[0], key[1], N, u, w)

    def fused_one_thread() -> None:
        sample_sas_range(ALPHA, 0, N, seed=0, threads=1)

    rng = np.random.default_rng(0)
    u_ref, w_ref = np.empty(N), np.empty(N)

    def numpy_draws() -> None:
        rng.random(out=u_ref)
        rng.standard_exponential(out=w_ref)

    whole = best(lambda: sample_weights(ALPHA, SHAPE, structure="iid", seed=0), r)
    floor = best(numpy_draws, r)
    big = best(lambda: sample_weights(ALPHA, (10_000_000,), structure="iid", seed=0), max(3, r // 5))
    rows = [
        (f"sample_weights 500×500 (whole call, {numba.get_num_threads()} threads)", whole),
        ("  key (as_seed_sequence + stream_key)", best(lambda: streams.stream_key(streams.as_seed_sequence(0)), r)),
        ("  raw words: 500,000 Philox words → U, U° (1 thread)", best(lambda: _raw_words(key[0], key[1], N, u, w), r)),
        ("  transform: CMS on stored U, U° (1 thread)", best(lambda: _transform(u, w, out, ALPHA), r)),
        ("  fused kernel, 1 thread", best(fused_one_thread, r)),
        ("baseline: NumPy uniform + exponential, 250,000 values (1 thread)", floor),
        ("10⁷-value call, per 250,000 values", big * N / 10_000_000),
    ]
    print("| stage | ms |")
    print("|---|---:|")
    for name, t in rows:
        print(f"| {name} | {t * 1e3:.2f} |")
    print(f"\nwhole / NumPy draws alone: {whole / floor:.2f}x; whole / its share of a 1e7 call: {whole / rows[-1][1]:.2f}x")


if __name__ == "__main__":
    main()
