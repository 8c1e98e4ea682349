r"""Theorem 2 (singular value pruning) as a Monte-Carlo check (docs/theory.md §4).

Statement: for a middle layer W ∈ R^(h_l × h_(l−1)) with i.i.d. SαS entries, α < 2, and
p ≥ α/2, with λ ∈ R^(h_(l−1)) the eigenvalues of h_l^(−2/α) WᵀW and k = ⌈κ h_(l−1)⌉:

* ‖λ^(k) − λ‖_p ≤ ε² ‖λ‖_p (eigenvalue statement), and
* ‖W − W^[k]‖ ≤ ε ‖W‖ in Frobenius norm, W^[k] keeping the k largest singular values,

each with probability → 1 as the widths grow. Both errors are scale-free, so the normalisation
h_l^(−2/α) drops out; ‖W − W^[k]‖²/‖W‖² is the relative ℓ1 error of λ, so at p = 1 the two
statements are the same event. The check samples W of shape (h, a·h) for each aspect a
(default h × h and h × 2h; a wide W has h_(l−1) − h zero eigenvalues, and k counts h_(l−1) as
the theorem does — note that :func:`sgdtails.simulator.prune_singular` with ``count="values"`` keeps
⌈κ·min(m, n)⌉ instead, which differs for wide W).

Derived rates (docs/theory.md §4 by the eigenvalues' positive stable (α/2) limit law): the eigenvalue error
decays like h^(1/p − 2/α) for p > α/2, the Frobenius error like h^(1/2 − 1/α). The Gaussian α = 2
(Marchenko–Pastur eigenvalues) is the negative control. Verdict rule: :mod:`sgdtails.theory.verdict`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sgdtails.simulator import magnitude_error, sample_weights
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import check_alpha, check_choice, check_int, check_sizes
from sgdtails.simulator.vocabulary import STRUCTURES
from sgdtails.theory import _cells
from sgdtails.theory.results import CheckResult
from sgdtails.theory.verdict import HORIZON_PARAMS, analyse_series

__all__ = ["Theorem2Cell", "check_theorem2", "theorem2_cell", "theory_slopes"]


def theory_slopes(alpha: float, p: float) -> tuple[float | None, float | None]:
    """h-exponents (eigenvalue ℓp error, Frobenius error); None where no decay law is derived."""
    if alpha >= 2.0:
        return None, None
    return (1.0 / p - 2.0 / alpha if p > alpha / 2.0 else None), 0.5 - 1.0 / alpha


@dataclass(frozen=True)
class Theorem2Cell:
    """One W of shape (h, aspect·h)."""

    alpha: float
    h: int
    aspect: int
    p: float
    kappa: float
    structure: str = "iid"


def eigenvalues(W: np.ndarray) -> np.ndarray:
    """The h_(l−1) eigenvalues of WᵀW for W of shape (h_l, h_(l−1)), up to a common factor.

    Computed from the smaller Gram matrix (``eigvalsh``, ~10× faster than an SVD); rounding
    negatives are clipped to 0 and the missing h_(l−1) − h_l eigenvalues of a wide W are 0.
    """
    A = W / np.max(np.abs(W))
    gram = A @ A.T if A.shape[0] < A.shape[1] else A.T @ A
    lam = np.zeros(W.shape[1])
    ev = np.linalg.eigvalsh(gram)
    lam[: ev.size] = np.maximum(ev, 0.0)
    return lam


def theorem2_cell(cfg: Theorem2Cell, seed: np.random.SeedSequence) -> tuple[float, float]:
    """(eigenvalue ℓp error, Frobenius error) of keeping ⌈κ h_(l−1)⌉ eigen/singular values."""
    W = sample_weights(cfg.alpha, (cfg.h, cfg.aspect * cfg.h), structure=cfg.structure, seed=seed)
    lam = eigenvalues(W)
    return magnitude_error(lam, cfg.kappa, p=cfg.p), math.sqrt(magnitude_error(lam, cfg.kappa, p=1.0))


def check_theorem2(
    alpha: float,
    *,
    p: float = 2.0,
    kappa: float = 0.1,
    eps: float = 0.1,
    sizes: Sequence[int] = (32, 64, 128, 256, 512),
    trials: int = 30,
    aspects: Sequence[int] = (1, 2),
    structure: str = "iid",
    seed: SeedLike = 0,
    run: RunOptions = RunOptions(),
) -> CheckResult:
    r"""Check Theorem 2 on W of shape (h, a·h), h over ``sizes``, a over ``aspects``.

    Parameters
    ----------
    alpha : float
        Tail index α ∈ (0, 2] of the entries.
    p : float
        Exponent of the eigenvalue ℓp error (the theorem needs p ≥ α/2).
    kappa, eps : float
        Remaining ratio κ (of h_(l−1) = a·h eigenvalues) and error level ε.
    sizes : sequence of int
        Grid of h = h_l (≥ 2 points).
    trials : int
        Independent matrices per (h, a).
    aspects : sequence of int
        Width factors a ≥ 1.
    structure : {"iid", "column", "layer"}
        Entry dependence (Section 3.3); only ``"iid"`` is inside the hypothesis.
    seed : None, int, SeedSequence or Generator
        Root seed; cell (a, h, trial) uses ``cell_seed(root, a, h, trial)``.
    run : RunOptions
        Where the Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`): by default in
        this process; with ``jobs`` ≠ 1, a Dask ``scheduler`` or a ``cache_dir`` through
        :func:`sgdtails.simulator.run_study` (cells cached under ``cache_dir``, reused when
        ``resume``), with bit-identical numbers.

    Returns
    -------
    CheckResult
        Series per aspect: ``frobenius h x ah`` (threshold ε; the primary series is the first
        aspect's) and ``eigenvalues h x ah`` (threshold ε²), sizes in h.
    """
    a = check_alpha(alpha)
    _cells.check_settings(kappa, eps, p, trials)
    check_choice(structure, "structure", STRUCTURES)
    hs = check_sizes(sizes)
    if not aspects:
        raise ValueError(f"aspects must be a non-empty sequence of ints >= 1, got {aspects!r}")
    for aspect in aspects:
        check_int(aspect, "aspects", low=1)
    _cells.check_run(run)
    root = _cells.root_seed(seed)
    rng = _cells.boot_rng(root)
    slope_eig, slope_frob = theory_slopes(a, p) if structure == "iid" else (None, None)
    hyp = a < 2.0 and structure == "iid"
    series = []
    for asp in aspects:
        cases = [(h, Theorem2Cell(a, h, int(asp), p, kappa, structure), (int(asp), h)) for h in hs]
        errs = _cells.run_grid(theorem2_cell, cases, trials, root, desc=f"theorem2 h x {asp}h", run=run)
        params = [h * h * int(asp) for h in hs]
        horizon = math.sqrt(HORIZON_PARAMS / asp)
        shape = f"h x {asp}h" if asp != 1 else "h x h"
        for col, name, thr, slope, ok in ((1, "frobenius", eps, slope_frob, hyp),
                                          (0, "eigenvalues", eps * eps, slope_eig, hyp and p >= a / 2)):
            E = np.vstack([errs[h][:, col] for h in hs])
            series.append(analyse_series(f"{name} {shape}", hs, E, thr, size_name="h", params=params,
                                             theory_slope=slope, in_hypothesis=ok, horizon=horizon, rng=rng))
    config = dict(alpha=a, p=p, kappa=kappa, eps=eps, sizes=hs, trials=trials, aspects=[int(x) for x in aspects],
                  structure=structure, **_cells.seed_config(root))
    return CheckResult.from_series("theorem2", series, config)

