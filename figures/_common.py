"""Shared plumbing of the figure modules: tidy tables, the figure style, outputs, layout checks, small statistics.

A *table* is a list of dicts of plain scalars (one dict per row, the same keys in the same order
in every row): tidy, CSV-ready; :func:`as_table` also takes the pandas DataFrame read back from a
figure's CSV. Outputs of a figure ``name`` go to ``DIR/name.pdf`` / ``.png`` / ``.svg``
(:func:`save_figure`, byte-reproducible), ``DIR/name.csv`` (:func:`sgdtails.simulator.records.csv_text`:
floats written with ``repr``, so a re-run with the same seed reproduces the file byte for byte) and
``DIR/name.json`` (config, seed, times, device and the provenance record of
:func:`sgdtails.simulator.provenance.provenance`). Every figure is drawn inside :func:`paper_style`
(8 pt text, mathtext) at a paper width (:data:`WIDTHS`); :func:`text_overlaps`, :func:`small_text`,
:func:`text_outside` and :func:`boxes_over_data` measure what a reader would trip over.
:func:`trend` and :func:`trend_contrast` give Spearman ρ and least-squares slopes with
paired-bootstrap intervals.

Figures are built on :class:`matplotlib.figure.Figure` with an Agg canvas, never through
``pyplot``: no global figure registry, no GUI backend, nothing to ``show``.
"""
from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sgdtails.simulator.provenance import provenance
from sgdtails.simulator.records import csv_text, json_text, to_jsonable, write_bytes, write_text

__all__ = [
    "FORMATS",
    "WIDTHS",
    "Table",
    "as_table",
    "corner_box",
    "group_by",
    "new_figure",
    "note_too_little_data",
    "paper_style",
    "panel_title",
    "save_figure",
    "small_text",
    "spearman",
    "boxes_over_data",
    "text_outside",
    "text_overlaps",
    "too_little_entry",
    "too_little_notes",
    "red_notes",
    "trend",
    "trend_contrast",
    "write_outputs",
]

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


WIDTHS = {"single": 3.5, "double": 7.0}
"""Figure widths in inches: one column and the full text width of a two-column paper."""
FORMATS = ("pdf", "png", "svg")
"""Image formats a figure can be written in."""
MIN_FONT_PT = 8.0
"""Smallest text size of every figure (points): axis labels, ticks, legends, annotations."""

_STYLE = {
    "font.size": MIN_FONT_PT,
    "axes.titlesize": MIN_FONT_PT,
    "axes.labelsize": MIN_FONT_PT,
    "xtick.labelsize": MIN_FONT_PT,
    "ytick.labelsize": MIN_FONT_PT,
    "legend.fontsize": MIN_FONT_PT,
    "legend.title_fontsize": MIN_FONT_PT,
    "figure.titlesize": MIN_FONT_PT + 1,
    "figure.labelsize": MIN_FONT_PT,
    "mathtext.fontset": "dejavusans",
    "axes.linewidth": 0.6,
    "lines.linewidth": 1.1,
    "lines.markersize": 3.0,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "xtick.minor.width": 0.4,
    "ytick.minor.width": 0.4,
    "legend.frameon": True,
    "legend.framealpha": 0.85,
    "legend.borderpad": 0.3,
    "legend.handlelength": 1.6,
    "axes.titlelocation": "left",
    "pdf.fonttype": 42,
    "svg.fonttype": "none",
    "svg.hashsalt": "sgdtails",
}


def paper_style():
    """Context manager: the rcParams of every sgdtails figure (8 pt text, mathtext, thin lines).

    Text properties are fixed when an artist is created, so a plot function builds its whole figure
    inside ``with paper_style():``; nothing outside the block is changed.
    """
    import matplotlib as mpl

    return mpl.rc_context(_STYLE)


def new_figure(
    nrows: int,
    ncols: int,
    *,
    width: str | float = "double",
    row_height: float | None = None,
    **subplot_kw,
) -> tuple[Figure, np.ndarray]:
    """A Figure on an Agg canvas and its axes as a 2-D array (``nrows`` × ``ncols``).

    ``width`` is a paper width (``"single"`` 3.5 in, ``"double"`` 7 in, :data:`WIDTHS`) or inches;
    ``row_height`` (inches per row of panels) defaults to 0.8 × the width of one panel, at least 1.6 in.
    Call it inside :func:`paper_style`.
    """
    if isinstance(width, str) and width not in WIDTHS:
        raise ValueError(f"width must be one of {sorted(WIDTHS)} or inches, got {width!r}")
    w = WIDTHS[width] if isinstance(width, str) else float(width)
    if not w > 0:
        raise ValueError(f"width must be > 0 inches, got {width!r}")
    h = row_height if row_height is not None else max(1.6, 0.8 * w / ncols)
    fig = Figure(figsize=(w, h * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def panel_title(ax: Any, index: int, title: str = "") -> None:
    """Title a panel "(a) title", "(b) …" (left-aligned, so it never collides with a centred one)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    label = f"({letters[index]})" if index < 26 else f"({index + 1})"
    ax.set_title(f"{label} {title}".rstrip(), loc="left")


def corner_box(ax: Any, text: str, loc: str = "upper right") -> Any:
    """Put ``text`` in a framed box in a corner of ``ax`` (annotations go here, not over the data)."""
    from matplotlib.offsetbox import AnchoredText

    box = AnchoredText(text, loc=loc, frameon=True, prop={"size": MIN_FONT_PT}, pad=0.25, borderpad=0.3)
    box.patch.set_alpha(0.85)
    box.patch.set_linewidth(0.4)
    ax.add_artist(box)
    return box


def note_too_little_data(fig: Figure, what: str) -> None:
    """Say on the figure and in a :class:`UserWarning` that it was drawn from too little data."""
    import warnings

    warnings.warn(f"{what}: the figure shows too little data to read a trend", UserWarning, stacklevel=3)
    fig.text(0.995, 0.005, f"too little data: {what}", ha="right", va="bottom", color="tab:red",
             fontsize=MIN_FONT_PT)


def too_little_entry(fig: Figure, what: str) -> tuple[Any, str]:
    """:func:`note_too_little_data` for a figure with a legend: warn, and return the note as a legend entry.

    The note is not written in the figure's corner (where a bottom legend sits) but returned as
    ``(handle, text)`` for the figure's legend (no marker; :func:`red_notes` draws it in red), so
    the layout keeps it clear of every other text.
    """
    from matplotlib.lines import Line2D

    note_too_little_data(fig, what)
    text = f"too little data: {what}"
    for t in [t for t in fig.texts if t.get_text() == text]:
        t.remove()
    return Line2D([], [], ls="none"), text


def red_notes(legend: Any) -> None:
    """Draw a legend's "too little data" entries in red."""
    for t in legend.get_texts():
        if t.get_text().startswith("too little data"):
            t.set_color("tab:red")


def as_table(table: object) -> Table:
    """The rows of ``table``: a list of dicts as :func:`compute` returns, or a pandas DataFrame.

    A DataFrame read back from a figure's CSV (``pandas.read_csv``) holds NaN where the CSV is
    empty (a field that does not apply); those become None, as in the table ``compute`` returned,
    and NumPy scalars become Python ones.
    """
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        records = table.to_dict("records")
    elif isinstance(table, Sequence) and all(isinstance(r, Mapping) for r in table):
        records = [dict(r) for r in table]
    else:
        raise TypeError(f"a figure table is a list of dicts or a pandas DataFrame, got {type(table).__name__}")
    if not records:
        raise ValueError("the figure table is empty")
    out = []
    for r in records:
        row = {}
        for k, v in r.items():
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and math.isnan(v):
                v = None
            row[str(k)] = v
        out.append(row)
    return out


def small_text(fig: Figure, min_pt: float = MIN_FONT_PT) -> list[str]:
    """The visible texts of ``fig`` smaller than ``min_pt`` points (empty: every text is readable)."""
    return [t.get_text() for t in _texts(fig) if t.get_fontsize() < min_pt - 1e-9]


def _texts(fig: Figure) -> list[Any]:
    from matplotlib.text import Text

    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        axes = t.axes
        if axes is not None and not axes.get_visible():
            continue
        out.append(t)
    return out


def _draw(fig: Figure) -> Any:
    """Draw ``fig`` on an Agg canvas (attached if it has none) and return the renderer that measured it."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()  # type: ignore[attr-defined]


def text_overlaps(fig: Figure, *, tolerance_px: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of visible texts of ``fig`` whose rendered bounding boxes overlap.

    The figure is drawn once (Agg renderer) and every visible, non-empty text artist is measured
    (titles, labels, tick labels, legend entries, annotations). Tick labels of ticks outside their
    axis' view interval are not drawn and are skipped. Boxes overlapping by at most
    ``tolerance_px`` pixels in either direction count as touching, not overlapping.
    """
    renderer = _draw(fig)
    hidden = _undrawn_tick_labels(fig)
    boxes = []
    for t in _texts(fig):
        if id(t) in hidden:
            continue
        bb = t.get_window_extent(renderer)
        if bb.width > 0 and bb.height > 0:
            boxes.append((t.get_text(), bb))
    hits = []
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            a, b = boxes[i][1], boxes[j][1]
            dx = min(a.x1, b.x1) - max(a.x0, b.x0)
            dy = min(a.y1, b.y1) - max(a.y0, b.y0)
            if dx > tolerance_px and dy > tolerance_px:
                hits.append((boxes[i][0], boxes[j][0]))
    return hits


def text_outside(fig: Figure, *, tolerance_px: float = 0.5) -> list[str]:
    """Visible texts drawn (partly) past the figure's edges: the saved file would cut them off."""
    renderer = _draw(fig)
    hidden, box = _undrawn_tick_labels(fig), fig.bbox
    out = []
    for t in _texts(fig):
        if id(t) in hidden:
            continue
        bb = t.get_window_extent(renderer)
        if min(bb.x0 - box.x0, bb.y0 - box.y0, box.x1 - bb.x1, box.y1 - bb.y1) < -tolerance_px:
            out.append(t.get_text())
    return out


def boxes_over_data(fig: Figure) -> list[tuple[str, str]]:
    """(legend or corner-box text, axes title) pairs where a box covers data of an axes.

    Data: points along every drawn line (vertices and 16 points per segment), scatter offsets and
    error-bar ends, in display units, inside their axes; and the area of every band (a 5 × 5 grid
    of points of the box inside a ``fill_between`` polygon).
    """
    from matplotlib.collections import PathCollection, PolyCollection
    from matplotlib.legend import Legend
    from matplotlib.offsetbox import AnchoredText

    _draw(fig)
    boxes = [b for b in fig.findobj(lambda a: isinstance(a, (Legend, AnchoredText))) if b.get_visible()]
    hits = []
    for ax in fig.axes:
        pts: list[Any] = []
        areas: list[Any] = []
        for ln in ax.get_lines():
            p = ln.get_transform().transform(ln.get_xydata())
            if len(p) > 1 and ln.get_linestyle() not in ("None", "none", "", " "):
                t = np.linspace(0.0, 1.0, 17)[:, None, None]
                p = (p[:-1] * (1 - t) + p[1:] * t).reshape(-1, 2)
            pts.append(p)
        for c in ax.collections:
            if isinstance(c, PathCollection):
                pts.append(c.get_offset_transform().transform(c.get_offsets()))
            else:
                paths = [q.transformed(c.get_transform()) for q in c.get_paths() if len(np.asarray(q.vertices))]
                pts += [q.vertices for q in paths]
                if isinstance(c, PolyCollection):
                    areas += paths
        if not pts:
            continue
        p = np.concatenate(pts)
        a = ax.bbox
        p = p[np.isfinite(p).all(axis=1) & (p[:, 0] >= a.x0) & (p[:, 0] <= a.x1) & (p[:, 1] >= a.y0) & (p[:, 1] <= a.y1)]
        for b in boxes:
            e = b.get_window_extent()
            grid = np.array([(x, y) for x in np.linspace(e.x0, e.x1, 5) for y in np.linspace(e.y0, e.y1, 5)])
            grid = grid[(grid[:, 0] >= a.x0) & (grid[:, 0] <= a.x1) & (grid[:, 1] >= a.y0) & (grid[:, 1] <= a.y1)]
            covered = bool(np.any((p[:, 0] > e.x0) & (p[:, 0] < e.x1) & (p[:, 1] > e.y0) & (p[:, 1] < e.y1)))
            covered |= len(grid) > 0 and any(path.contains_points(grid).any() for path in areas)
            if covered:
                texts = b.get_texts() if isinstance(b, Legend) else [b.txt._text]  # type: ignore[attr-defined]
                hits.append((" | ".join(t.get_text() for t in texts), ax.get_title(loc="left")))
    return hits


def too_little_notes(fig: Figure) -> list[str]:
    """The visible "too little data" notes of ``fig`` (:func:`note_too_little_data`, :func:`too_little_entry`)."""
    return [t.get_text() for t in _texts(fig) if t.get_text().startswith("too little data")]


def _undrawn_tick_labels(fig: Figure) -> set[int]:
    """The ids of the tick labels not drawn: their tick lies outside the axis' view interval."""
    out: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            slack = 1e-9 * max(abs(lo), abs(hi), 1e-300)
            for tick in (*axis.get_major_ticks(), *axis.get_minor_ticks()):
                loc = tick.get_loc()
                if loc is None or not lo - slack <= loc <= hi + slack:
                    out.update((id(tick.label1), id(tick.label2)))
    return out


def save_figure(fig: Figure, path: str | os.PathLike, *, fmt: str, dpi: int = 300) -> Path:
    """Write ``fig`` as ``fmt`` (pdf, png, svg) to ``path``, the same bytes for the same figure.

    Dates and software stamps are left out of the file's metadata, so a re-run reproduces it. The
    figure's layout is frozen at the first save (constrained layout would otherwise shift by
    sub-pixel amounts from one draw to the next).
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if not (isinstance(dpi, int) and 50 <= dpi <= 1200):
        raise ValueError(f"dpi must be an integer in [50, 1200], got {dpi!r}")
    metadata: dict[str, Any] = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None,
                                   "Creator": None}, "svg": {"Date": None, "Creator": None}}[fmt]
    if fig.get_layout_engine() is not None and type(fig.get_layout_engine()).__name__ != "PlaceHolderLayoutEngine":
        # Constrained layout moves axes by sub-pixel amounts on every draw: lay out once more and
        # freeze, so that every format (and every later save) has one layout, the same bytes.
        fig.draw_without_rendering()
        fig.set_layout_engine("none")
    buf = io.BytesIO()
    with paper_style():  # the save-time settings too: TrueType fonts in PDF, fixed SVG ids
        fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
    out = Path(path)
    write_bytes(out, buf.getvalue())
    return out


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
    formats: Sequence[str] = ("pdf", "png"),
    dpi: int = 300,
) -> dict[str, Path]:
    """Write ``out_dir/name.{pdf,png,…}``, ``name.csv`` and ``name.json``; return their paths by suffix.

    The images are written in each of ``formats`` (:func:`save_figure`, ``dpi`` for PNG). The JSON
    holds the config, seed, this invocation's wall time (seconds), the device, the provenance
    record (package versions, git commit, command line, machine) and ``extra`` (e.g. summary
    statistics, the total compute time); the CSV is :func:`sgdtails.simulator.records.csv_text` of ``table``.
    """
    out = Path(out_dir)
    if not out.is_dir():
        raise FileNotFoundError(f"output directory does not exist: {out}")
    paths = {s: out / f"{name}.{s}" for s in (*formats, "csv", "json")}
    write_text(paths["csv"], csv_text(table))
    for fmt in formats:
        save_figure(fig, paths[fmt], fmt=fmt, dpi=dpi)
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
