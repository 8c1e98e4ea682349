"""Arrays-or-layers plumbing: a weight vector w = [w_1 … w_L] is an array or a list/tuple of arrays."""
from __future__ import annotations

import numpy as np

from sgdtails.simulator.validate import finite_array, is_tensor_like

__all__ = ["as_layers", "rebuild"]


def as_layers(w: object, name: str = "w", *, finite: bool = True) -> tuple[list[np.ndarray], bool]:
    """Return (validated layers, whether ``w`` was a list/tuple of arrays).

    A list or tuple whose items are all ``numpy.ndarray`` or torch tensors (duck-typed, see
    :func:`~sgdtails.simulator.validate.as_numpy`; e.g. ``list(model.parameters())``) is a sequence
    of layers; anything else (an array, a tensor, nested lists of numbers) is one array. Layers come
    back as NumPy arrays. ``finite=False``: see ``finite_array``.
    """
    if isinstance(w, list | tuple) and len(w) > 0 and all(isinstance(x, np.ndarray) or is_tensor_like(x) for x in w):
        return [finite_array(x, f"{name}[{i}]", finite=finite) for i, x in enumerate(w)], True
    return [finite_array(w, name, finite=finite)], False


def rebuild(layers: list[np.ndarray], was_sequence: bool, like: object) -> object:
    """Return ``layers`` in the structure of ``like``."""
    if not was_sequence:
        return layers[0]
    return tuple(layers) if isinstance(like, tuple) else list(layers)
