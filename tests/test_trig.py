"""The vectorisable sincos kernel against glibc (via NumPy) on the range the samplers use."""
import math

import numpy as np

from sgdtails.simulator._jit import jit
from sgdtails.simulator._trig import sincos


@jit
def _apply(x, s, c):
    for i in range(x.shape[0]):
        s[i], c[i] = sincos(x[i])


def _ulps(got, ref):
    return np.abs(got - ref) / np.spacing(np.maximum(np.abs(ref), 1e-300))


def test_sincos_within_one_ulp_on_samplers_range():
    x = np.random.default_rng(0).uniform(-3.5, 3.5, 200_000)
    s, c = np.empty_like(x), np.empty_like(x)
    _apply(x, s, c)
    assert _ulps(s, np.sin(x)).max() <= 1.0
    assert _ulps(c, np.cos(x)).max() <= 1.0


def test_sincos_at_special_points_keeps_relative_accuracy():
    # Near multiples of π/2 the result is tiny; a two-part reduction would lose ~10⁵ ulps here.
    x = np.array([0.0, 1e-300, -1e-20, math.pi / 2, -math.pi / 2, math.pi, -math.pi, math.pi / 4, 3.0])
    s, c = np.empty_like(x), np.empty_like(x)
    _apply(x, s, c)
    assert _ulps(s, np.sin(x)).max() <= 1.0
    assert _ulps(c, np.cos(x)).max() <= 1.0
