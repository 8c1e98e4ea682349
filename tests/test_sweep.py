"""simulator.sweep: hashes, backends agree byte for byte, failures, resume after SIGKILL."""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from sweep_cells import (
    S1Config,
    boom_cell,
    flaky_cell,
    s1_cell,
    s1_study,
    sleep_study,
    table_cell,
    threads_cell,
    trivial_cell,
)

from sgdtails.simulator import RunOptions
from sgdtails.simulator import _sweep_store as store
from sgdtails.simulator.sweep import Study, StudyResult, cell_seed, run_study

TESTS = Path(__file__).resolve().parent
HASH_KEYS = {"func": "sweep_cells:s1_cell", "version": "v1", "package": "0.1.0", "seed": 3, "index": 5}


def _stored(study_dir: Path, table: str = "cells") -> dict[str, dict]:
    """The rows of a table of a study's cell store, by hash (read directly, as a user would)."""
    with sqlite3.connect(study_dir / "cells.sqlite") as conn:
        conn.row_factory = sqlite3.Row
        rows = {r["hash"]: dict(r) for r in conn.execute(f"SELECT * FROM {table}")}
    conn.close()
    return rows


def _env() -> dict:
    """The environment of a subprocess that imports the test helpers (``sweep_cells``)."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}


def test_cell_seed_is_the_spawned_child():
    child = np.random.SeedSequence(11).spawn(6)[4]
    np.testing.assert_array_equal(cell_seed(11, 4).generate_state(4), child.generate_state(4))


def test_hash_is_stable_across_processes():
    cfg = S1Config(1.8, "column", 100, 50)
    code = (
        "from sgdtails.simulator._sweep_store import cell_hash; from sweep_cells import S1Config; "
        f"print(cell_hash(S1Config(1.8, 'column', 100, 50), **{HASH_KEYS!r}))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=_env(), cwd=TESTS, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == store.cell_hash(cfg, **HASH_KEYS)
    assert store.cell_hash(cfg, **HASH_KEYS) == store.cell_hash(dataclasses.asdict(cfg), **HASH_KEYS)


@pytest.mark.parametrize(
    "change",
    [{"version": "v2"}, {"func": "sweep_cells:sleep_cell"}, {"package": "0.2.0"}, {"seed": 4}, {"index": 6}],
)
def test_hash_changes_with_what_the_cell_depends_on(change):
    cfg = S1Config(1.8, "column", 100, 50)
    assert store.cell_hash(cfg, **{**HASH_KEYS, **change}) != store.cell_hash(cfg, **HASH_KEYS)


def test_hash_changes_with_a_field():
    base = store.cell_hash(S1Config(1.8, "column", 100, 50), **HASH_KEYS)
    assert store.cell_hash(S1Config(1.8, "column", 100, 51), **HASH_KEYS) != base
    assert store.cell_hash(S1Config(1.8000000000000003, "column", 100, 50), **HASH_KEYS) != base


def test_sequential_and_processes_give_byte_identical_csv(tmp_path):
    study = s1_study(n_alpha=3)
    seq = run_study(study, run=RunOptions(cache_dir=tmp_path / "seq", jobs=1, progress=False))
    par = run_study(study, run=RunOptions(cache_dir=tmp_path / "par", jobs=2, progress=False))
    one = run_study(study, batch=1, run=RunOptions(cache_dir=tmp_path / "one", jobs=2, progress=False))
    assert seq.n_computed == par.n_computed == one.n_computed == 9
    assert seq.csv_path.read_bytes() == par.csv_path.read_bytes() == one.csv_path.read_bytes()
    assert seq.rows == par.rows
    assert [r["cell"] for r in seq.rows] == list(range(9))
    assert list(seq.rows[0]) == ["cell", "alpha", "structure", "m", "n", "pruning_ratio"]
    assert json.loads(par.manifest_path.read_text())["backend"] == "processes(loky, 2 workers)"


def test_row_is_config_plus_record(tmp_path):
    study = s1_study(n_alpha=1, size=40)
    result = run_study(study, run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False))
    expected = s1_cell(study.grid[1], cell_seed(study.seed, 1))["pruning_ratio"]
    assert result.rows[1] == {"cell": 1, **dataclasses.asdict(study.grid[1]), "pruning_ratio": expected}
    line = result.csv_path.read_text().splitlines()[2]
    assert line == f"1,1.75,column,40,40,{expected!r}"


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_raising_cell_is_recorded_and_the_others_finish(tmp_path, jobs):
    study = Study("boom", boom_cell, [{"k": k} for k in range(5)])
    result = run_study(study, run=RunOptions(cache_dir=tmp_path, jobs=jobs, progress=False))
    assert [r["cell"] for r in result.rows] == [0, 1, 3, 4]
    assert result.rows[1] == {"cell": 1, "k": 1, "value": 1 / 3, "flag": True}
    assert len(result.failed) == 1 and result.failed[0]["cell"] == 2
    assert result.failed[0]["config"] == {"k": 2}
    assert result.failed[0]["error"] == "RuntimeError: cell two exploded"
    assert "boom_cell" in result.failed[0]["traceback"]
    stored = _stored(tmp_path / "boom", "failed")[result.failed[0]["hash"]]
    assert stored["error"] == "RuntimeError: cell two exploded" and "Traceback" in stored["traceback"]
    assert stored["cell"] == 2 and json.loads(stored["config"]) == {"k": 2}
    assert not (tmp_path / "boom" / "failed").exists() and not (tmp_path / "boom" / "cells").exists()
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["n_failed"] == 1 and manifest["failures"][0]["cell"] == 2
    assert [c["status"] for c in manifest["cells"]] == ["computed"] * 2 + ["failed"] + ["computed"] * 2
    assert result.csv_path.read_text().splitlines() == [
        "cell,k,value,flag",
        "0,0,0.0,False",
        "1,1,0.3333333333333333,True",
        "3,3,1.0,True",
        "4,4,1.3333333333333333,False",
    ]


def test_failed_cells_are_retried_next_run(tmp_path):
    trap = tmp_path / "trap"
    trap.touch()
    study = Study("flaky", flaky_cell, [{"k": k, "trap": str(trap)} for k in range(4)])
    first = run_study(study, run=RunOptions(cache_dir=tmp_path / "out", jobs=1, progress=False))
    assert (first.n_computed, first.n_reused, len(first.failed)) == (3, 0, 1)
    assert set(_stored(tmp_path / "out" / "flaky", "failed")) == {first.failed[0]["hash"]}
    trap.unlink()
    second = run_study(study, run=RunOptions(cache_dir=tmp_path / "out", jobs=1, progress=False))
    assert (second.n_computed, second.n_reused, second.failed) == (1, 3, [])
    assert second.summary == "1 computed, 3 reused, 0 failed"
    assert _stored(tmp_path / "out" / "flaky", "failed") == {}
    assert first.failed[0]["hash"] in _stored(tmp_path / "out" / "flaky")
    assert [r["value"] for r in second.rows] == [0.5, 1.5, 2.5, 3.5]


def test_changed_config_or_version_recomputes_only_what_changed(tmp_path):
    study = s1_study(n_alpha=2, size=40)
    assert run_study(study, run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False)).n_computed == 6
    grid = list(study.grid)
    grid[4] = dataclasses.replace(grid[4], m=41)
    changed = dataclasses.replace(study, grid=grid)
    again = run_study(changed, run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False))
    assert (again.n_computed, again.n_reused) == (1, 5)
    bumped = run_study(dataclasses.replace(changed, version="test2"), run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False))
    assert (bumped.n_computed, bumped.n_reused) == (6, 0)
    fresh = run_study(changed, run=RunOptions(cache_dir=tmp_path, jobs=1, resume=False, progress=False))
    assert (fresh.n_computed, fresh.n_reused) == (6, 0)
    elsewhere = run_study(changed, run=RunOptions(cache_dir=tmp_path / "b", jobs=1, progress=False))
    assert fresh.csv_path.read_bytes() == elsewhere.csv_path.read_bytes()


def test_table_records_give_one_row_each(tmp_path):
    study = Study("table", table_cell, [{"rows": r} for r in (2, 0, 3)], seed=5)
    result = run_study(study, run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False))
    assert [(r["cell"], r["j"]) for r in result.rows] == [(0, 0), (0, 1), (2, 0), (2, 1), (2, 2)]
    # a cell without rows would vanish from the CSV: it is a failed cell, retried next run
    assert [f["cell"] for f in result.failed] == [1]
    assert result.failed[0]["error"].startswith("TypeError: a cell must return a dict or a non-empty list of dicts")
    z = np.random.default_rng(cell_seed(5, 2)).standard_normal(3)
    assert [r["z"] for r in result.rows[2:]] == z.tolist()
    assert result.csv_path.read_text().splitlines()[0] == "cell,rows,j,z"


def test_local_workers_are_capped_to_one_thread(tmp_path):
    study = Study("threads", threads_cell, [{"k": k} for k in range(4)])
    result = run_study(study, run=RunOptions(cache_dir=tmp_path, jobs=2, progress=False))
    assert {(r["numba_threads"], r["omp"]) for r in result.rows} == {(1, "1")}


def test_local_workers_cap_torch_too(tmp_path):
    from torch_cells import torch_threads_cell

    result = run_study(Study("torch", torch_threads_cell, [{"k": k} for k in range(4)]),
                       run=RunOptions(cache_dir=tmp_path, jobs=2, progress=False))
    assert {r["torch_threads"] for r in result.rows} == {1}


def test_summary_and_progress_go_to_stderr(tmp_path, capsys):
    run_study(Study("quiet", trivial_cell, [{"k": 1}]), run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False))
    assert capsys.readouterr().err == ""
    run_study(Study("loud", trivial_cell, [{"k": 1}, {"k": 2}]), run=RunOptions(cache_dir=tmp_path, jobs=1, progress=True))
    err = capsys.readouterr().err
    assert "loud: 2 computed, 0 reused, 0 failed" in err and "2/2" in err


def test_manifest_records_versions_and_timings(tmp_path):
    study = Study("m", trivial_cell, [{"k": k} for k in range(3)], seed=9, version="x")
    result = run_study(study, run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False))
    manifest = json.loads(result.manifest_path.read_text())
    assert (manifest["study"], manifest["n_cells"], manifest["seed"], manifest["version"]) == ("m", 3, 9, "x")
    assert manifest["backend"] == "sequential"
    assert {"numpy", "scipy", "numba", "sgdtails"} <= set(manifest["provenance"]["versions"])
    assert all(c["status"] == "computed" and c["seconds"] >= 0 for c in manifest["cells"])
    assert isinstance(result, StudyResult) and result.n_cells == 3


def _bad_record_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    return {"k": 1} if cfg["k"] else {"v": np.zeros(2)}


def test_records_must_be_scalars_not_clashing_with_config(tmp_path):
    study = Study("bad", _bad_record_cell, [{"k": 0}, {"k": 1}])
    result = run_study(study, run=RunOptions(cache_dir=tmp_path, jobs=1, progress=False))
    errors = [f["error"] for f in result.failed]
    assert errors[0].startswith("TypeError: record field 'v' must be a scalar")
    assert errors[1].startswith("ValueError: record field 'k' clashes")


def test_invalid_studies_and_arguments_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="func must be a top-level"):
        Study("x", lambda c, s: {}, [{"k": 1}])
    with pytest.raises(ValueError, match="name must match"):
        Study("../x", trivial_cell, [{"k": 1}])
    with pytest.raises(ValueError, match="seed must be"):
        Study("x", trivial_cell, [{"k": 1}], seed=-1)
    with pytest.raises(TypeError, match=r"config\.w must be a scalar"):
        Study("x", trivial_cell, [{"w": np.zeros(3)}])
    with pytest.raises(TypeError, match="must be a dataclass instance or a mapping"):
        Study("x", trivial_cell, [1.5])
    with pytest.raises(ValueError, match="jobs must be"):
        RunOptions(cache_dir=tmp_path, jobs=0)
    with pytest.raises(ValueError, match="run must be a RunOptions"):
        run_study(Study("x", trivial_cell, [{"k": 1}]), run={"jobs": 1})
    with pytest.raises(ValueError, match="batch must be"):
        run_study(Study("x", trivial_cell, [{"k": 1}]), batch=0, run=RunOptions(cache_dir=tmp_path))


KILL_SCRIPT = textwrap.dedent(
    """
    import sys
    from sgdtails.simulator import RunOptions
    from sgdtails.simulator.sweep import run_study
    from sweep_cells import sleep_study
    run_study(sleep_study(), run=RunOptions(cache_dir=sys.argv[1], jobs=1, progress=False))
    """
)


def test_resume_after_sigkill_equals_an_uninterrupted_run(tmp_path):
    study_dir = tmp_path / "killed" / "slow"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(tmp_path / "killed")], cwd=TESTS, env=_env())
    try:
        deadline = time.monotonic() + 60
        while not ((study_dir / "cells.sqlite").is_file() and len(_stored_or_empty(study_dir)) >= 8):
            assert time.monotonic() < deadline and proc.poll() is None, "runner never wrote 8 records"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    before = {h: r["written"] for h, r in _stored(study_dir).items()}
    assert 8 <= len(before) < 40
    resumed = run_study(sleep_study(), run=RunOptions(cache_dir=tmp_path / "killed", jobs=2, progress=False))
    assert (resumed.n_reused, resumed.n_computed, resumed.failed) == (len(before), 40 - len(before), [])
    after = _stored(study_dir)
    assert {h: after[h]["written"] for h in before} == before  # the finished cells were not rewritten
    assert len(after) == 40 and _stored(study_dir, "claims") == {}
    whole = run_study(sleep_study(), run=RunOptions(cache_dir=tmp_path / "whole", jobs=1, progress=False))
    assert resumed.csv_path.read_bytes() == whole.csv_path.read_bytes()
    assert not list(study_dir.glob("*.tmp"))


def _stored_or_empty(study_dir: Path) -> dict:
    """``_stored`` while another process may still be creating the store (then: nothing yet)."""
    try:
        return _stored(study_dir)
    except sqlite3.Error:
        return {}
