r"""The smallest size d₀ at which a theorem's event has probability ≥ a confidence level.

For Theorem 1 (size d, i.i.d. SαS vector), Theorem 2 (size h, W h × h, Frobenius error of
singular value pruning) and Theorem 3 (size h, W h × h, node pruning): d₀ is the smallest size
with P(error ≤ ε) ≥ ``confidence``, equivalently with the ``confidence``-quantile q_c of the
error ≤ ε. Two ways, always labelled:

* **measured** — sizes are doubled from a small start until the empirical P(error ≤ ε) reaches
  the confidence level (at most ``max_measured``; Theorem 1 streams from 2·10⁷ on), then the last
  bracket is bisected geometrically to 10%. d₀ is the smallest size that passed. Its interval is
  (largest size that certainly fails, smallest that certainly passes): "certainly" means the
  Wilson 95% interval of P lies entirely below / above the level. With n trials a level c can only
  be certified when n is large enough (20/20 gives a lower bound 0.84 < 0.9).
* **extrapolated** — if the level is not reached by ``max_measured``: the power law
  log q_c = a + b log(size) is fitted on the upper half of the measured sizes and solved for
  q_c = ε; the 95% interval is the union of the bootstrap ranges (trials resampled at each size)
  of three models — that fit, the fit on every measured size, and the derived rate through the
  largest size's quantile — so it covers the choice of power law, not only the trial noise (∞
  where a fitted decay vanishes; :mod:`sgdtails.theory._extrapolate`).
  ``theory_d0`` repeats the extrapolation with the derived exponent
  (1/p − 1/α; Frobenius 1/2 − 1/α) anchored at the largest measured quantile.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import MAX_SIZE, check_alpha, check_choice, check_eps, check_int, check_probability
from sgdtails.theory import _cells, _stats
from sgdtails.theory._extrapolate import extrapolate_d0, quantile_fit
from sgdtails.theory.suite import THEOREMS
from sgdtails.theory.theorem1 import Theorem1Cell, theorem1_cell, theory_slope
from sgdtails.theory.theorem2 import Theorem2Cell, theorem2_cell, theory_slopes
from sgdtails.theory.theorem3 import Theorem3Cell, theorem3_cell

__all__ = ["SizeEstimate", "THEOREMS", "required_size"]

_START = {"theorem1": 100, "theorem2": 16, "theorem3": 16}
_MAX = {"theorem1": 10**7, "theorem2": 512, "theorem3": 2048}
_BISECT = 1.1
_MAX_H = 2**26  # h × h matrices: h² ≤ 2^52 entries


@dataclass(frozen=True)
class SizeEstimate:
    """d₀ with how it was obtained (module docstring).

    ``measurements``: one row per size tried (size, n_trials, quantile q_c, p_within, p_lo, p_hi).
    """

    theorem: str
    size_name: str
    d0: float
    method: str
    ci: tuple[float, float]
    confidence: float
    slope: float | None
    slope_ci: tuple[float, float] | None
    theory_slope: float | None
    theory_d0: float | None
    measurements: tuple[dict, ...]
    note: str
    config: Mapping[str, Any] = field(compare=False)

    def describe(self) -> str:
        """One readable paragraph."""
        s = (f"{self.theorem}: {self.size_name}0 = {self.d0:.4g} ({self.method}); "
             f"95% interval [{self.ci[0]:.4g}, {self.ci[1]:.4g}]. {self.note}")
        if self.slope is not None and self.slope_ci is not None:
            s += f" Fitted exponent of the {self.confidence:g}-quantile: {self.slope:.4g} " \
                 f"[{self.slope_ci[0]:.4g}, {self.slope_ci[1]:.4g}]"
            s += f"; derived exponent {self.theory_slope:.4g}." if self.theory_slope is not None else "."
        if self.theory_d0 is not None:
            s += f" With the derived exponent: {self.size_name}0 ≈ {self.theory_d0:.4g}."
        return s

    def to_rows(self) -> list[dict]:
        """The measurements as dicts."""
        return [dict(r) for r in self.measurements]


class _Sampler:
    """Errors at a size (cached; seed keyed by size and trial)."""

    def __init__(self, theorem, alpha, p, kappa, trials, root, run: RunOptions):
        self.theorem, self.alpha, self.p, self.kappa, self.trials, self.root = theorem, alpha, p, kappa, trials, root
        self.run = run
        self.cache: dict[int, np.ndarray] = {}

    def errors(self, s: int) -> np.ndarray:
        if s not in self.cache:
            cell: Callable[[Any, np.random.SeedSequence], Any]
            cfg: Any
            if self.theorem == "theorem1":
                cell, cfg, col = theorem1_cell, Theorem1Cell((self.alpha,), (s,), self.kappa, self.p), 0
            elif self.theorem == "theorem2":
                cell, cfg, col = theorem2_cell, Theorem2Cell(self.alpha, s, 1, p=self.p, kappa=self.kappa), 1
            else:
                cell, cfg, col = theorem3_cell, Theorem3Cell(self.alpha, s, None, self.p, self.kappa), 0
            out = _cells.run_grid(cell, [(s, cfg, (s,))], self.trials, self.root, desc=f"{self.theorem} size {s}",
                                 run=self.run)
            self.cache[s] = out[s][:, col]
        return self.cache[s]


def _row(s: int, e: np.ndarray, eps: float, conf: float) -> dict:
    k = int(np.sum(e <= eps))
    lo, hi = _stats.wilson_interval(k, e.size)
    q = float(np.quantile(e, conf, method="inverted_cdf"))
    return {"size": s, "n_trials": int(e.size), "quantile": q, "p_within": k / e.size, "p_lo": lo, "p_hi": hi}


def required_size(
    alpha: float,
    *,
    p: float = 2.0,
    kappa: float = 0.1,
    eps: float = 0.1,
    confidence: float = 0.9,
    theorem: str = "theorem1",
    max_measured: int | None = None,
    trials: int = 50,
    seed: SeedLike = 0,
    run: RunOptions = RunOptions(),
) -> SizeEstimate:
    r"""Smallest size with P(error ≤ ε) ≥ ``confidence``, measured or extrapolated.

    Parameters
    ----------
    alpha, p, kappa, eps : float
        As in the theorem checks.
    confidence : float
        Level c ∈ (0, 1).
    theorem : {"theorem1", "theorem2", "theorem3"}
        Which statement (sizes: d for Theorem 1, h for Theorems 2 and 3).
    max_measured : int or None
        Largest size simulated (default 10⁷ for Theorem 1, 512 and 2048 for Theorems 2, 3).
    trials : int
        Samples per size.
    seed : None, int, SeedSequence or Generator
        Root seed; sample t at size s uses ``cell_seed(root, s, t)``.
    run : RunOptions
        Where the Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`): by default in
        this process; with ``jobs`` ≠ 1, a Dask ``scheduler`` or a ``cache_dir`` through
        :func:`sgdtails.simulator.run_study` (cells cached under ``cache_dir``, reused when
        ``resume``), with bit-identical numbers.
    """
    a = check_alpha(alpha)
    check_choice(theorem, "theorem", THEOREMS)
    _cells.check_settings(kappa, eps, p, trials)
    check_probability(confidence, "confidence")
    check_eps(eps, positive=True)
    top = _MAX[theorem] if max_measured is None else max_measured
    top = check_int(top, "max_measured", low=_START[theorem], high=MAX_SIZE if theorem == "theorem1" else _MAX_H)
    _cells.check_run(run)
    root = _cells.root_seed(seed)
    smp = _Sampler(theorem, a, p, kappa, trials, root, run)
    rate = theory_slope(a, p) if theorem != "theorem2" else theory_slopes(a, p)[1]
    config = dict(alpha=a, p=p, kappa=kappa, eps=eps, confidence=confidence, theorem=theorem, max_measured=int(top),
                  trials=trials, **_cells.seed_config(root))
    grid = _doubling(smp, _START[theorem], int(top), eps, confidence)
    passed = [s for s in grid if _passes(smp.errors(s), eps, confidence)]
    common: tuple[str, str] = (theorem, "d" if theorem == "theorem1" else "h")
    if passed:
        d0, ci, note = _measured(smp, grid, passed[0], int(top), eps, confidence)
        rows = tuple(_row(s, smp.errors(s), eps, confidence) for s in sorted(smp.cache))
        return SizeEstimate(*common, float(d0), "measured", ci, confidence, None, None, rate, None, rows, note, config)
    return _extrapolated(smp, grid, eps, confidence, rate, common, config)


def _passes(e: np.ndarray, eps: float, conf: float) -> bool:
    return float(np.mean(e <= eps)) >= conf


def _doubling(smp: _Sampler, start: int, top: int, eps: float, conf: float) -> list[int]:
    """Sizes start, 2·start, … (the last one = top) until one passes."""
    grid, s = [], start
    while True:
        grid.append(s)
        if _passes(smp.errors(s), eps, conf) or s >= top:
            return grid
        s = min(2 * s, top)


def _measured(smp, grid, first_pass, top, eps, conf):
    lo = grid[grid.index(first_pass) - 1] if grid.index(first_pass) > 0 else None
    hi = first_pass
    while lo is not None and hi / lo > _BISECT:
        mid = int(round(math.sqrt(lo * hi)))
        if mid in (lo, hi):
            break
        if _passes(smp.errors(mid), eps, conf):
            hi = mid
        else:
            lo = mid
    s = hi
    for _ in range(3):  # try to certify a passing size above d0
        if _stats.wilson_interval(int(np.sum(smp.errors(s) <= eps)), smp.trials)[0] >= conf or 2 * s > top:
            break
        s *= 2
    rows = {s: _row(s, e, eps, conf) for s, e in smp.cache.items()}
    fail = [s for s, r in rows.items() if r["p_hi"] < conf]
    ok = [s for s, r in rows.items() if r["p_lo"] >= conf]
    ci = (float(max(fail)) if fail else 0.0, float(min(ok)) if ok else math.inf)
    note = "smallest measured size with the empirical P(error <= eps) >= confidence"
    if lo is None:
        note += " (reached at the first size tried: d0 may be smaller)"
    if not ok:
        note += f"; with {smp.trials} trials no size certifies the level (raise trials for an upper bound)"
    return hi, ci, note + "."


def _extrapolated(smp, grid, eps, conf, rate, common: tuple[str, str], config) -> SizeEstimate:
    if len(grid) < 2:  # a power law needs two sizes: only the starting size was measured
        raise ValueError(f"cannot extrapolate: the level is not reached at the only size measured ({grid[0]}); "
                         f"max_measured must exceed the starting size {grid[0]} for an extrapolation")
    k = max(2, math.ceil(len(grid) / 2))
    sizes = grid[-k:]
    E = np.vstack([smp.errors(s) for s in grid])
    rng = _cells.boot_rng(smp.root)
    d0, ci = extrapolate_d0(grid, E, eps, conf, rng, rate=rate)
    b, _ = quantile_fit(grid, E, conf, slice(len(grid) - k, len(grid)))
    idx = rng.integers(0, E.shape[1], size=(_stats.N_BOOT, E.shape[1]))
    x = np.log(np.asarray(sizes, dtype=float))
    qb = np.stack([np.quantile(E[len(grid) - k + j][idx], conf, axis=1, method="inverted_cdf")
                   for j in range(k)], axis=1)
    bb, _ = _stats.ols_fit(x, np.log(np.maximum(qb, 1e-300)))
    lo_b, hi_b = np.quantile(bb, [0.025, 0.975])
    sci = (float(lo_b), float(hi_b))
    q_last = float(np.quantile(E[-1], conf, method="inverted_cdf"))
    theory_d0 = sizes[-1] * (eps / q_last) ** (1.0 / rate) if rate is not None and rate < 0 else None
    rows = tuple(_row(s, smp.errors(s), eps, conf) for s in sorted(smp.cache))
    note = (f"not reached up to the largest size measured ({sizes[-1]}): power law of the {conf:g}-quantile "
            f"fitted on sizes {sizes[0]}..{sizes[-1]} and extrapolated; the interval spans the bootstrap "
            f"ranges of that fit, of the fit on every size measured"
            + (" and of the derived rate through the largest size" if rate is not None and rate < 0 else "") + ".")
    if rate is None:
        note += " No decay law is derived here (p < alpha, p = alpha or alpha = 2): the extrapolation is descriptive."
    if not math.isfinite(d0):
        note += " The fitted decay does not reach eps within floating-point range."
    return SizeEstimate(*common, d0, "extrapolated", ci, conf, float(b), sci, rate, theory_d0, rows, note, config)
