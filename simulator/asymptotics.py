r"""Large-d law of the relative magnitude-pruning error of an i.i.d. SαS vector (Theorem 1, Lemma S2).

Ours, not the paper's (docs/theory.md §4, "Rates"): the limit law behind Theorem 1, which gives the
size d₀ from which P(‖w − w^(κd)‖_p ≤ ε‖w‖_p) ≥ c without simulating vectors of that size.

Let w ∈ R^d have i.i.d. SαS entries, α < p. The pruned part of ‖w‖_p^p is the sum of the (1 − κ)d
smallest |w_i|^p: by the law of large numbers it is ≈ d·m(κ), with m(κ) := E[|X|^p 1{|X| ≤ q_κ}] and
q_κ the (1 − κ)-quantile of |X|. The whole ‖w‖_p^p = Σ|w_i|^p is a sum of i.i.d. terms with
P(|X|^p > y) ~ C_α y^(−α/p), C_α := (1 − α)/(Γ(2 − α) cos(πα/2)) (2/π at α = 1; Samorodnitsky & Taqqu
1994, Property 1.2.15), so by the generalised central limit theorem (a = α/p < 1, no centring)
Σ|w_i|^p ≈ d^(p/α)·(C_α Γ(1 − a))^(1/a)·A, with A the standard positive a-stable variable,
E e^(−γA) = e^(−γ^a). Hence

.. math:: \Big(\frac{\|w - w^{(\kappa d)}\|_p}{\|w\|_p}\Big)^p \approx
          d^{\,1 - p/\alpha}\,\frac{m(\kappa)}{(C_\alpha \Gamma(1-a))^{p/\alpha} A},

and P(error ≤ ε) ≥ c exactly when d ≥ d₀ with

.. math:: d_0 = \Big(\frac{m(\kappa)}{\varepsilon^p\,(C_\alpha\Gamma(1-a))^{p/\alpha}\,A_{1-c}}\Big)^{\alpha/(p-\alpha)},

A_(1−c) the (1 − c)-quantile of A. m(κ) and A_(1−c) are computed by Monte Carlo (``samples`` draws
each, from ``seed``): the pruned-part mean of ``samples`` SαS(1) draws and the empirical quantile of
``samples`` Kanter draws. The relative Monte-Carlo error of d₀ is about α/(p − α) times that of m
and A_(1−c) (measured: seeds 0–9 at the defaults, α = 1.5, relative sd 0.6 %).

Accuracy: the approximation is asymptotic in d; the body of the sum adds a relative error of order
d^(1 − p/α) to ‖w‖_p^p. Against :func:`sgdtails.theory.required_size` (measured d₀, 50 trials per
size, κ = ε = 0.1, c = 0.9, p = 2): α = 1.0 gives 1325 against 1467 (interval 800–2934), α = 1.2
11,601 against 10,763 (3200–43,052), α = 1.5 7.2·10⁶ against 5.5·10⁶ (3.3·10⁶–∞). Near α = p the
exponent α/(p − α) grows without bound: d₀ = 3.4·10³⁵ (α = 1.9) is the formula's number, far beyond
any network, which is the point (Theorem 1 is then vacuous for real layer sizes).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.special import gamma

from sgdtails.simulator.stable import sample_positive_stable, sample_sas
from sgdtails.simulator.streams import SeedLike, as_seed_sequence
from sgdtails.simulator.validate import check_alpha, check_eps, check_int, check_kappa, check_p, check_probability

__all__ = ["stable_tail_constant", "theorem1_d0"]


def stable_tail_constant(alpha: float) -> float:
    r"""C_α with P(|X| > x) ~ C_α x^(−α) for X ~ SαS(1), α ∈ (0, 2) (Samorodnitsky & Taqqu, Property 1.2.15).

    C_α = (1 − α)/(Γ(2 − α) cos(πα/2)) for α ≠ 1 and 2/π for α = 1 (the Cauchy law).
    """
    a = check_alpha(alpha)
    if a == 2.0:
        raise ValueError("alpha must be < 2: the Gaussian (alpha = 2) has no power-law tail")
    if a == 1.0:
        return 2.0 / math.pi
    return (1.0 - a) / (float(gamma(2.0 - a)) * math.cos(math.pi * a / 2.0))


def theorem1_d0(
    alpha: float,
    *,
    p: float = 2.0,
    kappa: float = 0.1,
    eps: float = 0.1,
    confidence: float = 0.9,
    samples: int = 2**21,
    seed: SeedLike = 0,
) -> float:
    r"""The asymptotic d₀ of Theorem 1: the size from which P(‖w − w^(κd)‖_p ≤ ε‖w‖_p) ≥ ``confidence``.

    For w ∈ R^d with i.i.d. SαS entries and p > α (module docstring for the formula and its accuracy).

    Parameters
    ----------
    alpha : float
        Tail index α ∈ (0, 2) of the entries (α = 2, the Gaussian, is outside Theorem 1: refused).
    p : float
        Exponent of the ℓp error; must exceed α (at p ≤ α the formula does not apply: refused).
    kappa, eps : float
        Kept fraction κ ∈ (0, 1] and error level ε > 0.
    confidence : float
        Level c ∈ (0, 1).
    samples : int
        Monte-Carlo draws for m(κ) and for the quantile of the positive stable law (≥ 10⁴).
    seed : seed-like
        Root seed of those draws.

    Returns
    -------
    float
        d₀ ≥ 1 (1 when even d = 1 qualifies: κ = 1 or ε ≥ 1); ``inf`` when d₀ exceeds the float range
        (α close to p).
    """
    a = check_alpha(alpha)
    q = check_p(p)
    k = check_kappa(kappa)
    e = check_eps(eps, positive=True)
    c = check_probability(confidence, "confidence")
    n = check_int(samples, "samples", low=10_000)
    if a == 2.0:
        raise ValueError("alpha must be < 2: the Gaussian (alpha = 2) is outside Theorem 1 (its error does not vanish)")
    if q <= a:
        raise ValueError(f"p must exceed alpha for this rate (p = {q:g}, alpha = {a:g}); at p <= alpha it does not apply")
    if k == 1.0 or e >= 1.0:
        return 1.0
    s_x, s_a = as_seed_sequence(seed).spawn(2)
    x = np.abs(sample_sas(a, n, seed=s_x))
    pruned = n - math.ceil(k * n)
    small = np.partition(x, pruned - 1)[:pruned] if pruned > 0 else x[:0]
    with np.errstate(under="ignore"):
        m = float(np.sum(small**q)) / n
    if m == 0.0:
        return 1.0
    ratio = a / q
    log_c = math.log(stable_tail_constant(a)) + math.log(float(gamma(1.0 - ratio)))
    a_low = float(np.quantile(sample_positive_stable(ratio, n, seed=s_a), 1.0 - c))
    log_base = math.log(m) - q * math.log(e) - (q / a) * log_c - math.log(a_low)
    log_d0 = (a / (q - a)) * log_base
    if log_d0 <= 0.0:
        return 1.0
    return math.exp(log_d0) if log_d0 < 709.0 else math.inf
