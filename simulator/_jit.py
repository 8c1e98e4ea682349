"""One place for Numba options, and where compiled kernels are cached.

``error_model="numpy"`` makes division by zero follow IEEE rules instead of raising;
``nogil=True`` lets the block runner use Python threads. No ``fastmath``: the kernels feed tail
sums and estimates, where inf/NaN must propagate honestly.

Cache location. Numba's ``cache=True`` writes next to the source, into the installed package's
``__pycache__``, where the files outlive an uninstall: the folder left behind then imports as an
empty namespace package in front of a later (editable) install. The kernels here are cached
instead under the user's cache folder (``<user cache>/sgdtails/numba/…``, one subfolder per
source folder), or under ``NUMBA_CACHE_DIR`` when the user set it — never inside the package.
The cache is keyed by a hash of each source file, so a stale entry is never used.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numba
from numba.core import caching
from numba.misc.appdirs import AppDirs

__all__ = ["cache_folder", "jit", "jit_inline"]


def cache_folder() -> str:
    """The folder under which the project's compiled kernels are cached (outside the package)."""
    return os.path.join(AppDirs(appname="sgdtails", appauthor=False).user_cache_dir, "numba")


class _UserCacheLocator(caching.UserWideCacheLocator):
    """Numba's user-wide locator, under the project's own cache folder."""

    def __init__(self, py_func: Callable, py_file: str) -> None:
        super().__init__(py_func, py_file)
        self._cache_path = os.path.join(cache_folder(), self.get_suitable_cache_subpath(py_file))


class _CacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [caching.UserProvidedCacheLocator, _UserCacheLocator]


class _FunctionCache(caching.FunctionCache):
    _impl_class = _CacheImpl


def _compile(func: Callable, options: dict[str, Any]) -> Any:
    cache = options.pop("cache", True)
    dispatcher = numba.njit(**options)(func)
    if cache:
        # What ``Dispatcher.enable_caching`` does, with the locators above instead of the in-tree one.
        dispatcher._cache = _FunctionCache(dispatcher.py_func)
    return dispatcher


def jit(func: Callable | None = None, **kwargs: Any) -> Any:
    """``numba.njit`` with the project's defaults (overridable per kernel): ``@jit`` or ``@jit(...)``."""
    options = {"cache": True, "error_model": "numpy", "nogil": True, **kwargs}
    if func is None:
        return lambda f: _compile(f, dict(options))
    return _compile(func, options)


def jit_inline(func: Callable) -> Any:
    """A helper that is always inlined into its caller (lets LLVM vectorise the caller's loop)."""
    return _compile(func, {"inline": "always", "cache": True, "error_model": "numpy"})
