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
    """One statement over a size grid: its table rows, fits and verdict (:mod:`sgdtails.theory.verdict`)."""

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
        Why, in words (the primary series' reason, or the series that failed).
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
