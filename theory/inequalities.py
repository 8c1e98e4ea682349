r"""Every inequality of docs/theory.md §5 evaluated on random instances: ``sgdtails check bounds``.

Each inequality lhs ≤ rhs is evaluated on ``instances`` random instances drawn inside its
hypothesis (fixed seed): random bias-free ReLU networks with Gaussian, Student-t(1.5) or SαS(1.5)
weights and perturbations of the lemma's kind; integer pairs for the combinatorial lemmas; a
Monte-Carlo quantile for Lemma S5. A row reports the largest lhs/rhs seen and the number of
violations, lhs > rhs·(1 + 10⁻⁹) + atol, where atol covers the rounding of a forward pass
(10⁻¹² × the output scale). No slack beyond rounding is allowed: a violated bound is a finding.

The known extreme cases are included: a width-1 positive chain attains Lemma S1 and S3 (i) with
equality, the ramp loss attains its Lipschitz constant √2/τ.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.stats import binom, levy_stable

from sgdtails.simulator.stable import sample_sas
from sgdtails.simulator.validate import check_int
from sgdtails.theory import entropy, perturbation, stable_tails
from sgdtails.theory.network import forward, layer_norms, margins, ramp_loss

__all__ = ["InequalityResult", "check_inequalities"]

_RTOL, _ATOL = 1e-9, 1e-12


@dataclass(frozen=True)
class InequalityResult:
    """One inequality on its instances: the worst ratio lhs/rhs and how many times it failed."""

    name: str
    reference: str
    instances: int
    max_ratio: float
    violations: int

    @property
    def holds(self) -> bool:
        """True when no instance violated the inequality."""
        return self.violations == 0

    def row(self) -> dict[str, object]:
        """The result as a table row."""
        return {"bound": self.name, "reference": self.reference, "instances": self.instances,
                "max_lhs_over_rhs": self.max_ratio, "violations": self.violations}


class _Tally:
    def __init__(self) -> None:
        self.n, self.worst, self.bad = 0, 0.0, 0

    def add(self, lhs: np.ndarray | float, rhs: np.ndarray | float, atol: np.ndarray | float = 0.0) -> None:
        lhs, rhs = np.atleast_1d(np.asarray(lhs, float)), np.atleast_1d(np.asarray(rhs, float))
        atol = np.broadcast_to(np.asarray(atol, float), lhs.shape)
        self.n += lhs.size
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rhs > 0, lhs / rhs, np.where(lhs > 0, np.inf, 0.0))
        self.worst = max(self.worst, float(np.max(ratio)))
        self.bad += int(np.sum(lhs > rhs * (1 + _RTOL) + atol))


def _network(rng: np.random.Generator, min_out: int = 1) -> list[np.ndarray]:
    depth = int(rng.integers(2, 6))
    widths = rng.integers(1, 13, depth + 1)
    widths[-1] = max(int(widths[-1]), min_out)
    law = rng.integers(3)
    draw: Callable[[tuple[int, int]], np.ndarray] = (
        rng.standard_normal if law == 0 else (lambda shape: rng.standard_t(1.5, shape)) if law == 1
        else (lambda shape: sample_sas(1.5, shape, seed=int(rng.integers(2**32)))))
    return [draw((int(widths[i + 1]), int(widths[i]))) for i in range(depth)]


def _inputs(rng: np.random.Generator, h0: int, B: float, n: int = 6) -> np.ndarray:
    x = rng.standard_normal((n, h0))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x * (B * np.concatenate([[1.0], rng.uniform(0.0, 1.0, n - 1)]))[:, None]


def _direction(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    g = rng.standard_normal(shape)
    return g / np.linalg.norm(g)


def _gap(w: list[np.ndarray], w2: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    return np.linalg.norm(forward(w2, x) - forward(w, x), axis=1)


def _perturbation_lemmas(rng: np.random.Generator, instances: int) -> list[InequalityResult]:
    s3, s4, s3i, loss, s3ii = _Tally(), _Tally(), _Tally(), _Tally(), _Tally()
    for _ in range(instances):
        w = _network(rng, min_out=2)
        depth, norms = len(w), layer_norms(w)
        B = float(10.0 ** rng.uniform(-3, 3))
        x = _inputs(rng, w[0].shape[1], B)
        scale = B * norms.prod()
        eps = rng.uniform(0.0, 3.0, depth)
        hat = [wl + rng.uniform(0.0, 1.0) * e * np.linalg.norm(wl) * _direction(rng, wl.shape) for wl, e in zip(w, eps)]
        s3.add(_gap(w, hat, x).max(), perturbation.lemma_s1_bound(norms, eps, B), _ATOL * scale)
        e1 = float(rng.uniform(0.0, 3.0))
        hat1 = [wl + rng.uniform(0.0, 1.0) * e1 * np.linalg.norm(wl) * _direction(rng, wl.shape) for wl in w]
        R = float(np.linalg.norm(norms) * (1.0 + rng.uniform(0.0, 2.0)))
        s4.add(_gap(w, hat1, x).max(), perturbation.lemma_s1_uniform_bound(e1, R, depth, B),
               _ATOL * B * (R / math.sqrt(depth)) ** depth)
        ups = rng.uniform(0.0, 3.0, depth) * norms
        w2 = [wl + (1.0 if rng.random() < 0.5 else rng.random()) * u * _direction(rng, wl.shape) for wl, u in zip(w, ups)]
        gap = _gap(w, w2, x)
        s3i.add(gap.max(), perturbation.lemma_s3_output_bound(norms, ups, B), _ATOL * scale)
        tau = float(10.0 ** rng.uniform(-3, 3))
        y = rng.integers(0, w[-1].shape[0], x.shape[0])
        lgap = np.abs(ramp_loss(margins(forward(w, x), y), 0.0, tau) - ramp_loss(margins(forward(w2, x), y), 0.0, tau))
        loss.add(lgap, perturbation.ramp_lipschitz_bound(gap, tau), _ATOL * math.sqrt(2) / tau * scale)
        u = float(rng.uniform(1e-6, 1.0)) * R / math.sqrt(depth)
        w3 = [wl + (1.0 if rng.random() < 0.5 else rng.random()) * u * _direction(rng, wl.shape) for wl in w]
        s3ii.add(_gap(w, w3, x).max(), perturbation.lemma_s3_uniform_bound(u, R, depth, B),
                 _ATOL * B * (R / math.sqrt(depth)) ** depth)
    # the extreme case: a positive width-1 chain attains (S3) and Lemma S3 (i)
    chain, ce = [np.array([[0.7]]), np.array([[1.3]]), np.array([[2.0]])], np.array([0.1, 0.5, 0.02])
    tight = _gap(chain, [(1 + e) * c for c, e in zip(chain, ce)], np.array([[3.0]]))[0]
    s3.add(tight, perturbation.lemma_s1_bound(layer_norms(chain), ce, 3.0), _ATOL * 3.0 * 1.82)
    s3i.add(tight, perturbation.lemma_s3_output_bound(layer_norms(chain), ce * layer_norms(chain), 3.0), _ATOL * 5.46)
    return [
        InequalityResult("output perturbation (S3)", "Lemma S1", s3.n, s3.worst, s3.bad),
        InequalityResult("output perturbation (S4)", "Lemma S1", s4.n, s4.worst, s4.bad),
        InequalityResult("output perturbation, absolute", "Lemma S3 (i)", s3i.n, s3i.worst, s3i.bad),
        InequalityResult("ramp loss Lipschitz sqrt(2)/tau", "Lemma S3 (i)", loss.n, loss.worst, loss.bad),
        InequalityResult("output perturbation, uniform", "Lemma S3 (ii)", s3ii.n, s3ii.worst, s3ii.bad),
    ]


def _algebra(rng: np.random.Generator, instances: int) -> list[InequalityResult]:
    s45, s7, s8, rho = _Tally(), _Tally(), _Tally(), _Tally()
    a = rng.uniform(0.0, 100.0, instances)
    b = a * rng.uniform(0.0, 1.0, instances)
    n = rng.integers(1, 101, instances)
    s45.add(a.astype(float) ** n - b.astype(float) ** n, perturbation.power_difference_bound(a, b, n),
            _ATOL * a.astype(float) ** n)
    nn = np.concatenate([np.arange(10, 200), rng.integers(200, 10**6, instances)])
    mm = np.floor(rng.uniform(0.0, 1.0, nn.size) * (nn + 1)).astype(int).clip(0, nn)
    s7.add(entropy.log_binomial(nn, mm), entropy.lemma_s7_log_bound(nn, mm), 1e-9 * nn)
    s8.add(entropy.log_gamma_ratio(nn, mm), entropy.lemma_s8_log_bound(nn, mm), 1e-9 * nn)
    kappa = rng.uniform(0.0, 1.0, instances)
    eps = rng.uniform(0.0, 1.0, instances)
    d = rng.integers(12, 10**6, instances)
    rho.add(entropy.rho_eps(kappa, d, eps), entropy.rho_eps_upper(kappa, eps))
    return [
        InequalityResult("a^n - b^n <= n (a - b) a^(n-1)", "(S45)", s45.n, s45.worst, s45.bad),
        InequalityResult("log C(n, m) <= n h_b(m/n)", "Lemma S7", s7.n, s7.worst, s7.bad),
        InequalityResult("Gamma ratio bound, n >= 10", "Lemma S8", s8.n, s8.worst, s8.bad),
        InequalityResult("rho_eps(kappa, d) <= min(3 eps^(1-kappa), 1), d >= 12", "Theorem S6", rho.n, rho.worst,
                         rho.bad),
    ]


def _stable_tails(rng: np.random.Generator) -> list[InequalityResult]:
    tail = _Tally()
    for alpha in (1.2, 1.5, 1.8):
        sigma = 0.7
        a = stable_tails.blm20_threshold(sigma, alpha) * np.logspace(0, 2, 12)
        exact = levy_stable.sf(a / (stable_tails.sigma_alpha(alpha) * sigma), alpha, 0.0)
        tail.add(exact, stable_tails.blm20_tail_bound(a, sigma, alpha))
    radius = _Tally()
    for dims, sigmas, alphas, delta in (((10,), (1.0,), (1.5,), 0.1), ((4, 6), (1.0, 2.0), (1.3, 1.8), 0.1)):
        draws = 4000
        squares = np.zeros(draws)
        for j, (dl, s, al) in enumerate(zip(dims, sigmas, alphas)):
            x = sample_sas(al, (draws, dl), scale=float(stable_tails.sigma_alpha(al)) * s, seed=int(rng.integers(2**32)) + j)
            squares += np.sum(x**2, axis=1)
        norms = np.sort(np.sqrt(squares))
        rank = min(int(binom.ppf(1 - 1e-6, draws, 1 - delta)), draws - 1)  # conservative (1−δ)-quantile
        radius.add(norms[rank], stable_tails.lemma_s5_radius(delta, dims, sigmas, alphas))
    return [
        InequalityResult("P(y >= a) <= (16/3)(2 sigma/a)^alpha", "BLM20 Thm 19 (Lemma S5)", tail.n, tail.worst,
                         tail.bad),
        InequalityResult("(1-delta)-quantile of |x| <= 3 sigma sqrt(d) (4d/delta)^(1/alpha)", "Lemma S5",
                         radius.n, radius.worst, radius.bad),
    ]


def check_inequalities(instances: int = 200, *, seed: int = 0) -> list[InequalityResult]:
    """Evaluate every inequality of docs/theory.md §5 on random instances (module docstring).

    Parameters
    ----------
    instances : int
        Random instances per inequality (the integer lemmas also sweep n = 10 … 199 exhaustively).
    seed : int
        Seed of every random draw.

    Returns
    -------
    list of InequalityResult
        One per inequality; ``holds`` is False where an instance violated it.
    """
    n = check_int(instances, "instances", low=1)
    rng = np.random.default_rng(check_int(seed, "seed", low=0))
    return [*_perturbation_lemmas(rng, n), *_algebra(rng, n), *_stable_tails(rng)]
