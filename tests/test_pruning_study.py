"""Synthetic pruning study at tiny sizes on CPU: table columns, metric definitions, α trend, plot."""
import math

import numpy as np
import pandas
import pytest
from figure_checks import READABLE, png_from_table_and_csv, readability, says_too_little
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from sgdtails.figures import pruning_study as ps
from sgdtails.figures._common import (
    WIDTHS,
)
from sgdtails.figures.pruning_study import PruningStudyConfig, cohen_kappa, compute, plot, summarize, trend
from sgdtails.simulator import PRUNINGS, prune_singular, singular_rank
from sgdtails.simulator.sweep import cell_seed

TINY = PruningStudyConfig(width=16, depth=3, n_inputs=200, repetitions=2, alphas=(1.5, 2.0),
                          pruning_ratios=(0.0, 0.5), device="cpu", seed=1)


@pytest.fixture(scope="module")
def table():
    return compute(TINY)


def test_tiny_study_runs_on_cpu_with_all_columns(table):
    assert len(table) == 2 * 2 * 4 * 2  # α × repetitions × prunings × ratios
    for key in ("alpha", "repetition", "scheme", "scope", "target_ratio", "pruning_ratio", "rel_accuracy", "cohen_kappa",
                "top_share", "pred_top_share", "device"):
        assert key in table[0]
    assert {r["device"] for r in table} == {"cpu"}
    assert {(r["scheme"], r["scope"]) for r in table} == set(PRUNINGS)
    for r in table:
        assert 0.0 <= r["rel_accuracy"] <= 1.0
        assert 1.0 / 10 <= r["top_share"] <= 1.0
        assert math.isnan(r["cohen_kappa"]) or -1.0 <= r["cohen_kappa"] <= 1.0


def test_unpruned_is_identity_and_ratios_are_counted(table):
    for r in table:
        if r["target_ratio"] == 0.0 and r["scheme"] != "singular":
            assert r["rel_accuracy"] == 1.0 and r["pruning_ratio"] == 0.0
        if r["scheme"] == "magnitude":
            assert abs(r["pruning_ratio"] - r["target_ratio"]) < 0.01
    # Parameter counting: keeping all singular triplets costs r(m + n + 1) > mn, so even the
    # target ratio 0 keeps only r = ⌊mn/(m+n+1)⌋ < min(m, n) of them.
    assert singular_rank(1.0, 16, 16, count="parameters") == 7


def test_singular_truncation_equals_simulator():
    w = np.random.default_rng(0).standard_normal((12, 20))
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    for kappa in (1.0, 0.7, 0.3, 0.05):
        r = singular_rank(kappa, 12, 20, count="parameters")
        np.testing.assert_allclose((u[:, :r] * s[:r]) @ vt[:r], prune_singular(w, kappa, count="parameters"), atol=1e-12)


def test_cohen_kappa_definition():
    y = np.array([0, 0, 1, 1, 2, 2])
    assert cohen_kappa(y, y, 3) == 1.0
    # Predicting the majority class everywhere: 50% raw agreement, κ = 0 (chance level).
    labels = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    assert cohen_kappa(labels, np.zeros(8, dtype=int), 3) == 0.0
    # Hand value: p_o = 4/6; label counts (2, 2, 2), prediction counts (3, 3, 0), so
    # p_e = (2·3 + 2·3 + 2·0)/36 = 1/3 and κ = (2/3 − 1/3)/(1 − 1/3) = 1/2.
    assert cohen_kappa(y, np.array([0, 0, 1, 1, 1, 0]), 3) == pytest.approx(0.5)
    # Both constant on the same class: chance agreement is 1, κ undefined.
    assert math.isnan(cohen_kappa(np.ones(5, dtype=int), np.ones(5, dtype=int), 3))


def test_cell_is_deterministic_in_its_seed():
    cell = ps._grid(TINY, "cpu")[0]
    assert ps.pruning_cell(cell, cell_seed(1, 0)) == ps.pruning_cell(cell, cell_seed(1, 0))
    assert ps.pruning_cell(cell, cell_seed(1, 0)) != ps.pruning_cell(cell, cell_seed(1, 1))


def test_heavier_tails_are_more_robust_at_small_size():
    # Width 64, 500 inputs, 4 networks per α, layer-wise magnitude pruning of 30%, seed 0.
    # Measured Cohen's κ: 0.72 ± 0.03 (α = 1.5) vs 0.46 ± 0.04 (α = 2, the Gaussian control).
    cfg = PruningStudyConfig(width=64, n_inputs=500, repetitions=4, alphas=(1.5, 2.0), pruning_ratios=(0.3,),
                             prunings=(("magnitude", "layer"),), device="cpu", seed=0)
    means = {r["alpha"]: r for r in summarize(compute(cfg))}
    assert means[1.5]["cohen_kappa"] > means[2.0]["cohen_kappa"] + 0.1
    assert means[1.5]["rel_accuracy"] > means[2.0]["rel_accuracy"]


def test_summaries(table):
    means = summarize(table)
    assert len(means) == 4 * 2 * 2 and all(m["n"] == 2 for m in means)
    rows = trend(table)
    assert len(rows) == 4 * 2
    assert {"rel_accuracy_slope", "rel_accuracy_se", "cohen_kappa_z"} <= set(rows[0])


def test_plot_has_expected_axes(table):
    fig = plot(table)
    assert isinstance(fig, Figure)
    axes = fig.axes[:8]
    assert axes[0].get_ylabel() == "relative accuracy"
    # Cohen's kappa is κ_C, apart from the κ (kept fraction) of the x axis's 1 − κ (issue #15).
    assert axes[4].get_ylabel() == "agreement,\nCohen's $\\kappa_C$"
    assert axes[4].get_xlabel() == r"pruning ratio $1-\kappa$"
    assert fig.axes[-1].get_ylabel() == r"tail index $\alpha$"  # the colour bar
    assert [ax.get_title(loc="left") for ax in axes[:4]] == [
        "(a) magnitude (layer)", "(b) magnitude (global)", "(c) singular values", "(d) nodes"]
    (legend,) = fig.legends
    assert r"$\kappa_C$: Cohen's kappa" in legend.get_title().get_text()
    assert "Figure" not in fig.get_suptitle()


@pytest.mark.parametrize("width", ["single", "double"])
def test_plot_layout_at_both_widths(table, width):
    fig = plot(table, width=width)
    assert fig.get_figwidth() == WIDTHS[width]
    assert readability(fig) == READABLE


def test_plot_from_the_csv_is_the_same_figure(table, tmp_path):
    table = [dict(r) for r in table]
    table[3]["cohen_kappa"] = math.nan  # an undefined κ_C: NaN in the list, read back from the CSV as NaN/None
    from_list, from_csv = png_from_table_and_csv(plot, table, tmp_path, "pruning_study")
    assert from_list == from_csv
    frame = pandas.read_csv(tmp_path / "pruning_study.csv")
    assert frame.cohen_kappa.isna().sum() == 1 and frame.scheme.dtype != float


def _band(poly):
    """{x: (low, high)} of a fill_between band."""
    v = poly.get_paths()[0].vertices
    return {x: (v[v[:, 0] == x, 1].min(), v[v[:, 0] == x, 1].max()) for x in np.unique(v[:, 0])}


def test_plot_shows_the_mean_over_repetitions_inside_a_bootstrap_band(table):
    fig = plot(table)
    frame = pandas.DataFrame(table)
    for j, (scheme, scope) in enumerate(PRUNINGS):
        for i, key in enumerate(("rel_accuracy", "cohen_kappa")):
            ax = fig.axes[i * 4 + j]
            lines = ax.get_lines()
            bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
            assert len(lines) == len(bands) == 2  # α = 1.5 and 2: the smallest and largest α carry a band
            for alpha, line, band in zip((1.5, 2.0), lines, bands):
                rows = frame[(frame.scheme == scheme) & (frame.scope == scope) & (frame.alpha == alpha)]
                by = rows.groupby("target_ratio")
                x = by.pruning_ratio.mean().to_numpy()
                mean = by[key].mean().to_numpy()  # pandas skips NaN (an undefined κ_C)
                lo, hi = by[key].min().to_numpy(), by[key].max().to_numpy()
                np.testing.assert_allclose(line.get_xydata(), np.column_stack([x, mean]))
                # A bootstrap interval of the mean holds the mean and lies within the repetitions' range.
                drawn = _band(band)
                for xk, m, a, b in zip(x, mean, lo, hi):
                    low, high = drawn[xk]
                    assert a - 1e-12 <= low <= m + 1e-12 and m - 1e-12 <= high <= b + 1e-12


@pytest.mark.parametrize("width", ["single", "double"])
def test_one_alpha_or_one_network_is_said_on_the_figure(table, width):
    with pytest.warns(UserWarning, match="one α"):
        fig = plot([r for r in table if r["alpha"] == 1.5], width=width)
    assert len(fig.axes) == 8  # no (degenerate) colour bar
    assert says_too_little(fig)
    with pytest.warns(UserWarning, match="one network"):
        fig = plot([r for r in table if r["repetition"] == 0], width=width)
    assert says_too_little(fig)
    assert not any(isinstance(c, PolyCollection) for ax in fig.axes for c in ax.collections)
    # Two α and two networks (the fixture) draw no warning: the other plot tests run with warnings as errors.


@pytest.mark.parametrize(
    "bad",
    [dict(width=0), dict(alphas=(2.5,)), dict(alphas=()), dict(prunings=(("random", "layer"),)),
     dict(prunings=(("nodes", "global"),)), dict(pruning_ratios=(1.0,)),
     dict(device="tpu"), dict(classes=1), dict(seed=-1)],
)
def test_config_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        PruningStudyConfig(**bad)


def test_scales():
    paper = ps.config_for_scale("paper")
    assert (paper.width, paper.n_inputs, paper.repetitions, paper.depth) == (2048, 60_000, 10, 6)
    assert paper.alphas == (1.5, 1.55, 1.6, 1.65, 1.7, 1.75, 1.8, 1.85, 1.9, 1.95, 2.0)
    cpu = ps.config_for_scale("cpu", seed=3)
    assert cpu.width < paper.width and cpu.seed == 3 and cpu.alphas == paper.alphas
    with pytest.raises(ValueError):
        ps.config_for_scale("huge")
