r"""Theorem 1 (magnitude pruning) as a Monte-Carlo check (docs/theory.md §4).

Statement: under the HML condition with tail index α < 2 and p ≥ α, for every ε, κ:
‖w^(κd) − w‖_p ≤ ε‖w‖_p with probability → 1 as d → ∞ — (i) globally when all layers share the
law, (ii) layer-wise, ‖w_l^(κ_l d_l) − w_l‖_p ≤ ε‖w_l‖_p, for p ≥ max_l α_l. The synthetic engine
samples the HML limit directly: i.i.d. SαS(1) entries.

Derived rate (docs/theory.md §4, not in the paper): for p > α the relative error decays like d^(1/p − 1/α)
(:func:`theory_slope`); at p = α only logarithmically; for p < α or α = 2 (finite E|x|^p) it tends
to a positive constant — those are the negative controls.

Large d streams: at d ≥ :data:`STREAM_MIN` an i.i.d. layer is never held in memory
(:func:`sgdtails.simulator.streamed_magnitude_error`, bit-identical at p = 2 to the in-memory path on the
same seed). Verdict rule: :mod:`sgdtails.theory.verdict`.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sgdtails.simulator import magnitude_error, sample_sas, sample_weights, streamed_magnitude_error
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import MAX_SIZE, check_alpha, check_choice, check_eps
from sgdtails.simulator.vocabulary import SCOPES, STRUCTURES
from sgdtails.theory import _cells
from sgdtails.theory.results import CheckResult
from sgdtails.theory.verdict import analyse_series

__all__ = ["STREAM_MIN", "Theorem1Cell", "check_theorem1", "derived_rate", "theorem1_cell", "theory_slope"]

STREAM_MIN = 2 * 10**7
"""Layers of at least this many i.i.d. entries are streamed (bounded memory)."""


def theory_slope(alpha: float, p: float) -> float | None:
    """d-exponent 1/p − 1/α of the relative ℓp error of i.i.d. SαS(α) for α < p, α < 2; else None."""
    return 1.0 / p - 1.0 / alpha if alpha < 2.0 and p > alpha else None


def derived_rate(alpha: float, p: float) -> float | None:
    """The derived behaviour given to the verdict rule: :func:`theory_slope`, or 0.0 at p = α < 2.

    0.0 stands for a logarithmic decay (Lemma S2 at p = α); None for no decay (p < α or α = 2:
    E|x|^p is finite and the error tends to a positive limit).
    """
    if alpha < 2.0 and p == alpha:
        return 0.0
    return theory_slope(alpha, p)


@dataclass(frozen=True)
class Theorem1Cell:
    """One Monte-Carlo cell: the layers pruned together (one layer unless global with several α)."""

    alphas: tuple[float, ...]
    sizes: tuple[int, ...]
    kappa: float
    p: float
    structure: str = "iid"


def _layer(alpha: float, d: int, structure: str, seed: np.random.SeedSequence) -> np.ndarray:
    if structure == "iid":
        return sample_sas(alpha, d, seed=seed)
    h = math.isqrt(d)
    return sample_weights(alpha, (h, h), structure=structure, seed=seed).ravel()


def theorem1_cell(cfg: Theorem1Cell, seed: np.random.SeedSequence) -> float:
    """Relative ℓp error of magnitude pruning the cell's layers jointly, kept ratio κ."""
    if len(cfg.alphas) == 1:
        (a,), (d,) = cfg.alphas, cfg.sizes
        if cfg.structure == "iid" and d >= STREAM_MIN:
            return streamed_magnitude_error(a, d, cfg.kappa, p=cfg.p, seed=seed)
        return magnitude_error(_layer(a, d, cfg.structure, seed), cfg.kappa, p=cfg.p)
    parts = [_layer(a, d, cfg.structure, _cells.cell_seed(seed, i)) for i, (a, d) in enumerate(zip(cfg.alphas, cfg.sizes))]
    return magnitude_error(np.concatenate(parts), cfg.kappa, p=cfg.p)


def _grid(sizes: object, n_layers: int, structure: str) -> list[tuple[int, ...]]:
    """Per grid point, one size per layer (an int applies to every layer), by increasing total."""
    if isinstance(sizes, numbers.Integral | str) or not isinstance(sizes, Sequence | np.ndarray) or len(sizes) < 2:
        raise ValueError(f"sizes must be a sequence of at least 2 sizes, got {sizes!r}")
    grid = []
    for s in sizes:
        row = (s,) * n_layers if isinstance(s, numbers.Integral) else tuple(s) if isinstance(s, Sequence | np.ndarray) else (s,)
        bad = any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or not 2 <= int(v) <= MAX_SIZE for v in row)
        if len(row) != n_layers or bad:
            each = f"an int in [2, {MAX_SIZE}]" + (f" or {n_layers} such ints (one per layer)" if n_layers > 1 else "")
            raise ValueError(f"sizes: each size must be {each}, got {s!r}")
        if structure != "iid" and any(math.isqrt(v) ** 2 != v for v in row):
            raise ValueError(f"structure={structure!r} samples square h×h layers: sizes must be squares, got {s!r}")
        grid.append(tuple(int(v) for v in row))
    if len(set(grid)) != len(grid):
        raise ValueError(f"sizes must be distinct, got {sizes!r}")
    return sorted(grid, key=sum)


def check_theorem1(
    alpha: float | Sequence[float],
    *,
    p: float = 2.0,
    kappa: float = 0.1,
    eps: float = 0.1,
    sizes: Sequence[int] | Sequence[Sequence[int]] = (10**3, 10**4, 10**5, 10**6),
    trials: int = 20,
    scope: str = "global",
    structure: str = "iid",
    seed: SeedLike = 0,
    run: RunOptions = RunOptions(),
) -> CheckResult:
    r"""Check Theorem 1: P(‖w^(κd) − w‖_p ≤ ε‖w‖_p) → 1 as d → ∞, for p ≥ α.

    Parameters
    ----------
    alpha : float or sequence of float
        Tail index α ∈ (0, 2], or one α_l per layer.
    p, kappa, eps : float
        Exponent of the ℓp error, remaining ratio κ ∈ (0, 1], error level ε.
    sizes : sequence
        Grid of layer sizes d (≥ 2 points): ints in [2, 2^53] (every layer that size) or per-layer tuples.
    trials : int
        Independent samples per size.
    scope : {"global", "layer"}
        (i) one vector pruned globally (several α: the layers concatenated — outside (i)'s
        hypothesis unless all α are equal); (ii) each layer pruned alone, one series per layer.
    structure : {"iid", "column", "layer"}
        Dependence of the entries (Section 3.3); ``"column"``/``"layer"`` sample square h×h
        layers (sizes must be squares) and lie outside the theorem's hypothesis.
    seed : None, int, SeedSequence or Generator
        Root seed; cell (layer l, size d, trial t) uses ``cell_seed(root, l, d, t)``.
    run : RunOptions
        Where the Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`): by default in
        this process; with ``jobs`` ≠ 1, a Dask ``scheduler`` or a ``cache_dir`` through
        :func:`sgdtails.simulator.run_study` (cells cached under ``cache_dir``, reused when
        ``resume``), with bit-identical numbers.

    Returns
    -------
    CheckResult
        Verdict by the rule of :mod:`sgdtails.theory.verdict`; the hypothesis is α_l < 2, p ≥ max α_l, i.i.d.
        entries, and (global) one common α.
    """
    if not isinstance(alpha, numbers.Real | Sequence | np.ndarray) or isinstance(alpha, str | bool):
        raise ValueError(f"alpha must be a number in (0, 2] or a non-empty sequence of them, got {alpha!r}")
    alphas = (alpha,) if isinstance(alpha, numbers.Real) else tuple(alpha)
    if not alphas:
        raise ValueError("alpha must be a number or a non-empty sequence")
    alphas = tuple(check_alpha(a) for a in alphas)
    _cells.check_settings(kappa, eps, p, trials)
    check_eps(eps, positive=True)  # P(error <= 0) = 0: the verdict extrapolates where the error reaches eps
    check_choice(scope, "scope", SCOPES)
    check_choice(structure, "structure", STRUCTURES)
    grid = _grid(sizes, len(alphas), structure)
    _cells.check_run(run)
    root = _cells.root_seed(seed)
    in_hyp = max(alphas) < 2.0 and p >= max(alphas) and structure == "iid"
    if scope == "global":
        specs = [("global", alphas, [g for g in grid], (0,), in_hyp and len(set(alphas)) == 1)]
    else:
        specs = [(f"layer {k + 1} (alpha={a:g})", (a,), [(g[k],) for g in grid], (k,), in_hyp)
                 for k, a in enumerate(alphas)]
    rng = _cells.boot_rng(root)
    series = []
    for label, als, pts, key, hyp in specs:
        cases = [(j, Theorem1Cell(als, pt, kappa, p, structure), (*key, *pt)) for j, pt in enumerate(pts)]
        errs = _cells.run_grid(theorem1_cell, cases, trials, root, desc=f"theorem1 {label}", run=run)
        slope = derived_rate(als[0], p) if len(set(als)) == 1 and structure == "iid" else None
        series.append(analyse_series(
            label, [sum(pt) for pt in pts], np.vstack([errs[j][:, 0] for j in range(len(pts))]), eps,
            theory_slope=slope, in_hypothesis=hyp, rng=rng))
    config = dict(alpha=list(alphas), p=p, kappa=kappa, eps=eps, sizes=[list(g) for g in grid], trials=trials,
                  scope=scope, structure=structure, stream_min=STREAM_MIN, **_cells.seed_config(root))
    return CheckResult.from_series("theorem1", series, config)
