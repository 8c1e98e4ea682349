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

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from sgdtails.figures._common import Table, group_by, new_figure, trend, trend_contrast
from sgdtails.simulator.compressibility import pruning_ratio
from sgdtails.simulator.elliptical import sample_weights
from sgdtails.simulator.fingerprint import engine_fingerprint
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.sweep import Study, run_study
from sgdtails.simulator.validate import check_alpha, check_eps, check_int, check_p, check_subset
from sgdtails.simulator.vocabulary import SCHEMES, STRUCTURES

__all__ = ["FigureS1Config", "S1Cell", "compute", "config_for_scale", "contrasts", "draw_alphas", "plot", "s1_cell", "summary"]

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
    study = Study(NAME, s1_cell, _grid(config), seed=config.seed, version=f"1+{engine_fingerprint()}",
                  columns=("scheme", "pruning_ratio"))  # a stored record lacking one is recomputed
    result = run_study(study, run=run)
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} Figure S1 cells failed, first: {result.failed[0]['error']}")
    keys = ("alpha_index", "alpha", "structure", "scheme", "pruning_ratio", "eps", "p", "size")
    return [{k: r[k] for k in keys} for r in result.rows]


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


def plot(table: Table) -> Figure:
    """One row of panels per scheme, one column per structure: α vs pruning ratio, trend, Spearman ρ."""
    by = group_by(table, "scheme", "structure")
    schemes = list(dict.fromkeys(r["scheme"] for r in table))
    structures = list(dict.fromkeys(r["structure"] for r in table))
    stats = {(s["scheme"], s["structure"]): s for s in summary(table)}
    fig, axes = new_figure(len(schemes), len(structures), width=3.6, height=2.9, sharex=True, sharey="row")
    colors = {"iid": "tab:blue", "column": "tab:orange", "layer": "tab:green"}
    for i, scheme in enumerate(schemes):
        for j, structure in enumerate(structures):
            ax = axes[i, j]
            rows = by.get((scheme, structure), [])
            a = np.array([r["alpha"] for r in rows])
            y = np.array([r["pruning_ratio"] for r in rows])
            ax.scatter(a, y, s=7, alpha=0.6, color=colors.get(structure, "tab:gray"), linewidths=0)
            st = stats.get((scheme, structure))
            if st is not None and a.size >= 2:
                xs = np.array([a.min(), a.max()])
                ax.plot(xs, np.polyval(np.polyfit(a, y, 1), xs), color="black", lw=1.2)
                ax.text(0.03, 0.04, f"Spearman ρ = {st['spearman']:.2f} [{st['spearman_low']:.2f}, {st['spearman_high']:.2f}]",
                        transform=ax.transAxes, fontsize=8)
            ax.set_title(f"{structure} ({scheme})", fontsize=9)
            if i == len(schemes) - 1:
                ax.set_xlabel("tail index α")
            if j == 0:
                eps = rows[0]["eps"] if rows else table[0]["eps"]
                ax.set_ylabel(f"pruning ratio 1 − κ (ε = {eps:g})")
    fig.suptitle("Figure S1: tail index vs pruning ratio of synthetic weight matrices", fontsize=10)
    return fig

