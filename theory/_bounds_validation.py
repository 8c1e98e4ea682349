"""Argument checks shared by the bound evaluators (private).

Every public evaluator in :mod:`sgdtails.theory.entropy`, :mod:`sgdtails.theory.stable_tails`,
:mod:`sgdtails.theory.network`, :mod:`sgdtails.theory.perturbation` and :mod:`sgdtails.theory.bounds` validates its
inputs at the boundary with these helpers, which raise :class:`ValueError` naming the
argument and its allowed range.  No helper ever returns NaN silently.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__: list[str] = []  # private module


def as_finite(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Return ``value`` as a float64 array, raising if it is not finite."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a real number or array, got {value!r}") from exc
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def in_range(
    name: str,
    value: ArrayLike,
    low: float,
    high: float,
    *,
    low_closed: bool,
    high_closed: bool,
) -> NDArray[np.float64]:
    """Finite array with every entry in the interval ``(low|[low, high]|high)``."""
    arr = as_finite(name, value)
    ok_low = arr >= low if low_closed else arr > low
    ok_high = arr <= high if high_closed else arr < high
    if not np.all(ok_low & ok_high):
        interval = f"{'[' if low_closed else '('}{low}, {high}{']' if high_closed else ')'}"
        raise ValueError(f"{name} must lie in {interval}, got {_show(arr)}")
    return arr


def positive(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Finite array of strictly positive entries."""
    return in_range(name, value, 0.0, np.inf, low_closed=False, high_closed=False)


def nonnegative(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Finite array of non-negative entries."""
    return in_range(name, value, 0.0, np.inf, low_closed=True, high_closed=False)


def unit_interval(name: str, value: ArrayLike) -> NDArray[np.float64]:
    """Finite array with entries in [0, 1] (ratios such as κ)."""
    return in_range(name, value, 0.0, 1.0, low_closed=True, high_closed=True)


def integers(name: str, value: ArrayLike, *, minimum: int) -> NDArray[np.float64]:
    """Integer-valued float64 array with every entry ``>= minimum``.

    Float64 represents every integer up to 2**53 exactly, which covers all sizes here.
    """
    arr = as_finite(name, value)
    if not np.all(arr == np.floor(arr)):
        raise ValueError(f"{name} must be integer-valued, got {_show(arr)}")
    if not np.all(arr >= minimum):
        raise ValueError(f"{name} must be >= {minimum}, got {_show(arr)}")
    return arr


def single_integer(name: str, value: ArrayLike, *, minimum: int) -> int:
    """One integer ``>= minimum`` (e.g. the depth L), as a Python int."""
    arr = integers(name, value, minimum=minimum)
    if arr.ndim != 0:
        raise ValueError(f"{name} must be a single integer, got shape {arr.shape}")
    return int(arr)


def snap_to_integer(x: NDArray[np.float64], rtol: float = 1e-9) -> NDArray[np.float64]:
    """Round entries within ``rtol`` (relative) of an integer to that integer.

    Products such as κ·d are meant to be integers (κ̄d = Σ⌈κ_l d_l⌉) but are often
    computed in floating point, e.g. ``0.14 * 100 == 14.000000000000002``; taking ⌈κd/2⌉ of
    that would be off by one.
    """
    nearest = np.round(x)
    close = np.abs(x - nearest) <= rtol * np.maximum(1.0, np.abs(x))
    return np.where(close, nearest, x)


def scalar_or_array(x: NDArray[np.float64]) -> NDArray[np.float64] | np.float64:
    """Unwrap 0-d arrays to NumPy scalars; leave other arrays alone."""
    return x[()]


def _show(arr: NDArray[np.float64]) -> str:
    """Short description of an offending array for error messages."""
    if arr.ndim == 0:
        return repr(float(arr))
    return f"an array with min {arr.min():g} and max {arr.max():g}" if arr.size else "[]"
