"""realnets.grids: sizes, Table 2 endpoints, unique names, valid configs."""
import math

import pytest

from sgdtails.realnets.grids import (
    CPU_ETA_OVER_B,
    PAPER_RANGES,
    RunSpec,
    cpu_grid,
    cpu_mnist1d_grid,
    grid,
    paper_grid,
    table2_grid,
)
from sgdtails.realnets.paper_settings import read_settings
from sgdtails.realnets.vocabulary import GRID_NAMES

SHARED = "batch_size,learning_rate,width,dataset,model,depth\n"


def test_sizes():
    assert len(grid("cpu")) == 2 * 7 * 2 == 28
    assert len(grid("paper")) == 215
    assert len(grid("table2")) == 6 * 2 * 9 == 108
    assert len(table2_grid(points=3)) == 6 * 2 * 3


@pytest.mark.parametrize("name", GRID_NAMES)
def test_names_unique(name):
    specs = grid(name)
    assert len({s.name for s in specs}) == len(specs)


def test_table2_grid_spans_table_2():
    specs = table2_grid()
    for (model, dataset), (low, high) in PAPER_RANGES.items():
        for b in (50, 100):
            ratios = sorted(s.eta_over_b for s in specs if (s.model, s.dataset, s.batch_size) == (model, dataset, b))
            assert len(ratios) == 9
            assert math.isclose(ratios[0], low, rel_tol=1e-3) and math.isclose(ratios[-1], high, rel_tol=1e-3)
    config = specs[0].train_config(device="cpu")
    assert (config.stop_nll, config.n_avg_blocks, config.avg_block_iters, config.width) == (5e-5, 10, 1000, None)


@pytest.mark.parametrize("make, dataset, width", [(cpu_grid, "mnist5k", 512), (cpu_mnist1d_grid, "mnist1d", 256)])
def test_cpu_grids_are_small_and_span_eta_over_b(make, dataset, width):
    specs = make()
    ratios = sorted({round(s.eta_over_b, 12) for s in specs})
    assert ratios == sorted(CPU_ETA_OVER_B) and ratios[-1] / ratios[0] >= 64
    assert {s.batch_size for s in specs} == {50, 100} and {s.seed for s in specs} == {0, 1}
    assert all(s.dataset == dataset and s.width == width and s.max_iters <= 60_000 for s in specs)
    config = specs[0].train_config(device="cpu", data_dir="/data")
    assert config.lr == specs[0].lr and config.data_dir == "/data" and config.device == "cpu"


def test_bad_spec_and_grid_raise():
    with pytest.raises(ValueError, match="model"):
        RunSpec("resnet", "mnist", lr=0.1, batch_size=50)
    with pytest.raises(ValueError, match="grid"):
        grid("huge")
    with pytest.raises(ValueError, match="points"):
        table2_grid(points=1)


def test_paper_grid_is_the_authors_list_row_by_row(tmp_path):
    specs = paper_grid()
    counts = {}
    for s in specs:
        counts[(s.model, s.dataset)] = counts.get((s.model, s.dataset), 0) + 1
    assert counts == {("fcn4", "mnist"): 52, ("fcn4", "cifar10"): 48, ("fcn6", "mnist"): 36, ("fcn6", "cifar10"): 31,
                      ("cnn", "mnist"): 30, ("cnn", "cifar10"): 18}
    # the first two rows of the shipped file, and the float noise of the file rounded away
    assert (specs[0].model, specs[0].dataset, specs[0].batch_size, specs[0].lr, specs[0].width) == \
        ("fcn4", "cifar10", 100, 0.005, 2048)
    assert 0.194 in {s.lr for s in specs} and 0.346 in {s.lr for s in specs}
    assert all(s.width is None for s in specs if s.model == "cnn")
    config = specs[0].train_config(device="cpu")
    assert (config.stop_nll, config.n_avg_blocks, config.avg_block_iters, config.max_iters) == (5e-5, 10, 1000, 10**6)
    # Table 2's η/b ranges hold the authors' settings (the b = 10 run included)
    for s in specs:
        low, high = PAPER_RANGES[(s.model, s.dataset)]
        assert low * (1 - 1e-9) <= s.eta_over_b <= high * (1 + 1e-9), s
    # a user's own list in the same format
    own = tmp_path / "mine.csv"
    own.write_text(SHARED + "50,0.01,512.0,MNIST,FCN,6.0\n100,0.002,,CIFAR10,VGG11,\n")
    assert [(s.model, s.dataset, s.lr, s.batch_size, s.width) for s in paper_grid(own)] == \
        [("fcn6", "mnist", 0.01, 50, 512), ("cnn", "cifar10", 0.002, 100, None)]


@pytest.mark.parametrize("rows, match", [
    ("50,0.01,2048,MNIST,FCN,5\n", "line 2: an FCN has depth 4 or 6"),
    ("50,0.01,2048,SVHN,FCN,4\n", "line 2: dataset must be one of"),
    ("50,-0.01,2048,MNIST,FCN,4\n", "line 2: learning_rate must be a positive number"),
    ("50.5,0.01,2048,MNIST,FCN,4\n", "line 2: batch_size must be a whole number"),
    ("50,0.01,,MNIST,VGG11,\n", "line 2: VGG11 is the CIFAR10 network"),
    ("50,0.01,2048,MNIST,FCN,4\n50,0.01,2048.0,MNIST,FCN,4.0\n", "line 3: the same setting as line 2"),
    ("", "no settings"),
])
def test_bad_settings_files_name_the_line(tmp_path, rows, match):
    bad = tmp_path / "bad.csv"
    bad.write_text(SHARED + rows)
    with pytest.raises(ValueError, match=match):
        read_settings(bad)


def test_missing_settings_file_and_columns(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such settings file"):
        read_settings(tmp_path / "absent.csv")
    (tmp_path / "cols.csv").write_text("batch_size,learning_rate\n50,0.1\n")
    with pytest.raises(ValueError, match="missing column"):
        read_settings(tmp_path / "cols.csv")
