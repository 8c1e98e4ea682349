"""Pruning of torch models through :mod:`sgdtails.simulator` (docs/theory.md §2, paper Section S1.5).

Every pruned value comes from a ``sgdtails.simulator`` function; this module only reshapes
tensors to the matrices the paper prunes, centres them (if asked), and writes the result back. A
pruning is a ``scheme`` × ``scope`` pair (:data:`sgdtails.simulator.vocabulary.PRUNINGS`):

* ``scheme="magnitude"``, ``scope="layer"`` (the default, the paper's Figure 4): layer-wise
  magnitude pruning, :func:`sgdtails.simulator.prune_magnitude` ``scope="layer"``;
* ``scheme="magnitude"``, ``scope="global"``: one budget over all layers (Figure S2);
* ``scheme="singular"``: :func:`sgdtails.simulator.prune_singular` per layer; a conv weight
  (out, in, kh, kw) is pruned as the out × (in·kh·kw) matrix (the paper's code);
  ``count="parameters"`` by default, so κ counts the r(m + n + 1) numbers of r kept triplets;
* ``scheme="nodes"``: :func:`sgdtails.simulator.prune_nodes` per layer; a ``Linear`` weight
  (out × in) loses whole columns (input nodes, Theorem 3); a conv weight loses whole kernels
  (kh×kw, or k for ``Conv1d``) ranked by their ℓp norm (the matrix whose columns are the kernels).

``kappa`` is the kept fraction κ ∈ [0, 1] (the pruning ratio is 1 − κ): κ = 1 leaves every layer
unchanged (even for singular value pruning, where keeping r triplets of an m×n matrix costs
r(m + n + 1) numbers, so any κ < 1 already drops rank), κ = 0 sets every entry of every layer to
its centre.

Centring. By default (``center=None``) pruned entries are **exactly zero**: magnitude pruning is
the k-best term approximation of SPEC §2 / docs/theory.md §2.1 and node pruning zeroes whole
columns. ``center="median"`` is the paper's code convention (Section S1.5, docs/theory.md §2.6):
each layer's median is subtracted first and added back after, for every scheme, so pruned entries
hold the median, not zero; pass it explicitly to reproduce the experiments
(:mod:`sgdtails.realnets.analyze` does). :func:`prune_arrays` also takes the authors' code's
centrings: ``center="column_median"`` (each column of the out × (in·kh·kw) matrix centred on its
median before the SVD) and ``center="row_median"`` (each row of the matrix node pruning works on);
pruned entries then hold their column's / row's median.

One SVD per layer. Singular value pruning at every κ of a sweep cuts the same SVD at another rank:
:func:`layer_svds` takes it once (with ``torch.linalg.svd`` on a CUDA device) and
``prune_arrays(..., svds=...)`` reuses it, bit for bit what one call per κ gives on the CPU.

To keep pruned weights pruned while training continues, :func:`pruning_masks` gives the entries a
magnitude or node pruning keeps — the same :func:`sgdtails.simulator.magnitude_mask` /
:func:`sgdtails.simulator.node_mask` the pruning applies — and :func:`freeze_pruned` zeroes the
gradient of the others (plain SGD without momentum or weight decay then never moves them).
Alternatively :func:`prune` installs those masks in place with ``torch.nn.utils.prune``
(``custom_from_mask``), so the usual torch tooling (``prune.is_pruned``, ``prune.remove``) applies;
torch masks only write zeros, so :func:`prune` supports ``center=None`` only. Singular value
pruning changes every entry and has no mask: its kept subspaces are
:func:`sgdtails.simulator.singular_projector`.

Models already pruned by ``torch.nn.utils.prune`` (by :func:`prune` or by torch's own methods,
e.g. ``prune.l1_unstructured``) are read through their effective weight ``weight_orig *
weight_mask`` (:func:`sgdtails.realnets.layer_weights`): masks and prunings are computed from
what the forward pass uses. Writes (:func:`with_arrays`, :func:`prune_model`) go to
``weight_orig``, so torch's mask stays in force (entries it masks stay zero), and
:func:`freeze_pruned` hooks ``weight_orig``. Deep copies of such models work although torch
cannot deep-copy the non-leaf ``weight`` attribute it keeps between forward passes.
"""
from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from sgdtails.realnets.models import _weight_slots, layer_weights
from sgdtails.simulator import magnitude_mask, node_mask, prune_magnitude, prune_nodes, prune_singular
from sgdtails.simulator.masks import MatrixSVD, SVDBackend, matrix_svd, singular_rank
from sgdtails.simulator.validate import check_choice, check_kappa, check_p, check_pruning
from sgdtails.simulator.vocabulary import CENTERS, MATRIX_CENTERS, SINGULAR_COUNTS

__all__ = [
    "LayerSVD",
    "as_matrix",
    "freeze_pruned",
    "layer_arrays",
    "layer_center",
    "layer_svds",
    "prune",
    "prune_arrays",
    "prune_model",
    "pruning_masks",
    "with_arrays",
    "write_arrays",
]


def layer_arrays(model: nn.Module) -> list[np.ndarray]:
    """float64 NumPy copies of the model's prunable weights (:func:`sgdtails.realnets.layer_weights`), torch layout.

    A weight pruned by ``torch.nn.utils.prune`` is read as its effective value ``weight_orig * weight_mask``.
    """
    return [w.detach().cpu().double().numpy().copy() for w in layer_weights(model)]


def as_matrix(w: np.ndarray, scheme: str) -> np.ndarray:
    """The 2-D matrix ``scheme`` works on.

    A ``Linear`` weight itself; a conv weight (out, in, *kernel) — ``Conv2d`` (out, in, kh, kw) or
    ``Conv1d`` (out, in, k) — as out × (in·kh·kw) for ``"singular"``, else as the (kh·kw) × (out·in)
    matrix whose columns are the kernels.
    """
    if w.ndim == 2:
        return w
    if w.ndim not in (3, 4):
        raise ValueError(f"layer weights must be 2-D (Linear), 3-D (Conv1d) or 4-D (Conv2d), got shape {w.shape}")
    if scheme == "singular":
        return w.reshape(w.shape[0], -1)
    return w.reshape(w.shape[0] * w.shape[1], -1).T  # columns are the kh×kw kernels


def _unmatrix(a: np.ndarray, w: np.ndarray, scheme: str) -> np.ndarray:
    if w.ndim == 2:
        return a
    return (a if scheme == "singular" else a.T).reshape(w.shape)


def _check(kappa: float, scheme: str, scope: str, center: str | None, centers: tuple = CENTERS) -> float:
    k = check_kappa(kappa, allow_zero=True)
    check_pruning(scheme, scope)
    check_choice(center, "center", centers)
    return k


def _offset(a: np.ndarray, center: str | None) -> float | np.ndarray:
    """What ``center`` subtracts from the matrix ``a``: 0, its median, or its column / row medians (broadcastable)."""
    if center is None:
        return 0.0
    if center == "median":
        return float(np.median(a))
    return np.median(a, axis=0 if center == "column_median" else 1, keepdims=True)


@dataclass(frozen=True)
class LayerSVD:
    """One layer's matrix for singular value pruning, centred, with its SVD taken once (:func:`layer_svds`).

    Attributes
    ----------
    center : {None, "median", "column_median", "row_median"}
        The centring it was taken with (:func:`prune_arrays` checks that it is the one asked for).
    offset : float or numpy.ndarray
        What was subtracted from ``as_matrix(w, "singular")`` before the SVD (and is added back
        after pruning): 0, the layer's median, or its column (1 × n) / row (m × 1) medians.
    svd : sgdtails.simulator.masks.MatrixSVD
        The thin SVD of the centred matrix.
    """

    center: str | None
    offset: float | np.ndarray
    svd: MatrixSVD


def _torch_svd(device: torch.device) -> SVDBackend:
    """``torch.linalg.svd`` on ``device`` (float64), factors copied back as NumPy arrays."""
    def svd(b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u, s, vh = torch.linalg.svd(torch.from_numpy(np.ascontiguousarray(b)).to(device), full_matrices=False)
        return u.cpu().numpy(), s.cpu().numpy(), vh.cpu().numpy()
    return svd


def layer_svds(
    layers: Sequence[np.ndarray], *, center: str | None = None, device: str | torch.device = "cpu"
) -> list[LayerSVD]:
    """The SVD of every layer's singular-pruning matrix, taken once for a sweep over κ (Theorem 2).

    Singular value pruning at κ keeps the leading r(κ) triplets of one and the same SVD, so
    ``prune_arrays(layers, κ, scheme="singular", center=center, svds=layer_svds(layers, center=center))``
    costs a matrix product per layer and κ instead of an SVD.

    Parameters
    ----------
    layers : sequence of arrays
        The layers in torch layout, as for :func:`prune_arrays` (conv weights as out × (in·kh·kw)).
    center : {None, "median", "column_median", "row_median"}
        Subtracted before the SVD (:func:`prune_arrays`).
    device : str or torch.device
        Where the SVD is computed. A CUDA device: ``torch.linalg.svd`` in float64 on it, the factors
        copied back to the CPU (they agree with NumPy's to rounding; singular vectors of tied
        singular values may differ, the pruned matrix does not). Any other: ``numpy.linalg.svd``
        on the CPU, exactly what :func:`sgdtails.simulator.prune_singular` computes, so that the
        pruned layers equal its result bit for bit.

    Returns
    -------
    list of LayerSVD
        One per layer.
    """
    check_choice(center, "center", MATRIX_CENTERS)
    dev = torch.device(device)
    backend = _torch_svd(dev) if dev.type == "cuda" else None
    out = []
    for w in layers:
        a = as_matrix(np.asarray(w, dtype=np.float64), "singular")
        offset = _offset(a, center)
        out.append(LayerSVD(center, offset, matrix_svd(a - offset, backend=backend)))
    return out


def layer_center(w: np.ndarray, scheme: str, center: str | None) -> float | np.ndarray:
    """What :func:`prune_arrays` centres each entry of the layer ``w`` on: a number, or an array of ``w``'s shape.

    0 for ``center=None``, the layer's median for ``"median"``; for ``"column_median"`` /
    ``"row_median"`` each entry's column / row median in the matrix ``scheme`` works on
    (:func:`as_matrix`), laid out as ``w``. Pruned entries hold this value.
    """
    check_choice(center, "center", MATRIX_CENTERS)
    w = np.asarray(w, dtype=np.float64)
    mat = as_matrix(w, scheme)
    offset = _offset(mat, center)
    if np.isscalar(offset):
        return float(offset)  # type: ignore[arg-type]
    return _unmatrix(np.broadcast_to(offset, mat.shape).copy(), w, scheme)


def _check_svds(svds: Sequence[LayerSVD], layers: list[np.ndarray], scheme: str, center: str | None) -> None:
    if scheme != "singular":
        raise ValueError(f"svds applies to scheme='singular' only, got scheme={scheme!r}")
    if len(svds) != len(layers):
        raise ValueError(f"svds must have one entry per layer ({len(layers)}), got {len(svds)}")
    for i, (d, w) in enumerate(zip(svds, layers)):
        if d.center != center:
            raise ValueError(f"svds[{i}] was taken with center={d.center!r}, not center={center!r}")
        if d.svd.shape != as_matrix(w, "singular").shape:
            raise ValueError(f"svds[{i}] is of a {d.svd.shape} matrix, layer {i} prunes as {as_matrix(w, 'singular').shape}")


def prune_arrays(
    layers: Sequence[np.ndarray],
    kappa: float,
    *,
    scheme: str = "magnitude",
    scope: str = "layer",
    center: str | None = None,
    count: str = "parameters",
    p: float = 2.0,
    svds: Sequence[LayerSVD] | None = None,
    centers: Sequence[float | np.ndarray] | None = None,
) -> list[np.ndarray]:
    """Prune weight arrays in torch layout (module docstring); returns new arrays.

    Parameters
    ----------
    layers : sequence of arrays
        2-D ``Linear`` weights (out × in) and/or conv weights (out, in, kh, kw) / (out, in, k).
    kappa : float
        Kept fraction κ ∈ [0, 1] (pruning ratio 1 − κ).
    scheme : {"magnitude", "singular", "nodes"}
    scope : {"layer", "global"}
        One budget per layer, or (magnitude only) one over all layers.
    center : {None, "median", "column_median", "row_median"}
        None (default): pruned entries are exactly zero (SPEC §2). ``"median"``: the paper's
        convention (Section S1.5): each layer's median is subtracted before pruning and added back
        after, so pruned entries hold the median. ``"column_median"`` / ``"row_median"``
        (``"singular"`` and ``"nodes"`` only): the median of each column / row of the matrix the
        scheme works on (:func:`as_matrix`) is subtracted and added back — the authors' code centres
        columns before the SVD and rows before node pruning.
    count : {"parameters", "paper", "values"}
        Singular values: what κ counts (:func:`sgdtails.simulator.singular_rank`; ``"paper"``: κ is
        1 − the authors' singular-value ratio).
    p : float
        Node pruning: exponent of the norm that ranks columns / kernels.
    svds : sequence of LayerSVD, optional
        Singular values: the layers' SVDs from :func:`layer_svds` with the same ``center``, reused
        instead of one SVD per layer and call (on the CPU the result is the same bit for bit).
    centers : sequence, optional
        The layers' :func:`layer_center` for this ``scheme`` and ``center``, computed once by a
        caller that prunes the same layers at many κ (a median of a large layer costs as much as the
        pruning); the same result bit for bit.

    Returns
    -------
    list of numpy.ndarray
        The pruned layers, float64, in the shapes of ``layers``.
    """
    k = _check(kappa, scheme, scope, center, MATRIX_CENTERS)
    check_choice(count, "count", SINGULAR_COUNTS)
    if scheme == "magnitude" and center not in CENTERS:
        raise ValueError(f"center={center!r} applies to scheme 'singular' and 'nodes'; magnitude pruning takes "
                         f"one of {CENTERS}")
    layers = [np.asarray(w, dtype=np.float64) for w in layers]
    if svds is not None:
        _check_svds(svds, layers, scheme, center)
    if k == 1.0:  # nothing pruned (singular value pruning by parameter count would otherwise drop rank)
        return [w.copy() for w in layers]
    if centers is not None and len(centers) != len(layers):
        raise ValueError(f"centers must have one entry per layer ({len(layers)}), got {len(centers)}")
    if scheme == "magnitude":
        cs = None if centers is None else [float(np.asarray(c)) for c in centers]
        if k == 0.0:
            fill = cs or [float(np.median(w)) if center == "median" else 0.0 for w in layers]
            return [np.full_like(w, c) for w, c in zip(layers, fill)]
        return [np.asarray(o) for o in prune_magnitude(list(layers), k, scope=scope, center=center, centers=cs)]
    pruned = []
    for i, w in enumerate(layers):
        mat = as_matrix(w, scheme)
        if svds is not None:
            offset = svds[i].offset
        elif centers is not None:  # layer_center's value, laid out as the matrix this scheme prunes
            c = centers[i]
            offset = float(np.asarray(c)) if np.ndim(c) == 0 else as_matrix(np.asarray(c, dtype=np.float64), scheme)
        else:
            offset = _offset(mat, center)
        if k == 0.0:
            a = np.zeros(mat.shape)
        elif svds is not None:
            a = svds[i].svd.low_rank(singular_rank(k, mat.shape[0], mat.shape[1], count=count))
        else:  # a scalar centre is subtracted in torch layout, as it always was (the same rounding)
            centred = as_matrix(w - offset, scheme) if np.isscalar(offset) else mat - offset
            a = prune_singular(centred, k, count=count) if scheme == "singular" else prune_nodes(centred, k, p=p)
        pruned.append(_unmatrix(a + offset, w, scheme))
    return pruned


def prune_model(model: nn.Module, kappa: float, *, scheme: str = "magnitude", scope: str = "layer",
                **kw: object) -> nn.Module:
    """A deep copy of ``model`` with every prunable layer pruned by :func:`prune_arrays` at kept fraction κ.

    ``model`` itself is not changed. Other keywords (``center``, ``count``, ``p``) as in
    :func:`prune_arrays`; by default (``center=None``) pruned entries are exactly zero, with
    ``center="median"`` (the paper's convention) they hold their layer's median. A model pruned by
    ``torch.nn.utils.prune`` is pruned from its effective weights and stays torch-pruned: its own
    mask keeps its masked entries at zero (:func:`with_arrays`).

    Parameters
    ----------
    model : torch.nn.Module
        The network (left unchanged).
    kappa : float
        Kept fraction κ ∈ [0, 1].
    scheme, scope : str
        The pruning (module docstring).
    **kw
        ``center``, ``count``, ``p`` of :func:`prune_arrays`.

    Returns
    -------
    torch.nn.Module
        The pruned copy.
    """
    return with_arrays(model, prune_arrays(layer_arrays(model), kappa, scheme=scheme, scope=scope, **kw))  # type: ignore[arg-type]


def _deepcopy(model: nn.Module) -> nn.Module:
    """``copy.deepcopy(model)`` that also works for models pruned by ``torch.nn.utils.prune``.

    Such a module keeps its effective weight as a plain attribute ``weight = weight_orig *
    weight_mask``; after a pruning call or a forward pass with autograd on it is a non-leaf tensor,
    and ``copy.deepcopy`` raises on it ("Only Tensors created explicitly by the user (graph leaves)
    support the deepcopy protocol"). The copy takes a detached clone instead, then recomputes that
    attribute from its own ``weight_orig`` and ``weight_mask`` (as torch's forward pre-hook does).
    """
    memo: dict[int, object] = {}
    for module in model.modules():
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, torch_prune.BasePruningMethod):
                t = module.__dict__.get(hook._tensor_name)
                if isinstance(t, torch.Tensor):
                    memo[id(t)] = t.detach().clone()
    out = copy.deepcopy(model, memo)
    _refresh(out)
    return out


def _refresh(model: nn.Module) -> None:
    """Recompute the effective ``weight`` attribute of every torch-pruned tensor from ``weight_orig * weight_mask``."""
    with torch.no_grad():
        for module in model.modules():
            for hook in list(module._forward_pre_hooks.values()):
                if isinstance(hook, torch_prune.BasePruningMethod):
                    setattr(module, hook._tensor_name, hook.apply_mask(module))


def with_arrays(model: nn.Module, arrays: Sequence[np.ndarray]) -> nn.Module:
    """A deep copy of ``model`` whose prunable layers hold ``arrays`` (cast to the layers' dtype).

    For a layer pruned by ``torch.nn.utils.prune`` the array is written to ``weight_orig``: the
    layer's torch mask stays in force, so its effective weight is ``array * weight_mask`` (masked
    entries stay zero, whatever the array holds there).

    Parameters
    ----------
    model : torch.nn.Module
        The network (left unchanged).
    arrays : sequence of arrays
        One array per :func:`sgdtails.realnets.layer_weights` entry, in its shape.

    Returns
    -------
    torch.nn.Module
        The copy.
    """
    out = _deepcopy(model)
    write_arrays(out, arrays)
    return out


def write_arrays(model: nn.Module, arrays: Sequence[np.ndarray]) -> None:
    """Write ``arrays`` into the prunable layers of ``model`` **in place** (:func:`with_arrays` without the copy).

    For a sweep over many prunings of one model: one working copy, rewritten for each (every prunable
    layer is overwritten each time, so nothing of the previous pruning survives).
    """
    slots = _weight_slots(model)
    if len(arrays) != len(slots):
        raise ValueError(f"arrays must have one entry per prunable layer ({len(slots)}), got {len(arrays)}")
    with torch.no_grad():
        for (_module, _name, w, _mask), a in zip(slots, arrays):
            if tuple(a.shape) != tuple(w.shape):
                raise ValueError(f"array shape {tuple(a.shape)} does not match weight shape {tuple(w.shape)}")
            w.copy_(torch.from_numpy(np.asarray(a)).to(dtype=w.dtype, device=w.device))
    _refresh(model)


def pruning_masks(
    model: nn.Module,
    kappa: float,
    *,
    scheme: str = "magnitude",
    scope: str = "layer",
    center: str | None = None,
    p: float = 2.0,
) -> list[torch.Tensor]:
    """Boolean masks (True = kept) of the entries :func:`prune_model` keeps, one per prunable layer.

    They are :func:`sgdtails.simulator.magnitude_mask` and :func:`sgdtails.simulator.node_mask`
    of the layers (in the matrix layout of :func:`as_matrix`), on the device of each weight,
    computed from the effective weights of layers pruned by ``torch.nn.utils.prune``.
    ``scheme="singular"`` raises: singular value pruning changes every entry.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    kappa : float
        Kept fraction κ ∈ [0, 1].
    scheme : {"magnitude", "nodes"}
    scope : {"layer", "global"}
    center : {None, "median"}
        Rank |w| (default) or |w − median| (the paper's convention), as in :func:`prune_arrays`.
    p : float
        Node pruning: exponent of the norm that ranks columns / kernels.

    Returns
    -------
    list of torch.Tensor
        Boolean masks in the shapes of the layers.
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


_MASKABLE = (nn.Linear, nn.Conv1d, nn.Conv2d)


def prune(model: nn.Module, scheme: str, kappa: float, *, scope: str = "layer", center: str | None = None,
          p: float = 2.0) -> nn.Module:
    """Prune ``model`` in place with ``torch.nn.utils.prune``, installing the toolkit's exact masks.

    Every prunable layer (the ``weight`` of each ``Linear``, ``Conv1d`` and ``Conv2d`` module, i.e.
    every :func:`sgdtails.realnets.layer_weights` entry) gets ``torch.nn.utils.prune.custom_from_mask``
    with its :func:`pruning_masks` mask — :func:`sgdtails.simulator.magnitude_mask` or
    :func:`sgdtails.simulator.node_mask` in the layout of :func:`as_matrix`. Pruned entries are
    exactly zero; afterwards ``torch.nn.utils.prune.is_pruned(model)`` is True and
    ``torch.nn.utils.prune.remove(module, "weight")`` makes a layer's pruning permanent.

    On a model already pruned by ``torch.nn.utils.prune`` the masks are computed from the effective
    weights ``weight_orig * weight_mask`` and torch combines them with the existing masks
    (``PruningContainer``), so the entries kept are those the toolkit's mask keeps of the
    effective weights (intersected with the old mask).

    Parameters
    ----------
    model : torch.nn.Module
        Changed in place.
    scheme : {"magnitude", "nodes"}
        ``"singular"`` has no mask and raises: use :func:`prune_model` (or
        :func:`sgdtails.simulator.singular_projector`).
    kappa : float
        Kept fraction κ ∈ [0, 1].
    scope : {"layer", "global"}
        One budget per layer, or (magnitude only) one over all layers.
    center : {None}
        Only None: a torch mask can only write zeros, so the paper's median centring (pruned
        entries hold the median) raises ``ValueError``; use ``prune_model(..., center="median")``.
    p : float
        Node pruning: exponent of the norm that ranks columns / kernels.

    Returns
    -------
    torch.nn.Module
        ``model`` itself.
    """
    _check(kappa, scheme, scope, center)
    check_p(p)
    if center is not None:
        raise ValueError(f"center={center!r} cannot be expressed by a torch mask (masks write zeros, median centring "
                         "writes the median into pruned entries); use prune_model(model, kappa, center='median'), "
                         "which returns a pruned copy, or center=None")
    if scheme == "singular":
        raise ValueError("scheme='singular' changes every entry and has no mask for torch.nn.utils.prune; use "
                         "prune_model(model, kappa, scheme='singular') (a pruned copy) or "
                         "sgdtails.simulator.singular_projector")
    slots = _weight_slots(model)
    for module, name, _w, _mask in slots:
        if not isinstance(module, _MASKABLE) or name != "weight":
            raise ValueError(f"prune masks the weight of Linear, Conv1d and Conv2d modules; the prunable parameter "
                             f"{name!r} of {type(module).__name__} is not one: use prune_model")
    masks = pruning_masks(model, kappa, scheme=scheme, scope=scope, center=None, p=p)
    for (module, name, _w, _mask), m in zip(slots, masks):
        torch_prune.custom_from_mask(module, name, m)
    return model


def freeze_pruned(model: nn.Module, masks: Sequence[torch.Tensor]) -> list[torch.utils.hooks.RemovableHandle]:
    """Zero the gradient of the pruned entries (mask False) of every prunable layer of ``model``.

    Registers a gradient hook per weight (``handle.remove()`` undoes it); for a layer pruned by
    ``torch.nn.utils.prune`` on the parameter that is trained, ``weight_orig``. With plain SGD (no
    momentum, no weight decay) pruned entries then keep their pruned value exactly.

    Parameters
    ----------
    model : torch.nn.Module
        The network.
    masks : sequence of torch.Tensor
        One boolean mask (True = kept) per :func:`sgdtails.realnets.layer_weights` entry.

    Returns
    -------
    list of torch.utils.hooks.RemovableHandle
        The hooks.
    """
    weights = [w for _module, _name, w, _mask in _weight_slots(model)]
    if len(masks) != len(weights):
        raise ValueError(f"masks must have one entry per prunable layer ({len(weights)}), got {len(masks)}")
    handles = []
    for w, m in zip(weights, masks):
        if m.shape != w.shape:
            raise ValueError(f"mask shape {tuple(m.shape)} does not match weight shape {tuple(w.shape)}")
        keep = m.to(device=w.device, dtype=w.dtype)
        handles.append(w.register_hook(lambda g, keep=keep: g * keep))
    return handles
