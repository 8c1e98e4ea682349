"""The asymptotic Theorem 1 size d₀ (sgdtails.simulator.asymptotics) against the measured d₀."""
import math

import pytest

from sgdtails.simulator.asymptotics import stable_tail_constant, theorem1_d0
from sgdtails.theory import required_size


@pytest.mark.parametrize("alpha", [1.0, 1.2])
def test_d0_agrees_with_the_measured_size(alpha):
    # Measured: doubling + bisection with 50 trials per size; its interval is (largest size that certainly
    # fails, smallest that certainly passes). The formula must land inside it and within 35 % of the point.
    measured = required_size(alpha, p=2.0, kappa=0.1, eps=0.1, confidence=0.9, trials=50, seed=0)
    assert measured.method == "measured"
    d0 = theorem1_d0(alpha, p=2.0, kappa=0.1, eps=0.1, confidence=0.9, seed=0)
    lo, hi = measured.ci
    assert lo < d0 < hi
    assert abs(math.log(d0 / measured.d0)) < math.log(1.35)
    # Negative control: the formula at a wrong alpha (+0.15) leaves the measured interval.
    wrong = theorem1_d0(alpha + 0.15, p=2.0, kappa=0.1, eps=0.1, confidence=0.9, seed=0)
    assert not lo < wrong < hi


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
