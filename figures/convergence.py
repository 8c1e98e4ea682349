r"""Convergence of the compression error with size for Theorems 1–3 (beyond the paper).

For i.i.d. SαS(α) weights with α < p the relative ℓp error of keeping a fixed fraction κ decays
like size^(1/p − 1/α) (docs/theory.md §4, rates): in d for magnitude pruning (Theorem 1), in h for the
Frobenius error of singular value pruning (Theorem 2: h^(1/2 − 1/α), the same exponent at p = 2)
and for node pruning (Theorem 3). Each panel shows the median relative error against size on
log-log axes for several α (colours; bars: 10–90% quantiles over trials), with the derived slope
1/p − 1/α drawn dashed through the first median and, in a legend below the panel, the fitted slope
with its 95% bootstrap interval (``fitted_slope``, ``slope_lo``, ``slope_hi``); negative controls in
grey: the Gaussian α = 2 (outside every hypothesis), p < α (finite E|x|^p) and the ``layer``
structure (one elliptical vector, Section 3.3). The errors come from :func:`sgdtails.theory.theorem1.check_theorem1`,
:func:`sgdtails.theory.theorem2.check_theorem2` and :func:`sgdtails.theory.theorem3.check_theorem3`; their
verdicts and fitted slopes are carried in the table.

For Theorem 2 the Frobenius statement does not involve p (it is the ℓ1 error of the eigenvalues,
always inside p ≥ α/2), so its "p < α" control is the eigenvalue statement at p < α/2.

A fourth panel shows d₀ against α (:func:`sgdtails.theory.required_size.required_size`): the smallest size
at which P(error ≤ ε) ≥ 0.9, measured where reachable and extrapolated by the fitted power law
otherwise (open markers), in parameters (d for Theorem 1, h² for h × h matrices). The four panels
form a 2 × 2 grid at both paper widths (:func:`plot`), with one legend below it for the colours, the
controls and the line styles; a curve of fewer than 3 sizes is flagged as too little data.

The table is long: ``quantity`` is ``"median_error"`` (value = median, lo/hi = 10%/90% quantiles
over trials, at ``size``) or ``"d0"`` (value = d₀ in parameters, lo/hi = its 95% interval,
``size`` = d₀ in the theorem's own size variable, ``verdict`` = measured | extrapolated).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sgdtails.figures._common import (
    MIN_FONT_PT,
    WIDTHS,
    Table,
    as_table,
    group_by,
    new_figure,
    note_too_little_data,
    panel_title,
    paper_style,
)
from sgdtails.figures._layout import fit_bottom, fit_log_ticks, legend_at_bottom, log_ticks
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.validate import check_int
from sgdtails.theory.required_size import required_size
from sgdtails.theory.suite import THEOREMS
from sgdtails.theory.theorem1 import check_theorem1
from sgdtails.theory.theorem2 import check_theorem2
from sgdtails.theory.theorem3 import check_theorem3

__all__ = ["Case", "ConvergenceConfig", "cases", "compute", "config_for_scale", "plot", "to_params"]

NAME = "convergence"
_XLABEL = {"theorem1": r"$d$ (entries)", "theorem2": r"$h$ ($W$ is $h \times h$)",
           "theorem3": r"$h$ (columns of an $h \times h$ $W$)"}
_XLABEL_NARROW = {"theorem1": r"$d$ (magnitude)", "theorem2": r"$h$ (singular values)", "theorem3": r"$h$ (nodes)"}
_TITLE = {
    "theorem1": "Theorem 1: magnitude pruning",
    "theorem2": "Theorem 2: singular values",
    "theorem3": "Theorem 3: node pruning",
}


@dataclass(frozen=True)
class ConvergenceConfig:
    """Size grids, trials and levels of the three checks.

    Attributes
    ----------
    alphas : tuple of float
        Tail indices of the main (in-hypothesis) curves, all < p.
    p, kappa, eps : float
        Error exponent, remaining ratio κ and error level ε of every check.
    sizes1, sizes2, sizes3 : tuple of int
        Size grids: d for Theorem 1 (squares, so the ``layer`` control can use h × h matrices),
        h for Theorems 2 and 3.
    trials : int
        Samples per size.
    control_alpha : float
        α of the p < α and ``layer`` controls.
    control_p : float
        p of the p < α control (Theorem 2: p of the eigenvalue statement, < α/2).
    d0_alphas : tuple of float
        α grid of the required-size panel (empty: no d₀ panel).
    d0_confidence : float
        Level c of P(error ≤ ε) ≥ c defining d₀.
    d0_trials : int
        Samples per size of the d₀ search.
    d0_max : tuple of int
        Largest size simulated per theorem (d; h; h) before extrapolating.
    seed : int
    """

    alphas: tuple[float, ...] = (1.2, 1.5, 1.8)
    p: float = 2.0
    kappa: float = 0.1
    eps: float = 0.1
    sizes1: tuple[int, ...] = (32**2, 100**2, 316**2, 1000**2)
    sizes2: tuple[int, ...] = (64, 128, 256, 512)
    sizes3: tuple[int, ...] = (128, 256, 512, 1024)
    trials: int = 40
    control_alpha: float = 1.8
    control_p: float = 0.8
    d0_alphas: tuple[float, ...] = (1.1, 1.3, 1.5, 1.7, 1.9)
    d0_confidence: float = 0.9
    d0_trials: int = 30
    d0_max: tuple[int, int, int] = (10**6, 256, 1024)
    seed: int = 0

    def __post_init__(self) -> None:
        if not self.alphas or any(not 0.0 < a < min(2.0, self.p) for a in self.alphas):
            raise ValueError(f"alphas must be values in (0, min(2, p)), got {self.alphas!r}")
        if not 0.0 < self.control_p < self.control_alpha / 2.0:
            raise ValueError(f"control_p must be in (0, control_alpha/2), got {self.control_p!r}")
        check_int(self.trials, "trials", low=2)
        if any(not 0.0 < a < 2.0 for a in self.d0_alphas) or not 0.0 < self.d0_confidence < 1.0:
            raise ValueError(f"d0_alphas must lie in (0, 2) and d0_confidence in (0, 1), got "
                             f"{self.d0_alphas!r}, {self.d0_confidence!r}")
        if len(self.d0_max) != 3:
            raise ValueError(f"d0_max must hold 3 sizes (d; h; h), got {self.d0_max!r}")
        for top in self.d0_max:
            check_int(top, "d0_max", low=2)
        check_int(self.d0_trials, "d0_trials", low=2)
        check_int(self.seed, "seed", low=0)


def config_for_scale(scale: str, seed: int = 0) -> ConvergenceConfig:
    """``"cpu"``: the defaults (1–2 minutes on two cores). ``"paper"``: larger sizes, 100 trials, 9 α for d₀."""
    if scale == "cpu":
        return ConvergenceConfig(seed=seed)
    if scale == "paper":
        return ConvergenceConfig(
            sizes1=(32**2, 100**2, 316**2, 1000**2, 3162**2), sizes2=(64, 128, 256, 512, 1024, 2048),
            sizes3=(128, 256, 512, 1024, 2048, 4096), trials=100,
            d0_alphas=(1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 1.9), d0_trials=50, d0_max=(10**7, 512, 2048), seed=seed)
    raise ValueError(f"scale must be 'cpu' or 'paper', got {scale!r}")


@dataclass(frozen=True)
class Case:
    """One curve: a theorem check at (α, p, structure), main or control, and the series plotted."""

    theorem: str
    label: str
    role: str  # "main" | "control"
    alpha: float
    p: float
    structure: str
    series: str


def cases(config: ConvergenceConfig) -> list[Case]:
    """Every curve of the figure, main cases first, per theorem."""
    ca, cp, p = config.control_alpha, config.control_p, config.p
    out = []
    for th in THEOREMS:
        frob = th == "theorem2"
        s_main = "frobenius h x h" if frob else None
        out += [Case(th, f"α = {a:g}", "main", a, p, "iid", s_main or "") for a in config.alphas]
        out.append(Case(th, "α = 2 (Gaussian)", "control", 2.0, p, "iid", s_main or ""))
        if frob:
            out.append(Case(th, f"eigenvalues, p = {cp:g} < α/2 (α = {ca:g})", "control", ca, cp, "iid", "eigenvalues h x h"))
        else:
            out.append(Case(th, f"p = {cp:g} < α = {ca:g}", "control", ca, cp, "iid", ""))
        out.append(Case(th, f"layer structure (α = {ca:g})", "control", ca, p, "layer", s_main or ""))
    return out


def _run(case: Case, config: ConvergenceConfig, seed: np.random.SeedSequence, run: RunOptions):
    common: dict[str, Any] = dict(p=case.p, kappa=config.kappa, eps=config.eps, trials=config.trials,
                                  structure=case.structure, seed=seed, run=run)
    if case.theorem == "theorem1":
        return check_theorem1(case.alpha, sizes=config.sizes1, **common)
    if case.theorem == "theorem2":
        return check_theorem2(case.alpha, sizes=config.sizes2, aspects=(1,), **common)
    return check_theorem3(case.alpha, sizes=config.sizes3, **common)


def _row(case: Case, config: ConvergenceConfig, **values: object) -> dict[str, object]:
    row = {"theorem": case.theorem, "case": case.label, "role": case.role, "alpha": case.alpha, "p": case.p,
           "structure": case.structure, "series": case.series, "kappa": config.kappa, "eps": config.eps}
    keys = ("quantity", "size_name", "size", "params", "value", "lo", "hi", "p_within", "fitted_slope",
            "slope_lo", "slope_hi", "theory_slope", "theory_value", "verdict")
    return {**row, **{k: values.get(k) for k in keys}}


def _error_rows(config: ConvergenceConfig, run: RunOptions, bar: Any) -> list[dict[str, object]]:
    rows = []
    for i, case in enumerate(cases(config)):
        bar.set_postfix_str(f"{case.theorem} {case.label}", refresh=False)
        result = _run(case, config, np.random.SeedSequence(config.seed, spawn_key=(i,)), run)
        bar.update(1)
        series = next(s for s in result.series if not case.series or s.label == case.series)
        for r in series.rows:
            rows.append(_row(case, config, quantity="median_error", size_name=r["size_name"], size=r["size"],
                             params=r["d"], value=r["median"], lo=r["q10"], hi=r["q90"], p_within=r["p_within"],
                             fitted_slope=series.slope, slope_lo=series.slope_ci[0], slope_hi=series.slope_ci[1],
                             theory_slope=series.theory_slope, verdict=series.verdict))
    return rows


def to_params(size: float, power: int) -> float:
    """size**power as a float, ∞ beyond the float range (extrapolated d₀ can exceed 10³⁰⁸ when squared)."""
    try:
        return float(size) ** power
    except OverflowError:
        return math.inf


def _d0_rows(config: ConvergenceConfig, run: RunOptions, bar: Any) -> list[dict[str, object]]:
    rows = []
    for t, (theorem, top) in enumerate(zip(THEOREMS, config.d0_max)):
        for i, alpha in enumerate(config.d0_alphas):
            bar.set_postfix_str(f"d0 {theorem} α = {alpha:g}", refresh=False)
            est = required_size(alpha, p=config.p, kappa=config.kappa, eps=config.eps,
                                confidence=config.d0_confidence, theorem=theorem, max_measured=int(top),
                                trials=config.d0_trials, seed=np.random.SeedSequence(config.seed, spawn_key=(100 + t, i)),
                                run=run)
            bar.update(1)
            power = 1 if theorem == "theorem1" else 2  # parameters: d, or h² for an h × h matrix
            case = Case(theorem, f"d0 (P >= {config.d0_confidence:g})", "main", alpha, config.p, "iid", "")
            d0 = to_params(est.d0, power)
            rows.append(_row(case, config, quantity="d0", size_name=est.size_name, size=est.d0, params=d0, value=d0,
                             lo=to_params(est.ci[0], power), hi=to_params(est.ci[1], power),
                             fitted_slope=est.slope, theory_slope=est.theory_slope,
                             theory_value=None if est.theory_d0 is None else to_params(est.theory_d0, power),
                             verdict=est.method))
    return rows


def compute(config: ConvergenceConfig = ConvergenceConfig(), *, run: RunOptions = RunOptions()) -> Table:
    """Median errors per (curve, size) with slopes and verdicts, then d₀ per (theorem, α).

    ``run`` says where the checks' Monte-Carlo cells run (:class:`~sgdtails.simulator.RunOptions`);
    the numbers do not depend on it.

    Returns
    -------
    Table
        Long rows ``theorem, case, role, alpha, p, structure, series, kappa, eps, quantity, size_name,
        size, params, value, lo, hi, p_within, fitted_slope, slope_lo, slope_hi, theory_slope, theory_value, verdict``
        (module docstring); None (empty in the CSV) where a field does not apply.

    A progress bar over the curves and the d₀ searches shows when ``run.progress`` says so (the
    checks' own bars below it).
    """
    from tqdm.auto import tqdm

    total = len(cases(config)) + len(THEOREMS) * len(config.d0_alphas)
    with tqdm(total=total, desc="convergence", unit="curve", disable=not run.show_progress()) as bar:
        return _error_rows(config, run, bar) + _d0_rows(config, run, bar)


_MAIN_CMAP = "viridis"
_CONTROL_STYLE = {"gaussian": ("o", ":"), "p_below": ("s", "-."), "layer": ("^", (0, (5, 1.5)))}
"""Marker and line style of each kind of negative control (all drawn in grey)."""
_D0_CAP = 1e20
_D0_COLORS = {"theorem1": "tab:blue", "theorem2": "tab:orange", "theorem3": "tab:green"}


def _control_kind(row: Mapping[str, Any]) -> str:
    """``gaussian`` (α = 2), ``layer`` (one elliptical vector) or ``p_below`` (p < α, Theorem 2: p < α/2)."""
    if row["alpha"] == 2.0:
        return "gaussian"
    if row["structure"] == "layer":
        return "layer"
    return "p_below"


def _control_label(row: Mapping[str, Any]) -> str:
    """Mathtext legend label of a control curve, built from its columns (not its unicode case name)."""
    kind, a, p = _control_kind(row), row["alpha"], row["p"]
    if kind == "gaussian":
        return r"Gaussian, $\alpha = 2$"
    if kind == "layer":
        return rf"layer structure, $\alpha = {a:g}$"
    if str(row.get("series") or "").startswith("eigenvalues"):
        return rf"eigenvalues, $p = {p:g} < \alpha/2$"
    return rf"$p = {p:g} < \alpha = {a:g}$"


def _main_color(alpha: float, main_alphas: list[float]) -> Any:
    return colormaps[_MAIN_CMAP](0.85 * main_alphas.index(alpha) / max(len(main_alphas) - 1, 1))


def _fmt_slope(v: float | None) -> str:
    return "—" if v is None else f"{v:.2f}".replace("-", "−")


def _error_panel(ax: Any, rows: Table, main_alphas: list[float]) -> list[tuple[Any, float, str]]:
    """Medians against size, q10–q90 bars on the main curves, theory dashed; returns the slope legend entries."""
    entries = []
    curves = list(group_by(rows, "case", "role").items())
    n_main = sum(role == "main" for (_, role), _ in curves)
    k = 0
    for (_, role), curve in curves:
        x = np.array([r["size"] for r in curve], dtype=float)
        med = np.array([r["value"] for r in curve], dtype=float)
        first = curve[0]
        if role == "main":
            color = _main_color(first["alpha"], main_alphas)
            # Bars of neighbouring curves side by side (a few % apart on the log axis), not on top of each other.
            dodge = 10 ** (0.012 * (k - (n_main - 1) / 2))
            k += 1
            lo = np.array([r["lo"] for r in curve], dtype=float)
            hi = np.array([r["hi"] for r in curve], dtype=float)
            ax.errorbar(x * dodge, med, yerr=[med - np.minimum(lo, med), np.maximum(hi, med) - med], fmt="o-",
                        color=color, ms=3, lw=1.2, elinewidth=0.7, capsize=1.5, zorder=3)
            slope = first["theory_slope"]
            if slope is not None:
                ax.plot(x, med[0] * (x / x[0]) ** slope, "--", color=color, lw=0.9, zorder=2)
            handle = ax.plot([], [], "o-", color=color, ms=3, lw=1.2)[0]
            entries.append((handle, first["alpha"], f"{_fmt_slope(first['fitted_slope'])} "
                                                    f"[{_fmt_slope(first['slope_lo'])}, {_fmt_slope(first['slope_hi'])}]"))
        else:
            marker, style = _CONTROL_STYLE[_control_kind(first)]
            ax.plot(x, med, marker=marker, ls=style, color="grey", mfc="white", ms=3.5, lw=0.9, zorder=1)
    ax.axhline(rows[0]["eps"], color="black", lw=0.6, ls=":", zorder=0)
    ax.set_ylabel("median relative error")
    return entries


def _d0_panel(ax: Any, rows: Table, narrow: bool) -> list[tuple[Any, str]]:
    """d₀ against α per theorem (95% intervals as bars), open markers where extrapolated; returns the legend entries."""
    for (th,), curve in group_by(rows, "theorem").items():
        a = np.array([r["alpha"] for r in curve], dtype=float)
        v = np.array([r["value"] for r in curve], dtype=float)
        lo = np.minimum(np.array([r["lo"] for r in curve], dtype=float), v)
        hi = np.array([r["hi"] for r in curve], dtype=float)
        hi = np.where(np.isfinite(hi), np.maximum(hi, v), v)
        shown = np.minimum(v, _D0_CAP)
        c = _D0_COLORS.get(th, "black")
        ax.plot(a, shown, "-", color=c, lw=1.0)
        ax.errorbar(a, shown, yerr=[shown - np.minimum(lo, shown), np.maximum(np.minimum(hi, _D0_CAP) - shown, 0.0)],
                    fmt="none", ecolor=c, elinewidth=0.7, capsize=1.5)
        measured = np.array([r["verdict"] == "measured" for r in curve])
        capped = v > _D0_CAP
        ax.plot(a[measured & ~capped], shown[measured & ~capped], "o", color=c, ms=4)
        ax.plot(a[~measured & ~capped], shown[~measured & ~capped], "o", mfc="white", color=c, ms=4)
        ax.plot(a[capped], shown[capped], "^", mfc="white", color=c, ms=5)
    ax.axhline(2048**2, color="black", lw=0.6, ls=":")
    ax.set_yscale("log")
    ys = [min(max(float(r[k]), 1.0), _D0_CAP) for r in rows for k in ("value", "lo") if r[k] is not None]
    log_ticks(ax.yaxis, min(ys + [2048.0**2]), max(ys + [2048.0**2]))
    ax.xaxis.set_major_locator(MaxNLocator(nbins=3 if narrow else 6, steps=[1, 2, 3, 5, 10]))
    ax.set_xlabel(r"tail index $\alpha$")
    ax.set_ylabel(r"$d_0$ (parameters: $d$ or $h^2$)")
    present = [t for t in THEOREMS if any(r["theorem"] == t for r in rows)]
    entries = [(ax.plot([], [], "o-", color=_D0_COLORS[t], ms=4, lw=1.0)[0], f"Theorem {t[-1]}") for t in present]
    entries += [(ax.plot([], [], "o", color="grey", ms=4)[0], "measured"),
                (ax.plot([], [], "o", mfc="white", color="grey", ms=4)[0], "extrapolated"),
                (ax.plot([], [], "^", mfc="white", color="grey", ms=5)[0], r"capped at $10^{20}$"),
                (ax.plot([], [], ":", color="black", lw=0.6)[0],
                 r"$2048^2$ (FCN layer)" if narrow else r"$2048^2$ (one layer of the paper's FCN)")]
    return entries


_LINE_IN = 1.5 * MIN_FONT_PT / 72.0
"""Height of one legend line in inches (8 pt text, labelspacing 0.5)."""


def _below(lax: Any, column: tuple[int, int], entries: list[tuple[Any, str]], ncol: int, title: str | None = None) -> Any:
    """A panel's legend in the axis-less strip below the panel: outside the data; returns it.

    The legend starts at the left edge of the panel's grid column (``column`` = (index, count)), not
    of the axes, so it may use the width of the y-label too. It is left out of the layout: the strip's
    height is set to the legend's by :func:`_fit_strips`.
    """
    from matplotlib.transforms import blended_transform_factory

    lax.axis("off")
    if not entries:
        return None
    j, n = column
    legend = lax.legend(*zip(*entries), loc="upper left", ncol=ncol, frameon=False, title=title,
                        bbox_to_anchor=(j / n + 0.005, 1.0),
                        bbox_transform=blended_transform_factory(lax.figure.transFigure, lax.transAxes),
                        borderaxespad=0.0, columnspacing=1.0, handlelength=1.6)
    legend.set_in_layout(False)
    legend._legend_box.align = "left"
    return legend


def _fit_strips(fig: Figure, axes: list[Any], strips: list[Any], ncols: int, panel_in: float) -> None:
    """Make each row of panels ``panel_in`` inches high and each strip as high as its tallest legend.

    The margins of the layout (titles, labels, the figure legend) are fixed in inches, so growing (or
    shrinking) the figure by what the axes lack (or have in excess) gives them these heights.
    """
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    nrows = len(axes) // ncols
    gs = axes[0].get_subplotspec().get_gridspec()
    ratios, grow = [], 0.0
    for i in range(nrows):
        row = range(i * ncols, (i + 1) * ncols)
        legends = [strips[j].get_legend() for j in row if strips[j].get_visible() and strips[j].get_legend()]
        need = max([lg.get_window_extent(renderer).height / fig.dpi for lg in legends] + [0.0]) + 0.04
        have = strips[i * ncols].get_window_extent(renderer).height / fig.dpi
        panel = axes[i * ncols].get_window_extent(renderer).height / fig.dpi
        ratios += [panel_in, need]
        grow += need - have + panel_in - panel
    gs.set_height_ratios(ratios)
    fig.set_figheight(fig.get_figheight() + grow)


def _slope_entries(entries: list[tuple[Any, float, str]], narrow: bool) -> list[tuple[Any, str]]:
    """Labels "α = 1.2: −0.39 [−0.46, −0.32]" (narrow: the interval alone, the colour names α)."""
    return [(h, text if narrow else rf"$\alpha = {a:g}$: {text}") for h, a, text in entries]


def _too_few_sizes(errors: Table) -> list[str]:
    """The theorems with a curve of fewer than 3 distinct sizes (its slope is a line through 2 points)."""
    return sorted({th for (th, _), c in group_by(errors, "theorem", "case").items() if len({r["size"] for r in c}) < 3})


def plot(table: Table, *, width: str | float = "double") -> Figure:
    """Log-log median error vs size per theorem (α in colour, controls grey, theory dashed) and d₀ vs α.

    A 2 × 2 grid at both widths: panels (a)–(c) Theorems 1–3 (docs/theory.md §4, rates), each with
    q10–q90 bars at the medians and its fitted slopes with their 95% bootstrap intervals in a legend
    below it; panel (d) d₀ against α (95% intervals as bars). One legend below the grid explains the
    colours (with each α's derived slope 1/p − 1/α), the grey controls and the line styles. A curve
    of fewer than 3 sizes (a slope through 2 points) or a d₀ panel of one α is flagged as too little data.
    """
    table = as_table(table)
    errors = [r for r in table if r["quantity"] == "median_error"]
    d0 = [r for r in table if r["quantity"] == "d0"]
    theorems = [t for t in THEOREMS if any(r["theorem"] == t for r in errors)]
    n_panels = len(theorems) + (1 if d0 else 0)
    if n_panels == 0:
        raise ValueError("the convergence table holds neither median_error nor d0 rows")
    ncols = 2 if n_panels > 1 else 1
    nrows = math.ceil(n_panels / ncols)
    narrow = (WIDTHS[width] if isinstance(width, str) else float(width)) < 5.0
    main_alphas = sorted({r["alpha"] for r in errors if r["role"] == "main"})
    kappa, p, eps = table[0]["kappa"], table[0]["p"], table[0]["eps"]
    panel_h = 1.4 if narrow else 1.8  # height of a panel's axes (inches), set by _fit_strips
    strip_h = (len(main_alphas) + 1) * _LINE_IN  # first guess; _fit_strips sets the real height
    with paper_style():
        fig, grid = new_figure(2 * nrows, ncols, width=width, row_height=(panel_h + strip_h + 0.8) / 2,
                               gridspec_kw={"height_ratios": [panel_h, strip_h] * nrows})
        axes, strips = list(grid[0::2].ravel()), list(grid[1::2].ravel())
        for ax, lax in zip(axes[n_panels:], strips[n_panels:]):
            ax.set_visible(False)
            lax.set_visible(False)
        for j, th in enumerate(theorems):
            ax = axes[j]
            rows = [r for r in errors if r["theorem"] == th]
            entries = _error_panel(ax, rows, main_alphas)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ys = [float(r[k]) for r in rows for k in ("value", "lo", "hi") if r[k] is not None and r[k] > 0] + [eps]
            log_ticks(ax.xaxis, min(float(r["size"]) for r in rows), max(float(r["size"]) for r in rows))
            log_ticks(ax.yaxis, min(ys), max(ys))
            ax.set_xlabel((_XLABEL_NARROW if narrow else _XLABEL)[th])
            if narrow and j % ncols:
                ax.set_ylabel("")  # the left panel of the row says it
            panel_title(ax, j, _TITLE[th].split(":")[0] if narrow else _TITLE[th])
            _below(strips[j], (j % ncols, ncols), _slope_entries(entries, narrow), 1,
                   "slope [95% interval]" if narrow else "fitted slope [95% interval]")
        title = (rf"Compression error vs size ($\kappa = {kappa:g}$, $p = {p:g}$)" if narrow else
                 rf"Convergence of the relative compression error with size ($\kappa = {kappa:g}$, $p = {p:g}$)")
        if d0:
            j = len(theorems)
            conf = str(d0[0]["case"]).split(">= ")[-1].rstrip(")")
            level = rf"$P(\mathrm{{error}} \leq \varepsilon) \geq {conf}$"
            _below(strips[j], (j % ncols, ncols), _d0_panel(axes[j], d0, narrow), 1 if narrow else 2)
            panel_title(axes[j], j, "required size" if narrow else rf"required size $d_0$: {level}")
            if narrow:
                title += f"\n($d_0$: {level})"
        legend = legend_at_bottom(fig, _shared_entries(axes[0], errors, main_alphas, eps, narrow), 1 if narrow else 2)
        fig.suptitle(title)
        few = _too_few_sizes(errors)
        reasons = [f"fewer than 3 sizes per curve (Theorem {', '.join(t[-1] for t in few)})"] if few else []
        if d0 and len({r["alpha"] for r in d0}) < 2:
            reasons.append("one α for d₀")
        if reasons:
            note_too_little_data(fig, "; ".join(reasons))
        _fit_strips(fig, axes, strips, ncols, panel_h)
        fit_bottom(fig, legend)
        fit_log_ticks(fig, axes[:n_panels])
    return fig


def _shared_entries(ax: Any, errors: Table, main_alphas: list[float], eps: float,
                    narrow: bool) -> list[tuple[Any, str]]:
    """The figure legend: α colours with the derived slope, one entry per kind of control, line styles."""
    entries = []
    for a in main_alphas:
        slopes = {r["theory_slope"] for r in errors if r["role"] == "main" and r["alpha"] == a}
        theory = f", derived slope {_fmt_slope(slopes.pop())}" if len(slopes) == 1 else ""
        entries.append((ax.plot([], [], "o-", color=_main_color(a, main_alphas), ms=3, lw=1.2)[0],
                        rf"$\alpha = {a:g}${theory}"))
    bars = ax.errorbar([], [], yerr=[], fmt="o", color="dimgrey", ms=3, elinewidth=0.7, capsize=1.5)
    entries.append((bars, "median, bars: 10–90% of trials"))
    kinds: dict[str, list[str]] = {}
    for curve in group_by([r for r in errors if r["role"] == "control"], "case").values():
        names = kinds.setdefault(_control_kind(curve[0]), [])
        label = _control_label(curve[0])
        if label not in names:
            names.append(label)
    for kind, names in kinds.items():
        marker, style = _CONTROL_STYLE[kind]
        text = "control: " + names[0] + "".join(("\n    " if narrow else "; ") + n for n in names[1:])
        entries.append((ax.plot([], [], marker=marker, ls=style, color="grey", mfc="white", ms=3.5, lw=0.9)[0], text))
    entries.append((ax.plot([], [], "--", color="black", lw=0.9)[0],
                    r"derived slope $1/p - 1/\alpha$" + ("" if narrow else " through the first median")))
    entries.append((ax.plot([], [], ":", color="black", lw=0.6)[0], rf"error level $\varepsilon = {eps:g}$"))
    return entries
