r"""Figure S5: |x| of 10⁴ i.i.d. SαS(1) samples with α = 1.7 — a few entries carry the norm.

Left: histogram of |x| on log-spaced bins, log axes (the paper's figure). Right (beyond the
paper): the share of ‖x‖₂² held by the k largest entries against k/d, the quantity behind
Lemma S2 and Theorem 1 (for p ≥ α the relative error of the k-best term approximation tends to 0).

The table holds the sample itself, sorted by decreasing |x|: one row per entry with its rank k,
|x|, and the cumulative share of ‖x‖² of ranks 1 … k; the histogram is binned in :func:`plot`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from sgdtails.figures._common import Table, new_figure
from sgdtails.simulator.stable import sample_sas
from sgdtails.simulator.validate import check_alpha, check_int

__all__ = ["FigureS5Config", "compute", "config_for_scale", "plot", "top_share"]

NAME = "figure_s5"


@dataclass(frozen=True)
class FigureS5Config:
    """Sample size n, tail index α, seed."""

    n: int = 10_000
    alpha: float = 1.7
    seed: int = 0

    def __post_init__(self) -> None:
        check_int(self.n, "n", low=2)
        check_alpha(self.alpha)
        check_int(self.seed, "seed", low=0)


def config_for_scale(scale: str, seed: int = 0) -> FigureS5Config:
    """Same config for ``"cpu"`` and ``"paper"`` (10⁴ samples)."""
    if scale not in ("cpu", "paper"):
        raise ValueError(f"scale must be 'cpu' or 'paper', got {scale!r}")
    return FigureS5Config(seed=seed)


def compute(config: FigureS5Config = FigureS5Config()) -> Table:
    """Rows ``k, k_over_d, abs_x, share`` for k = 1 … n, |x| decreasing."""
    x = np.abs(sample_sas(config.alpha, config.n, seed=config.seed))
    x = np.sort(x)[::-1]
    scaled = x / x[0]  # exact power-free rescaling keeps the squares finite
    share = np.cumsum(scaled * scaled)
    share /= share[-1]
    n = x.size
    return [
        {"k": k + 1, "k_over_d": (k + 1) / n, "abs_x": float(v), "share": float(s), "alpha": config.alpha}
        for k, (v, s) in enumerate(zip(x, share))
    ]


def top_share(table: Table, fraction: float) -> float:
    """Share of ‖x‖² held by the largest ⌈fraction·n⌉ entries."""
    k = max(1, int(np.ceil(fraction * len(table))))
    return float(table[k - 1]["share"])


def plot(table: Table, *, bins: int = 40) -> Figure:
    """Histogram of |x| (``bins`` log-spaced bins, log axes) and the top-k share of ‖x‖² against k/d."""
    fig, axes = new_figure(1, 2, width=4.4, height=3.4)
    x = np.array([r["abs_x"] for r in table])
    alpha = table[0]["alpha"]
    positive = x[x > 0]
    edges = np.geomspace(positive.min(), positive.max(), bins + 1)
    ax = axes[0, 0]
    ax.hist(positive, bins=edges, color="tab:blue", alpha=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("|x|")
    ax.set_ylabel("count")
    ax.set_title(f"Figure S5: |x|, {len(table)} i.i.d. SαS(1), α = {alpha:g}", fontsize=9)
    ax = axes[0, 1]
    ax.plot([r["k_over_d"] for r in table], [r["share"] for r in table], color="black", lw=1.4)
    ax.set_xscale("log")
    ax.set_xlabel("k/d (fraction of largest entries kept)")
    ax.set_ylabel("share of ‖x‖₂² in the top k")
    ax.set_ylim(0.0, 1.02)
    for f in (0.01, 0.1):
        s = top_share(table, f)
        ax.axvline(f, color="grey", lw=0.8, ls=":")
        ax.annotate(f"top {f:.0%}: {s:.2f}", (f, s), textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_title("cumulative share of the squared norm", fontsize=9)
    return fig
