"""The asymptotic Theorem 1 size d₀ (sgdtails.simulator.asymptotics) against the measured d₀."""
import math

import numpy as np
import pytest

from sgdtails.simulator.asymptotics import stable_tail_constant, theorem1_d0
from sgdtails.theory import required_size


@pytest.mark.parametrize("alpha", [1.0, 1.2])
def test_d0_agrees_with_the_measured_size(alpha):
    # Measured: doubling + bisection with 50 trials per size, for 5 seeds; each gives an interval
    # (largest size that certainly fails, smallest that certainly passes). The formula must land inside
    # every interval and within 35 % of the median measured point. One measured point alone is too
    # noisy to hold to 35 %: over seeds 0–5 the formula/measured ratio ranges 0.76–1.65.
    measured = [required_size(alpha, p=2.0, kappa=0.1, eps=0.1, confidence=0.9, trials=50, seed=s) for s in range(5)]
    assert all(m.method == "measured" for m in measured)
    d0 = theorem1_d0(alpha, p=2.0, kappa=0.1, eps=0.1, confidence=0.9, seed=0)
    assert all(m.ci[0] < d0 < m.ci[1] for m in measured)
    median = float(np.median([m.d0 for m in measured]))
    assert abs(math.log(d0 / median)) < math.log(1.35)
    # Negative control: the formula at a wrong alpha (±0.15) is far from the median and leaves most intervals.
    for wrong_alpha in (alpha - 0.15, alpha + 0.15):
        wrong = theorem1_d0(wrong_alpha, p=2.0, kappa=0.1, eps=0.1, confidence=0.9, seed=0)
        assert abs(math.log(wrong / median)) > math.log(1.35)
        assert sum(m.ci[0] < wrong < m.ci[1] for m in measured) <= 2


def test_d0_grows_with_alpha_and_confidence_and_shrinks_with_eps():
    d = [theorem1_d0(a, seed=1) for a in (1.1, 1.4, 1.7)]
    assert d[0] < d[1] < d[2]
    assert theorem1_d0(1.4, confidence=0.99, seed=1) > d[1]
    assert theorem1_d0(1.4, eps=0.2, seed=1) < d[1]
    assert theorem1_d0(1.4, kappa=0.3, seed=1) < d[1]


def test_d0_is_reproducible_and_seed_noise_is_small():
    assert theorem1_d0(1.5, seed=3) == theorem1_d0(1.5, seed=3)
    values = [theorem1_d0(1.5, seed=s) for s in range(4)]
    assert max(values) / min(values) < 1.05


def test_edges():
    assert theorem1_d0(1.5, kappa=1.0) == 1.0
    assert theorem1_d0(1.5, eps=1.0) == 1.0
    assert theorem1_d0(1.999) == math.inf  # beyond float range: Theorem 1 is vacuous at any real size
    assert stable_tail_constant(1.0) == pytest.approx(2 / math.pi)
    # Continuity of C_alpha through alpha = 1 (the alpha != 1 formula has a removable singularity there).
    assert stable_tail_constant(1.0 + 1e-7) == pytest.approx(2 / math.pi, rel=1e-5)


@pytest.mark.parametrize("kw, match", [
    (dict(alpha=2.0), "Gaussian"),
    (dict(alpha=1.5, p=1.5), "p must exceed alpha"),
    (dict(alpha=1.5, p=1.0), "p must exceed alpha"),
    (dict(alpha=0.0), "alpha must be in"),
    (dict(alpha=1.5, kappa=0.0), "kappa"),
    (dict(alpha=1.5, eps=0.0), "eps"),
    (dict(alpha=1.5, confidence=1.0), "confidence"),
    (dict(alpha=1.5, samples=10), "samples"),
])
def test_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        theorem1_d0(**kw)
