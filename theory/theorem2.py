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
decays like h^(1/p − 2/α) for p > α/2 (logarithmically at p = α/2), the Frobenius error like
h^(1/2 − 1/α). The Gaussian α = 2 (Marchenko–Pastur eigenvalues) is the negative control.

Shapes: wide W = h × a·h (``aspects``, h_(l−1) = a·h), tall W = a·h × h (``tall``, h_l = a·h_(l−1)),
both with h growing; and, as the proof's first step, h_(l−1) = ``columns`` fixed while h_l = h grows:
the eigenvalues then tend to ``columns`` i.i.d. positive stable variates and the error to a
positive random limit (the theorem needs h_(l−1) → ∞ as well), so that series is reported
outside the hypothesis. A wide W has h_(l−1) − h structural zero eigenvalues; the kept ones are
always the k largest, so zeros are kept only once every nonzero eigenvalue is (the error is then
exactly 0). Verdict rule: :mod:`sgdtails.theory.verdict`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sgdtails.simulator import magnitude_error, sample_weights
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import MAX_H, MAX_SIZE, check_alpha, check_choice, check_eps, check_int, check_sizes
from sgdtails.simulator.vocabulary import STRUCTURES
from sgdtails.theory import _cells
from sgdtails.theory.results import CheckResult
from sgdtails.theory.verdict import analyse_series

__all__ = ["Theorem2Cell", "check_theorem2", "derived_rates", "theorem2_cell", "theory_slopes"]


def theory_slopes(alpha: float, p: float) -> tuple[float | None, float | None]:
    """h-exponents (eigenvalue ℓp error, Frobenius error); None where no decay law is derived."""
    if alpha >= 2.0:
        return None, None
    return (1.0 / p - 2.0 / alpha if p > alpha / 2.0 else None), 0.5 - 1.0 / alpha


def derived_rates(alpha: float, p: float) -> tuple[float | None, float | None]:
    """The derived behaviour given to the verdict rule: :func:`theory_slopes`, with 0.0 at p = α/2.

    0.0 stands for the logarithmic decay of the eigenvalue error at p = α/2 (α < 2).
    """
    eig, frob = theory_slopes(alpha, p)
    if eig is None and alpha < 2.0 and p == alpha / 2.0:
        eig = 0.0
    return eig, frob


@dataclass(frozen=True)
class Theorem2Cell:
    """One W: (h, aspect·h) wide, (aspect·h, h) if ``tall``, or (h, columns) if ``columns``."""

    alpha: float
    h: int
    aspect: int
    p: float
    kappa: float
    structure: str = "iid"
    tall: bool = False
    columns: int | None = None

    @property
    def shape(self) -> tuple[int, int]:
        """(h_l, h_(l−1)) of the sampled matrix."""
        if self.columns is not None:
            return self.h, self.columns
        return (self.aspect * self.h, self.h) if self.tall else (self.h, self.aspect * self.h)


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
    W = sample_weights(cfg.alpha, cfg.shape, structure=cfg.structure, seed=seed)
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
    tall: Sequence[int] = (),
    columns: int | None = None,
    structure: str = "iid",
    seed: SeedLike = 0,
    run: RunOptions = RunOptions(),
) -> CheckResult:
    r"""Check Theorem 2 on wide W (h × a·h), tall W (a·h × h) or W with a fixed number of columns.

    Parameters
    ----------
    alpha : float
        Tail index α ∈ (0, 2] of the entries.
    p : float
        Exponent of the eigenvalue ℓp error (the theorem needs p ≥ α/2).
    kappa, eps : float
        Kept fraction κ (of the h_(l−1) eigenvalues) and error level ε.
    sizes : sequence of int
        Grid of h (≥ 2 points), ints in [2, 2^26] (W has at most 2^53 entries).
    trials : int
        Independent matrices per (shape, h).
    aspects : sequence of int
        Wide shapes h × a·h (a ≥ 1; 1 is square); may be empty when ``tall`` or ``columns`` is given.
    tall : sequence of int
        Tall shapes a·h × h (h_l = a·h_(l−1), a ≥ 2).
    columns : int, optional
        Also run W of shape h × ``columns``: h_(l−1) fixed, h_l = h growing (outside the
        theorem's double limit: the error tends to a positive random limit).
    structure : {"iid", "column", "layer"}
        Entry dependence (Section 3.3); only ``"iid"`` is inside the hypothesis.
    seed : None, int, SeedSequence or Generator
        Root seed; each (shape, h, trial) cell has its own child seed.
    run : RunOptions
        Where the Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`): by default in
        this process; with ``jobs`` ≠ 1, a Dask ``scheduler`` or a ``cache_dir`` through
        :func:`sgdtails.simulator.run_study` (cells cached under ``cache_dir``, reused when
        ``resume``).

    Returns
    -------
    CheckResult
        Two series per shape: ``frobenius <shape>`` (threshold ε; the primary series is the first
        shape's) and ``eigenvalues <shape>`` (threshold ε²), sizes in h.
    """
    a = check_alpha(alpha)
    _cells.check_settings(kappa, eps, p, trials)
    check_eps(eps, positive=True)  # P(error <= 0) = 0: the verdict extrapolates where the error reaches eps
    check_choice(structure, "structure", STRUCTURES)
    hs = check_sizes(sizes, high=MAX_H)
    if eps * eps == 0.0:
        raise ValueError(f"eps must be >= 1e-154 (eps**2, the eigenvalue threshold, underflows), got {eps}")
    for name, shapes_of, low in (("aspects", aspects, 1), ("tall", tall, 2)):
        if isinstance(shapes_of, str) or not isinstance(shapes_of, Sequence | np.ndarray):
            raise ValueError(f"{name} must be a sequence of ints, got {shapes_of!r}")
        for aspect in shapes_of:
            check_int(aspect, name, low=low, high=MAX_H)
            if hs[-1] * hs[-1] * int(aspect) > MAX_SIZE:
                raise ValueError(f"{name}: W of {hs[-1]} x {int(aspect) * hs[-1]} exceeds {MAX_SIZE} entries, got {aspect}")
    if columns is not None:
        check_int(columns, "columns", low=2, high=MAX_H)
    if not aspects and not tall and columns is None:
        raise ValueError("give at least one shape: aspects, tall or columns")
    _cells.check_run(run)
    root = _cells.root_seed(seed)
    rng = _cells.boot_rng(root)
    rate_eig, rate_frob = derived_rates(a, p) if structure == "iid" else (None, None)
    hyp = a < 2.0 and structure == "iid"
    shapes: list[tuple[str, int, dict, bool]] = [
        (f"h x {asp}h" if asp != 1 else "h x h", int(asp), dict(aspect=int(asp)), True) for asp in aspects]
    shapes += [(f"{asp}h x h", 10**6 + int(asp), dict(aspect=int(asp), tall=True), True) for asp in tall]
    if columns is not None:  # the proof's first limit only: h_(l−1) stays fixed
        shapes.append((f"h x {columns} (fixed columns)", 2 * 10**6 + int(columns),
                       dict(aspect=1, columns=int(columns)), False))
    series = []
    for name, key, shape_kw, grows in shapes:
        cases = [(h, Theorem2Cell(a, h, p=p, kappa=kappa, structure=structure, **shape_kw), (key, h)) for h in hs]
        errs = _cells.run_grid(theorem2_cell, cases, trials, root, desc=f"theorem2 {name}", run=run)
        params = [math.prod(c.shape) for _, c, _ in cases]
        for col, kind, thr, rate, ok in ((1, "frobenius", eps, rate_frob, hyp),
                                         (0, "eigenvalues", eps * eps, rate_eig, hyp and p >= a / 2)):
            E = np.vstack([errs[h][:, col] for h in hs])
            series.append(analyse_series(f"{kind} {name}", hs, E, thr, size_name="h", params=params,
                                         theory_slope=rate if grows else None, in_hypothesis=ok and grows,
                                         rng=rng))
    config = dict(alpha=a, p=p, kappa=kappa, eps=eps, sizes=hs, trials=trials, aspects=[int(x) for x in aspects],
                  tall=[int(x) for x in tall], columns=columns, structure=structure, **_cells.seed_config(root))
    return CheckResult.from_series("theorem2", series, config)
