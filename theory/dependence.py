r"""Section 3.3 (independence is not essential) as a Monte-Carlo check.

The paper: Theorem 3's proof needs only i.i.d. *columns* (so ``column`` matrices — each column
one elliptical SαS vector — qualify), and in general Theorems 1, 2, 3 need the entries, the
singular values, or the column norms to be stationary, ergodic and heavy-tailed. A ``layer``
matrix (one elliptical vector, a single mixing variable A for all entries) is none of these: it
is √A times a Gaussian matrix, and every relative error is scale-free, so all three statements
behave as for Gaussian weights and should fail.

:func:`check_dependence` runs Theorems 1 (global magnitude pruning of vec(W), W h × h), 2 (h × h)
and 3 on each structure and compares with those claims. The paper makes no claim for Theorems 1
and 2 on ``column`` matrices; their verdicts are reported without an expectation.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import MAX_H, check_alpha, check_eps, check_sizes, check_subset
from sgdtails.simulator.vocabulary import STRUCTURES
from sgdtails.theory import _cells
from sgdtails.theory.results import CheckResult
from sgdtails.theory.theorem1 import check_theorem1
from sgdtails.theory.theorem2 import check_theorem2
from sgdtails.theory.theorem3 import check_theorem3

__all__ = ["DependenceResult", "EXPECTED", "check_dependence"]

EXPECTED = {("theorem3", "column"): "holds", ("theorem1", "layer"): "fails",
            ("theorem2", "layer"): "fails", ("theorem3", "layer"): "fails"}
"""Section 3.3's claims, keyed by (statement, structure)."""


@dataclass(frozen=True)
class DependenceResult:
    """Outcome of :func:`check_dependence`.

    ``verdict`` is "holds" when every claim of :data:`EXPECTED` that was run is met, "fails" when
    one is contradicted (an expected "holds" that fails or an expected "fails" that holds), else
    "inconclusive". ``parts`` holds (statement, structure, expected or None, CheckResult);
    ``table`` the sub-checks' tidy rows with ``statement`` and ``structure`` columns.
    """

    name: str
    verdict: str
    reason: str
    table: tuple[dict, ...]
    parts: tuple[tuple[str, str, str | None, CheckResult], ...]
    config: Mapping[str, Any] = field(compare=False)

    def to_rows(self) -> list[dict]:
        """All sub-check rows (one per statement, structure, series and size)."""
        return [dict(r) for r in self.table]

    def summary_rows(self) -> list[dict]:
        """One row per (statement, structure): expectation, verdict, slope."""
        return [{"label": f"{st} on {sc}", "expected": ex, "verdict": r.verdict, "reason": r.reason,
                 "slope": r.slope, "slope_ci": r.slope_ci, "theory_slope": r.theory_slope}
                for st, sc, ex, r in self.parts]


def check_dependence(
    alpha: float = 0.8,
    *,
    p: float = 2.0,
    kappa: float = 0.1,
    eps: float = 0.1,
    sizes: Sequence[int] = (32, 64, 128, 256, 512, 1024),
    trials: int = 30,
    structures: Sequence[str] = ("column", "layer"),
    seed: SeedLike = 0,
    run: RunOptions = RunOptions(),
) -> DependenceResult:
    r"""Run Theorems 1–3 on ``column`` and ``layer`` matrices (Section 3.3).

    Parameters
    ----------
    alpha : float
        Tail index α of the (marginally SαS(1)) entries; choose α < 2 and p ≥ α so that only the
        dependence structure is outside the hypothesis.
    p, kappa, eps : float
        As in the three checks (Theorem 2's eigenvalue exponent is p as well).
    sizes : sequence of int
        Grid of h in [2, 2^26] (W is h × h; Theorem 1 prunes its d = h² entries).
    trials : int
        Matrices per size.
    structures : sequence of {"iid", "column", "layer"}
        Structures to run (``iid`` adds the reference case).
    seed : None, int, SeedSequence or Generator
        Root seed; statement i on structure j uses ``cell_seed(root, i, j)`` as its root.
    run : RunOptions
        Where the Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`): by default in
        this process; with ``jobs`` ≠ 1, a Dask ``scheduler`` or a ``cache_dir`` through
        :func:`sgdtails.simulator.run_study` (cells cached under ``cache_dir``, reused when
        ``resume``), with bit-identical numbers.
    """
    check_alpha(alpha)  # validate everything before any cell runs
    _cells.check_settings(kappa, eps, p, trials)
    check_eps(eps, positive=True)
    structures = check_subset(structures, "structures", STRUCTURES)
    hs = check_sizes(sizes, high=MAX_H)
    _cells.check_run(run)  # validate before any cell runs
    sw = dict(run=run)
    root = _cells.root_seed(seed)
    parts = []
    for j, sc in enumerate(structures):
        common = dict(p=p, kappa=kappa, eps=eps, trials=trials, structure=sc, **sw)
        runs = (("theorem1", lambda s, kw=common: check_theorem1(alpha, sizes=[h * h for h in hs], seed=s, **kw)),
                ("theorem2", lambda s, kw=common: check_theorem2(alpha, sizes=hs, aspects=(1,), seed=s, **kw)),
                ("theorem3", lambda s, kw=common: check_theorem3(alpha, sizes=hs, seed=s, **kw)))
        for i, (st, check) in enumerate(runs):
            parts.append((st, sc, EXPECTED.get((st, sc)), check(_cells.cell_seed(root, i, j))))
    table = tuple(dict(r, statement=st, structure=sc) for st, sc, _, res in parts for r in res.table)
    verdict, reason = _judge(parts)
    config = dict(alpha=alpha, p=p, kappa=kappa, eps=eps, sizes=hs, trials=trials, structures=list(structures),
                  **_cells.seed_config(root))
    return DependenceResult("dependence", verdict, reason, table, tuple(parts), config)


def _judge(parts) -> tuple[str, str]:
    claimed = [(st, sc, ex, r.verdict) for st, sc, ex, r in parts if ex is not None]
    wrong = [f"{st} on {sc}: expected {ex}, got {v}" for st, sc, ex, v in claimed if {ex, v} == {"holds", "fails"}]
    if wrong:
        return "fails", "; ".join(wrong)
    if claimed and all(ex == v for _, _, ex, v in claimed):
        return "holds", "; ".join(f"{st} on {sc} {v}" for st, sc, _, v in claimed)
    if not claimed:
        return "inconclusive", "no claim of Section 3.3 was run"
    open_ = [f"{st} on {sc}: {v}" for st, sc, ex, v in claimed if ex != v]
    return "inconclusive", "undecided: " + "; ".join(open_)
