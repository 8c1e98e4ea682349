"""realnets.grids: sizes, Table 2 endpoints, unique names, valid configs."""
import math

import pytest

from sgdtails.realnets.grids import CPU_ETA_OVER_B, PAPER_RANGES, RunSpec, cpu_grid, grid, paper_grid


def test_sizes():
    assert len(grid("cpu")) == 2 * 7 * 2 == 28
    assert len(grid("paper")) == 6 * 2 * 9 == 108
    assert len(paper_grid(points=3)) == 6 * 2 * 3


@pytest.mark.parametrize("name", ["cpu", "paper"])
def test_names_unique(name):
    specs = grid(name)
    assert len({s.name for s in specs}) == len(specs)


def test_paper_grid_spans_table_2():
    specs = paper_grid()
    for (model, dataset), (low, high) in PAPER_RANGES.items():
        for b in (50, 100):
            ratios = sorted(s.eta_over_b for s in specs if (s.model, s.dataset, s.batch_size) == (model, dataset, b))
            assert len(ratios) == 9
            assert math.isclose(ratios[0], low, rel_tol=1e-3) and math.isclose(ratios[-1], high, rel_tol=1e-3)
    config = specs[0].train_config(device="cpu")
    assert (config.stop_nll, config.n_avg_blocks, config.avg_block_iters, config.width) == (5e-5, 10, 1000, None)


def test_cpu_grid_is_small_and_spans_eta_over_b():
    specs = cpu_grid()
    ratios = sorted({round(s.eta_over_b, 12) for s in specs})
    assert ratios == sorted(CPU_ETA_OVER_B) and ratios[-1] / ratios[0] >= 64
    assert {s.batch_size for s in specs} == {50, 100} and {s.seed for s in specs} == {0, 1}
    assert all(s.dataset == "mnist1d" and s.width == 256 and s.max_iters <= 60_000 for s in specs)
    config = specs[0].train_config(device="cpu", data_dir="/data")
    assert config.lr == specs[0].lr and config.data_dir == "/data" and config.device == "cpu"


def test_bad_spec_and_grid_raise():
    with pytest.raises(ValueError, match="model"):
        RunSpec("resnet", "mnist", lr=0.1, batch_size=50)
    with pytest.raises(ValueError, match="grid"):
        grid("huge")
    with pytest.raises(ValueError, match="points"):
        paper_grid(points=1)
