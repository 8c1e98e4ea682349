"""The same bytes whatever the BLAS thread count and the backend (issue "reliability", item 2).

A multi-threaded BLAS changes the last bits of singular values and eigenvalues, so each grid
cell computes with BLAS held to one thread (:mod:`sgdtails.simulator._threads`). A Theorem 2 grid
(eigenvalues of W Wᵀ, the case that showed it) is run in fresh processes with
``OPENBLAS_NUM_THREADS`` 1 and 2, in this process (the library's ``run_grid`` loop, no cache) and
through the runner with ``--jobs 1`` and ``--jobs 2``: every CSV is byte-identical. A negative
control disables the pin (threadpoolctl's limit made a no-op) and sees the bytes change.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from sgdtails.simulator._threads import PINNED_APIS, pinned_threads

SIZES = ("128", "256", "512")
CHECK = ["check", "theorem2", "--alpha", "0.8", "--sizes", *SIZES, "--trials", "3"]

# argv: out folder, --jobs; writes OUT/api.csv (library, in this process) and OUT/theorem2.csv (CLI).
# The BLAS thread count is set by threadpoolctl as well as OPENBLAS_NUM_THREADS: OpenBLAS caps the
# variable at the number of cores, the call is honoured (so two threads run even on one core).
SCRIPT = """
import sys
from pathlib import Path
import numpy, scipy.linalg, threadpoolctl
threadpoolctl.threadpool_limits({blas}, user_api="blas")
{plant}
from sgdtails.cli import main
from sgdtails.simulator.records import write_csv
from sgdtails.theory import check_theorem2

out, jobs = Path(sys.argv[1]), sys.argv[2]
out.mkdir(parents=True)
write_csv(out / "api.csv", check_theorem2(0.8, sizes=({sizes}), trials=3).to_rows())
sys.exit(main([*{check}, "--out", str(out), "--jobs", jobs]))
"""

UNPIN = """
import types, threadpoolctl
threadpoolctl.ThreadpoolController.limit = lambda self, **kw: types.SimpleNamespace(restore_original_limits=lambda: None)
"""


def _run(out: Path, blas_threads: int, jobs: int, pinned: bool = True) -> dict[str, bytes]:
    code = SCRIPT.format(blas=blas_threads, plant="" if pinned else UNPIN, sizes=", ".join(SIZES), check=CHECK)
    env = {**os.environ, "OPENBLAS_NUM_THREADS": str(blas_threads)}
    done = subprocess.run([sys.executable, "-c", code, str(out), str(jobs)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return {name: (out / name).read_bytes() for name in ("api.csv", "theorem2.csv")}


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, bytes]:
    """The Theorem 2 CSVs computed with one BLAS thread, in this process and by the runner with --jobs 1."""
    return _run(tmp_path_factory.mktemp("b1_j1") / "out", 1, 1)


def test_theorem2_csvs_do_not_depend_on_blas_threads_nor_jobs(tmp_path, reference):
    assert reference["api.csv"] == reference["theorem2.csv"]  # in this process = through the runner
    for blas, jobs in ((2, 1), (2, 2)):
        assert _run(tmp_path / f"b{blas}_j{jobs}", blas, jobs) == reference, (blas, jobs)
    # negative control: without the pin, two BLAS threads change the bits of both paths
    unpinned = _run(tmp_path / "b2_j1_unpinned", 2, 1, pinned=False)
    assert unpinned["api.csv"] != reference["api.csv"]
    assert unpinned["theorem2.csv"] != reference["theorem2.csv"]


def test_theorem2_csv_on_dask_workers_with_two_blas_and_two_worker_threads(tmp_path, reference, capsys):
    """Dask workers compute cells in their threads, two at a time here, each worker's BLAS on two threads."""
    from loopback_cluster import LoopbackCluster

    from sgdtails.cli import main

    cluster = LoopbackCluster(tmp_path, n=1, nthreads=2, worker_env={"OPENBLAS_NUM_THREADS": "2"})
    try:
        assert main([*CHECK, "--out", str(tmp_path / "dask"), "--scheduler", cluster.address]) == 0
    finally:
        cluster.stop()
    capsys.readouterr()
    assert (tmp_path / "dask" / "theorem2.csv").read_bytes() == reference["theorem2.csv"]


def _blas_limits() -> list[int]:
    return [d["num_threads"] for d in threadpool_info() if d["user_api"] in PINNED_APIS]


def test_the_pin_holds_one_thread_and_restores_the_limits():
    import scipy.linalg  # noqa: F401 - SciPy's own OpenBLAS must be pinned too

    before = _blas_limits()
    with pinned_threads():
        assert set(_blas_limits()) == {1}
        with pinned_threads():  # re-entrant
            assert set(_blas_limits()) == {1}
        assert set(_blas_limits()) == {1}
    assert _blas_limits() == before


def test_cells_in_threads_share_one_pin():
    """Two threads inside at once: the first to leave must not lift the other's pin."""
    inside, release, seen = threading.Barrier(2), threading.Event(), []

    def first() -> None:
        with pinned_threads():
            inside.wait()
        release.set()

    def second() -> None:
        with pinned_threads():
            inside.wait()
            release.wait()  # the first thread has left
            seen.append(set(_blas_limits()))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    before = _blas_limits()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert seen == [{1}]
    assert _blas_limits() == before


def test_pinned_svd_equals_the_single_thread_svd():
    """In this process (BLAS threads as started): pinned singular values = those of a 1-thread BLAS."""
    a = np.random.default_rng(0).standard_cauchy((300, 300))
    with pinned_threads():
        pinned = np.linalg.svd(a, compute_uv=False)
    with threadpool_limits(limits=1, user_api="blas"):
        single = np.linalg.svd(a, compute_uv=False)
    assert pinned.tobytes() == single.tobytes()


def test_a_cell_in_another_thread_is_pinned_too():
    """A Dask worker computes cells in its threads: the pin must hold there, after the main thread used it.

    threadpoolctl lets only the first thread that set OpenBLAS's limits change them; the pin
    releases that control (planted: without the release this thread's SVD keeps two BLAS threads).
    """
    a = np.random.default_rng(1).standard_normal((500, 500))
    seen: list[bytes] = []

    def cell() -> None:
        with pinned_threads():
            seen.append(np.linalg.svd(a, compute_uv=False).tobytes())

    with threadpool_limits(limits=2, user_api="blas"):  # two BLAS threads, even on a one-core machine
        with pinned_threads():  # the main thread sets the limits first
            single = np.linalg.svd(a, compute_uv=False)
        assert np.linalg.svd(a, compute_uv=False).tobytes() != single.tobytes()  # two threads change the bits here
        worker = threading.Thread(target=cell)
        worker.start()
        worker.join(timeout=120)
    assert seen == [single.tobytes()]
