"""The verdict rule on constructed series (no sampling): each shape of curve gets its verdict.

A series is a median curve m(d) with log-normal trial noise (the median is kept): E[j, t] =
m(d_j)·exp(σ Z_jt), seeds fixed. The cases are the ones a referee asks about: decay to 0 at the
derived rate, decay to a positive limit, flat, a noisy slow decay (α near 2) and exactly 0. The
rate tests plant the wrong derived rate and see the verdict change; the error-rate tests run many
seeds and allow no wrong verdict.
"""
import math

import numpy as np
import pytest

from sgdtails.theory.results import CheckResult
from sgdtails.theory.verdict import LEVEL, analyse_series, limit_fit

SIZES = (10**3, 10**4, 10**5, 10**6)


def _series(median, *, sigma=0.3, trials=30, seed=0, sizes=SIZES):
    rng = np.random.default_rng(seed)
    d = np.asarray(sizes, dtype=float)
    return np.exp(sigma * rng.standard_normal((d.size, trials))) * np.asarray(median(d))[:, None]


def _verdict(E, rate, threshold=0.1, sizes=SIZES, seed=0):
    return analyse_series("s", sizes, E, threshold, theory_slope=rate, rng=np.random.default_rng(seed))


def test_decay_to_zero_at_the_derived_rate_holds():
    E = _series(lambda d: 2.0 * d**-0.33)
    res = _verdict(E, -0.33)
    assert res.verdict == "holds", res.reason
    assert res.slope_ci[0] <= -0.33 <= res.slope_ci[1]
    assert res.rows[-1]["p_lo"] >= LEVEL


def test_the_derived_rate_is_compared():
    """Planted: the same data against a derived rate they cannot match — no longer "holds"."""
    E = _series(lambda d: 2.0 * d**-0.33)
    assert _verdict(E, -0.9).verdict == "inconclusive"


def test_decay_to_a_positive_limit_fails():
    E = _series(lambda d: 0.06 + 0.5 * d**-0.5, sigma=0.05)
    res = _verdict(E, None)
    assert res.verdict == "fails", res.reason
    assert res.limit_ci[0] > 0 and res.limit_ci[0] <= 0.06 <= res.limit_ci[1] * 1.05
    assert res.rows[-1]["p_within"] == 1.0  # the event error <= eps holds: only the limit makes it fail


def test_a_stopped_decay_fails_against_a_derived_power_law():
    """Decay that flattens onto a positive limit contradicts a derived rate of -0.33."""
    E = _series(lambda d: 0.3 + 2.0 * d**-0.5, sigma=0.03)
    res = _verdict(E, -0.33)
    assert res.verdict == "fails", res.reason
    # while the local slope is still resolved below 0, the same limit is only "inconclusive"
    assert _verdict(_series(lambda d: 0.3 + 5.0 * d**-0.5, sigma=0.03), -0.33).verdict == "inconclusive"


def test_flat_fails_without_a_derived_rate_but_not_against_a_slow_one():
    E = _series(lambda d: 0.7 + 0 * d, sigma=0.05)
    assert _verdict(E, None).verdict == "fails"
    assert _verdict(E, -0.0025).verdict == "inconclusive"  # alpha = 1.99: too slow to resolve


def test_noisy_slow_decay_is_inconclusive_with_a_size_that_would_resolve_it():
    E = _series(lambda d: 0.7 * d**-0.026, sigma=0.3)
    res = _verdict(E, -0.026)
    assert res.verdict == "inconclusive", res.reason
    assert res.d0 > SIZES[-1] and res.d0_ci[0] <= res.d0 <= res.d0_ci[1]
    assert "would reach" in res.reason


def test_logarithmic_decay_never_fails():
    E = _series(lambda d: 0.8 / np.log(d) ** 0.2, sigma=0.05)
    assert _verdict(E, 0.0).verdict in ("holds", "inconclusive")
    assert _verdict(E, 0.0).verdict != "fails"


def test_exactly_zero_holds():
    E = _series(lambda d: 1.0 / d)
    E[-1] = 0.0
    assert _verdict(E, None).verdict == "holds"


def test_decay_to_zero_without_a_derived_rate_holds():
    E = _series(lambda d: 3.0 * d**-0.5, sigma=0.1)
    res = _verdict(E, None)
    assert res.verdict == "holds", res.reason
    assert res.limit_ci[0] <= 0.0


def test_limit_fit_recovers_the_limit():
    d = np.asarray(SIZES, dtype=float)
    assert limit_fit(d, 0.2 + 3.0 * d**-0.7) == pytest.approx(0.2, abs=1e-3)  # beta on a grid
    assert abs(float(limit_fit(d, 2.0 * d**-0.33))) < 0.05


SLOW_RATES = (-0.0025, -0.026, -0.056)


@pytest.mark.parametrize("rate", SLOW_RATES)
def test_error_rate_slow_decay_never_fails(rate):
    """60 seeds × 2 noise levels of an in-hypothesis slow decay: "fails" never (a false finding)."""
    verdicts = [_verdict(_series(lambda d: 0.9 * d**rate, sigma=s, seed=k), rate, seed=k).verdict
                for k in range(60) for s in (0.05, 0.3)]
    assert verdicts.count("fails") == 0
    assert verdicts.count("holds") == 0  # P(err <= 0.1) is far from high at these sizes


@pytest.mark.parametrize("limit", (0.02, 0.06, 0.3))
def test_error_rate_positive_limit_never_holds(limit):
    """60 seeds of a decay onto a positive limit (below and above eps): "holds" never."""
    verdicts = [_verdict(_series(lambda d: limit + 0.5 * d**-0.5, sigma=0.1, seed=k), None, seed=k).verdict
                for k in range(60)]
    assert verdicts.count("holds") == 0
    assert verdicts.count("fails") >= 57  # resolved in >= 95 % of the seeds


def test_the_hypothesis_flag_is_not_used():
    E = _series(lambda d: 0.06 + 0.5 * d**-0.5, sigma=0.05)
    a = analyse_series("s", SIZES, E, 0.1, theory_slope=None, in_hypothesis=True, rng=np.random.default_rng(0))
    b = analyse_series("s", SIZES, E, 0.1, theory_slope=None, in_hypothesis=False, rng=np.random.default_rng(0))
    assert a.verdict == b.verdict == "fails" and math.isclose(a.limit, b.limit)


def test_a_check_gives_the_reason_of_the_series_that_decided_it():
    held = _verdict(_series(lambda d: 2.0 * d**-0.33), -0.33)
    slow = _verdict(_series(lambda d: 0.7 * d**-0.026), -0.026)
    flat = _verdict(_series(lambda d: 0.7 + 0 * d, sigma=0.05), None)
    assert (held.verdict, slow.verdict, flat.verdict) == ("holds", "inconclusive", "fails")
    open_ = CheckResult.from_series("c", [held, slow], {})
    assert open_.verdict == "inconclusive" and open_.reason == f"s: {slow.reason}"
    failed = CheckResult.from_series("c", [held, slow, flat], {})
    assert failed.verdict == "fails" and failed.reason == f"s: {flat.reason}"
    assert CheckResult.from_series("c", [held, held], {}).reason == f"s: {held.reason}"
