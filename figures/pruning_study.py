r"""Synthetic pruning study (Section S1.6.1; docs/theory.md §6): how robust random SαS FCN6 nets are to pruning.

Networks: FCN6 analogues, 6 hidden layers of width h with ReLU, input 784, output 10, no biases.
For each α the hidden-layer weights are i.i.d. SαS(α) (:func:`sgdtails.simulator.sample_weights`), each
hidden layer scaled to unit Frobenius norm; the last layer is drawn like PyTorch's default
``nn.Linear`` init, U(±1/√h) — the teacher network of :func:`sgdtails.realnets.offline.teacher_layers`.
Inputs: i.i.d. N(0, 1) of MNIST shape; labels: argmax of the
unpruned network. Every layer, the last one included (as in the paper's real-network experiments,
where remaining ratios count all parameters), is pruned at kept fraction κ = 1 − (target ratio),
under each (scheme, scope) of :data:`sgdtails.simulator.vocabulary.PRUNINGS`:

* magnitude, layer: layer-wise magnitude pruning (the paper's figure),
  :func:`sgdtails.simulator.prune_magnitude` with ``scope="layer"``;
* magnitude, global: one threshold over all layers (``scope="global"``);
* singular: each layer keeps r singular triplets with r(m + n + 1) ≤ κmn (the experiments'
  parameter count, :func:`sgdtails.simulator.prune_singular` ``count="parameters"``);
* nodes: each layer keeps the ⌈κ·fan_in⌉ input columns of largest ℓ2 norm
  (:func:`sgdtails.simulator.prune_nodes`).

The ``pruning_ratio`` column is the fraction of all parameters actually removed (it differs from
the target for ``singular``, whose counts are integers of r(m + n + 1)).

Traps
-----
* A deep bias-free random ReLU net sends most inputs to one or two classes (the representations of
  different inputs align with depth), so the raw relative accuracy is dominated by label imbalance:
  a pruned net that predicts the majority class everywhere still scores the top-class share. Each
  row therefore also reports Cohen's κ between pruned and unpruned predictions (chance-corrected;
  NaN only when both prediction vectors are one and the same constant class), the top-class share
  of the labels (``top_share``) and of the pruned predictions (``pred_top_share``).
* Without biases the network is positively homogeneous in every layer: the unit-norm scaling
  changes no prediction; it only matters for ``magnitude_global``, which compares entries across
  layers (and then prunes the 784-wide first layer, whose entries are smallest, first).
* Repetitions: per network, the spread of relative accuracy at a fixed ratio is large (sd ≈ 0.15
  at width 256), so a handful of repetitions does not resolve the α trend in relative accuracy;
  Cohen's κ separates α with fewer. :func:`trend` reports the least-squares slope against α and its
  standard error for every (scheme, ratio). Common random numbers across α (same raw draws for every
  α) were tried and did not reduce the spread of the differences, so every cell draws
  independently from its own ``cell_seed``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sgdtails.figures._common import (
    WIDTHS,
    Table,
    as_table,
    group_by,
    new_figure,
    panel_title,
    paper_style,
    red_notes,
    too_little_entry,
)
from sgdtails.realnets.device import default_device
from sgdtails.realnets.offline import teacher_layers, teacher_predict
from sgdtails.simulator.fingerprint import engine_fingerprint
from sgdtails.simulator.masks import keep_count, singular_rank
from sgdtails.simulator.pruning import prune_magnitude, prune_nodes
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.sweep import Study, StudyResult, run_study
from sgdtails.simulator.validate import check_alpha, check_choice, check_int, check_pruning
from sgdtails.simulator.vocabulary import PRUNINGS

__all__ = [
    "PAPER_ALPHAS",
    "PruningCell",
    "PruningStudyConfig",
    "cohen_kappa",
    "compute",
    "compute_study",
    "config_for_scale",
    "plot",
    "pruning_cell",
    "summarize",
    "trend",
]

NAME = "pruning_study"
PAPER_ALPHAS = tuple(round(1.5 + 0.05 * i, 2) for i in range(11))
RATIOS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True)
class PruningStudyConfig:
    """Parameters of the synthetic pruning study (defaults: the paper's, ``--scale paper``).

    Attributes
    ----------
    width, depth : int
        Hidden width h and number of hidden layers (FCN6: 2048, 6).
    n_inputs : int
        Number of N(0, 1) inputs of dimension ``in_features``.
    repetitions : int
        Networks per α (the plot shows means over repetitions).
    alphas : tuple of float
        Tail indices α ∈ (0, 2].
    prunings : tuple of (scheme, scope)
        Prunings, a subset of :data:`sgdtails.simulator.vocabulary.PRUNINGS`.
    pruning_ratios : tuple of float
        Target pruning ratios 1 − κ, each in [0, 1).
    in_features, classes : int
        Input dimension (784, MNIST) and output classes (10).
    batch_size : int
        Inputs per forward pass (bounds activation memory).
    device : str
        ``"auto"`` (cuda when available, else cpu), ``"cpu"`` or ``"cuda"``.
    seed : int
    """

    width: int = 2048
    depth: int = 6
    n_inputs: int = 60_000
    repetitions: int = 10
    alphas: tuple[float, ...] = PAPER_ALPHAS
    prunings: tuple[tuple[str, str], ...] = PRUNINGS
    pruning_ratios: tuple[float, ...] = RATIOS
    in_features: int = 784
    classes: int = 10
    batch_size: int = 8192
    device: str = "auto"
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("width", "depth", "n_inputs", "repetitions", "in_features", "classes", "batch_size"):
            check_int(getattr(self, name), name, low=2 if name == "classes" else 1)
        if not self.alphas:
            raise ValueError("alphas must be a non-empty tuple of values in (0, 2]")
        for a in self.alphas:
            check_alpha(a, "alphas")
        if not self.prunings:
            raise ValueError(f"prunings must be a non-empty subset of {PRUNINGS}")
        for pair in self.prunings:
            check_pruning(*pair)
        if not self.pruning_ratios or any(not 0.0 <= r < 1.0 for r in self.pruning_ratios):
            raise ValueError(f"pruning_ratios must be values in [0, 1), got {self.pruning_ratios!r}")
        check_choice(self.device, "device", ("auto", "cpu", "cuda"))
        check_int(self.seed, "seed", low=0)


CPU_RATIOS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
CPU_SCALE: dict[str, Any] = dict(width=256, n_inputs=1000, repetitions=20, pruning_ratios=CPU_RATIOS)
"""``--scale cpu``: see :func:`config_for_scale` for why these sizes."""


def config_for_scale(scale: str, seed: int = 0) -> PruningStudyConfig:
    """``"paper"``: width 2048, 60,000 inputs, 10 repetitions. ``"cpu"``: :data:`CPU_SCALE`.

    The cpu scale keeps the paper's depth, α grid and input dimension; width 256 and 1,000 inputs
    make one cell (41 forward passes, 7 SVDs) take ~1.5 s on one core. The per-network spread
    dominates the binomial noise of 1,000 inputs (sd of relative accuracy across networks ≈ 0.15
    at ratio 0.5, vs ≤ 0.016 from the inputs), so inputs are cut before repetitions. Measured with
    20 repetitions × 11 α (seed 0): the α slope of relative accuracy under layer-wise magnitude
    pruning has z = −5.5 … −2.2 at ratios 0.1–0.9 and that of Cohen's κ z = −10.6 … −5.2 (with 16
    repetitions relative accuracy fell to |z| ≈ 2.2 at several ratios). Wall time ≈ 3.2–3.5 min
    with 2 workers on a shared, loaded 2-core machine.
    """
    if scale == "paper":
        return PruningStudyConfig(seed=seed)
    if scale == "cpu":
        return PruningStudyConfig(seed=seed, **CPU_SCALE)
    raise ValueError(f"scale must be 'cpu' or 'paper', got {scale!r}")


@dataclass(frozen=True)
class PruningCell:
    """One cell: one network (α, repetition), pruned under every scheme and ratio."""

    alpha: float
    repetition: int
    width: int
    depth: int
    n_inputs: int
    in_features: int
    classes: int
    prunings: str  # comma-separated scheme:scope pairs
    pruning_ratios: str  # comma-separated reprs
    batch_size: int
    device: str
    seed: int


def _network(cell: PruningCell, streams: list[np.random.SeedSequence]) -> list[np.ndarray]:
    """Weights (out × in, float64) of the FCN: the teacher network of Section S1.6.1 at the cell's α."""
    return teacher_layers(cell.alpha, streams, in_features=cell.in_features, width=cell.width, depth=cell.depth,
                          classes=cell.classes)


def _predict(layers: list[np.ndarray], x, batch_size: int):
    """Argmax of the bias-free ReLU network's output on ``x`` (a float32 torch tensor), as NumPy."""
    import torch

    return teacher_predict(layers, x, dtype=torch.float32, chunk=batch_size).cpu().numpy()


def _pruned(scheme: str, scope: str, layers: list[np.ndarray], svds: list | None,
            kappa: float) -> tuple[list[np.ndarray], int]:
    """The pruned layers and the number of parameters they keep."""
    if scheme == "magnitude":
        pruned = prune_magnitude(layers, kappa, scope=scope)
        if scope == "layer":
            return pruned, sum(keep_count(kappa, w.size) for w in layers)
        return pruned, keep_count(kappa, sum(w.size for w in layers))
    if scheme == "nodes":
        kept = sum(keep_count(kappa, w.shape[1]) * w.shape[0] for w in layers)
        return [prune_nodes(w, kappa, p=2.0, by="columns") for w in layers], kept
    out, kept = [], 0
    for w, (u, s, vt) in zip(layers, svds):  # type: ignore[arg-type]
        m, n = w.shape
        r = singular_rank(kappa, m, n, count="parameters")
        out.append((u[:, :r] * s[:r]) @ vt[:r])  # = prune_singular(w, kappa, count="parameters")
        kept += r * (w.shape[0] + w.shape[1] + 1)
    return out, kept


def cohen_kappa(labels: np.ndarray, pred: np.ndarray, classes: int) -> float:
    """Cohen's κ of two label vectors: (p_o − p_e)/(1 − p_e); NaN when p_e = 1 (both constant, equal)."""
    n = labels.size
    p_o = float(np.mean(labels == pred))
    p_e = float(np.dot(np.bincount(labels, minlength=classes), np.bincount(pred, minlength=classes))) / (n * n)
    return (p_o - p_e) / (1.0 - p_e) if p_e < 1.0 else math.nan


CELL_FIELDS = ("scheme", "scope", "target_ratio", "pruning_ratio", "rel_accuracy", "cohen_kappa", "top_share",
               "pred_top_share")
"""The fields of every row :func:`pruning_cell` returns (a stored record lacking one is recomputed)."""


def pruning_cell(cell: PruningCell, seed: np.random.SeedSequence) -> list[dict[str, object]]:
    """Build the cell's network and data from ``seed``, label, prune under every scheme/ratio, score."""
    import torch

    streams = [  # = seed.spawn(depth + 2) on a fresh sequence, without mutating ``seed``
        np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, j), pool_size=seed.pool_size)
        for j in range(cell.depth + 2)
    ]
    layers = _network(cell, streams)
    rng = np.random.default_rng(streams[-1])
    x = torch.from_numpy(rng.standard_normal((cell.n_inputs, cell.in_features), dtype=np.float32)).to(cell.device)
    labels = _predict(layers, x, cell.batch_size)
    counts = np.bincount(labels, minlength=cell.classes)
    top_share = float(counts.max()) / labels.size
    total = sum(w.size for w in layers)
    prunings = [tuple(pair.split(":")) for pair in cell.prunings.split(",")]
    svds = [np.linalg.svd(w, full_matrices=False) for w in layers] if any(s == "singular" for s, _ in prunings) else None
    rows = []
    for scheme, scope in prunings:
        for target in (float(r) for r in cell.pruning_ratios.split(",")):
            pruned, kept = _pruned(scheme, scope, layers, svds, 1.0 - target)
            pred = _predict(pruned, x, cell.batch_size)
            rows.append({
                "scheme": scheme,
                "scope": scope,
                "target_ratio": target,
                "pruning_ratio": 1.0 - kept / total,
                "rel_accuracy": float(np.mean(pred == labels)),
                "cohen_kappa": cohen_kappa(labels, pred, cell.classes),
                "top_share": top_share,
                "pred_top_share": float(np.bincount(pred, minlength=cell.classes).max()) / labels.size,
            })
    return rows


def _grid(config: PruningStudyConfig, device: str) -> list[PruningCell]:
    shared: dict[str, Any] = dict(
        width=config.width, depth=config.depth, n_inputs=config.n_inputs, in_features=config.in_features,
        classes=config.classes, prunings=",".join(f"{a}:{b}" for a, b in config.prunings),
        pruning_ratios=",".join(repr(float(r)) for r in config.pruning_ratios), batch_size=config.batch_size,
        device=device, seed=config.seed,
    )
    return [PruningCell(float(a), r, **shared) for r in range(config.repetitions) for a in config.alphas]


def compute(config: PruningStudyConfig = PruningStudyConfig(), *, run: RunOptions = RunOptions()) -> Table:
    """Relative accuracy, Cohen's κ and label balance of every (α, repetition, pruning, ratio).

    Cells (one network each) are ordered repetition-major, so a partial run already covers every
    α. ``run`` as in :func:`sgdtails.figures.figure_s1.compute`; on ``cuda`` with ``run.jobs=None``
    the cells run in this process (one process drives the GPU).
    Local worker processes run one thread each: on a loaded machine, multi-threaded BLAS and
    OpenMP in every cell are many times slower than one thread per process.

    Returns
    -------
    Table
        Rows ``alpha, repetition, scheme, scope, target_ratio, pruning_ratio, rel_accuracy,
        cohen_kappa, top_share, pred_top_share, width, n_inputs, device``.
    """
    return compute_study(config, run=run)[0]


def compute_study(config: PruningStudyConfig = PruningStudyConfig(), *, run: RunOptions = RunOptions()
                  ) -> tuple[Table, StudyResult]:
    """:func:`compute`, and the :class:`~sgdtails.simulator.sweep.StudyResult` of its cells (their total compute time)."""
    device = default_device() if config.device == "auto" else config.device
    if device == "cuda" and run.jobs is None and run.scheduler is None:
        run = run.replace(jobs=1)  # one process drives the GPU (local workers would each initialise CUDA)
    study = Study(NAME, pruning_cell, _grid(config, device), seed=config.seed, version=f"1+{engine_fingerprint()}",
                  resources={"GPU": 1} if device == "cuda" else None, columns=CELL_FIELDS)
    result = run_study(study, run=run)
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} pruning-study cells failed, first: {result.failed[0]['error']}")
    keys = ("alpha", "repetition", "scheme", "scope", "target_ratio", "pruning_ratio", "rel_accuracy", "cohen_kappa",
            "top_share", "pred_top_share", "width", "n_inputs", "device")
    rows = [{k: r[k] for k in keys} for r in result.rows]
    rows.sort(key=lambda r: (PRUNINGS.index((r["scheme"], r["scope"])), r["alpha"], r["repetition"], r["target_ratio"]))
    return rows, result


def summarize(table: Table) -> Table:
    """Means (and standard errors) over repetitions per (scheme, scope, α, target ratio)."""
    out = []
    groups = group_by(table, "scheme", "scope", "alpha", "target_ratio")
    for (scheme, scope, alpha, target), rows in sorted(
            groups.items(), key=lambda kv: (PRUNINGS.index(kv[0][:2]), kv[0][2], kv[0][3])):
        row = {"scheme": scheme, "scope": scope, "alpha": alpha, "target_ratio": target, "n": len(rows)}
        for key in ("pruning_ratio", "rel_accuracy", "cohen_kappa", "top_share"):
            v = np.array([r[key] for r in rows], dtype=float)
            v = v[np.isfinite(v)]
            row[key] = float(v.mean()) if v.size else math.nan
            row[f"{key}_se"] = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan
        out.append(row)
    return out


def trend(table: Table) -> Table:
    """Least-squares slope (per unit α) of relative accuracy and Cohen's κ against α, with SE and z.

    One row per (scheme, scope, target ratio), fitted on all (α, repetition) rows (NaN κ's
    dropped); a resolved α trend has |z| well above 2 (negative slope: lower α is more robust).
    """
    out = []
    for (scheme, scope, target), rows in group_by(table, "scheme", "scope", "target_ratio").items():
        row = {"scheme": scheme, "scope": scope, "target_ratio": target}
        for key in ("rel_accuracy", "cohen_kappa"):
            a = np.array([r["alpha"] for r in rows], dtype=float)
            y = np.array([r[key] for r in rows], dtype=float)
            keep = np.isfinite(y)
            a, y = a[keep], y[keep]
            slope = se = math.nan
            if a.size > 2 and np.ptp(y) == 0:  # e.g. ratio 0: every network agrees with itself
                slope, se = 0.0, 0.0
            elif a.size > 2 and np.ptp(a) > 0:
                slope, icpt = (float(c) for c in np.polyfit(a, y, 1))
                resid = y - (slope * a + icpt)
                se = math.sqrt(float(resid @ resid) / (a.size - 2) / float(((a - a.mean()) ** 2).sum()))
            row[f"{key}_slope"] = float(slope)
            row[f"{key}_se"] = se
            row[f"{key}_z"] = float(slope / se) if se and np.isfinite(se) and se > 0 else math.nan
        out.append(row)
    return out


_WIDE_FROM = 6.5  # inches: panels side by side from this width on (the layout made for "double", 7 in)
_N_BOOT = 1000  # bootstrap resamples of each mean over repetitions (its band)
_PRUNING_NAMES = {("magnitude", "layer"): "magnitude (layer)", ("magnitude", "global"): "magnitude (global)",
                  ("singular", "layer"): "singular values", ("nodes", "layer"): "nodes"}
_SHORT_NAMES = {("magnitude", "layer"): "magn. (layer)", ("magnitude", "global"): "magn. (global)"}  # narrow panels
_METRICS = (("rel_accuracy", "relative accuracy"), ("cohen_kappa", "agreement,\nCohen's $\\kappa_C$"))


def _mean_band(values: np.ndarray, *, seed: int = 0) -> tuple[float, float, float]:
    """Mean of the finite ``values`` and the 95 % percentile-bootstrap interval of the mean.

    The repetitions are resampled :data:`_N_BOOT` times (generator seeded with ``seed``); NaN
    (an undefined Cohen's κ_C) is dropped first. No finite value: all NaN.
    """
    v = values[np.isfinite(values)]
    if v.size == 0:
        return math.nan, math.nan, math.nan
    means = v[np.random.default_rng(seed).integers(0, v.size, (_N_BOOT, v.size))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(v.mean()), float(low), float(high)


def plot(table: Table, *, width: str | float = "double") -> Figure:
    r"""Mean relative accuracy and agreement (Cohen's κ_C) against the pruning ratio, colour = α.

    One line per α: the mean over the repetitions (networks) at each target ratio, drawn at the mean
    realised pruning ratio. The 95 % bootstrap band of the mean (:func:`_mean_band`) is drawn for
    the smallest and the largest α only, so that the bands stay readable. κ (x axis) is the kept
    fraction of the parameters; κ_C is Cohen's kappa between the pruned and the unpruned network's
    predictions (:func:`cohen_kappa`), a different quantity. ``width="double"``: a row per metric,
    a column per pruning; ``"single"`` (or any width under 6.5 in): a row per pruning, a column per
    metric. One α or one repetition: no colour bar / no band, and the figure says so.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    table = as_table(table)
    present = {(r["scheme"], r["scope"]) for r in table}
    prunings = [pr for pr in PRUNINGS if pr in present]
    alphas = sorted({float(r["alpha"]) for r in table})
    n_rep = len({r["repetition"] for r in table})
    banded = {alphas[0], alphas[-1]} if n_rep > 1 else set()
    curves: dict[tuple, list[tuple[float, ...]]] = {}
    for (scheme, scope, alpha, _target), rows in group_by(table, "scheme", "scope", "alpha", "target_ratio").items():
        x = float(np.mean([float(r["pruning_ratio"]) for r in rows]))
        for key, _ in _METRICS:
            v = np.array([math.nan if r[key] is None else float(r[key]) for r in rows], dtype=float)
            curves.setdefault((scheme, scope, float(alpha), key), []).append((x, *_mean_band(v)))
    one_alpha = len(alphas) < 2
    cmap = ListedColormap(colormaps["viridis"](np.linspace(0.0, 0.85, 256)))  # no pale yellow: bands stay visible
    norm = Normalize(alphas[0], alphas[-1] if not one_alpha else alphas[0] + 1.0)
    inches = WIDTHS.get(width, 0.0) if isinstance(width, str) else float(width)
    narrow = inches < _WIDE_FROM and not (isinstance(width, str) and width not in WIDTHS)
    with paper_style():
        if narrow:
            fig, grid = new_figure(len(prunings), len(_METRICS), width=width, row_height=1.2 + 2.1 / len(prunings),
                                   sharex=True, sharey="col")
            cell = {(j, i): grid[j, i] for j in range(len(prunings)) for i in range(len(_METRICS))}
        else:
            fig, grid = new_figure(len(_METRICS), len(prunings), width=width, row_height=1.8, sharex=True, sharey="row")
            cell = {(j, i): grid[i, j] for j in range(len(prunings)) for i in range(len(_METRICS))}
        for j, (scheme, scope) in enumerate(prunings):
            for i, (key, label) in enumerate(_METRICS):
                ax = cell[(j, i)]
                for alpha in alphas:
                    pts = np.array(sorted(curves.get((scheme, scope, alpha, key), [])))
                    if pts.size == 0:
                        continue
                    color = cmap(norm(alpha)) if not one_alpha else "tab:blue"
                    if alpha in banded:
                        ax.fill_between(pts[:, 0], pts[:, 2], pts[:, 3], color=color, alpha=0.25, lw=0)
                    ax.plot(pts[:, 0], pts[:, 1], color=color, lw=1.0, marker=".", ms=2.5)
                index = (j * len(_METRICS) + i) if narrow else (i * len(prunings) + j)
                names = {**_PRUNING_NAMES, **_SHORT_NAMES} if narrow else _PRUNING_NAMES
                panel_title(ax, index, names.get((scheme, scope), f"{scheme}, {scope}"))
                if narrow:
                    ax.set_ylabel("relative\naccuracy" if i == 0 else "Cohen's\n$\\kappa_C$")
                    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
                elif j == 0:
                    ax.set_ylabel(label)
                if (narrow and j == len(prunings) - 1) or (not narrow and i == len(_METRICS) - 1):
                    ax.set_xlabel(r"pruning ratio $1-\kappa$")
        handles: list[Any] = [Line2D([], [], color="tab:gray", lw=1.0, marker=".", ms=2.5)]
        labels = [f"mean over {n_rep} network{'s' if n_rep != 1 else ''} per $\\alpha$"]
        if banded:
            handles.append(Patch(color="tab:gray", alpha=0.35, lw=0))
            labels.append("95 % bootstrap band of the mean, $\\alpha$ = " + " and ".join(f"{a:g}" for a in sorted(banded)))
        if one_alpha:
            handles[0] = Line2D([], [], color="tab:blue", lw=1.0, marker=".", ms=2.5)
            labels[0] += f" ($\\alpha$ = {alphas[0]:g})"
        else:
            fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=grid, label=r"tail index $\alpha$",
                         location="bottom" if narrow else "right", shrink=0.6 if narrow else 0.9, aspect=30 if narrow else 20)
        share = np.mean([float(r["top_share"]) for r in table])
        for what, short in (("one α", one_alpha), ("one network per α", n_rep < 2)):
            if short:
                handle, note = too_little_entry(fig, what)
                handles, labels = [*handles, handle], [*labels, note]
        legend = fig.legend(handles, labels, loc="outside lower center", ncol=1 if narrow else 2,
                            title=r"$\kappa$: kept fraction of the parameters;" + ("\n" if narrow else " ")
                            + f"labels' top-class share {share:.2f} (mean)\n"
                            + r"$\kappa_C$: Cohen's kappa, chance-corrected agreement" + ("\n" if narrow else " ")
                            + "of the pruned and the unpruned predictions")
        w, n = table[0]["width"], table[0]["n_inputs"]
        sep = "\n" if narrow else " "
        fig.suptitle(rf"Pruning random S$\alpha$S FCN nets:{sep}width {w}, {n} Gaussian inputs,"
                     + rf"{sep}{n_rep} network{'s' if n_rep != 1 else ''} per $\alpha$")
        red_notes(legend)
    return fig
