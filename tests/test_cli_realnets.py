"""`sgdtails train | analyze | sweep realnets`: exit codes, usage + one-line errors, a tiny end-to-end run."""
import pytest

from sgdtails.cli import build_parser, main
from sgdtails.cli import realnets as cli_realnets
from sgdtails.realnets import sweep as realnets_sweep
from sgdtails.realnets.sweep import realnets_study
from sgdtails.simulator import RunOptions, sweep


def _errors(err: str) -> list[str]:
    assert err.startswith("usage: sgdtails ") and "Traceback" not in err, err
    return [line for line in err.strip().splitlines() if "error:" in line]


def test_bad_model_name_exits_2(tmp_path, capsys):
    assert main(["train", "--model", "resnet", "--dataset", "mnist1d", "--lr", "0.1", "--batch-size", "50",
                 "--out", str(tmp_path / "run")]) == 2
    assert "invalid choice: 'resnet'" in capsys.readouterr().err


def test_missing_run_dir_exits_2_with_one_line(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nowhere")]) == 2
    err = _errors(capsys.readouterr().err)
    assert len(err) == 1 and "no such run directory" in err[0]


def test_bad_learning_rate_is_one_line(tmp_path, capsys):
    assert main(["train", "--model", "fcn4", "--dataset", "mnist1d", "--lr", "-1", "--batch-size", "50",
                 "--out", str(tmp_path / "run")]) == 2
    err = _errors(capsys.readouterr().err)
    assert len(err) == 1 and "lr" in err[0]


def test_unknown_device_is_an_argument_error(tmp_path, capsys):
    assert main(["train", "--model", "fcn4", "--dataset", "mnist1d", "--lr", "0.1", "--batch-size", "50",
                 "--device", "tpu", "--out", str(tmp_path / "run")]) == 2
    err = _errors(capsys.readouterr().err)
    assert len(err) == 1 and "device must be 'cpu' or 'cuda[:n]', got 'tpu'" in err[0]


def test_sweep_realnets_is_registered(tmp_path):
    args = build_parser().parse_args(["sweep", "realnets", "--grid", "cpu", "--out", str(tmp_path), "--jobs", "2"])
    assert (args.grid, args.jobs, args.scheduler) == ("cpu", 2, None)
    assert build_parser().parse_args(["sweep", "realnets", "--grid", "cpu", "--out", "x", "--jobs", "auto"]).jobs == "auto"
    with pytest.raises(SystemExit) as exc:
        build_parser().parse_args(["sweep", "realnets", "--grid", "huge", "--out", str(tmp_path)])
    assert exc.value.code == 2


def test_realnets_study(tmp_path):
    study = realnets_study("cpu", tmp_path)
    assert study.name == "realnets_cpu" and len(study.grid) == 28 and study.resources is None
    assert study.grid[0].runs_dir == str(tmp_path.resolve())
    assert realnets_study("paper", tmp_path).resources == {"GPU": 1}


def test_train_then_analyze_with_figures(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "fcn4", "--dataset", "mnist1d", "--width", "16", "--depth", "2", "--lr", "0.1",
                 "--batch-size", "50", "--max-iters", "60", "--device", "cpu", "--quiet", "--out", str(run)]) == 0
    assert "capped after 60 iterations" in capsys.readouterr().out
    figs = tmp_path / "figs"
    assert main(["analyze", str(tmp_path), "--figures", str(figs), "--synthetic-seeds", "1",
                 "--device", "cpu", "--tables", str(tmp_path / "tables")]) == 0
    out = capsys.readouterr().out
    assert "run: capped" in out and "mean α̂" in out
    assert (figs / "realnets_fig1.png").is_file() and (figs / "realnets_vs_synthetic.png").is_file()
    assert (tmp_path / "tables" / "pruning.csv").is_file()
    # the same figures through `sgdtails figure realnets DIR` (analysis reused from the run's cache)
    figs2 = tmp_path / "figs2"
    assert main(["figure", "realnets", str(tmp_path), "--out", str(figs2)]) == 0
    assert (figs2 / "realnets_fig1.png").is_file() and (figs2 / "realnets_vs_synthetic.png").is_file()
    assert main(["figure", "realnets", "--out", str(figs2)]) == 2  # no run directory: usage + one error line
    assert main(["figure", "s4", str(tmp_path), "--out", str(figs2)]) == 2  # runs only for 'realnets'


def test_sweep_realnets_resume_flag(tmp_path, monkeypatch, capsys):
    parse = build_parser().parse_args
    assert parse(["sweep", "realnets", "--grid", "cpu", "--out", str(tmp_path)]).resume is True
    args = parse(["sweep", "realnets", "--grid", "cpu", "--out", str(tmp_path), "--no-resume"])
    assert args.resume is False
    seen = {}

    def fake_run_study(study, *, run):
        seen["run"] = run
        empty = sweep.Study(study.name, study.func, (), version=study.version)  # no training in this test
        return sweep.run_study(empty, run=run.replace(progress=False))

    monkeypatch.setattr(realnets_sweep, "run_study", fake_run_study)
    assert cli_realnets._sweep(args) == 0
    assert seen["run"] == RunOptions(jobs=None, cache_dir=str(tmp_path), resume=False, progress=True)
