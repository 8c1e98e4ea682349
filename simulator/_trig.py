"""Branch-free sine and cosine that LLVM can vectorise inside a Numba loop.

NumPy's float64 ``sin``/``cos`` are scalar libm calls here (~8–10 ns each) and Numba cannot
vectorise a loop that calls them, while the Chambers–Mallows–Stuck transform needs three of them
per sample. This kernel is the classical argument reduction by π/2 (Cody–Waite, three parts) and
the minimax polynomials of fdlibm's ``__kernel_sin``/``__kernel_cos`` (coefficients are published
constants), written without branches so that the whole sampling loop becomes SIMD code.

Valid for |x| ≤ 8 (the samplers call it on |x| ≤ π); accuracy ≤ 1 ulp against glibc there, tested
in ``tests/test_trig.py``.
"""
from __future__ import annotations

import math

from sgdtails.simulator._jit import jit_inline

__all__ = ["sincos"]

_S1 = -1.66666666666666324348e-01
_S2 = 8.33333333332248946124e-03
_S3 = -1.98412698298579493134e-04
_S4 = 2.75573137070700676789e-06
_S5 = -2.50507602534068634195e-08
_S6 = 1.58969099521155010221e-10
_C1 = 4.16666666666666019037e-02
_C2 = -1.38888888888741095749e-03
_C3 = 2.48015872894767294178e-05
_C4 = -2.75573143513906633035e-07
_C5 = 2.08757232129817482790e-09
_C6 = -1.13596475577881948265e-11
# π/2 split in three parts of 33 bits each (fdlibm pio2_1, pio2_2, pio2_3) and the tail.
_PIO2_1 = 1.57079632673412561417e00
_PIO2_2 = 6.07710050630396597660e-11
_PIO2_3 = 2.02226624871116645580e-21
_PIO2_3T = 8.47842766036889956997e-32
_INV_PIO2 = 6.36619772367581382433e-01


@jit_inline
def sincos(x: float) -> tuple[float, float]:
    """Return ``(sin x, cos x)`` for |x| ≤ 8, branch-free (see module docstring)."""
    k = math.floor(x * _INV_PIO2 + 0.5)
    # k·_PIO2_i is exact for |k| < 2**20, so the reduction loses nothing before the last step.
    hi = (x - k * _PIO2_1) - k * _PIO2_2
    lo = k * _PIO2_3
    r = hi - lo
    y = ((hi - r) - lo) - k * _PIO2_3T
    z = r * r
    w = z * z
    rs = _S2 + z * (_S3 + z * _S4) + z * w * (_S5 + z * _S6)
    v = z * r
    s = r - ((z * (0.5 * y - v * rs) - y) - v * _S1)
    rc = z * (_C1 + z * (_C2 + z * _C3)) + w * w * (_C4 + z * (_C5 + z * _C6))
    hz = 0.5 * z
    ww = 1.0 - hz
    c = ww + (((1.0 - ww) - hz) + (z * rc - r * y))
    q = k - 4.0 * math.floor(k * 0.25)  # quadrant in {0, 1, 2, 3}
    swap = (q == 1.0) or (q == 3.0)
    sin_r = c if swap else s
    cos_r = s if swap else c
    sign_s = -1.0 if q >= 2.0 else 1.0
    sign_c = -1.0 if (q == 1.0 or q == 2.0) else 1.0
    return sign_s * sin_r, sign_c * cos_r
