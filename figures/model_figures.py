r"""Plots of :func:`sgdtails.analyze` tables: α̂ per layer, and pruning ratios against α̂ with the synthetic references.

``fig_alpha_per_layer(df)``: both estimates of every layer with their 95% intervals (the paper's
estimator is capped at 2). ``fig_pruning_vs_alpha(df)``: one panel per scheme; each layer's ratio at
its reference α (``alpha_ref``) over the range (min to max, and the median) of its synthetic
``iid`` / ``column`` / ``layer`` references (docs/theory.md §6; the diagnosis of
:mod:`sgdtails.realnets.diagnose`). ``write_model_plots`` writes both, in each of ``formats``.

Both are drawn at a paper width (``width="double"`` 7 in or ``"single"`` 3.5 in) in the style of
every sgdtails figure (:func:`sgdtails.figures._common.paper_style`). The pruning-ratio figure says
so on the figure and in a :class:`UserWarning` when it has too little data to compare (one layer,
or no synthetic references).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sgdtails.figures._common import FORMATS, new_figure, panel_title, paper_style, save_figure
from sgdtails.figures._layout import finish, is_narrow
from sgdtails.realnets.diagnose import RATIO_COLUMNS
from sgdtails.simulator.vocabulary import STRUCTURES

__all__ = ["fig_alpha_per_layer", "fig_pruning_vs_alpha", "write_model_plots"]

_COLORS = {"iid": "tab:blue", "column": "tab:orange", "layer": "tab:green"}
_SCHEMES = {"pr_magnitude": "magnitude", "pr_singular": "singular values", "pr_nodes": "nodes"}


def _num(values: Any) -> np.ndarray:
    """Floats of a column (a pandas Series or a list), NaN where a value is missing or not a number."""
    import pandas as pd

    return pd.to_numeric(pd.Series(list(values), dtype=object), errors="coerce").to_numpy(dtype=float)


def fig_alpha_per_layer(df: Any, *, width: str | float = "double") -> Figure:
    """α̂ (paper estimator and MMO) of every layer with 95% intervals (bars; none where not estimated)."""
    layers = [str(v) for v in df["layer"]]
    narrow = is_narrow(width)
    with paper_style():
        fig, axes = new_figure(1, 1, width=width, row_height=2.6 if narrow else 2.8)
        ax = axes[0, 0]
        x = np.arange(len(layers))
        entries = []
        for k, (method, marker) in enumerate((("paper", "o"), ("mmo", "s"))):
            a = _num(df[f"alpha_{method}"])
            lo, hi = _num(df[f"alpha_{method}_lo"]), _num(df[f"alpha_{method}_hi"])
            err = np.vstack([np.where(np.isfinite(lo), np.maximum(a - lo, 0.0), 0.0),
                             np.where(np.isfinite(hi), np.maximum(hi - a, 0.0), 0.0)])
            bars = ax.errorbar(x + (k - 0.5) * 0.2, a, yerr=err, fmt=marker, ms=4, capsize=2, lw=0.8, color=f"C{k}")
            entries.append((bars, r"paper estimator (capped at 2)" if method == "paper" else "MMO, all entries"))
        line = ax.axhline(2.0, color="gray", lw=0.8, ls="--")
        entries.append((line, r"$\alpha = 2$ (Gaussian)"))
        flat = max(len(name) for name in layers) <= 8 and len(layers) <= (6 if narrow else 12)
        ax.set_xticks(x, layers, rotation=0 if flat else 90)  # short names lie flat, long ones stand up
        ax.set_xlabel("layer")
        ax.set_ylabel(r"tail index $\hat\alpha$ (bars: 95% interval)")
        fig.suptitle(r"Tail index $\hat\alpha$ per layer")
        return finish(fig, [ax], entries, ncol=1 if narrow else 3)


def fig_pruning_vs_alpha(df: Any, *, width: str | float = "double") -> Figure:
    """Pruning ratio of each layer at its reference α over the range of its synthetic references.

    One panel per scheme; the references of the three structures are drawn side by side (a small
    shift in α) so that their ranges do not hide each other.
    """
    import pandas as pd

    refs = pd.DataFrame(df.attrs.get("references", []))
    settings = df.attrs.get("settings", {})
    eps, p = settings.get("eps", 0.1), settings.get("p", 2.0)
    narrow = is_narrow(width)
    a_ref = _num(df["alpha_ref"])
    known = a_ref[np.isfinite(a_ref)]
    span = float(np.ptp(known)) if known.size else 0.0
    shift = max(0.02 * span, 0.01)
    layer_alpha = dict(zip((str(v) for v in df["layer"]), a_ref))
    with paper_style():
        fig, grid = new_figure(3 if narrow else 1, 1 if narrow else 3, width=width, row_height=1.9 if narrow else 2.3)
        axes = list(grid.ravel())
        handles: dict[str, Any] = {}
        for k, (ax, col) in enumerate(zip(axes, RATIO_COLUMNS)):
            if not refs.empty:
                for j, s in enumerate(STRUCTURES):
                    mine = refs[refs["structure"] == s]
                    if mine.empty:
                        continue
                    g = mine.assign(layer=mine["layer"].astype(str)).groupby("layer", sort=False)[col]
                    lo, hi, mid = g.min(), g.max(), g.median()
                    at = np.array([layer_alpha.get(str(name), np.nan) for name in mid.index]) + (j - 1) * shift
                    ax.vlines(at, lo.to_numpy(dtype=float), hi.to_numpy(dtype=float), color=_COLORS[s], lw=4, alpha=0.35)
                    handles[f"synthetic {s} (range, median)"] = ax.scatter(at, mid.to_numpy(dtype=float), s=12,
                                                                           color=_COLORS[s])
            handles["layer"] = ax.scatter(a_ref, _num(df[col]), marker="x", s=30, color="black", zorder=3)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10]))
            ax.set_xlabel(r"$\alpha$ (layer: MMO $\hat\alpha$, capped at 2)")
            ax.set_ylabel("pruning ratio")
            panel_title(ax, k, _SCHEMES[col])
        fig.suptitle(rf"Pruning ratio at $\varepsilon = {eps:g}$, $p = {p:g}$ of each layer and its synthetic references")
        notes = []
        if known.size < 2:
            notes.append("fewer than 2 layers with an α̂")
        elif span <= 1e-6 * float(np.max(np.abs(known))):
            notes.append("one α̂ for every layer")
        if refs.empty:
            notes.append("no synthetic references")
        entries = [(h, label) for label, h in handles.items()]
        return finish(fig, axes, entries, ncol=1 if narrow else 2, notes=notes)


def write_model_plots(df: Any, out_dir: str | os.PathLike[str], *, formats: Sequence[str] = ("pdf", "png"),
                      dpi: int = 300, width: str | float = "double") -> list[Path]:
    """Write ``alpha_per_layer.<fmt>`` and ``pruning_vs_alpha.<fmt>`` into ``out_dir`` for each format; returns the paths."""
    fmts = tuple(dict.fromkeys(formats))
    if not fmts or any(f not in FORMATS for f in fmts):
        raise ValueError(f"formats must be among {', '.join(FORMATS)}, got {', '.join(formats) or 'none'}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in (("alpha_per_layer", fig_alpha_per_layer), ("pruning_vs_alpha", fig_pruning_vs_alpha)):
        fig = make(df, width=width)
        paths += [save_figure(fig, out / f"{name}.{fmt}", fmt=fmt, dpi=dpi) for fmt in fmts]
    return paths
