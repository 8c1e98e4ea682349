"""realnets.sweep: one real training + analysis cell end to end, and the GPU placement of the cells."""
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from sgdtails.figures._common import WIDTHS, small_text, text_overlaps
from sgdtails.figures.realnet_figures import fig_alpha_vs_eta
from sgdtails.realnets import device as devices
from sgdtails.realnets.grids import RunSpec
from sgdtails.realnets.sweep import run_realnets
from sgdtails.simulator import RunOptions

TINY = RunSpec("fcn4", "mnist1d", lr=0.05, batch_size=50, width=16, depth=2, max_iters=300, eval_every=100,
               checkpoint_every=100, diverge_after=300)


def test_one_real_cell_trains_and_is_analysed_then_reused(tmp_path):
    opts = RunOptions(jobs=1, progress=False)
    result = run_realnets("cpu", runs_dir=tmp_path, specs=[TINY], run=opts)
    assert result.failed == [] and result.n_cells == 1
    (train_row,), (row,) = result.training.rows, result.analysis.rows
    assert train_row["status"] == row["status"] == "capped" and row["iterations"] == 300
    assert 0.0 < row["mean_alpha_paper"] <= 2.0 and 0.0 < row["mean_pr_magnitude"] < 1.0
    run_dir = tmp_path / TINY.name
    assert (run_dir / "final_weights.pt").is_file() and (run_dir / "analysis" / "tables.json").is_file()
    assert result.csv_path.parent.name == "realnets_cpu_analysis" and result.csv_path.is_file()
    again = run_realnets("cpu", runs_dir=tmp_path, specs=[TINY], run=opts)
    assert (again.training.n_reused, again.analysis.n_reused) == (1, 1) and again.rows == result.rows
    assert "training: 0 computed, 1 reused" in again.summary


def test_a_failed_training_cell_is_not_analysed(tmp_path):
    bad = RunSpec("fcn4", "mnist", lr=0.05, batch_size=50, width=8, depth=1, max_iters=10)  # no data_dir
    result = run_realnets("cpu", runs_dir=tmp_path, specs=[bad], run=RunOptions(jobs=1, progress=False))
    assert len(result.training.failed) == 1 and "data_dir" in result.training.failed[0]["error"]
    assert result.analysis.n_cells == 0 and result.rows == []


def test_without_a_gpu_the_claimed_device_is_the_cpu(tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "visible_gpus", lambda: 0)
    with devices.claimed_device(tmp_path) as d:
        assert d == "cpu"


def test_concurrent_cells_get_different_gpus_and_wait_for_a_free_one(tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "visible_gpus", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    got = []
    with devices.claimed_device(tmp_path) as a, devices.claimed_device(tmp_path) as b:
        assert (a, b) == ("cuda:0", "cuda:1")
        waiter = threading.Thread(target=lambda: got.append(_claim_once(tmp_path)))
        waiter.start()
        time.sleep(0.3)
        assert got == []  # both GPUs are held: the third cell waits instead of sharing one
    waiter.join(timeout=10)
    assert got == ["cuda:0"]


def _claim_once(folder):
    with devices.claimed_device(folder, poll=0.05) as d:
        return d


HOLDER = """
import sys, time
from sgdtails.figures._common import WIDTHS, small_text, text_overlaps
from sgdtails.figures.realnet_figures import fig_alpha_vs_eta
from sgdtails.realnets import device as devices
devices.visible_gpus = lambda: 2
with devices.claimed_device(sys.argv[1]) as d:
    print(d, flush=True)
    time.sleep(30)
"""


def test_a_gpu_held_by_another_process_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setattr(devices, "visible_gpus", lambda: 2)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "cuda:0"
        with devices.claimed_device(tmp_path) as d:
            assert d == "cuda:1"
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    with devices.claimed_device(tmp_path) as d:  # a dead holder's lock is free again
        assert d == "cuda:0"


@pytest.mark.parametrize("visible, expected", [("3,5", ["3", "5"]), ("", ["0", "1"]), ("7", ["0", "1"])])
def test_lock_names_follow_cuda_visible_devices(monkeypatch, visible, expected):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", visible)
    assert devices._physical_ids(2) == expected


# ------------------------------------------------------------------------------------------- Figure 1
def _fig1_tables(ratios):
    rows = [{"model": "fcn4", "dataset": "mnist5k", "width": 512, "depth": 4, "batch_size": b, "eta_over_b": r,
             "mean_alpha_paper": 1.9 - 10 * r, "mean_alpha_mmo": 2.4 - 10 * r} for b in (50, 100) for r in ratios]
    return {"model": rows}


@pytest.mark.parametrize("ratios", [(2.5e-4, 5e-4, 1e-3, 2e-3), (1e-4, 1.5e-4, 2e-4), (1e-5, 1e-3, 1e-2)])
def test_figure1_labels_its_eta_axis_and_keeps_the_two_estimators_apart(ratios):
    fig = fig_alpha_vs_eta(_fig1_tables(ratios))
    fig.canvas.draw()
    top, bottom = fig.axes
    for ax in (top, bottom):
        lo, hi = ax.get_xlim()
        labelled = [t for t in ax.xaxis.get_majorticklabels() if t.get_text() and lo <= t.get_position()[0] <= hi]
        assert len(labelled) >= 2, [t.get_text() for t in ax.xaxis.get_majorticklabels()]
    # The markers of each error-bar container (its first line; the legend's handles are empty).
    paper = np.concatenate([c.lines[0].get_ydata() for c in top.containers]).astype(float)
    mmo = np.concatenate([c.lines[0].get_ydata() for c in bottom.containers]).astype(float)
    assert paper.size == mmo.size == 2 * len(ratios)  # one marker per run
    assert paper.max() <= 2.0 < mmo.max() and "capped" in top.get_ylabel() and "MMO" in bottom.get_ylabel()


@pytest.mark.parametrize("width", ["double", "single"])
def test_figure1_is_readable_at_both_widths(width):
    # Two settings (an FCN4 and a CNN on another data set): four panels, a row (double) or a column (single).
    tables = _fig1_tables((1e-4, 1e-3, 1e-2))
    tables["model"] += [dict(r, model="cnn", width=None, depth=None, dataset="cifar10") for r in tables["model"]]
    fig = fig_alpha_vs_eta(tables, width=width)
    assert fig.get_figwidth() == WIDTHS[width]
    assert text_overlaps(fig) == [] and small_text(fig) == []
    titles = [ax.get_title(loc="left") for ax in fig.axes]  # panel letters in reading order
    cnn = "(b) CNN, cifar10" if width == "double" else "(c) CNN, cifar10"
    assert titles[0] == "(a) FCN4 w512 d4, mnist5k" and cnn in titles
    assert fig.axes[0].get_xlabel() == r"$\eta/b$"  # mathtext, not a literal "η/b"


def test_figure1_of_one_eta_says_it_has_too_little_data():
    with pytest.warns(UserWarning, match="too little data"):
        fig = fig_alpha_vs_eta(_fig1_tables((1e-3, 2e-3)))  # two η/b per setting: no trend to read
    assert any(t.get_text().startswith("too little data") for t in fig.texts)
    assert text_overlaps(fig) == []
