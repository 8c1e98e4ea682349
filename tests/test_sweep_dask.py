"""simulator.sweep on a real Dask cluster: a scheduler and two workers on 127.0.0.1 (subprocesses)."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import distributed
import pytest
from sweep_cells import boom_cell, pid_cell, s1_study, trivial_cell

from sgdtails.cli._args import SCHEDULER_ENV, run_options
from sgdtails.simulator import RunOptions
from sgdtails.simulator.sweep import Study, run_study

TESTS = Path(__file__).resolve().parent
START_TIMEOUT_S = 90


def _start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    with open(log, "wb") as out:
        cmd = [sys.executable, "-m", "dask", *args]
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=TESTS)


def _stop(procs: list[subprocess.Popen]) -> None:
    """Workers first, each waited for, then the scheduler (a worker outliving it would reconnect)."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Address of a scheduler with two one-thread workers; the first advertises ``GPU=1``."""
    where = tmp_path_factory.mktemp("dask")
    scheduler_file = where / "scheduler.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))}
    common = ["--scheduler-file", str(scheduler_file), "--host", "127.0.0.1", "--no-dashboard"]
    worker = ["worker", *common, "--nworkers", "1", "--nthreads", "1", "--no-nanny", "--death-timeout", "30"]
    worker += ["--local-directory", str(where)]
    procs = [_start(["scheduler", *common, "--port", "0"], where / "scheduler.log", env)]
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not scheduler_file.exists():
            assert time.monotonic() < deadline and procs[0].poll() is None, (where / "scheduler.log").read_text()
            time.sleep(0.1)
        procs.append(_start([*worker, "--resources", "GPU=1"], where / "worker-gpu.log", env))
        procs.append(_start(worker, where / "worker-cpu.log", env))
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        with distributed.Client(address, set_as_default=False, timeout=START_TIMEOUT_S) as client:
            client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        yield address
    finally:
        _stop(procs)


def _backend(result) -> str:
    return json.loads(result.manifest_path.read_text())["backend"]


def test_dask_csv_equals_the_sequential_csv(cluster, tmp_path):
    study = s1_study(n_alpha=4, size=100)
    assert len(study.grid) == 12
    seq = run_study(study, run=RunOptions(cache_dir=tmp_path / "seq", jobs=1, progress=False))
    dsk = run_study(study, batch=2, run=RunOptions(cache_dir=tmp_path / "dask", scheduler=cluster, progress=False))
    assert (dsk.n_computed, dsk.failed) == (12, [])
    assert dsk.csv_path.read_bytes() == seq.csv_path.read_bytes()
    assert _backend(dsk) == f"dask({cluster})"
    again = run_study(study, run=RunOptions(cache_dir=tmp_path / "dask", scheduler=cluster, progress=False))
    assert (again.n_computed, again.n_reused) == (0, 12)


def test_scheduler_from_the_environment_only_through_the_command_line(cluster, tmp_path, monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV, cluster)
    study = Study("env", trivial_cell, [{"k": k} for k in range(6)])
    flags = argparse.Namespace(scheduler=None, jobs=None, resume=True)  # neither --jobs nor --scheduler given
    cli = run_options(flags, jobs_default=1, cache_dir=str(tmp_path / "a")).replace(progress=False)
    assert cli.scheduler == cluster
    assert _backend(run_study(study, run=cli)) == f"dask({cluster})"
    with_jobs = run_options(argparse.Namespace(scheduler=None, jobs=1, resume=True), jobs_default=1, cache_dir=None)
    assert with_jobs.scheduler is None  # an explicit --jobs wins over the environment
    # the library itself never reads the environment
    assert _backend(run_study(study, run=RunOptions(cache_dir=tmp_path / "b", progress=False))) == "sequential"


def test_resources_pin_cells_to_the_gpu_worker(cluster, tmp_path):
    with distributed.Client(cluster, set_as_default=False) as client:
        pids = client.run(os.getpid)
        workers = client.scheduler_info()["workers"]
    gpu = {pids[a] for a, w in workers.items() if w.get("resources", {}).get("GPU")}
    assert len(gpu) == 1 and len(set(pids.values())) == 2
    study = Study("pinned", pid_cell, [{"k": k} for k in range(8)], resources={"GPU": 1})
    result = run_study(study, batch=1, run=RunOptions(cache_dir=tmp_path, scheduler=cluster, progress=False))
    assert {r["pid"] for r in result.rows} == gpu


def test_a_raising_cell_on_dask_is_recorded(cluster, tmp_path):
    study = Study("boom", boom_cell, [{"k": k} for k in range(5)])
    result = run_study(study, run=RunOptions(cache_dir=tmp_path, scheduler=cluster, progress=False))
    assert [r["cell"] for r in result.rows] == [0, 1, 3, 4]
    assert [(f["cell"], f["error"]) for f in result.failed] == [(2, "RuntimeError: cell two exploded")]
