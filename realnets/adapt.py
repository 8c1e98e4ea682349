"""Pruning of torch models through :mod:`sgdtails.simulator` (docs/theory.md §2, paper Section S1.5).

Every pruned value comes from a ``sgdtails.simulator`` function; this module only reshapes
tensors to the matrices the paper prunes, centres them, and writes the result back. A pruning is
a ``scheme`` × ``scope`` pair (:data:`sgdtails.simulator.vocabulary.PRUNINGS`):

* ``scheme="magnitude"``, ``scope="layer"`` (the default, the paper's Figure 4): layer-wise
  magnitude pruning, :func:`sgdtails.simulator.prune_magnitude` ``scope="layer"``;
* ``scheme="magnitude"``, ``scope="global"``: one budget over all layers (Figure S2);
* ``scheme="singular"``: :func:`sgdtails.simulator.prune_singular` per layer; a conv weight
  (out, in, kh, kw) is pruned as the out × (in·kh·kw) matrix (the paper's code);
  ``count="parameters"`` by default, so κ counts the r(m + n + 1) numbers of r kept triplets;
* ``scheme="nodes"``: :func:`sgdtails.simulator.prune_nodes` per layer; a ``Linear`` weight
  (out × in) loses whole columns (input nodes, Theorem 3); a conv weight loses whole kh×kw kernels
  ranked by their ℓp norm (the (kh·kw) × (out·in) matrix whose columns are the kernels).

``kappa`` is the kept fraction κ ∈ [0, 1] (the pruning ratio is 1 − κ): κ = 1 leaves every layer
unchanged (even for singular value pruning, where keeping r triplets of an m×n matrix costs
r(m + n + 1) numbers, so any κ < 1 already drops rank), κ = 0 sets every entry of every layer to
its centre. Median centring (``center="median"``, the experiments' default): each layer's median
is subtracted first and added back after, for every scheme, so pruned entries take the median.

To keep pruned weights pruned while training continues, :func:`pruning_masks` gives the entries a
magnitude or node pruning keeps — the same :func:`sgdtails.simulator.magnitude_mask` /
:func:`sgdtails.simulator.node_mask` the pruning applies — and :func:`freeze_pruned` zeroes the
gradient of the others (plain SGD without momentum or weight decay then never moves them).
Singular value pruning changes every entry and has no mask: its kept subspaces are
:func:`sgdtails.simulator.singular_projector`.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from sgdtails.realnets.models import layer_weights
from sgdtails.simulator import magnitude_mask, node_mask, prune_magnitude, prune_nodes, prune_singular
from sgdtails.simulator.validate import check_choice, check_kappa, check_pruning
from sgdtails.simulator.vocabulary import CENTERS, SINGULAR_COUNTS

__all__ = [
    "as_matrix",
    "freeze_pruned",
    "layer_arrays",
    "prune_arrays",
    "prune_model",
    "pruning_masks",
    "with_arrays",
]


def layer_arrays(model: nn.Module) -> list[np.ndarray]:
    """float64 NumPy copies of the model's prunable weights (:func:`sgdtails.realnets.layer_weights`), torch layout."""
    return [w.detach().cpu().double().numpy().copy() for w in layer_weights(model)]


def as_matrix(w: np.ndarray, scheme: str) -> np.ndarray:
    """The 2-D matrix ``scheme`` works on.

    A ``Linear`` weight itself; a conv weight as out × (in·kh·kw) for ``"singular"``, else as the
    (kh·kw) × (out·in) matrix whose columns are the kernels.
    """
    if w.ndim == 2:
        return w
    if w.ndim != 4:
        raise ValueError(f"layer weights must be 2-D (Linear) or 4-D (conv), got shape {w.shape}")
    if scheme == "singular":
        return w.reshape(w.shape[0], -1)
    return w.reshape(w.shape[0] * w.shape[1], -1).T  # columns are the kh×kw kernels


def _unmatrix(a: np.ndarray, w: np.ndarray, scheme: str) -> np.ndarray:
    if w.ndim == 2:
        return a
    return (a if scheme == "singular" else a.T).reshape(w.shape)


def _check(kappa: float, scheme: str, scope: str, center: str | None) -> float:
    k = check_kappa(kappa, allow_zero=True)
    check_pruning(scheme, scope)
    check_choice(center, "center", CENTERS)
    return k


def prune_arrays(
    layers: Sequence[np.ndarray],
    kappa: float,
    *,
    scheme: str = "magnitude",
    scope: str = "layer",
    center: str | None = "median",
    count: str = "parameters",
    p: float = 2.0,
) -> list[np.ndarray]:
    """Prune weight arrays in torch layout (module docstring); returns new arrays.

    Parameters
    ----------
    layers : sequence of arrays
        2-D ``Linear`` weights (out × in) and/or 4-D conv weights (out, in, kh, kw).
    kappa : float
        Kept fraction κ ∈ [0, 1] (pruning ratio 1 − κ).
    scheme : {"magnitude", "singular", "nodes"}
    scope : {"layer", "global"}
        One budget per layer, or (magnitude only) one over all layers.
    center : {"median", None}
        Median centring (the experiments) or none.
    count : {"parameters", "paper", "values"}
        Singular values: what κ counts (:func:`sgdtails.simulator.singular_rank`).
    p : float
        Node pruning: exponent of the norm that ranks columns / kernels.
    """
    k = _check(kappa, scheme, scope, center)
    check_choice(count, "count", SINGULAR_COUNTS)
    layers = [np.asarray(w, dtype=np.float64) for w in layers]
    centres = [float(np.median(w)) if center == "median" else 0.0 for w in layers]
    if k == 1.0:  # nothing pruned (singular value pruning by parameter count would otherwise drop rank)
        return [w.copy() for w in layers]
    if k == 0.0:
        return [np.full_like(w, c) for w, c in zip(layers, centres)]
    if scheme == "magnitude":
        out = prune_magnitude(list(layers), k, scope=scope, center=center)
        return [np.asarray(o) for o in out]
    pruned = []
    for w, c in zip(layers, centres):
        a = as_matrix(w - c, scheme)
        a = prune_singular(a, k, count=count) if scheme == "singular" else prune_nodes(a, k, p=p)
        pruned.append(_unmatrix(a, w, scheme) + c)
    return pruned


def prune_model(model: nn.Module, kappa: float, *, scheme: str = "magnitude", scope: str = "layer",
                **kw: object) -> nn.Module:
    """A deep copy of ``model`` with every prunable layer pruned by :func:`prune_arrays` at kept fraction κ.

    ``model`` itself is not changed. Other keywords (``center``, ``count``, ``p``) as in
    :func:`prune_arrays`.
    """
    return with_arrays(model, prune_arrays(layer_arrays(model), kappa, scheme=scheme, scope=scope, **kw))  # type: ignore[arg-type]


def with_arrays(model: nn.Module, arrays: Sequence[np.ndarray]) -> nn.Module:
    """A deep copy of ``model`` whose prunable layers hold ``arrays`` (cast to the layers' dtype)."""
    out = copy.deepcopy(model)
    weights = layer_weights(out)
    if len(arrays) != len(weights):
        raise ValueError(f"arrays must have one entry per prunable layer ({len(weights)}), got {len(arrays)}")
    with torch.no_grad():
        for w, a in zip(weights, arrays):
            if tuple(a.shape) != tuple(w.shape):
                raise ValueError(f"array shape {tuple(a.shape)} does not match weight shape {tuple(w.shape)}")
            w.copy_(torch.from_numpy(np.asarray(a)).to(dtype=w.dtype, device=w.device))
    return out


def pruning_masks(
    model: nn.Module,
    kappa: float,
    *,
    scheme: str = "magnitude",
    scope: str = "layer",
    center: str | None = "median",
    p: float = 2.0,
) -> list[torch.Tensor]:
    """Boolean masks (True = kept) of the entries :func:`prune_model` keeps, one per prunable layer.

    They are :func:`sgdtails.simulator.magnitude_mask` and :func:`sgdtails.simulator.node_mask`
    of the layers (in the matrix layout of :func:`as_matrix`), on the device of each weight.
    ``scheme="singular"`` raises: singular value pruning changes every entry.
    """
    k = _check(kappa, scheme, scope, center)
    if scheme == "singular":
        raise ValueError("singular value pruning changes every entry and has no mask; "
                         "its kept subspaces are sgdtails.simulator.singular_projector")
    arrays = layer_arrays(model)
    if k in (0.0, 1.0):
        masks = [np.full(w.shape, k == 1.0) for w in arrays]
    elif scheme == "magnitude":
        masks = list(magnitude_mask(arrays, k, scope=scope, center=center))
    else:
        centres = [float(np.median(w)) if center == "median" else 0.0 for w in arrays]
        masks = [_unmatrix(np.asarray(node_mask(as_matrix(w - c, "nodes"), k, p=p)), w, "nodes")
                 for w, c in zip(arrays, centres)]
    return [torch.from_numpy(np.ascontiguousarray(m)).to(w.device) for m, w in zip(masks, layer_weights(model))]


def freeze_pruned(model: nn.Module, masks: Sequence[torch.Tensor]) -> list[torch.utils.hooks.RemovableHandle]:
    """Zero the gradient of the pruned entries (mask False) of every prunable layer of ``model``.

    Registers a gradient hook per weight (``handle.remove()`` undoes it). With plain SGD (no
    momentum, no weight decay) pruned entries then keep their pruned value exactly.
    """
    weights = layer_weights(model)
    if len(masks) != len(weights):
        raise ValueError(f"masks must have one entry per prunable layer ({len(weights)}), got {len(masks)}")
    handles = []
    for w, m in zip(weights, masks):
        if m.shape != w.shape:
            raise ValueError(f"mask shape {tuple(m.shape)} does not match weight shape {tuple(w.shape)}")
        keep = m.to(device=w.device, dtype=w.dtype)
        handles.append(w.register_hook(lambda g, keep=keep: g * keep))
    return handles
