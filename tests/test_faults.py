"""Faults survived: a Dask cluster losing every worker or its scheduler, a local pool losing its parent.

The Dask tests run a real scheduler and one-thread workers on 127.0.0.1 (subprocesses, as in
``test_sweep_dask.py``) and kill them with SIGKILL in the middle of a run. They consume the
backend generators directly (what the runner sees): the outcomes yielded before the fault must be
valid, then one :class:`BackendLost` with a one-line message must end the run, never a hang or
another exception. A last test goes through :func:`run_study` and resumes byte-identically.
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import dask
import pytest
from loopback_cluster import START_TIMEOUT_S, LoopbackCluster, path_env
from sweep_cells import SleepConfig, sleep_cell

from sgdtails.simulator import RunOptions
from sgdtails.simulator import _sweep_backends as backends
from sgdtails.simulator._sweep_backends import BackendLost, run_dask, run_processes, run_sequential
from sgdtails.simulator.sweep import Study, run_study

TESTS = Path(__file__).resolve().parent
WORKER_TIMEOUT_S = 3.0
LIVENESS_S = 30.0  # a generous bound on "the run ends": only a hang exceeds it

# A cell module for the subprocesses of these tests (written to a temporary folder on their path).
CELLS = '''
import os, pathlib, time

def pid_sleep_cell(cfg, seed):
    """Sleeps ``cfg['sleep']`` seconds; returns the id of the computing process."""
    time.sleep(cfg["sleep"])
    return {"pid": os.getpid()}

def tally_cell(cfg, seed):
    """Sleeps, appends a line to ``cfg['tally']`` (cells computed so far), draws one uniform."""
    import numpy as np
    time.sleep(cfg["sleep"])
    with open(cfg["tally"], "a") as f:
        f.write(f"{cfg['k']}\\n")
    return {"u": float(np.random.default_rng(seed).random())}
'''


@pytest.fixture
def cells_dir(tmp_path, monkeypatch) -> Path:
    where = tmp_path / "cells_module"
    where.mkdir()
    (where / "fault_cells.py").write_text(textwrap.dedent(CELLS))
    monkeypatch.syspath_prepend(str(where))
    return where


def _sleep_grid(n: int, sleep: float) -> list[SleepConfig]:
    return [SleepConfig(k, sleep) for k in range(n)]


def _consume(outcomes, fault_after: int, fault) -> tuple[list, BackendLost, float]:
    """Collect outcomes; call ``fault()`` after ``fault_after`` of them; return (outcomes, the error, s after fault).

    The generator runs in a thread, so a run that hangs after the fault (planted: the worker timeout
    disabled) fails this test after ``LIVENESS_S`` instead of hanging it.
    """
    got: list = []
    ended: list[BaseException | None] = []
    faulted: list[float] = []

    def consume() -> None:
        try:
            for outcome in outcomes:
                got.append(outcome)
                if len(got) == fault_after:
                    fault()
                    faulted.append(time.monotonic())
        except BaseException as exc:  # noqa: BLE001 - examined below
            ended.append(exc)
        else:
            ended.append(None)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(timeout=START_TIMEOUT_S + LIVENESS_S)
    assert faulted, "the fault was never injected (or the run ended before it)"
    assert ended, f"the run did not end within {LIVENESS_S:g} s of the fault"
    assert isinstance(ended[0], BackendLost), f"the run ended with {ended[0]!r}, not BackendLost"
    return got, ended[0], time.monotonic() - faulted[0]


def _assert_valid(got: list, grid: list, seed: int) -> None:
    """Every outcome succeeded, once per cell, with exactly the rows of an in-process computation."""
    assert all(o.error is None for o in got), [o.error for o in got if o.error][:1]
    indices = [o.index for o in got]
    assert len(set(indices)) == len(indices)
    quick = [SleepConfig(c.k, 0.0) for c in grid]  # same rows (they depend on k and the seed only), no sleep
    reference = {o.index: o.rows for o in run_sequential(sleep_cell, seed, quick, indices)}
    assert {o.index: o.rows for o in got} == reference


def test_losing_every_worker_ends_the_run_with_backend_lost(tmp_path):
    cluster = LoopbackCluster(tmp_path)
    try:
        grid = _sleep_grid(40, 0.2)
        outcomes = run_dask(sleep_cell, 7, grid, range(len(grid)), cluster.address, 1, None,
                            worker_timeout=WORKER_TIMEOUT_S)
        got, lost, after = _consume(outcomes, 4, cluster.kill_workers)
    finally:
        cluster.stop()
    message = str(lost)
    assert "\n" not in message and "every Dask worker" in message and f"none for {WORKER_TIMEOUT_S:g} s" in message
    assert after < LIVENESS_S
    assert 4 <= len(got) < len(grid)
    _assert_valid(got, grid, 7)


def test_losing_the_scheduler_ends_the_run_with_backend_lost(tmp_path, capfd, caplog):
    cluster = LoopbackCluster(tmp_path)
    try:
        grid = _sleep_grid(40, 0.2)
        outcomes = run_dask(sleep_cell, 3, grid, range(len(grid)), cluster.address, 1, None,
                            worker_timeout=WORKER_TIMEOUT_S)
        got, lost, after = _consume(outcomes, 4, cluster.kill_scheduler)  # any other exception fails here
        time.sleep(1.0)  # the client's reconnection attempts log while it closes
    finally:
        cluster.stop()
    # the loss is reported once, by BackendLost: Dask's client logs no traceback of its reconnections
    # (planted: without run_dask's log filter, 'distributed.client' logs a CancelledError traceback)
    assert "Traceback" not in capfd.readouterr().err
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("distributed")]
    message = str(lost)
    assert "\n" not in message and message.startswith(f"lost the Dask scheduler at {cluster.address}")
    assert after < LIVENESS_S
    assert 4 <= len(got) < len(grid)
    _assert_valid(got, grid, 3)


def test_an_unreachable_scheduler_is_one_backend_lost(tmp_path):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}), pytest.raises(BackendLost) as info:
        next(run_dask(sleep_cell, 0, _sleep_grid(2, 0.0), [0, 1], f"tcp://127.0.0.1:{port}", None, None))
    assert "\n" not in str(info.value) and str(info.value).startswith(f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")


def test_a_scheduler_with_no_worker_fails_after_the_timeout(tmp_path):
    cluster = LoopbackCluster(tmp_path, n=0)
    try:
        start = time.monotonic()
        with pytest.raises(BackendLost) as info:
            next(run_dask(sleep_cell, 0, _sleep_grid(2, 0.0), [0, 1], cluster.address, None, None, worker_timeout=1.0))
        assert time.monotonic() - start < LIVENESS_S
        with pytest.raises(BackendLost, match="no Dask worker with resources"):  # none can run a GPU task
            next(run_dask(sleep_cell, 0, _sleep_grid(2, 0.0), [0, 1], cluster.address, None, {"GPU": 1},
                          worker_timeout=1.0))
    finally:
        cluster.stop()
    assert str(info.value) == f"no Dask worker joined {cluster.address} within 1 s"


def test_a_study_resumes_byte_identically_after_losing_the_scheduler(tmp_path, cells_dir):
    import fault_cells

    tally = tmp_path / "tally.txt"
    grid = [{"k": k, "sleep": 0.15, "tally": str(tally)} for k in range(30)]
    study = Study("faulty", fault_cells.tally_cell, grid, seed=11)
    (tmp_path / "dask").mkdir()
    cluster = LoopbackCluster(tmp_path / "dask", extra_path=cells_dir)

    def killer() -> None:  # kill the scheduler once 6 cells were computed
        deadline = time.monotonic() + LIVENESS_S
        while time.monotonic() < deadline:
            if tally.exists() and len(tally.read_text().split()) >= 6:
                cluster.kill_scheduler()
                return
            time.sleep(0.02)

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        with pytest.raises(BackendLost) as info:
            run_study(study, batch=1, run=RunOptions(cache_dir=tmp_path / "out", scheduler=cluster.address, progress=False))
    finally:
        thread.join()
        cluster.stop()
    assert "\n" not in str(info.value)
    resumed = run_study(study, run=RunOptions(cache_dir=tmp_path / "out", progress=False))
    assert resumed.n_reused > 0 and resumed.n_reused + resumed.n_computed == len(grid) and not resumed.failed
    fresh = run_study(study, run=RunOptions(cache_dir=tmp_path / "fresh", progress=False))
    assert resumed.csv_path.read_bytes() == fresh.csv_path.read_bytes()


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting to be reaped is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


PARENT = '''
import sys
from fault_cells import pid_sleep_cell
from sgdtails.simulator._sweep_backends import run_processes
grid = [{"k": k, "sleep": 0.2} for k in range(10_000)]
for outcome in run_processes(pid_sleep_cell, 0, grid, range(len(grid)), 2, 1):
    print(outcome.rows[0]["pid"], flush=True)
'''


@pytest.mark.skipif(os.name != "posix", reason="the parent watch relies on POSIX re-parenting")
def test_local_workers_stop_soon_after_their_parent_is_killed(cells_dir, tmp_path):
    log = open(tmp_path / "parent.log", "wb")  # noqa: SIM115 - closed below; the killed parent's leak warnings go here
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, stderr=log, env=path_env(cells_dir),
                              text=True)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(workers) < 2:  # both workers have computed a cell: both are alive
            assert time.monotonic() < deadline and parent.poll() is None
            workers.add(int(parent.stdout.readline()))
        assert parent.pid not in workers
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=15)
        deadline = time.monotonic() + 10.0  # the watch polls every PARENT_POLL_S = 0.5 s
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stdout.close()
        log.close()
    for w in left:  # clean up before failing
        os.kill(w, signal.SIGKILL)
    assert not left, f"workers {left} outlived their killed parent"


def test_the_parent_watch_is_inert_while_the_parent_lives():
    from sweep_cells import pid_cell

    grid = [{"k": k} for k in range(6)]
    workers = {o.rows[0]["pid"] for o in run_processes(pid_cell, 0, grid, range(6), 2, 1)}
    assert os.getpid() not in workers
    time.sleep(3 * backends.PARENT_POLL_S)
    assert all(_alive(p) for p in workers)  # idle workers wait to be reused
