"""Pruning of torch models through :mod:`simulator` (SPEC §2, paper Section S1.5): tensors ↔ arrays only.

Every pruned value comes from a ``simulator`` function; this module only reshapes tensors to the
matrices the paper prunes, centres them, and writes the result back:

* ``"magnitude"``: layer-wise magnitude pruning, :func:`simulator.prune_magnitude` ``scope="layer"``;
* ``"global"``: global magnitude pruning over all layers, ``scope="global"``;
* ``"singular"``: :func:`simulator.prune_singular` per layer; a conv weight (out, in, kh, kw) is
  pruned as the out × (in·kh·kw) matrix (the paper's code); ``count="parameters"`` by default, so the
  pruning ratio counts the r(m + n + 1) numbers of r kept triplets;
* ``"nodes"``: :func:`simulator.prune_nodes` per layer; a ``Linear`` weight (out × in) loses whole
  columns (input nodes, Theorem 3); a conv weight loses whole kh×kw kernels ranked by their ℓp norm
  (the (kh·kw) × (out·in) matrix whose columns are the kernels).

Median centring (``center="median"``, the experiments' default): each layer's median is
subtracted first and added back after, for every scheme, so pruned entries take the median value
(for the magnitude schemes ``prune_magnitude`` does this itself). ``ratio`` is always the
**pruning** ratio 1 − κ ∈ [0, 1]; ratio 0 leaves every layer unchanged (even for singular value
pruning, where keeping r triplets of an m×n matrix costs r(m + n + 1) numbers, so any κ < 1 already
drops rank), ratio 1 sets every entry of every layer to its centre.

To keep pruned weights pruned while training continues, :func:`keep_mask` tells which entries a
magnitude or node pruning kept and :func:`freeze_pruned` zeroes the gradient of the others (plain
SGD without momentum or weight decay then never moves them).
"""
from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from realnets.models import layer_weights
from simulator import prune_magnitude, prune_nodes, prune_singular

__all__ = [
    "SCHEMES",
    "as_matrix",
    "layer_arrays",
    "prune_arrays",
    "prune_model",
    "with_arrays",
    "keep_mask",
    "freeze_pruned",
]

SCHEMES = ("magnitude", "global", "singular", "nodes")
CENTERS = (None, "median")


def layer_arrays(model: nn.Module) -> list[np.ndarray]:
    """float64 NumPy copies of the model's prunable weights (:func:`realnets.layer_weights`), torch layout."""
    return [w.detach().cpu().double().numpy().copy() for w in layer_weights(model)]


def _check(scheme: str, ratio: float, center: str | None) -> float:
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    if center not in CENTERS:
        raise ValueError(f"center must be one of {CENTERS}, got {center!r}")
    r = float(ratio)
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"ratio (the pruning ratio 1 − κ) must be in [0, 1], got {ratio}")
    return r


def as_matrix(w: np.ndarray, scheme: str) -> np.ndarray:
    """The 2-D matrix ``scheme`` works on: a ``Linear`` weight itself; a conv weight as out × (in·kh·kw)
    for ``"singular"``, else as the (kh·kw) × (out·in) matrix whose columns are the kernels."""
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


def prune_arrays(
    layers: Sequence[np.ndarray],
    scheme: str,
    ratio: float,
    *,
    center: str | None = "median",
    count: str = "parameters",
    p: float = 2.0,
) -> list[np.ndarray]:
    """Prune weight arrays in torch layout (module docstring); returns new arrays.

    Parameters
    ----------
    layers : sequence of arrays
        2-D ``Linear`` weights (out × in) and/or 4-D conv weights (out, in, kh, kw).
    scheme : {"magnitude", "global", "singular", "nodes"}
    ratio : float
        Pruning ratio 1 − κ ∈ [0, 1].
    center : {"median", None}
        Median centring (the experiments) or none.
    count : {"parameters", "paper", "values"}
        Singular values: what κ counts (:func:`simulator.prune_singular`).
    p : float
        Node pruning: exponent of the norm that ranks columns / kernels.
    """
    r = _check(scheme, ratio, center)
    layers = [np.asarray(w, dtype=np.float64) for w in layers]
    centres = [float(np.median(w)) if center == "median" else 0.0 for w in layers]
    if r == 0.0:  # nothing pruned (singular value pruning by parameter count would otherwise drop rank)
        return [w.copy() for w in layers]
    if r == 1.0:
        return [np.full_like(w, c) for w, c in zip(layers, centres)]
    kappa = 1.0 - r
    if scheme in ("magnitude", "global"):
        out = prune_magnitude(list(layers), kappa, scope="layer" if scheme == "magnitude" else "global", center=center)
        return [np.asarray(o) for o in out]
    pruned = []
    for w, c in zip(layers, centres):
        a = as_matrix(w - c, scheme)
        a = prune_singular(a, kappa, count=count) if scheme == "singular" else prune_nodes(a, kappa, p=p)
        pruned.append(_unmatrix(a, w, scheme) + c)
    return pruned


def prune_model(model: nn.Module, scheme: str, ratio: float, **kw: object) -> nn.Module:
    """A deep copy of ``model`` with every prunable layer pruned by :func:`prune_arrays`.

    ``model`` itself is not changed. Keywords as in :func:`prune_arrays`.
    """
    return with_arrays(model, prune_arrays(layer_arrays(model), scheme, ratio, **kw))


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


def keep_mask(original: nn.Module, pruned: nn.Module, *, center: str | None = "median") -> list[torch.Tensor]:
    """Boolean masks (True = kept) of the entries a magnitude or node pruning left unchanged.

    An entry is pruned when its value changed or when it now equals the layer's centre (median
    or 0) while it did not before; an entry that already equalled the centre counts as kept
    (pruning it would not change it). Not meaningful for singular value pruning, which changes
    every entry.
    """
    masks = []
    for w, q in zip(layer_weights(original), layer_weights(pruned)):
        w, q = w.detach(), q.detach()
        value = float(np.median(w.cpu().double().numpy())) if center == "median" else 0.0
        c = torch.tensor(value, dtype=w.dtype, device=w.device)  # the centre as pruning wrote it back
        masks.append((q == w) & ((q != c) | (w == c)))
    return masks


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
