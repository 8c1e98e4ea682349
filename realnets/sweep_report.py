"""The numbers of a real-network sweep, as a Markdown report (docs/realnets_cpu_sweep.md is one).

:func:`sweep_report` takes the combined tables of :func:`sgdtails.realnets.analyze.analyze_runs` and
answers the paper's questions with the numbers behind them:

1. **Runs**: one row per run (b, η/b, seed, status, iterations, test accuracy, mean α̂ by the paper's
   estimator with and without the last layer, the last layer's α̂, mean univariate MMO α̂, the mean
   pruning ratio at ε = 0.1 of the hidden layers, and the AUC of each pruning).
2. **Per η/b**: mean ± sd over the runs at each η/b of the mean α̂ (both estimators) and test accuracy.
3. **Rank correlations** (Spearman, over the converged runs): η/b and mean α̂, mean α̂ and each AUC,
   η/b and the AUCs, mean α̂ / η/b and test accuracy; and the *partial* ones given log η/b and b:
   both variables replaced by their residuals from a least-squares fit on (1, log η/b, b), so that
   what α̂ adds beyond the step size shows.
4. **Trained layers against synthetic matrices** of their own shape and α̂ (the ``layers`` table's
   references and diagnosis, :mod:`sgdtails.realnets.diagnose`), per layer shape.

AUC of a pruning (scheme, scope): the area under relative test accuracy against the *achieved*
pruning ratio x = 1 − ``remaining`` on [0, 1], by the trapezoidal rule over the run's points sorted
by x, with (0, 1) (nothing pruned) prepended and the last accuracy held flat to x = 1. 1 is a model
that loses nothing however much is pruned; a model whose accuracy collapses at once scores near 0.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

__all__ = ["auc", "partial_spearman", "sweep_report"]

_PRUNINGS = (("magnitude", "layer"), ("magnitude", "global"), ("singular", "layer"), ("nodes", "layer"))
_SHORT = {("magnitude", "layer"): "mag", ("magnitude", "global"): "global", ("singular", "layer"): "sing",
          ("nodes", "layer"): "nodes"}


def auc(points: Sequence[tuple[float, float]]) -> float:
    """Area under (achieved pruning ratio, relative accuracy) on [0, 1] (module docstring)."""
    if not points:
        raise ValueError("auc needs at least one (pruning ratio, relative accuracy) point")
    pts = sorted((float(x), float(y)) for x, y in points)
    if any(not (0.0 <= x <= 1.0) or not math.isfinite(y) for x, y in pts):
        raise ValueError("pruning ratios must lie in [0, 1] and accuracies be finite")
    xs = [0.0] + [x for x, _ in pts] + [1.0]
    ys = [1.0] + [y for _, y in pts] + [pts[-1][1]]
    return float(np.trapezoid(ys, xs))


def _residuals(v: np.ndarray, design: np.ndarray) -> np.ndarray:
    coef, *_ = np.linalg.lstsq(design, v, rcond=None)
    return v - design @ coef


def partial_spearman(x: Sequence[float], y: Sequence[float], controls: Sequence[Sequence[float]]) -> tuple[float, float]:
    """Spearman ρ and p of the residuals of x and y after a least-squares fit on (1, *controls)."""
    xa, ya = np.asarray(x, float), np.asarray(y, float)
    design = np.column_stack([np.ones_like(xa), *[np.asarray(c, float) for c in controls]])
    rho, p = stats.spearmanr(_residuals(xa, design), _residuals(ya, design))
    return float(rho), float(p)


def _fmt(v: object, digits: int = 3) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}" if abs(v) >= 10 ** -digits or v == 0 else f"{v:.2g}"
    return str(v)


def _table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_fmt(v) if not isinstance(v, str) else v for v in row) + " |" for row in rows]
    return out


def _p(p: float) -> str:
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


def _run_rows(tables: dict) -> list[dict]:
    """Per run: the model row plus its per-layer summaries and AUCs."""
    layers: dict[str, list[dict]] = {}
    for r in tables["layers"]:
        layers.setdefault(r["run"], []).append(r)
    points: dict[tuple[str, str, str], list[tuple[float, float]]] = {}
    for r in tables["pruning"]:
        if r.get("relative_acc") is not None and math.isfinite(r["relative_acc"]):
            points.setdefault((r["run"], r["scheme"], r["scope"]), []).append((1.0 - r["remaining"], r["relative_acc"]))
    out = []
    for m in tables["model"]:
        row = dict(m)
        ls = layers.get(m["run"], [])
        if ls and m.get("mean_alpha_paper") is not None:
            row["alpha_wo_last"] = float(np.mean([r["alpha_paper"] for r in ls[:-1]])) if len(ls) > 1 else None
            row["alpha_last"] = ls[-1]["alpha_paper"]
            hidden = ls[1:-1] or ls
            row["pr_hidden"] = float(np.mean([r["pr_magnitude"] for r in hidden]))
        for pruning in _PRUNINGS:
            pts = points.get((m["run"], *pruning))
            row[f"auc_{_SHORT[pruning]}"] = auc(pts) if pts else None
        out.append(row)
    return sorted(out, key=lambda r: (r["seed"], r["batch_size"], r["eta_over_b"]))


def _spearman_lines(runs: list[dict]) -> list[str]:
    ok = [r for r in runs if r["status"] == "converged" and r.get("mean_alpha_paper") is not None]
    if len(ok) < 4:
        return [f"Too few converged runs ({len(ok)}) for rank correlations."]

    def col(key: str) -> list[float] | None:
        vals = [r.get(key) for r in ok]
        return None if any(v is None for v in vals) else [float(v) for v in vals]  # type: ignore[arg-type]

    eta, alpha = col("eta_over_b"), col("mean_alpha_paper")
    assert eta is not None and alpha is not None
    controls: list[Sequence[float]] = [list(np.log(eta)), [float(r["batch_size"]) for r in ok]]
    aucs = [(" ".join(p), col(f"auc_{_SHORT[p]}")) for p in _PRUNINGS]
    pairs: list[tuple[str, list[float] | None, list[float] | None, bool]] = [
        ("η/b vs mean α̂ (paper)", eta, alpha, False),
        ("η/b vs mean α̂ (univariate MMO)", eta, col("mean_alpha_mmo"), False),
        ("η/b vs mean α̂ without the last layer", eta, col("alpha_wo_last"), False),
        *[(f"mean α̂ vs AUC, {name}", alpha, a, False) for name, a in aucs],
        *[(f"η/b vs AUC, {name}", eta, a, False) for name, a in aucs],
        ("mean α̂ vs test accuracy", alpha, col("test_acc"), False),
        ("η/b vs test accuracy", eta, col("test_acc"), False),
        *[(f"*given log η/b and b*: mean α̂ vs AUC {name}", alpha, a, True) for name, a in aucs],
        ("*given log η/b and b*: mean α̂ vs test accuracy", alpha, col("test_acc"), True),
    ]
    rows = []
    for name, x, y, partial in pairs:
        if x is None or y is None:
            continue
        rho, p = partial_spearman(x, y, controls) if partial else partial_spearman(x, y, [])
        rows.append((name, f"{rho:+.2f}", _p(p)))
    return [f"Spearman rank correlations over the {len(ok)} converged runs:", "", *_table(("pair", "ρ", "p"), rows)]


def _layer_lines(tables: dict) -> list[str]:
    layers = [r for r in tables["layers"] if r.get("diagnosis") is not None]
    if not layers:
        return ["No layer has a synthetic comparison (analysed with synthetic_seeds=0)."]
    rows = []
    for shape in sorted({r["shape"] for r in layers}, key=lambda s: [int(v) for v in s.split("x")]):
        sel = [r for r in layers if r["shape"] == shape]

        def rng(key: str, rows: list[dict] = sel) -> str:
            vals = [r[key] for r in rows if r.get(key) is not None]
            return f"{min(vals):.3f}–{max(vals):.3f}" if vals else "—"

        refs = " / ".join(f"{np.mean([r[f'ref_{s}_magnitude'] for r in sel]):.3f}" for s in ("iid", "column", "layer"))
        counts = {d: sum(r["diagnosis"] == d for r in sel) for d in ("iid", "column", "layer", "ambiguous", "none")}
        diag = ", ".join(f"{n} {d}" for d, n in counts.items() if n)
        tested = [r for r in sel if r.get("iid_pvalue") is not None]
        rejected = [r for r in tested if r["iid_pvalue"] < 0.05]
        neg = sum(r["iid_stat"] < 0 for r in rejected)
        gaps = [r["pr_gap"] for r in sel if r.get("pr_gap") is not None]
        rows.append((shape, str(len(sel)), rng("alpha_paper"), rng("alpha_mmo"), rng("pr_magnitude"), refs,
                     f"{sum(g < 0 for g in gaps)} ({np.mean(gaps):+.3f})",
                     f"{len(rejected)} of {len(tested)} ({neg} with t < 0)", diag))
    gaps = [r["pr_gap"] for r in layers if r.get("pr_gap") is not None]
    return [f"Trained layers against synthetic matrices of their shape at their own α̂ ({len(layers)} layers; "
            "references at the univariate MMO α̂ capped at 2, diagnosis by `realnets.diagnose`):", "",
            *_table(("shape", "layers", "α̂ (paper)", "α̂ (MMO)", "pruning ratio at 0.1",
                     "synthetic iid / column / layer", "below iid (mean gap)", "'looks i.i.d.' rejected at 0.05",
                     "diagnoses"), rows),
            "", f"{sum(g < 0 for g in gaps)} of {len(gaps)} layers prune less than i.i.d. SαS at their own α̂."]


def sweep_report(tables: dict, *, title: str = "Sweep report") -> str:
    """A Markdown report of the combined tables of a sweep (module docstring)."""
    for name in ("model", "layers", "pruning"):
        if name not in tables:
            raise ValueError(f"sweep_report needs the {name!r} table of analyze_runs")
    if not tables["model"]:
        raise ValueError("sweep_report: no runs in the tables")
    runs = _run_rows(tables)
    status: dict[str, int] = {}
    for r in runs:
        status[r["status"]] = status.get(r["status"], 0) + 1
    header = ("b", "η/b", "seed", "status", "iters", "test acc", "mean α̂ (paper)", "α̂ w/o last", "last-layer α̂",
              "mean α̂ (MMO)", "hidden pr@0.1", *[f"AUC {_SHORT[p]}" for p in _PRUNINGS])
    run_rows = [(r["batch_size"], f"{r['eta_over_b']:.3g}", r["seed"], r["status"], r["iterations"], r.get("test_acc"),
                 r.get("mean_alpha_paper"), r.get("alpha_wo_last"), r.get("alpha_last"), r.get("mean_alpha_mmo"),
                 r.get("pr_hidden"), *[r.get(f"auc_{_SHORT[p]}") for p in _PRUNINGS]) for r in runs]
    per_eta = []
    for eta in sorted({r["eta_over_b"] for r in runs}):
        sel = [r for r in runs if r["eta_over_b"] == eta and r.get("mean_alpha_paper") is not None]
        if not sel:
            per_eta.append((f"{eta:.3g}", "diverged", "—", "—"))
            continue
        a = [r["mean_alpha_paper"] for r in sel]
        per_eta.append((f"{eta:.3g}", f"{np.mean(a):.3f} ± {np.std(a, ddof=1) if len(a) > 1 else 0.0:.3f}",
                        f"{np.mean([r['mean_alpha_mmo'] for r in sel]):.3f}",
                        f"{np.mean([r['test_acc'] for r in sel]):.3f}"))
    lines = [f"# {title}", "", "Runs: " + ", ".join(f"{n} {s}" for s, n in sorted(status.items())) + ".", "",
             *_table(header, run_rows), "",
             "Per η/b (all runs at that η/b), mean ± sd of the mean α̂:", "",
             *_table(("η/b", "mean α̂ (paper)", "mean α̂ (MMO)", "test accuracy"), per_eta), "",
             *_spearman_lines(runs), "", *_layer_lines(tables), ""]
    return "\n".join(lines)
