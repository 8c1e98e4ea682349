r"""Convergence of the compression error with size for Theorems 1–3 (beyond the paper).

For i.i.d. SαS(α) weights with α < p the relative ℓp error of keeping a fixed fraction κ decays
like size^(1/p − 1/α) (docs/theory.md §4, rates): in d for magnitude pruning (Theorem 1), in h for the
Frobenius error of singular value pruning (Theorem 2: h^(1/2 − 1/α), the same exponent at p = 2)
and for node pruning (Theorem 3). Each panel shows the median relative error (band: 10–90%
quantiles over trials) against size on log-log axes for several α, with the theoretical slope
drawn as a dashed line through the first median, and negative controls in grey: the Gaussian
α = 2 (outside every hypothesis), p < α (finite E|x|^p) and the ``layer`` structure (one
elliptical vector, Section 3.3). The errors come from :func:`sgdtails.theory.theorem1.check_theorem1`,
:func:`sgdtails.theory.theorem2.check_theorem2` and :func:`sgdtails.theory.theorem3.check_theorem3`; their
verdicts and fitted slopes are carried in the table.

For Theorem 2 the Frobenius statement does not involve p (it is the ℓ1 error of the eigenvalues,
always inside p ≥ α/2), so its "p < α" control is the eigenvalue statement at p < α/2.

A fourth panel shows d₀ against α (:func:`sgdtails.theory.required_size.required_size`): the smallest size
at which P(error ≤ ε) ≥ 0.9, measured where reachable and extrapolated by the fitted power law
otherwise (open markers), in parameters (d for Theorem 1, h² for h × h matrices).

The table is long: ``quantity`` is ``"median_error"`` (value = median, lo/hi = 10%/90% quantiles
over trials, at ``size``) or ``"d0"`` (value = d₀ in parameters, lo/hi = its 95% interval,
``size`` = d₀ in the theorem's own size variable, ``verdict`` = measured | extrapolated).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from sgdtails.figures._common import Table, group_by, new_figure
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.validate import check_int
from sgdtails.theory.required_size import required_size
from sgdtails.theory.suite import THEOREMS
from sgdtails.theory.theorem1 import check_theorem1
from sgdtails.theory.theorem2 import check_theorem2
from sgdtails.theory.theorem3 import check_theorem3

__all__ = ["Case", "ConvergenceConfig", "cases", "compute", "config_for_scale", "plot", "to_params"]

NAME = "convergence"
_XLABEL = {"theorem1": "d (entries)", "theorem2": "h (W is h × h)", "theorem3": "h (columns of h × h W)"}
_TITLE = {
    "theorem1": "Theorem 1: magnitude pruning",
    "theorem2": "Theorem 2: singular values (Frobenius)",
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


def _error_rows(config: ConvergenceConfig, run: RunOptions) -> list[dict[str, object]]:
    rows = []
    for i, case in enumerate(cases(config)):
        result = _run(case, config, np.random.SeedSequence(config.seed, spawn_key=(i,)), run)
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


def _d0_rows(config: ConvergenceConfig, run: RunOptions) -> list[dict[str, object]]:
    rows = []
    for t, (theorem, top) in enumerate(zip(THEOREMS, config.d0_max)):
        for i, alpha in enumerate(config.d0_alphas):
            est = required_size(alpha, p=config.p, kappa=config.kappa, eps=config.eps,
                                confidence=config.d0_confidence, theorem=theorem, max_measured=int(top),
                                trials=config.d0_trials, seed=np.random.SeedSequence(config.seed, spawn_key=(100 + t, i)),
                                run=run)
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
    """
    return _error_rows(config, run) + _d0_rows(config, run)


def _error_panel(ax, rows: Table, main_alphas: list[Any]) -> None:
    cmap = colormaps["viridis"]
    grey = [("o", ":"), ("s", "-."), ("^", "--")]
    n_control = 0
    for (case, role), curve in group_by(rows, "case", "role").items():
        x = np.array([r["size"] for r in curve], dtype=float)
        med = np.array([r["value"] for r in curve])
        if role == "main":
            color = cmap(0.85 * main_alphas.index(curve[0]["alpha"]) / max(len(main_alphas) - 1, 1))
            ax.fill_between(x, [r["lo"] for r in curve], [r["hi"] for r in curve], color=color, alpha=0.15, lw=0)
            ax.plot(x, med, "o-", color=color, ms=3, lw=1.4, label=f"{case}: fitted slope {curve[0]['fitted_slope']:.2f}")
            slope = curve[0]["theory_slope"]
            if slope is not None:
                ax.plot(x, med[0] * (x / x[0]) ** slope, "--", color=color, lw=1.0, label=f"theory 1/p − 1/α = {slope:.2f}")
        else:
            marker, style = grey[n_control % len(grey)]
            n_control += 1
            ax.plot(x, med, marker + style, color="grey", ms=3, lw=1.1, label=f"control: {case}")
    ax.axhline(rows[0]["eps"], color="black", lw=0.6, ls=":")
    ax.set_ylabel("median relative error")


_D0_CAP = 1e20


def _d0_panel(ax, rows: Table) -> None:
    colors = {"theorem1": "tab:blue", "theorem2": "tab:orange", "theorem3": "tab:green"}
    for (th,), curve in group_by(rows, "theorem").items():
        a = np.array([r["alpha"] for r in curve])
        v = np.array([r["value"] for r in curve], dtype=float)
        lo = np.minimum(np.array([r["lo"] for r in curve], dtype=float), v)
        hi = np.array([r["hi"] for r in curve], dtype=float)
        hi = np.where(np.isfinite(hi), np.maximum(hi, v), v)
        shown = np.minimum(v, _D0_CAP)
        c = colors.get(th, "black")
        ax.plot(a, shown, "-", color=c, lw=1.0, label=_TITLE[th].split(":")[0])
        ax.errorbar(a, shown, yerr=[shown - np.minimum(lo, shown), np.minimum(hi, _D0_CAP) - shown], fmt="none",
                    ecolor=c, elinewidth=0.8, capsize=2)
        measured = np.array([r["verdict"] == "measured" for r in curve])
        capped = v > _D0_CAP
        ax.plot(a[measured & ~capped], shown[measured & ~capped], "o", color=c, ms=5)
        ax.plot(a[~measured & ~capped], shown[~measured & ~capped], "o", mfc="white", color=c, ms=5)
        ax.plot(a[capped], shown[capped], "^", mfc="white", color=c, ms=6)
    ax.axhline(2048**2, color="black", lw=0.6, ls=":", label="one 2048 × 2048 layer (paper's FCN)")
    ax.plot([], [], "o", color="grey", label="measured")
    ax.plot([], [], "o", mfc="white", color="grey", label="extrapolated")
    ax.plot([], [], "^", mfc="white", color="grey", label=f"beyond {_D0_CAP:.0e} (capped)")
    ax.set_yscale("log")
    ax.set_xlabel("tail index α")
    ax.set_ylabel("d₀ in parameters (d, or h² for h × h)")
    ax.set_title(f"Required size: P(error ≤ ε) ≥ {rows[0]['case'].split('>= ')[-1].rstrip(')')}", fontsize=9)
    ax.legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)


def plot(table: Table) -> Figure:
    """Log-log median error vs size per theorem (α in colour, controls grey, theory dashed) and d₀ vs α."""
    errors = [r for r in table if r["quantity"] == "median_error"]
    d0 = [r for r in table if r["quantity"] == "d0"]
    theorems = [t for t in THEOREMS if any(r["theorem"] == t for r in errors)]
    fig, axes = new_figure(1, len(theorems) + (1 if d0 else 0), width=4.4, height=4.6)
    main_alphas = sorted({r["alpha"] for r in errors if r["role"] == "main"})
    for j, th in enumerate(theorems):
        ax = axes[0, j]
        _error_panel(ax, [r for r in errors if r["theorem"] == th], main_alphas)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel(_XLABEL[th])
        ax.set_title(_TITLE[th], fontsize=9)
        ax.legend(fontsize=6, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    if d0:
        _d0_panel(axes[0, -1], d0)
    fig.suptitle(f"Convergence of the relative compression error (κ = {table[0]['kappa']:g}, dotted: ε = "
                 f"{table[0]['eps']:g}; band: 10–90% over trials)", fontsize=10)
    return fig
