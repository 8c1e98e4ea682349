r"""Figure S5: |x| of 10⁴ i.i.d. SαS(1) samples with α = 1.7 — a few entries carry the norm.

Panel (a): histogram of |x| on log-spaced bins, log axes (the paper's figure), with Poisson
intervals on the counts. Panel (b) (beyond the paper): the share of ‖x‖₂² held by the k largest
entries against k/d, with a bootstrap band and the Gaussian curve for comparison, the quantity
behind Lemma S2 and Theorem 1 (for p ≥ α the relative error of the k-best term approximation
tends to 0).

The table holds the sample itself, sorted by decreasing |x|: one row per entry with its rank k,
|x|, and the cumulative share of ‖x‖² of ranks 1 … k; the histogram is binned in :func:`plot`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sgdtails.figures._common import WIDTHS, Table, as_table, new_figure, panel_title, paper_style, red_notes, too_little_entry
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


_WIDE_FROM = 6.5  # inches: panels side by side from this width on (the layout made for "double", 7 in)
_N_BOOT = 200  # bootstrap resamples of the top-k share curve (its band)
_MIN_N = 100  # fewer samples: the histogram and the share curve are too coarse to read
_MARKED = (0.01, 0.1)  # fractions k/d whose shares are marked and quoted


def _shares(x: np.ndarray) -> np.ndarray:
    """Cumulative share of ‖x‖₂² held by the k largest |x|, k = 1 … n (scaled by the max: no overflow)."""
    s = np.sort(np.abs(x))[::-1]
    s = s / s[0] if s[0] > 0 else np.ones_like(s)
    c = np.cumsum(s * s)
    return c / c[-1]


def _share_band(x: np.ndarray, ks: np.ndarray, *, n_boot: int = _N_BOOT, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise 95 % bootstrap interval of the top-k share at the ranks ``ks`` (1-based).

    The n values are resampled with replacement ``n_boot`` times (generator seeded with ``seed``:
    the same table gives the same band) and each resample's share curve is read at ``ks``.
    """
    rng = np.random.default_rng(seed)
    curves = np.array([_shares(x[rng.integers(0, x.size, x.size)])[ks - 1] for _ in range(n_boot)])
    low, high = np.percentile(curves, [2.5, 97.5], axis=0)
    return low, high


def _gaussian_share(f: np.ndarray) -> np.ndarray:
    """E[x²; |x| > t]/E[x²] for x ~ N(0, 1), t = Φ⁻¹(1 − f/2): the n → ∞ top-fraction-f share at α = 2.

    ∫_{|x|>t} x² φ(x) dx = 2(t φ(t) + 1 − Φ(t)) (integration by parts).
    """
    from scipy.stats import norm

    t = norm.isf(np.asarray(f, dtype=float) / 2.0)
    return 2.0 * (t * norm.pdf(t) + norm.sf(t))


def _poisson_interval(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Central 68 % Poisson (Garwood) interval of each count; lower end 0 for a count of 0."""
    from scipy.stats import chi2

    c = np.asarray(counts, dtype=float)
    low = np.where(c > 0, chi2.ppf(0.16, 2.0 * np.maximum(c, 1.0)) / 2.0, 0.0)
    return low, chi2.ppf(0.84, 2.0 * c + 2.0) / 2.0


def _log_axis(axis: Any) -> None:
    """Decade ticks labelled 10^k (mathtext), unlabelled minor ticks at 2…9 × 10^k."""
    from matplotlib.ticker import LogFormatterMathtext, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10.0, numticks=12))
    axis.set_major_formatter(LogFormatterMathtext())
    axis.set_minor_locator(LogLocator(base=10.0, subs=tuple(float(k) for k in range(2, 10)), numticks=12))
    axis.set_minor_formatter(NullFormatter())


def plot(table: Table, *, width: str | float = "double", bins: int = 40) -> Figure:
    r"""(a) Histogram of |x| (``bins`` log-spaced bins, log axes); (b) the top-k share of ‖x‖² against k/d.

    (a) Counts with their 68 % Poisson intervals and, for α < 2, a guide line ∝ |x|^(−α) (the
    count of a log-spaced bin of an SαS tail, P(|X| > x) ~ c x^(−α)) placed through the bins above
    the 90 % quantile. (b) The share curve of the sample with its 95 % bootstrap band
    (:func:`_share_band`), the Gaussian (α = 2, n → ∞) curve for comparison (:func:`_gaussian_share`),
    and the shares of the top 1 % and 10 % with their bootstrap intervals, quoted in the legend
    (below the panels, off the data). ``width="double"``: side by
    side; ``"single"`` (or any width under 6.5 in): stacked. Fewer than 100 samples: the figure says so.
    """
    from matplotlib.patches import Patch

    table = as_table(table)
    x = np.array([float(r["abs_x"]) for r in table])
    alpha = float(table[0]["alpha"])
    n = x.size
    positive = x[x > 0]
    inches = WIDTHS.get(width, 0.0) if isinstance(width, str) else float(width)
    stacked = inches < _WIDE_FROM and not (isinstance(width, str) and width not in WIDTHS)
    with paper_style():
        fig, axes = new_figure(2, 1, width=width, row_height=2.6) if stacked else new_figure(1, 2, width=width, row_height=2.7)
        hist, share = axes.flat
        lo, hi = (positive.min(), positive.max()) if positive.size else (1.0, 1.0)
        if not hi > lo:
            lo, hi = lo / 2.0, hi * 2.0
        edges = np.geomspace(lo, hi, bins + 1)
        counts, _ = np.histogram(positive, bins=edges)
        centres = np.sqrt(edges[:-1] * edges[1:])
        hist.stairs(counts, edges, fill=True, color="tab:blue", alpha=0.45, lw=0)
        c_low, c_high = _poisson_interval(counts)
        seen = counts > 0
        hist.errorbar(centres[seen], counts[seen], yerr=[counts[seen] - c_low[seen], c_high[seen] - counts[seen]],
                      fmt="o", ms=2.0, color="tab:blue", elinewidth=0.8, capsize=0, label="count, 68 % Poisson interval")
        hist.set_xscale("log")
        hist.set_yscale("log")
        tail = seen & (edges[:-1] >= np.quantile(positive, 0.9)) if positive.size else seen
        if alpha < 2.0 and tail.sum() >= 2:
            c = np.exp(np.mean(np.log(counts[tail]) + alpha * np.log(centres[tail])))
            xs = centres[tail][[0, -1]]
            hist.plot(xs, c * xs ** -alpha, "--", color="black", lw=1.0,
                      label=rf"$\propto |x|^{{-\alpha}}$, tail guide ($\alpha$ = {alpha:g})")
        hist.set_ylim(0.5, max(counts.max(), 1) * 2.0)
        _log_axis(hist.xaxis)
        _log_axis(hist.yaxis)
        hist.set_xlabel(r"$|x|$")
        hist.set_ylabel("count")
        panel_title(hist, 0, r"histogram of $|x|$, log-spaced bins")

        k_over_d = np.array([float(r["k_over_d"]) for r in table])
        curve = np.array([float(r["share"]) for r in table])
        ks = np.unique(np.geomspace(1, n, 80).round().astype(int))
        band_lo, band_hi = _share_band(x, ks)
        share.fill_between(ks / n, band_lo, band_hi, color="black", alpha=0.18, lw=0)
        share.plot(k_over_d, curve, color="black", lw=1.2, label="sample, 95 % bootstrap band")
        f = np.geomspace(1.0 / n, 1.0, 200)
        share.plot(f, _gaussian_share(f), ":", color="tab:red", lw=1.2, label=r"Gaussian ($\alpha$ = 2), $n\to\infty$")
        for m, color in zip(_MARKED, ("tab:blue", "tab:orange")):
            k = max(1, int(np.ceil(m * n)))
            blo, bhi = _share_band(x, np.array([k]))
            s = top_share(table, m)
            share.errorbar([k / n], [s], yerr=[[s - blo[0]], [bhi[0] - s]], fmt="o", ms=3.0, color=color,
                           elinewidth=1.0, capsize=2.0, zorder=5,
                           label=rf"top {100 * m:g}$\,$%: {s:.2f} [{blo[0]:.2f}, {bhi[0]:.2f}]")
        share.set_xscale("log")
        _log_axis(share.xaxis)
        share.set_xlim(1.0 / n, 1.0)
        share.set_ylim(0.0, 1.02)
        share.set_xlabel(r"$k/d$ (fraction of the largest entries kept)")
        share.set_ylabel(r"share of $\|x\|_2^2$" + ("\n" if stacked else " ") + r"in the top $k$")
        panel_title(share, 1, r"cumulative share of the squared norm")
        handles, labels = [], []
        for ax in (hist, share):
            h, lab = ax.get_legend_handles_labels()
            handles += h
            labels += lab
        band = Patch(color="black", alpha=0.18, lw=0)
        handles = [(band, h) if lab.startswith("sample") else h for h, lab in zip(handles, labels)]
        if n < _MIN_N:
            handle, note = too_little_entry(fig, f"{n} samples (fewer than {_MIN_N})")
            handles, labels = [*handles, handle], [*labels, note]
        red_notes(fig.legend(handles, labels, loc="outside lower center", ncol=1 if stacked else 3))
        what = rf"$|x|$ of {n} i.i.d. S$\alpha$S(1) samples, $\alpha$ = {alpha:g}"
        fig.suptitle("A few entries carry the norm:" + ("\n" if stacked else " ") + what)
    return fig
