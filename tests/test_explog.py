"""The samplers' vectorisable log and exp (simulator/_explog.py) against NumPy's (glibc's) to 1 ulp."""
import numpy as np
import pytest

from sgdtails.simulator._explog import exp, log_normal
from sgdtails.simulator._jit import jit


@jit
def _log_all(x, out):
    for i in range(x.shape[0]):
        out[i] = log_normal(x[i])


@jit
def _exp_all(x, out):
    for i in range(x.shape[0]):
        out[i] = exp(x[i])


def _ulps(got: np.ndarray, ref: np.ndarray) -> np.ndarray:
    return np.abs(got - ref) / np.spacing(np.abs(ref))


def test_log_is_within_one_ulp_over_the_normal_range():
    rng = np.random.default_rng(3)
    tiny, big = np.finfo(np.float64).tiny, np.finfo(np.float64).max
    x = np.concatenate([
        np.exp(rng.uniform(np.log(tiny), np.log(big), 400_000)),  # every binade
        rng.uniform(0.5, 2.0, 400_000),  # near 1, where log x is small and cancellation bites
        1.0 + rng.uniform(-1e-6, 1e-6, 10_000),
        [tiny, big, 1.0, np.nextafter(1.0, 0.0), np.nextafter(1.0, 2.0), np.sqrt(2.0), np.sqrt(0.5), 2.0**-54],
    ])
    out = np.empty_like(x)
    _log_all(x, out)
    ref = np.log(x)
    exact_one = x == 1.0
    assert np.all(out[exact_one] == 0.0)
    assert _ulps(out[~exact_one], ref[~exact_one]).max() <= 1.0
    assert np.mean(out == ref) > 0.9  # mostly correctly rounded


def test_exp_is_within_one_ulp_for_normal_results_and_saturates_like_libm():
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.uniform(-708.0, 709.7, 400_000), rng.uniform(-1.0, 1.0, 400_000),
                        rng.uniform(-1e-8, 1e-8, 10_000), [0.0, 709.78, -708.39, 1.0, -1.0]])
    out = np.empty_like(x)
    _exp_all(x, out)
    ref = np.exp(x)
    assert _ulps(out, ref).max() <= 1.0
    assert np.mean(out == ref) > 0.85
    edge = np.array([710.0, 800.0, 1e300, np.inf, -746.0, -800.0, -1e300, -np.inf, -740.0])
    out = np.empty_like(edge)
    _exp_all(edge, out)
    with np.errstate(over="ignore"):
        np.testing.assert_array_equal(out[:8], np.exp(edge[:8]))  # +inf above, 0 below
    assert out[8] == pytest.approx(np.exp(-740.0), rel=1e-12)  # subnormal result: rounded twice, still close
