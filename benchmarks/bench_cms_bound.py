"""How much a cheaper CMS transform could gain (issue "engine speed", items 2 and 4): cost probes.

The sampler's Chambers–Mallows–Stuck transform (``stable._cms_terms`` + one log, one log, one exp;
each ≤ 1 ulp) is timed on 250,000 stored (U, U°) pairs on one thread, against versions that no
sampler here uses, each in the same run:

* **cut down** (wrong values): sin/cos as bare polynomials with no range reduction and no correction
  terms (on the wrong angles, so they stay in the polynomials' range), and one division where the
  real transform has two. Only its cost means something: what a transform of this shape (two sin/cos
  pairs, two logs, one exp) costs with these polynomials, without fused multiply-adds.
* **FMA**: the sampler's own algorithms with every product-plus-sum of the polynomials and argument
  reductions written as one fused multiply-add (LLVM's ``llvm.fma``, which Numba does not emit without
  ``fastmath``). Its values differ from the sampler's in the last bits (the maximum ulp difference
  is printed); adopting it would change every sample.
* **FMA, no divisions** (wrong values): the FMA version with its five divisions turned into
  multiplications: what removing the divisions could save at most (a division-free log and exp need
  longer polynomials instead).

Best of ``--repeat`` after a warm-up.

    python benchmarks/bench_cms_bound.py [--repeat 60]
"""
from __future__ import annotations

import argparse
import math

import numba
import numpy as np
from _timing import best  # benchmarks/_timing.py (scripts run from benchmarks/)
from numba import types
from numba.extending import intrinsic

from sgdtails.simulator import _explog as E
from sgdtails.simulator import _trig as T
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


def _fma_intrinsic(typingctx, a, b, c):  # noqa: ARG001 — Numba's intrinsic signature
    """a·b + c rounded once (LLVM ``llvm.fma``)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return sig, codegen


_fma = intrinsic(_fma_intrinsic)


def _fma_transform(divide: bool):  # noqa: ANN202 — a Numba dispatcher
    """The sampler's transform with fused multiply-adds; ``divide=False`` turns its divisions into products (cost only)."""
    if divide:
        quot = numba.njit(inline="always", **_J)(lambda a, b: a / b)
    else:
        quot = numba.njit(inline="always", **_J)(lambda a, b: a * b)

    @numba.njit(inline="always", **_J)
    def sincos(x):  # noqa: ANN001, ANN202 — _trig.sincos, FMA form
        k = math.floor(_fma(x, T._INV_PIO2, 0.5))
        hi = _fma(-k, T._PIO2_2, _fma(-k, T._PIO2_1, x))
        lo = k * T._PIO2_3
        r = hi - lo
        y = ((hi - r) - lo) - k * T._PIO2_3T
        z = r * r
        w = z * z
        rs = _fma(z * w, _fma(z, _S6, _S5), _fma(z, _fma(z, _S4, _S3), _S2))
        v = z * r
        s = r - ((z * (0.5 * y - v * rs) - y) - v * _S1)
        rc = _fma(z, _fma(z, _fma(z, _C3, _C2), _C1), w * w * _fma(z, _fma(z, _C6, _C5), _C4))
        hz = 0.5 * z
        ww = 1.0 - hz
        c = ww + (((1.0 - ww) - hz) + _fma(z, rc, -r * y))
        q = k - 4.0 * math.floor(k * 0.25)
        swap = (q == 1.0) or (q == 3.0)
        sin_r, cos_r = (c, s) if swap else (s, c)
        sign_s = -1.0 if q >= 2.0 else 1.0
        sign_c = -1.0 if (q == 1.0 or q == 2.0) else 1.0
        return sign_s * sin_r, sign_c * cos_r

    @numba.njit(inline="always", **_J)
    def log(x):  # noqa: ANN001, ANN202 — _explog.log_normal, FMA form
        b = E._bits(x)
        mantissa = b & E._MANTISSA
        high = mantissa > E._SQRT2_MANTISSA
        k = (b >> 52) - 1023 + (1 if high else 0)
        f = E._float(mantissa | (E._HALF_BITS if high else E._ONE_BITS)) - 1.0
        hfsq = 0.5 * f * f
        s = quot(f, 2.0 + f)
        z = s * s
        w = z * z
        r = _fma(w, _fma(w, _fma(w, E._LG6, E._LG4), E._LG2),
                 z * _fma(w, _fma(w, _fma(w, E._LG7, E._LG5), E._LG3), E._LG1))
        dk = float(k)
        return _fma(dk, E._LN2_HI, -((hfsq - _fma(s, hfsq + r, dk * E._LN2_LO)) - f))

    @numba.njit(inline="always", **_J)
    def expo(x):  # noqa: ANN001, ANN202 — _explog.exp, FMA form
        x = min(max(x, -746.0), 710.0)
        k = math.floor(_fma(x, E._INV_LN2, 0.5))
        hi = _fma(-k, E._LN2_HI, x)
        lo = k * E._LN2_LO
        r = hi - lo
        t = r * r
        c = _fma(-t, _fma(t, _fma(t, _fma(t, _fma(t, E._P5, E._P4), E._P3), E._P2), E._P1), r)
        y = 1.0 - ((lo - quot(r * c, 2.0 - c)) - hi)
        ki = np.int64(k)
        k1 = ki >> 1
        return y * E._float((k1 + 1023) << 52) * E._float((ki - k1 + 1023) << 52)

    @numba.njit(**_J)
    def transform(u, w, out, alpha, big):  # noqa: ANN001, ANN202 — stable._fill_sas's CMS arithmetic, FMA form
        b = (1.0 - alpha) / alpha
        for j in range(u.shape[0]):
            h = u[j] - 0.5
            m = max(0.5 - abs(h), _HALF_GRID)
            cos_v, abs_sin_v = sincos(math.pi * m)
            sin_a, cos_a = sincos(alpha * math.pi * h)
            cos_1a = _fma(cos_v, cos_a, math.copysign(abs_sin_v, h) * sin_a)
            inv = quot(1.0, cos_v)
            s = sin_a * inv
            x = s * expo(b * log(quot(cos_1a * inv, -log(w[j]))))
            out[j] = _clip(0.0 if s == 0.0 else x, big)

    return transform


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    u, out = rng.random(N), np.empty(N)
    w = (np.floor(rng.random(N) * 2.0**53) + 0.5) * 2.0**-53  # U° as the sampler makes it: in (0, 1)
    big = float(np.finfo(np.float64).max)
    real = best(lambda: _transform(u, w, out, ALPHA, big), args.repeat)
    reference = out.copy()
    bound = best(lambda: _cut_down(u, w, out, ALPHA, big), args.repeat)
    with_fma, without_div = _fma_transform(True), _fma_transform(False)
    fused = best(lambda: with_fma(u, w, out, ALPHA, big), args.repeat)
    ulps = int(np.abs(out.view(np.int64) - reference.view(np.int64)).max())
    no_div = best(lambda: without_div(u, w, out, ALPHA, big), args.repeat)
    print("| transform on 250,000 stored pairs, 1 thread | ms | ns a value | / sampler's |")
    print("|---|---:|---:|---:|")
    for name, t in (("the sampler's (≤ 1 ulp)", real),
                    ("cut down, wrong values", bound),
                    (f"FMA, the same algorithms (≤ {ulps} ulp from the sampler's)", fused),
                    ("FMA, divisions as products, wrong values", no_div)):
        print(f"| {name} | {t * 1e3:.2f} | {t / N * 1e9:.1f} | {t / real:.2f} |")

if __name__ == "__main__":
    main()
