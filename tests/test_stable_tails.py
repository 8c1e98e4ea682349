"""Tests for theory.stable_tails: σ_α, the BŁM20 tail bound and the Lemma S5 radius.

Reference tail: scipy's ``levy_stable.sf`` returns exactly 0 beyond x ≈ 10³ (see
``test_scipy_sf_is_not_usable_in_the_far_tail``), so the exact P(X > x), X ~ SαS(1),
α ∈ (1, 2), is computed from Nolan's (1997, Thm 1) integral
    P(X > x) = (1/π) ∫_0^(π/2) exp(−x^(α/(α−1)) V(θ)) dθ,
    V(θ) = (cos θ / sin αθ)^(α/(α−1)) cos((α−1)θ) / cos θ,
integrated by adaptive quadrature in s = log(π/2 − θ), which resolves the mass that moves
to θ → π/2 as x grows.  It is checked against scipy in the bulk (rtol 1e-9) and against the
two-term asymptotic Γ(α) sin(πα/2)/π · x^(−α) − Γ(2α) sin(πα)/(2π) · x^(−2α) in the far tail
(rtol 1e-8).  The second term is positive for α ∈ (1, 2), so the first-order asymptotic
alone is *not* an upper bound on the tail.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import gamma
from scipy.stats import binom, levy_stable

from sgdtails.simulator import sample_sas
from sgdtails.theory.stable_tails import (
    blm20_tail_bound,
    blm20_tail_bound_simple,
    blm20_threshold,
    lemma_s5_max_delta,
    lemma_s5_radius,
    sigma_alpha,
)

ALPHAS = [1.01, 1.05, 1.2, 1.5, 1.8, 1.9, 1.95, 1.99, 1.999]


def _log_v(s: float, alpha: float) -> float:
    """Log V(θ) at θ = π/2 − e^s (so cos θ = sin e^s keeps full precision)."""
    u = math.exp(s)
    theta = math.pi / 2 - u
    return (
        math.log(math.sin(u)) / (alpha - 1)
        - alpha / (alpha - 1) * math.log(math.sin(alpha * theta))
        + math.log(math.cos((alpha - 1) * theta))
    )


def sas_sf(x: float, alpha: float) -> float:
    """Exact P(X > x) for X ~ SαS(1), α ∈ (1, 2), x > 0 (Nolan's integral, see module doc)."""
    log_k = alpha / (alpha - 1) * math.log(x)
    top = math.log(math.pi / 2)
    grid = np.linspace(top - 300, top - 1e-9, 3001)
    peak = grid[np.argmin([abs(log_k + _log_v(s, alpha)) for s in grid])]

    def integrand(s: float) -> float:
        return math.exp(s - math.exp(min(log_k + _log_v(s, alpha), 700.0)))

    value, _ = quad(integrand, top - 300, top, points=[peak], epsabs=0, epsrel=1e-11, limit=1000)
    return value / math.pi


# ------------------------------------------------------------------------------- σ_α
def test_sigma_alpha_matches_definition_and_levy_normalisation():
    for a in [0.3, 0.7, 1.2, 1.5, 1.8, 1.99]:
        direct = (2 * gamma(-a) * math.cos((2 - a) * math.pi / 2)) ** (1 / a)
        assert sigma_alpha(a) == pytest.approx(direct, rel=1e-12)
        # SαSn(1) = SαS(σ_α) has P(X > x) ~ x^(−α)/α: C_α σ_α^α = 1/α
        c_alpha = gamma(a) * math.sin(math.pi * a / 2) / math.pi
        assert c_alpha * sigma_alpha(a) ** a == pytest.approx(1 / a, rel=1e-12)
    assert sigma_alpha(1.0) == pytest.approx(math.pi, rel=1e-15)
    assert sigma_alpha(1.0 + 1e-9) == pytest.approx(math.pi, rel=1e-6)


# ----------------------------------------------------------------------- reference tail
def test_reference_sf_matches_scipy_in_bulk_and_asymptotic_in_tail():
    for a in [1.05, 1.5, 1.9]:
        for x in [0.5, 1.0, 2.0, 5.0, 10.0]:
            assert sas_sf(x, a) == pytest.approx(levy_stable.cdf(-x, a, 0), rel=1e-9)
        # two terms of the (divergent, asymptotic) series; the second is positive for α > 1
        c1 = gamma(a) * math.sin(math.pi * a / 2) / math.pi
        c2 = -gamma(2 * a) * math.sin(math.pi * a) / (2 * math.pi)
        assert c2 > 0
        for x in (1e4, 1e6, 1e9, 1e12):
            assert sas_sf(x, a) == pytest.approx(c1 * x**-a + c2 * x ** (-2 * a), rel=1e-8)


def test_scipy_sf_is_not_usable_in_the_far_tail():
    assert levy_stable.sf(1e4, 1.5, 0) == 0.0
    assert sas_sf(1e4, 1.5) > 1e-7


# ------------------------------------------------------------------------------ BŁM20
@pytest.mark.parametrize("alpha", ALPHAS)
def test_blm20_bound_dominates_exact_tail(alpha):
    """P(y ≥ a) ≤ (16/3)(2σ/a)^α ≤ 4(3σ/a)^α for y ~ SαSn(σ) on a ∈ [4σ/(2−α), 10⁸·4σ/(2−α)].

    Beyond the grid the bound/truth ratio tends to (16/3)2^α α ≥ 10.6 (truth ~ (σ/a)^α/α),
    and on the grid the ratio stays above 10 (asserted), so quadrature error is irrelevant.  The
    two-sided P(|y| ≥ a) = 2P(y ≥ a), used without the factor 2 in step (a) of (S47),
    is also dominated.
    """
    sigma = 0.7
    a = blm20_threshold(sigma, alpha) * np.logspace(0, 8, 60)
    exact = np.array([sas_sf(t / (sigma_alpha(alpha) * sigma), alpha) for t in a])
    sharp = blm20_tail_bound(a, sigma, alpha)
    simple = blm20_tail_bound_simple(a, sigma, alpha)
    assert np.all(exact <= sharp)
    assert np.min(sharp / exact) > 10
    assert np.all(sharp <= simple)
    assert np.all(2 * exact <= sharp)


def test_blm20_range_is_enforced():
    a0 = blm20_threshold(1.0, 1.5)
    assert a0 == pytest.approx(8.0)
    assert blm20_tail_bound(a0, 1.0, 1.5) == pytest.approx(16 / 3 * 0.25**1.5)
    with pytest.raises(ValueError, match="a must satisfy"):
        blm20_tail_bound(0.99 * a0, 1.0, 1.5)
    for bad in (1.0, 2.0, 0.5, np.nan):
        with pytest.raises(ValueError, match="alpha"):
            blm20_tail_bound(100.0, 1.0, bad)
    with pytest.raises(ValueError, match="sigma"):
        blm20_tail_bound_simple(100.0, -1.0, 1.5)


# --------------------------------------------------------------------------- Lemma S5
LEMMA_S5_CASES = [
    # dims, sigmas, alphas, delta
    ((10,), (1.0,), (1.5,), 0.1),
    ((50,), (2.0,), (1.2,), 0.05),
    ((4, 6), (1.0, 2.0), (1.3, 1.8), 0.1),
    ((30,), (1.0,), (1.9,), 0.2),
    ((5, 20), (0.5, 1.0), (1.6, 1.95), 0.3),
    ((1,), (1.0,), (1.9,), 0.02),
]


@pytest.mark.parametrize(("dims", "sigmas", "alphas", "delta"), LEMMA_S5_CASES)
def test_lemma_s5_radius_bounds_monte_carlo_quantile(dims, sigmas, alphas, delta):
    """The (1−δ)-quantile of ‖x‖ stays below 3σ√d(4d/δ)^(1/α).

    N = 20000 draws of x per case (seed 100 + layer index, project sampler).  The empirical
    quantile is replaced by a conservative one, the order statistic at the binomial
    (1 − 1e-6)-point of Bin(N, 1−δ), so Monte-Carlo error cannot make the check pass falsely
    with probability above 1e-6.  Negative control at the same N: the same statistic exceeds
    the bound divided by 100, i.e. the check is not vacuous at scale.
    """
    n_draws = 20_000
    squares = np.zeros(n_draws)
    for j, (d, s, a) in enumerate(zip(dims, sigmas, alphas)):
        x = sample_sas(a, (n_draws, d), scale=sigma_alpha(a) * s, seed=100 + j)
        squares += np.sum(x**2, axis=1)
    norms = np.sort(np.sqrt(squares))
    rank = min(int(binom.ppf(1 - 1e-6, n_draws, 1 - delta)), n_draws - 1)
    upper_quantile = norms[rank]
    assert delta < lemma_s5_max_delta(dims, alphas)
    bound = lemma_s5_radius(delta, dims, sigmas, alphas)
    assert upper_quantile <= bound
    assert np.quantile(norms, 1 - delta) > bound / 100


def test_lemma_s5_formula_and_range():
    d, a, s = 1000, 1.5, 2.0
    assert lemma_s5_radius(0.01, d, s, a) == pytest.approx(3 * s * math.sqrt(d) * (4 * d / 0.01) ** (1 / a))
    # mixed layers: σ = √(Σ d_l/d σ_l²), α = min α_l
    got = lemma_s5_radius(0.01, [100, 300], [1.0, 3.0], [1.7, 1.4])
    sigma = math.sqrt(0.25 * 1.0 + 0.75 * 9.0)
    assert got == pytest.approx(3 * sigma * 20 * (1600 / 0.01) ** (1 / 1.4))
    limit = lemma_s5_max_delta(10, 1.95)
    assert limit == pytest.approx(2 * 10 * 0.05**1.95)
    with pytest.raises(ValueError, match="delta must satisfy"):
        lemma_s5_radius(limit, 10, 1.0, 1.95)
    for bad_delta in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="delta"):
            lemma_s5_radius(bad_delta, 10, 1.0, 1.5)
    with pytest.raises(ValueError, match="alphas"):
        lemma_s5_radius(0.1, 10, 1.0, 2.0)
    with pytest.raises(ValueError, match="one entry per layer"):
        lemma_s5_radius(0.1, [10, 20, 30], [1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match="dims"):
        lemma_s5_radius(0.1, [10, 0], 1.0, 1.5)
    with pytest.raises(ValueError, match="alpha"):
        sigma_alpha(2.0)
