"""realnets.models: Table 1 parameter counts, layer layout, initialisation, input handling."""
import math

import pytest
import torch

from sgdtails.realnets.models import build_model, default_input_shape, layer_weights

# Table 1 of the paper (Section S1.2): exact parameter counts.
TABLE_1 = {
    ("fcn4", "cifar10"): 18_894_848,
    ("fcn4", "mnist"): 14_209_024,
    ("fcn6", "cifar10"): 27_283_456,
    ("fcn6", "mnist"): 22_597_632,
    ("cnn", "cifar10"): 9_222_848,
    ("cnn", "mnist"): 9_221_696,
}


@pytest.mark.parametrize(("name", "dataset"), sorted(TABLE_1))
def test_table1_parameter_counts_are_exact(name, dataset):
    with torch.device("meta"):  # no memory, no init cost
        model = build_model(name, dataset)
    assert sum(p.numel() for p in model.parameters()) == TABLE_1[name, dataset]


@pytest.mark.parametrize(("name", "hidden"), [("fcn4", 4), ("fcn6", 6)])
def test_fcn_layout_is_hidden_plus_one_biasfree_layers(name, hidden):
    with torch.device("meta"):
        model = build_model(name, "cifar10")
    shapes = [tuple(w.shape) for w in layer_weights(model)]
    assert shapes == [(2048, 3072)] + [(2048, 2048)] * (hidden - 1) + [(10, 2048)]
    assert len(layer_weights(model)) == len(list(model.parameters()))  # no biases anywhere


def test_cnn_layout_and_first_pool_dropped_for_mnist():
    with torch.device("meta"):
        cifar, mnist = build_model("cnn", "cifar10"), build_model("cnn", "mnist")
    channels = [w.shape[0] for w in layer_weights(cifar)[:-1]]
    assert channels == [64, 128, 256, 256, 512, 512, 512, 512]
    assert tuple(layer_weights(cifar)[-1].shape) == tuple(layer_weights(mnist)[-1].shape) == (10, 512)
    pools = lambda m: sum(isinstance(x, torch.nn.MaxPool2d) for x in m.modules())  # noqa: E731
    assert (pools(cifar), pools(mnist)) == (5, 4)
    assert not any(isinstance(x, (torch.nn.BatchNorm2d, torch.nn.Dropout)) for x in cifar.modules())


@pytest.mark.parametrize("dataset", ["mnist", "cifar10", "teacher"])
def test_small_cnn_forward_shapes(dataset):
    torch.manual_seed(0)
    model = build_model("cnn", dataset, width=4)
    out = model(torch.randn(3, *default_input_shape(dataset)))
    assert out.shape == (3, 10)


def test_fcn_flattens_inputs_and_accepts_any_shape():
    torch.manual_seed(0)
    model = build_model("fcn6", "mnist1d", width=16, depth=2, num_classes=3)
    assert [tuple(w.shape) for w in layer_weights(model)] == [(16, 40), (16, 16), (3, 16)]
    image_model = build_model("fcn4", "mnist", width=8)
    x = torch.randn(5, 1, 28, 28)
    assert torch.equal(image_model(x), image_model(x.reshape(5, 784)))
    custom = build_model("cnn", "cifar10", width=2, input_shape=(1, 32, 32), num_classes=4)
    assert custom(torch.randn(2, 1, 32, 32)).shape == (2, 4)


def test_initialisation_follows_the_paper_code():
    """Conv: N(0, 2/(3·3·out)); linear: PyTorch default U(±1/√fan_in). Seed 0; tolerance 3 %."""
    torch.manual_seed(0)
    model = build_model("cnn", "cifar10", width=16)
    conv = layer_weights(model)[-2]  # 128 × 128 × 3 × 3 = 147,456 draws
    expected = math.sqrt(2.0 / (9 * conv.shape[0]))
    assert abs(conv.std().item() / expected - 1) < 0.03
    assert abs(conv.mean().item()) < 0.03 * expected
    assert abs(conv.std().item() / (expected * math.sqrt(2)) - 1) > 0.2  # a wrong variance is caught
    fc = layer_weights(build_model("fcn4", "mnist", width=512))[1]  # 512 × 512 uniform
    bound = 1 / math.sqrt(512)
    assert fc.abs().max().item() <= bound
    assert abs(fc.std().item() / (bound / math.sqrt(3)) - 1) < 0.03


def test_layer_weights_are_the_live_parameters():
    model = build_model("fcn4", "mnist", width=8, depth=1)
    with torch.no_grad():
        layer_weights(model)[0].zero_()
    assert torch.count_nonzero(model(torch.randn(4, 784))) == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("mlp", "mnist"), {}, "name"),
        (("fcn4", "svhn"), {}, "dataset"),
        (("cnn", "mnist1d"), {}, "image inputs"),
        (("cnn", "mnist"), {"depth": 3}, "depth"),
        (("fcn4", "mnist"), {"depth": 0}, "depth"),
        (("fcn4", "mnist"), {"width": 0}, "width"),
        (("fcn4", "mnist"), {"num_classes": 1}, "num_classes"),
        (("cnn", "cifar10"), {"input_shape": (3, 8, 8)}, "too small"),
    ],
)
def test_invalid_arguments_raise_valueerror(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build_model(*args, **kwargs)
