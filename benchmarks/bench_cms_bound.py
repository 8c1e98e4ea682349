"""How much a cheaper CMS transform could gain at most (issue "engine speed", item 2): an upper bound.

The sampler's Chambers–Mallows–Stuck transform (``stable._cms_terms`` + one log, one log, one exp;
each ≤ 1 ulp) is timed on 250,000 stored (U, U°) pairs on one thread, against a deliberately cut-down
version of the same arithmetic that no sampler may use: sin/cos as bare polynomials with no range
reduction and no correction terms (on the wrong angles, so they stay in the polynomials' range), and
one division where the real transform has two. Its values are wrong; only its cost means something:
it bounds from below what any transform of this shape (two sin/cos pairs, two logs, one exp) costs
with these polynomials. Best of ``--repeat`` after a warm-up, both in the same run.

    python benchmarks/bench_cms_bound.py [--repeat 60]
"""
from __future__ import annotations

import argparse
import math

import numba
import numpy as np
from _timing import best  # benchmarks/_timing.py (scripts run from benchmarks/)

from sgdtails.simulator._explog import exp, log_normal
from sgdtails.simulator._trig import _C1, _C2, _C3, _C4, _C5, _C6, _S1, _S2, _S3, _S4, _S5, _S6
from sgdtails.simulator.stable import _HALF_GRID, _clip, _cms_terms

N = 250_000
ALPHA = 1.5
_J = {"error_model": "numpy", "nogil": True}


@numba.njit(inline="always", **_J)
def _bare_sincos(r):  # noqa: ANN001, ANN202 — polynomials only: no reduction, no correction (cost only)
    z = r * r
    s = r + r * z * (_S1 + z * (_S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))))
    c = 1.0 - 0.5 * z + z * z * (_C1 + z * (_C2 + z * (_C3 + z * (_C4 + z * (_C5 + z * _C6)))))
    return s, c


@numba.njit(**_J)
def _transform(u, w, out, alpha, big):  # noqa: ANN001, ANN202 — the sampler's arithmetic (stable._fill_sas)
    b = (1.0 - alpha) / alpha
    for j in range(u.shape[0]):
        s, r = _cms_terms(u[j], alpha)
        x = s * exp(b * log_normal(r / -log_normal(w[j])))
        out[j] = _clip(0.0 if s == 0.0 else x, big)


@numba.njit(**_J)
def _cut_down(u, w, out, alpha, big):  # noqa: ANN001, ANN202 — wrong values on purpose (module docstring)
    b = (1.0 - alpha) / alpha
    for j in range(u.shape[0]):
        h = u[j] - 0.5
        m = max(0.5 - abs(h), _HALF_GRID)
        cos_v, abs_sin_v = _bare_sincos(0.5 * math.pi * m)
        sin_a, cos_a = _bare_sincos(0.5 * alpha * math.pi * h)
        cos_1a = cos_v * cos_a + math.copysign(abs_sin_v, h) * sin_a
        e = -log_normal(w[j])
        q = 1.0 / (cos_v * e)
        s = sin_a * e * q
        x = s * exp(b * log_normal(cos_1a * q))
        out[j] = _clip(0.0 if s == 0.0 else x, big)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    u, out = rng.random(N), np.empty(N)
    w = (np.floor(rng.random(N) * 2.0**53) + 0.5) * 2.0**-53  # U° as the sampler makes it: in (0, 1)
    big = float(np.finfo(np.float64).max)
    real = best(lambda: _transform(u, w, out, ALPHA, big), args.repeat)
    bound = best(lambda: _cut_down(u, w, out, ALPHA, big), args.repeat)
    print("| transform on 250,000 stored pairs, 1 thread | ms | ns a value |")
    print("|---|---:|---:|")
    for name, t in (("the sampler's (≤ 1 ulp)", real), ("cut down, wrong values (an upper bound on gains)", bound)):
        print(f"| {name} | {t * 1e3:.2f} | {t / N * 1e9:.1f} |")
    print(f"\ncut down / real: {bound / real:.2f}")


if __name__ == "__main__":
    main()
