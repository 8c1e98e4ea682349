"""Every public function rejects bad input with a ValueError naming the argument."""
import numpy as np
import pytest

import sgdtails.simulator as sim

W = np.arange(1.0, 13.0).reshape(3, 4)
NAN = W.copy()
NAN[1, 1] = np.nan
INF = W.copy()
INF[0, 0] = np.inf

CASES = [
    # samplers: α, size, scale, dtype
    (sim.sample_sas, (0.0, 5), {}, "alpha"),
    (sim.sample_sas, (2.1, 5), {}, "alpha"),
    (sim.sample_sas, (np.nan, 5), {}, "alpha"),
    (sim.sample_sas, (1.5, -1), {}, "size"),
    (sim.sample_sas, (1.5, (2, 2.5)), {}, "size"),
    (sim.sample_sas, (1.5, 5), {"scale": 0.0}, "scale"),
    (sim.sample_sas, (1.5, 5), {"dtype": np.int32}, "dtype"),
    (sim.sample_sas_range, (1.5, 10, 5), {}, "start"),
    (sim.sample_sas_range, (1.5, 1.5, 5), {}, "start"),
    (sim.sample_sas_range, (1.5, 0, -5), {}, "stop"),
    (sim.sample_positive_stable, (1.0, 5), {}, "a"),
    (sim.sample_positive_stable, (0.0, 5), {}, "a"),
    (sim.sample_elliptical, (-1.0, 3, 2), {}, "alpha"),
    (sim.sample_elliptical, (1.5, -3, 2), {}, "dim"),
    (sim.sample_weights, (3.0, (2, 2)), {}, "alpha"),
    (sim.sample_weights, (1.5, (2, 2)), {"structure": "rows"}, "structure"),
    # pruning: κ, p, arrays
    (sim.prune_magnitude, (W, 0.0), {}, "kappa"),
    (sim.prune_magnitude, (W, 1.5), {}, "kappa"),
    (sim.prune_magnitude, ([W, W], [0.5]), {"scope": "layer"}, "kappa"),
    (sim.prune_magnitude, (W, 0.5), {"scope": "row"}, "scope"),
    (sim.prune_magnitude, (W, 0.5), {"center": "mean"}, "center"),
    (sim.prune_magnitude, (np.array([]), 0.5), {}, "w"),
    (sim.prune_magnitude, (NAN, 0.5), {}, "w"),
    (sim.prune_magnitude, ([W, INF], 0.5), {}, r"w\[1\]"),
    (sim.prune_singular, (W.ravel(), 0.5), {}, "W"),
    (sim.prune_singular, (W, -0.1), {}, "kappa"),
    (sim.prune_singular, (W, 0.5), {"count": "rank"}, "count"),
    (sim.prune_singular, (INF, 0.5), {}, "W"),
    (sim.prune_nodes, (W, 0.5), {"p": 0.0}, "p"),
    (sim.prune_nodes, (W, 0.5), {"by": "layers"}, "by"),
    (sim.prune_nodes, (W[None], 0.5), {}, "W"),
    (sim.relative_error, (W, W[:2]), {}, "shapes"),
    (sim.relative_error, (W, W), {"p": -1.0}, "p"),
    (sim.relative_error, (W, NAN), {}, "w_hat"),
    (sim.relative_error, (np.zeros(3), np.zeros(3)), {}, "w must not be all zeros"),
    (sim.min_kappa, (W, -0.1), {}, "eps"),
    (sim.min_kappa, (W, 0.1), {"p": 0.0}, "p"),
    (sim.min_kappa, (W, 0.1), {"scheme": "rows"}, "scheme"),
    (sim.min_kappa, (W.ravel(), 0.1), {"scheme": "singular"}, "w"),
    (sim.min_kappa, (NAN, 0.1), {}, "w"),
    (sim.min_kappa, (np.array([]), 0.1), {}, "w"),
    (sim.pruning_ratio, (W, np.inf), {}, "eps"),
    (sim.tail_index, (np.array([1.0, np.inf, 2.0, 3.0, 4.0]),), {}, "x"),
    (sim.tail_index, (np.array([]),), {}, "x"),
    (sim.tail_index, (np.arange(3.0),), {}, "x"),
    (sim.tail_index, (W.ravel(),), {"method": "mmo_multivariate"}, "x"),
    (sim.keep_count, (0.0, 10), {}, "kappa"),
]


@pytest.mark.parametrize("func,args,kwargs,match", CASES, ids=[f"{c[0].__name__}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_raises_value_error_naming_argument(func, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(*args, **kwargs)


# ------------------------------------------------------------ torch tensors, by duck typing
# A tensor that requires grad (torch's own .numpy() refuses it) is read as x.detach().cpu().numpy();
# .cpu() also brings a GPU tensor to host memory, so CUDA tensors take the same path (no GPU here to
# test that). The simulator does not import torch.
torch = pytest.importorskip("torch")


def _grad_tensor(shape=(48, 40), seed=0):
    g = torch.Generator().manual_seed(seed)
    t = (torch.randn(*shape, generator=g, dtype=torch.float64) / torch.rand(*shape, generator=g, dtype=torch.float64))
    return t.requires_grad_(True)


def test_torch_tensor_requiring_grad_is_read_like_its_numpy_copy():
    t = _grad_tensor()
    a = t.detach().numpy().copy()
    assert sim.tail_index(t) == sim.tail_index(a)
    assert sim.tail_index(t, method="paper", seed=3) == sim.tail_index(a, method="paper", seed=3)
    assert sim.tail_index(t, method="hill") == sim.tail_index(a, method="hill")
    assert sim.pruning_ratio(t, 0.1) == sim.pruning_ratio(a, 0.1)
    assert sim.pruning_ratio(t, 0.2, scheme="singular") == sim.pruning_ratio(a, 0.2, scheme="singular")
    assert sim.min_kappa(t, 0.1, p=1.0, scheme="nodes") == sim.min_kappa(a, 0.1, p=1.0, scheme="nodes")
    pruned = sim.prune_magnitude(t, 0.3)
    assert isinstance(pruned, np.ndarray)
    np.testing.assert_array_equal(pruned, sim.prune_magnitude(a, 0.3))
    np.testing.assert_array_equal(sim.prune_singular(t, 0.5), sim.prune_singular(a, 0.5))
    np.testing.assert_array_equal(sim.prune_nodes(t, 0.5), sim.prune_nodes(a, 0.5))
    assert sim.relative_error(t, pruned) == sim.relative_error(a, pruned)
    assert t.requires_grad and t.grad is None  # the caller's tensor is untouched


def test_torch_parameters_and_lists_of_tensors():
    torch.manual_seed(0)
    layer = torch.nn.Linear(40, 16)  # the case: a Parameter, requires grad, float32
    a = layer.weight.detach().numpy().copy()
    assert sim.tail_index(layer.weight, method="paper") == sim.tail_index(a, method="paper")
    ws = [_grad_tensor((20, 10), 1), _grad_tensor((10, 5), 2)]
    arrays = [w.detach().numpy().copy() for w in ws]
    for got, want in zip(sim.prune_magnitude(ws, 0.4, scope="global"), sim.prune_magnitude(arrays, 0.4, scope="global")):
        np.testing.assert_array_equal(got, want)
    assert sim.pruning_ratio(ws, 0.1) == sim.pruning_ratio(arrays, 0.1)


def test_torch_bfloat16_is_widened_and_bad_tensors_are_named():
    t = _grad_tensor((200,)).to(torch.bfloat16)
    assert sim.tail_index(t) == sim.tail_index(t.detach().float().numpy())
    bad = _grad_tensor((200,))
    with torch.no_grad():
        bad[3] = float("nan")
    with pytest.raises(ValueError, match="x contains NaN"):
        sim.tail_index(bad)
    with pytest.raises(ValueError, match="w must not be empty"):
        sim.pruning_ratio(torch.zeros(0, requires_grad=True), 0.1)
