"""Property tests for Lemma S1 (S3)/(S4), Lemma S3 (i)/(ii) and (S45).

Random bias-free ReLU networks: depth L ∈ [2, 5], widths 1–12, weights Gaussian,
Student-t(1.5 dof) or SαS(1.5) (project sampler), all from a hypothesis-drawn seed.
Perturbations are drawn inside the lemma's hypothesis (‖ŵ_l − w_l‖ ≤ ε_l‖w_l‖ or ≤ υ_l);
inputs satisfy ‖x‖ ≤ B with one row on the sphere ‖x‖ = B.

Floating-point slack (the only slack used): lhs ≤ rhs·(1 + 1e-9) + 1e-12·S, where
S = B·Π‖w_l‖ (or B(R/√L)^L) is the scale of the outputs, which bounds the rounding error of
a forward pass; for losses the slack is 1e-9 relative plus 1e-12·(√2/τ)·S.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgdtails.simulator import sample_sas
from sgdtails.theory.network import forward, layer_norms, margins, ramp_loss
from sgdtails.theory.perturbation import (
    lemma_s1_bound,
    lemma_s1_uniform_bound,
    lemma_s3_output_bound,
    lemma_s3_uniform_bound,
    power_difference_bound,
    ramp_lipschitz_bound,
)

SETTINGS = settings(deadline=None, derandomize=True, max_examples=300)
RTOL, ATOL_SCALE = 1e-9, 1e-12
LAWS = ["gauss", "student_t_1.5", "sas_1.5"]
MODES = ["random", "scale", "prune", "flip"]


def _draw(rng: np.random.Generator, law: str, shape: tuple[int, int]) -> np.ndarray:
    if law == "gauss":
        return rng.standard_normal(shape)
    if law == "student_t_1.5":
        return rng.standard_t(1.5, shape)
    return sample_sas(1.5, shape, seed=int(rng.integers(2**32)))


@st.composite
def networks(draw, min_out: int = 1):
    seed = draw(st.integers(0, 2**32 - 1))
    depth = draw(st.integers(2, 5))
    widths = draw(st.lists(st.integers(1, 12), min_size=depth + 1, max_size=depth + 1))
    widths[-1] = max(widths[-1], min_out)
    law = draw(st.sampled_from(LAWS))
    rng = np.random.default_rng(seed)
    weights = [_draw(rng, law, (widths[i + 1], widths[i])) for i in range(depth)]
    return rng, weights


def _inputs(rng: np.random.Generator, h0: int, B: float, n: int = 6) -> np.ndarray:
    """N rows with ‖x‖ ≤ B, the first one exactly on the sphere."""
    x = rng.standard_normal((n, h0))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    radii = B * np.concatenate([[1.0], rng.uniform(0.0, 1.0, n - 1)])
    return x * radii[:, None]


def _direction(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    g = rng.standard_normal(shape)
    return g / np.linalg.norm(g)


def _relative_perturbation(rng, w, eps, mode):
    """ŵ_l with ‖ŵ_l − w_l‖ ≤ ε_l‖w_l‖; returns (ŵ, ε actually allowed)."""
    out, allowed = [], []
    for wl, el in zip(w, eps):
        norm = np.linalg.norm(wl)
        if mode == "scale":
            hat = (1.0 + el) * wl
        elif mode == "flip":
            hat, el = -wl, 2.0
        elif mode == "prune":
            keep = rng.integers(0, wl.size + 1)
            hat = wl.copy().ravel()
            hat[np.argsort(np.abs(hat))[: wl.size - keep]] = 0.0
            hat = hat.reshape(wl.shape)
            el = np.linalg.norm(hat - wl) / norm
        else:
            hat = wl + rng.uniform(0.0, 1.0) * el * norm * _direction(rng, wl.shape)
        out.append(hat)
        allowed.append(el)
    return out, np.array(allowed)


def _absolute_perturbation(rng, w, upsilon):
    """w'_l with ‖w'_l − w_l‖ ≤ υ_l (radius 1 with probability 1/2)."""
    return [wl + (1.0 if rng.random() < 0.5 else rng.random()) * u * _direction(rng, wl.shape)
            for wl, u in zip(w, upsilon)]


def _output_gap(w, w2, x):
    return np.linalg.norm(forward(w2, x) - forward(w, x), axis=1)


eps_values = st.one_of(st.just(0.0), st.floats(1e-6, 3.0))


@SETTINGS
@given(networks(), st.lists(eps_values, min_size=5, max_size=5), st.sampled_from(MODES), st.floats(1e-3, 1e3))
def test_lemma_s1_s3_holds(net, eps, mode, B):
    rng, w = net
    hat, allowed = _relative_perturbation(rng, w, eps[: len(w)], mode)
    x = _inputs(rng, w[0].shape[1], B)
    norms = layer_norms(w)
    lhs = _output_gap(w, hat, x).max()
    rhs = lemma_s1_bound(norms, allowed, B)
    assert lhs <= rhs * (1 + RTOL) + ATOL_SCALE * B * norms.prod()


@SETTINGS
@given(networks(), eps_values, st.floats(0.0, 2.0), st.floats(1e-3, 1e3))
def test_lemma_s1_s4_holds(net, eps, slack_r, B):
    rng, w = net
    depth = len(w)
    hat, _ = _relative_perturbation(rng, w, [eps] * depth, "random")
    R = np.linalg.norm(layer_norms(w)) * (1.0 + slack_r)
    x = _inputs(rng, w[0].shape[1], B)
    lhs = _output_gap(w, hat, x).max()
    rhs = lemma_s1_uniform_bound(eps, R, depth, B)
    assert lhs <= rhs * (1 + RTOL) + ATOL_SCALE * B * (R / math.sqrt(depth)) ** depth


@SETTINGS
@given(networks(min_out=2), st.lists(st.floats(0.0, 3.0), min_size=5, max_size=5),
       st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_lemma_s3_i_holds(net, rel_upsilon, B, tau):
    rng, w = net
    norms = layer_norms(w)
    upsilon = np.array(rel_upsilon[: len(w)]) * norms
    w2 = _absolute_perturbation(rng, w, upsilon)
    x = _inputs(rng, w[0].shape[1], B)
    gap = _output_gap(w, w2, x)
    scale = B * norms.prod()
    assert gap.max() <= lemma_s3_output_bound(norms, upsilon, B) * (1 + RTOL) + ATOL_SCALE * scale
    y = rng.integers(0, w[-1].shape[0], x.shape[0])
    loss_gap = np.abs(ramp_loss(margins(forward(w, x), y), 0.0, tau) - ramp_loss(margins(forward(w2, x), y), 0.0, tau))
    allowed = ramp_lipschitz_bound(gap, tau)
    assert np.all(loss_gap <= allowed * (1 + RTOL) + ATOL_SCALE * math.sqrt(2) / tau * scale)


@SETTINGS
@given(networks(), st.floats(1e-6, 1.0), st.floats(0.0, 2.0), st.floats(1e-3, 1e3))
def test_lemma_s3_ii_holds(net, u, slack_r, B):
    rng, w = net
    depth = len(w)
    R = np.linalg.norm(layer_norms(w)) * (1.0 + slack_r)
    upsilon = u * R / math.sqrt(depth)
    w2 = _absolute_perturbation(rng, w, [upsilon] * depth)
    x = _inputs(rng, w[0].shape[1], B)
    rhs = lemma_s3_uniform_bound(upsilon, R, depth, B)
    assert _output_gap(w, w2, x).max() <= rhs * (1 + RTOL) + ATOL_SCALE * B * (R / math.sqrt(depth)) ** depth


def test_lemma_s1_and_s3_i_are_attained_by_a_positive_chain():
    """Width-1 chain, positive weights, x = B, ŵ_l = (1+ε_l) w_l: (S3) holds with equality."""
    w = [np.array([[0.7]]), np.array([[1.3]]), np.array([[2.0]])]
    eps = np.array([0.1, 0.5, 0.02])
    hat = [(1 + e) * wl for wl, e in zip(w, eps)]
    B = 3.0
    gap = _output_gap(w, hat, np.array([[B]]))[0]
    assert gap == pytest.approx(lemma_s1_bound(layer_norms(w), eps, B), rel=1e-14)
    assert gap == pytest.approx(lemma_s3_output_bound(layer_norms(w), eps * layer_norms(w), B), rel=1e-14)


def test_ramp_lipschitz_constant_sqrt2_is_attained():
    f, f2, tau = np.array([[0.3, 0.0]]), np.array([[0.4, -0.1]]), 1.0
    y = np.array([0])
    loss_gap = abs(ramp_loss(margins(f, y), 0.0, tau) - ramp_loss(margins(f2, y), 0.0, tau))[0]
    assert loss_gap == pytest.approx(ramp_lipschitz_bound(np.linalg.norm(f2 - f), tau), rel=1e-12)


def test_s3_ii_requires_small_upsilon():
    assert lemma_s3_uniform_bound(0.5, 2.0, 4, 1.0) == pytest.approx(1.0 * 4 * 2.0**3 * 0.5)
    with pytest.raises(ValueError, match="upsilon must satisfy"):
        lemma_s3_uniform_bound(1.01, 2.0, 4, 1.0)


def test_tiny_eps_gives_tiny_not_zero_bound():
    assert lemma_s1_bound([2.0, 3.0], 1e-20, 1.0) == pytest.approx(2e-20 * 6, rel=1e-12)
    assert lemma_s1_uniform_bound(1e-20, 2.0, 2, 1.0) == pytest.approx(2e-20 * 2, rel=1e-12)


def test_batched_last_axis_is_layers():
    norms = np.array([[1.0, 2.0], [3.0, 4.0]])
    got = lemma_s1_bound(norms, [0.1, 0.2], 2.0)
    np.testing.assert_allclose(got, [2.0 * (1.1 * 1.2 - 1) * 2.0, 2.0 * (1.1 * 1.2 - 1) * 12.0])
    zero_layer = lemma_s3_output_bound([0.0, 2.0], [0.5, 0.1], 1.0)
    assert zero_layer == pytest.approx(0.5 * 2.1)


# ------------------------------------------------------------------------------- (S45)
@SETTINGS
@given(st.floats(0.0, 100.0), st.floats(0.0, 1.0), st.integers(1, 100))
def test_s45_holds(a, frac, n):
    b = frac * a
    lhs = a**n - b**n
    assert lhs <= power_difference_bound(a, b, n) * (1 + RTOL) + ATOL_SCALE * a**n


def test_s45_exact_integers():
    """Exact integer arithmetic, no slack: a^n − b^n ≤ n(a−b)a^(n−1), equality iff a = b or n = 1."""
    for n in range(1, 30):
        for a in range(0, 12):
            for b in range(0, a + 1):
                lhs, rhs = a**n - b**n, n * (a - b) * a ** (n - 1)
                assert lhs <= rhs
                assert (lhs == rhs) == (a == b or n == 1)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: lemma_s1_bound([1.0, -1.0], 0.1, 1.0), "layer_norms"),
        (lambda: lemma_s1_bound([1.0, 1.0], -0.1, 1.0), "eps"),
        (lambda: lemma_s1_bound([1.0, 1.0], [0.1, 0.1, 0.1], 1.0), "broadcast"),
        (lambda: lemma_s1_bound([1.0, np.nan], 0.1, 1.0), "layer_norms"),
        (lambda: lemma_s1_uniform_bound(0.1, 1.0, 0, 1.0), "depth"),
        (lambda: lemma_s1_uniform_bound(0.1, 1.0, 2.5, 1.0), "depth"),
        (lambda: lemma_s1_uniform_bound(0.1, 1.0, [2, 3], 1.0), "depth"),
        (lambda: lemma_s3_output_bound([1.0], [-1.0], 1.0), "upsilon"),
        (lambda: lemma_s3_uniform_bound(0.1, 1.0, 2, -1.0), "B"),
        (lambda: ramp_lipschitz_bound(1.0, 0.0), "tau"),
        (lambda: power_difference_bound(1.0, 2.0, 3), "a >= b"),
        (lambda: power_difference_bound(2.0, 1.0, 0), "n"),
        (lambda: power_difference_bound(2.0, 1.0, 1.5), "n"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
