"""Argument checks of every public function: each raises ``ValueError`` naming the argument.

Public so that code built on the library (and the library's own ``theory``, ``realnets`` and
``figures``) validates inputs the same way, with the same messages: α ∈ (0, 2], κ ∈ (0, 1],
p > 0, ε ≥ 0, non-empty finite arrays of the right dimension, integers with a lower bound, choices
from the vocabulary of :mod:`sgdtails.simulator.vocabulary`. Each check returns the value in its
canonical type (``float``, ``int``, a float64 or float32 array, …).
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

__all__ = [
    "check_alpha",
    "check_kappa",
    "check_scale",
    "check_positive_index",
    "check_p",
    "check_eps",
    "check_probability",
    "check_size",
    "check_dtype",
    "finite_array",
    "as_numpy",
    "is_tensor_like",
    "check_choice",
    "check_subset",
    "check_int",
    "check_bool",
    "check_sizes",
    "check_pruning",
    "MAX_SIZE",
    "MAX_H",
]


def _real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_alpha(alpha: object, name: str = "alpha", *, low: float = 0.0, high: float = 2.0) -> float:
    """α ∈ (low, high] (default (0, 2], the stability index)."""
    a = _real(alpha, name)
    if not low < a <= high:
        raise ValueError(f"{name} must be in ({low:g}, {high:g}], got {a}")
    return a


def check_scale(scale: object, name: str = "scale") -> float:
    """σ > 0, a scale parameter."""
    v = _real(scale, name)
    if v <= 0.0:
        raise ValueError(f"{name} must be > 0, got {v}")
    return v


def check_positive_index(a: object, name: str = "a") -> float:
    """A ∈ (0, 1), the index of a positive stable law."""
    v = _real(a, name)
    if not 0.0 < v < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {v}")
    return v


def check_kappa(kappa: object, name: str = "kappa", *, allow_zero: bool = False) -> float:
    """κ ∈ (0, 1], the kept (remaining) fraction; ``allow_zero``: κ ∈ [0, 1] (0 keeps nothing)."""
    k = _real(kappa, name)
    if not (0.0 <= k <= 1.0 if allow_zero else 0.0 < k <= 1.0):
        raise ValueError(f"{name} must be in {'[0, 1]' if allow_zero else '(0, 1]'}, got {k}")
    return k


def check_p(p: object, name: str = "p") -> float:
    """P ∈ (0, ∞), the exponent of the ℓp (semi-)norm."""
    v = _real(p, name)
    if v <= 0.0:
        raise ValueError(f"{name} must be > 0, got {v}")
    return v


def check_probability(value: object, name: str, *, low_open: bool = True) -> float:
    """A level in (0, 1) (``low_open=False``: [0, 1)), such as a confidence c or a test level."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number in {'(' if low_open else '['}0, 1), got {value!r}")
    v = float(value)
    if not ((0.0 < v) if low_open else (0.0 <= v)) or not v < 1.0:
        raise ValueError(f"{name} must be a number in {'(' if low_open else '['}0, 1), got {value!r}")
    return v


def check_eps(eps: object, name: str = "eps", *, positive: bool = False) -> float:
    """ε ≥ 0, a relative error level (ε > 0 with ``positive``: a level an error must reach)."""
    v = _real(eps, name)
    if v < 0.0 or (positive and v == 0.0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {v}")
    return v


def check_size(size: object, name: str = "size") -> tuple[int, ...]:
    """An int or a sequence of non-negative ints, as NumPy's ``size``."""
    dims = (size,) if isinstance(size, numbers.Integral) else size
    if not isinstance(dims, Sequence | np.ndarray) or isinstance(dims, str):
        raise ValueError(f"{name} must be an int or a sequence of ints, got {size!r}")
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise ValueError(f"{name} must hold non-negative ints, got {size!r}")
        out.append(int(d))
    return tuple(out)


def check_dtype(dtype: object, name: str = "dtype") -> np.dtype:
    """float32 or float64."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError as exc:
        raise ValueError(f"{name} must be float32 or float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{name} must be float32 or float64, got {dt}")
    return dt


def finite_array(
    x: object, name: str, *, ndim: int | tuple[int, ...] | None = None, finite: bool = True
) -> np.ndarray:
    """``x`` as a non-empty float array with only finite entries (float32 kept, else float64).

    ``x`` may be a torch tensor, also one that requires grad or lives on a GPU: it is read as
    ``x.detach().cpu().numpy()`` (see :func:`as_numpy`). ``finite=False`` leaves the finiteness
    check to the caller (one fused pass elsewhere).
    """
    try:
        arr = np.asarray(as_numpy(x))
    except (TypeError, ValueError, RuntimeError) as exc:
        raise ValueError(f"{name} must be a numeric array: {exc}") from exc
    if arr.dtype.kind not in "fiub":
        raise ValueError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.dtype != np.float32:
        arr = arr.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in allowed:
            raise ValueError(f"{name} must have {' or '.join(map(str, allowed))} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    if finite and not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def is_tensor_like(x: object) -> bool:
    """Whether ``x`` looks like a torch tensor (``detach``, ``cpu`` and ``numpy`` methods); torch is not imported."""
    return hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy")


def as_numpy(x: object) -> object:
    """A tensor-like ``x`` (:func:`is_tensor_like`) as ``x.detach().cpu().numpy()``; anything else unchanged.

    Duck typing, so the simulator needs no torch: ``detach`` drops the autograd graph (``numpy()`` refuses
    a tensor that requires grad), ``cpu`` copies a GPU tensor to host memory (``numpy()`` refuses a CUDA
    tensor). A dtype NumPy lacks (bfloat16) is widened by ``float()`` first when the tensor has it.
    """
    if not is_tensor_like(x):
        return x
    t = x.detach().cpu()  # type: ignore[attr-defined]
    try:
        return t.numpy()
    except TypeError:  # e.g. bfloat16: "Got unsupported ScalarType BFloat16"
        if not hasattr(t, "float"):
            raise
        return t.float().numpy()


def check_choice(value: object, name: str, choices: Sequence[object]) -> object:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value


def check_subset(values: object, name: str, choices: Sequence[object]) -> tuple:
    """A non-empty sequence of distinct items of ``choices``, as a tuple (order kept)."""
    if isinstance(values, str) or not isinstance(values, Sequence) or len(values) == 0:
        raise ValueError(f"{name} must be a non-empty sequence of {', '.join(map(repr, choices))}; got {values!r}")
    for v in values:
        check_choice(v, name, choices)
    if len(set(values)) != len(values):
        raise ValueError(f"{name} must not repeat an item, got {values!r}")
    return tuple(values)


def check_int(value: object, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """An integer (not a bool), at least ``low`` and at most ``high`` when given."""
    rng = ("" if low is None else f" >= {low}") + ("" if high is None else f"{' and' if low is not None else ''} <= {high}")
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int{rng}, got {value!r}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name} must be an int{rng}, got {value!r}")
    return v


def check_bool(value: object, name: str) -> bool:
    """``True`` or ``False`` (NumPy bools accepted)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be a bool, got {value!r}")
    return bool(value)


MAX_SIZE = 2**53
"""Largest size any grid may hold: sizes stay exact as float64 (log-size fits, counts); the memory
or time a size needs is the caller's to bound (the CLI refuses what cannot run)."""
MAX_H = 2**26
"""Largest side h of the h × h matrices the checks sample (h² ≤ 2^52 entries)."""


def check_sizes(sizes: object, name: str = "sizes", *, low: int = 2, high: int = MAX_SIZE) -> list[int]:
    """A grid of at least 2 distinct ints in [``low``, ``high``], sorted ascending."""
    if isinstance(sizes, str) or not isinstance(sizes, Sequence | np.ndarray) or len(sizes) < 2:
        raise ValueError(f"{name} must be a sequence of at least 2 sizes, got {sizes!r}")
    out = []
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or not low <= int(s) <= high:
            raise ValueError(f"{name} must hold ints in [{low}, {high}], got {sizes!r}")
        out.append(int(s))
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must be distinct, got {sizes!r}")
    return sorted(out)


def check_pruning(scheme: object, scope: object) -> tuple[str, str]:
    """A valid (scheme, scope) pair of :data:`~sgdtails.simulator.vocabulary.PRUNINGS`.

    ``scope="global"`` (one budget over all layers) is defined for magnitude pruning only.
    """
    from sgdtails.simulator.vocabulary import PRUNINGS, SCHEMES, SCOPES

    check_choice(scheme, "scheme", SCHEMES)
    check_choice(scope, "scope", SCOPES)
    if (scheme, scope) not in PRUNINGS:
        raise ValueError(f"scope={scope!r} is defined for magnitude pruning only, got scheme={scheme!r}")
    return str(scheme), str(scope)
