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
    return convergence.ConvergenceConfig(alphas=(1.5,), sizes1=(10**2, 20**2, 30**2), sizes2=(8, 16, 24), sizes3=(8, 16, 24),
                                         trials=3, d0_alphas=(1.2, 1.8), d0_trials=4, d0_max=(400, 32, 32), seed=seed)


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
    assert len(err) == 1 and err[0].startswith("sgdtails figure s4: error: output folder is a file")


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
    assert main(["figure", "all", "--out", str(tmp_path), "--jobs", "1", "-q"]) == 0
    for name in FIGURES:
        base = output_name(name, "cpu")
        for suffix in ("pdf", "png", "csv", "json", "toml"):
            assert (tmp_path / name / f"{base}.{suffix}").is_file()
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


def test_every_config_field_from_the_command_line_and_back(tmp_path):
    out, again = tmp_path / "a", tmp_path / "b"
    assert main(["figure", "s5", "--out", str(out), "--set", "n=300", "alpha=1.5", "--seed", "2", "-q"]) == 0
    meta = json.loads((out / "figure_s5.json").read_text())
    assert meta["config"] == {"n": 300, "alpha": 1.5, "seed": 2}
    assert len((out / "figure_s5.csv").read_text().splitlines()) == 1 + 300
    # The config written beside the outputs reproduces them.
    toml = (out / "figure_s5.toml").read_text()
    assert "n = 300" in toml and "alpha = 1.5" in toml
    assert main(["figure", "s5", "--out", str(again), "--config", str(out / "figure_s5.toml"), "-q"]) == 0
    assert (again / "figure_s5.csv").read_bytes() == (out / "figure_s5.csv").read_bytes()
    # --set wins over --config, the config file over --seed.
    assert main(["figure", "s5", "--out", str(again), "--config", str(out / "figure_s5.toml"), "--set", "n=150", "-q"]) == 0
    assert json.loads((again / "figure_s5.json").read_text())["config"] == {"n": 150, "alpha": 1.5, "seed": 2}


def test_tuple_fields_from_the_command_line(tmp_path):
    from sgdtails.figures.run import figure_config

    cfg = figure_config("convergence", overrides={"alphas": "1.3,1.6", "d0_max": "100,16,16"})
    assert cfg.alphas == (1.3, 1.6) and cfg.d0_max == (100, 16, 16)
    cfg = figure_config("pruning-study", overrides={"prunings": "magnitude:layer,nodes:layer"})
    assert cfg.prunings == (("magnitude", "layer"), ("nodes", "layer"))
    (tmp_path / "c.toml").write_text('schemes = ["nodes"]\neps = 0.05\n')
    cfg = figure_config("s1", config_file=tmp_path / "c.toml")
    assert cfg.schemes == ("nodes",) and cfg.eps == 0.05


@pytest.mark.parametrize(
    ("argv", "message"),
    [(["--set", "epsilon=0.05"], "unknown config key epsilon for figure s1; known: n_alpha"),
     (["--set", "eps=big"], "eps takes a number, got 'big'"),
     (["--set", "eps=2"], "bad config for figure s1: eps must be in (0, 1)"),
     (["--set", "size"], "--set takes key=value"),
     (["--config", "missing.toml"], "config file not found: missing.toml"),
     (["--dpi", "10"], "--dpi: must be a dpi (>= 50) integer"),
     (["--format", "jpg"], "--format: invalid choice")],
)
def test_bad_config_is_one_line_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["figure", "s1", *argv]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "sgdtails-figures" / "s1" / "figure_s1.csv").exists()


def test_set_with_all_is_refused(capsys):
    assert main(["figure", "all", "--set", "seed=1"]) == 2
    assert "give a figure, not 'all'" in capsys.readouterr().err


def test_default_folder_formats_and_identical_bytes(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    argv = ["figure", "s4", "--set", "n_kappa=21", "--format", "pdf", "png", "svg", "--dpi", "100"]
    assert main([*argv, "-q"]) == 0
    folder = tmp_path / "sgdtails-figures" / "s4"
    first = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix != ".json"}
    assert set(first) == {"figure_s4.pdf", "figure_s4.png", "figure_s4.svg", "figure_s4.csv", "figure_s4.toml"}
    assert first["figure_s4.pdf"].startswith(b"%PDF") and first["figure_s4.png"].startswith(b"\x89PNG")
    capsys.readouterr()
    # -v logs what is computed (stderr), -q silences the bars; neither changes a written byte.
    assert main([*argv, "-v"]) == 0
    assert "sgdtails:" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix != ".json"} == first


def test_compute_time_adds_up_across_resumed_invocations(tmp_path, tiny, capsys):
    argv = ["figure", "s1", "--out", str(tmp_path), "--jobs", "1", "-q"]
    assert main(argv) == 0
    conn = sqlite3.connect(tmp_path / "figure_s1" / "cells.sqlite")
    with conn:
        total = conn.execute("SELECT sum(seconds) FROM cells").fetchone()[0]
        conn.execute("DELETE FROM cells WHERE cell < 3")
    assert main(argv) == 0
    with conn:
        after = conn.execute("SELECT sum(seconds) FROM cells").fetchone()[0]
    conn.close()
    meta = json.loads((tmp_path / "figure_s1.json").read_text())
    # The total counts the 12 reused cells' recorded times and the 3 recomputed ones: the store's sum.
    assert meta["extra"]["compute_time_s"] == pytest.approx(after, rel=1e-12)
    assert total > 0 and after > 0


def test_quiet_silences_the_progress_bars(tmp_path, tiny, capsys):
    argv = ["figure", "s1", "--out", str(tmp_path), "--jobs", "1", "--no-resume"]
    assert main(argv) == 0
    loud = capsys.readouterr().err
    assert "figure_s1:" in loud and "cell" in loud  # the sweep's bar and its summary line
    assert main([*argv, "-q"]) == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("figure", FIGURES)
def test_written_config_reads_back_to_the_same_config(figure, tmp_path):
    from sgdtails.figures.config import config_toml
    from sgdtails.figures.run import figure_config

    for scale in ("cpu", "paper"):
        config = figure_config(figure, scale=scale, seed=3)  # tuples, pairs (the pruning study), floats, strings
        (tmp_path / "c.toml").write_text(config_toml(config, header="a header\nof two lines"))
        assert figure_config(figure, config_file=tmp_path / "c.toml") == config
