r"""Figure S1: tail index α against the pruning ratio 1 − κ₂(W, ε) of synthetic 500×500 matrices.

Section S1.6.2: α_i ~ U(1.75, 2), i = 1 … 250; for each α_i one matrix of each structure
(``iid``: independent SαS(1) entries, the HML condition; ``column``: independent elliptical SαS
columns; ``layer``: the whole matrix one elliptical SαS vector), and the pruning ratio at relative
error ε = 0.1, p = 2 (docs/theory.md §2, :func:`sgdtails.simulator.pruning_ratio`). Expected: ``iid`` prunes clearly
more as α falls, ``column`` less so, ``layer`` not at all (a ``layer`` matrix is √A·G with a single
scalar A, and the pruning ratio is scale free, so its law does not depend on α).

Beyond the paper the same is emitted for node pruning (``scheme="nodes"``: columns ranked by ℓp
norm, the ratio counts columns) and singular-value pruning (``scheme="singular"``: the ratio counts
singular values, Theorem 2's count).

Each (α, structure) is one cell of a :class:`sgdtails.simulator.sweep.Study`, so an interrupted run resumes.
The α_i are drawn from the figure seed on their own stream; cell i draws its matrix from
``cell_seed(seed, i)``.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sgdtails.figures._common import (
    WIDTHS,
    Table,
    as_table,
    corner_box,
    group_by,
    new_figure,
    panel_title,
    paper_style,
    red_notes,
    too_little_entry,
    trend,
    trend_contrast,
)
from sgdtails.simulator.compressibility import pruning_ratio
from sgdtails.simulator.elliptical import sample_weights
from sgdtails.simulator.fingerprint import engine_fingerprint
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.sweep import Study, StudyResult, run_study
from sgdtails.simulator.validate import check_alpha, check_eps, check_int, check_p, check_subset
from sgdtails.simulator.vocabulary import SCHEMES, STRUCTURES

__all__ = [
    "FigureS1Config",
    "S1Cell",
    "compute",
    "compute_study",
    "config_for_scale",
    "contrasts",
    "draw_alphas",
    "plot",
    "s1_cell",
    "summary",
]

NAME = "figure_s1"
_ALPHA_STREAM = 0x53310001  # keeps the α draws apart from the cells' streams


@dataclass(frozen=True)
class FigureS1Config:
    """Parameters of Figure S1 (defaults: the paper's).

    Attributes
    ----------
    n_alpha : int
        Number of tail indices α_i ~ U(alpha_low, alpha_high).
    alpha_low, alpha_high : float
        Range of α, inside (0, 2].
    size : int
        Matrices are size × size.
    eps, p : float
        Relative ℓp error level ε and exponent p of the pruning ratio.
    structures, schemes : tuple of str
        Weight structures and pruning schemes to evaluate.
    seed : int
        Figure seed (α draws and every cell's stream).
    """

    n_alpha: int = 250
    alpha_low: float = 1.75
    alpha_high: float = 2.0
    size: int = 500
    eps: float = 0.1
    p: float = 2.0
    structures: tuple[str, ...] = STRUCTURES
    schemes: tuple[str, ...] = ("magnitude", "nodes", "singular")
    seed: int = 0

    def __post_init__(self) -> None:
        check_int(self.n_alpha, "n_alpha", low=2)
        check_alpha(self.alpha_low, "alpha_low")
        check_alpha(self.alpha_high, "alpha_high")
        if not self.alpha_low < self.alpha_high:
            raise ValueError(f"need alpha_low < alpha_high, got {self.alpha_low!r}, {self.alpha_high!r}")
        check_int(self.size, "size", low=2)
        if not 0.0 < check_eps(self.eps) < 1.0:
            raise ValueError(f"eps must be in (0, 1), got {self.eps!r}")
        check_p(self.p)
        check_subset(self.structures, "structures", STRUCTURES)
        check_subset(self.schemes, "schemes", SCHEMES)
        check_int(self.seed, "seed", low=0)


def config_for_scale(scale: str, seed: int = 0) -> FigureS1Config:
    """The config of ``--scale`` ``"paper"`` or ``"cpu"`` (identical: the paper's sizes take seconds)."""
    if scale not in ("cpu", "paper"):
        raise ValueError(f"scale must be 'cpu' or 'paper', got {scale!r}")
    return FigureS1Config(seed=seed)


@dataclass(frozen=True)
class S1Cell:
    """One cell: a matrix of one structure at one α, evaluated under every scheme."""

    alpha_index: int
    alpha: float
    structure: str
    size: int
    eps: float
    p: float
    schemes: str  # comma-separated (cell configs hold scalars only)


def s1_cell(cell: S1Cell, seed: np.random.SeedSequence) -> list[dict[str, object]]:
    """Sample the cell's matrix and return one row per scheme: ``{"scheme", "pruning_ratio"}``."""
    w = sample_weights(cell.alpha, (cell.size, cell.size), structure=cell.structure, seed=seed)
    return [
        {"scheme": s, "pruning_ratio": pruning_ratio(w, cell.eps, p=cell.p, scheme=s)}
        for s in cell.schemes.split(",")
    ]


def draw_alphas(config: FigureS1Config) -> np.ndarray:
    """The α_i ~ U(alpha_low, alpha_high), drawn from the figure seed on their own stream."""
    rng = np.random.default_rng(np.random.SeedSequence([_ALPHA_STREAM, config.seed]))
    return rng.uniform(config.alpha_low, config.alpha_high, config.n_alpha)


def _grid(config: FigureS1Config) -> list[S1Cell]:
    schemes = ",".join(config.schemes)
    return [
        S1Cell(i, float(a), s, config.size, config.eps, config.p, schemes)
        for i, a in enumerate(draw_alphas(config))
        for s in config.structures
    ]


def compute(config: FigureS1Config = FigureS1Config(), *, run: RunOptions = RunOptions()) -> Table:
    """Pruning ratios of every (α_i, structure, scheme).

    Parameters
    ----------
    config : FigureS1Config
    run : RunOptions
        Where the cells run and where their records are kept (``run.cache_dir/figure_s1/``, a
        temporary folder if None), as in :func:`sgdtails.simulator.run_study`.

    Returns
    -------
    Table
        Rows ``alpha_index, alpha, structure, scheme, pruning_ratio, eps, p, size``, ordered by
        α index, structure, scheme.
    """
    return compute_study(config, run=run)[0]


def compute_study(config: FigureS1Config = FigureS1Config(), *, run: RunOptions = RunOptions()) -> tuple[Table, StudyResult]:
    """:func:`compute`, and the :class:`~sgdtails.simulator.sweep.StudyResult` of its cells (their total compute time)."""
    study = Study(NAME, s1_cell, _grid(config), seed=config.seed, version=f"1+{engine_fingerprint()}",
                  columns=("scheme", "pruning_ratio"))  # a stored record lacking one is recomputed
    result = run_study(study, run=run)
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} Figure S1 cells failed, first: {result.failed[0]['error']}")
    keys = ("alpha_index", "alpha", "structure", "scheme", "pruning_ratio", "eps", "p", "size")
    return [{k: r[k] for k in keys} for r in result.rows], result


def summary(table: Table, *, n_boot: int = 2000, level: float = 0.95) -> Table:
    """Per (scheme, structure): Spearman ρ of α vs pruning ratio and the least-squares slope, n.

    Each statistic comes with its ``level`` paired-bootstrap interval over the α_i
    (:func:`sgdtails.figures._common.trend`, ``n_boot`` resamples, generator seed 0: the same table
    gives the same intervals): keys ``spearman_low``/``spearman_high``, ``slope_low``/``slope_high``.
    """
    out = []
    for (scheme, structure), rows in group_by(table, "scheme", "structure").items():
        a = np.array([r["alpha"] for r in rows])
        y = np.array([r["pruning_ratio"] for r in rows])
        out.append({"scheme": scheme, "structure": structure, **trend(a, y, n_boot=n_boot, level=level), "n": len(rows)})
    return out


def contrasts(table: Table, *, reference: str = "iid", n_boot: int = 2000, level: float = 0.95) -> Table:
    """Per scheme and structure ≠ ``reference``: (its trend) − (the reference's trend), with intervals.

    The quantity behind "the advantage weakens for ``column`` and vanishes for ``layer``"
    (Section S1.6.2): the slope and Spearman ρ of α vs pruning ratio of each structure minus those
    of ``reference``, the structures paired by α index (one α_i for all three) and resampled together
    (:func:`sgdtails.figures._common.trend_contrast`). Keys: ``scheme``, ``structure``,
    ``reference``, ``d_spearman`` (+ ``_low``/``_high``), ``d_slope`` (+ ``_low``/``_high``), ``n``.
    """
    out = []
    for (scheme,), rows in group_by(table, "scheme").items():
        by = {st: {r["alpha_index"]: r for r in g} for (st,), g in group_by(rows, "structure").items()}
        if reference not in by:
            raise ValueError(f"reference structure {reference!r} is not in the table (has {sorted(by)})")
        ref = by[reference]
        for structure, cells in by.items():
            if structure == reference:
                continue
            idx = sorted(set(ref) & set(cells))
            a = np.array([ref[i]["alpha"] for i in idx])
            d = trend_contrast(a, [ref[i]["pruning_ratio"] for i in idx], [cells[i]["pruning_ratio"] for i in idx],
                               n_boot=n_boot, level=level)
            out.append({"scheme": scheme, "structure": structure, "reference": reference, **d, "n": len(idx)})
    return out


_WIDE_FROM = 6.5  # inches: panels side by side from this width on (the layout made for "double", 7 in)
_COLORS = {"iid": "tab:blue", "column": "tab:orange", "layer": "tab:green"}
_SCHEME_NAMES = {"magnitude": "magnitude", "nodes": "nodes", "singular": "singular values"}
_N_BAND = 1000  # bootstrap resamples of the trend line's band
_MIN_ALPHAS = 3  # distinct α values a trend needs (plot contract, item 6)


def _num(x: float) -> str:
    """``x`` to two decimals with a typographic minus sign."""
    return f"{x:.2f}".replace("-", "\u2212")


def _rho_text(st: Mapping[str, float]) -> str:
    r"""Spearman ρ and its interval, "$\rho$ = −0.45 [−0.55, −0.33]"."""
    return rf"$\rho$ = {_num(st['spearman'])} [{_num(st['spearman_low'])}, {_num(st['spearman_high'])}]"


def _trend_band(a: np.ndarray, y: np.ndarray, grid: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Least-squares line of y on a at ``grid`` and its pointwise 95 % paired-bootstrap band.

    The (α_i, y_i) pairs are resampled :data:`_N_BAND` times (generator seeded with ``seed``, so a
    table always gives the same band); a resample with constant α has no slope and is left out.
    """
    slope, icpt = np.polyfit(a, y, 1) if np.ptp(a) > 0 else (0.0, float(np.mean(y)))
    idx = np.random.default_rng(seed).integers(0, a.size, (_N_BAND, a.size))
    ab, yb = a[idx], y[idx]
    ac = ab - ab.mean(axis=1, keepdims=True)
    sxx = (ac * ac).sum(axis=1)
    ok = sxx > 0
    b = (ac[ok] * (yb[ok] - yb[ok].mean(axis=1, keepdims=True))).sum(axis=1) / sxx[ok]
    lines = yb[ok].mean(axis=1, keepdims=True) + b[:, None] * (grid[None, :] - ab[ok].mean(axis=1, keepdims=True))
    low, high = np.percentile(lines, [2.5, 97.5], axis=0)
    return slope * grid + icpt, low, high


def _is_log(lo: float, hi: float) -> bool:
    """A row of panels gets a log y axis when its (positive) data span at least one decade."""
    return lo > 0 and hi / lo >= 10.0


def _reserve_top(fig: Figure, rows: list[list[Any]], boxes: dict[Any, Any], spans: list[tuple[float, float]]) -> None:
    """Set each row's y-limits so that its data stay below the boxes at the top of its panels.

    ``rows``: the axes of each row (they share y), ``spans[i]``: (min, max) of row i's data,
    ``boxes[ax]``: the corner box drawn at the top of ``ax``. The figure is laid out once
    (constrained layout) to measure the boxes; the data then fill the axes below the tallest box
    (in log10 units on a log axis).
    """
    fig.draw_without_rendering()
    for axs, (lo, hi) in zip(rows, spans):
        frac = 0.0
        for ax in axs:
            if ax in boxes:
                bb, ab = boxes[ax].get_window_extent(), ax.get_window_extent()
                frac = max(frac, (ab.y1 - bb.y0) / ab.height)
        log = axs[0].get_yscale() == "log"
        lo, hi = (np.log10(lo), np.log10(hi)) if log else (lo, hi)
        pad = 0.05 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 0.2)  # a constant row: ± 0.01 at least
        y0, top = lo - pad, hi + pad
        y1 = y0 + (top - y0) / max(1.0 - frac - 0.03, 0.2)
        axs[0].set_ylim(*((10.0 ** y0, 10.0 ** y1) if log else (y0, y1)))


def _log_ticks(ax: Any) -> None:
    """Decade ticks labelled 10^k (mathtext) and unlabelled minor ticks at 2…9 × 10^k."""
    from matplotlib.ticker import LogFormatterMathtext, LogLocator, NullFormatter

    ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=12))  # every decade, even on a short axis
    ax.yaxis.set_major_formatter(LogFormatterMathtext())
    ax.yaxis.set_minor_locator(LogLocator(base=10.0, subs=tuple(float(k) for k in range(2, 10)), numticks=12))
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot(table: Table, *, width: str | float = "double") -> Figure:
    r"""α against the pruning ratio of every (scheme, structure), least-squares trend, Spearman ρ.

    Each point is one matrix (one α_i); the line is the least-squares trend with its 95 %
    paired-bootstrap band (:func:`_trend_band`), and Spearman's ρ comes with the 95 % bootstrap
    interval of :func:`summary`. ``width="double"`` (7 in): one row of panels per scheme, one column
    per structure, ρ in a corner box above the data; ``"single"`` (3.5 in, or any width under 6.5 in):
    one panel per scheme with the structures overlaid and their ρ in a legend under the panel. A
    row whose ratios span a decade or more (node pruning) gets a log y axis, and its trend is the
    least-squares line of log10(ratio) on α (a straight line there; ρ is rank-based, so the same
    on either axis). A structure with fewer
    than 3 distinct α gets no trend, and the figure says so
    (:func:`sgdtails.figures._common.note_too_little_data`).
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.transforms import ScaledTranslation

    table = as_table(table)
    by = group_by(table, "scheme", "structure")
    schemes = list(dict.fromkeys(r["scheme"] for r in table))
    structures = list(dict.fromkeys(r["structure"] for r in table))
    series = {k: (np.array([r["alpha"] for r in rows], dtype=float), np.array([r["pruning_ratio"] for r in rows], dtype=float))
              for k, rows in by.items()}
    enough = {k for k, (a, _) in series.items() if np.unique(a).size >= _MIN_ALPHAS}
    stats = {(s["scheme"], s["structure"]): s for s in summary([r for r in table if (r["scheme"], r["structure"]) in enough])}
    alphas = np.array([r["alpha"] for r in table], dtype=float)
    grid = np.linspace(alphas.min(), alphas.max(), 60)
    inches = WIDTHS.get(width, 0.0) if isinstance(width, str) else float(width)
    overlay = inches < _WIDE_FROM and not (isinstance(width, str) and width not in WIDTHS)
    with paper_style():
        if overlay:
            fig, axes = new_figure(len(schemes), 1, width=width, row_height=2.0 + 1.0 / len(schemes))
        else:
            fig, axes = new_figure(len(schemes), len(structures), width=width, row_height=1.5 + 0.8 / len(schemes),
                                   sharex=True, sharey="row")
        boxes: dict[Any, Any] = {}
        spans = []
        any_log = False
        for i, scheme in enumerate(schemes):
            ratios = np.concatenate([series[(scheme, st)][1] for st in structures if (scheme, st) in series])
            log = _is_log(float(ratios.min()), float(ratios.max()))
            any_log |= log
            lo, hi = np.inf, -np.inf
            handles = []
            for j, structure in enumerate(structures):
                ax = axes[i, 0] if overlay else axes[i, j]
                if log:
                    ax.set_yscale("log")
                    _log_ticks(ax)
                else:
                    ax.ticklabel_format(axis="y", useOffset=False)  # no "1e−5" offset text above the axis
                color = _COLORS.get(structure, "tab:gray")
                name = f"{structure}, {_SCHEME_NAMES.get(scheme, scheme)}"
                if not overlay:
                    panel_title(ax, i * len(structures) + j, name)
                if (scheme, structure) not in series:
                    continue
                a, y = series[(scheme, structure)]
                ax.scatter(a, y, s=5, alpha=0.45, color=color, linewidths=0, zorder=2)
                lo, hi = min(lo, y.min()), max(hi, y.max())
                st = stats.get((scheme, structure))
                if st is not None:
                    line, band_lo, band_hi = _trend_band(a, np.log10(y) if log else y, grid)
                    if log:  # fitted to log10 of the ratio: a straight line on the log axis
                        line, band_lo, band_hi = 10.0 ** line, 10.0 ** band_lo, 10.0 ** band_hi
                    ax.fill_between(grid, band_lo, band_hi, color=color if overlay else "black", alpha=0.2, lw=0, zorder=3)
                    ax.plot(grid, line, color=color if overlay else "black", lw=1.1, zorder=4)
                    lo, hi = min(lo, band_lo.min()), max(hi, band_hi.max())
                    if not overlay:
                        boxes[ax] = corner_box(ax, _rho_text(st), loc="upper right")
                label = f"{structure}: {_rho_text(st)}" if st is not None else f"{structure}: too few α for a trend"
                handles.append(Line2D([], [], ls="none", marker="o", ms=3.5, color=color, label=label))
            spans.append((lo, hi))
            if overlay:
                ax = axes[i, 0]
                panel_title(ax, i, f"{_SCHEME_NAMES.get(scheme, scheme)} pruning")
                ax.set_xlim(alphas.min() - 0.02 * np.ptp(alphas), alphas.max() + 0.02 * np.ptp(alphas))
                below = ax.transAxes + ScaledTranslation(0.0, -30.0 / 72.0, fig.dpi_scale_trans)
                ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), bbox_transform=below,
                          handletextpad=0.3, borderaxespad=0.0)
        for ax in axes[-1, :] if not overlay else axes[:, 0]:
            ax.set_xlabel(r"tail index $\alpha$")
        for ax in axes[:, 0]:
            ax.set_ylabel(r"pruning ratio $1-\kappa$")
        key: list[Any] = [Line2D([], [], ls="none", marker="o", ms=3.5, color="tab:gray", alpha=0.6),
               (Patch(color="black" if not overlay else "tab:gray", alpha=0.2, lw=0),
                Line2D([], [], color="black" if not overlay else "tab:gray", lw=1.1))]
        labels = [r"one matrix per $\alpha_i$", "least-squares trend, 95 % bootstrap band"
                  + (("\n" if overlay else " ") + "(of the log ratio on a log axis)" if any_log else "")]
        if len(enough) < len(series):
            handle, note = too_little_entry(fig, f"fewer than {_MIN_ALPHAS} distinct α for a trend")
            key, labels = [*key, handle], [*labels, note]
        red_notes(fig.legend(key, labels, loc="outside lower center", ncol=1 if overlay else 2,
                              title=r"$\rho$: Spearman's rank correlation [95 % bootstrap interval]"))
        eps, p, size = table[0]["eps"], table[0]["p"], table[0]["size"]
        n_alpha = len({r["alpha_index"] for r in table})
        what = rf"{n_alpha} synthetic {size}$\times${size} matrices ($\varepsilon$ = {eps:g}, p = {p:g})"
        fig.suptitle(rf"Tail index $\alpha$ vs pruning ratio, {what}" if not overlay
                     else r"Tail index $\alpha$ vs pruning ratio:" + "\n" + what)
        if not overlay:
            _reserve_top(fig, [list(axes[i, :]) for i in range(len(schemes))], boxes, spans)
    return fig
