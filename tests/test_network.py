"""Tests for theory.network: bias-free ReLU forward pass, margins D(y, f(x)), ℓ_γ, ℓ_(γ,τ)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sgdtails.theory.network import (
    check_weights,
    empirical_margin_risk,
    empirical_ramp_risk,
    forward,
    layer_norms,
    margin_loss,
    margins,
    ramp_loss,
)

SETTINGS = settings(deadline=None, derandomize=True, max_examples=100)


def _net(rng, widths):
    return [rng.standard_normal((widths[i + 1], widths[i])) for i in range(len(widths) - 1)]


def test_forward_matches_explicit_composition():
    rng = np.random.default_rng(0)
    w1, w2, w3 = _net(rng, [5, 7, 4, 3])
    x = rng.standard_normal((6, 5))
    relu = lambda z: np.maximum(z, 0.0)  # noqa: E731
    expected = np.stack([w3 @ relu(w2 @ relu(w1 @ xi)) for xi in x])
    np.testing.assert_allclose(forward([w1, w2, w3], x), expected, rtol=1e-13)
    # one layer: linear map, no activation on the output
    np.testing.assert_allclose(forward([w1], x), x @ w1.T, rtol=1e-14)


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.lists(st.integers(1, 12), min_size=2, max_size=6),
       st.one_of(st.just(0.0), st.floats(1e-6, 100.0)))  # no subnormal c: c·x would underflow
def test_forward_is_positively_homogeneous(seed, widths, c):
    """No biases and φ(cz) = cφ(z) for c ≥ 0 ⇒ f_w(cx) = c f_w(x); and ‖f_w(x)‖ ≤ ‖x‖ Π‖W_l‖."""
    rng = np.random.default_rng(seed)
    weights = _net(rng, widths)
    x = rng.standard_normal((4, widths[0]))
    out = forward(weights, x)
    np.testing.assert_allclose(forward(weights, c * x), c * out, rtol=1e-12)
    scale = np.linalg.norm(x, axis=1) * np.prod(layer_norms(weights))
    assert np.all(np.linalg.norm(out, axis=1) <= scale * (1 + 1e-12))


def test_margins_and_losses_by_hand():
    f = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 5.0], [-1.0, -2.0, 4.0]])
    y = np.array([0, 1, 0])
    np.testing.assert_array_equal(margins(f, y), [1.0, 0.0, -5.0])
    np.testing.assert_array_equal(margin_loss([1.0, 0.0, -5.0], 0.0), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(margin_loss([1.0, 0.5], 0.5), [0.0, 1.0])
    np.testing.assert_allclose(ramp_loss([-1.0, 0.0, 0.25, 0.5, 2.0], 0.0, 0.5), [1.0, 1.0, 0.5, 0.0, 0.0])
    np.testing.assert_allclose(ramp_loss([1.0, 1.5, 3.0], 1.0, 1.0), [1.0, 0.5, 0.0])


@SETTINGS
@given(st.lists(st.floats(-10, 10), min_size=1, max_size=20), st.floats(0, 5), st.floats(1e-3, 5))
def test_ramp_sandwich(d, gamma, tau):
    """ℓ_γ ≤ ℓ_(γ,τ) ≤ ℓ_(γ+τ) (S27), and ℓ_(γ,τ) is (1/τ)-Lipschitz in D."""
    d = np.array(d)
    ramp = ramp_loss(d, gamma, tau)
    assert np.all(margin_loss(d, gamma) <= ramp)
    assert np.all(ramp <= margin_loss(d, gamma + tau))
    shifted = ramp_loss(d + 0.1, gamma, tau)
    assert np.all(np.abs(shifted - ramp) <= 0.1 / tau * (1 + 1e-9))


def test_empirical_risks():
    rng = np.random.default_rng(1)
    weights = _net(rng, [4, 8, 3])
    x = rng.standard_normal((50, 4))
    y = rng.integers(0, 3, 50)
    m = margins(forward(weights, x), y)
    assert empirical_margin_risk(weights, x, y, 0.3) == pytest.approx(np.mean(m <= 0.3))
    r = empirical_ramp_risk(weights, x, y, 0.0, 0.7)
    assert empirical_margin_risk(weights, x, y, 0.0) <= r <= empirical_margin_risk(weights, x, y, 0.7)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: check_weights([]), "at least one layer"),
        (lambda: check_weights([np.ones(3)]), r"weights\[0\]"),
        (lambda: check_weights([np.ones((2, 3)), np.ones((2, 3))]), r"weights\[1\]"),
        (lambda: check_weights([np.full((2, 2), np.nan)]), r"weights\[0\] must be finite"),
        (lambda: forward([np.ones((2, 3))], np.ones((4, 2))), "X must have shape"),
        (lambda: forward([np.ones((2, 3))], np.full((1, 3), np.inf)), "X must be finite"),
        (lambda: margins(np.ones((3, 1)), np.zeros(3)), "K >= 2"),
        (lambda: margins(np.ones((3, 2)), np.array([0, 1, 2])), "class index"),
        (lambda: margins(np.ones((3, 2)), np.array([0, 1])), "y must have shape"),
        (lambda: margins(np.ones((2, 2)), np.array([0.5, 1])), "integer"),
        (lambda: ramp_loss([0.0], 0.0, 0.0), "tau"),
        (lambda: margin_loss([0.0], -1.0), "gamma"),
    ],
)
def test_bad_input_raises(call, match):
    with pytest.raises(ValueError, match=match):
        call()
