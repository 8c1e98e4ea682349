r"""Theorem 3 (node pruning) as a Monte-Carlo check (docs/theory.md §4).

Statement: for p ≥ α (α < 2), keeping the ⌈κ h_(l−1)⌉ columns of W_l ∈ R^(h_l × h_(l−1)) with the
largest ℓp norms gives ‖w^{κh},p − w‖_p ≤ ε‖w‖_p with probability → 1 as h_(l−1) → ∞. With
v_i = ‖W(i)‖_p the ℓp error of vec(W) equals that of v (docs/theory.md §2), so the check computes the
column norms and the exact k-best-term error of v — no pruned matrix is built.

The asymptotics is in the number of columns h = h_(l−1); the number of rows is ``rows``
(default: square, h × h). Section 3.3: the proof needs only i.i.d. *columns*, so the ``column``
structure (each column one elliptical SαS vector) lies inside the hypothesis; ``layer`` (one
elliptical vector for the whole matrix) does not — its column norms are a common heavy-tailed
scale times Gaussian norms, and their relative error does not decay.

Derived rate: the column norms are i.i.d. with tail index α, so for p > α the error decays like
h^(1/p − 1/α) (:func:`sgdtails.theory.theorem1.theory_slope`; logarithmic at p = α); p < α and α = 2 are negative controls.
Verdict rule: :mod:`sgdtails.theory.verdict`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sgdtails.simulator import magnitude_error, sample_weights
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import MAX_H, check_alpha, check_choice, check_eps, check_int, check_sizes
from sgdtails.simulator.vocabulary import STRUCTURES
from sgdtails.theory import _cells
from sgdtails.theory.results import CheckResult
from sgdtails.theory.theorem1 import derived_rate
from sgdtails.theory.verdict import analyse_series

__all__ = ["Theorem3Cell", "check_theorem3", "column_norms", "theorem3_cell"]


def column_norms(W: np.ndarray, p: float) -> np.ndarray:
    """‖W(i)‖_p for every column, up to the common factor 1/max|W| (avoids overflow)."""
    A = np.abs(W) / np.max(np.abs(W))
    with np.errstate(under="ignore"):
        return np.sum(A**p, axis=0) ** (1.0 / p)


@dataclass(frozen=True)
class Theorem3Cell:
    """One W of shape (rows or h, h)."""

    alpha: float
    h: int
    rows: int | None
    p: float
    kappa: float
    structure: str = "iid"


def theorem3_cell(cfg: Theorem3Cell, seed: np.random.SeedSequence) -> float:
    """Relative ℓp error of vec(W) after keeping the ⌈κh⌉ columns of largest ℓp norm."""
    W = sample_weights(cfg.alpha, (cfg.rows or cfg.h, cfg.h), structure=cfg.structure, seed=seed)
    return magnitude_error(column_norms(W, cfg.p), cfg.kappa, p=cfg.p)


def check_theorem3(
    alpha: float,
    *,
    p: float = 2.0,
    kappa: float = 0.1,
    eps: float = 0.1,
    sizes: Sequence[int] = (64, 128, 256, 512, 1024, 2048),
    trials: int = 30,
    structure: str = "iid",
    rows: int | None = None,
    seed: SeedLike = 0,
    run: RunOptions = RunOptions(),
) -> CheckResult:
    r"""Check Theorem 3: node (column) pruning by ℓp norm, relative ℓp error of vec(W).

    Parameters
    ----------
    alpha : float
        Tail index α ∈ (0, 2] of the entries.
    p, kappa, eps : float
        Exponent (ranking and error), remaining ratio κ of columns, error level ε.
    sizes : sequence of int
        Grid of h = h_(l−1), the number of columns (≥ 2 points), ints in [2, 2^26] (W has at most 2^53
        entries).
    trials : int
        Independent matrices per size.
    structure : {"iid", "column", "layer"}
        Entry dependence (Section 3.3); ``iid`` and ``column`` are inside the hypothesis.
    rows : int or None
        Rows h_l (None: square, h_l = h).
    seed : None, int, SeedSequence or Generator
        Root seed; cell (h, trial) uses ``cell_seed(root, h, trial)``.
    run : RunOptions
        Where the Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`): by default in
        this process; with ``jobs`` ≠ 1, a Dask ``scheduler`` or a ``cache_dir`` through
        :func:`sgdtails.simulator.run_study` (cells cached under ``cache_dir``, reused when
        ``resume``), with bit-identical numbers.

    Returns
    -------
    CheckResult
        One series (sizes in h); hypothesis α < 2, p ≥ α, structure iid or column.
    """
    a = check_alpha(alpha)
    _cells.check_settings(kappa, eps, p, trials)
    check_eps(eps, positive=True)  # P(error <= 0) = 0: the verdict extrapolates where the error reaches eps
    check_choice(structure, "structure", STRUCTURES)
    hs = check_sizes(sizes, high=MAX_H)
    if rows is not None:
        check_int(rows, "rows", low=1, high=MAX_H)
    _cells.check_run(run)
    root = _cells.root_seed(seed)
    hyp = a < 2.0 and p >= a and structure in ("iid", "column")
    cases = [(h, Theorem3Cell(a, h, rows, p, kappa, structure), (h,)) for h in hs]
    errs = _cells.run_grid(theorem3_cell, cases, trials, root, desc="theorem3", run=run)
    params = [h * (rows or h) for h in hs]
    label = f"nodes ({structure}, {'h x h' if rows is None else f'{rows} x h'})"
    series = analyse_series(
        label, hs, np.vstack([errs[h][:, 0] for h in hs]), eps, size_name="h", params=params,
        theory_slope=derived_rate(a, p) if structure != "layer" else None, in_hypothesis=hyp,
        rng=_cells.boot_rng(root))
    config = dict(alpha=a, p=p, kappa=kappa, eps=eps, sizes=hs, trials=trials, structure=structure, rows=rows,
                  **_cells.seed_config(root))
    return CheckResult.from_series("theorem3", [series], config)
