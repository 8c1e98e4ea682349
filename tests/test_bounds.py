"""Tests for theory.bounds: L(τ,δ), γ(δ,τ), Lemmas S4/S6, Theorem 4, Corollaries 1/S2, Theorem S6.

Besides formula checks, these re-derive the corollaries from Theorem 4 and Lemma S5 (the
constants a(α), b_ε(α) of Corollary S2 restated in docs/theory.md §5) and the covering-number steps
(S49) from Lemmas S7, S8.  Equalities are compared at rtol 1e-12 (pure rounding).
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sgdtails.theory.bounds import (
    GeneralizationBound,
    corollary1_bound,
    corollary1_sigma,
    corollary_s2_bound,
    epsilon_kappa,
    kappa_bar,
    lemma_s4_log_covering,
    lemma_s6_log_covering,
    lipschitz_constant,
    theorem4_bound,
    theorem4_margin,
    theorem_s6_bound,
)
from sgdtails.theory.entropy import binary_entropy, half_binary_entropy, log_binomial, log_gamma_ratio, rho_eps
from sgdtails.theory.perturbation import lemma_s1_uniform_bound, lemma_s3_uniform_bound
from sgdtails.theory.stable_tails import lemma_s5_max_delta, lemma_s5_radius

SETTINGS = settings(deadline=None, derandomize=True, max_examples=100)
FCN4_MNIST = dict(depth=5, d=14_209_024, n=60_000)  # 784-2048-2048-2048-2048-10, Table 1


def test_lipschitz_and_margin_match_the_lemmas():
    """L(τ,δ)υ = (√2/τ)·Lemma S3(ii) and γ(δ,τ) = τ + (√2/τ)·(S4), by construction in the proof."""
    R, tau, depth, B, eps = 7.0, 0.3, 4, 2.0, 0.1
    ups = 0.5 * R / math.sqrt(depth)
    assert lipschitz_constant(R, tau, depth, B) * ups == pytest.approx(
        math.sqrt(2) / tau * lemma_s3_uniform_bound(ups, R, depth, B), rel=1e-12
    )
    assert theorem4_margin(R, tau, depth, B, eps) == pytest.approx(
        tau + math.sqrt(2) / tau * lemma_s1_uniform_bound(eps, R, depth, B), rel=1e-12
    )
    assert lipschitz_constant(R, tau, depth, B) == pytest.approx(math.sqrt(2) * B * 4 * (2 * R / 2) ** 3 / tau)


def test_kappa_bar_and_epsilon_kappa():
    assert kappa_bar([0.5, 0.1], [10, 25]) == pytest.approx((5 + 3) / 35)
    assert kappa_bar(0.14, 100) == pytest.approx(0.14)  # 0.14·100 = 14.000000000000002 snapped
    k, n = 0.3, 1000
    assert epsilon_kappa(k, n) == pytest.approx((2 * binary_entropy(k) - k * math.log(k)) / math.log(n))
    assert epsilon_kappa(0.0, n) == 0.0
    assert epsilon_kappa(1.0, n) == 0.0


def test_covering_numbers_lemma_s4_s6():
    d, R, ups = 40, 5.0, 0.01
    for m in range(d + 1):
        k = m / d
        # Lemma S4 dominates the exact count of supports times the per-support net (Lemma S7)
        exact_supports = log_binomial(d, m) + m * math.log(3 * R / ups)
        assert exact_supports <= lemma_s4_log_covering(d, k, R, ups) + 1e-9
    # Lemma S6 ≤ the whole-ball net d log(3R/υ), with equality at κ = 1
    eps = 0.1
    k = np.arange(d + 1) / d
    s6 = lemma_s6_log_covering(d, k, eps, R, ups)
    assert np.all(s6 <= d * math.log(3 * R / ups) + 1e-9)
    assert s6[-1] == pytest.approx(d * math.log(3 * R / ups))
    with pytest.raises(ValueError, match="upsilon must satisfy"):
        lemma_s6_log_covering(d, 0.5, eps, R, eps * R)
    with pytest.raises(ValueError, match="d must be >= 10"):
        lemma_s6_log_covering(9, 0.5, eps, R, ups)


@pytest.mark.parametrize("d", [10, 11, 12, 25, 100, 1001, 10_000])
def test_s49_step_a(d):
    """(S49)(a): log[C(d,κd) Γ(d/2+1)/(Γ(κd/2+1)Γ((1−κ)d/2+1))] ≤ d(h_b(κ) + h_b^(1)(κ,d))."""
    m = np.arange(d + 1)
    k = m / d
    lhs = log_binomial(d, m) + log_gamma_ratio(d, m)
    rhs = d * (binary_entropy(k) + half_binary_entropy(k, d))
    assert np.all(lhs <= rhs + 1e-9 * np.maximum(1.0, rhs))


def test_theorem4_formula():
    kw = dict(R=3.0, delta=0.01, tau=0.5, depth=3, B=1.0, d=1000, kappa_bar=0.2, n=5000, eps=0.1)
    b = theorem4_bound(**kw, fail_prob=0.02)
    lip = lipschitz_constant(3.0, 0.5, 3, 1.0)
    root = math.sqrt((0.2 + epsilon_kappa(0.2, 5000)) * math.log(5000) / 5000)
    assert b.gap == pytest.approx((12 * lip * 3.0 + math.sqrt(1000)) * root, rel=1e-12)
    assert b.margin == pytest.approx(theorem4_margin(3.0, 0.5, 3, 1.0, 0.1))
    assert b.confidence == pytest.approx(1 - 2 * math.exp(-100) - 0.01 - 0.02)
    assert b.rhs(0.05) == pytest.approx(0.05 + b.gap)


@SETTINGS
@given(st.floats(1.05, 1.95), st.floats(0.05, 2.0), st.integers(3, 7), st.integers(1, 4),
       st.floats(0.05, 1.0), st.floats(1e-3, 0.5))
def test_corollary_s2_is_theorem4_with_lemma_s5(alpha, beta, log10_d, depth, kbar, eps):
    """Theorem 4 with δ = d^(−β) and R(δ) ≤ 3σ√d(4d/δ)^(1/α) gives Corollary S2's constants."""
    d = 10**log10_d
    delta = d**-beta
    assume(delta < lemma_s5_max_delta(d, alpha))  # Lemma S5's range
    sigma, tau, B, n = 0.37, 0.8, 1.5, 100_000
    R = lemma_s5_radius(delta, d, sigma, alpha)
    t4 = theorem4_bound(R=R, delta=delta, tau=tau, depth=depth, B=B, d=d, kappa_bar=kbar, n=n, eps=eps)
    s2 = corollary_s2_bound(sigma=sigma, alpha=alpha, beta=beta, tau=tau, depth=depth, B=B, d=d,
                            kappa_bar=kbar, n=n, eps=eps)
    assert s2.gap == pytest.approx(t4.gap, rel=1e-10)
    assert s2.margin == pytest.approx(t4.margin, rel=1e-10)
    # 1 − 2e^(−κ̄d/2) − d^(−β) ≥ 1 − 3d^(−β) exactly when κ̄d/2 ≥ β log d
    if kbar * d / 2 >= beta * math.log(d):
        assert t4.confidence >= s2.confidence - 1e-15


@SETTINGS
@given(st.floats(1.05, 1.95), st.floats(0.1, 3.0), st.integers(3, 8), st.integers(1, 5), st.floats(0.05, 1.0))
def test_corollary1_is_corollary_s2_at_beta_alpha_over_2L(alpha, sigma0, log10_d, depth, kbar):
    d, tau, B, n, eps = 10**log10_d, 0.6, 2.0, 50_000, 0.2
    sigma = corollary1_sigma(sigma0, depth, d, alpha)
    c1 = corollary1_bound(sigma0=sigma0, alpha=alpha, tau=tau, depth=depth, B=B, d=d, kappa_bar=kbar, n=n, eps=eps)
    s2 = corollary_s2_bound(sigma=sigma, alpha=alpha, beta=alpha / (2 * depth), tau=tau, depth=depth, B=B,
                            d=d, kappa_bar=kbar, n=n, eps=eps)
    assert c1.gap == pytest.approx(s2.gap, rel=1e-10)
    assert c1.margin == pytest.approx(s2.margin, rel=1e-10)
    assert c1.confidence == pytest.approx(s2.confidence, rel=1e-12)


def test_corollary1_formula_and_sigma():
    s = corollary1_sigma(2.0, 4, 10**6, 1.5)
    assert s == pytest.approx(4 ** (-1 / 1.5) * 2 / 3 * 2.0 * (10**6) ** (-(0.5 + 1 / 1.5)))
    b = corollary1_bound(sigma0=1.0, alpha=1.5, tau=1.0, depth=2, B=1.0, d=10**4, kappa_bar=0.5, n=10**4, eps=0.1)
    a = 6 * math.sqrt(2) * 4 * 2**1.5
    root = math.sqrt((0.5 + epsilon_kappa(0.5, 10**4)) * 10**4 * math.log(10**4) / 10**4)
    assert b.gap == pytest.approx((a + 1) * root, rel=1e-12)
    assert b.margin == pytest.approx(1 + math.sqrt(2) * (1.1**2 - 1) * 100, rel=1e-12)
    assert b.confidence == pytest.approx(1 - 3 * (10**4) ** (-1.5 / 4))


def test_theorem_s6_formula_and_regimes():
    kw = dict(delta=0.01, tau=1.0, depth=3, B=1.0, d=1000, kappa_bar=0.3, n=60_000, eps=0.1)
    small = theorem_s6_bound(R=1e-6, **kw)
    assert small.gap == pytest.approx(2 * math.sqrt(1000 * math.log(60_000) / 60_000))
    assert small.margin == 1.0
    assert small.confidence == pytest.approx(1 - 2 * math.exp(-500) - 0.01)
    big = theorem_s6_bound(R=50.0, **kw)
    lr = lipschitz_constant(50.0, 1.0, 3, 1.0) * 50.0
    expected = 24 * rho_eps(0.3, 1000, 0.1) * lr / math.sqrt(1000) * math.sqrt(1000 * math.log(60_000) / 60_000)
    assert big.gap == pytest.approx(expected, rel=1e-12)


def test_theorem_s6_gap_monotone_in_kappa_for_even_counts():
    """Below Theorem S6: more compressible (smaller κ̄) ⇒ smaller bound, for d, κ̄d even."""
    d = 1000
    k = np.arange(2, d + 1, 2) / d
    b = theorem_s6_bound(R=20.0, delta=0.01, tau=1.0, depth=3, B=1.0, d=d, kappa_bar=k, n=10**7, eps=0.5)
    assert np.all(np.diff(b.gap) >= 0)


def test_paper_like_configuration_is_finite():
    """FCN4 on MNIST (d = 14,209,024, L = 5, n = 60,000) gives finite numbers everywhere."""
    c1 = corollary1_bound(sigma0=1.0, alpha=1.8, tau=1.0, B=1.0, kappa_bar=0.1, eps=0.1, **FCN4_MNIST)
    s2 = corollary_s2_bound(sigma=1e-6, alpha=1.8, beta=0.5, tau=1.0, B=1.0, kappa_bar=0.1, eps=0.1, **FCN4_MNIST)
    for b in (c1, s2):
        assert all(np.isfinite([b.gap, b.margin, b.confidence]))
    assert 0 < c1.confidence < 1


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: theorem4_bound(R=1.0, delta=0.1, tau=1.0, depth=5, B=1.0, d=100, kappa_bar=0.5, n=100, eps=0.1),
         "10 L"),
        (lambda: theorem4_bound(R=1.0, delta=1.5, tau=1.0, depth=1, B=1.0, d=100, kappa_bar=0.5, n=10**4, eps=0.1),
         "delta"),
        (lambda: theorem4_bound(R=1.0, delta=0.1, tau=0.0, depth=1, B=1.0, d=100, kappa_bar=0.5, n=10**4, eps=0.1),
         "tau"),
        (lambda: theorem4_bound(R=1.0, delta=0.1, tau=1.0, depth=1, B=1.0, d=100, kappa_bar=1.2, n=10**4, eps=0.1),
         "kappa_bar"),
        (lambda: theorem_s6_bound(R=1.0, delta=0.1, tau=1.0, depth=1, B=1.0, d=9, kappa_bar=0.5, n=10**4, eps=0.1),
         "d must be >= 10"),
        (lambda: theorem_s6_bound(R=1.0, delta=0.1, tau=1.0, depth=1, B=1.0, d=100, kappa_bar=0.9, n=10**3,
                                  eps=1e-3), "81 eps"),
        (lambda: theorem_s6_bound(R=1.0, delta=0.1, tau=1.0, depth=1, B=1.0, d=100, kappa_bar=0.5, n=10**4, eps=0.0),
         "eps"),
        (lambda: corollary1_bound(sigma0=1.0, alpha=2.0, tau=1.0, depth=2, B=1.0, d=100, kappa_bar=0.5, n=10**4,
                                  eps=0.1), "alpha"),
        (lambda: corollary_s2_bound(sigma=1.0, alpha=1.5, beta=-1.0, tau=1.0, depth=2, B=1.0, d=100, kappa_bar=0.5,
                                    n=10**4, eps=0.1), "beta"),
        (lambda: corollary1_sigma(1.0, 2, 100, 0.9), "alpha"),
        (lambda: kappa_bar([0.5, 0.5], [10, 20, 30]), "one entry per layer"),
        (lambda: lipschitz_constant(np.nan, 1.0, 2, 1.0), "R"),
        (lambda: lemma_s4_log_covering(10, 0.5, 1.0, 0.0), "upsilon"),
        (lambda: epsilon_kappa(0.5, 1), "n"),
        (lambda: GeneralizationBound(0.0, 0.1, 0.9).rhs(1.5), "empirical_risk"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
