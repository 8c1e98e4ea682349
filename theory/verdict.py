r"""The verdict rule of the theorem checks: "holds", "fails" or "inconclusive" (docs/theory.md §4).

This is a decision rule of the project, not of the paper: the theorems say P(error ≤ ε) → 1 as
the size grows, which no finite simulation can confirm; the rule says what the simulated sizes
support.

Verdict rule of one series (:func:`analyse_series`), sizes d_1 < … < d_J, threshold t (ε or ε²):

* m_j = median error at d_j; P_J = fraction of trials with error ≤ t at d_J and its Wilson 95%
  interval [P_lo, P_hi];
* b = least-squares slope of log m_j on log d_j (all sizes), 95% CI [b_lo, b_hi] by bootstrap
  over the trials of each size (:data:`N_BOOT` replicates); b_up = the same slope over the upper
  half of the grid (the local rate at the largest sizes), and d* = the size at which that
  upper-half line reaches t (a bootstrap 95% interval [d*_lo, d*_hi]; ∞ when it does not decrease);
* **holds**: P_lo ≥ :data:`LEVEL` (the event has probability ≥ ½ with 95% confidence at the
  largest size) and the median decreases, b_hi < 0 (or the median error is exactly 0);
* **fails**: P_hi < :data:`LEVEL` (the event is unlikely at the largest size) and either
  (a) the median does not decrease significantly, b_hi ≥ 0; or (b) the case lies *outside* the
  theorem's hypothesis and even the steepest decay consistent with the data (d*_lo) would not
  bring the median to t before the horizon (:data:`HORIZON_PARAMS` parameters, converted to the
  series' size variable). Rule (b) is never applied inside the hypothesis: there a slow but
  real decay (α near p, where the rate 1/p − 1/α is near 0, or p = α, where it is logarithmic)
  is indistinguishable at reachable sizes from a positive limit, and the honest answer is
  *inconclusive*;
* **inconclusive**: otherwise.

A check's overall verdict is "fails" if any of its series fails, "holds" if all hold, else
"inconclusive".
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sgdtails.theory._stats import boot_medians, ols_fit, reach_size, wilson_interval
from sgdtails.theory.results import SeriesResult, combine

__all__ = ["HORIZON_PARAMS", "LEVEL", "analyse_series", "combine"]

LEVEL = 0.5
"""Probability level of the event "error ≤ threshold" that "holds"/"fails" are judged against."""
HORIZON_PARAMS = 10**12
"""Largest network size (parameters) rule (b) extrapolates to: ~4·10⁴ × the paper's largest net."""
_FLOOR = 1e-300  # an exactly-zero median is logged as this


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
    horizon: float = HORIZON_PARAMS,
    rng: np.random.Generator,
) -> SeriesResult:
    """Summarise ``errors`` (J sizes × trials) and decide the verdict (module docstring).

    ``params`` gives the parameter count d at each size (default: the sizes); ``horizon`` is
    rule (b)'s horizon expressed in the size variable.
    """
    x = np.log(np.asarray(sizes, dtype=float))
    E = np.asarray(errors, dtype=float)
    if E.ndim != 2 or E.shape[0] != x.size or x.size < 2:
        raise ValueError("need errors of shape (n_sizes >= 2, trials)")
    rows = _size_rows(label, size_name, sizes, params or sizes, E, threshold)
    logm = np.log(np.maximum(np.median(E, axis=1), _FLOOR))
    boot = np.log(np.maximum(boot_medians(E, rng), _FLOOR))
    b, _ = ols_fit(x, logm)
    bb, _ = ols_fit(x, boot)
    k = max(2, math.ceil(x.size / 2))
    bu, au = ols_fit(x[-k:], logm[-k:])
    bbu, abu = ols_fit(x[-k:], boot[:, -k:])
    reach_boot = reach_size(abu, bbu, threshold)
    ci = _pair(np.quantile(bb, [0.025, 0.975]))
    uci = _pair(np.quantile(bbu, [0.025, 0.975]))
    rci = _pair(np.quantile(reach_boot, [0.025, 0.975], method="inverted_cdf"))
    reach = float(reach_size(np.asarray(au), np.asarray(bu), threshold))
    verdict, reason = _decide(rows[-1], float(np.exp(logm[-1])), ci, rci, in_hypothesis, horizon)
    return SeriesResult(label, size_name, threshold, rows, float(b), ci, float(bu), uci, theory_slope,
                        reach, rci, in_hypothesis, float(horizon), verdict, reason)


def _pair(q: np.ndarray) -> tuple[float, float]:
    return float(q[0]), float(q[1])


def _decide(last: dict, median: float, ci, rci, in_hyp: bool, horizon: float) -> tuple[str, str]:
    at = f"at {last['size_name']}={last['size']}: P(err<={last['threshold']:.4g}) = {last['p_within']:.2f} " \
         f"[{last['p_lo']:.2f}, {last['p_hi']:.2f}]"
    if last["p_lo"] >= LEVEL and (ci[1] < 0 or median == 0.0):
        return "holds", f"{at} and the median error decreases (slope CI [{ci[0]:.3g}, {ci[1]:.3g}])"
    if last["p_hi"] < LEVEL:
        if ci[1] >= 0:
            return "fails", f"{at} and the median error does not decrease (slope CI [{ci[0]:.3g}, {ci[1]:.3g}])"
        if not in_hyp and rci[0] > horizon:
            return "fails", (f"{at}; outside the hypothesis, and even the steepest decay consistent with the "
                             f"data reaches the threshold only at size {rci[0]:.3g} > horizon {horizon:.3g}")
    return "inconclusive", f"{at}; median slope CI [{ci[0]:.3g}, {ci[1]:.3g}]: not decidable at these sizes"
