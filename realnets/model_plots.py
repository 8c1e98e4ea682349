"""Plots of :func:`sgdtails.analyze` tables: α̂ per layer, and pruning ratios against α̂ with the synthetic references.

``fig_alpha_per_layer(df)``: both estimates of every layer with their 95% intervals (the paper's
estimator is capped at 2). ``fig_pruning_vs_alpha(df)``: one panel per scheme; each layer's ratio at
its reference α (``alpha_ref``) over the range (min to max, and the median) of its synthetic
``iid`` / ``column`` / ``layer`` references. ``write_model_plots`` writes both as PNG.
"""
from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from sgdtails.realnets.diagnose import RATIO_COLUMNS  # noqa: E402
from sgdtails.realnets.plots import save_png  # noqa: E402
from sgdtails.simulator.vocabulary import STRUCTURES  # noqa: E402

__all__ = ["fig_alpha_per_layer", "fig_pruning_vs_alpha", "write_model_plots"]

_COLORS = {"iid": "tab:blue", "column": "tab:orange", "layer": "tab:green"}


def _num(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)


def fig_alpha_per_layer(df: pd.DataFrame) -> Figure:
    """α̂ (paper estimator and MMO) of every layer with 95% intervals."""
    fig = Figure(figsize=(max(5.0, 0.5 * len(df) + 3.0), 3.6), layout="constrained")
    ax = fig.add_subplot()
    x = np.arange(len(df))
    for k, (method, marker) in enumerate((("paper", "o"), ("mmo", "s"))):
        a = _num(df[f"alpha_{method}"])
        lo, hi = _num(df[f"alpha_{method}_lo"]), _num(df[f"alpha_{method}_hi"])
        err = np.vstack([np.where(np.isfinite(lo), a - lo, 0.0), np.where(np.isfinite(hi), hi - a, 0.0)])
        ax.errorbar(x + (k - 0.5) * 0.2, a, yerr=err, fmt=marker, ms=4, capsize=2, lw=0.8,
                    label="paper estimator (capped at 2)" if method == "paper" else "MMO, all entries")
    ax.axhline(2.0, color="gray", lw=0.8, ls="--")
    ax.set_xticks(x, list(df["layer"]), rotation=45, ha="right", fontsize=7)
    ax.set(ylabel="tail index α̂", title="α̂ per layer (95% intervals)")
    ax.legend(fontsize=7)
    return fig


def fig_pruning_vs_alpha(df: pd.DataFrame) -> Figure:
    """Pruning ratio of each layer at its reference α over the range of its synthetic references."""
    refs = pd.DataFrame(df.attrs.get("references", []))
    eps, p = df.attrs.get("settings", {}).get("eps", 0.1), df.attrs.get("settings", {}).get("p", 2.0)
    fig = Figure(figsize=(12, 3.6), layout="constrained")
    axes = fig.subplots(1, len(RATIO_COLUMNS), sharex=True)
    a_ref = _num(df["alpha_ref"])
    for ax, col in zip(axes, RATIO_COLUMNS):
        if not refs.empty:
            for s in STRUCTURES:
                mine = refs[refs["structure"] == s]
                if mine.empty:
                    continue
                g = mine.groupby("layer")[col]
                lo, hi, mid = g.min(), g.max(), g.median()
                at = df.set_index("layer")["alpha_ref"].reindex(mid.index).astype(float)
                ax.vlines(at, lo.reindex(mid.index), hi.reindex(mid.index), color=_COLORS[s], lw=6, alpha=0.3)
                ax.scatter(at, mid, s=12, color=_COLORS[s], label=f"synthetic {s} (range, median)")
        ax.scatter(a_ref, _num(df[col]), marker="x", s=30, color="black", label="layer", zorder=3)
        ax.set(xlabel="α (layer: MMO α̂, capped at 2)", ylabel=f"{col.removeprefix('pr_')} pruning ratio",
               title=f"ε = {eps:g}, p = {p:g}")
    axes[0].legend(fontsize=7)
    return fig


def write_model_plots(df: pd.DataFrame, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write ``alpha_per_layer.png`` and ``pruning_vs_alpha.png`` into ``out_dir``; returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [save_png(fig_alpha_per_layer(df), out / "alpha_per_layer.png", dpi=120),
            save_png(fig_pruning_vs_alpha(df), out / "pruning_vs_alpha.png", dpi=120)]
