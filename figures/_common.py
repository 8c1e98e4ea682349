"""Shared plumbing of the figure modules: tidy tables, PNG/CSV/JSON outputs, small statistics.

A *table* is a list of dicts of plain scalars (one dict per row, the same keys in the same order
in every row): tidy, pandas-free, CSV-ready. Outputs of a figure ``name`` go to ``DIR/name.png``,
``DIR/name.csv`` (:func:`sgdtails.simulator.records.csv_text`: floats written with ``repr``, so a
re-run with the same seed reproduces the file byte for byte) and ``DIR/name.json`` (config, seed,
wall time, device and the provenance record of :func:`sgdtails.simulator.provenance.provenance`).

Figures are built on :class:`matplotlib.figure.Figure` with an Agg canvas, never through
``pyplot``: no global figure registry, no GUI backend, nothing to ``show``.
"""
from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sgdtails.simulator.provenance import provenance
from sgdtails.simulator.records import csv_text, json_text, to_jsonable, write_bytes, write_text

__all__ = ["Table", "group_by", "new_figure", "spearman", "trend", "trend_contrast", "write_outputs"]

Table = list[dict[str, Any]]
"""Tidy rows: one dict of scalars per row, same keys in every row."""


def group_by(table: Sequence[Mapping[str, Any]], *keys: str) -> dict[tuple, list[Mapping[str, Any]]]:
    """Rows grouped by the values of ``keys``, groups in first-seen order."""
    groups: dict[tuple, list[Mapping[str, Any]]] = {}
    for row in table:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    return groups


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman rank correlation of x and y (average ranks for ties); 0.0 if either is constant.

    ``scipy.stats.spearmanr`` warns on constant input (an error under the project's strict
    pytest settings); a constant pruning ratio has no monotone trend, so 0 is the honest value.
    """
    from scipy.stats import rankdata

    rx, ry = rankdata(np.asarray(x, dtype=float)), rankdata(np.asarray(y, dtype=float))
    if rx.size < 2 or np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def _rank_rows(a: np.ndarray) -> np.ndarray:
    """Average ranks along the last axis (ties share their mean rank)."""
    from scipy.stats import rankdata

    return rankdata(a, axis=-1)


def _corr_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson correlation along the last axis; 0 where either row is constant."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    sxy = (xc * yc).sum(axis=-1)
    sxx, syy = (xc * xc).sum(axis=-1), (yc * yc).sum(axis=-1)
    ok = (sxx > 0) & (syy > 0)
    return np.where(ok, sxy / np.sqrt(np.where(ok, sxx * syy, 1.0)), 0.0)


def _slope_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least-squares slope of y on x along the last axis; 0 where x is constant."""
    xc = x - x.mean(axis=-1, keepdims=True)
    sxx = (xc * xc).sum(axis=-1)
    sxy = (xc * (y - y.mean(axis=-1, keepdims=True))).sum(axis=-1)
    return np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)


def trend(
    x: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Spearman ρ and least-squares slope of y on x, each with a paired-bootstrap interval.

    The (x_i, y_i) pairs are resampled ``n_boot`` times (``scipy.stats.bootstrap``, paired,
    percentile method, generator seeded with ``seed``, so the intervals are reproducible) and the
    ``level`` central interval of each statistic is returned as ``*_low`` / ``*_high``. Keys:
    ``spearman``, ``spearman_low``, ``spearman_high``, ``slope``, ``slope_low``, ``slope_high``.
    A constant series has ρ = slope = 0 (no monotone trend), as in :func:`spearman`.
    """
    xa, ya = _series(x, y)
    out = {"spearman": spearman(xa, ya), "slope": float(_slope_rows(xa, ya))}
    for name, fn in _TREND_STATS.items():
        out[f"{name}_low"], out[f"{name}_high"] = _interval((xa, ya), lambda a, b, f=fn: f(a, b), n_boot, level, seed)
    return {k: out[k] for k in ("spearman", "spearman_low", "spearman_high", "slope", "slope_low", "slope_high")}


def trend_contrast(
    x: Sequence[float] | np.ndarray,
    y_ref: Sequence[float] | np.ndarray,
    y: Sequence[float] | np.ndarray,
    *,
    n_boot: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> dict[str, float]:
    """Differences of :func:`trend`'s statistics, (trend of y on x) − (trend of y_ref on x).

    ``y`` and ``y_ref`` are measured at the same x_i (Figure S1: two structures at one α_i), so
    the triples (x_i, y_ref_i, y_i) are resampled together (paired bootstrap, percentile method,
    generator seeded with ``seed``): the interval of a difference is tighter than two separate
    intervals would suggest. Keys: ``d_spearman``, ``d_spearman_low``, ``d_spearman_high``,
    ``d_slope``, ``d_slope_low``, ``d_slope_high``.
    """
    xa, ra = _series(x, y_ref)
    _, ya = _series(x, y)
    out: dict[str, float] = {}
    for name, fn in _TREND_STATS.items():
        out[f"d_{name}"] = float(fn(xa, ya) - fn(xa, ra))
        out[f"d_{name}_low"], out[f"d_{name}_high"] = _interval(
            (xa, ra, ya), lambda a, r, b, f=fn: f(a, b) - f(a, r), n_boot, level, seed)
    return out


def _series(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xa, ya = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if xa.shape != ya.shape or xa.ndim != 1 or xa.size < 2:
        raise ValueError(f"a trend needs 1-D series of one length >= 2, got shapes {xa.shape} and {ya.shape}")
    return xa, ya


def _interval(data: tuple[np.ndarray, ...], statistic, n_boot: int, level: float, seed: int) -> tuple[float, float]:
    """Paired percentile-bootstrap interval of a statistic vectorised along the last axis."""
    from scipy.stats import bootstrap

    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    res = bootstrap(data, lambda *a, axis=-1: statistic(*a), n_resamples=n_boot, paired=True, vectorized=True,
                    confidence_level=level, method="percentile", rng=np.random.default_rng(seed))
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


_TREND_STATS = {
    "spearman": lambda a, b: _corr_rows(_rank_rows(a), _rank_rows(b)),
    "slope": _slope_rows,
}


def new_figure(nrows: int, ncols: int, *, width: float = 4.0, height: float = 3.2, **subplot_kw) -> tuple[Figure, np.ndarray]:
    """A Figure on an Agg canvas and its axes as a 2-D array (``nrows`` × ``ncols``)."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def write_outputs(
    name: str,
    table: Sequence[Mapping[str, object]],
    fig: Figure,
    out_dir: str | os.PathLike,
    *,
    config: object,
    seed: int,
    wall_time_s: float,
    device: str = "cpu",
    extra: Mapping[str, object] | None = None,
) -> dict[str, Path]:
    """Write ``out_dir/name.{png,csv,json}``; return their paths by suffix.

    The JSON holds the config, seed, wall time (seconds), the device, the provenance record
    (package versions, git commit, command line, machine) and ``extra`` (e.g. summary
    statistics); the CSV is :func:`sgdtails.simulator.records.csv_text` of ``table``.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(f"output directory does not exist: {out}")
    paths = {s: out / f"{name}.{s}" for s in ("png", "csv", "json")}
    write_text(paths["csv"], csv_text(table))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    write_bytes(paths["png"], buf.getvalue())
    meta = {
        "name": name,
        "config": to_jsonable(config),
        "seed": seed,
        "rows": len(table),
        "wall_time_s": wall_time_s,
        "device": device,
        "provenance": provenance(),
        **({"extra": to_jsonable(extra)} if extra else {}),
    }
    write_text(paths["json"], json_text(meta))
    return paths
