"""Time ``realnets.analyze_run`` on one FCN4 of width 2048 on MNIST-shaped data (14,209,024 parameters).

A finished run is faked in a temporary folder the way :func:`sgdtails.realnets.train` writes one
(``config.json``, ``status.json``, ``final_weights.pt``, ``averaged_weights.pt``): dataset
``"teacher"`` (i.i.d. N(0, 1) inputs of MNIST shape, 784 inputs, labelled by a small teacher) with a
test set of ``--n-test`` inputs; weights i.i.d. SαS(1.8) scaled by fan_in^(−1/1.8), the averaged
weights a small perturbation of them. ``analyze_run`` is timed end to end with its defaults (all
four prunings, 4 synthetic references per structure), once per ``--conventions``, with the time
of its layers table (:func:`sgdtails.analyze`) and of its pruning table (of which: the SVDs).

Baseline, in the same run: the singular value part of the pruning table as analyze_run computed it
before one SVD per layer per analysis — an SVD of every layer at every ratio
(``prune_arrays`` without ``svds``) and a ``numpy.linalg.matrix_rank`` of every pruned layer for
``remaining`` — on ``--baseline-ratios`` of the singular grid's ratios, scaled to the 18 ratios
that take SVDs (0 and 1 take none); against the same ratios by the new path, scaled alike.

    python benchmarks/bench_analyze_run.py [--width 2048] [--n-test 1000] [--conventions sgdtails paper_code]
                                           [--baseline-ratios 2] [--blas-threads N]

On a machine whose cores are shared with other jobs, a 2-thread OpenBLAS can be several times
slower than one thread (2048 × 2048 SVD measured 26–33 s against 4.6–4.9 s at load 4–7 on 2
cores): ``--blas-threads 1`` then times the analysis, not the contention.
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from sgdtails.realnets import TeacherSpec, TrainConfig, build_model
from sgdtails.realnets import analyze as analysis
from sgdtails.realnets.adapt import as_matrix, layer_arrays, layer_svds, prune_arrays
from sgdtails.realnets.device import default_device
from sgdtails.simulator import sample_sas

ALPHA = 1.8


def fake_run(out: Path, width: int, n_test: int) -> Path:
    """A finished run directory of an FCN4 on the teacher data, in the files train() writes."""
    teacher = TeacherSpec(n_train=100, n_test=n_test, width=256, depth=2)
    config = TrainConfig(model="fcn4", dataset="teacher", lr=0.01, batch_size=50, width=width, teacher=teacher,
                         device="cpu")
    model = build_model("fcn4", "teacher", width=width)
    state = {}
    for i, (name, p) in enumerate(model.state_dict().items()):
        fan_in = int(np.prod(p.shape[1:])) if p.ndim > 1 else 1
        w = sample_sas(ALPHA, tuple(p.shape), seed=i) * fan_in ** (-1.0 / ALPHA)
        state[name] = torch.from_numpy(w).to(p.dtype)
    averaged = {k: v + 0.01 * v.std() * torch.from_numpy(sample_sas(ALPHA, tuple(v.shape), seed=100 + j)).to(v.dtype)
                for j, (k, v) in enumerate(state.items())}
    out.mkdir(parents=True)
    (out / "config.json").write_text(json.dumps(config.to_dict(), indent=2))
    torch.save(state, out / "final_weights.pt")
    torch.save(averaged, out / "averaged_weights.pt")
    status = {"status": "converged", "iterations": 10_000, "converged_at": 1_000, "train_loss": 1e-5,
              "train_acc": 1.0, "test_loss": 1.0, "test_acc": 0.5, "wall": 0.0, "out_dir": str(out),
              "final_weights": str(out / "final_weights.pt"), "averaged_weights": str(out / "averaged_weights.pt")}
    (out / "status.json").write_text(json.dumps(status, indent=2))
    return out


def _timed(store: dict[str, float], name: str, f: Callable[..., Any]) -> Callable[..., Any]:
    def g(*args: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return f(*args, **kw)
        finally:
            store[name] = store.get(name, 0.0) + time.perf_counter() - t
    return g


def time_analyze_run(run_dir: Path, conventions: str, device: str) -> dict[str, float]:
    """Seconds of one analyze_run (and of its parts, by wrapping the analyze module's steps)."""
    parts: dict[str, float] = {}
    saved = {n: getattr(analysis, n) for n in ("_layer_table", "_pruning_table", "layer_svds")}
    for n, f in saved.items():
        setattr(analysis, n, _timed(parts, n, f))
    try:
        t = time.perf_counter()
        analysis.analyze_run(run_dir, device=device, write=False, overwrite=True, conventions=conventions)
        parts["total"] = time.perf_counter() - t
    finally:
        for n, f in saved.items():
            setattr(analysis, n, f)
    return parts


def _old_remaining(original: list[np.ndarray], pruned: list[np.ndarray]) -> float:
    kept = 0
    for w, q in zip(original, pruned):
        m = as_matrix(q - float(np.median(w)), "singular")
        kept += int(np.linalg.matrix_rank(m)) * (m.shape[0] + m.shape[1] + 1)
    return kept / sum(w.size for w in original)


def time_singular(run_dir: Path, ratios: list[float]) -> tuple[float, float, float]:
    """(old path per ratio, new path per ratio, the new path's one-off SVDs), seconds; default conventions."""
    original = layer_arrays(analysis.load_run(run_dir).final)
    t = time.perf_counter()
    for ratio in ratios:
        _old_remaining(original, prune_arrays(original, 1.0 - ratio, scheme="singular", center="median"))
    old = (time.perf_counter() - t) / len(ratios)
    t = time.perf_counter()
    svds = layer_svds(original, center="median")
    once = time.perf_counter() - t
    t = time.perf_counter()
    for ratio in ratios:
        prune_arrays(original, 1.0 - ratio, scheme="singular", center="median", svds=svds)
    return old, (time.perf_counter() - t) / len(ratios), once


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--n-test", type=int, default=1000)
    ap.add_argument("--conventions", nargs="+", default=["sgdtails", "paper_code"])
    ap.add_argument("--baseline-ratios", type=int, default=2, help="singular grid ratios the baseline is timed on")
    ap.add_argument("--device", default=default_device())
    ap.add_argument("--blas-threads", type=int, default=None,
                    help="limit NumPy's BLAS to this many threads (threadpoolctl); default: as the process starts")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, threadpool_limits(args.blas_threads, user_api="blas"):
        run_dir = fake_run(Path(tmp) / "run", args.width, args.n_test)
        n = sum(w.size for w in layer_arrays(analysis.load_run(run_dir).final))
        blas = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
        print(f"FCN4 width {args.width}, MNIST shape: {n:,} parameters; teacher test set {args.n_test}; "
              f"device {args.device}; torch threads {torch.get_num_threads()}; BLAS threads {blas}")
        for conventions in args.conventions:
            parts = time_analyze_run(run_dir, conventions, args.device)
            print(f"analyze_run(conventions={conventions!r}): {parts['total']:.1f} s  (layers table "
                  f"{parts['_layer_table']:.1f} s, pruning table {parts['_pruning_table']:.1f} s, of which SVDs "
                  f"{parts['layer_svds']:.1f} s; target <= 120 s on the 2-core machine)")
        grid = analysis.RATIO_GRIDS["singular"]
        inner = [r for r in grid if 0.0 < r < 1.0]
        picks = [inner[round(i * (len(inner) - 1) / max(1, args.baseline_ratios - 1))] for i in range(args.baseline_ratios)]
        old, new, once = time_singular(run_dir, picks)
        print(f"singular value pruning of the {len(inner)} ratios that take SVDs (timed on {picks}, scaled): "
              f"baseline (an SVD per layer and ratio + matrix_rank) {old * len(inner):.1f} s; "
              f"one SVD per layer {once:.1f} s + {new * len(inner):.1f} s of products "
              f"({old * len(inner) / (once + new * len(inner)):.1f}x)")


if __name__ == "__main__":
    main()
