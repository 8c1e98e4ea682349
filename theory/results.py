"""What a theorem check returns: one :class:`SeriesResult` per statement, gathered in a :class:`CheckResult`.

A *series* is one statement "error(size) ≤ threshold" measured over a grid of sizes; its verdict
is decided by the rule of :mod:`sgdtails.theory.verdict` (docs/theory.md §4). A check's overall
verdict combines those of its series.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["VERDICTS", "CheckResult", "SeriesResult", "combine"]

VERDICTS = ("holds", "fails", "inconclusive")


@dataclass(frozen=True)
class SeriesResult:
    """One statement over a size grid: its table rows, fits and verdict (:mod:`sgdtails.theory.verdict`).

    Attributes
    ----------
    label, size_name : str
        The statement and its size variable (``"d"`` entries, ``"h"`` width).
    threshold : float
        t of the event error ≤ t.
    rows : tuple of dict
        One row per size: median, 10 %/90 % quantiles, mean, P(error ≤ t) with its Wilson interval.
    slope, slope_ci : float, (float, float)
        Log-log slope of the median error over the whole grid, and its 95 % bootstrap interval.
    upper_slope, upper_slope_ci : float, (float, float)
        The same over the upper half of the grid (the local rate at the largest sizes).
    theory_slope : float or None
        The derived rate (r < 0 power law, 0 logarithmic, None no decay: a positive limit).
    limit, limit_ci : float, (float, float)
        The fitted limit L of the median, m ≈ L + C·size^β, and its interval.
    d0, d0_ci : float, (float, float)
        Extrapolated size at which P(error ≤ t) reaches the rule's level, and its interval.
    in_hypothesis : bool
        Whether the case lies inside the theorem's hypothesis (reported; the rule does not use it).
    verdict, reason : str
        "holds" / "fails" / "inconclusive", and why.
    """

    label: str
    size_name: str
    threshold: float
    rows: tuple[dict, ...]
    slope: float
    slope_ci: tuple[float, float]
    upper_slope: float
    upper_slope_ci: tuple[float, float]
    theory_slope: float | None
    limit: float
    limit_ci: tuple[float, float]
    d0: float
    d0_ci: tuple[float, float]
    in_hypothesis: bool
    verdict: str
    reason: str

    def summary(self) -> dict:
        """One row: label, verdict, reason, slopes, limit and d₀ (for printing and JSON)."""
        keys = ("label", "verdict", "reason", "slope", "slope_ci", "upper_slope", "upper_slope_ci",
                "theory_slope", "limit", "limit_ci", "d0", "d0_ci", "in_hypothesis", "threshold")
        return {k: getattr(self, k) for k in keys}


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
        Overall verdict (:func:`combine` of the series' verdicts; rule in :mod:`sgdtails.theory.verdict`).
    reason : str
        Why, in words: the reason of the first series whose verdict is the overall one (the
        primary series when all hold).
    table : tuple of dict
        Tidy rows, one per (series, size): size, d, n_trials, threshold, median, q10, q90, mean,
        p_within = P(error ≤ threshold) with its Wilson 95% interval p_lo, p_hi.
    slope, slope_ci : float, (float, float)
        Fitted log-log decay exponent of the median error in the size, primary series.
    theory_slope : float or None
        Its derived value (docs/theory.md §4, rates) where one exists.
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
        main = next((s for s in series if s.verdict == verdict), series[0])  # the series that decided it
        table = tuple(dict(r, check=name, verdict=s.verdict) for s in series for r in s.rows)
        first = series[0]
        return cls(name, verdict, f"{main.label}: {main.reason}", table, first.slope, first.slope_ci,
                   first.theory_slope, tuple(series), dict(config))

    def to_rows(self) -> list[dict]:
        """The tidy table as a list of dicts (one per series and size), for CSV."""
        return [dict(r) for r in self.table]

    def summary_rows(self) -> list[dict]:
        """One dict per series: verdict, reason, slopes, fitted limit and d₀ (:meth:`SeriesResult.summary`)."""
        return [s.summary() for s in self.series]
