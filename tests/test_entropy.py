"""Tests for theory.entropy: h_b, h_b^(1), ρ_ε (Theorem S6) and Lemmas S7, S8 in log form.

Floating-point slack: log-form inequalities are checked as lhs ≤ rhs + 1e-9·max(1, |rhs|);
the only cases where the two sides are equal in exact arithmetic are m ∈ {0, n}, where the
computed lhs is within ~1e-12 of 0 (betaln rounding).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgdtails.theory.entropy import (
    binary_entropy,
    half_binary_entropy,
    lemma_s7_log_bound,
    lemma_s8_log_bound,
    log_binomial,
    log_gamma_ratio,
    rho_eps,
    rho_eps_fig_s4,
    rho_eps_upper,
)

SETTINGS = settings(deadline=None, derandomize=True, max_examples=200)
RTOL = 1e-9


def _leq(lhs, rhs):
    return np.all(lhs <= rhs + RTOL * np.maximum(1.0, np.abs(rhs)))


def test_binary_entropy_known_values():
    assert binary_entropy(0.0) == 0.0
    assert binary_entropy(1.0) == 0.0
    assert binary_entropy(0.5) == pytest.approx(math.log(2), rel=1e-15)
    k = np.array([0.1, 0.25])
    exact = -k * np.log(k) - (1 - k) * np.log(1 - k)
    np.testing.assert_allclose(binary_entropy(k), exact, rtol=1e-15)


@SETTINGS
@given(st.floats(0.0, 1.0))
def test_binary_entropy_symmetric_and_bounded(k):
    # Symmetry is tested where 1 − k is exact: for tiny k, fl(1 − k) moves k by up to 1e-16
    # absolute, i.e. relatively by far more than the 1e-15 tolerance allows h to move.
    k = 1.0 - (1.0 - k)
    h = binary_entropy(k)
    assert 0.0 <= h <= math.log(2) + 1e-15
    assert h == pytest.approx(binary_entropy(1.0 - k), rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------- Lemma S7 and Lemma S8
GRID_N = [10, 11, 12, 13, 57, 100, 1001, 10_000, 999_999, 1_000_000]


@pytest.mark.parametrize("n", [1, 2, 3, 9, *GRID_N])
def test_lemma_s7_all_m(n):
    m = np.arange(n + 1)
    assert _leq(log_binomial(n, m), lemma_s7_log_bound(n, m))


@pytest.mark.parametrize("n", GRID_N)
def test_lemma_s8_all_m(n):
    m = np.arange(n + 1)
    assert _leq(log_gamma_ratio(n, m), lemma_s8_log_bound(n, m))


@SETTINGS
@given(st.integers(10, 1_000_000), st.floats(0.0, 1.0))
def test_lemma_s7_s8_random_n(n, frac):
    m = np.unique(np.clip(np.round(frac * n + np.arange(-3, 4)), 0, n))
    assert _leq(log_binomial(n, m), lemma_s7_log_bound(n, m))
    assert _leq(log_gamma_ratio(n, m), lemma_s8_log_bound(n, m))


def test_log_binomial_exact_small():
    for n in range(1, 40):
        exact = [math.log(math.comb(n, m)) for m in range(n + 1)]
        np.testing.assert_allclose(log_binomial(n, np.arange(n + 1)), exact, rtol=1e-12, atol=1e-12)


def test_lemma_s8_hypothesis_n_ge_10_not_tight_but_needed():
    """N ≥ 10 is sufficient, not necessary: the bound holds for 3 ≤ n ≤ 9 and fails at n = 2.

    Counterexample outside the hypothesis: n = 2, m = 1 gives
    Γ(2)/Γ(3/2)² = 4/π ≈ 1.273 > e^(1·max(h_b(1), h_b(0))) = 1.
    """
    for n in range(3, 10):
        m = np.arange(n + 1)
        half = math.ceil(n / 2)
        rhs = half * np.maximum(binary_entropy(np.ceil(m / 2) / half), binary_entropy(np.floor(m / 2) / half))
        assert _leq(log_gamma_ratio(n, m), rhs)
    assert log_gamma_ratio(2, 1) == pytest.approx(math.log(4 / math.pi), rel=1e-12)
    with pytest.raises(ValueError, match="n must be >= 10"):
        lemma_s8_log_bound(2, 1)


# ----------------------------------------------------------------------- h_b^(1), ρ_ε
def test_half_binary_entropy_even_case_and_stated_bound():
    for d in (10, 12, 64, 1000):
        m = np.arange(0, d + 1, 2)
        np.testing.assert_allclose(half_binary_entropy(m / d, d), binary_entropy(m / d) / 2, rtol=1e-12, atol=1e-15)
    for d in range(1, 300):
        k = np.arange(d + 1) / d
        assert np.all(half_binary_entropy(k, d) <= math.log(2) * (0.5 + 1.0 / d) + 1e-15)


def test_kappa_d_is_snapped_to_an_integer():
    assert 0.14 * 100 == 14.000000000000002  # the floating-point trap: ⌈κd/2⌉ would be 8
    assert half_binary_entropy(0.14, 100) == pytest.approx(binary_entropy(0.14) / 2, rel=1e-14)


@pytest.mark.parametrize("eps", [0.0, 1e-3, 0.1, 0.5, 1.0])
def test_rho_eps_endpoints(eps):
    d = np.arange(1, 200)
    np.testing.assert_array_equal(rho_eps(1.0, d, eps), 1.0)
    np.testing.assert_allclose(rho_eps(0.0, d, eps), eps, rtol=1e-15)


def test_rho_eps_below_three_eps_power_for_d_ge_12():
    eps = np.array([1e-6, 1e-3, 0.01, 0.1, 0.3, 0.5, 0.9, 1.0, 2.0])[:, None]
    for d in range(12, 400):
        k = np.arange(d + 1)[None, :] / d
        assert np.all(rho_eps(k, d, eps) <= rho_eps_upper(k, eps) * (1 + 1e-12))


@pytest.mark.parametrize("eps", [1e-4, 0.01, 0.1, 0.5, 0.99])
def test_rho_eps_monotone_for_even_d_and_kappa_d(eps):
    for d in range(2, 2001, 2):
        k = np.arange(0, d + 1, 2) / d
        rho = rho_eps(k, d, eps)
        assert np.all(np.diff(rho) >= -1e-15)
        np.testing.assert_allclose(rho, rho_eps_fig_s4(k, eps), rtol=1e-12)


def test_fig_s4_peak_location():
    """g(κ) = ε^(1−κ) e^(1.5 h_b(κ)) peaks at κ* = 1/(1+ε^(2/3)) with g(κ*) = (1+ε^(2/3))^1.5."""
    for eps in (0.01, 0.1, 0.5):
        t = eps ** (2 / 3)
        k_star = 1 / (1 + t)
        g = eps ** (1 - k_star) * np.exp(1.5 * binary_entropy(k_star))
        assert g == pytest.approx((1 + t) ** 1.5, rel=1e-12)
        assert rho_eps_fig_s4(k_star, eps) == 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: binary_entropy(-0.1), "kappa"),
        (lambda: binary_entropy(1.5), "kappa"),
        (lambda: binary_entropy(np.nan), "kappa"),
        (lambda: rho_eps(0.5, 10, -0.1), "eps"),
        (lambda: rho_eps(0.5, 0, 0.1), "d"),
        (lambda: rho_eps(0.5, 10.5, 0.1), "d"),
        (lambda: rho_eps_upper(2.0, 0.1), "kappa"),
        (lambda: rho_eps_fig_s4(0.5, np.inf), "eps"),
        (lambda: log_binomial(5, 6), "m"),
        (lambda: log_binomial(5.5, 2), "n"),
        (lambda: lemma_s7_log_bound(0, 0), "n"),
        (lambda: log_gamma_ratio(10, -1), "m"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
