"""Benchmark: ``sgdtails check all --quick`` end to end (issue #10 budget: ≤ 60 s on 2 idle cores).

Runs the command as a fresh process ``repeat`` times after one warm-up run (which fills the Numba
cache) and reports the median and best wall time, the cases run and whether every verdict agreed
with its expectation. The baseline is the same run of one case per check (``--baseline-cases``:
the in-hypothesis case of each statement, no controls), timed in the same session, so the table
says what the controls and the α ∈ {1.8, 1.9} cases cost on top.

    python benchmarks/bench_check_all.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time

_BASELINE = """
from sgdtails.theory.suite import SUITE, check_functions, suite_arguments
checks = check_functions()
for case in SUITE[:6]:
    checks[case.check](**suite_arguments(case, quick=True, seed=0))
"""


def _time(cmd: list[str], repeat: int) -> tuple[float, float, str]:
    subprocess.run(cmd, capture_output=True, check=False)  # warm-up (Numba cache)
    walls, out = [], ""
    for _ in range(repeat):
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        out = done.stdout
    return statistics.median(walls), min(walls), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    door = shutil.which("sgdtails")
    if door is None:
        raise SystemExit("the sgdtails command is not installed in this environment")
    base_med, base_best, _ = _time([sys.executable, "-c", _BASELINE], args.repeat)
    med, best, out = _time([door, "check", "all", "--quick"], args.repeat)
    summary = out[out.index("== summary"):].splitlines()[2:] if "== summary" in out else []
    agree = sum(" yes " in line for line in summary)
    print("| run | cases | median (s) | best (s) |")
    print("|---|---:|---:|---:|")
    print(f"| in-hypothesis case of each check (baseline) | 6 | {base_med:.1f} | {base_best:.1f} |")
    print(f"| `sgdtails check all --quick` ({agree} of {len(summary)} verdicts as expected) | {len(summary)} | "
          f"{med:.1f} | {best:.1f} |")


if __name__ == "__main__":
    main()
