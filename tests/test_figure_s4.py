"""Figure S4: ρ_ε(κ) and its bound min(3ε^(1−κ), 1), as a table; plot labels and layout (issue #15)."""
import numpy as np
import pytest
from figure_checks import READABLE, png_from_table_and_csv, readability
from matplotlib.figure import Figure

from sgdtails.figures import figure_s4
from sgdtails.figures._common import (
    WIDTHS,
    group_by,
)
from sgdtails.figures.figure_s4 import FigureS4Config, compute, plot


@pytest.fixture(scope="module")
def table():
    return compute(FigureS4Config(n_kappa=101))


def test_columns_and_sizes(table):
    assert len(table) == 4 * 2 * 101
    assert list(table[0]) == ["eps", "kappa", "curve", "value"]
    assert {r["eps"] for r in table} == {0.01, 0.1, 0.3, 0.5}


def test_curve_properties(table):
    curves = {k: np.array([r["value"] for r in rows]) for k, rows in group_by(table, "eps", "curve").items()}
    for eps in (0.01, 0.1, 0.3, 0.5):
        rho, upper = curves[(eps, "rho")], curves[(eps, "upper")]
        assert rho[0] == pytest.approx(eps) and rho[-1] == 1.0  # ρ_ε(0) = ε, ρ_ε(1) = 1
        assert np.all(np.diff(rho) >= 0)  # non-decreasing (text below Theorem S6)
        assert np.all(rho <= upper)  # exp(1.5 h_b) ≤ 2^1.5 < 3
        assert upper[0] == pytest.approx(min(3 * eps, 1.0))
    # Smaller ε gives a smaller factor at every κ < 1.
    assert np.all(curves[(0.01, "rho")][:-1] <= curves[(0.5, "rho")][:-1])


def test_plot(table):
    fig = plot(table)
    assert isinstance(fig, Figure)
    lin, log = fig.axes
    for ax in (lin, log):
        assert ax.get_xlabel() == r"remaining ratio $\kappa$" and ax.get_ylabel() == r"$\rho_\varepsilon(\kappa)$"
        assert len(ax.get_lines()) == 8  # ρ and its bound for each of 4 ε
    assert [ax.get_title(loc="left") for ax in (lin, log)] == ["(a) linear axes", "(b) log y axis"]
    assert log.get_yscale() == "log" and lin.get_yscale() == "linear"
    title = fig.get_suptitle()
    assert r"$\rho_\varepsilon(\kappa)$" in title and "Figure" not in title
    # The log axis labels every decade from 10⁻² (the smallest ε) to 10⁰.
    lo, hi = log.get_ylim()
    decades = [t for t in log.get_yticks() if lo <= t <= hi]
    assert len(decades) == 3 and np.allclose(decades, [1e-2, 1e-1, 1e0]), decades
    # The legend is the figure's, below the panels (off the curves), with one entry per ε and curve.
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][:4] == [f"$\\varepsilon$ = {e:g}" for e in (0.01, 0.1, 0.3, 0.5)]


@pytest.mark.parametrize("width", ["single", "double"])
@pytest.mark.parametrize("n_kappa", [101, 201])  # the test table and the paper's (default) grid
def test_plot_layout_at_both_widths(table, width, n_kappa):
    fig = plot(table if n_kappa == 101 else compute(FigureS4Config(n_kappa=n_kappa)), width=width)
    assert fig.get_figwidth() == WIDTHS[width]
    assert readability(fig) == READABLE


def test_plot_from_the_csv_is_the_same_figure(table, tmp_path):
    from_list, from_csv = png_from_table_and_csv(plot, table, tmp_path, "figure_s4")
    assert from_list == from_csv


def test_bad_config():
    with pytest.raises(ValueError):
        FigureS4Config(eps=(0.0,))
    with pytest.raises(ValueError):
        FigureS4Config(n_kappa=1)
    with pytest.raises(ValueError):
        figure_s4.config_for_scale("tiny")
