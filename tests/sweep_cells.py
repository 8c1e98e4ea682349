"""Top-level cell functions for the sweep tests (importable by loky and Dask workers)."""
from __future__ import annotations

import dataclasses
import os
import time
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sgdtails.simulator.sweep import Study

__all__ = [
    "S1Config",
    "SleepConfig",
    "boom_cell",
    "flaky_cell",
    "pid_cell",
    "s1_cell",
    "s1_study",
    "sleep_cell",
    "sleep_study",
    "table_cell",
    "threads_cell",
    "trivial_cell",
]


@dataclasses.dataclass(frozen=True)
class S1Config:
    """One Figure S1 cell: an m×n SαS weight matrix of a given structure."""

    alpha: float
    structure: str
    m: int
    n: int


@dataclasses.dataclass(frozen=True)
class SleepConfig:
    """A cell that sleeps ``sleep`` seconds, then draws one uniform."""

    k: int
    sleep: float


def s1_cell(cfg: S1Config, seed: np.random.SeedSequence) -> dict:
    """Figure S1: the prunable fraction at relative ℓ2 error 0.1."""
    from sgdtails.simulator import pruning_ratio, sample_weights

    w = sample_weights(cfg.alpha, (cfg.m, cfg.n), structure=cfg.structure, seed=seed)
    return {"pruning_ratio": pruning_ratio(w, 0.1)}


def sleep_cell(cfg: SleepConfig, seed: np.random.SeedSequence) -> dict:
    """Sleeps, then returns a uniform drawn from the cell's stream."""
    time.sleep(cfg.sleep)
    return {"u": float(np.random.default_rng(seed).random()), "k2": cfg.k * cfg.k}


def boom_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """Raises for k == 2, else returns k (a cell that fails must not stop the others)."""
    if cfg["k"] == 2:
        raise RuntimeError("cell two exploded")
    return {"value": np.float64(cfg["k"]) / 3, "flag": np.bool_(cfg["k"] % 2)}


def flaky_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """Raises for k == 2 while the file ``cfg['trap']`` exists (a failure that a later run fixes)."""
    if cfg["k"] == 2 and os.path.exists(cfg["trap"]):
        raise RuntimeError("trap file present")
    return {"value": cfg["k"] + 0.5}


def threads_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """The thread caps the computing process sees."""
    import numba

    return {"numba_threads": numba.get_num_threads(), "omp": os.environ.get("OMP_NUM_THREADS")}


def table_cell(cfg: dict, seed: np.random.SeedSequence) -> list[dict]:
    """A small table: ``cfg['rows']`` rows of one normal draw each."""
    rng = np.random.default_rng(seed)
    return [{"j": j, "z": rng.standard_normal()} for j in range(cfg["rows"])]


def trivial_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """Returns at once (measures a backend's pure overhead per cell)."""
    return {"out": cfg["k"]}


def pid_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """The id of the process that computed the cell."""
    return {"pid": os.getpid()}


def s1_study(n_alpha: int = 2, size: int = 60, name: str = "s1") -> "Study":
    """A small Figure S1 grid: ``n_alpha`` α in [1.75, 2] × three structures, size × size weights."""
    from sgdtails.simulator.sweep import Study

    alphas = np.linspace(1.75, 2.0, n_alpha).tolist()
    grid = [S1Config(a, s, size, size) for a in alphas for s in ("iid", "column", "layer")]
    return Study(name, s1_cell, grid, seed=2021, version="test")


def sleep_study(n: int = 40, sleep: float = 0.05) -> "Study":
    """``n`` cells that each sleep ``sleep`` seconds (for killing a run midway)."""
    from sgdtails.simulator.sweep import Study

    return Study("slow", sleep_cell, [SleepConfig(k, sleep) for k in range(n)], seed=7)
