"""The paper's networks: FCN4, FCN6 and the VGG11-like CNN (Section 5, Section S1.2, Table 1).

All networks use ReLU and have no biases, batch norm, dropout or residual blocks (docs/theory.md §6).

* ``fcn4`` / ``fcn6``: ``depth`` hidden layers of ``width`` units, i.e. ``depth + 1`` bias-free
  ``Linear`` layers ``in → width → … → width → classes``. With width 2048 this reproduces Table 1
  exactly: FCN4 = 3072·2048 + 3·2048² + 2048·10 = 18,894,848 (CIFAR10) and
  784·2048 + 3·2048² + 2048·10 = 14,209,024 (MNIST); FCN6 has 5·2048² instead of 3·2048²
  (27,283,456 / 22,597,632). (The paper's code calls this ``depth = hidden + 1``.)
* ``cnn``: 3×3 convolutions (padding 1, no bias) with channels
  64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M (M = 2×2 max-pool, stride 2), then one
  bias-free ``Linear`` layer; the first M is dropped for the 28×28 datasets (MNIST, MNIST-5k, teacher):
  9,222,848 (CIFAR10) / 9,221,696 (MNIST) parameters.

Initialisation follows the paper's code: conv weights N(0, 2 / (3·3·out_channels)), linear layers
PyTorch's default (Kaiming-uniform, bound 1/√fan_in). The global torch RNG draws the
initial weights; seed it (``torch.manual_seed``) or use ``torch.random.fork_rng`` around the call.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.nn.utils import prune

from sgdtails.realnets.vocabulary import DATASETS, MODELS
from sgdtails.simulator.validate import check_int

__all__ = ["MODELS", "DATASETS", "default_input_shape", "build_model", "layer_weights"]


_FCN_DEPTH = {"fcn4": 4, "fcn6": 6}
_INPUT_SHAPES = {"mnist": (1, 28, 28), "cifar10": (3, 32, 32), "mnist5k": (1, 28, 28), "mnist1d": (40,),
                 "teacher": (1, 28, 28)}
_NO_FIRST_POOL = ("mnist", "mnist5k", "teacher")  # 28×28 inputs: the paper drops the first max-pool
_VGG11 = (1, "M", 2, "M", 4, 4, "M", 8, 8, "M", 8, 8, "M")  # channels in units of the base width 64


def default_input_shape(dataset: str) -> tuple[int, ...]:
    """Per-sample input shape of ``dataset``: (1, 28, 28) for mnist, mnist5k and teacher, (3, 32, 32), (40,)."""
    if dataset not in _INPUT_SHAPES:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    return _INPUT_SHAPES[dataset]


class _FCN(nn.Module):
    """Bias-free ReLU MLP; flattens every input to a vector first."""

    def __init__(self, in_features: int, width: int, depth: int, num_classes: int) -> None:
        super().__init__()
        sizes = [in_features] + [width] * depth
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(fan_in, fan_out, bias=False), nn.ReLU()]
        layers.append(nn.Linear(sizes[-1], num_classes, bias=False))
        self.fc = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1))


class _VGG(nn.Module):
    """VGG11-like bias-free CNN with one linear classifier (paper's ``vgg.py`` layout)."""

    def __init__(self, features: nn.Sequential, flat: int, num_classes: int) -> None:
        super().__init__()
        self.features = features
        self.classifier = nn.Linear(flat, num_classes, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x).flatten(1))


def _build_cnn(input_shape: Sequence[int], base: int, num_classes: int, drop_first_pool: bool) -> _VGG:
    if len(input_shape) != 3:
        raise ValueError(f"cnn needs image inputs (channels, height, width), got input_shape {tuple(input_shape)}")
    channels, height, width = input_shape
    cfg = [v for i, v in enumerate(_VGG11) if not (drop_first_pool and i == 1)]
    layers: list[nn.Module] = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            height, width = height // 2, width // 2
            if height < 1 or width < 1:
                raise ValueError(f"input_shape {tuple(input_shape)} is too small for the cnn's max-pools")
            continue
        conv = nn.Conv2d(channels, int(v) * base, kernel_size=3, padding=1, bias=False)  # type: ignore[call-overload]
        n = conv.kernel_size[0] * conv.kernel_size[1] * conv.out_channels
        nn.init.normal_(conv.weight, mean=0.0, std=math.sqrt(2.0 / n))
        layers += [conv, nn.ReLU()]
        channels = conv.out_channels
    return _VGG(nn.Sequential(*layers), channels * height * width, num_classes)


def build_model(
    name: str,
    dataset: str,
    *,
    width: int | None = None,
    depth: int | None = None,
    input_shape: Sequence[int] | None = None,
    num_classes: int | None = None,
) -> nn.Module:
    """Build one of the paper's networks (Section S1.2, Table 1) with fresh initial weights.

    Parameters
    ----------
    name : {"fcn4", "fcn6", "cnn"}
        Architecture.
    dataset : {"mnist", "cifar10", "mnist5k", "mnist1d", "teacher"}
        Sets the default input shape and, for the CNN, whether the first max-pool is dropped
        (it is for "mnist", "mnist5k" and "teacher", as in the paper's MNIST CNN).
    width : int, optional
        FCN hidden width (default 2048) or the CNN's base channel count (default 64; the layers
        then have width·(1, 2, 4, 4, 8, 8, 8, 8) channels).
    depth : int, optional
        FCN number of hidden layers; default 4 for ``fcn4`` and 6 for ``fcn6``. Not used by the CNN.
    input_shape : sequence of int, optional
        Per-sample input shape; default :func:`default_input_shape` of ``dataset``.
    num_classes : int, optional
        Output size; default 10.

    Returns
    -------
    torch.nn.Module
        The network, on the current default device, in training mode.
    """
    if name not in MODELS:
        raise ValueError(f"name must be one of {MODELS}, got {name!r}")
    shape = tuple(int(s) for s in (input_shape or default_input_shape(dataset)))
    if dataset not in DATASETS:
        raise ValueError(f"dataset must be one of {DATASETS}, got {dataset!r}")
    classes = 10 if num_classes is None else check_int(num_classes, "num_classes", low=2)
    if width is not None:
        check_int(width, "width", low=1)
    if any(s < 1 for s in shape):
        raise ValueError(f"input_shape entries must be >= 1, got {shape}")
    if name == "cnn":
        if depth is not None:
            raise ValueError("depth applies to the FCNs only; the cnn has a fixed VGG11-like layout")
        return _build_cnn(shape, 64 if width is None else int(width), classes, drop_first_pool=dataset in _NO_FIRST_POOL)
    hidden = _FCN_DEPTH[name] if depth is None else check_int(depth, "depth", low=1)
    return _FCN(math.prod(shape), 2048 if width is None else int(width), hidden, classes)


def _pruning_hook(module: nn.Module, name: str) -> prune.BasePruningMethod | None:
    """The ``torch.nn.utils.prune`` forward pre-hook of ``module.<name>`` (a method or container), or None."""
    for hook in module._forward_pre_hooks.values():
        if isinstance(hook, prune.BasePruningMethod) and hook._tensor_name == name:
            return hook
    return None


def _weight_slots(model: nn.Module) -> list[tuple[nn.Module, str, nn.Parameter, torch.Tensor | None]]:
    """(module, tensor name, stored parameter, torch mask or None) of every prunable weight, in :func:`layer_weights` order.

    The stored parameter is the ``Parameter`` itself, or ``<name>_orig`` with the ``<name>_mask``
    buffer for a tensor pruned by ``torch.nn.utils.prune``. The order (and the dedup of shared
    parameters) is that of ``model.parameters()``.
    """
    slots: list[tuple[nn.Module, str, nn.Parameter, torch.Tensor | None]] = []
    seen: set[int] = set()
    for module in model.modules():
        for name, p in module._parameters.items():
            if p is None or id(p) in seen:
                continue
            seen.add(id(p))
            if p.ndim < 2:
                continue
            base = name[:-len("_orig")]
            if name.endswith("_orig") and base + "_mask" in module._buffers and _pruning_hook(module, base) is not None:
                slots.append((module, base, p, module._buffers[base + "_mask"]))
            else:
                slots.append((module, name, p, None))
    return slots


def layer_weights(model: nn.Module) -> list[torch.Tensor]:
    """The prunable weight tensors of ``model`` in forward order (every parameter with ndim ≥ 2).

    For an ordinary parameter this is the ``Parameter`` object itself, so in-place edits change
    the model. For the paper's bias-free networks this is every parameter.

    A weight pruned by ``torch.nn.utils.prune`` is stored as the parameter ``weight_orig`` and the
    buffer ``weight_mask``; its entry here is the **effective** weight ``weight_orig * weight_mask``
    (what the forward pass uses), computed now as a new tensor outside autograd. Editing that tensor
    does not change the model: to write a pruned layer, write ``weight_orig`` (masked entries stay
    masked), as :func:`sgdtails.realnets.adapt.with_arrays` and
    :func:`sgdtails.realnets.adapt.freeze_pruned` do.
    """
    out: list[torch.Tensor] = []
    for _module, _name, p, mask in _weight_slots(model):
        if mask is None:
            out.append(p)
        else:
            with torch.no_grad():
                out.append(p * mask.to(dtype=p.dtype))
    return out
