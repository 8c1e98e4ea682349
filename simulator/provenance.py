"""Where a result came from: one provenance record for every file the library writes.

:func:`provenance` gathers the installed versions of sgdtails and of the packages the numbers
depend on, the git commit of the source tree when sgdtails runs from a checkout, the command
line, the machine and the time. Versions are read from the installed metadata, so nothing heavy
(PyTorch, Numba) is imported to describe it.
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
from datetime import datetime, timezone
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

__all__ = ["DEPENDENCIES", "git_commit", "package_version", "package_versions", "provenance"]

DEPENDENCIES = ("numpy", "scipy", "numba", "llvmlite", "torch", "matplotlib", "tqdm", "joblib", "dask", "distributed")
"""Packages whose installed versions a provenance record lists (absent ones as None)."""


@lru_cache(maxsize=1)
def package_version() -> str:
    """The installed version of sgdtails (``0.0.0+unknown`` when it is not installed).

    Read once per process: it is part of every cell hash and record, and reading the installed
    metadata costs about a millisecond.
    """
    try:
        return version("sgdtails")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def package_versions(packages: tuple[str, ...] = DEPENDENCIES) -> dict[str, str | None]:
    """Python, sgdtails and the installed version of each of ``packages`` (None if absent)."""
    out: dict[str, str | None] = {"python": platform.python_version(), "sgdtails": package_version()}
    for dist in packages:
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@lru_cache(maxsize=1)
def git_commit() -> dict[str, object] | None:
    """``{"commit": sha, "dirty": bool}`` of the checkout sgdtails runs from, or None.

    None for a regular install (the package lives in ``site-packages``, whatever repository that
    folder may sit in) and where git is unavailable.
    """
    here = Path(__file__).resolve().parent
    if "site-packages" in here.parts or "dist-packages" in here.parts:
        return None
    top = _git(["rev-parse", "--show-toplevel"], here)
    commit = _git(["rev-parse", "HEAD"], here)
    if top is None or commit is None or not (Path(top) / "simulator").is_dir():
        return None
    status = _git(["status", "--porcelain", "--untracked-files=no"], Path(top))
    return {"commit": commit, "dirty": bool(status)}


def provenance() -> dict[str, object]:
    """Versions, git commit, command line, machine and time of this process (JSON-ready)."""
    return {
        "versions": package_versions(),
        "git": git_commit(),
        "command": [os.path.basename(sys.argv[0]) if sys.argv else "", *sys.argv[1:]],
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor() or None,
            "cpu_count": os.cpu_count(),
        },
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
