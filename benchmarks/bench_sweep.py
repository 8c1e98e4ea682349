"""Benchmark of simulator.sweep backends: sequential vs 2 local processes vs Dask with 2 workers.

Two grids: a Figure S1 grid (α ~ U(1.75, 2) × {iid, column, layer}, 500×500 SαS weights, the
prunable fraction at ε = 0.1) and a trivial grid (cells that return at once: pure overhead).
Each backend is warmed up first (worker start and Numba cache loads are not timed).

    python benchmarks/bench_sweep.py            # 250 α × 3 structures, 2000 trivial cells
    python benchmarks/bench_sweep.py --quick    # 20 α × 3 structures at 300×300, 500 trivial cells

overhead/cell = (workers × wall − Σ cell compute) / cells: worker time not spent in cells.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent


def s1_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """Figure S1: 1 − κ₂(w, 0.1) for one m×n weight matrix."""
    from sgdtails.simulator import pruning_ratio, sample_weights

    w = sample_weights(cfg["alpha"], (cfg["m"], cfg["n"]), structure=cfg["structure"], seed=seed)
    return {"pruning_ratio": pruning_ratio(w, 0.1)}


def trivial_cell(cfg: dict, seed: np.random.SeedSequence) -> dict:
    """Returns at once."""
    return {"out": cfg["k"]}


def s1_grid(n_alpha: int, size: int) -> list[dict]:
    alphas = np.random.default_rng(0).uniform(1.75, 2.0, n_alpha)
    structures = ("iid", "column", "layer")
    return [{"alpha": float(a), "structure": s, "m": size, "n": size} for a in alphas for s in structures]


def timed(study, out: Path, workers: int, **kwargs) -> dict:
    from sgdtails.simulator import RunOptions, run_study

    batch = kwargs.pop("batch", None)
    start = time.perf_counter()
    result = run_study(study, run=RunOptions(cache_dir=out, progress=False, resume=False, **kwargs), batch=batch)
    wall = time.perf_counter() - start
    assert not result.failed, result.failed[:1]
    manifest = json.loads(result.manifest_path.read_text())
    compute = sum(c["seconds"] for c in manifest["cells"])
    n = result.n_cells
    overhead_ms = 1e3 * (workers * wall - compute) / n
    return {"wall": wall, "compute": compute, "n": n, "overhead_ms": overhead_ms, "csv": result.csv_path.read_bytes()}


def main(argv: list[str] | None = None) -> None:
    from distributed import LocalCluster

    from sgdtails.simulator.sweep import Study

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small grid (CI smoke run)")
    parser.add_argument("--out", type=Path, default=None, help="folder for the records (default: a temporary one)")
    args = parser.parse_args(argv)
    n_alpha, size, n_trivial = (20, 300, 500) if args.quick else (250, 500, 2000)
    out = Path(tempfile.mkdtemp(prefix="bench_sweep_", dir=args.out))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))
    grids = {
        f"S1 {size}×{size}": Study("s1", s1_cell, s1_grid(n_alpha, size), seed=1),
        "trivial": Study("trivial", trivial_cell, [{"k": k} for k in range(n_trivial)]),
    }
    warm = [Study("warm_s1", s1_cell, s1_grid(2, 64)), Study("warm_t", trivial_cell, [{"k": k} for k in range(8)])]
    env = {v: "1" for v in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env=env)
    backends = [
        ("sequential", 1, {"jobs": 1}),
        ("2 processes (loky)", 2, {"jobs": 2}),
        ("Dask, 2 local workers", 2, {"scheduler": cluster.scheduler_address}),
    ]
    rows = []
    try:
        for label, workers, kwargs in backends:
            for w in warm:
                timed(w, out / "warm", workers, **kwargs)
            for grid, study in grids.items():
                rows.append((grid, label, workers, timed(study, out / label.split()[0], workers, **kwargs)))
    finally:
        cluster.close()
        shutil.rmtree(out, ignore_errors=True)
    print_table(rows)


def print_table(rows: list) -> None:
    base = {grid: r["wall"] for grid, label, _, r in rows if label == "sequential"}
    csvs = {grid: r["csv"] for grid, label, _, r in rows if label == "sequential"}
    print(f"\ncpu_count = {os.cpu_count()}, Python {sys.version.split()[0]}\n")
    print(
        "| grid | backend | cells | wall [s] | Σ cell compute [s] | speed-up | wall/cell [ms] "
        "| overhead/cell [ms] | CSV = sequential |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for grid, label, _, r in rows:
        print(
            f"| {grid} | {label} | {r['n']} | {r['wall']:.2f} | {r['compute']:.2f} | {base[grid] / r['wall']:.2f}× "
            f"| {1e3 * r['wall'] / r['n']:.2f} | {r['overhead_ms']:.2f} | {'yes' if r['csv'] == csvs[grid] else 'NO'} |"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    import bench_sweep  # the cell functions then pickle by reference (module ``bench_sweep``)

    bench_sweep.main()
