"""The weight layers of any PyTorch model, state_dict or checkpoint, by module path (for :func:`sgdtails.analyze`).

What counts as a weight layer: the ``weight`` of every ``nn.Linear``, ``nn.Conv1d`` and ``nn.Conv2d``
(subclasses included), in the model's module order, named by its module path (``"features.3"``,
``"classifier"``). Everything else is *skipped* and listed with the reason: biases, normalisation
and embedding weights, the parameters of other layer types (``Conv3d``, attention in-projections, …).

A module pruned with :mod:`torch.nn.utils.prune` keeps the unmasked values in ``weight_orig`` and
the mask in the buffer ``weight_mask``; it is read through its **effective** weight
``weight_orig * weight_mask`` (the weight the forward pass uses), for modules and state_dicts alike.

A state_dict has no module types: a ``<name>.weight`` (or ``weight_orig``/``weight_mask`` pair) is
taken as ``Linear`` when 2-D, ``Conv1d`` when 3-D and ``Conv2d`` when 4-D — except that 2-D weights
whose name contains ``embed`` are skipped as embeddings (a heuristic; pass the module when it
matters). A checkpoint file is read with ``torch.load(..., weights_only=True)`` (no code is run);
it may hold a state_dict or a dict with one under ``"state_dict"``, ``"model_state_dict"``, ``"model"``
or ``"net"``. A pickled whole module cannot be read that way: save ``model.state_dict()`` instead.
Tensors may require grad or live on a GPU: the values are copied to CPU float64 NumPy arrays.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

__all__ = ["LAYER_TYPES", "SkippedParameter", "WeightLayer", "load_state_dict", "weight_layers"]

#: The layer types analysed, as the ``type`` column names them.
LAYER_TYPES = ("Linear", "Conv1d", "Conv2d")
_MODULE_TYPES: tuple[tuple[type[nn.Module], str], ...] = ((nn.Linear, "Linear"), (nn.Conv1d, "Conv1d"), (nn.Conv2d, "Conv2d"))
_NDIM_TYPES = {2: "Linear", 3: "Conv1d", 4: "Conv2d"}
_NESTED_KEYS = ("state_dict", "model_state_dict", "model", "net")
_NORMS = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm)
_EMBEDDINGS = (nn.Embedding, nn.EmbeddingBag)


@dataclass(frozen=True)
class WeightLayer:
    """One weight layer: module path, type, the (effective) weight as float64 in torch layout."""

    name: str
    type: str
    weight: np.ndarray
    pruned: bool = False

    @property
    def shape(self) -> tuple[int, ...]:
        """The weight's shape in torch layout (out, in[, k…])."""
        return tuple(self.weight.shape)


@dataclass(frozen=True)
class SkippedParameter:
    """A parameter (or state_dict entry) that is not a weight layer, with the reason."""

    name: str
    shape: tuple[int, ...]
    reason: str


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().to(device="cpu", dtype=torch.float64).numpy().copy()


def _module_type(module: nn.Module) -> str | None:
    for cls, name in _MODULE_TYPES:
        if isinstance(module, cls):
            return name
    return None


def _reason(module: nn.Module, param: str, shape: tuple[int, ...]) -> str:
    kind = type(module).__name__
    if param.startswith("bias"):
        return "bias"
    if isinstance(module, _NORMS):
        return f"normalisation ({kind})"
    if isinstance(module, _EMBEDDINGS):
        return f"embedding ({kind})"
    return f"not a Linear/Conv1d/Conv2d weight ({kind}.{param}, {len(shape)}-D)"


def _from_module(model: nn.Module) -> tuple[list[WeightLayer], list[SkippedParameter]]:
    layers: list[WeightLayer] = []
    used: set[str] = set()
    for path, module in model.named_modules():
        kind = _module_type(module)
        if kind is None:
            continue
        prefix = f"{path}." if path else ""
        orig, mask = getattr(module, "weight_orig", None), getattr(module, "weight_mask", None)
        if isinstance(orig, torch.Tensor) and isinstance(mask, torch.Tensor):
            w, pruned = orig.detach() * mask.detach().to(orig.dtype), True
            used.add(prefix + "weight_orig")
        else:
            w, pruned = module.weight, False
            used.add(prefix + "weight")
        layers.append(WeightLayer(path or type(module).__name__, kind, _numpy(w), pruned))
    skipped = []
    modules = dict(model.named_modules())
    for name, p in model.named_parameters():
        if name in used:
            continue
        owner, _, param = name.rpartition(".")
        skipped.append(SkippedParameter(name, tuple(p.shape), _reason(modules[owner], param, tuple(p.shape))))
    return layers, skipped


def _from_state_dict(state: Mapping[str, object]) -> tuple[list[WeightLayer], list[SkippedParameter]]:
    layers: list[WeightLayer] = []
    skipped: list[SkippedParameter] = []
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            skipped.append(SkippedParameter(str(key), (), f"not a tensor ({type(value).__name__})"))
            continue
        shape = tuple(value.shape)
        name, _, param = str(key).rpartition(".")
        if param == "weight_mask" and f"{name}.weight_orig" in state:
            continue  # read with its weight_orig
        if param not in ("weight", "weight_orig"):
            reason = "bias" if param.startswith("bias") else "buffer or non-weight entry" if value.ndim < 2 else \
                f"not a layer weight ({param}, {value.ndim}-D)"
            skipped.append(SkippedParameter(str(key), shape, reason))
            continue
        kind = _NDIM_TYPES.get(value.ndim)
        if kind is None:
            reason = ("normalisation or scale weight (1-D)" if value.ndim <= 1
                      else f"{value.ndim}-D weight (not Linear/Conv1d/Conv2d)")
            skipped.append(SkippedParameter(str(key), shape, reason))
            continue
        if kind == "Linear" and "embed" in name.lower():
            skipped.append(SkippedParameter(str(key), shape, "embedding (by name)"))
            continue
        pruned = param == "weight_orig"
        if pruned:
            mask = state.get(f"{name}.weight_mask")
            if not isinstance(mask, torch.Tensor) or tuple(mask.shape) != shape:
                raise ValueError(f"state_dict: {key} has no weight_mask of the same shape (a torch.nn.utils.prune entry)")
            value = value.detach() * mask.detach().to(value.dtype)
        layers.append(WeightLayer(name or "weight", kind, _numpy(value), pruned))
    return layers, skipped


def load_state_dict(path: str | os.PathLike[str]) -> dict[str, torch.Tensor]:
    """The state_dict in a ``.pt`` / ``.pth`` checkpoint, read with ``weights_only=True`` (module docstring).

    A directory is accepted when it holds exactly one ``.pt`` / ``.pth`` file, or is a run directory of
    :func:`sgdtails.realnets.train` (its ``final_weights.pt``).
    """
    p = Path(path)
    if p.is_dir():
        if (p / "final_weights.pt").is_file():
            p = p / "final_weights.pt"
        else:
            found = sorted(q for q in p.iterdir() if q.suffix in (".pt", ".pth") and q.is_file())
            if len(found) != 1:
                raise FileNotFoundError(f"{p}: a folder must hold exactly one .pt/.pth checkpoint, found {len(found)}")
            p = found[0]
    if not p.is_file():
        raise FileNotFoundError(f"{p}: no such model file")
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises UnpicklingError, RuntimeError, EOFError, … for foreign files
        text = str(exc).strip()
        first = f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
        hint = " (a pickled whole module? save model.state_dict() instead)" if "weights_only" in str(exc) else ""
        raise ValueError(f"{p}: not a PyTorch checkpoint readable with weights_only=True{hint}: {first[:200]}") from None
    if isinstance(obj, Mapping):
        for key in _NESTED_KEYS:
            inner = obj.get(key)
            if isinstance(inner, Mapping) and any(isinstance(v, torch.Tensor) for v in inner.values()):
                obj = inner
                break
    if not isinstance(obj, Mapping) or not any(isinstance(v, torch.Tensor) for v in obj.values()):
        raise ValueError(f"{p}: the checkpoint holds no state_dict (found {type(obj).__name__})")
    return dict(obj)


def weight_layers(obj: object) -> tuple[list[WeightLayer], list[SkippedParameter]]:
    """The weight layers of ``obj`` and the parameters skipped (module docstring).

    Parameters
    ----------
    obj : nn.Module, state_dict (mapping of names to tensors) or path to a checkpoint
        What to read.

    Returns
    -------
    (layers, skipped)
        ``layers`` in module (or state_dict) order; ``skipped`` with the reason of each.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing file, a file that is not a checkpoint, or an ``obj`` that holds no weight layer.
    """
    if isinstance(obj, nn.Module):
        layers, skipped = _from_module(obj)
        source = type(obj).__name__
    elif isinstance(obj, Mapping):
        layers, skipped = _from_state_dict(obj)
        source = "state_dict"
    elif isinstance(obj, (str, os.PathLike)):
        layers, skipped = _from_state_dict(load_state_dict(obj))
        source = os.fspath(obj)
    else:
        raise TypeError(f"expected an nn.Module, a state_dict or a checkpoint path, got {type(obj).__name__}")
    if not layers:
        listed = ", ".join(f"{s.name} ({s.reason})" for s in skipped[:5]) or "nothing"
        raise ValueError(f"{source}: no weight layer (Linear, Conv1d, Conv2d) to analyse; found {listed}")
    for layer in layers:
        if not np.isfinite(layer.weight).all():
            raise ValueError(f"{source}: layer {layer.name} holds NaN or inf")
        if layer.weight.size == 0:
            raise ValueError(f"{source}: layer {layer.name} is empty (shape {layer.shape})")
    return layers, skipped
