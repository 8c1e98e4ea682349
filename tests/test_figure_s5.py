"""Figure S5: |x| of SαS(1) samples sorted, cumulative norm share; Gaussian negative control."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from sgdtails.figures import figure_s5
from sgdtails.figures.figure_s5 import FigureS5Config, compute, plot, top_share


@pytest.fixture(scope="module")
def table():
    return compute(FigureS5Config())


def test_columns_and_sizes(table):
    assert len(table) == 10_000
    assert list(table[0]) == ["k", "k_over_d", "abs_x", "share", "alpha"]
    x = np.array([r["abs_x"] for r in table])
    share = np.array([r["share"] for r in table])
    assert np.all(np.diff(x) <= 0) and np.all(x >= 0)
    assert np.all(np.diff(share) >= 0) and share[-1] == pytest.approx(1.0)
    assert table[-1]["k_over_d"] == 1.0


def test_few_entries_carry_the_norm_with_gaussian_control(table):
    # Seed 0, n = 10⁴. α = 1.7: the top 1% of entries hold about half of ‖x‖² (measured 0.49).
    # Gaussian α = 2 at the same n and seed: E[x²; |x| > 2.576]/E[x²] ≈ 0.07.
    assert top_share(table, 0.01) > 0.3
    gauss = compute(FigureS5Config(alpha=2.0))
    assert top_share(gauss, 0.01) < 0.12


def test_plot(table):
    fig = plot(table)
    assert isinstance(fig, Figure)
    hist, share = fig.axes
    assert hist.get_xlabel() == "|x|" and hist.get_ylabel() == "count"
    assert hist.get_xscale() == "log" and hist.get_yscale() == "log"
    assert share.get_xlabel().startswith("k/d")


def test_bad_config():
    for bad in (dict(n=1), dict(alpha=2.5), dict(seed=-2)):
        with pytest.raises(ValueError):
            FigureS5Config(**bad)
    with pytest.raises(ValueError):
        figure_s5.config_for_scale("x")
