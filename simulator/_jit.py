"""One place for Numba options, and where compiled kernels are cached.

``error_model="numpy"`` makes division by zero follow IEEE rules instead of raising;
``nogil=True`` lets the block runner use Python threads. No ``fastmath``: the kernels feed tail
sums and estimates, where inf/NaN must propagate honestly.

Cache location. Numba's ``cache=True`` writes next to the source, into the installed package's
``__pycache__``, where the files outlive an uninstall: the folder left behind then imports as an
empty namespace package in front of a later (editable) install. The kernels here are cached
instead under the user's cache folder (``<user cache>/sgdtails/numba/…``, one subfolder per
source folder), or under ``NUMBA_CACHE_DIR`` when the user set it — never inside the package.
Numba keys a cached kernel by a hash of the file that defines it only, but the engine's kernels
inline helpers from sibling modules (the Philox generator, sin/cos, log/exp): a change there would
leave a stale kernel in use. Every cached kernel is therefore keyed by the content hashes of all
``.py`` files in its folder and in the engine's folder (``simulator/``, whose helpers kernels
elsewhere inline too), so editing any of them recompiles the kernels that might use it.

Twins. Several kernels are compiled twice from one Python function, serial and ``parallel=True``.
Numba names a cache entry by the function's qualified name and keys it by signature, CPU and
bytecode, not by the compile options: the two twins shared one entry, and whichever was compiled
second loaded the other's machine code (a "parallel" kernel that ran on one thread, or a serial
twin that entered the thread pool from a worker thread). The parallel twin is therefore compiled
from a copy of the function whose qualified name ends in ``__parallel``: its own cache entry.
"""
from __future__ import annotations

import os
import threading
import types
from collections.abc import Callable
from typing import Any

import numba
from numba.core import caching
from numba.misc.appdirs import AppDirs

__all__ = ["cache_folder", "jit", "jit_inline", "may_enter_pool", "serial_or_parallel"]


def cache_folder() -> str:
    """The folder under which the project's compiled kernels are cached (outside the package)."""
    return os.path.join(AppDirs(appname="sgdtails", appauthor=False).user_cache_dir, "numba")


def _folder_stamp(py_file: str) -> tuple:
    """Content hashes of every ``.py`` file beside ``py_file`` and in the engine's folder (module docstring)."""
    stamps = []
    engine = os.path.dirname(os.path.abspath(__file__))
    for folder in dict.fromkeys([os.path.dirname(os.path.abspath(py_file)), engine]):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".py"):
                path = os.path.join(folder, name)
                st = os.stat(path)
                stamps.append((path, caching._hash_source_file(path, st.st_mtime, st.st_size)))
    return tuple(stamps)


class _UserCacheLocator(caching.UserWideCacheLocator):
    """Numba's user-wide locator, under the project's own cache folder, keyed by the whole folder."""

    def __init__(self, py_func: Callable, py_file: str) -> None:
        super().__init__(py_func, py_file)
        self._cache_path = os.path.join(cache_folder(), self.get_suitable_cache_subpath(py_file))

    def get_source_stamp(self) -> tuple:
        return _folder_stamp(self._py_file)


class _ProvidedCacheLocator(caching.UserProvidedCacheLocator):
    """Numba's ``NUMBA_CACHE_DIR`` locator, keyed by the whole folder."""

    def get_source_stamp(self) -> tuple:
        return _folder_stamp(self._py_file)


class _CacheImpl(caching.CompileResultCacheImpl):
    _locator_classes = [_ProvidedCacheLocator, _UserCacheLocator]


class _FunctionCache(caching.FunctionCache):
    _impl_class = _CacheImpl


PARALLEL_SUFFIX = "__parallel"
"""Ends the qualified name, hence the cache entry, of a kernel's ``parallel=True`` twin (module docstring)."""


def _parallel_twin(func: Callable) -> Callable:
    """A copy of ``func`` (same code, globals, defaults) whose qualified name ends in :data:`PARALLEL_SUFFIX`."""
    twin = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__,
                              func.__closure__)
    twin.__qualname__ = func.__qualname__ + PARALLEL_SUFFIX
    twin.__doc__ = func.__doc__
    twin.__kwdefaults__ = func.__kwdefaults__
    twin.__module__ = func.__module__
    return twin


def _compile(func: Callable, options: dict[str, Any]) -> Any:
    cache = options.pop("cache", True)
    if options.get("parallel"):
        func = _parallel_twin(func)
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


def may_enter_pool() -> bool:
    """Whether the calling thread may run the engine's parallel kernels: only the main thread does.

    Numba's workqueue threading layer (its fallback where neither OpenMP nor TBB loads, e.g. macOS
    without libomp) aborts the process when two Python threads enter it at once. Called from any
    other thread (Dask thread workers, a user's thread pool, which already run in parallel), the
    kernels run their serial twins: the same numbers, since no result depends on the work split.
    """
    return threading.current_thread() is threading.main_thread()


def serial_or_parallel(serial: Any, parallel: Any, worth_it: bool) -> Any:
    """One of a kernel pair: ``parallel`` if the work is ``worth_it`` and :func:`may_enter_pool`, else ``serial``.

    ``worth_it``: more than one unit of work (a tile, a chunk row). Either twin gives the same numbers.
    """
    return parallel if worth_it and may_enter_pool() else serial
