r"""Figure S4: the factor ρ_ε(κ) of Theorem S6 and its upper bound, against κ, for several ε.

ρ_ε(κ) = min(ε^(1−κ) exp(1.5 h_b(κ)), 1) (:func:`sgdtails.theory.entropy.rho_eps_fig_s4`, the value of
ρ_ε(κ, d) whenever d and κd are even) and min(3ε^(1−κ), 1) (:func:`sgdtails.theory.entropy.rho_eps_upper`),
h_b in nats. Both are non-decreasing in κ, equal ε at κ = 0 and 1 at κ = 1 (text below Theorem S6).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from sgdtails.figures._common import WIDTHS, Table, as_table, group_by, new_figure, panel_title, paper_style
from sgdtails.figures.vocabulary import SCALES
from sgdtails.simulator.validate import check_choice, check_int
from sgdtails.theory.entropy import rho_eps_fig_s4, rho_eps_upper

__all__ = ["FigureS4Config", "compute", "config_for_scale", "plot"]

NAME = "figure_s4"
CURVES = ("rho", "upper")


@dataclass(frozen=True)
class FigureS4Config:
    """ε values and the number of κ grid points on [0, 1]."""

    eps: tuple[float, ...] = (0.01, 0.1, 0.3, 0.5)
    n_kappa: int = 201
    seed: int = 0  # unused (deterministic); kept so every figure config has one

    def __post_init__(self) -> None:
        if not self.eps or any(not 0.0 < e < 1.0 for e in self.eps):
            raise ValueError(f"eps must be a non-empty tuple of values in (0, 1), got {self.eps!r}")
        check_int(self.n_kappa, "n_kappa", low=2)


def config_for_scale(scale: str, seed: int = 0) -> FigureS4Config:
    """Same config for ``"cpu"`` and ``"paper"`` (the curves are closed form)."""
    check_choice(scale, "scale", SCALES)
    return FigureS4Config(seed=seed)


def compute(config: FigureS4Config = FigureS4Config()) -> Table:
    """Rows ``eps, kappa, curve ("rho" | "upper"), value`` on an even κ grid over [0, 1]."""
    kappa = np.linspace(0.0, 1.0, config.n_kappa)
    rows = []
    for eps in config.eps:
        for curve, f in (("rho", rho_eps_fig_s4), ("upper", rho_eps_upper)):
            values = np.asarray(f(kappa, eps), dtype=float)
            rows += [{"eps": float(eps), "kappa": float(k), "curve": curve, "value": float(v)} for k, v in zip(kappa, values)]
    return rows


_WIDE_FROM = 6.5  # inches: panels side by side from this width on (the layout made for "double", 7 in)


def _decade_below(x: float) -> float:
    """The power of ten at or below ``x``, and at most 10⁻²: the log panel shows ≥ 3 labelled decades."""
    return min(10.0 ** np.floor(np.log10(x)), 1e-2)


def plot(table: Table, *, width: str | float = "double") -> Figure:
    r"""ρ_ε(κ) (solid) and its bound min(3ε^(1−κ), 1) (dashed) against κ, one colour per ε.

    (a) linear axes (the paper's figure); (b) the same curves on a log y axis, where the small-ε
    curves and the factor ε^(1−κ) (a straight line there) can be read. ``width="double"``: the two
    panels side by side; ``"single"`` (or any width under 6.5 in): stacked. The legend sits below the
    panels, off the curves.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import LogFormatterMathtext, LogLocator, NullFormatter

    table = as_table(table)
    eps_values = list(dict.fromkeys(float(r["eps"]) for r in table))
    cmap = colormaps["viridis"]
    colors = {eps: cmap(i / max(len(eps_values) - 1, 1) * 0.8) for i, eps in enumerate(eps_values)}  # no pale yellow
    styles = {"rho": "-", "upper": "--"}
    inches = WIDTHS.get(width, 0.0) if isinstance(width, str) else float(width)
    stacked = inches < _WIDE_FROM and not (isinstance(width, str) and width not in WIDTHS)
    positive = [float(r["value"]) for r in table if float(r["value"]) > 0]
    with paper_style():
        fig, axes = new_figure(2, 1, width=width, row_height=2.0) if stacked else new_figure(1, 2, width=width, row_height=2.6)
        lin, log = axes.flat
        for ax in (lin, log):
            for (eps, curve), rows in group_by(table, "eps", "curve").items():
                rows = sorted(rows, key=lambda r: float(r["kappa"]))
                ax.plot([float(r["kappa"]) for r in rows], [float(r["value"]) for r in rows], styles.get(curve, ":"),
                        color=colors[float(eps)], lw=1.2)
            ax.set_xlabel(r"remaining ratio $\kappa$")
            ax.set_ylabel(r"$\rho_\varepsilon(\kappa)$")
            ax.set_xlim(0.0, 1.0)
        lin.set_ylim(0.0, 1.05)
        panel_title(lin, 0, "linear axes")
        log.set_yscale("log")
        log.set_ylim(_decade_below(min(positive, default=1.0)), 1.5)
        log.yaxis.set_major_locator(LogLocator(base=10.0, numticks=12))
        log.yaxis.set_major_formatter(LogFormatterMathtext())
        log.yaxis.set_minor_locator(LogLocator(base=10.0, subs=tuple(float(k) for k in range(2, 10)), numticks=12))
        log.yaxis.set_minor_formatter(NullFormatter())
        panel_title(log, 1, "log y axis")
        handles = [Line2D([], [], color=colors[e], lw=2.0, label=rf"$\varepsilon$ = {e:g}") for e in eps_values]
        handles += [Line2D([], [], color="black", ls="-", lw=1.2, label=r"$\rho_\varepsilon(\kappa)$ (Theorem S6)"),
                    Line2D([], [], color="black", ls="--", lw=1.2, label=r"bound $\min(3\varepsilon^{1-\kappa}, 1)$")]
        fig.legend(handles=handles, loc="outside lower center", ncol=len(handles) if inches >= WIDTHS["double"] else 3)
        fig.suptitle(r"The factor $\rho_\varepsilon(\kappa)$ of Theorem S6 and its upper bound, against the remaining ratio"
                     if not stacked else r"The factor $\rho_\varepsilon(\kappa)$ of Theorem S6" + "\nand its upper bound")
    return fig
