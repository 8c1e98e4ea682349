r"""Shared Monte-Carlo machinery of the theorem checks: seeds, size grids, tables, fits, verdicts.

A check measures one or more *series*: a statement "error(size) ≤ threshold" evaluated on
``trials`` independent samples at each size of a grid. Every (size, trial) cell is a pure
function ``cell(config, seed)`` of a frozen, picklable config and its own
``numpy.random.SeedSequence`` (:func:`cell_seed`, keyed by series, size and trial, never by the
order of execution), so a cell can be recomputed alone or routed through a sweep runner.

Sweeps (:func:`sweep_options`, ``run_grid(..., sweep=...)``): by default the cells run in this
process, one after the other. Given ``jobs`` > 1, a Dask ``scheduler`` or a ``cache_dir``, each
:func:`run_grid` call becomes one :class:`simulator.sweep.Study` (folder
``cache_dir/<series>-<hash>/``) whose grid cells are :class:`SweepCell` — the cell function's
name, its config and the *full* seed ``cell_seed(root, *key, trial)`` (root entropy, spawn key,
pool size). :func:`sweep_cell` rebuilds that seed and ignores the stream the runner passes
(``cell_seed(study.seed, index)``), so the numbers are bit-identical to the in-process path
whatever the backend, and finished cells are cached and reused (``resume``). The trials are the
outer loop of the grid, so raising ``trials`` reuses the earlier cells. A failed cell raises
``RuntimeError`` naming it: a check cannot give a verdict with missing cells.

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

import contextlib
import hashlib
import importlib
import json
import math
import numbers
import os
import re
import sys
import tempfile
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from simulator._validate import check_eps, check_kappa, check_p
from simulator.streams import SeedLike, as_seed_sequence

__all__ = [
    "HORIZON_PARAMS",
    "LEVEL",
    "N_BOOT",
    "VERDICTS",
    "SWEEP_VERSION",
    "CheckResult",
    "SeriesResult",
    "Sweep",
    "SweepCell",
    "analyse_series",
    "check_settings",
    "check_sizes",
    "boot_rng",
    "cell_seed",
    "ols_fit",
    "reach_size",
    "combine",
    "root_seed",
    "run_grid",
    "seed_config",
    "sweep_cell",
    "sweep_options",
    "wilson_interval",
]

VERDICTS = ("holds", "fails", "inconclusive")
LEVEL = 0.5
"""Probability level of the event "error ≤ threshold" that "holds"/"fails" are judged against."""
HORIZON_PARAMS = 10**12
"""Largest network size (parameters) rule (b) extrapolates to: ~4·10⁴ × the paper's largest net."""
N_BOOT = 1000
"""Bootstrap replicates for slope and reach intervals."""
_Z = 1.959963984540054  # 97.5% normal quantile
_FLOOR = 1e-300  # an exactly-zero median is logged as this


def check_settings(kappa: float, eps: float, p: float, trials: int) -> None:
    """Validate κ ∈ (0, 1], ε ≥ 0, p > 0 and trials ≥ 2 (ValueError naming the argument)."""
    check_kappa(kappa)
    check_eps(eps)
    check_p(p)
    if isinstance(trials, bool) or not isinstance(trials, numbers.Integral) or trials < 2:
        raise ValueError(f"trials must be an int >= 2, got {trials!r}")


def check_sizes(sizes: object, name: str = "sizes") -> list[int]:
    """A grid of at least 2 distinct ints >= 2, sorted ascending."""
    if isinstance(sizes, str) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"{name} must be a sequence of at least 2 sizes, got {sizes!r}")
    out = []
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 2:
            raise ValueError(f"{name} must hold ints >= 2, got {sizes!r}")
        out.append(int(s))
    if len(set(out)) != len(out):
        raise ValueError(f"{name} must be distinct, got {sizes!r}")
    return sorted(out)


def wilson_interval(successes: int, n: int) -> tuple[float, float]:
    """Wilson score 95% interval for a binomial proportion successes/n."""
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    phat = successes / n
    denom = 1.0 + _Z**2 / n
    centre = (phat + _Z**2 / (2 * n)) / denom
    half = _Z * math.sqrt(phat * (1 - phat) / n + _Z**2 / (4 * n * n)) / denom
    lo = 0.0 if successes <= 0 else max(0.0, centre - half)
    hi = 1.0 if successes >= n else min(1.0, centre + half)
    return lo, hi


def root_seed(seed: SeedLike) -> np.random.SeedSequence:
    """The check's root ``SeedSequence`` (``None`` draws fresh entropy, recorded in the config)."""
    return as_seed_sequence(seed)


def cell_seed(root: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """The seed of one cell: ``root`` extended by ``key`` (series, size, trial), order-free."""
    return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, *key), pool_size=root.pool_size)


def run_grid(
    cell: Callable[[Any, np.random.SeedSequence], tuple[float, ...]],
    cases: Sequence[tuple[Hashable, Any, tuple[int, ...]]],
    trials: int,
    root: np.random.SeedSequence,
    *,
    desc: str = "cells",
    sweep: Sweep | None = None,
) -> dict[Hashable, np.ndarray]:
    """Evaluate ``cell(config, cell_seed(root, *key, trial))`` for every case and trial.

    ``cases`` holds ``(name, config, key)``; returns ``{name: array (trials, outputs)}``.
    ``sweep=None``: in this process, a progress bar (stderr, only on a terminal) counts the
    cells; else through :func:`simulator.sweep.run_study` with the same numbers (module docstring).
    """
    if sweep is not None:
        return _run_sweep(cell, cases, trials, root, desc, sweep)
    out: dict[Hashable, np.ndarray] = {}
    with tqdm(total=len(cases) * trials, desc=desc, disable=None, leave=False) as bar:
        for name, config, key in cases:
            rows = []
            for t in range(trials):
                rows.append(np.atleast_1d(np.asarray(cell(config, cell_seed(root, *key, t)), dtype=float)))
                bar.update()
            out[name] = np.vstack(rows)
    return out


SWEEP_VERSION = "1"
"""Part of every sweep cell's hash: bump it when a cell function changes what it returns."""


@dataclass(frozen=True)
class Sweep:
    """Where and how :func:`run_grid` routes its cells through :func:`simulator.sweep.run_study`.

    ``cache_dir`` None: a temporary folder (nothing is kept); ``jobs``, ``scheduler``, ``resume``
    as in :func:`~simulator.sweep.run_study`; ``progress`` None: a bar only on a terminal.
    """

    cache_dir: str | None = None
    jobs: int | None = None
    scheduler: str | None = None
    resume: bool = True
    progress: bool | None = None


def sweep_options(
    jobs: int | None = None,
    scheduler: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    resume: bool = True,
) -> Sweep | None:
    """The :class:`Sweep` of a check's keyword arguments, or None for the in-process path.

    None (in this process, nothing cached) when ``cache_dir`` is None, ``jobs`` is None or 1 and
    ``scheduler`` is None. Otherwise every cell goes through :func:`simulator.sweep.run_study`:
    ``jobs=None`` with a ``cache_dir`` then means one process per core (or
    ``$HEAVYTAILS_SCHEDULER``), as in ``run_study``.
    """
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 1):
        raise ValueError(f"jobs must be None or an int >= 1, got {jobs!r}")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise ValueError(f"scheduler must be None or an address such as 'tcp://host:8786', got {scheduler!r}")
    if not isinstance(resume, bool):
        raise ValueError(f"resume must be a bool, got {resume!r}")
    if cache_dir is None and jobs in (None, 1) and scheduler is None:
        return None
    return Sweep(None if cache_dir is None else os.fspath(cache_dir), None if jobs is None else int(jobs),
                 scheduler, resume)


@dataclass(frozen=True)
class SweepCell:
    """One (case, trial) cell of a sweep: ``func(config, SeedSequence(entropy, spawn_key, pool_size))``.

    ``spawn_key`` is the root's spawn key followed by the case's key and the trial, so the seed is
    exactly ``cell_seed(root, *key, trial)`` of the in-process path.
    """

    func: str
    config: Any
    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...]
    pool_size: int


def _resolve(name: str) -> Callable:
    module, _, qualname = name.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def sweep_cell(cell: SweepCell, seed: np.random.SeedSequence) -> dict:
    """The :class:`simulator.sweep.Study` function of the checks: ``{"value_i": output i}``.

    ``seed`` (the runner's ``cell_seed(study.seed, index)``) is ignored: the cell's stream is the
    one it carries, so a cell gives the same numbers in or out of a sweep and at any grid position.
    """
    del seed
    ss = np.random.SeedSequence(cell.entropy, spawn_key=cell.spawn_key, pool_size=cell.pool_size)
    values = np.atleast_1d(np.asarray(_resolve(cell.func)(cell.config, ss), dtype=float))
    return {f"value_{i}": float(v) for i, v in enumerate(values)}


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """12 hex digits that change when the samplers' seed → numbers mapping or the error measures change.

    Folded into the sweep version, so cached cells of an editable install (whose version number
    stays put) miss the cache instead of being reused after the simulator changes.
    """
    from simulator import magnitude_error, min_kappa, sample_sas, sample_weights, streamed_magnitude_error

    h = hashlib.sha256()
    w = sample_sas(1.3, 257, seed=12345)
    h.update(w.tobytes())
    h.update(np.array([magnitude_error(w, 0.2, p=q) for q in (0.5, 1.0, 2.0)] + [min_kappa(w, 0.1, p=1.0)]).tobytes())
    h.update(np.float64(streamed_magnitude_error(1.3, 1000, 0.2, p=2.0, seed=12345)).tobytes())
    for structure in ("iid", "column", "layer"):
        h.update(sample_weights(1.7, (6, 8), structure=structure, seed=12345).tobytes())
    return h.hexdigest()[:12]


def _entropy(root: np.random.SeedSequence) -> int | tuple[int, ...]:
    e = root.entropy
    return int(e) if isinstance(e, numbers.Integral) else tuple(int(v) for v in e)


def _study_name(desc: str, fname: str, cases, root: np.random.SeedSequence) -> str:
    """``<desc slug>-<hash of the cases and the root seed>`` (the trials are not part of it)."""
    from simulator._sweep_store import canonical_config

    key = {"func": fname, "cases": [[canonical_config({"c": c})["c"], list(k)] for _, c, k in cases],
           "entropy": canonical_config({"e": _entropy(root)})["e"], "spawn_key": list(root.spawn_key),
           "pool_size": root.pool_size}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", desc).strip("_.-") or "cells"
    return f"{slug}-{digest}"


def _run_sweep(cell, cases, trials, root, desc, sweep: Sweep) -> dict[Hashable, np.ndarray]:
    from simulator.sweep import Study, run_study

    fname = f"{cell.__module__}:{cell.__qualname__}"
    if "<" in fname or _resolve(fname) is not cell:
        raise ValueError(f"a swept cell function must be importable by name, got {cell!r}")
    entropy = _entropy(root)
    # trial-major: raising ``trials`` appends cells, so the earlier ones keep their grid index
    grid = [SweepCell(fname, config, entropy, (*root.spawn_key, *key, t), root.pool_size)
            for t in range(trials) for _, config, key in cases]
    study = Study(_study_name(desc, fname, cases, root), sweep_cell, grid,
                  version=f"{SWEEP_VERSION}+{engine_fingerprint()}")
    progress = sys.stderr.isatty() if sweep.progress is None else sweep.progress
    holder = (contextlib.nullcontext(sweep.cache_dir) if sweep.cache_dir is not None
              else tempfile.TemporaryDirectory(prefix="heavytails_check_"))
    with holder as folder:
        result = run_study(study, folder, jobs=sweep.jobs, scheduler=sweep.scheduler, resume=sweep.resume,
                           progress=progress)
        where = os.path.join(folder, study.name)
    if result.failed:
        first = result.failed[0]
        kept = (f"finished cells are cached under {where}; run again to retry" if sweep.cache_dir
                else "no cache_dir: nothing was kept")
        raise RuntimeError(
            f"{desc}: {len(result.failed)} of {len(grid)} Monte-Carlo cells failed and a check needs every "
            f"cell ({kept}); first: cell {first['cell']} (config {first['config'].config!r}, seed spawn key "
            f"{first['config'].spawn_key}): {first['error']}")
    rows = {r["cell"]: r for r in result.rows}
    missing = [i for i in range(len(grid)) if i not in rows]
    if missing:
        raise RuntimeError(f"{desc}: {len(missing)} of {len(grid)} Monte-Carlo cells are missing (first: "
                           f"cell {missing[0]}); a check needs every cell")
    out: dict[Hashable, np.ndarray] = {}
    for c, (name, _, _) in enumerate(cases):
        table = []
        for t in range(trials):
            r = rows[t * len(cases) + c]
            n = sum(1 for k in r if k.startswith("value_"))
            table.append(np.array([r[f"value_{i}"] for i in range(n)], dtype=float))
        out[name] = np.vstack(table)
    return out


def ols_fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Slopes and intercepts of y (…, J) on x (J,) by least squares, along the last axis."""
    xc = x - x.mean()
    b = (y - y.mean(axis=-1, keepdims=True)) @ xc / (xc @ xc)
    return b, y.mean(axis=-1) - b * x.mean()


def _boot_medians(errors: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """(N_BOOT, J) medians of trials resampled with replacement within each size."""
    J, n = errors.shape
    idx = rng.integers(0, n, size=(J, N_BOOT, n))
    return np.stack([np.median(errors[j][idx[j]], axis=1) for j in range(J)], axis=1)


def reach_size(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Size at which exp(a + b log d) = t (∞ where b ≥ 0)."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = np.exp((math.log(t) - a) / b)
    return np.where(b < 0, r, np.inf)


@dataclass(frozen=True)
class SeriesResult:
    """One statement over a size grid: its table rows, fits and verdict (module docstring)."""

    label: str
    size_name: str
    threshold: float
    rows: tuple[dict, ...]
    slope: float
    slope_ci: tuple[float, float]
    upper_slope: float
    upper_slope_ci: tuple[float, float]
    theory_slope: float | None
    reach: float
    reach_ci: tuple[float, float]
    in_hypothesis: bool
    horizon: float
    verdict: str
    reason: str

    def summary(self) -> dict:
        """One row: label, verdict, slopes and reach (for printing and JSON)."""
        keys = ("label", "verdict", "reason", "slope", "slope_ci", "upper_slope", "upper_slope_ci",
                "theory_slope", "reach", "reach_ci", "in_hypothesis", "horizon", "threshold")
        return {k: getattr(self, k) for k in keys}


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
    boot = np.log(np.maximum(_boot_medians(E, rng), _FLOOR))
    b, _ = ols_fit(x, logm)
    bb, _ = ols_fit(x, boot)
    k = max(2, math.ceil(x.size / 2))
    bu, au = ols_fit(x[-k:], logm[-k:])
    bbu, abu = ols_fit(x[-k:], boot[:, -k:])
    reach_boot = reach_size(abu, bbu, threshold)
    ci = tuple(float(v) for v in np.quantile(bb, [0.025, 0.975]))
    uci = tuple(float(v) for v in np.quantile(bbu, [0.025, 0.975]))
    rci = tuple(float(v) for v in np.quantile(reach_boot, [0.025, 0.975], method="inverted_cdf"))
    reach = float(reach_size(np.asarray(au), np.asarray(bu), threshold))
    verdict, reason = _decide(rows[-1], float(np.exp(logm[-1])), ci, rci, in_hypothesis, horizon)
    return SeriesResult(label, size_name, threshold, rows, float(b), ci, float(bu), uci, theory_slope,
                        reach, rci, in_hypothesis, float(horizon), verdict, reason)


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


def combine(verdicts: Sequence[str]) -> str:
    """Overall verdict: "fails" if any fails, "holds" if all hold, else "inconclusive"."""
    if "fails" in verdicts:
        return "fails"
    return "holds" if verdicts and all(v == "holds" for v in verdicts) else "inconclusive"


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a theorem check.

    Attributes
    ----------
    name : str
        Which check (``"theorem1"`` …).
    verdict : {"holds", "fails", "inconclusive"}
        Overall verdict (:func:`combine` of the series' verdicts; rule in the module docstring).
    reason : str
        Why, in words (the primary series' reason, or the series that failed).
    table : tuple of dict
        Tidy rows, one per (series, size): size, d, n_trials, threshold, median, q10, q90, mean,
        p_within = P(error ≤ threshold) with its Wilson 95% interval p_lo, p_hi.
    slope, slope_ci : float, (float, float)
        Fitted log-log decay exponent of the median error in the size, primary series.
    theory_slope : float or None
        Its derived value (SPEC §4 Rates) where one exists.
    series : tuple of SeriesResult
        Every statement measured (e.g. one per layer, per shape or per error measure).
    config : dict
        The arguments, the root seed's entropy and spawn key.
    """

    name: str
    verdict: str
    reason: str
    table: tuple[dict, ...]
    slope: float
    slope_ci: tuple[float, float]
    theory_slope: float | None
    series: tuple[SeriesResult, ...]
    config: Mapping[str, Any] = field(compare=False)

    @classmethod
    def from_series(cls, name: str, series: Sequence[SeriesResult], config: Mapping[str, Any]) -> CheckResult:
        """Assemble the result; the first series is the primary one."""
        verdict = combine([s.verdict for s in series])
        main = next((s for s in series if s.verdict == "fails"), series[0]) if verdict == "fails" else series[0]
        table = tuple(dict(r, check=name, verdict=s.verdict) for s in series for r in s.rows)
        first = series[0]
        return cls(name, verdict, f"{main.label}: {main.reason}", table, first.slope, first.slope_ci,
                   first.theory_slope, tuple(series), dict(config))

    def to_rows(self) -> list[dict]:
        """The tidy table as a list of dicts (one per series and size), for CSV."""
        return [dict(r) for r in self.table]

    def summary_rows(self) -> list[dict]:
        """One dict per series: verdict, slopes, reach."""
        return [s.summary() for s in self.series]


def seed_config(root: np.random.SeedSequence) -> dict:
    """The root seed as JSON-able config entries."""
    return {"seed_entropy": str(root.entropy), "seed_spawn_key": list(root.spawn_key)}


def boot_rng(root: np.random.SeedSequence) -> np.random.Generator:
    """The bootstrap generator of a check (a reserved child of the root)."""
    return np.random.default_rng(cell_seed(root, 0x424F4F54))
