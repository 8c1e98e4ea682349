"""Where a 500×500 i.i.d. SαS draw spends its time: a per-stage profile (issue "engine speed", item 2).

``sample_weights(1.8, (500, 500), structure="iid")`` (250,000 values, 4 blocks of 2^16) is timed
whole and by stage, each stage repeated on its own the way one call runs it:

* ``seed``: ``as_seed_sequence`` of an int;
* ``generators``: one ``SeedSequence`` child + ``PCG64`` + ``Generator`` per block and variate kind
  (``streams.block_generator``, 4 blocks × 2 kinds);
* ``draws``: ``random`` and ``standard_exponential`` into scratch buffers (NumPy's own cost);
* ``transform``: the CMS transform of the four blocks (``stable._sas_block``) and the clip into
  the output;
* ``threads``: ``run_blocks`` with an empty fill (thread-pool start and hand-off).

Baseline (same run): NumPy's uniform + exponential draws alone for 250,000 values from one
existing ``Generator`` (the issue's reference), and a 10⁷-value call per 250,000 values.
Best of ``--repeat`` after a warm-up. The stages need not add up to the whole exactly (the whole
runs them in threads).

    python benchmarks/bench_sampler_profile.py [--repeat 20]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from sgdtails.simulator import sample_weights, streams
from sgdtails.simulator.stable import _sas_block, _saturate
from sgdtails.simulator.streams import BLOCK_SIZE

ALPHA, SHAPE = 1.8, (500, 500)
N = SHAPE[0] * SHAPE[1]


def _best(fn, repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    r = args.repeat
    seq = streams.as_seed_sequence(0)
    blocks = [(b, b * BLOCK_SIZE, min(N, (b + 1) * BLOCK_SIZE)) for b in range(-(-N // BLOCK_SIZE))]
    bufs = [(np.empty(BLOCK_SIZE), np.empty(BLOCK_SIZE)) for _ in blocks]
    out = np.empty(N)

    def generators():
        for b, _, _ in blocks:
            streams.block_generator(seq, streams.STREAM_CMS, b, 0)
            streams.block_generator(seq, streams.STREAM_CMS, b, 1)

    gens = [(streams.block_generator(seq, 0, b, 0), streams.block_generator(seq, 0, b, 1)) for b, _, _ in blocks]

    def draws():
        for (g0, g1), (u, w), (_, lo, hi) in zip(gens, bufs, blocks):
            g0.random(out=u[: hi - lo])
            g1.standard_exponential(out=w[: hi - lo])

    raw = [(u.copy(), w.copy()) for u, w in bufs]

    def transform():
        for (u0, w0), (u, w), (_, lo, hi) in zip(raw, bufs, blocks):
            u[: hi - lo] = u0[: hi - lo]
            w[: hi - lo] = w0[: hi - lo]
            _saturate(_sas_block(ALPHA, 1.0, u[: hi - lo], w[: hi - lo]), out[lo:hi])

    def threads():
        streams.run_blocks(N, lambda b, lo, hi: None)

    rng = np.random.default_rng(0)
    u_ref, w_ref = np.empty(N), np.empty(N)

    def numpy_draws():
        rng.random(out=u_ref)
        rng.standard_exponential(out=w_ref)

    whole = _best(lambda: sample_weights(ALPHA, SHAPE, structure="iid", seed=0), r)
    big = _best(lambda: sample_weights(ALPHA, (10_000_000,), structure="iid", seed=0), max(3, r // 5))
    rows = [
        ("sample_weights 500×500 (whole call)", whole),
        ("  seed (as_seed_sequence)", _best(lambda: streams.as_seed_sequence(0), r)),
        ("  generators (8 SeedSequence + PCG64 + Generator)", _best(generators, r)),
        ("  draws (uniform + exponential, 4 blocks)", _best(draws, r)),
        ("  transform (CMS + clip, 4 blocks)", _best(transform, r)),
        ("  threads (run_blocks, empty fill)", _best(threads, r)),
        ("baseline: NumPy uniform + exponential, 250,000 values", _best(numpy_draws, r)),
        ("10⁷-value call, per 250,000 values", big * N / 10_000_000),
    ]
    print("| stage | ms |")
    print("|---|---|")
    for name, t in rows:
        print(f"| {name} | {t * 1e3:.2f} |")
    print(f"\nwhole / NumPy draws alone: {whole / rows[6][1]:.2f}x; whole / its share of a 1e7 call: {whole / rows[7][1]:.2f}x")


if __name__ == "__main__":
    main()
