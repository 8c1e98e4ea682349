r"""Proposition S1 (heavier tails compress better, for p < α) as a Monte-Carlo check.

Statement: w_1, w_2 ∈ R^d with i.i.d. heavy-tailed entries of indices α_1 > α_2 and
p < max(α_1, α_2): for every δ > 0 and d large enough,
E[‖w_1^(κd) − w_1‖_p/‖w_1‖_p] + δ > E[same for w_2] (S6) and E[κ_p(w_1, ε)] + δ > E[κ_p(w_2, ε)] (S7).
So both expectations are (asymptotically) non-decreasing in α. For p ≥ max α both sides tend to 0
(Lemma S2) and the statement is trivial, hence the requirement p < α on the larger index.

:func:`check_proposition_s1` samples ``trials`` vectors of SαS(1) entries per α at one size d and,
for each consecutive pair α_i < α_(i+1), estimates the two differences
Δ = E[· | α_(i+1)] − E[· | α_i] with a 95% Welch (normal) interval from independent samples.
Verdict: **holds** if every interval lies above 0 (strictly increasing, significantly);
**fails** if some interval lies below 0 (a significant decrease contradicts (S6)/(S7) in the
δ → 0 limit); **inconclusive** otherwise (the δ-slack cannot be resolved).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sgdtails.simulator import magnitude_error, min_kappa, sample_weights
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import MAX_SIZE, check_alpha, check_choice, check_int
from sgdtails.theory import _cells

__all__ = ["PropS1Cell", "PropositionS1Result", "check_proposition_s1", "proposition_s1_cell"]

_Z = 1.959963984540054


@dataclass(frozen=True)
class PropS1Cell:
    """One vector of d SαS(1) entries: i.i.d., or one elliptical vector (``structure="layer"``)."""

    alpha: float
    d: int
    p: float
    kappa: float
    eps: float
    structure: str = "iid"


def proposition_s1_cell(cfg: PropS1Cell, seed: np.random.SeedSequence) -> tuple[float, float]:
    """(relative ℓp error at kept fraction κ, κ_p(w, ε)) of one sample."""
    w = sample_weights(cfg.alpha, cfg.d, structure=cfg.structure, seed=seed)
    return magnitude_error(w, cfg.kappa, p=cfg.p), min_kappa(w, cfg.eps, p=cfg.p)


@dataclass(frozen=True)
class PropositionS1Result:
    """Outcome of :func:`check_proposition_s1`.

    ``table``: one row per α (mean error and mean κ_p with 95% intervals); ``differences``: one
    row per consecutive pair and measure (Δ, its interval, and whether it is significantly > 0).
    """

    name: str
    verdict: str
    reason: str
    table: tuple[dict, ...]
    differences: tuple[dict, ...]
    config: Mapping[str, Any] = field(compare=False)

    def to_rows(self) -> list[dict]:
        """The per-α table as dicts."""
        return [dict(r) for r in self.table]

    def summary_rows(self) -> list[dict]:
        """The consecutive differences as dicts."""
        return [dict(r) for r in self.differences]


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    m, se = float(x.mean()), float(x.std(ddof=1) / math.sqrt(x.size))
    return m, m - _Z * se, m + _Z * se


def check_proposition_s1(
    alphas: Sequence[float] = (1.2, 1.5, 1.8),
    *,
    p: float = 1.0,
    kappa: float = 0.1,
    eps: float = 0.1,
    d: int = 10**4,
    trials: int = 100,
    structures: Sequence[str] | None = None,
    seed: SeedLike = 0,
    run: RunOptions = RunOptions(),
) -> PropositionS1Result:
    r"""Check that E[error] and E[κ_p(w, ε)] increase with α for p < α (Proposition S1).

    Parameters
    ----------
    alphas : sequence of float
        At least two distinct indices in (0, 2]; sorted ascending. Every consecutive pair needs
        p < the larger index, i.e. p < all but the smallest α.
    p, kappa, eps : float
        Exponent, remaining ratio for (S6), error level for (S7).
    d : int
        Vector length.
    trials : int
        Vectors per α.
    structures : sequence of {"iid", "layer"}, optional
        One per α (in the order given; default all ``"iid"``, the proposition's hypothesis).
        ``"layer"`` draws the vector as one elliptical SαS vector (one mixing variable for all
        entries): outside the hypothesis, and its relative error is that of a Gaussian vector —
        the negative control (a heavier-tailed ``layer`` vector compresses *worse*).
    seed : None, int, SeedSequence or Generator
        Root seed; vector t of index α_i uses ``cell_seed(root, i, t)`` (i in sorted order).
    run : RunOptions
        Where the Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`): by default in
        this process; with ``jobs`` ≠ 1, a Dask ``scheduler`` or a ``cache_dir`` through
        :func:`sgdtails.simulator.run_study` (cells cached under ``cache_dir``, reused when
        ``resume``), with bit-identical numbers.
    """
    if isinstance(alphas, str) or not isinstance(alphas, Sequence | np.ndarray):
        raise ValueError(f"alphas must be a sequence of at least 2 distinct values in (0, 2], got {alphas!r}")
    given = [check_alpha(a, "alphas") for a in alphas]
    if structures is not None and (isinstance(structures, str) or not isinstance(structures, Sequence)):
        raise ValueError(f"structures must be a sequence of 'iid'/'layer', one per alpha, got {structures!r}")
    kinds = ["iid"] * len(given) if structures is None else list(structures)
    if len(kinds) != len(given):
        raise ValueError(f"structures must hold one structure per alpha ({len(given)}), got {structures!r}")
    for kind in kinds:
        check_choice(kind, "structures", ("iid", "layer"))
    order = sorted(range(len(given)), key=lambda i: given[i])
    als, kinds = [given[i] for i in order], [kinds[i] for i in order]
    if len(als) < 2 or len(set(als)) != len(als):
        raise ValueError(f"alphas must hold at least 2 distinct values, got {alphas!r}")
    _cells.check_settings(kappa, eps, p, trials)
    check_int(d, "d", low=2, high=MAX_SIZE)
    if p >= als[1]:
        raise ValueError(f"Proposition S1 needs p < max of each pair, i.e. p < {als[1]} here; got p={p}")
    _cells.check_run(run)
    root = _cells.root_seed(seed)
    cases = [(i, PropS1Cell(a, int(d), p, kappa, eps, kind), (i,)) for i, (a, kind) in enumerate(zip(als, kinds))]
    res = _cells.run_grid(proposition_s1_cell, cases, trials, root, desc="proposition S1", run=run)
    table = []
    for i, a in enumerate(als):
        e, k = _mean_ci(res[i][:, 0]), _mean_ci(res[i][:, 1])
        table.append({"alpha": a, "structure": kinds[i], "d": int(d), "n_trials": trials, "mean_error": e[0], "error_lo": e[1],
                      "error_hi": e[2], "mean_kappa": k[0], "kappa_lo": k[1], "kappa_hi": k[2]})
    diffs = [_difference(als, res, i, col, name) for i in range(len(als) - 1)
             for col, name in ((0, "error"), (1, "kappa_p"))]
    verdict, reason = _judge(diffs)
    config = dict(alphas=als, structures=kinds, p=p, kappa=kappa, eps=eps, d=int(d), trials=trials,
                  in_hypothesis=all(k == "iid" for k in kinds), **_cells.seed_config(root))
    return PropositionS1Result("prop-s1", verdict, reason, tuple(table), tuple(diffs), config)


def _difference(als, res, i, col, name) -> dict:
    x, y = res[i][:, col], res[i + 1][:, col]
    delta = float(y.mean() - x.mean())
    se = math.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
    lo, hi = delta - _Z * se, delta + _Z * se
    sign = "increase" if lo > 0 else "decrease" if hi < 0 else "unresolved"
    return {"label": f"{name}: alpha {als[i]:g} -> {als[i + 1]:g}", "measure": name, "alpha_low": als[i],
            "alpha_high": als[i + 1], "delta": delta, "delta_lo": lo, "delta_hi": hi, "sign": sign}


def _judge(diffs: list[dict]) -> tuple[str, str]:
    bad = [r["label"] for r in diffs if r["sign"] == "decrease"]
    if bad:
        return "fails", "significant decrease in " + "; ".join(bad)
    if all(r["sign"] == "increase" for r in diffs):
        return "holds", "every consecutive difference is significantly > 0"
    return "inconclusive", "unresolved: " + "; ".join(r["label"] for r in diffs if r["sign"] == "unresolved")
