r"""Figures of the real-network experiments from analysed runs (paper Figures 1–7, S2, S3; docs/theory.md §6).

Every function takes the combined tables of :func:`sgdtails.realnets.analyze.analyze_runs` (a dict of
tables, each a list of dicts or a pandas DataFrame read back from ``write_tables``' CSV; Figure 2 a
run directory) and returns a Matplotlib figure with one panel per setting (model, width, depth,
dataset), at a paper width (``width="double"`` 7 in or ``"single"`` 3.5 in, :data:`WIDTHS`), in the
style of every sgdtails figure (:func:`sgdtails.figures._common.paper_style`). :func:`plot_all`
writes them all, in each of ``formats``, as ``<prefix>fig1.pdf`` … ``<prefix>vs_synthetic.png``.
Diverged runs (no α̂) are left out. "α̂" is the stability index (paper convention of
:func:`sgdtails.simulator.tail_index`, capped at 2), never a spectral exponent.

The relative-accuracy figures put the *achieved* pruning ratio 1 − (kept parameters / all
parameters) on the x-axis; for singular value pruning that is larger than the nominal ratio
(r(m + n + 1) ≤ κmn), for the other schemes equal to it up to rounding.

A figure drawn from too little data — one run where runs are compared, fewer than 3 distinct η/b
for a trend, a colour scale of one value — says so on the figure and in a :class:`UserWarning`
(:func:`sgdtails.figures._common.note_too_little_data`) and draws its points in one colour, named in
the legend, instead of a degenerate colour bar.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sgdtails.figures._common import (
    FORMATS,
    WIDTHS,
    as_table,
    new_figure,
    panel_title,
    paper_style,
    save_figure,
)
from sgdtails.figures._layout import finish, is_narrow, log_ticks
from sgdtails.simulator.vocabulary import STRUCTURES

__all__ = [
    "fig_accuracy_vs_alpha",
    "fig_alpha_vs_eta",
    "fig_alpha_vs_pruning",
    "fig_histograms",
    "fig_relative_accuracy",
    "fig_vs_synthetic",
    "plot_all",
]

EPS, P = 0.1, 2.0
"""Error level and exponent of the tables' pruning ratios (:data:`sgdtails.realnets.analyze.EPS`, ``P``)."""
_TITLES = {("magnitude", "layer"): "layer-wise magnitude pruning", ("magnitude", "global"): "global magnitude pruning",
           ("singular", "layer"): "singular value pruning", ("nodes", "layer"): "node pruning (FCN: columns, CNN: 3×3 kernels)"}
_STRUCT_COLORS = {"iid": "tab:blue", "column": "tab:orange", "layer": "tab:green"}
_ONE_COLOR = "tab:purple"
_ETA = r"$\eta/b$"
_AHAT = r"$\hat\alpha$"


# -------------------------------------------------------------------------------------- tables
def _tables(tables: Mapping[str, Any]) -> dict[str, list[dict]]:
    """The tables as lists of plain dicts: lists as analyze_runs returns them, or DataFrames read from CSV.

    Missing tables are empty; model rows without a ``run`` name are numbered (each row is one run).
    """
    out = {}
    for name, rows in tables.items():
        out[name] = as_table(rows) if len(rows) else []
    for name in ("model", "layers", "pruning", "synthetic"):
        out.setdefault(name, [])
    out["model"] = [r if "run" in r else {**r, "run": f"run {i}"} for i, r in enumerate(out["model"])]
    return out


def _setting(row: Mapping[str, Any]) -> str:
    size = "" if row.get("width") in (None, "") else f" w{int(row['width'])}"
    size += "" if row.get("depth") in (None, "") else f" d{int(row['depth'])}"
    return f"{str(row['model']).upper()}{size}, {row['dataset']}"


def _models(tables: Mapping[str, list[dict]]) -> list[dict]:
    return [r for r in tables["model"] if r.get("mean_alpha_paper") is not None]


def _by_setting(rows: list[dict]) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(_setting(r), []).append(r)
    return groups


def _need(rows: list[dict]) -> None:
    if not rows:
        raise ValueError("no analysed, non-diverged run in the tables: nothing to plot")


# -------------------------------------------------------------------------------------- layout
def _panels(n: int, width: str | float, *, height: float | None = None) -> tuple[Figure, list[Any]]:
    """A figure of ``n`` panels: up to 3 per row at double width, 1 (n ≤ 2) or 2 per row at single."""
    cols = (1 if n <= 2 else 2) if is_narrow(width) else min(n, 3)
    rows = math.ceil(n / cols)
    w = WIDTHS[width] if isinstance(width, str) and width in WIDTHS else float(width)
    fig, axes = new_figure(rows, cols, width=width, row_height=height or min(max(1.8, 0.75 * w / cols), 2.8))
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _distinct(values: Sequence[float]) -> list[float]:
    return sorted({float(v) for v in values})


def _degenerate(values: Sequence[float]) -> bool:
    """One value, or a range under 1e-6 of the values' size: no colour scale can be read off it."""
    v = _distinct(values)
    return len(v) < 2 or (v[-1] - v[0]) <= 1e-6 * max(abs(v[0]), abs(v[-1]), 1e-300)


class _Colors:
    """A colour per value (a colour bar) — or, for a degenerate range, one colour named in the legend."""

    def __init__(self, values: Sequence[float], *, log: bool, cmap: str, what: str, name: str, fmt: str = "{:.3g}"):
        self.values, self.what, self.name, self.fmt = list(values), what, name, fmt
        self.degenerate = _degenerate(values)
        self.cmap = colormaps[cmap]
        if self.degenerate:
            self.norm = None
        else:
            lo, hi = min(values), max(values)
            self.norm = LogNorm(lo, hi) if log and lo > 0 else Normalize(lo, hi)

    def __call__(self, value: float) -> Any:
        return _ONE_COLOR if self.norm is None else self.cmap(self.norm(value))

    def colorbar(self, fig: Figure, axes: list[Any]) -> None:
        """The colour bar beside the panels; none where the range is degenerate."""
        if self.norm is not None:
            bar = fig.colorbar(ScalarMappable(norm=self.norm, cmap=self.cmap), ax=axes, label=self.what,
                               fraction=0.05, pad=0.02, aspect=30)
            if isinstance(self.norm, LogNorm):
                log_ticks(bar.ax.yaxis, float(self.norm.vmin or 1.0), float(self.norm.vmax or 1.0))

    def notes(self, notes: list[str]) -> list[str]:
        """``notes`` and, for a degenerate scale not already explained by "one run", why there is no colour bar."""
        if self.degenerate and "one run" not in notes:
            return [*notes, f"one value of {self.name} for every run"]
        return notes

    def entries(self, ax: Any, *, line: bool = False, narrow: bool = False) -> list[tuple[Any, str]]:
        """The legend entry of the single colour (empty when there is a colour bar)."""
        if self.norm is not None:
            return []
        value = self.fmt.format(self.values[0]) if self.values else "—"
        handle = ax.plot([], [], "-", color=_ONE_COLOR)[0] if line else ax.plot([], [], "o", color=_ONE_COLOR, ms=4)[0]
        what = "curves" if line else "points"
        return [(handle, f"all {what}: {self.what} = {value}" + ("\n" if narrow else " ") + "(one value: no colour scale)")]


def _run_notes(models: list[dict], *, trend_of: tuple[str, str] | None = None) -> list[str]:
    """Too-little-data reasons of a figure comparing runs.

    One run; or fewer than 3 distinct values of ``trend_of`` = (column, name) in a setting (no trend
    can be read off 2 points).
    """
    notes = []
    if len({r["run"] for r in models}) < 2:
        notes.append("one run")
    elif trend_of is not None:
        key, name = trend_of
        for setting, rows in _by_setting(models).items():
            if len(_distinct([r[key] for r in rows])) < 3:
                notes.append(f"fewer than 3 values of {name} ({setting})")
                break
    return notes


# -------------------------------------------------------------------------------------- figures
def _layer_spread(tables: Mapping[str, list[dict]], key: str) -> dict[str, tuple[float, float]]:
    """Per run, the smallest and largest layer α̂ (``alpha_paper`` or ``alpha_mmo``) behind its mean."""
    out: dict[str, list[float]] = {}
    for r in tables.get("layers", []):
        if r.get(key) is not None:
            out.setdefault(r["run"], []).append(float(r[key]))
    return {run: (min(v), max(v)) for run, v in out.items()}


def fig_alpha_vs_eta(tables: Mapping[str, Any], *, width: str | float = "double") -> Figure:
    """Figure 1: mean α̂ per model against η/b (log x), one column per setting; bars: range over layers.

    Top row: the paper's estimator (capped at 2, the quantity of the paper's Figure 1); bottom row:
    the univariate MMO estimate (not capped; an i.i.d.-uniform initialisation gives ≈ 2.4), each on
    its own y-axis so that neither squeezes the other. Markers: batch size b.
    """
    tables = _tables(tables)
    models = _models(tables)
    _need(models)
    groups = _by_setting(models)
    n = len(groups)
    narrow = is_narrow(width)
    cols = 1 if narrow else min(n, 3)
    blocks = math.ceil(n / cols)
    keys = (("mean_alpha_paper", "alpha_paper", r"mean $\hat\alpha$ (paper, capped at 2)"),
            ("mean_alpha_mmo", "alpha_mmo", r"mean $\hat\alpha$ (univariate MMO)"))
    batches = sorted({r["batch_size"] for r in models})
    markers = dict(zip(batches, "osD^v<>ph8"))
    with paper_style():
        w = WIDTHS[width] if isinstance(width, str) and width in WIDTHS else float(width)
        fig, grid = new_figure(2 * blocks, cols, width=width, row_height=min(max(1.6, 0.6 * w / cols), 2.2))
        for ax in list(grid.ravel())[2 * n:]:
            ax.set_visible(False)
        used = []
        for k, (title, rows) in enumerate(groups.items()):
            for j, (key, layer_key, label) in enumerate(keys):
                row = 2 * (k // cols) + j
                ax = grid[row, k % cols]
                used.append(ax)
                spread = _layer_spread(tables, layer_key)
                for b in batches:
                    sel = [r for r in rows if r["batch_size"] == b and r.get(key) is not None]
                    if not sel:
                        continue
                    x = np.array([r["eta_over_b"] for r in sel], dtype=float)
                    y = np.array([r[key] for r in sel], dtype=float)
                    lo = np.array([spread.get(r["run"], (v, v))[0] for r, v in zip(sel, y)])
                    hi = np.array([spread.get(r["run"], (v, v))[1] for r, v in zip(sel, y)])
                    ax.errorbar(x, y, yerr=[np.maximum(y - lo, 0.0), np.maximum(hi - y, 0.0)], fmt=markers[b],
                                ms=4, ls="none", elinewidth=0.6, capsize=1.5, color=f"C{batches.index(b) % 10}")
                ax.set_xscale("log")
                eta = [r["eta_over_b"] for r in rows]
                log_ticks(ax.xaxis, min(eta), max(eta))
                ax.set_xlabel(_ETA)
                ax.set_ylabel(label)
                panel_title(ax, row * cols + k % cols, title if j == 0 else "")  # letters in reading order
        entries = [(grid[0, 0].errorbar([], [], yerr=[], fmt=markers[b], ms=4, color=f"C{i % 10}", elinewidth=0.6,
                                        capsize=1.5), f"$b = {b}$") for i, b in enumerate(batches)]
        if tables["layers"]:
            entries.append((grid[0, 0].plot([], [], "|", color="grey", ms=8)[0], r"bars: range of the layers' $\hat\alpha$"))
        fig.suptitle(r"Mean tail index $\hat\alpha$ against $\eta/b$")
        return finish(fig, used, entries, ncol=2 if narrow else 4, notes=_run_notes(models, trend_of=("eta_over_b", "η/b")))


def fig_histograms(run_dir: str | os.PathLike[str], layer: int | None = None, *, seed: int = 0,
                   width: str | float = "double") -> Figure:
    """Figure 2: a layer's weights — two random halves overlaid, and against simulated SαS of the same α̂.

    The layer defaults to the run's largest one. The SαS sample has the layer's size and its scale
    matched by the interquartile range; weights are median-centred. y-axes log-scaled, with headroom
    above the bars for the legends.
    """
    from sgdtails.realnets.adapt import layer_arrays
    from sgdtails.realnets.analyze import load_run
    from sgdtails.simulator import sample_sas, tail_index

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
    narrow = is_narrow(width)
    with paper_style():
        fig, grid = new_figure(2 if narrow else 1, 1 if narrow else 2, width=width, row_height=2.0 if narrow else 2.4)
        left, right = grid.ravel()
        top = 1.0
        for ax, data, labels in ((left, (w[perm[: w.size // 2]], w[perm[w.size // 2:]]), ("half 1", "half 2")),
                                 (right, (w, sim), ("network weights", rf"simulated S$\alpha$S, $\alpha = {alpha:.2f}$"))):
            for d, label in zip(data, labels):
                counts, _, _ = ax.hist(d, bins=bins, alpha=0.5, label=label, log=True)
                top = max(top, float(np.max(counts)))
        for k, (ax, title) in enumerate(((left, "two random halves of the layer"),
                                         (right, r"the layer and S$\alpha$S of its $\hat\alpha$"))):
            # Half the log range again above the tallest bar: the legend sits there, over no bar.
            ax.set_ylim(0.5, top * 10 ** (0.6 * math.log10(2 * top)))
            log_ticks(ax.yaxis, 0.5, top)
            ax.set(xlabel="weight − median", ylabel="count")
            ax.legend(loc="upper left", frameon=False)
            panel_title(ax, k, title)
        fig.suptitle(f"Weights of {run.name}, layer {i} {tuple(arrays[i].shape)}")
        return finish(fig, [left, right])


def _layer_points(tables: Mapping[str, list[dict]]) -> dict[str, list[dict]]:
    eta = {r["run"]: r for r in _models(tables)}
    groups: dict[str, list[dict]] = {}
    for r in tables["layers"]:
        if r["run"] in eta:
            groups.setdefault(_setting(eta[r["run"]]), []).append({**r, "eta_over_b": eta[r["run"]]["eta_over_b"]})
    return groups


def fig_alpha_vs_pruning(tables: Mapping[str, Any], *, column: str = "pr_magnitude",
                         width: str | float = "double") -> Figure:
    """Figure 3: per layer, α̂ (95% interval as a bar) against the pruning ratio at relative error 0.1 (p = 2).

    Colour: η/b (log colour bar); one colour, named in the legend, when all layers share one η/b.
    """
    tables = _tables(tables)
    groups = _layer_points(tables)
    points = [r for rows in groups.values() for r in rows]
    _need(points)
    with paper_style():
        fig, axes = _panels(len(groups), width)
        colors = _Colors([r["eta_over_b"] for r in points], log=True, cmap="plasma", what=_ETA, name="η/b")
        for k, (ax, (title, rows)) in enumerate(zip(axes, groups.items())):
            x = np.array([r[column] for r in rows], dtype=float)
            y = np.array([r["alpha_paper"] for r in rows], dtype=float)
            lo = np.array([r["alpha_paper"] if r.get("alpha_paper_lo") is None else r["alpha_paper_lo"] for r in rows])
            hi = np.array([r["alpha_paper"] if r.get("alpha_paper_hi") is None else r["alpha_paper_hi"] for r in rows])
            ax.errorbar(x, y, yerr=[np.maximum(y - lo, 0.0), np.maximum(hi - y, 0.0)], fmt="none", ecolor="grey",
                        elinewidth=0.6, capsize=1.5, zorder=1)
            ax.scatter(x, y, c=[colors(r["eta_over_b"]) for r in rows], s=14, zorder=2)
            ax.set_xlabel(rf"pruning ratio $1-\kappa$ at $\varepsilon = {EPS:g}$, $p = {P:g}$")
            known = any(r.get("alpha_paper_lo") is not None for r in rows)
            ax.set_ylabel(rf"{_AHAT} of the layer" + (" (bars: 95% interval)" if known else ""))
            panel_title(ax, k, title)
        colors.colorbar(fig, axes)
        fig.suptitle(rf"Tail index {_AHAT} against compressibility, per layer")
        notes = _run_notes(_models(tables))
        if len(points) < 3:
            notes.append("fewer than 3 layers")
        return finish(fig, axes, colors.entries(axes[0], narrow=is_narrow(width)), ncol=1, notes=colors.notes(notes))


def fig_relative_accuracy(tables: Mapping[str, Any], scheme: str, scope: str = "layer", *,
                          width: str | float = "double") -> Figure:
    """Figures 4, 5, 6, S2, S3: relative test accuracy against the pruning ratio; colour: mean α̂ of the run."""
    tables = _tables(tables)
    models = {r["run"]: r for r in _models(tables)}
    rows = [r for r in tables["pruning"] if (r["scheme"], r["scope"]) == (scheme, scope) and r["run"] in models]
    if not rows:
        raise ValueError(f"no pruning rows for scheme={scheme!r}, scope={scope!r} in the tables")
    shown = [models[k] for k in dict.fromkeys(r["run"] for r in rows)]
    groups = _by_setting(shown)
    with paper_style():
        fig, axes = _panels(len(groups), width)
        colors = _Colors([m["mean_alpha_paper"] for m in shown], log=False, cmap="viridis",
                         what=rf"mean {_AHAT}", name="mean α̂", fmt="{:.4f}")
        for k, (ax, (title, runs)) in enumerate(zip(axes, groups.items())):
            for m in sorted(runs, key=lambda m: -m["mean_alpha_paper"]):
                curve = sorted((1.0 - r["remaining"], r["relative_acc"]) for r in rows if r["run"] == m["run"])
                ax.plot(*zip(*curve), "-", color=colors(m["mean_alpha_paper"]), lw=1.1)
            top = max([1.0] + [r["relative_acc"] for r in rows if r["run"] in {m["run"] for m in runs}])
            ax.set(xlim=(0, 1), ylim=(0, 1.03 * top))
            ax.set_xlabel(r"pruning ratio $1 - \mathrm{kept}/\mathrm{all}$ parameters")
            ax.set_ylabel("relative test accuracy")
            panel_title(ax, k, title)
        colors.colorbar(fig, axes)
        fig.suptitle(f"Relative test accuracy after {_TITLES[(scheme, scope)]}")
        return finish(fig, axes, colors.entries(axes[0], line=True, narrow=is_narrow(width)), ncol=1,
                       notes=colors.notes(_run_notes(shown)))


def fig_accuracy_vs_alpha(tables: Mapping[str, Any], *, width: str | float = "double") -> Figure:
    """Figure 7: test accuracy against mean α̂; colour: η/b (one colour, named, when every run shares it)."""
    tables = _tables(tables)
    models = _models(tables)
    _need(models)
    groups = _by_setting(models)
    with paper_style():
        fig, axes = _panels(len(groups), width)
        colors = _Colors([r["eta_over_b"] for r in models], log=True, cmap="plasma", what=_ETA, name="η/b")
        for k, (ax, (title, rows)) in enumerate(zip(axes, groups.items())):
            ax.scatter([r["mean_alpha_paper"] for r in rows], [r["test_acc"] for r in rows],
                       c=[colors(r["eta_over_b"]) for r in rows], s=16)
            ax.xaxis.set_major_locator(MaxNLocator(nbins=4))
            ax.set_xlabel(rf"mean {_AHAT}")
            ax.set_ylabel("test accuracy")
            panel_title(ax, k, title)
        colors.colorbar(fig, axes)
        fig.suptitle(rf"Test accuracy against the mean tail index {_AHAT}")
        notes = _run_notes(models, trend_of=("mean_alpha_paper", "mean α̂"))
        return finish(fig, axes, colors.entries(axes[0], narrow=is_narrow(width)), ncol=1, notes=colors.notes(notes))


def fig_vs_synthetic(tables: Mapping[str, Any], *, width: str | float = "double") -> Figure:
    """Trained layers (α̂, pruning ratio at 0.1) over synthetic iid / column / layer matrices of the same shapes."""
    tables = _tables(tables)
    layers = [r for r in tables["layers"] if r.get("closest") is not None]
    if not layers or not tables["synthetic"]:
        raise ValueError("the tables hold no trained-vs-synthetic comparison (synthetic_seeds = 0?)")
    narrow = is_narrow(width)
    with paper_style():
        fig, grid = new_figure(2 if narrow else 1, 1 if narrow else 2, width=width, row_height=2.2 if narrow else 2.6)
        ax, bx = grid.ravel()
        entries = []
        for s in STRUCTURES:
            pts = [r for r in tables["synthetic"] if r["structure"] == s]
            dots = ax.scatter([r["alpha"] for r in pts], [r["pr_magnitude"] for r in pts], s=8, alpha=0.4,
                              color=_STRUCT_COLORS[s])
            entries.append((dots, f"synthetic {s}"))
        cross = ax.scatter([r["alpha_ref"] for r in layers], [r["pr_magnitude"] for r in layers], s=18, color="black",
                           marker="x")
        # i.i.d. uniform entries (PyTorch's default Linear init): pruning the fraction q of smallest |w|
        # leaves relative ℓ2 error q^(3/2), so the ratio at ε = 0.1 is ε^(2/3).
        line = ax.axhline(EPS ** (2 / 3), color="gray", ls="--", lw=0.8)
        ax.set_xlabel(r"$\alpha$ (trained: MMO $\hat\alpha$, capped at 2)")
        ax.set_ylabel(rf"pruning ratio at $\varepsilon = {EPS:g}$, $p = {P:g}$")
        panel_title(ax, 0, "trained layers over synthetic ones")
        counts = {v: sum(r["diagnosis"] == v for r in layers) for v in (*STRUCTURES, "ambiguous", "none")}
        bx.scatter([r["alpha_ref"] for r in layers], [r["pr_gap"] for r in layers], s=18, color="black", marker="x")
        zero = bx.axhline(0.0, color="gray", lw=0.8)
        bx.set_xlabel(r"$\hat\alpha$ of the trained layer")
        bx.set_ylabel(r"ratio $-$ mean i.i.d. ratio at its $\hat\alpha$")
        panel_title(bx, 1, "gap to the i.i.d. references")
        diagnoses = ", ".join(f"{v} {n}" for v, n in counts.items())
        entries += [(cross, f"trained layers, diagnosed\n{diagnoses}" if narrow else f"trained layers (diagnoses: {diagnoses})"),
                    (line, r"i.i.d. uniform (Linear init): $\varepsilon^{2/3}$"), (zero, "no gap")]
        fig.suptitle("Trained layers against synthetic i.i.d., column and layer matrices")
        notes = ["fewer than 3 layers"] if len(layers) < 3 else []
        return finish(fig, [ax, bx], entries, ncol=1 if narrow else 2, notes=notes)


# -------------------------------------------------------------------------------------- writing
def _save(fig: Figure, stem: Path, formats: Sequence[str], dpi: int) -> list[Path]:
    return [save_figure(fig, stem.with_name(f"{stem.name}.{fmt}"), fmt=fmt, dpi=dpi) for fmt in formats]


def plot_all(tables: Mapping[str, Any], out_dir: str | os.PathLike[str], *, runs: Sequence[str | os.PathLike[str]] = (),
             prefix: str = "realnets_", formats: Sequence[str] = ("pdf", "png"), dpi: int = 300,
             width: str | float = "double") -> list[Path]:
    """Write every figure the tables support into ``out_dir``, in each of ``formats``; returns the paths.

    Figure 2 needs ``runs`` (run directories); it shows the converged run of lowest mean α̂.
    Relative-accuracy figures: fig4 (layer-wise magnitude), fig5 (singular), figS2 (global),
    fig6 (nodes, CNN settings) and figS3 (nodes, FCN settings), each only if the scheme was analysed.
    Files are named ``<prefix><figure>.<format>`` and written by :func:`sgdtails.figures._common.save_figure`
    (the same bytes for the same tables).
    """
    fmts = tuple(dict.fromkeys(formats))
    if not fmts or any(f not in FORMATS for f in fmts):
        raise ValueError(f"formats must be among {', '.join(FORMATS)}, got {', '.join(formats) or 'none'}")
    tables = _tables(tables)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = _save(fig_alpha_vs_eta(tables, width=width), out / f"{prefix}fig1", fmts, dpi)
    models = _models(tables)
    by_name = {Path(r).name: Path(r) for r in runs}
    ranked = sorted((m for m in models if m["run"] in by_name), key=lambda m: m["mean_alpha_paper"])
    if ranked:
        paths += _save(fig_histograms(by_name[ranked[0]["run"]], width=width), out / f"{prefix}fig2", fmts, dpi)
    paths += _save(fig_alpha_vs_pruning(tables, width=width), out / f"{prefix}fig3", fmts, dpi)
    done = {(r["scheme"], r["scope"]) for r in tables["pruning"]}
    for pruning, name in ((("magnitude", "layer"), "fig4"), (("singular", "layer"), "fig5"),
                          (("magnitude", "global"), "figS2")):
        if pruning in done:
            paths += _save(fig_relative_accuracy(tables, *pruning, width=width), out / f"{prefix}{name}", fmts, dpi)
    if ("nodes", "layer") in done:
        for kind, name in (("cnn", "fig6"), ("fcn", "figS3")):
            sub = _subset(tables, _model_is(kind))
            if sub["pruning"]:
                paths += _save(fig_relative_accuracy(sub, "nodes", width=width), out / f"{prefix}{name}", fmts, dpi)
    paths += _save(fig_accuracy_vs_alpha(tables, width=width), out / f"{prefix}fig7", fmts, dpi)
    if any(r.get("closest") is not None for r in tables["layers"]) and tables["synthetic"]:
        paths += _save(fig_vs_synthetic(tables, width=width), out / f"{prefix}vs_synthetic", fmts, dpi)
    return paths


def _model_is(kind: str) -> Callable[[Mapping[str, Any]], bool]:
    """A test of a model row: whether its model name starts with ``kind`` (``cnn``, ``fcn``)."""
    return lambda m: str(m["model"]).startswith(kind)


def _subset(tables: Mapping[str, list[dict]], keep: Callable[[Mapping[str, Any]], bool]) -> dict[str, list[dict]]:
    runs = {m["run"] for m in tables["model"] if keep(m)}
    return {name: [r for r in rows if r["run"] in runs] for name, rows in tables.items()}
