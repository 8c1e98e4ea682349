"""Figure S4: ρ_ε(κ) and its bound min(3ε^(1−κ), 1), as a table; plot labels."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from sgdtails.figures import figure_s4
from sgdtails.figures._common import group_by
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
    ax = fig.axes[0]
    assert ax.get_xlabel() == "remaining ratio κ" and ax.get_ylabel() == "ρ_ε(κ)"
    assert len(ax.get_lines()) == 8


def test_bad_config():
    with pytest.raises(ValueError):
        FigureS4Config(eps=(0.0,))
    with pytest.raises(ValueError):
        FigureS4Config(n_kappa=1)
    with pytest.raises(ValueError):
        figure_s4.config_for_scale("tiny")
