"""Figures of the real-network experiments from analysed runs (paper Figures 1–7, S2, S3; docs/theory.md §6).

Every function takes the combined tables of :func:`sgdtails.realnets.analyze.analyze_runs` (Figure 2 also a
run directory) and returns a Matplotlib figure with one panel per setting (model, width, depth,
dataset). :func:`plot_all` writes them all as PNG files named ``<prefix>fig1.png`` … and
``<prefix>vs_synthetic.png``. Diverged runs (no α̂) are left out. "α̂" is the stability index
(paper convention of :func:`sgdtails.simulator.tail_index`, capped at 2), never a spectral exponent.

The relative-accuracy figures put the *achieved* pruning ratio 1 − (kept parameters / all
parameters) on the x-axis; for singular value pruning that is larger than the nominal ratio
(r(m + n + 1) ≤ κmn), for the other schemes equal to it up to rounding.
"""
from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import LogNorm, Normalize  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation, LogLocator, NullFormatter  # noqa: E402

from sgdtails.realnets.adapt import layer_arrays  # noqa: E402
from sgdtails.realnets.analyze import load_run  # noqa: E402
from sgdtails.simulator import sample_sas, tail_index  # noqa: E402
from sgdtails.simulator.records import write_bytes
from sgdtails.simulator.vocabulary import STRUCTURES  # noqa: E402

__all__ = [
    "save_png",
    "fig_alpha_vs_eta",
    "fig_histograms",
    "fig_alpha_vs_pruning",
    "fig_relative_accuracy",
    "fig_accuracy_vs_alpha",
    "fig_vs_synthetic",
    "plot_all",
]

_TITLES = {("magnitude", "layer"): "layer-wise magnitude", ("magnitude", "global"): "global magnitude",
           ("singular", "layer"): "singular value", ("nodes", "layer"): "node (FCN: columns, CNN: 3×3 kernels)"}
_STRUCT_COLORS = {"iid": "tab:blue", "column": "tab:orange", "layer": "tab:green"}


def _setting(row: dict) -> str:
    size = "" if row.get("width") in (None, "") else f" w{row['width']}"
    size += "" if row.get("depth") in (None, "") else f" d{row['depth']}"
    return f"{str(row['model']).upper()}{size}, {row['dataset']}"


def _models(tables: dict) -> list[dict]:
    return [r for r in tables["model"] if r.get("mean_alpha_paper") is not None]


def _by_setting(models: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in models:
        groups.setdefault(_setting(r), []).append(r)
    return groups


def _panels(n: int, width: float = 4.2, height: float = 3.4) -> tuple[Figure, list]:
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False, layout="constrained")
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, list(axes.ravel()[:n])


def _need(models: list[dict]) -> None:
    if not models:
        raise ValueError("no analysed, non-diverged run in the tables: nothing to plot")


def _log_eta_axis(ax: Any, values: Sequence[float]) -> None:
    """Log η/b axis whose tick labels survive a span under a decade (ticks at 1, 2, 5 × 10^k there)."""
    ax.set_xscale("log")
    lo, hi = min(values), max(values)
    if hi < 100 * lo:  # decade ticks alone would leave the axis (nearly) unlabelled
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(math.inf, math.inf)))
    ax.xaxis.set_minor_formatter(NullFormatter())


def fig_alpha_vs_eta(tables: dict) -> Figure:
    """Figure 1: mean α̂ per model against η/b (log x), one column per setting.

    Top row: the paper's estimator (capped at 2, the quantity of the paper's Figure 1); bottom row:
    the univariate MMO estimate (not capped; an i.i.d.-uniform initialisation gives ≈ 2.4), each on
    its own y-axis so that neither squeezes the other.
    """
    models = _models(tables)
    _need(models)
    groups = _by_setting(models)
    n = len(groups)
    fig, axes = plt.subplots(2, n, figsize=(4.2 * n, 6.0), squeeze=False, layout="constrained")
    for col, (title, rows) in enumerate(groups.items()):
        for row, (key, label) in enumerate((("mean_alpha_paper", "mean α̂ (paper estimator, capped at 2)"),
                                            ("mean_alpha_mmo", "mean α̂ (univariate MMO)"))):
            ax = axes[row, col]
            for b, marker in zip(sorted({r["batch_size"] for r in rows}), "osD^v"):
                sel = [r for r in rows if r["batch_size"] == b and r.get(key) is not None]
                ax.scatter([r["eta_over_b"] for r in sel], [r[key] for r in sel], marker=marker, label=f"b = {b}")
            _log_eta_axis(ax, [r["eta_over_b"] for r in rows])
            ax.set(title=title if row == 0 else None, xlabel="η/b", ylabel=label)
            ax.legend(fontsize=7)
    return fig


def fig_histograms(run_dir: str | os.PathLike[str], layer: int | None = None, *, seed: int = 0) -> Figure:
    """Figure 2: a layer's weights — two random halves overlaid, and against simulated SαS of the same α̂.

    The layer defaults to the run's largest one. The SαS sample has the layer's size and its scale
    matched by the interquartile range; weights are median-centred. y-axes log-scaled.
    """
    run = load_run(run_dir)
    arrays = layer_arrays(run.final)
    i = int(np.argmax([w.size for w in arrays])) if layer is None else int(layer)
    if not 0 <= i < len(arrays):
        raise ValueError(f"layer must be in [0, {len(arrays) - 1}], got {layer}")
    source = layer_arrays(run.averaged)[i] if run.averaged is not None else arrays[i]
    rows = source.T if i == len(arrays) - 1 and source.ndim == 2 else source
    alpha = tail_index(rows, method="paper", seed=i).alpha
    w = arrays[i].ravel() - np.median(arrays[i])
    rng = np.random.default_rng(seed)
    perm = rng.permutation(w.size)
    sim = sample_sas(alpha, w.size, seed=seed)
    iqr = lambda v: np.subtract(*np.percentile(v, [75, 25]))  # noqa: E731
    sim = sim * (iqr(w) / iqr(sim))
    lim = np.percentile(np.abs(np.concatenate([w, sim])), 99.99)
    bins = np.linspace(-lim, lim, 101)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
    left.hist(w[perm[: w.size // 2]], bins=bins, alpha=0.5, label="half 1", log=True)
    left.hist(w[perm[w.size // 2:]], bins=bins, alpha=0.5, label="half 2", log=True)
    right.hist(w, bins=bins, alpha=0.5, label="network weights", log=True)
    right.hist(sim, bins=bins, alpha=0.5, label=f"simulated SαS, α = {alpha:.2f}", log=True)
    for ax in (left, right):
        ax.set(xlabel="weight − median", ylabel="count")
        ax.legend(fontsize=7)
    fig.suptitle(f"{run.name}, layer {i} {tuple(arrays[i].shape)}", fontsize=9)
    return fig


def _layer_points(tables: dict) -> dict[str, list[dict]]:
    eta = {r["run"]: r for r in _models(tables)}
    groups: dict[str, list[dict]] = {}
    for r in tables["layers"]:
        if r["run"] in eta:
            groups.setdefault(_setting(eta[r["run"]]), []).append({**r, "eta_over_b": eta[r["run"]]["eta_over_b"]})
    return groups


def fig_alpha_vs_pruning(tables: dict, *, column: str = "pr_magnitude") -> Figure:
    """Figure 3: per layer, α̂ against the pruning ratio at relative error 0.1 (p = 2); colour: η/b."""
    groups = _layer_points(tables)
    _need([r for rows in groups.values() for r in rows])
    fig, axes = _panels(len(groups))
    etas = [r["eta_over_b"] for rows in groups.values() for r in rows]
    norm = LogNorm(min(etas), max(etas)) if min(etas) < max(etas) else None
    for ax, (title, rows) in zip(axes, groups.items()):
        sc = ax.scatter([r[column] for r in rows], [r["alpha_paper"] for r in rows],
                        c=[r["eta_over_b"] for r in rows], norm=norm, cmap="plasma", s=14)
        ax.set(title=title, xlabel="pruning ratio 1 − κ at ε = 0.1, p = 2", ylabel="estimated tail index α̂ (layer)")
    fig.colorbar(sc, ax=axes, label="η/b")
    return fig


def fig_relative_accuracy(tables: dict, scheme: str, scope: str = "layer") -> Figure:
    """Figures 4, 5, 6, S2, S3: relative test accuracy against the pruning ratio; colour: mean α̂."""
    models = {r["run"]: r for r in _models(tables)}
    rows = [r for r in tables["pruning"] if (r["scheme"], r["scope"]) == (scheme, scope) and r["run"] in models]
    if not rows:
        raise ValueError(f"no pruning rows for scheme={scheme!r}, scope={scope!r} in the tables")
    groups = _by_setting([models[k] for k in dict.fromkeys(r["run"] for r in rows)])
    alphas = [m["mean_alpha_paper"] for m in models.values()]
    norm = Normalize(min(alphas), max(alphas) if max(alphas) > min(alphas) else min(alphas) + 1e-3)
    cmap = plt.get_cmap("viridis")
    fig, axes = _panels(len(groups))
    for ax, (title, runs) in zip(axes, groups.items()):
        for m in sorted(runs, key=lambda m: -m["mean_alpha_paper"]):
            curve = sorted((1.0 - r["remaining"], r["relative_acc"]) for r in rows if r["run"] == m["run"])
            ax.plot(*zip(*curve), color=cmap(norm(m["mean_alpha_paper"])), lw=1.2)
        ax.set(title=f"{title}\n{_TITLES[(scheme, scope)]}", xlabel="pruning ratio (1 − kept / all parameters)",
               ylabel="relative test accuracy", xlim=(0, 1), ylim=(0, 1.05))
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, label="mean estimated tail index α̂")
    return fig


def fig_accuracy_vs_alpha(tables: dict) -> Figure:
    """Figure 7: test accuracy against mean α̂; colour: η/b."""
    models = _models(tables)
    _need(models)
    groups = _by_setting(models)
    etas = [r["eta_over_b"] for r in models]
    norm = LogNorm(min(etas), max(etas)) if min(etas) < max(etas) else None
    fig, axes = _panels(len(groups))
    for ax, (title, rows) in zip(axes, groups.items()):
        sc = ax.scatter([r["mean_alpha_paper"] for r in rows], [r["test_acc"] for r in rows],
                        c=[r["eta_over_b"] for r in rows], norm=norm, cmap="plasma")
        ax.set(title=title, xlabel="mean estimated tail index α̂", ylabel="test accuracy")
    fig.colorbar(sc, ax=axes, label="η/b")
    return fig


def fig_vs_synthetic(tables: dict) -> Figure:
    """Trained layers (α̂, pruning ratio at 0.1) over synthetic iid / column / layer matrices of the same shapes."""
    layers = [r for r in tables["layers"] if "closest" in r]
    if not layers or not tables["synthetic"]:
        raise ValueError("the tables hold no trained-vs-synthetic comparison (synthetic_seeds = 0?)")
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for s in STRUCTURES:
        pts = [r for r in tables["synthetic"] if r["structure"] == s]
        ax.scatter([r["alpha"] for r in pts], [r["pr_magnitude"] for r in pts], s=8, alpha=0.35,
                   color=_STRUCT_COLORS[s], label=f"synthetic {s}")
    ax.scatter([r["alpha_ref"] for r in layers], [r["pr_magnitude"] for r in layers], s=16, color="black",
               marker="x", label="trained layers")
    # i.i.d. uniform entries (PyTorch's default Linear init): pruning the fraction q of smallest |w|
    # leaves relative ℓ2 error q^(3/2), so the ratio at ε = 0.1 is ε^(2/3).
    ax.axhline(0.1 ** (2 / 3), color="gray", ls="--", lw=0.8, label="i.i.d. uniform (Linear init)")
    ax.set(xlabel="tail index α (trained: MMO α̂, capped at 2; synthetic: α drawn at)", ylabel="pruning ratio at ε = 0.1, p = 2")
    ax.legend(fontsize=7)
    counts = {v: sum(r["diagnosis"] == v for r in layers) for v in (*STRUCTURES, "ambiguous", "none")}
    bx.scatter([r["alpha_ref"] for r in layers], [r["pr_gap"] for r in layers], s=16, color="black", marker="x")
    bx.axhline(0.0, color="gray", lw=0.8)
    bx.set(xlabel="tail index α̂ (trained layer)", ylabel="layer ratio − mean iid ratio at its α̂",
           title="diagnoses: " + ", ".join(f"{v} {n}" for v, n in counts.items()))
    bx.title.set_fontsize(9)
    return fig


def save_png(fig: Figure, path: str | os.PathLike[str], dpi: int = 130) -> Path:
    """Write ``fig`` as a PNG atomically (:func:`sgdtails.simulator.records.write_bytes`) and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return write_bytes(path, buf.getvalue())


def plot_all(tables: dict, out_dir: str | os.PathLike[str], *, runs: Sequence[str | os.PathLike[str]] = (),
             prefix: str = "realnets_") -> list[Path]:
    """Write every figure the tables support into ``out_dir``; returns the paths.

    Figure 2 needs ``runs`` (run directories); it shows the converged run of lowest mean α̂.
    Relative-accuracy figures: fig4 (layer-wise magnitude), fig5 (singular), figS2 (global),
    fig6 (nodes, CNN settings) and figS3 (nodes, FCN settings), each only if the scheme was analysed.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [save_png(fig_alpha_vs_eta(tables), out / f"{prefix}fig1.png")]
    models = _models(tables)
    by_name = {Path(r).name: Path(r) for r in runs}
    ranked = sorted((m for m in models if m["run"] in by_name), key=lambda m: m["mean_alpha_paper"])
    if ranked:
        paths.append(save_png(fig_histograms(by_name[ranked[0]["run"]]), out / f"{prefix}fig2.png"))
    paths.append(save_png(fig_alpha_vs_pruning(tables), out / f"{prefix}fig3.png"))
    done = {(r["scheme"], r["scope"]) for r in tables["pruning"]}
    for pruning, name in ((("magnitude", "layer"), "fig4"), (("singular", "layer"), "fig5"),
                          (("magnitude", "global"), "figS2")):
        if pruning in done:
            paths.append(save_png(fig_relative_accuracy(tables, *pruning), out / f"{prefix}{name}.png"))
    if ("nodes", "layer") in done:
        for kind, name in (("cnn", "fig6"), ("fcn", "figS3")):
            sub = _subset(tables, _model_is(kind))
            if sub["pruning"]:
                paths.append(save_png(fig_relative_accuracy(sub, "nodes"), out / f"{prefix}{name}.png"))
    paths.append(save_png(fig_accuracy_vs_alpha(tables), out / f"{prefix}fig7.png"))
    if any("closest" in r for r in tables["layers"]):
        paths.append(save_png(fig_vs_synthetic(tables), out / f"{prefix}vs_synthetic.png"))
    return paths


def _model_is(kind: str) -> Callable[[dict], bool]:
    """A test of a model row: whether its model name starts with ``kind`` (``cnn``, ``fcn``)."""
    return lambda m: str(m["model"]).startswith(kind)


def _subset(tables: dict, keep: Callable[[dict], bool]) -> dict:
    runs = {m["run"] for m in tables["model"] if keep(m)}
    return {name: [r for r in rows if r["run"] in runs] for name, rows in tables.items()}
