"""The theorem checks through :func:`sgdtails.simulator.sweep.run_study`: same numbers, cached cells, resume."""
import argparse
import json

import pytest

from sgdtails.cli import main
from sgdtails.cli import theory as cli
from sgdtails.cli._args import run_options
from sgdtails.simulator import RunOptions
from sgdtails.theory import theorem1
from sgdtails.theory.required_size import required_size
from sgdtails.theory.theorem1 import check_theorem1
from sgdtails.theory.theorem3 import check_theorem3

SMALL = dict(alpha=1.2, sizes=(1000, 4000), trials=5, seed=3)


def _manifests(folder):
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*/manifest.json"))]


def _no_computing(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("a cached cell was recomputed")

    monkeypatch.setattr(theorem1, "magnitude_error", boom)


def test_sweep_gives_the_in_process_numbers_and_resumes(tmp_path, monkeypatch):
    plain = check_theorem1(**SMALL)
    swept = check_theorem1(**SMALL, run=RunOptions(jobs=2, cache_dir=tmp_path))
    assert swept == plain and swept.verdict == plain.verdict and swept.to_rows() == plain.to_rows()
    (manifest,) = _manifests(tmp_path)
    assert manifest["n_cells"] == 2 * 5 and manifest["n_computed"] == 10 and manifest["n_reused"] == 0
    assert manifest["backend"].startswith("processes")

    _no_computing(monkeypatch)  # resume: every cell comes from the cache (sequential, in this process)
    again = check_theorem1(**SMALL, run=RunOptions(jobs=1, cache_dir=tmp_path))
    assert again == plain and again.to_rows() == plain.to_rows()
    (manifest,) = _manifests(tmp_path)
    assert manifest["n_reused"] == 10 and manifest["n_computed"] == 0


def test_no_resume_recomputes_and_more_trials_reuse_the_earlier_ones(tmp_path):
    check_theorem1(**SMALL, run=RunOptions(jobs=1, cache_dir=tmp_path))
    check_theorem1(**SMALL, run=RunOptions(jobs=1, cache_dir=tmp_path, resume=False))
    (manifest,) = _manifests(tmp_path)
    assert manifest["n_computed"] == 10 and manifest["n_reused"] == 0
    more = dict(SMALL, trials=7)
    assert check_theorem1(**more, run=RunOptions(jobs=1, cache_dir=tmp_path)) == check_theorem1(**more)
    (manifest,) = _manifests(tmp_path)
    assert manifest["n_reused"] == 10 and manifest["n_computed"] == 4


def test_layerwise_and_other_checks_match(tmp_path):
    kw = dict(alpha=(1.1, 1.3), sizes=(500, 2000), trials=4, scope="layer")
    assert check_theorem1(**kw, run=RunOptions(jobs=2, cache_dir=tmp_path)) == check_theorem1(**kw)
    assert len(_manifests(tmp_path)) == 2  # one study per series
    kw3 = dict(alpha=1.0, sizes=(16, 32), trials=4)
    assert check_theorem3(**kw3, run=RunOptions(jobs=2)) == check_theorem3(**kw3)  # temporary cache
    est = required_size(1.2, max_measured=3200, trials=8, run=RunOptions(jobs=1, cache_dir=tmp_path / "size"))
    ref = required_size(1.2, max_measured=3200, trials=8)
    assert est.measurements == ref.measurements and est.d0 == ref.d0


def test_failed_cells_raise_naming_them(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise FloatingPointError("broken cell")

    monkeypatch.setattr(theorem1, "magnitude_error", broken)
    with pytest.raises(RuntimeError, match=r"theorem1 global: 10 of 10 Monte-Carlo cells failed.*broken cell"):
        check_theorem1(**SMALL, run=RunOptions(jobs=1, cache_dir=tmp_path))


@pytest.mark.parametrize("kw", [dict(jobs=0), dict(jobs=True), dict(scheduler=""), dict(resume="yes"),
                                dict(progress=1), dict(cache_dir="")])
def test_bad_run_options(kw):
    with pytest.raises(ValueError):
        RunOptions(**kw)


def test_run_must_be_run_options():
    with pytest.raises(ValueError, match="run must be a RunOptions"):
        check_theorem1(**SMALL, run=dict(jobs=2))


def test_default_path_is_in_process(monkeypatch):
    assert RunOptions().in_process and RunOptions(jobs=1).in_process
    assert not RunOptions(jobs=2).in_process and not RunOptions(jobs=None).in_process
    assert not RunOptions(scheduler="tcp://x:1").in_process

    def no_runner(*args, **kwargs):
        raise AssertionError("the default run options must not go through the sweep runner")

    monkeypatch.setattr("sgdtails.simulator.sweep.run_study", no_runner)
    assert check_theorem1(**SMALL).verdict in ("holds", "fails", "inconclusive")


def test_cli_scheduler_from_environment(monkeypatch):
    monkeypatch.setenv("SGDTAILS_SCHEDULER", "tcp://example:8786")
    args = argparse.Namespace(scheduler=None, jobs=None, out=None, resume=True)
    assert run_options(args, jobs_default=1, cache_dir=None).scheduler == "tcp://example:8786"
    args.jobs = 2  # --jobs wins over the environment
    assert run_options(args, jobs_default=1, cache_dir=None).scheduler is None
    args.jobs = "auto"
    opts = run_options(args, jobs_default=1, cache_dir=None)
    assert opts.jobs is None and opts.scheduler is None


def test_cli_check_caches_and_resumes(tmp_path, monkeypatch, capsys):
    argv = ["check", "theorem1", "--alpha", "1.2", "--sizes", "1000", "4000", "--trials", "5", "--out", str(tmp_path)]
    assert main([*argv, "--jobs", "2"]) == 0
    first = (tmp_path / "theorem1.csv").read_bytes()
    cache = tmp_path / cli.CACHE_DIR
    assert [m["n_computed"] for m in _manifests(cache)] == [10]
    _no_computing(monkeypatch)
    assert main([*argv, "--jobs", "1"]) == 0
    assert [m["n_reused"] for m in _manifests(cache)] == [10]
    assert (tmp_path / "theorem1.csv").read_bytes() == first
    monkeypatch.undo()
    assert main([*argv, "--jobs", "1", "--no-resume"]) == 0
    assert [m["n_computed"] for m in _manifests(cache)] == [10]
    assert (tmp_path / "theorem1.csv").read_bytes() == first
    assert "verdict:" in capsys.readouterr().out


def test_cli_failed_cells_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(theorem1, "magnitude_error", lambda *a, **k: 1 / 0)
    argv = ["check", "theorem1", "--alpha", "1.2", "--sizes", "1000", "4000", "--trials", "2", "--out", str(tmp_path),
            "--jobs", "1"]
    assert main(argv) == 1
    assert "Monte-Carlo cells failed" in capsys.readouterr().err


def test_cli_size_with_jobs(tmp_path, capsys):
    argv = ["size", "theorem1", "--alpha", "1.2", "--max-measured", "3200", "--trials", "8", "--out", str(tmp_path),
            "--jobs", "2"]
    assert main(argv) == 0
    assert main(argv) == 0
    manifests = _manifests(tmp_path / cli.CACHE_DIR)
    assert manifests and all(m["n_reused"] == m["n_cells"] for m in manifests)
    assert "theorem1: d0 = " in capsys.readouterr().out
