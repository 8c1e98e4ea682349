"""realnets.adapt: torch pruning equals simulator pruning of the arrays; identity; masks; pruned stays pruned.

Also the interop with ``torch.nn.utils.prune``: :func:`prune` installs the simulator's masks, models pruned
by torch are read through their effective weight and can be copied and re-pruned.
"""
import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import prune as torch_prune

from sgdtails.realnets import build_model, layer_weights
from sgdtails.realnets.adapt import (
    as_matrix,
    freeze_pruned,
    layer_arrays,
    layer_svds,
    prune,
    prune_arrays,
    prune_model,
    pruning_masks,
    with_arrays,
)
from sgdtails.simulator import PRUNINGS, magnitude_mask, node_mask, prune_magnitude, prune_nodes, prune_singular
from sgdtails.simulator.masks import singular_rank


def _model(name: str = "fcn4", seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    if name == "cnn":
        return build_model("cnn", "mnist", width=2, input_shape=(1, 16, 16))
    if name == "conv1d":  # Conv1d + Linear, with biases (1-D, not prunable)
        return nn.Sequential(nn.Conv1d(2, 4, 5), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 16, 6), nn.ReLU(),
                             nn.Linear(6, 3, bias=False))
    return build_model("fcn4", "mnist1d", width=12, depth=2)


def _modules(model: torch.nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]


def _simulator_masks(arrays: list[np.ndarray], kappa: float, scheme: str, scope: str) -> list[np.ndarray]:
    if scheme == "magnitude":
        return list(magnitude_mask(arrays, kappa, scope=scope))
    return [node_mask(as_matrix(w, "nodes"), kappa).T.reshape(w.shape) if w.ndim > 2 else node_mask(w, kappa)
            for w in arrays]


def _weights(model: torch.nn.Module) -> list[np.ndarray]:
    return [w.detach().double().numpy() for w in layer_weights(model)]


@pytest.mark.parametrize("kappa", [0.7, 0.25])
def test_magnitude_equals_simulator(kappa):
    model = _model()
    arrays = layer_arrays(model)
    for scope in ("layer", "global"):
        want = prune_magnitude(arrays, kappa, scope=scope, center="median")
        got = _weights(prune_model(model, kappa, scheme="magnitude", scope=scope, center="median"))
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


# ------------------------------------------------------------------ one SVD per layer for a sweep
@pytest.mark.parametrize("name", ["fcn4", "cnn"])
def test_one_svd_per_layer_prunes_bit_for_bit_as_one_svd_per_call(name):
    """``svds=layer_svds(...)`` gives exactly the arrays of the per-κ SVD path (and of the code before it existed)."""
    arrays = layer_arrays(_model(name))
    for center in (None, "median", "column_median"):
        svds = layer_svds(arrays, center=center)
        for kappa in (1.0, 0.75, 0.4, 0.09, 0.0):
            for count in ("parameters", "paper"):
                want = prune_arrays(arrays, kappa, scheme="singular", center=center, count=count)
                got = prune_arrays(arrays, kappa, scheme="singular", center=center, count=count, svds=svds)
                for g, x in zip(got, want):
                    np.testing.assert_array_equal(g, x)
        if center == "median" or center is None:  # the code before: an SVD of w − c per layer and κ, (U_r s_r) V_rᵀ
            for g, w in zip(prune_arrays(arrays, 0.4, scheme="singular", center=center, svds=svds), arrays):
                c = np.median(w) if center else 0.0
                a = as_matrix(w - c, "singular")
                u, sv, vt = np.linalg.svd(a, full_matrices=False)
                r = singular_rank(0.4, *a.shape, count="parameters")
                np.testing.assert_array_equal(g, ((u[:, :r] * sv[:r]) @ vt[:r]).reshape(w.shape) + c)


def test_layer_svds_are_checked_against_the_call():
    arrays = layer_arrays(_model())
    svds = layer_svds(arrays, center="median")
    with pytest.raises(ValueError, match="taken with center='median', not center=None"):
        prune_arrays(arrays, 0.5, scheme="singular", svds=svds)
    with pytest.raises(ValueError, match="one entry per layer"):
        prune_arrays(arrays, 0.5, scheme="singular", center="median", svds=svds[:-1])
    with pytest.raises(ValueError, match="scheme='singular' only"):
        prune_arrays(arrays, 0.5, scheme="nodes", center="median", svds=svds)
    with pytest.raises(ValueError, match=r"svds\[0\] is of a"):
        prune_arrays([a.T for a in arrays], 0.5, scheme="singular", center="median", svds=svds)
    with pytest.raises(ValueError, match="center"):
        layer_svds(arrays, center="mean")


def test_torch_svd_backend_agrees_with_numpy():
    """The backend ``layer_svds`` uses on CUDA, run here on the CPU: the same pruned matrices to rounding."""
    from sgdtails.realnets.adapt import _torch_svd
    from sgdtails.simulator.masks import matrix_svd

    w = layer_arrays(_model())[1]
    ours, theirs = matrix_svd(w), matrix_svd(w, backend=_torch_svd(torch.device("cpu")))
    np.testing.assert_allclose(theirs.values, ours.values, rtol=1e-12)
    for r in (1, 5, min(w.shape)):
        np.testing.assert_allclose(theirs.low_rank(r), ours.low_rank(r), rtol=0, atol=1e-12 * ours.values[0])


@pytest.mark.parametrize(("scheme", "scope"), PRUNINGS)
@pytest.mark.parametrize("name", ["fcn4", "cnn"])
def test_kappa_one_is_identity_and_input_untouched(scheme, scope, name):
    model = _model(name)
    before = [w.detach().clone() for w in layer_weights(model)]
    pruned = prune_model(model, 1.0, scheme=scheme, scope=scope)
    for b, w, q in zip(before, layer_weights(model), layer_weights(pruned)):
        assert torch.equal(b, w) and torch.equal(b, q)


def test_kappa_zero_sets_every_entry_to_its_centre():
    arrays = layer_arrays(_model())
    for scheme, scope in PRUNINGS:
        for w, q in zip(arrays, prune_arrays(arrays, 0.0, scheme=scheme, scope=scope, center="median")):
            assert np.all(q == np.median(w))
        for q in prune_arrays(arrays, 0.0, scheme=scheme, scope=scope):
            assert np.all(q == 0.0)


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
    """The masks are the ones the pruning applies: unmasked entries hold the centre, masked ones are kept."""
    model = _model(name)
    for center in (None, "median"):
        masks = pruning_masks(model, 0.5, scheme=scheme, scope=scope, center=center)
        pruned = prune_model(model, 0.5, scheme=scheme, scope=scope, center=center)
        for m, w, q in zip(masks, layer_arrays(model), layer_arrays(pruned)):
            m = m.numpy()
            c = np.median(w) if center == "median" else 0.0
            assert np.all(q[~m] == np.float32(c)) and np.allclose(q[m], w[m], atol=1e-6)
    if scheme == "magnitude" and scope == "layer":
        assert [int(m.sum()) for m in masks] == [int(np.ceil(0.5 * w.numel())) for w in layer_weights(model)]


# ------------------------------------------------------------------ default centring: exact zeros
def test_default_center_gives_exact_zeros_and_median_is_explicit():
    model = _model()
    arrays = layer_arrays(model)
    masks = [m.numpy() for m in pruning_masks(model, 0.5)]
    for m, want in zip(masks, magnitude_mask(arrays, 0.5, scope="layer", center=None)):
        np.testing.assert_array_equal(m, want)
    zeros = [q == 0 for q in layer_arrays(prune_model(model, 0.5, scheme="magnitude"))]
    for z, m in zip(zeros, masks):
        np.testing.assert_array_equal(z, ~m)  # pruned entries exactly zero, the others untouched (no zeros there)
    for q in prune_arrays(arrays, 0.5, scheme="nodes"):
        assert np.mean(np.all(q == 0, axis=0)) == pytest.approx(0.5, abs=1 / q.shape[1])
    for w, q in zip(arrays, layer_arrays(prune_model(model, 0.5, center="median"))):
        c = np.float32(np.median(w))
        assert c != 0 and np.count_nonzero(q == c) == w.size - int(np.ceil(0.5 * w.size)) and not np.any(q == 0)


# ------------------------------------------------------------------ prune(): torch.nn.utils.prune masks
@pytest.mark.parametrize(("scheme", "scope"), [("magnitude", "layer"), ("magnitude", "global"), ("nodes", "layer")])
@pytest.mark.parametrize("name", ["fcn4", "cnn", "conv1d"])
def test_prune_installs_the_simulator_masks_and_remove_keeps_exact_zeros(scheme, scope, name):
    kappa = 0.3
    model = _model(name)
    arrays = layer_arrays(model)
    want = _simulator_masks(arrays, kappa, scheme, scope)
    assert not torch_prune.is_pruned(model)
    assert prune(model, scheme, kappa, scope=scope) is model
    assert torch_prune.is_pruned(model)
    modules = _modules(model)
    assert len(modules) == len(arrays)
    for mod, w, m in zip(modules, arrays, want):
        np.testing.assert_array_equal(mod.weight_mask.numpy(), m.astype(np.float32))
        np.testing.assert_array_equal(mod.weight_orig.detach().double().numpy(), w)  # torch keeps the original
    zeros = [q == 0 for q in layer_arrays(model)]
    if scheme == "magnitude" and scope == "layer":
        for z in zeros:
            assert abs(z.mean() - (1 - kappa)) < 1 / z.size and z.sum() == z.size - int(np.ceil(kappa * z.size))
    elif scheme == "magnitude":
        total = sum(z.size for z in zeros)
        assert abs(sum(int(z.sum()) for z in zeros) - (1 - kappa) * total) < 1
    else:
        for z in zeros:
            cols = np.all(as_matrix(z, "nodes"), axis=0)  # whole columns / kernels zero
            assert abs(cols.mean() - (1 - kappa)) < 1 / cols.size and z.sum() == cols.sum() * (z.size // cols.size)
    x = torch.randn(3, *((40,) if name == "fcn4" else (1, 16, 16) if name == "cnn" else (2, 20)))
    before = model(x)
    for mod in modules:
        torch_prune.remove(mod, "weight")
    assert not torch_prune.is_pruned(model)
    assert all(isinstance(mod.weight, nn.Parameter) for mod in modules)
    for z, w, q in zip(zeros, arrays, layer_arrays(model)):
        np.testing.assert_array_equal(q == 0, z)
        np.testing.assert_array_equal(q[~z], w[~z])
    torch.testing.assert_close(model(x), before, rtol=0, atol=0)


def test_prune_rejects_what_a_torch_mask_cannot_do():
    model = _model()
    for kw, match in [({"center": "median"}, r"prune_model\(model, kappa, center='median'\)"),
                      ({"scheme": "singular"}, "singular_projector"),
                      ({"center": "mean"}, "center"), ({"kappa": 1.5}, "kappa"), ({"p": 0.0}, "p must"),
                      ({"scheme": "nodes", "scope": "global"}, "magnitude pruning only")]:
        args = {"scheme": "magnitude", "kappa": 0.5, **kw}
        with pytest.raises(ValueError, match=match):
            prune(model, args.pop("scheme"), args.pop("kappa"), **args)
    emb = nn.Sequential(nn.Embedding(10, 4), nn.Linear(4, 2))
    with pytest.raises(ValueError, match="Linear, Conv1d and Conv2d"):
        prune(emb, "magnitude", 0.5)
    assert not torch_prune.is_pruned(model) and not torch_prune.is_pruned(emb)


# ------------------------------------------------------------------ models pruned by torch itself
def test_torch_pruned_model_is_read_through_its_effective_weight():
    model = _model()
    modules = _modules(model)
    for mod in modules[:-1]:
        torch_prune.l1_unstructured(mod, "weight", amount=0.5)
    model(torch.randn(2, 40)).sum()  # a forward pass with autograd: `weight` is a non-leaf tensor
    with pytest.raises(RuntimeError, match="deepcopy"):
        copy.deepcopy(model)  # torch's limitation that prune_model / with_arrays work around
    arrays = layer_arrays(model)
    for mod, w in zip(modules[:-1], arrays):
        np.testing.assert_array_equal(w, (mod.weight_orig * mod.weight_mask).detach().double().numpy())
        assert np.count_nonzero(w == 0) == w.size // 2
    assert layer_weights(model)[-1] is modules[-1].weight  # unpruned layers: the live parameter
    origs = [mod.weight_orig.detach().clone() for mod in modules[:-1]]

    pruned = prune_model(model, 0.25)
    assert torch_prune.is_pruned(pruned)
    for q, want in zip(layer_arrays(pruned), prune_magnitude(arrays, 0.25, scope="layer")):
        np.testing.assert_array_equal(q, want.astype(np.float32))
    for mod, o in zip(modules[:-1], origs):  # the input is untouched
        assert torch.equal(mod.weight_orig, o)
    copied = with_arrays(model, [np.ones(w.shape) for w in arrays])  # writes go to weight_orig, the mask stays
    for mod, q in zip(_modules(copied)[:-1], layer_arrays(copied)):
        assert torch.all(mod.weight_orig == 1)
        assert torch.equal(mod.weight, mod.weight_mask)  # the `weight` attribute is refreshed too
        np.testing.assert_array_equal(q, mod.weight_mask.double().numpy())
    np.testing.assert_array_equal(layer_arrays(copied)[-1], 1.0)
    assert not torch.equal(modules[-1].weight, torch.ones_like(modules[-1].weight))


def test_freeze_pruned_on_a_torch_pruned_model_hooks_weight_orig():
    model = _model()
    prune(model, "nodes", 0.5)
    masks = pruning_masks(model, 0.25)
    freeze_pruned(model, masks)
    frozen = [mod.weight_orig.detach().clone() for mod in _modules(model)]
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    gen = torch.Generator().manual_seed(2)
    for _ in range(3):
        x, y = torch.randn(16, 40, generator=gen), torch.randint(0, 10, (16,), generator=gen)
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    for mod, m, f in zip(_modules(model), masks, frozen):
        assert torch.equal(mod.weight_orig[~m], f[~m]) and not torch.equal(mod.weight_orig[m], f[m])
        assert torch.all(mod.weight[mod.weight_mask == 0] == 0)


def test_repruning_composes_through_the_effective_weight():
    model = _model("cnn")
    prune(model, "nodes", 0.5)  # whole kernels / columns zero; weight_orig keeps their large entries
    first = [mod.weight_mask.clone() for mod in _modules(model)]
    effective = layer_arrays(model)
    prune(model, "magnitude", 0.2)
    for mod, w, m, old in zip(_modules(model), effective, magnitude_mask(effective, 0.2, scope="layer"), first):
        assert isinstance(mod._forward_pre_hooks[next(iter(mod._forward_pre_hooks))], torch_prune.PruningContainer)
        np.testing.assert_array_equal(mod.weight_mask.numpy(), m.astype(np.float32))
        assert torch.all(mod.weight_mask <= old)
        assert int(mod.weight_mask.sum()) == int(np.ceil(0.2 * w.size))
    prune(model, "magnitude", 0.1, scope="global")
    effective2 = layer_arrays(model)
    total = sum(w.size for w in effective2)
    kept = sum(int(np.count_nonzero(w)) for w in effective2)
    assert kept == int(np.ceil(0.1 * total))
    for mod in _modules(model):
        torch_prune.remove(mod, "weight")
    assert [np.count_nonzero(w) for w in layer_arrays(model)] == [np.count_nonzero(w) for w in effective2]


def test_precomputed_centers_give_the_same_pruning_bit_for_bit():
    from sgdtails.realnets.adapt import layer_center, prune_arrays

    rng = np.random.default_rng(3)
    layers = [rng.standard_t(2.0, (12, 7)) + 0.3, rng.standard_t(2.0, (5, 12)) - 0.1,
              rng.standard_t(2.0, (4, 3, 3, 3))]  # a conv layer: its node matrix is not its torch layout
    for scheme, scope, centres in (("magnitude", "layer", (None, "median")), ("magnitude", "global", (None, "median")),
                                   ("nodes", "layer", (None, "median", "row_median", "column_median"))):
        for center in centres:
            cs = [layer_center(w, scheme, center) for w in layers]
            for kappa in (0.0, 0.3, 0.75):
                a = prune_arrays(layers, kappa, scheme=scheme, scope=scope, center=center)
                b = prune_arrays(layers, kappa, scheme=scheme, scope=scope, center=center, centers=cs)
                assert all(np.array_equal(x, y) for x, y in zip(a, b)), (scheme, scope, center, kappa)
    cs = [layer_center(w, "magnitude", "median") for w in layers]
    wrong = [c + 1.0 for c in cs]  # a centre that is not the layer's: the result must differ
    assert not np.array_equal(prune_arrays(layers, 0.3, center="median", centers=wrong)[0],
                              prune_arrays(layers, 0.3, center="median")[0])
    with pytest.raises(ValueError, match="one entry per layer"):
        prune_arrays(layers, 0.3, center="median", centers=cs[:1])
