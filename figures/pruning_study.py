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
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from sgdtails.figures._common import Table, group_by, new_figure
from sgdtails.realnets.device import default_device
from sgdtails.realnets.offline import teacher_layers, teacher_predict
from sgdtails.simulator.fingerprint import engine_fingerprint
from sgdtails.simulator.masks import keep_count, singular_rank
from sgdtails.simulator.pruning import prune_magnitude, prune_nodes
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.sweep import Study, run_study
from sgdtails.simulator.validate import check_alpha, check_choice, check_int, check_pruning
from sgdtails.simulator.vocabulary import PRUNINGS

__all__ = [
    "PAPER_ALPHAS",
    "PruningCell",
    "PruningStudyConfig",
    "cohen_kappa",
    "compute",
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
    return rows


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


def plot(table: Table) -> Figure:
    """Mean relative accuracy (top row) and Cohen's κ (bottom) vs pruning ratio, colour = α, per pruning."""
    means = summarize(table)
    prunings = [pr for pr in PRUNINGS if any((r["scheme"], r["scope"]) == pr for r in means)]
    alphas = sorted({r["alpha"] for r in means})
    norm = Normalize(min(alphas), max(alphas) if max(alphas) > min(alphas) else min(alphas) + 1e-9)
    cmap = colormaps["viridis"]
    fig, axes = new_figure(2, len(prunings), width=3.4, height=2.9, sharey="row")
    by = group_by(means, "scheme", "scope", "alpha")
    for j, (scheme, scope) in enumerate(prunings):
        for alpha in alphas:
            rows = sorted(by.get((scheme, scope, alpha), []), key=lambda r: r["pruning_ratio"])
            x = [r["pruning_ratio"] for r in rows]
            for i, key in enumerate(("rel_accuracy", "cohen_kappa")):
                axes[i, j].plot(x, [r[key] for r in rows], color=cmap(norm(alpha)), lw=1.2, marker=".", ms=3)
        axes[0, j].set_title(scheme if scheme != "magnitude" else f"magnitude {scope}", fontsize=9)
        axes[1, j].set_xlabel("pruning ratio 1 − κ")
    axes[0, 0].set_ylabel("relative accuracy")
    axes[1, 0].set_ylabel("Cohen's κ (pruned vs unpruned)")
    share = np.mean([r["top_share"] for r in table])
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=axes[:, -1], label="tail index α")
    width, n = table[0]["width"], table[0]["n_inputs"]
    fig.suptitle(f"Synthetic pruning study: FCN6 analogue, width {width}, {n} inputs "
                 f"(mean top-class share of labels {share:.2f})", fontsize=10)
    return fig
