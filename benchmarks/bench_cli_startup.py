"""Benchmark: how long the ``sgdtails`` door takes to open, against ``python -c pass`` in the same run.

Each command runs as a fresh process (``repeat`` times, after one warm-up run that fills the OS file
cache); the table gives the median and the best wall time, and the time above the bare interpreter.
``sgdtails --version`` and ``--help`` build the whole parser but import no engine (no Numba, PyTorch
or Matplotlib); for scale, the imports the door avoids are timed too.

    python benchmarks/bench_cli_startup.py [--repeat 15]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time


def _time(cmd: list[str], repeat: int) -> tuple[float, float]:
    subprocess.run(cmd, capture_output=True, check=False)  # warm-up
    walls = []
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, check=False)
        walls.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(walls), min(walls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    door = shutil.which("sgdtails")
    if door is None:
        raise SystemExit("the sgdtails command is not installed in this environment")
    py = sys.executable
    cases = [
        ("python -c pass (baseline)", [py, "-c", "pass"]),
        ("sgdtails --version", [door, "--version"]),
        ("sgdtails --help", [door, "--help"]),
        ("sgdtails check theorem1 --help", [door, "check", "theorem1", "--help"]),
        ("python -c 'import sgdtails'", [py, "-c", "import sgdtails"]),
        ("python -c 'import numba' (avoided)", [py, "-c", "import numba"]),
        ("python -c 'import torch' (avoided)", [py, "-c", "import torch"]),
        ("python -c 'import matplotlib.pyplot' (avoided)", [py, "-c", "import matplotlib.pyplot"]),
    ]
    rows = [(name, *_time(cmd, args.repeat)) for name, cmd in cases]
    base = rows[0][1]
    print(f"\n{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {args.repeat} runs each (median, best)\n")
    print("| command | median (s) | best (s) | above `python -c pass` (s) |")
    print("|---|---:|---:|---:|")
    for name, med, best in rows:
        print(f"| `{name}` | {med:.3f} | {best:.3f} | {med - base:+.3f} |")


if __name__ == "__main__":
    main()
