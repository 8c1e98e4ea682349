"""Branch-free natural logarithm and exponential that LLVM can vectorise inside a Numba loop.

Without Intel's SVML (not installed here) Numba calls libm's scalar ``log``/``exp`` and cannot
vectorise a loop that uses them; the fused samplers call two logarithms and one exponential per
variate. These are the classical fdlibm algorithms, written without branches:

* ``log_normal(x)``: x = 2^k·m with m ∈ [√2/2, √2), f = m − 1, s = f/(2 + f),
  log x = k·ln2 + f − s(f − R(s²)) with fdlibm's minimax polynomial R (``__ieee754_log``,
  coefficients Lg1…Lg7; published constants) and ln 2 split in two parts. Valid for positive
  *normal* finite x (≥ 2^−1022), which is all the samplers pass it; ≤ 1 ulp against glibc.
* ``exp(x)``: x = k·ln2 + r, |r| ≤ ln2/2, e^r = 1 + 2r/(2 − c(r)) with fdlibm's polynomial
  (``__ieee754_exp``, P1…P5), scaled by 2^k as two exact powers of two (so k ∈ [−1075, 1024]
  needs no branch). x is clamped to [−746, 710]: below, the result is 0, above, +inf, as libm.
  ≤ 1 ulp for normal results; subnormal results (x < −708.4) are rounded twice (relative error
  ≤ 2^−52·2^(1022+x/ln2)), which the samplers never rely on.

Accuracy is tested against NumPy in ``tests/test_explog.py``. The bit casts are LLVM
``bitcast`` instructions (Numba intrinsics), which vectorise.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from sgdtails.simulator._jit import jit_inline

__all__ = ["exp", "log_normal"]


def _bits_intrinsic(typingctx, x):  # noqa: ARG001 — Numba's intrinsic signature
    """The IEEE bits of a float64 as an int64 (LLVM bitcast)."""
    sig = types.int64(types.float64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return sig, codegen


def _float_intrinsic(typingctx, b):  # noqa: ARG001
    """The float64 whose IEEE bits are the int64 ``b`` (LLVM bitcast)."""
    sig = types.float64(types.int64)

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return sig, codegen


_bits: Any = intrinsic(_bits_intrinsic)
_float: Any = intrinsic(_float_intrinsic)

_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_INV_LN2 = 1.44269504088896338700e00
_LG1 = 6.666666666666735130e-01
_LG2 = 3.999999999940941908e-01
_LG3 = 2.857142874366239149e-01
_LG4 = 2.222219843214978396e-01
_LG5 = 1.818357216161805012e-01
_LG6 = 1.531383769920937332e-01
_LG7 = 1.479819860511658591e-01
_P1 = 1.66666666666666019037e-01
_P2 = -2.77777777770155933842e-03
_P3 = 6.61375632143793436117e-05
_P4 = -1.65339022054652515390e-06
_P5 = 4.13813679705723846039e-08
_MANTISSA = 0xFFFFFFFFFFFFF
_SQRT2_MANTISSA = 0x6A09E667F3BCD  # mantissa bits of √2: above them m is moved to [√2/2, 1)
_ONE_BITS = 0x3FF0000000000000
_HALF_BITS = 0x3FE0000000000000


@jit_inline
def log_normal(x: float) -> float:
    """The natural logarithm of a positive normal finite x (module docstring), ≤ 1 ulp."""
    b = _bits(x)
    mantissa = b & _MANTISSA
    high = mantissa > _SQRT2_MANTISSA
    k = (b >> 52) - 1023 + (1 if high else 0)
    f = _float(mantissa | (_HALF_BITS if high else _ONE_BITS)) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    r = w * (_LG2 + w * (_LG4 + w * _LG6)) + z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    dk = float(k)
    return dk * _LN2_HI - ((hfsq - (s * (hfsq + r) + dk * _LN2_LO)) - f)


@jit_inline
def exp(x: float) -> float:
    """e^x (module docstring): ≤ 1 ulp for normal results, 0 below −746, +inf above 710."""
    x = min(max(x, -746.0), 710.0)
    k = math.floor(x * _INV_LN2 + 0.5)
    hi = x - k * _LN2_HI
    lo = k * _LN2_LO
    r = hi - lo
    t = r * r
    c = r - t * (_P1 + t * (_P2 + t * (_P3 + t * (_P4 + t * _P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)
    ki = np.int64(k)
    k1 = ki >> 1
    return y * _float((k1 + 1023) << 52) * _float((ki - k1 + 1023) << 52)
