"""Statistical and numerical tests of the SαS and positive stable samplers (docs/theory.md §1).

KS tests: n = 200,000 draws, fixed seeds, accept at p > 0.01; the same sample must be rejected
(p < 0.001) against the wrong law α ± 0.1, whose CDF differs from the true one by ≥ 0.006 in sup
norm at every α tested (the KS critical value at n = 200,000 is 0.0036 at level 0.01).
"""
import math

import numpy as np
import pytest
from scipy import stats
from stable_reference import positive_stable_cdf, sas_cdf

from sgdtails.simulator import sample_positive_stable, sample_sas, sample_sas_range

N = 200_000
ALPHAS = [0.5, 0.9, 1.0, 1.3, 1.6, 1.9, 1.99, 2.0]


@pytest.mark.parametrize("alpha", ALPHAS)
def test_sas_matches_scipy_and_rejects_wrong_alpha(alpha):
    x = sample_sas(alpha, N, seed=20211206 + int(alpha * 100))
    assert stats.kstest(x, sas_cdf(alpha)).pvalue > 0.01
    for wrong in (alpha - 0.1, alpha + 0.1):
        if 0 < wrong <= 2:
            assert stats.kstest(x, sas_cdf(wrong)).pvalue < 1e-3, f"did not reject alpha={wrong}"


def test_scale_multiplies_and_alpha2_has_variance_2sigma2():
    x1 = sample_sas(1.4, 10_000, seed=5)
    x3 = sample_sas(1.4, 10_000, scale=3.0, seed=5)
    np.testing.assert_allclose(x3, 3.0 * x1, rtol=1e-15)  # same stream, scaled (reproducibility)
    # the law of the scaled sample against the independent reference CDF of SαS(3), and a scale × 1.25
    big = sample_sas(1.4, N, scale=3.0, seed=7)
    assert stats.kstest(big, sas_cdf(1.4, 3.0)).pvalue > 0.01
    assert stats.kstest(big, sas_cdf(1.4, 3.75)).pvalue < 1e-3
    g = sample_sas(2.0, N, scale=0.5, seed=6)
    # N(0, 2σ²) = N(0, 0.5): the sample variance is within 4 standard errors (sd of s² ≈ 0.5·√(2/N)).
    assert abs(g.var() - 0.5) < 4 * 0.5 * math.sqrt(2 / N)
    assert stats.kstest(g, stats.norm(scale=math.sqrt(0.5)).cdf).pvalue > 0.01
    assert stats.kstest(g, stats.norm(scale=0.5).cdf).pvalue < 1e-3  # the σ² = 0.25 mistake


def test_cauchy_is_exact_tangent():
    x = sample_sas(1.0, N, seed=11)
    assert stats.kstest(x, stats.cauchy.cdf).pvalue > 0.01
    assert stats.kstest(x, stats.cauchy(scale=1.1).cdf).pvalue < 1e-3


@pytest.mark.parametrize("a", [0.3, 0.6, 0.9])
def test_positive_stable_laplace_transform(a):
    n = 400_000
    A = sample_positive_stable(a, n, seed=77)
    assert (A > 0).all()
    for gamma in (0.25, 1.0, 4.0):
        e = np.exp(-gamma * A)
        se = e.std() / math.sqrt(n)
        assert abs(e.mean() - math.exp(-gamma**a)) < 4 * se
    # negative control: index a + 0.1 is off by many standard errors at the same n
    wrong = sample_positive_stable(min(a + 0.1, 0.99), n, seed=78)
    ew = np.exp(-4.0 * wrong)
    assert abs(ew.mean() - math.exp(-(4.0**a))) > 10 * ew.std() / math.sqrt(n)


@pytest.mark.parametrize("a", [0.35, 0.8])
def test_positive_stable_ks_against_totally_skewed_scipy(a):
    n = 3_000  # scipy's skewed CDF is slow: direct evaluation at every point
    A = sample_positive_stable(a, n, seed=90)
    assert stats.kstest(A, positive_stable_cdf(a)).pvalue > 0.01
    assert stats.kstest(A, positive_stable_cdf(a + 0.1)).pvalue < 1e-3


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.9999999, 1.0000001, 1.0 - 1e-13, 1.5, 2.0])
def test_float32_is_finite_rounding_of_float64(alpha):
    x64 = sample_sas(alpha, 300_000, seed=3)
    x32 = sample_sas(alpha, 300_000, seed=3, dtype=np.float32)
    assert x32.dtype == np.float32
    assert np.isfinite(x64).all() and np.isfinite(x32).all()
    big = np.finfo(np.float32).max
    inside = np.abs(x64) < big
    np.testing.assert_array_equal(x32[inside], x64[inside].astype(np.float32))
    np.testing.assert_array_equal(x32[~inside], np.sign(x64[~inside]).astype(np.float32) * big)


def test_small_alpha_saturates_instead_of_overflowing():
    x = sample_sas(0.01, 100_000, seed=1)
    big = np.finfo(np.float64).max
    assert np.isfinite(x).all()
    assert (np.abs(x) == big).any()  # P(|X| > 1.8e308) ≈ 10⁻³ at α = 0.01: saturated, not inf


def test_range_regenerates_any_block_alone():
    full = sample_sas(1.7, 5 * 65536 + 123, seed=42)
    np.testing.assert_array_equal(sample_sas_range(1.7, 3 * 65536, 4 * 65536, seed=42), full[3 * 65536 : 4 * 65536])
    np.testing.assert_array_equal(sample_sas_range(1.7, 70_000, 200_000, seed=42), full[70_000:200_000])
    np.testing.assert_array_equal(sample_sas(1.7, 1000, seed=42), full[:1000])


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [0.7, 1.5, 1.95])
def test_sas_large_n_resolves_small_alpha_errors(alpha):
    # n = 4·10⁶: the KS critical value at level 0.01 is 8·10⁻⁴, small enough to reject α ± 0.03.
    x = sample_sas(alpha, 4_000_000, seed=4242)
    assert stats.kstest(x, sas_cdf(alpha)).pvalue > 0.01
    for wrong in (alpha - 0.03, alpha + 0.03):
        if 0 < wrong <= 2:
            assert stats.kstest(x, sas_cdf(wrong)).pvalue < 1e-3


@pytest.mark.parametrize("alpha", [0.05, 0.5, 1.3, 1.9, 1.99])
def test_cms_transform_matches_extended_precision(alpha):
    # The kernel's two outputs, sin αV / cos V and cos((1−α)V)/(W cos V), against the same formula in
    # 80-bit long double, with V = π(U − ½) and cos V written sin(π·min(U, 1−U)) (equal in exact
    # arithmetic; long double alone cannot resolve cos V near |V| = π/2), incl. |V| → π/2.
    from sgdtails.simulator.stable import _cms_prepare

    # U on NumPy's grid k·2⁻⁵³ (where U − ½ and min(U, 1−U) are exact), incl. both ends.
    k = np.concatenate([np.random.default_rng(1).integers(0, 2**53, 2000), np.arange(50), 2**53 - 1 - np.arange(50),
                        2 ** np.arange(53, dtype=np.int64) - 1])
    u = k.astype(np.float64) * 2.0**-53
    w = np.full(u.shape, 1.0)
    s_out, t_out = u.copy(), w.copy()
    _cms_prepare(s_out, t_out, alpha)
    h = u.astype(np.longdouble) - np.longdouble(0.5)
    m = np.maximum(0.5 - np.abs(h), np.longdouble(2.0**-54))
    pi = np.longdouble("3.14159265358979323846264338327950288")
    cos_v = np.sin(pi * m)
    a = np.longdouble(alpha)
    s_ref = np.sin(a * pi * h) / cos_v
    t_ref = np.cos((1 - a) * pi * h) / cos_v
    big = np.abs(s_ref) > 1e-6  # near V = 0 only the absolute error of sin αV matters
    assert np.max(np.abs(s_out - s_ref)[~big]) < 1e-15
    # relative accuracy: a few ulps, up to ~1e-12 where α → 2 leaves |cos((1−α)V)| tiny
    assert np.max(np.abs(s_out[big] / s_ref[big] - 1)) < 1e-12
    assert np.max(np.abs(t_out / t_ref - 1)) < 1e-12


@pytest.mark.parametrize("law", ["sas", "positive"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_range_into_out_is_the_same_draw_in_the_given_buffer(law, dtype):
    from sgdtails.simulator import sample_positive_stable_range, sample_sas_range

    draw = (lambda **kw: sample_sas_range(1.3, 777, 5000, seed=4, **kw)) if law == "sas" else (
        lambda **kw: sample_positive_stable_range(0.65, 777, 5000, seed=4, **kw))
    want = draw(dtype=dtype)
    for kwargs in ({}, {"dtype": dtype}):
        buf = np.full(4223, np.nan, dtype=dtype)
        got = draw(out=buf, **kwargs)
        assert got is buf and np.array_equal(got, want)
    bad = {
        "wrong length": np.empty(4222, dtype), "2-D": np.empty((1, 4223), dtype), "strided": np.empty(8446, dtype)[::2],
        "int": np.empty(4223, np.int64),
    }
    for out in bad.values():
        with pytest.raises(ValueError):
            draw(out=out)
    read_only = np.empty(4223, dtype)
    read_only.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        draw(out=read_only)
    other = np.float32 if dtype == np.float64 else np.float64
    with pytest.raises(ValueError, match="was asked for"):
        draw(out=np.empty(4223, dtype), dtype=other)
    with pytest.raises(TypeError, match="NumPy array"):
        draw(out=[0.0] * 4223)
