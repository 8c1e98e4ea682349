"""realnets.analyze on a tiny trained run: table columns, value ranges, identities, caching, figures."""
import json
import math
import shutil

import numpy as np
import pytest
from matplotlib.text import Text

from sgdtails.figures import realnet_figures as rf
from sgdtails.figures._common import WIDTHS, small_text, text_outside, text_overlaps
from sgdtails.figures.realnet_figures import plot_all
from sgdtails.realnets import TeacherSpec, TrainConfig, train
from sgdtails.realnets.adapt import as_matrix, layer_arrays, prune_arrays, with_arrays
from sgdtails.realnets.analyze import (
    EPS,
    RATIO_GRIDS,
    P,
    _accuracy,
    analyze_run,
    analyze_runs,
    find_runs,
    load_run,
    write_tables,
)
from sgdtails.realnets.data import load_dataset
from sgdtails.simulator import tail_index
from sgdtails.simulator.vocabulary import PRUNINGS, STRUCTURES

TEACHER = TeacherSpec(n_train=128, n_test=256, width=32, depth=2)


def _config(**kw) -> TrainConfig:
    base = dict(model="fcn4", dataset="teacher", lr=0.2, batch_size=16, width=64, depth=2, teacher=TEACHER,
                eval_every=20, checkpoint_every=20, stop_nll=0.05, n_avg_blocks=2, avg_block_iters=20,
                max_iters=2000, device="cpu")
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    train(_config(), root / "converged", progress=False)
    train(_config(lr=0.05, max_iters=40), root / "capped", progress=False)
    return root


@pytest.fixture(scope="module")
def tables(runs):
    return analyze_run(runs / "converged", synthetic_seeds=2, device="cpu")


def test_model_row(tables):
    (row,) = tables["model"]
    assert row["status"] == "converged" and row["alpha_source"] == "averaged"
    assert math.isclose(row["eta_over_b"], 0.2 / 16)
    assert 0.0 < row["test_acc"] <= 1.0
    assert math.isclose(row["mean_alpha_paper"], np.mean([r["alpha_paper"] for r in tables["layers"]]))


def test_layer_rows(tables, runs):
    layers = tables["layers"]
    assert [r["shape"] for r in layers] == ["64x784", "64x64", "10x64"]
    run = load_run(runs / "converged")
    last = [p.detach().double().numpy() for p in run.averaged.parameters()][-1]
    assert layers[-1]["alpha_paper"] == tail_index(last.T, method="paper", seed=2).alpha  # last layer transposed
    assert [r["layer"] for r in layers] == ["fc.0", "fc.2", "fc.4"]  # module paths, not indices
    for r in layers:
        assert 0.0 < r["alpha_paper"] <= 2.0 and r["alpha_mmo"] > 0.0
        for key in ("pr_magnitude", "pr_singular", "pr_nodes", "ref_iid_magnitude", "ref_column_magnitude",
                    "ref_layer_magnitude"):
            assert 0.0 <= r[key] <= 1.0
        assert r["closest"] in STRUCTURES
        assert r["diagnosis"] in (*STRUCTURES, "ambiguous", "none")
        assert (r["diagnosis"] == r["closest"]) == (r["diagnosis"] in STRUCTURES)
        assert math.isclose(r["pr_gap"], r["pr_magnitude"] - r["ref_iid_magnitude"])


def test_pruning_rows(tables):
    rows = tables["pruning"]
    assert {(r["scheme"], r["scope"]) for r in rows} == set(PRUNINGS)
    for scheme, scope in PRUNINGS:
        grid = RATIO_GRIDS[scheme]
        mine = [r for r in rows if (r["scheme"], r["scope"]) == (scheme, scope)]
        assert [r["pruning_ratio"] for r in mine] == list(grid)
        assert mine[0]["pruning_ratio"] == 0.0 and mine[0]["relative_acc"] == 1.0 and mine[0]["remaining"] == 1.0
        assert mine[-1]["pruning_ratio"] == 1.0 and mine[-1]["remaining"] == 0.0
        remaining = [r["remaining"] for r in mine]
        assert all(0.0 <= x <= 1.0 for x in remaining)
        assert all(a >= b for a, b in zip(remaining, remaining[1:]))  # more pruning keeps less
    for r in rows:
        if r["scheme"] != "singular":  # parameter counting makes singular pruning keep less than nominal
            assert abs(r["remaining"] - (1.0 - r["pruning_ratio"])) < 0.02


def _old_remaining(original, pruned, scheme):
    """``remaining`` as analyze computed it before one SVD per layer: a matrix_rank of every pruned layer."""
    kept = 0
    for w, q in zip(original, pruned):
        c = float(np.median(w))
        if scheme != "singular":
            kept += int(np.count_nonzero((q != c) | (w == c)))
        elif np.array_equal(w, q):
            kept += w.size
        else:
            m = as_matrix(q - c, "singular")
            kept += (int(np.linalg.matrix_rank(m)) if np.any(m) else 0) * (m.shape[0] + m.shape[1] + 1)
    return kept / sum(w.size for w in original)


def test_pruning_table_unchanged_by_one_svd_per_layer(tables, runs):
    """The table (one SVD per layer, ranks read off it) equals the per-ratio path, exactly.

    That path takes an SVD per layer and ratio (bit for bit the code before, tests/test_adapt.py)
    and a matrix_rank per pruned layer.
    """
    run = load_run(runs / "converged")
    original = layer_arrays(run.final)
    rows = [r for i, r in enumerate(tables["pruning"]) if i % 3 == 0 or r["pruning_ratio"] in (0.25, 0.99, 1.0)]
    pruned = [prune_arrays(original, 1.0 - r["pruning_ratio"], scheme=r["scheme"], scope=r["scope"], center="median")
              for r in rows]  # all SVDs before any torch evaluation (torch's idle threads would slow them)
    data = load_dataset("teacher", teacher=run.config.teacher)
    for row, q in zip(rows, pruned):
        assert row["remaining"] == _old_remaining(original, q, row["scheme"])
        assert row["test_acc"] == _accuracy(with_arrays(run.final, q), data)


def test_paper_code_conventions_are_their_own_analysis(runs, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(runs / "converged", run_dir, ignore=shutil.ignore_patterns("analysis"))
    kw = dict(synthetic_seeds=0, device="cpu", prunings=(("singular", "layer"),))
    paper = analyze_run(run_dir, conventions="paper_code", **kw)
    layers = paper["layers"]
    assert all(0.0 < r["alpha_mmo_paper"] <= 2.0 for r in layers)  # capped (alpha_mmo is not)
    assert paper["model"][0]["mean_alpha_mmo_paper"] == pytest.approx(np.mean([r["alpha_mmo_paper"] for r in layers]))
    singular = {r["pruning_ratio"]: r["remaining"] for r in paper["pruning"] if r["scheme"] == "singular"}
    # ρ = 0.25 keeps 64 − 16 = 48, 48 and 10 − 2 = 8 values of the 64×784, 64×64 and 10×64 layers, counted
    # r(m + n): 48·848, 48·128 = 6144 > 4096 (so the whole 64×64 layer), 8·74
    assert singular[0.25] == pytest.approx((48 * 848 + 4096 + 8 * 74) / (50176 + 4096 + 640), rel=1e-12)
    assert singular[0.0] == 1.0 and singular[1.0] == 0.0
    remaining = list(singular.values())
    assert all(a >= b for a, b in zip(remaining, remaining[1:]))
    stored = json.loads((run_dir / "analysis" / "tables.json").read_text())
    assert stored["settings"]["conventions"] == "paper_code"
    ours = analyze_run(run_dir, **kw)  # not the cached paper_code tables
    assert "alpha_mmo_paper" not in ours["layers"][0] and "mean_alpha_mmo_paper" not in ours["model"][0]
    assert ours["pruning"] != paper["pruning"]
    stored = json.loads((run_dir / "analysis" / "tables.json").read_text())  # a file from before conventions existed
    del stored["settings"]["conventions"]
    stored["tables"]["model"][0]["marker"] = 1
    (run_dir / "analysis" / "tables.json").write_text(json.dumps(stored))
    assert analyze_run(run_dir, **kw)["model"][0]["marker"] == 1  # read as the default conventions
    assert "marker" not in analyze_run(run_dir, conventions="paper_code", **kw)["model"][0]


def test_grids_match_spec():
    assert RATIO_GRIDS["magnitude"][:6] == (0.0, 0.1, 0.2, 0.3, 0.4, 0.5) and len(RATIO_GRIDS["magnitude"]) == 26
    assert len(RATIO_GRIDS["singular"]) == 4 + 6 + 10 and RATIO_GRIDS["singular"][-2:] == (0.99, 1.0)
    assert len(RATIO_GRIDS["nodes"]) == 21


def test_synthetic_rows(tables):
    synth = tables["synthetic"]
    assert len(synth) == len(tables["layers"]) * len(STRUCTURES) * 2
    assert all(0.0 <= r["pr_magnitude"] <= 1.0 for r in synth)


def test_written_and_cached(tables, runs):
    folder = runs / "converged" / "analysis"
    for name in tables:
        header = (folder / f"{name}.csv").read_text().splitlines()[0].split(",")
        assert header == list(tables[name][0])
    again = analyze_run(runs / "converged", synthetic_seeds=2, device="cpu")
    assert again == json.loads(json.dumps(tables))


def test_capped_run_uses_final_weights_and_combines(runs, tables):
    combined = analyze_runs([runs], synthetic_seeds=2, device="cpu", prunings=(("magnitude", "layer"),), write=False)
    assert sorted(r["run"] for r in combined["model"]) == ["capped", "converged"]
    capped = [r for r in combined["layers"] if r["run"] == "capped"]
    assert capped and all(r["alpha_source"] == "final" for r in capped)
    assert {(r["scheme"], r["scope"]) for r in combined["pruning"]} == {("magnitude", "layer")}


def test_find_runs_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such run directory"):
        find_runs([tmp_path / "missing"])
    with pytest.raises(FileNotFoundError, match="neither a run directory"):
        find_runs([tmp_path])


def test_bad_arguments(runs):
    with pytest.raises(ValueError, match="scheme"):
        analyze_run(runs / "converged", prunings=(("random", "layer"),))
    with pytest.raises(ValueError, match="magnitude pruning only"):
        analyze_run(runs / "converged", prunings=(("singular", "global"),))
    with pytest.raises(ValueError, match="synthetic_seeds"):
        analyze_run(runs / "converged", synthetic_seeds=-1)


# ------------------------------------------------------------------------------------------ figures
NAMES = ("fig1", "fig2", "fig3", "fig4", "fig5", "figS2", "figS3", "fig7", "vs_synthetic")


def test_plot_all_writes_every_figure_in_every_format(tables, runs, tmp_path):
    # One run: every figure comparing runs says so (warnings are errors elsewhere in this suite).
    with pytest.warns(UserWarning, match="too little data"):
        paths = plot_all(tables, tmp_path, runs=[runs / "converged"], formats=("pdf", "png"), dpi=72)
    assert sorted(p.name for p in paths) == sorted(f"realnets_{n}.{f}" for n in NAMES for f in ("pdf", "png"))
    for p in paths:
        head = p.read_bytes()[:8]
        assert head.startswith(b"%PDF-") if p.suffix == ".pdf" else head == b"\x89PNG\r\n\x1a\n", p
    from matplotlib.image import imread

    # A double-width PNG at 72 dpi is 7 × 72 = 504 pixels wide (the figure is drawn at the paper width).
    assert imread(tmp_path / "realnets_fig3.png").shape[1] == round(WIDTHS["double"] * 72)
    with pytest.raises(ValueError, match="formats"):
        plot_all(tables, tmp_path, formats=("jpg",))


def test_figure_constants_are_the_analysis_ones():
    assert (rf.EPS, rf.P) == (EPS, P)


def _many_runs(one, n=6):
    """Six runs for the plots: copies of one run's tables in two settings, η/b and α̂ spread out.

    Only the figures read these (their values are made up, not trained): a colour scale, a trend
    and two panels need several runs, which would take minutes to train.
    """
    out = {k: [] for k in one}
    for k in range(n):
        name = f"r{k}"
        out["model"].append(dict(one["model"][0], run=name, model="fcn4" if k % 2 == 0 else "fcn6",
                                 batch_size=16 if k < n // 2 else 64, eta_over_b=0.0125 * 1.7**k,
                                 mean_alpha_paper=1.5 + 0.08 * k, mean_alpha_mmo=1.9 + 0.1 * k, test_acc=0.6 + 0.05 * k))
        out["layers"] += [dict(r, run=name, alpha_paper=min(2.0, r["alpha_paper"] - 0.3 + 0.08 * k),
                               pr_magnitude=min(1.0, r["pr_magnitude"] + 0.03 * k)) for r in one["layers"]]
        out["pruning"] += [dict(r, run=name, relative_acc=r["relative_acc"] * (1 - 0.03 * k)) for r in one["pruning"]]
        out["synthetic"] += [dict(r, run=name) for r in one["synthetic"]]
    return out


@pytest.fixture(scope="module")
def many(tables):
    return _many_runs(tables)


FIGURES = {
    "fig1": lambda t, w: rf.fig_alpha_vs_eta(t, width=w),
    "fig3": lambda t, w: rf.fig_alpha_vs_pruning(t, width=w),
    "fig4": lambda t, w: rf.fig_relative_accuracy(t, "magnitude", "layer", width=w),
    "fig5": lambda t, w: rf.fig_relative_accuracy(t, "singular", "layer", width=w),
    "figS2": lambda t, w: rf.fig_relative_accuracy(t, "magnitude", "global", width=w),
    "fig6/S3": lambda t, w: rf.fig_relative_accuracy(t, "nodes", "layer", width=w),
    "fig7": lambda t, w: rf.fig_accuracy_vs_alpha(t, width=w),
    "vs_synthetic": lambda t, w: rf.fig_vs_synthetic(t, width=w),
}
COLOUR_BAR = ("fig3", "fig4", "fig5", "figS2", "fig6/S3", "fig7")  # colour: η/b or the run's mean α̂


def _colour_bars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def _readable(fig):
    return {"overlaps": text_overlaps(fig), "small": small_text(fig), "clipped": text_outside(fig, tolerance_px=1.0)}


@pytest.mark.parametrize("width", ["double", "single"])
@pytest.mark.parametrize("name", list(FIGURES))
def test_every_real_network_figure_is_readable_at_both_widths(many, name, width):
    fig = FIGURES[name](many, width)
    assert fig.get_figwidth() == WIDTHS[width]
    assert _readable(fig) == {"overlaps": [], "small": [], "clipped": []}
    assert not any(t.get_text().startswith("too little data") for t in fig.texts)
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert titles[0].startswith("(a) ") and titles[1].startswith("(b)")  # two settings (or panels): labelled
    assert fig.get_suptitle() and not fig.get_suptitle().startswith("Figure")
    assert len(_colour_bars(fig)) == (1 if name in COLOUR_BAR else 0)


@pytest.mark.parametrize("width", ["double", "single"])
def test_histogram_figure_is_readable_at_both_widths(runs, width):
    fig = rf.fig_histograms(runs / "converged", width=width)
    assert _readable(fig) == {"overlaps": [], "small": [], "clipped": []}
    assert [ax.get_title(loc="left")[:3] for ax in fig.axes] == ["(a)", "(b)"]
    renderer = fig.canvas.get_renderer()  # drawn by _readable
    for ax in fig.axes:  # the legend sits in the headroom above the tallest bar, over no bar
        tallest = max(patch.get_height() for patch in ax.patches)
        legend = ax.get_legend().get_window_extent(renderer)
        bottom = ax.transData.inverted().transform((legend.x0, legend.y0))[1]
        assert bottom > tallest, (bottom, tallest)


@pytest.mark.parametrize("name", [n for n in FIGURES if n != "vs_synthetic"])
def test_one_run_says_so_and_draws_no_colour_bar(tables, name):
    assert len(tables["model"]) == 1
    with pytest.warns(UserWarning, match="too little data"):
        fig = FIGURES[name](tables, "single")
    assert _colour_bars(fig) == []  # a colour bar of one value (1.9988–1.9996) is never drawn
    assert any(t.get_text().startswith("too little data") for t in fig.texts)
    assert _readable(fig) == {"overlaps": [], "small": [], "clipped": []}
    if name in COLOUR_BAR:  # the one colour is named in the legend instead
        labels = [t.get_text() for lg in fig.legends for t in lg.get_texts()]
        assert any("one value: no colour scale" in label for label in labels), labels
    # Negative control: test_every_real_network_figure_is_readable_at_both_widths draws the same
    # figures from six runs, with their colour bar and no warning (warnings are errors in this suite).


def test_a_colour_scale_of_one_value_is_not_drawn(many):
    # Two runs of one mean α̂ (a range of 0): no colour bar, one colour, a warning.
    two = {name: [r for r in rows if r["run"] in ("r0", "r2")] for name, rows in many.items()}
    two["model"] = [dict(r, mean_alpha_paper=1.9992) for r in two["model"]]
    with pytest.warns(UserWarning, match="too little data"):
        fig = rf.fig_relative_accuracy(two, "magnitude", width="single")
    assert _colour_bars(fig) == []
    assert any("one value of mean α̂" in t.get_text() for t in fig.texts)
    # Negative control: 1.9988 and 1.9996 (a range 4e-4 of the value, above the 1e-6 floor) get a colour bar.
    two["model"] = [dict(r, mean_alpha_paper=a) for r, a in zip(two["model"], (1.9988, 1.9996))]
    fig = rf.fig_relative_accuracy(two, "magnitude", width="single")
    (bar,) = _colour_bars(fig)
    assert bar.get_ylim() == pytest.approx((1.9988, 1.9996))


def test_figures_from_the_csv_tables_are_the_same(many, tmp_path):
    pandas = pytest.importorskip("pandas")
    write_tables(many, tmp_path)
    frames = {name: pandas.read_csv(tmp_path / f"{name}.csv") for name in many}
    assert frames["layers"]["alpha_paper_lo"].isna().all()  # empty cells: NaN, read as missing

    def texts(fig):
        fig.canvas.draw()
        return sorted(t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text())

    for name in ("fig3", "fig4", "vs_synthetic"):
        assert texts(FIGURES[name](frames, "double")) == texts(FIGURES[name](many, "double")), name
