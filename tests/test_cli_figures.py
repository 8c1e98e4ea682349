"""``sgdtails figure``: exit codes, outputs, byte-identical CSVs, resuming an interrupted sweep."""
import json
import sqlite3

import pytest

from sgdtails.cli import main
from sgdtails.figures import convergence, figure_s1, pruning_study
from sgdtails.figures.run import output_name, run_figure
from sgdtails.figures.vocabulary import FIGURES


def _tiny_s1(scale, seed=0):
    return figure_s1.FigureS1Config(n_alpha=5, size=30, schemes=("magnitude", "nodes"), seed=seed)


def _tiny_study(scale, seed=0):
    return pruning_study.PruningStudyConfig(width=8, depth=2, n_inputs=100, repetitions=3, alphas=(1.5, 2.0),
                                            pruning_ratios=(0.0, 0.5), device="cpu", seed=seed)


def _tiny_convergence(scale, seed=0):
    return convergence.ConvergenceConfig(alphas=(1.5,), sizes1=(10**2, 20**2), sizes2=(8, 16), sizes3=(8, 16),
                                         trials=3, d0_alphas=(1.2,), d0_trials=4, d0_max=(400, 32, 32), seed=seed)


@pytest.fixture
def tiny(monkeypatch):
    monkeypatch.setattr(figure_s1, "config_for_scale", _tiny_s1)
    monkeypatch.setattr(pruning_study, "config_for_scale", _tiny_study)
    monkeypatch.setattr(convergence, "config_for_scale", _tiny_convergence)


@pytest.mark.parametrize(
    "argv",
    [["figure"], ["figure", "s9"], ["figure", "s4", "--scale", "huge"], ["figure", "s4", "--jobs", "0"],
     ["figure", "s4", "--jobs", "two"], ["figure", "s4", "--seed", "-1"], ["figure", "s4", "--bogus"]],
)
def test_bad_options_exit_2(argv, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: sgdtails figure") and "Traceback" not in err
    assert argv == ["figure"] or sum("error:" in line for line in err.splitlines()) == 1


def test_out_that_is_a_file_is_one_line_error(tmp_path, capsys):
    target = tmp_path / "file"
    target.write_text("x")
    assert main(["figure", "s4", "--out", str(target)]) == 2
    err = [line for line in capsys.readouterr().err.strip().splitlines() if "error:" in line]
    assert len(err) == 1 and err[0].startswith("sgdtails figure s4: error: --out must be a directory")


def test_unknown_figure_in_library_call(tmp_path):
    with pytest.raises(ValueError):
        run_figure("s2", tmp_path)


def test_outputs_and_byte_identical_rerun(tmp_path, tiny, capsys):
    out = tmp_path / "out"
    for name in ("s1", "s5"):
        assert main(["figure", name, "--out", str(out), "--seed", "4", "--jobs", "1"]) == 0
        base = output_name(name, "cpu")
        first = (out / f"{base}.csv").read_bytes()
        assert main(["figure", name, "--out", str(out), "--seed", "4", "--jobs", "1"]) == 0
        assert (out / f"{base}.csv").read_bytes() == first
        assert (out / f"{base}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        meta = json.loads((out / f"{base}.json").read_text())
        assert meta["seed"] == 4 and meta["config"]["seed"] == 4
        assert meta["wall_time_s"] > 0 and meta["device"] == "cpu" and meta["provenance"]["versions"]["numpy"]
        assert meta["provenance"]["command"][1:3] == ["figure", name] or meta["provenance"]["command"]
        assert meta["extra"]["scale"] == "cpu"
    assert "wrote" in capsys.readouterr().out
    # A different seed changes the numbers.
    assert main(["figure", "s5", "--out", str(tmp_path / "other"), "--seed", "5"]) == 0
    assert (tmp_path / "other" / "figure_s5.csv").read_bytes() != (out / "figure_s5.csv").read_bytes()


def test_interrupted_pruning_study_resumes(tmp_path, tiny, capsys):
    argv = ["figure", "pruning-study", "--out", str(tmp_path), "--jobs", "1"]
    assert main(argv) == 0
    csv_path = tmp_path / "pruning_study_cpu.csv"
    first = csv_path.read_bytes()
    assert b"cohen_kappa" in first.splitlines()[0] and b"top_share" in first.splitlines()[0]
    conn = sqlite3.connect(tmp_path / "pruning_study" / "cells.sqlite")
    with conn:
        assert conn.execute("SELECT count(*) FROM cells").fetchone()[0] == 6
        conn.execute("DELETE FROM cells WHERE cell < 2")  # as if the run had been killed before these two finished
    conn.close()
    capsys.readouterr()
    assert main(argv) == 0
    assert "2 computed, 4 reused, 0 failed" in capsys.readouterr().err
    assert csv_path.read_bytes() == first


def test_all_writes_every_figure(tmp_path, tiny):
    assert main(["figure", "all", "--out", str(tmp_path), "--jobs", "1"]) == 0
    for name in FIGURES:
        base = output_name(name, "cpu")
        for suffix in ("png", "csv", "json"):
            assert (tmp_path / f"{base}.{suffix}").is_file()
    assert output_name("pruning-study", "paper") == "pruning_study"


def _failing_cell(cell, seed):
    raise ArithmeticError("boom")


def test_failed_cells_exit_1_with_one_line(tmp_path, tiny, monkeypatch, capsys):
    monkeypatch.setattr(figure_s1, "s1_cell", _failing_cell)
    assert main(["figure", "s1", "--out", str(tmp_path), "--jobs", "1"]) == 1
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("sgdtails figure")]
    assert len(err) == 1 and "15 Figure S1 cells failed" in err[0] and "ArithmeticError: boom" in err[0]
    assert not (tmp_path / "figure_s1.csv").exists()


def test_no_resume_recomputes_the_cached_cells(tmp_path, tiny, capsys):
    argv = ["figure", "s1", "--out", str(tmp_path), "--jobs", "1"]
    assert main(argv) == 0
    first = (tmp_path / "figure_s1.csv").read_bytes()
    capsys.readouterr()
    assert main([*argv, "--resume"]) == 0
    assert "0 computed, 15 reused, 0 failed" in capsys.readouterr().err
    assert main([*argv, "--no-resume"]) == 0
    assert "15 computed, 0 reused, 0 failed" in capsys.readouterr().err
    assert (tmp_path / "figure_s1.csv").read_bytes() == first
