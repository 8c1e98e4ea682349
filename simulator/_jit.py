"""One place for Numba options (STYLE: jit options set once).

``cache=True`` keeps compile time out of repeated runs; ``error_model="numpy"`` makes division by
zero follow IEEE rules instead of raising; ``nogil=True`` lets the block runner use Python threads.
No ``fastmath``: the kernels feed tail sums and estimates, where inf/NaN must propagate honestly.
"""
from __future__ import annotations

import numba

__all__ = ["jit", "jit_inline"]


def jit(*args, **kwargs):
    """``numba.njit`` with the project's defaults (overridable per kernel)."""
    options = {"cache": True, "error_model": "numpy", "nogil": True}
    options.update(kwargs)
    return numba.njit(*args, **options)


def jit_inline(func):
    """A helper that is always inlined into its caller (lets LLVM vectorise the caller's loop)."""
    return numba.njit(inline="always", cache=True, error_model="numpy")(func)
