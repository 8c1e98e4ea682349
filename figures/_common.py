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

__all__ = ["Table", "group_by", "new_figure", "spearman", "write_outputs"]

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
