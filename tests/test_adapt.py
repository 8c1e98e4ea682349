"""realnets.adapt: torch pruning equals simulator pruning of the arrays; identity; masks; pruned stays pruned."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sgdtails.realnets import build_model, layer_weights
from sgdtails.realnets.adapt import freeze_pruned, layer_arrays, prune_arrays, prune_model, pruning_masks
from sgdtails.simulator import PRUNINGS, prune_magnitude, prune_nodes, prune_singular


def _model(name: str = "fcn4", seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    if name == "cnn":
        return build_model("cnn", "mnist", width=2, input_shape=(1, 16, 16))
    return build_model("fcn4", "mnist1d", width=12, depth=2)


def _weights(model: torch.nn.Module) -> list[np.ndarray]:
    return [w.detach().double().numpy() for w in layer_weights(model)]


@pytest.mark.parametrize("kappa", [0.7, 0.25])
def test_magnitude_equals_simulator(kappa):
    model = _model()
    arrays = layer_arrays(model)
    for scope in ("layer", "global"):
        want = prune_magnitude(arrays, kappa, scope=scope, center="median")
        got = _weights(prune_model(model, kappa, scheme="magnitude", scope=scope))
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w.astype(np.float32).astype(np.float64))


def test_singular_and_nodes_equal_simulator_on_linear_layers():
    model = _model()
    for w, got_s, got_n in zip(layer_arrays(model), _weights(prune_model(model, 0.4, scheme="singular", center=None)),
                               _weights(prune_model(model, 0.5, scheme="nodes", center=None))):
        np.testing.assert_array_equal(got_s, prune_singular(w, 0.4, count="parameters").astype(np.float32))
        np.testing.assert_array_equal(got_n, prune_nodes(w, 0.5).astype(np.float32))


def test_conv_reshapes_follow_the_paper():
    model = _model("cnn")
    conv = layer_arrays(model)[1]  # (out, in, 3, 3)
    out_c, in_c = conv.shape[:2]
    sing = prune_arrays([conv], 0.5, scheme="singular", center=None)[0]
    np.testing.assert_array_equal(sing, prune_singular(conv.reshape(out_c, -1), 0.5, count="parameters").reshape(conv.shape))
    nodes = prune_arrays([conv], 0.5, scheme="nodes", center=None)[0]
    kernels_kept = np.any(nodes.reshape(out_c * in_c, 9) != 0, axis=1)
    assert kernels_kept.sum() == int(np.ceil(0.5 * out_c * in_c))  # whole kernels, by norm
    norms = np.linalg.norm(conv.reshape(out_c * in_c, 9), axis=1)
    assert norms[kernels_kept].min() >= norms[~kernels_kept].max()


@pytest.mark.parametrize(("scheme", "scope"), PRUNINGS)
@pytest.mark.parametrize("name", ["fcn4", "cnn"])
def test_kappa_one_is_identity_and_input_untouched(scheme, scope, name):
    model = _model(name)
    before = [w.detach().clone() for w in layer_weights(model)]
    pruned = prune_model(model, 1.0, scheme=scheme, scope=scope)
    for b, w, q in zip(before, layer_weights(model), layer_weights(pruned)):
        assert torch.equal(b, w) and torch.equal(b, q)


def test_kappa_zero_sets_every_entry_to_its_median():
    arrays = layer_arrays(_model())
    for scheme, scope in PRUNINGS:
        for w, q in zip(arrays, prune_arrays(arrays, 0.0, scheme=scheme, scope=scope)):
            assert np.all(q == np.median(w))


def test_bad_arguments_raise():
    arrays = layer_arrays(_model())
    with pytest.raises(ValueError, match="scheme"):
        prune_arrays(arrays, 0.5, scheme="random")
    with pytest.raises(ValueError, match="kappa"):
        prune_arrays(arrays, 1.5)
    with pytest.raises(ValueError, match="center"):
        prune_arrays(arrays, 0.5, center="mean")
    with pytest.raises(ValueError, match="magnitude pruning only"):
        prune_arrays(arrays, 0.5, scheme="nodes", scope="global")
    with pytest.raises(ValueError, match="no mask"):
        pruning_masks(_model(), 0.5, scheme="singular")


@pytest.mark.parametrize(("scheme", "scope"), [("magnitude", "layer"), ("magnitude", "global"), ("nodes", "layer")])
def test_pruned_weights_stay_pruned_under_sgd(scheme, scope):
    model = _model()
    pruned = prune_model(model, 0.4, scheme=scheme, scope=scope, center=None)
    masks = pruning_masks(model, 0.4, scheme=scheme, scope=scope, center=None)
    kept = sum(int(m.sum()) for m in masks)
    total = sum(m.numel() for m in masks)
    assert 0 < kept < total
    freeze_pruned(pruned, masks)
    opt = torch.optim.SGD(pruned.parameters(), lr=0.5)
    gen = torch.Generator().manual_seed(1)
    for _ in range(5):
        x, y = torch.randn(16, 40, generator=gen), torch.randint(0, 10, (16,), generator=gen)
        opt.zero_grad()
        F.cross_entropy(pruned(x), y).backward()
        for w, m in zip(layer_weights(pruned), masks):
            assert torch.all(w.grad[~m] == 0)
        opt.step()
    for w, m in zip(layer_weights(pruned), masks):
        assert torch.all(w[~m] == 0)
        assert torch.any(w[m] != 0)


@pytest.mark.parametrize(("scheme", "scope"), [("magnitude", "layer"), ("magnitude", "global"), ("nodes", "layer")])
@pytest.mark.parametrize("name", ["fcn4", "cnn"])
def test_masks_are_what_the_pruning_keeps(scheme, scope, name):
    """The masks are the ones the pruning applies: unmasked entries hold the median, masked ones are kept."""
    model = _model(name)
    masks = pruning_masks(model, 0.5, scheme=scheme, scope=scope)
    for m, w, q in zip(masks, layer_arrays(model), layer_arrays(prune_model(model, 0.5, scheme=scheme, scope=scope))):
        m = m.numpy()
        c = np.median(w)
        assert np.all(q[~m] == np.float32(c)) and np.allclose(q[m], w[m], atol=1e-6)
    if scheme == "magnitude" and scope == "layer":
        assert [int(m.sum()) for m in masks] == [int(np.ceil(0.5 * w.numel())) for w in layer_weights(model)]
