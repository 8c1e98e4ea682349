"""`sgdtails train | analyze | sweep realnets | data download`: exit codes, usage + one-line errors, tiny end-to-end runs."""
import dataclasses
import gzip
import hashlib
import io
import json
import math
import urllib.error
import urllib.request
import warnings

import numpy as np
import pytest

from sgdtails.cli import build_parser, main
from sgdtails.cli import realnets as cli_realnets
from sgdtails.realnets import download
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
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # one run: the figures say "too little data", a one-line CLI warning
        assert main(["analyze", str(tmp_path), "--figures", str(figs), "--synthetic-seeds", "1",
                     "--device", "cpu", "--tables", str(tmp_path / "tables"), "--report", str(tmp_path / "r.md"),
                     "--report-title", "one run"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "sgdtails analyze: warning: " in captured.err and "too little data" in captured.err
    assert "run: capped" in out and "mean α̂" in out
    report = (tmp_path / "r.md").read_text()
    assert report.startswith("# one run\n") and "Runs: 1 capped." in report and "| 50 | 0.002 | 0 | capped | 60 |" in report
    assert (figs / "realnets_fig1.png").is_file() and (figs / "realnets_vs_synthetic.png").is_file()
    assert (tmp_path / "tables" / "pruning.csv").is_file()
    # the same figures through `sgdtails figure realnets DIR` (analysis reused from the run's cache)
    figs2 = tmp_path / "figs2"
    with warnings.catch_warnings():
        warnings.simplefilter("always")
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


# ------------------------------------------------------------------- train: a flag per field
def _train_parser():
    return build_parser().parse_args(["train", "--model", "fcn4", "--dataset", "teacher", "--lr", "0.1",
                                      "--batch-size", "10", "--out", "x"]).parser


def test_every_train_config_field_has_a_flag():
    from sgdtails.realnets.data import TeacherSpec
    from sgdtails.realnets.train import TrainConfig

    dests = {a.dest for a in _train_parser()._actions}
    wanted = {f.name for f in dataclasses.fields(TrainConfig) if f.name != "teacher"}
    wanted |= {"teacher_" + f.name for f in dataclasses.fields(TeacherSpec)}
    assert wanted - dests == set()


NON_DEFAULT = {  # flag -> (value on the command line, field path, parsed value); every value differs from the default
    "--model": ("fcn6", "model", "fcn6"), "--dataset": ("mnist5k", "dataset", "mnist5k"), "--lr": ("0.3", "lr", 0.3),
    "--batch-size": ("7", "batch_size", 7), "--seed": ("3", "seed", 3), "--width": ("5", "width", 5),
    "--depth": ("2", "depth", 2), "--data-dir": ("d", "data_dir", "d"), "--eval-every": ("5", "eval_every", 5),
    "--checkpoint-seconds": ("0", "checkpoint_seconds", 0.0), "--checkpoint-every": ("10", "checkpoint_every", 10),
    "--stop-nll": ("0.01", "stop_nll", 0.01), "--n-avg-blocks": ("2", "n_avg_blocks", 2),
    "--avg-block-iters": ("9", "avg_block_iters", 9), "--max-iters": ("99", "max_iters", 99),
    "--diverge-after": ("0", "diverge_after", 0), "--eval-batch-size": ("11", "eval_batch_size", 11),
    "--device": ("cpu", "device", "cpu"), "--no-deterministic": (None, "deterministic", False),
    "--tf32": (None, "tf32", True), "--teacher-alpha": ("1.5", "teacher.alpha", 1.5),
    "--teacher-n-train": ("12", "teacher.n_train", 12), "--teacher-n-test": ("13", "teacher.n_test", 13),
    "--teacher-width": ("14", "teacher.width", 14), "--teacher-depth": ("3", "teacher.depth", 3),
    "--teacher-num-classes": ("4", "teacher.num_classes", 4), "--teacher-seed": ("15", "teacher.seed", 15),
}


def _field(config, path):
    for part in path.split("."):
        config = getattr(config, part)
    return config


def test_train_flags_set_every_field():
    from sgdtails.realnets.data import TeacherSpec
    from sgdtails.realnets.train import TrainConfig

    argv = ["train", "--out", "x"]
    for flag, (text, _, _) in NON_DEFAULT.items():
        argv += [flag] if text is None else [flag, text]
    config = cli_realnets._train_config(build_parser().parse_args(argv))
    default = TrainConfig(model="fcn4", dataset="teacher", lr=0.1, batch_size=50, device="cuda")
    every = {f.name for f in dataclasses.fields(TrainConfig) if f.name != "teacher"}
    every |= {"teacher." + f.name for f in dataclasses.fields(TeacherSpec)}
    assert {path for _, path, _ in NON_DEFAULT.values()} == every
    for flag, (_, path, value) in NON_DEFAULT.items():
        assert _field(config, path) == value != _field(default, path), flag


def test_train_defaults_are_the_configs(tmp_path):
    from sgdtails.realnets.train import TrainConfig

    args = build_parser().parse_args(["train", "--model", "fcn4", "--dataset", "teacher", "--lr", "0.1",
                                      "--batch-size", "10", "--device", "cpu", "--out", "x"])
    assert cli_realnets._train_config(args) == TrainConfig(model="fcn4", dataset="teacher", lr=0.1, batch_size=10,
                                                           device="cpu")


def test_train_with_non_default_flags_records_them(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "fcn4", "--dataset", "teacher", "--width", "8", "--depth", "1", "--lr", "0.05",
                 "--batch-size", "20", "--seed", "2", "--max-iters", "12", "--eval-every", "4", "--checkpoint-every", "8",
                 "--checkpoint-seconds", "inf", "--eval-batch-size", "17", "--no-deterministic", "--tf32",
                 "--diverge-after", "100", "--teacher-n-train", "60", "--teacher-n-test", "20", "--teacher-width", "6",
                 "--teacher-depth", "2", "--teacher-alpha", "1.6", "--teacher-seed", "4", "--device", "cpu", "--quiet",
                 "--out", str(run)]) == 0
    assert "capped after 12 iterations" in capsys.readouterr().out
    config = json.loads((run / "config.json").read_text())
    assert {k: config[k] for k in ("seed", "max_iters", "eval_every", "checkpoint_every", "checkpoint_seconds",
                                   "eval_batch_size", "deterministic", "tf32", "diverge_after")} == {
        "seed": 2, "max_iters": 12, "eval_every": 4, "checkpoint_every": 8, "checkpoint_seconds": math.inf,
        "eval_batch_size": 17, "deterministic": False, "tf32": True, "diverge_after": 100}
    assert config["teacher"] == {"alpha": 1.6, "n_train": 60, "n_test": 20, "width": 6, "depth": 2, "num_classes": 10,
                                 "seed": 4}
    assert [int(r.split(",")[0]) for r in (run / "metrics.csv").read_text().splitlines()[1:]] == [0, 4, 8, 12]


@pytest.mark.parametrize(("flag", "value"), [("--checkpoint-seconds", "-1"), ("--teacher-alpha", "2.5"),
                                             ("--teacher-num-classes", "1"), ("--checkpoint-every", "30")])
def test_bad_train_flags_are_one_line(tmp_path, capsys, flag, value):
    assert main(["train", "--model", "fcn4", "--dataset", "teacher", "--lr", "0.1", "--batch-size", "10",
                 "--device", "cpu", flag, value, "--out", str(tmp_path / "run")]) == 2
    err = _errors(capsys.readouterr().err)
    assert len(err) == 1 and (flag in err[0] or flag[2:].replace("-", "_") in err[0]), err
    assert not (tmp_path / "run" / "config.json").exists()


# -------------------------------------------------------------------------------- data download
def _offline(monkeypatch):
    def urlopen(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)


@pytest.mark.parametrize("dataset", ["mnist", "cifar10"])
def test_data_download_offline_is_one_line_exit_1_and_leaves_nothing(tmp_path, monkeypatch, capsys, dataset):
    _offline(monkeypatch)
    (tmp_path / "kept.txt").write_text("already here")
    assert main(["data", "download", dataset, "--dir", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("sgdtails data download: error: could not download"), captured.err
    assert "offline?" in lines[0] and "usage:" not in captured.err and captured.out == ""
    assert [p.name for p in tmp_path.iterdir()] == ["kept.txt"]


def test_data_download_unreachable_mirror(tmp_path, capsys):
    mirror = (tmp_path / "no-such-mirror").as_uri() + "/"  # a local address that serves nothing
    out = tmp_path / "mnist"
    assert main(["data", "download", "mnist", "--dir", str(out), "--mirror", mirror, "--timeout", "5"]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "no-such-mirror" in lines[0]
    assert list(out.iterdir()) == []


def test_data_download_serves_complete_files(tmp_path, monkeypatch, capsys):
    rng = np.random.default_rng(0)
    files = {}
    for prefix, n in (("train", 6), ("t10k", 4)):
        for kind, array in (("images-idx3", rng.integers(0, 256, (n, 28, 28))), ("labels-idx1", rng.integers(0, 10, n))):
            header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
            files[f"{prefix}-{kind}-ubyte.gz"] = gzip.compress(header + array.astype(np.uint8).tobytes())
    monkeypatch.setattr(download, "_MNIST_FILES", {k[:-3]: hashlib.md5(v).hexdigest() for k, v in files.items()})
    asked = []

    def urlopen(url, timeout=None):
        asked.append(url)
        return io.BytesIO(files[url.rsplit("/", 1)[-1]])

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    out = tmp_path / "mnist"
    assert main(["data", "download", "mnist", "--dir", str(out), "--mirror", "https://mirror.example/mnist/"]) == 0
    assert f"mnist ready in {out}" in capsys.readouterr().out
    assert all(u.startswith("https://mirror.example/mnist/") for u in asked) and len(asked) == 4
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    assert main(["train", "--model", "fcn4", "--dataset", "mnist", "--data-dir", str(out), "--width", "4", "--depth", "1",
                 "--lr", "0.1", "--batch-size", "2", "--max-iters", "2", "--eval-every", "1", "--device", "cpu",
                 "--quiet", "--out", str(tmp_path / "run")]) == 0


def test_data_without_an_action_prints_help(capsys):
    assert main(["data"]) == 2
    assert "download" in capsys.readouterr().err
    assert main(["data", "download", "svhn", "--dir", "x"]) == 2
    assert "invalid choice: 'svhn'" in capsys.readouterr().err
