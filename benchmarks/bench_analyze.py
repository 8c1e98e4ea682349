"""Time ``sgdtails.analyze`` on the paper's FCN4 of width 2048 (MNIST: 14,209,024 parameters, random SαS weights).

Baseline, in the same run: the same per-layer quantities computed with plain NumPy/SciPy calls — a
full sort of |w|² and a cumulative sum for the magnitude ratio, ``numpy.linalg.svd`` for the singular
values, column norms sorted for nodes, and the MMO estimate written directly — without the synthetic
references (the baseline has no diagnosis; ``references=0`` times the same work in sgdtails).

    python benchmarks/bench_analyze.py [--width 2048] [--references 4]
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

import sgdtails as st
from sgdtails.realnets import build_model


def _ratio_sorted(v: np.ndarray, eps: float) -> float:
    """1 − κ_2 by a full sort: the largest m with Σ of the m smallest v² ≤ ε² Σ v²."""
    s = np.sort(np.abs(v.ravel()) ** 2)
    c = np.cumsum(s)
    m = int(np.searchsorted(c, eps * eps * c[-1], side="right"))
    return min(m, s.size - 1) / s.size


def _mmo(x: np.ndarray, k1: int = 10) -> float:
    x = x.ravel() - np.median(x)
    k2 = x.size // k1
    y = x[: k1 * k2].reshape(k2, k1).sum(axis=1)
    inv = (np.mean(np.log(np.abs(y[y != 0]))) - np.mean(np.log(np.abs(x[x != 0])))) / math.log(k1)
    return 1.0 / inv


def baseline(layers: list[np.ndarray], eps: float = 0.1) -> list[dict]:
    rows = []
    for w in layers:
        c = w - np.median(w)
        sigma = np.linalg.svd(c, compute_uv=False)
        rows.append({"alpha_mmo": _mmo(w), "pr_magnitude": _ratio_sorted(c, eps), "pr_singular": _ratio_sorted(sigma, eps),
                     "pr_nodes": _ratio_sorted(np.linalg.norm(c, axis=0), eps)})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--references", type=int, default=4)
    args = ap.parse_args()
    torch.manual_seed(0)
    model = build_model("fcn4", "mnist", width=args.width)
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(torch.from_numpy(st.sample_sas(1.8, tuple(p.shape), seed=i)))
    n = sum(p.numel() for p in model.parameters())
    layers = [p.detach().double().numpy() for p in model.parameters()]
    st.analyze(torch.nn.Linear(64, 64, bias=False), references=2)  # compile the kernels once
    t = time.perf_counter()
    df = st.analyze(model, references=args.references)
    t_full = time.perf_counter() - t
    t = time.perf_counter()
    st.analyze(model, references=0)
    t_noref = time.perf_counter() - t
    t = time.perf_counter()
    base = baseline(layers)
    t_base = time.perf_counter() - t
    print(f"FCN4 width {args.width}: {n:,} parameters, {len(df)} layers")
    print(f"sgdtails.analyze, {args.references} references per structure: {t_full:.1f} s")
    print(f"sgdtails.analyze, no references (same quantities as the baseline, plus the paper estimator, se, d0): {t_noref:.1f} s")
    print(f"plain NumPy/SciPy baseline (sort, svd, column norms, one MMO): {t_base:.1f} s")
    for r, b in zip(df.to_dict("records"), base):
        print(f"  {r['layer']}: pr_magnitude {r['pr_magnitude']:.4f} (baseline {b['pr_magnitude']:.4f}), "
              f"pr_singular {r['pr_singular']:.4f} ({b['pr_singular']:.4f}), diagnosis {r.get('diagnosis')}")


if __name__ == "__main__":
    main()
