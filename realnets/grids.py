"""The η/b grids of the real-network sweep (docs/theory.md §6, paper Table 2).

A grid is a tuple of :class:`RunSpec`, one frozen dataclass per training run; the sweep runner
(:mod:`sgdtails.realnets.sweep`) hashes each spec, so a spec holds everything that changes the run and
nothing that does not (no device, no output path).

* ``paper``: the authors' own list of 215 runs (:mod:`sgdtails.realnets.paper_settings`, shipped with
  the package), one run per row: FCN4 / FCN6 of width 2048 and the CNN on MNIST and CIFAR10 at the
  η and b they used (b = 50 or 100, one run at b = 10), one seed, with the paper's protocol (stop at
  100 % training accuracy and NLL < 5·10⁻⁵, 10 × 1000 averaging iterations, cap 10⁶ iterations).
  GPU work; needs ``--data-dir`` with MNIST/CIFAR10.
* ``table2``: the paper's six settings at full size with, for each b ∈ {50, 100}, 9 values of η/b
  log-spaced over Table 2's range (endpoints included, 3 significant digits): 6 × 2 × 9 = 108 runs.
  It spans Table 2's ranges for both batch sizes, which the authors did not (13 of its cells lie
  below and 6 above their per-b range); kept for a coarser, regular grid.
* ``cpu``: FCN4 of width 512 on the 5,000 real MNIST digits (``mnist5k``: 784 → 512⁴ → 10, 1,192,960
  parameters, 4,000 training images) that finishes on two CPU cores in about half an hour:
  b ∈ {50, 100} × η/b ∈ {2.5e-4 … 1.6e-2} (7 values, ×2 apart, a 64-fold span) × seeds {0, 1} = 28
  runs. The protocol is relaxed so the runs end: stop at 100 % training accuracy and NLL < 10⁻³ (not
  5·10⁻⁵), average over the last 500 of 2 × 500 further iterations, cap 60,000 iterations, declare
  divergence at chance accuracy after 20,000. (Measured: η/b = 2.5·10⁻⁴ at b = 50 converges after
  12,400 iterations, 8·10⁻³ after 1,400.)
* ``cpu_mnist1d``: the same grid and protocol with FCN4 of width 256 on MNIST-1D (40 → 256⁴ → 10,
  209,408 parameters), the CPU study before real digits were available offline.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from sgdtails.realnets.data import TeacherSpec
from sgdtails.realnets.paper_settings import read_settings
from sgdtails.realnets.train import TrainConfig
from sgdtails.realnets.vocabulary import GRID_NAMES
from sgdtails.simulator.validate import check_int

__all__ = ["GRIDS", "RunSpec", "PAPER_RANGES", "CPU_ETA_OVER_B", "grid", "paper_grid", "table2_grid", "cpu_grid",
           "cpu_mnist1d_grid"]

#: Table 2: η/b ranges, (model, dataset) → (low, high).
PAPER_RANGES = {
    ("fcn4", "cifar10"): (5e-5, 2.7e-3),
    ("fcn4", "mnist"): (5e-5, 1.14e-2),
    ("fcn6", "cifar10"): (2.5e-5, 4e-3),
    ("fcn6", "mnist"): (5e-5, 8.8e-3),
    ("cnn", "cifar10"): (1e-5, 1.5e-3),
    ("cnn", "mnist"): (1e-5, 6.35e-3),
}
PAPER_BATCH_SIZES = (50, 100)
PAPER_POINTS = 9
CPU_ETA_OVER_B = (2.5e-4, 5e-4, 1e-3, 2e-3, 4e-3, 8e-3, 1.6e-2)
CPU_BATCH_SIZES = (50, 100)
CPU_SEEDS = (0, 1)


@dataclass(frozen=True)
class RunSpec:
    """One training run of a sweep: the fields of :class:`~sgdtails.realnets.train.TrainConfig` that define it.

    ``lr`` is η; ``eta_over_b`` is derived. ``data_dir`` is not part of a spec (it is where the data
    lie, not what is computed): pass it to :meth:`train_config`.
    """

    model: str
    dataset: str
    lr: float
    batch_size: int
    seed: int = 0
    width: int | None = None
    depth: int | None = None
    stop_nll: float = 5e-5
    n_avg_blocks: int = 10
    avg_block_iters: int = 1000
    max_iters: int = 1_000_000
    diverge_after: int = 50_000
    eval_every: int = 200
    checkpoint_every: int | None = None

    def __post_init__(self) -> None:
        self.train_config()  # validate every field once, with TrainConfig's messages

    @property
    def eta_over_b(self) -> float:
        """η/b, the ratio Figure 1 puts on its x-axis."""
        return self.lr / self.batch_size

    @property
    def name(self) -> str:
        """Run-directory name, unique within a grid, e.g. ``fcn4-mnist1d-w256-d4-b50-lr0.0125-s0``."""
        parts = [self.model, self.dataset]
        if self.width is not None:
            parts.append(f"w{self.width}")
        if self.depth is not None:
            parts.append(f"d{self.depth}")
        parts += [f"b{self.batch_size}", f"lr{self.lr:.4g}", f"s{self.seed}"]
        return "-".join(parts)

    def train_config(self, *, device: str | None = None, data_dir: str | None = None,
                     teacher: TeacherSpec | None = None) -> TrainConfig:
        """The :class:`TrainConfig` of this run on ``device`` (default: cuda if available, else cpu)."""
        kw = asdict(self)
        if device is not None:
            kw["device"] = device
        if teacher is not None:
            kw["teacher"] = teacher
        return TrainConfig(data_dir=data_dir, **kw)


def _log_grid(low: float, high: float, n: int) -> list[float]:
    """N values log-spaced from low to high inclusive, rounded to 3 significant digits."""
    return [float(f"{v:.3g}") for v in np.geomspace(low, high, n)]


def paper_grid(path: str | os.PathLike[str] | None = None) -> tuple[RunSpec, ...]:
    """The authors' own settings, one run per row of their list (module docstring; default: the shipped 215)."""
    return tuple(RunSpec(s.model, s.dataset, lr=s.lr, batch_size=s.batch_size, width=s.width)
                 for s in read_settings(path))


def table2_grid(points: int = PAPER_POINTS) -> tuple[RunSpec, ...]:
    """Table 2's settings at full size: 6 settings × b ∈ {50, 100} × ``points`` η/b values."""
    check_int(points, "points", low=2)
    specs = []
    for (model, dataset), (low, high) in PAPER_RANGES.items():
        for b in PAPER_BATCH_SIZES:
            for ratio in _log_grid(low, high, points):
                specs.append(RunSpec(model, dataset, lr=float(f"{ratio * b:.4g}"), batch_size=b))
    return tuple(specs)


def _cpu_runs(dataset: str, width: int) -> tuple[RunSpec, ...]:
    """FCN4 of ``width`` on ``dataset`` over the CPU η/b × b × seed grid, with the relaxed protocol."""
    return tuple(
        RunSpec("fcn4", dataset, lr=float(f"{ratio * b:.4g}"), batch_size=b, seed=seed, width=width, depth=4,
                stop_nll=1e-3, n_avg_blocks=2, avg_block_iters=500, max_iters=60_000, diverge_after=20_000)
        for seed in CPU_SEEDS for b in CPU_BATCH_SIZES for ratio in CPU_ETA_OVER_B
    )


def cpu_grid() -> tuple[RunSpec, ...]:
    """FCN4 of width 512 on the 5,000 real MNIST digits (``mnist5k``), about 30 minutes on two CPU cores."""
    return _cpu_runs("mnist5k", 512)


def cpu_mnist1d_grid() -> tuple[RunSpec, ...]:
    """FCN4 of width 256 on MNIST-1D, about 10–20 minutes on two CPU cores (module docstring)."""
    return _cpu_runs("mnist1d", 256)


GRIDS: dict[str, Callable[[], tuple[RunSpec, ...]]] = dict(zip(GRID_NAMES, (paper_grid, table2_grid, cpu_grid,
                                                                           cpu_mnist1d_grid)))


def grid(name: str) -> tuple[RunSpec, ...]:
    """The grid called ``name`` (one of :data:`sgdtails.realnets.vocabulary.GRID_NAMES`)."""
    if name not in GRIDS:
        raise ValueError(f"grid must be one of {tuple(GRIDS)}, got {name!r}")
    return GRIDS[name]()
