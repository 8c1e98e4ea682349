"""Figure S5: |x| of SαS(1) samples sorted, cumulative norm share; Gaussian negative control."""
import re

import numpy as np
import pytest
from figure_checks import READABLE, png_from_table_and_csv, readability, says_too_little
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from scipy.integrate import quad
from scipy.stats import norm, poisson

from sgdtails.figures import figure_s5
from sgdtails.figures._common import (
    WIDTHS,
)
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
    # Seed 0, n = 10⁴. α = 1.7: the top 1% of entries hold over half of ‖x‖² (measured 0.69).
    # Gaussian α = 2 at the same n and seed: E[x²; |x| > 2.576]/E[x²] ≈ 0.084 (measured 0.085).
    assert top_share(table, 0.01) > 0.3
    gauss = compute(FigureS5Config(alpha=2.0))
    assert top_share(gauss, 0.01) < 0.12


def test_plot(table):
    fig = plot(table)
    assert isinstance(fig, Figure)
    hist, share = fig.axes
    assert hist.get_xlabel() == "$|x|$" and hist.get_ylabel() == "count"
    assert hist.get_xscale() == "log" and hist.get_yscale() == "log"
    assert share.get_xlabel().startswith("$k/d$") and share.get_xscale() == "log"
    assert [ax.get_title(loc="left")[:3] for ax in (hist, share)] == ["(a)", "(b)"]
    assert "Figure" not in fig.get_suptitle() and r"$\alpha$ = 1.7" in fig.get_suptitle()
    for ax in (hist, share):  # log axes: several labelled decades
        lo, hi = ax.get_xlim()
        assert sum(lo <= t <= hi for t in ax.get_xticks()) >= 4


@pytest.mark.parametrize("width", ["single", "double"])
def test_plot_layout_at_both_widths(table, width):
    fig = plot(table, width=width)  # the table is the default (paper) config
    assert fig.get_figwidth() == WIDTHS[width]
    assert readability(fig) == READABLE


def test_plot_from_the_csv_is_the_same_figure(table, tmp_path):
    from_list, from_csv = png_from_table_and_csv(plot, table, tmp_path, "figure_s5")
    assert from_list == from_csv


def test_plot_shows_counts_with_poisson_intervals_and_a_share_band(table):
    fig = plot(table)
    hist, share = fig.axes
    # (a) The plotted counts are those of 40 log-spaced bins over [min |x|, max |x|] (computed here).
    x = np.array([r["abs_x"] for r in table])
    counts, edges = np.histogram(x, bins=np.geomspace(x.min(), x.max(), 41))
    (bars,) = hist.containers[:1]
    data_line, _, (segments,) = bars.lines
    seen = counts > 0
    np.testing.assert_allclose(data_line.get_xydata()[:, 1], counts[seen])
    # Each bar is the central 68 % Poisson interval of its count c: P(X ≥ c | low) = P(X ≤ c | high) = 0.16.
    ends = np.array([seg[:, 1] for seg in segments.get_segments()])
    c = counts[seen]
    np.testing.assert_allclose(poisson.sf(c - 1, ends[:, 0]), 0.16, atol=1e-9)
    np.testing.assert_allclose(poisson.cdf(c, ends[:, 1]), 0.16, atol=1e-9)
    # (b) A bootstrap band around the share curve, and the quoted top-1 % / top-10 % shares are the
    # sample's (recomputed here from the sorted squares), inside their quoted intervals.
    assert any(isinstance(col, PolyCollection) for col in share.collections)
    sq = np.sort(x * x)[::-1]
    cum = np.cumsum(sq) / sq.sum()
    quoted = [t.get_text() for t in fig.legends[0].get_texts() if t.get_text().startswith("top")]
    assert len(quoted) == 2
    for text, f in zip(quoted, (0.01, 0.1)):
        value, low, high = (float(v) for v in re.findall(r"\d+\.\d+", text.split(": ")[1]))
        assert value == pytest.approx(cum[int(np.ceil(f * x.size)) - 1], abs=0.005)  # quoted to 2 decimals
        assert low < value < high


def test_gaussian_reference_curve_matches_a_gaussian_sample_and_not_heavier_tails():
    # The n → ∞ share of ‖x‖² held by the top fraction f of a Gaussian sample: E[x²; |x| > t]/E[x²].
    f = np.array([0.01, 0.1])
    ref = figure_s5._gaussian_share(f)
    t = norm.isf(f / 2)
    np.testing.assert_allclose(ref, [2 * quad(lambda u: u * u * norm.pdf(u), ti, np.inf)[0] for ti in t], rtol=1e-9)
    # Against samples of n = 10⁵ (seed 0), read like the figure. Tolerance 0.004: 4 sd of the
    # empirical share at this n (sd measured over seeds 0-19: 0.00075 at f = 0.01, 0.0010 at 0.1).
    for alpha, should_match in ((2.0, True), (1.9, False)):  # 1.9: a slightly heavier tail, the negative control
        shares = [top_share(compute(FigureS5Config(n=100_000, alpha=alpha, seed=0)), fi) for fi in f]
        assert (np.abs(np.array(shares) - ref).max() < 0.004) == should_match, (alpha, shares, ref)


@pytest.mark.parametrize("width", ["single", "double"])
def test_too_little_data_is_said_on_the_figure(width):
    with pytest.warns(UserWarning, match="too little data"):
        fig = plot(compute(FigureS5Config(n=50)), width=width)
    assert says_too_little(fig)
    # The fixture's 10⁴ samples draw no such warning: every other plot test runs with warnings as errors.


def test_bad_config():
    for bad in (dict(n=1), dict(alpha=2.5), dict(seed=-2)):
        with pytest.raises(ValueError):
            FigureS5Config(**bad)
    with pytest.raises(ValueError):
        figure_s5.config_for_scale("x")
