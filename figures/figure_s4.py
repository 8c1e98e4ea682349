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

from sgdtails.figures._common import Table, group_by, new_figure
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


def plot(table: Table) -> Figure:
    """ρ_ε(κ) (solid) and min(3ε^(1−κ), 1) (dashed) against κ, one colour per ε."""
    fig, axes = new_figure(1, 1, width=5.0, height=3.8)
    ax = axes[0, 0]
    eps_values = list(dict.fromkeys(r["eps"] for r in table))
    cmap = colormaps["viridis"]
    for (eps, curve), rows in group_by(table, "eps", "curve").items():
        color = cmap(eps_values.index(eps) / max(len(eps_values) - 1, 1) * 0.9)
        style = "-" if curve == "rho" else "--"
        label = (rf"$\rho_\varepsilon(\kappa)$, ε = {eps:g}" if curve == "rho"
                 else rf"$\min(3\varepsilon^{{1-\kappa}}, 1)$, ε = {eps:g}")
        ax.plot([r["kappa"] for r in rows], [r["value"] for r in rows], style, color=color, lw=1.4, label=label)
    ax.set_xlabel("remaining ratio κ")
    ax.set_ylabel("ρ_ε(κ)")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.05)
    ax.legend(fontsize=7, ncol=2, loc="lower right")
    ax.set_title("Figure S4: ρ_ε(κ) for different ε", fontsize=10)
    return fig
