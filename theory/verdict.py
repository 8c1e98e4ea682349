r"""The verdict rule of the theorem checks: "holds", "fails" or "inconclusive" (docs/theory.md §4.10).

This is a decision rule of the project, not of the paper. A theorem says that the relative error
tends to 0 in probability as the size grows; no finite simulation proves that, so the rule asks
what the simulated sizes *resolve*, and compares it with what is derived for the case: a power law
size^r with r = 1/p − 1/α < 0 (Theorem 1, Theorem 3; Theorem 2's rates), a logarithmic decay
(p = α, written r = 0), or no decay at all (``theory_slope=None``: the derived behaviour is a
positive limit — the Gaussian α = 2, p < α, the ``layer`` structure). Whether the case lies inside
the hypothesis is reported, never used: every verdict is earned by the data.

Statistics of one series (sizes d_1 < … < d_J, errors E[j, trial], threshold t = ε, or ε² for
Theorem 2's eigenvalue statement); every interval is a 95% bootstrap interval over the trials of
each size (:data:`~sgdtails.theory._stats.N_BOOT` replicates) unless stated:

* m_j, the median error at d_j; P_j = the share of trials with error ≤ t, with its Wilson 95%
  interval [P_lo, P_hi] (reported at every size);
* b, the least-squares slope of log m_j on log d_j over the whole grid, interval [b_lo, b_hi];
* b_up, the same over the upper half of the grid (the local rate at the largest sizes), and
  b_low over the lower half;
* L, the limit of the median: m_j ≈ L + C d_j^β fitted by least squares with β on a grid in
  [−2, −0.05] (an approach slower than d^−0.05 is not modelled), interval [L_lo, L_hi];
* d₀, the size at which P(error ≤ t) would reach :data:`LEVEL`, extrapolated from the
  :data:`LEVEL`-quantile of the errors as :func:`sgdtails.theory.required_size` does
  (:func:`sgdtails.theory._extrapolate.extrapolate_d0`), with its interval.

The rule, in this order:

1. **holds** if every error at the largest size is exactly 0 (nothing is lost there).
2. Derived power law, r < 0:
   **fails** if the decay has stopped at the largest sizes in a way the derived rate cannot explain:
   b_up's interval reaches 0 (b_up_hi ≥ 0) and lies entirely above r (r < b_up_lo), the curve
   flattens with size (b_up − b_low > 0, b_low the slope over the lower half of the grid: a
   pre-asymptotic curve steepens toward r instead; its interval lies above 0), the positive limit
   is resolved (L_lo > 0) *and* the whole grid does not support r either (r outside [b_lo, b_hi]
   widened by :data:`RATE_TOLERANCE` · |r|). Inside a hypothesis this means the simulation
   disagrees with a proof: a finding, to be reported.
   **holds** if the decay is resolved (b_hi < 0), consistent with r (r within [b_lo, b_hi]
   widened by :data:`RATE_TOLERANCE` · |r| for finite-size bias) and P_lo ≥ :data:`LEVEL`.
3. Derived logarithmic decay, r = 0: never fails (no finite grid separates a logarithmic decay
   from a positive limit); **holds** if b_hi < 0 and P_lo ≥ :data:`LEVEL`.
4. No decay derived (r is None): **fails** if the data resolve a positive limit, L_lo > 0;
   **holds** if they resolve a decay to 0 instead (b_hi < 0, L_lo ≤ 0 and P_lo ≥ :data:`LEVEL`).
5. **inconclusive** otherwise, with the reason and d₀.

A check's overall verdict is "fails" if any of its series fails, "holds" if all hold, else
"inconclusive". Measured error rates of the rule: see docs/theory.md §4.10.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sgdtails.theory._extrapolate import extrapolate_d0
from sgdtails.theory._stats import boot_medians, ols_fit, wilson_interval
from sgdtails.theory.results import SeriesResult, combine

__all__ = ["BETA_RANGE", "LEVEL", "RATE_TOLERANCE", "analyse_series", "combine", "limit_fit"]

LEVEL = 0.75
""""holds" needs the Wilson 95% lower bound of P(error ≤ threshold) at the largest size ≥ this."""
RATE_TOLERANCE = 0.25
"""Relative slack around the derived rate when judging a fitted slope consistent with it."""
BETA_RANGE = (-2.0, -0.05)
"""Exponents β of the limit fit m ≈ L + C d^β (an approach slower than d^−0.05 is not modelled)."""
_BETAS = -np.geomspace(-BETA_RANGE[1], -BETA_RANGE[0], 60)
_FLOOR = 1e-300  # a median of exactly 0 is logged as this


def limit_fit(sizes: Sequence[float], medians: np.ndarray) -> np.ndarray:
    """L of the least-squares fit medians ≈ L + C·size^β, β on a grid in :data:`BETA_RANGE`.

    ``medians`` may hold replicates in its leading axes (shape (..., J)); one L per replicate.
    """
    d = np.asarray(sizes, dtype=float)
    m = np.asarray(medians, dtype=float)
    X = d[None, :] ** _BETAS[:, None]  # (K, J)
    Xc = X - X.mean(axis=1, keepdims=True)
    mc = m - m.mean(axis=-1, keepdims=True)
    C = (mc @ Xc.T) / (Xc * Xc).sum(axis=1)  # (..., K)
    L = m.mean(axis=-1, keepdims=True) - C * X.mean(axis=1)
    residual = ((m[..., None, :] - (L[..., None] + C[..., None] * X)) ** 2).sum(axis=-1)
    best = np.argmin(residual, axis=-1)
    return np.take_along_axis(L, best[..., None], axis=-1)[..., 0]


def _size_rows(label, size_name, sizes, params, errors, threshold) -> tuple[dict, ...]:
    rows = []
    for d, par, e in zip(sizes, params, errors):
        k = int(np.sum(e <= threshold))
        lo, hi = wilson_interval(k, e.size)
        q10, med, q90 = np.quantile(e, [0.1, 0.5, 0.9])
        rows.append({"series": label, "size_name": size_name, "size": int(d), "d": int(par),
                     "n_trials": int(e.size), "threshold": threshold, "median": float(med),
                     "q10": float(q10), "q90": float(q90), "mean": float(e.mean()),
                     "p_within": k / e.size, "p_lo": lo, "p_hi": hi})
    return tuple(rows)


def _interval(values: np.ndarray) -> tuple[float, float]:
    lo, hi = np.quantile(values, [0.025, 0.975])
    return float(lo), float(hi)


def analyse_series(
    label: str,
    sizes: Sequence[int],
    errors: np.ndarray,
    threshold: float,
    *,
    size_name: str = "d",
    params: Sequence[int] | None = None,
    theory_slope: float | None = None,
    in_hypothesis: bool = True,
    rng: np.random.Generator,
) -> SeriesResult:
    """Summarise ``errors`` (J sizes × trials) and decide the verdict (module docstring).

    Parameters
    ----------
    label, size_name : str
        Names of the series and of its size variable (``"d"``, ``"h"``).
    sizes : sequence of int
        The J ≥ 2 sizes, increasing.
    errors : array of shape (J, trials)
        The errors of each trial at each size.
    threshold : float
        t of the event error ≤ t.
    params : sequence of int, optional
        The parameter count at each size (default: the sizes).
    theory_slope : float or None
        The derived rate: r < 0 a power law size^r, 0 a logarithmic decay, None no decay (a
        positive limit).
    in_hypothesis : bool
        Whether the case lies inside the theorem's hypothesis: reported, not used by the rule.
    rng : numpy.random.Generator
        The bootstrap's generator.
    """
    x = np.log(np.asarray(sizes, dtype=float))
    E = np.asarray(errors, dtype=float)
    if E.ndim != 2 or E.shape[0] != x.size or x.size < 2:
        raise ValueError("need errors of shape (n_sizes >= 2, trials)")
    rows = _size_rows(label, size_name, sizes, params or sizes, E, threshold)
    medians = np.median(E, axis=1)
    boot = boot_medians(E, rng)
    logm, logb = np.log(np.maximum(medians, _FLOOR)), np.log(np.maximum(boot, _FLOOR))
    b, _ = ols_fit(x, logm)
    ci = _interval(ols_fit(x, logb)[0])
    k = max(2, math.ceil(x.size / 2))
    bu, _ = ols_fit(x[-k:], logm[-k:])
    upper = ols_fit(x[-k:], logb[:, -k:])[0]
    uci = _interval(upper)
    flattening = _interval(upper - ols_fit(x[:k], logb[:, :k])[0])  # > 0: the curve flattens with size
    limit = float(limit_fit(sizes, medians))
    lci = _interval(limit_fit(sizes, boot))
    d0, d0_ci = extrapolate_d0(sizes, E, threshold, LEVEL, rng, rate=theory_slope)
    verdict, reason = _decide(rows[-1], E[-1], ci, uci, flattening, lci, theory_slope, (d0, d0_ci))
    return SeriesResult(label, size_name, threshold, rows, float(b), ci, float(bu), uci, theory_slope,
                        limit, lci, d0, d0_ci, in_hypothesis, verdict, reason)


def _fmt_size(s: float) -> str:
    return "inf" if not math.isfinite(s) else f"{s:.3g}"


def _decide(last: dict, last_errors: np.ndarray, ci, uci, flat, lci, rate, d0) -> tuple[str, str]:
    at = (f"at {last['size_name']}={last['size']}: P(err<={last['threshold']:.4g}) = {last['p_within']:.2f} "
          f"[{last['p_lo']:.2f}, {last['p_hi']:.2f}]")
    slope = f"slope {ci[0]:.3g}…{ci[1]:.3g}"
    upper = f"upper-half slope {uci[0]:.3g}…{uci[1]:.3g}"
    high = last["p_lo"] >= LEVEL
    decays = ci[1] < 0
    size, (lo, hi) = d0
    need = (f"; P(err<=t) would reach {LEVEL:g} near {last['size_name']} = {_fmt_size(size)} "
            f"[{_fmt_size(lo)}, {_fmt_size(hi)}]")
    if np.all(last_errors == 0.0):
        return "holds", f"{at}: every error is exactly 0 at the largest size"
    if rate is not None and rate < 0:
        derived = f"derived rate {rate:.3g}"
        consistent = ci[0] - RATE_TOLERANCE * abs(rate) <= rate <= ci[1] + RATE_TOLERANCE * abs(rate)
        if uci[1] >= 0 and rate < uci[0] and flat[0] > 0 and lci[0] > 0 and not consistent:
            return "fails", (f"{at}; the decay has stopped ({upper}, which excludes the {derived}; the "
                             f"curve flattens with size; {slope} is not consistent with it) at a positive "
                             f"limit ({lci[0]:.3g}…{lci[1]:.3g})")
        if decays and consistent and high:
            return "holds", f"{at}; decay resolved, {slope} consistent with the {derived}"
        why = ("the decay is not resolved" if not decays else
               f"the {slope} is not consistent with the {derived}" if not consistent else
               f"P(err<=t) is not yet high (lower bound < {LEVEL:g})")
        if size <= last["size"] and decays and consistent:
            need = f"; the level is reached at these sizes but not certified with {len(last_errors)} trials"
        return "inconclusive", f"{at}; {why}{need}"
    if rate == 0.0:
        if decays and high:
            return "holds", f"{at}; decay resolved ({slope}; derived: logarithmic)"
        return "inconclusive", (f"{at}; a logarithmic decay cannot be told from a positive limit at these "
                                f"sizes ({slope}){need}")
    limit = f"fitted limit {lci[0]:.3g}…{lci[1]:.3g}"
    if lci[0] > 0:
        return "fails", f"{at}; the error tends to a positive limit ({limit}, {slope})"
    if decays and high:
        return "holds", f"{at}; decay to 0 resolved ({slope}, {limit}) although none is derived"
    return "inconclusive", f"{at}; neither a positive limit nor a decay to 0 is resolved ({limit}, {slope}){need}"
