"""Shared plumbing of the figure modules: tidy tables, CSV/PNG/JSON outputs, small statistics.

A *table* is a list of dicts of plain scalars (one dict per row, the same keys in the same order
in every row): tidy, pandas-free, CSV-ready. Outputs of a figure ``name`` go to ``DIR/name.png``,
``DIR/name.csv`` (floats written with ``repr``, so a re-run with the same seed reproduces the file
byte for byte) and ``DIR/name.json`` (config, seed, package versions, wall time, device).

Figures are built on :class:`matplotlib.figure.Figure` with an Agg canvas, never through
``pyplot``: no global figure registry, no GUI backend, nothing to ``show``.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import platform
import sys
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version as _dist_version
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = [
    "Table",
    "columns",
    "csv_text",
    "default_device",
    "engine_fingerprint",
    "group_by",
    "new_figure",
    "package_versions",
    "spearman",
    "write_outputs",
]

Table = list[dict[str, object]]
"""Tidy rows: one dict of scalars per row, same keys in every row."""

_VERSIONED = ("heavytails", "numpy", "scipy", "numba", "torch", "matplotlib", "tqdm", "joblib")


def columns(table: Sequence[Mapping[str, object]]) -> list[str]:
    """Column names in first-seen order over all rows."""
    seen: dict[str, None] = {}
    for row in table:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _cell(value: object) -> str:
    """CSV text of one value: ``repr`` for floats (round-trips exactly), '' for None."""
    if value is None:
        return ""
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, str):
        return value
    raise TypeError(f"table values must be scalars, got {type(value).__name__}")


def csv_text(table: Sequence[Mapping[str, object]]) -> str:
    """The tidy CSV of ``table`` (header line, ``\\n`` line ends, floats as ``repr``)."""
    cols = columns(table)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in table:
        writer.writerow([_cell(row.get(c)) for c in cols])
    return buf.getvalue()


def group_by(table: Sequence[Mapping[str, object]], *keys: str) -> dict[tuple, list[Mapping[str, object]]]:
    """Rows grouped by the values of ``keys``, groups in first-seen order."""
    groups: dict[tuple, list[Mapping[str, object]]] = {}
    for row in table:
        groups.setdefault(tuple(row[k] for k in keys), []).append(row)
    return groups


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation of x and y (average ranks for ties); 0.0 if either is constant.

    ``scipy.stats.spearmanr`` warns on constant input (an error under the project's strict
    pytest settings); a constant pruning ratio has no monotone trend, so 0 is the honest value.
    """
    from scipy.stats import rankdata

    rx, ry = rankdata(np.asarray(x, dtype=float)), rankdata(np.asarray(y, dtype=float))
    if rx.size < 2 or np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def default_device() -> str:
    """``"cuda"`` when PyTorch sees a GPU, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def engine_fingerprint() -> str:
    """12 hex digits that change whenever the simulator's seed → numbers mapping or pruning changes.

    Sweep caches are keyed by config, seed and package version, not by code (see
    :mod:`simulator.sweep`); an editable install keeps its version while the samplers change.
    Folding this fingerprint (samples of every structure, their pruning ratios under every scheme,
    and pruned matrices) into ``Study.version`` makes stale cells miss the cache instead of being
    silently reused.
    """
    import hashlib

    from simulator import prune_magnitude, prune_nodes, prune_singular, pruning_ratio, sample_weights

    h = hashlib.sha256()
    for structure in ("iid", "column", "layer"):
        w = sample_weights(1.7, (6, 8), structure=structure, seed=12345)
        h.update(w.tobytes())
        h.update(np.array([pruning_ratio(w, 0.3, scheme=s) for s in ("magnitude", "nodes", "singular")]).tobytes())
        for pruned in (prune_magnitude([w, w.T], 0.4, scope="layer")[0], prune_magnitude(w, 0.4),
                       prune_nodes(w, 0.5), prune_singular(w, 0.5, count="parameters")):
            h.update(np.round(pruned, 12).tobytes())
    return h.hexdigest()[:12]


def package_versions() -> dict[str, str | None]:
    """Python and the installed versions of the packages a figure depends on."""
    out: dict[str, str | None] = {"python": sys.version.split()[0]}
    for dist in _VERSIONED:
        try:
            out[dist] = _dist_version(dist)
        except PackageNotFoundError:
            out[dist] = None
    return out


def new_figure(nrows: int, ncols: int, *, width: float = 4.0, height: float = 3.2, **subplot_kw) -> tuple[Figure, np.ndarray]:
    """A Figure on an Agg canvas and its axes as a 2-D array (``nrows`` × ``ncols``)."""
    fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def _jsonable(config: object) -> object:
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return {f.name: _jsonable(getattr(config, f.name)) for f in dataclasses.fields(config)}
    if isinstance(config, Mapping):
        return {str(k): _jsonable(v) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return [_jsonable(v) for v in config]
    if isinstance(config, np.generic):
        return config.item()
    return config


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


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

    The JSON holds the config, seed, package versions, wall time (seconds), the device and
    ``extra`` (e.g. summary statistics); the CSV is :func:`csv_text` of ``table``.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(f"output directory does not exist: {out}")
    paths = {s: out / f"{name}.{s}" for s in ("png", "csv", "json")}
    _atomic_write(paths["csv"], csv_text(table).encode("utf-8"))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    _atomic_write(paths["png"], buf.getvalue())
    meta = {
        "name": name,
        "config": _jsonable(config),
        "seed": seed,
        "rows": len(table),
        "wall_time_s": wall_time_s,
        "device": device,
        "machine": {"platform": platform.platform(), "cpu_count": os.cpu_count()},
        "versions": package_versions(),
        **({"extra": _jsonable(extra)} if extra else {}),
    }
    _atomic_write(paths["json"], (json.dumps(meta, indent=1, sort_keys=True, default=str) + "\n").encode("utf-8"))
    return paths
