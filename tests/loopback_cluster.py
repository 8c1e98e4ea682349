"""A real Dask scheduler and workers on 127.0.0.1 (subprocesses) for the fault and thread-identity tests."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

TESTS = Path(__file__).resolve().parent
START_TIMEOUT_S = 90


def path_env(*paths: Path) -> dict:
    extra = [str(p) for p in paths] + [os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, extra))}


class LoopbackCluster:
    """A scheduler and ``n`` one-thread workers (no nanny: SIGKILL really removes a worker)."""

    def __init__(self, where: Path, n: int = 2, extra_path: Path | None = None, nthreads: int = 1,
                 worker_env: dict | None = None) -> None:
        self.where = where
        self.env = path_env(TESTS, *(p for p in [extra_path] if p is not None))
        self.scheduler_file = where / "scheduler.json"
        common = ["--scheduler-file", str(self.scheduler_file), "--host", "127.0.0.1", "--no-dashboard"]
        self.scheduler = self._start(["scheduler", *common, "--port", "0"], "scheduler")
        self.workers: list[subprocess.Popen] = []
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not self.scheduler_file.exists():
                assert time.monotonic() < deadline and self.scheduler.poll() is None, self.log("scheduler")
                time.sleep(0.1)
            worker = ["worker", *common, "--nthreads", str(nthreads), "--no-nanny", "--death-timeout", "10",
                      "--local-directory", str(where)]
            self.workers = [self._start(worker, f"worker{i}", worker_env) for i in range(n)]
            self.address = json.loads(self.scheduler_file.read_text())["address"]
            assert self.address.startswith("tcp://127.0.0.1:")
            import distributed

            if n:
                with distributed.Client(self.address, set_as_default=False, timeout=START_TIMEOUT_S) as client:
                    client.wait_for_workers(n, timeout=START_TIMEOUT_S)
        except BaseException:
            self.stop()
            raise

    def _start(self, args: list[str], name: str, env: dict | None = None) -> subprocess.Popen:
        with open(self.where / f"{name}.log", "wb") as out:
            return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=out, stderr=subprocess.STDOUT,
                                    env={**self.env, **(env or {})}, cwd=self.where)

    def log(self, name: str) -> str:
        return (self.where / f"{name}.log").read_text(errors="replace")

    def kill_workers(self) -> None:
        for w in self.workers:
            w.kill()
        for w in self.workers:
            w.wait(timeout=15)

    def kill_scheduler(self) -> None:
        self.scheduler.kill()
        self.scheduler.wait(timeout=15)

    def stop(self) -> None:
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=15)
