"""Analysis of trained runs: tail indices, compressibility, pruning curves, trained vs synthetic (docs/theory.md §6).

:func:`analyze_run` reads one run directory written by :func:`sgdtails.realnets.train` and returns tidy
tables (lists of flat dicts), also written as CSV to ``run_dir/analysis/`` (and ``tables.json``,
which later calls reuse). :func:`analyze_runs` concatenates the tables of many runs.

Tables
------
``model`` (one row)
    The run's config (η, b, η/b, …), status, iterations, accuracies, the number of parameters, and
    the mean over layers of α̂ (paper convention and univariate MMO) — the per-model figure of
    Figures 1 and 7. ``test_acc`` is the accuracy of the *final* weights, the base of the relative
    accuracies.
``layers`` (one row per layer)
    α̂ by :func:`sgdtails.simulator.tail_index` with ``method="paper"`` (rows are the vectors: a ``Linear``
    weight out × in as is, the last layer transposed, a conv weight as (out·in) × (kh·kw); capped at 2)
    and ``method="mmo"`` (all entries, univariate, not capped), both on the **averaged** weights
    (``alpha_source = "averaged"``; runs that did not converge have none and use the final
    weights, ``"final"``). Pruning ratios 1 − κ_2(w, 0.1) of the **final**, median-centred layer
    (Figure 3): ``pr_magnitude`` (entries), ``pr_singular`` (fraction of singular values, Theorem 2's
    count; conv as out × (in·kh·kw)), ``pr_nodes`` (columns; conv: kh×kw kernels). Then the
    trained-vs-synthetic comparison (below).
``pruning`` (one row per pruning — ``scheme`` and ``scope`` — and pruning ratio 1 − κ)
    Test accuracy after pruning every layer of the final weights with median centring
    (:func:`sgdtails.realnets.adapt.prune_model`) over the paper's grids :data:`RATIO_GRIDS`
    (``pruning_ratio`` = 1 − κ, the paper states its grids as pruning ratios); ``remaining``
    is the fraction of the model's parameters kept, counted over the whole model (singular value
    pruning: r(m + n + 1) per layer with r the rank left); ``relative_acc`` = accuracy / unpruned accuracy.
``synthetic`` (one row per layer, structure and reference)
    The fingerprints of the synthetic references of :func:`sgdtails.analyze`: matrices of the
    layer's shape drawn by :func:`sgdtails.simulator.sample_weights` for each structure ``iid`` /
    ``column`` / ``layer`` at the layer's own α̂ (univariate MMO, capped at 2, ± its standard error).

The ``layers`` table is :func:`sgdtails.analyze` of the final weights with α̂ estimated on the
averaged ones, so its ``diagnosis`` (and ``closest``, ``margin``, ``iid_pvalue`` …) follow the rule of
:mod:`sgdtails.realnets.diagnose`; ``pr_gap`` = layer's ``pr_magnitude`` − the mean ``iid``
reference's (positive: more compressible than i.i.d. SαS at its own α̂).
"""
from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sgdtails.realnets.adapt import as_matrix, layer_arrays, prune_arrays, with_arrays
from sgdtails.realnets.data import Dataset, load_dataset
from sgdtails.realnets.device import default_device
from sgdtails.realnets.model_analysis import analyze, plain_records
from sgdtails.realnets.models import build_model, default_input_shape
from sgdtails.realnets.train import TrainConfig
from sgdtails.simulator.records import write_csv, write_json
from sgdtails.simulator.validate import check_int, check_pruning
from sgdtails.simulator.vocabulary import PRUNINGS

__all__ = [
    "EPS",
    "P",
    "RATIO_GRIDS",
    "TABLES",
    "Run",
    "load_run",
    "find_runs",
    "analyze_run",
    "analyze_runs",
    "write_tables",
]

EPS, P = 0.1, 2.0
TABLES = ("model", "layers", "pruning", "synthetic")
ANALYSIS_VERSION = 5


def _grid(*parts: Iterable[float]) -> tuple[float, ...]:
    return tuple(sorted({round(float(v), 6) for part in parts for v in part}))


_MAGNITUDE = _grid((0, 0.1, 0.2, 0.3, 0.4), np.arange(0.5, 1.0 + 1e-9, 0.025))
#: The paper's grids of pruning ratios 1 − κ (docs/theory.md §6), per scheme (both scopes of
#: magnitude pruning use the magnitude grid).
RATIO_GRIDS = {
    "magnitude": _MAGNITUDE,
    "singular": _grid((0, 0.25, 0.5, 0.6), np.arange(0.65, 0.9 + 1e-9, 0.05), np.arange(0.91, 1.0 + 1e-9, 0.01)),
    "nodes": _grid(np.arange(0.0, 1.0 + 1e-9, 0.05)),
}


@dataclass(frozen=True)
class Run:
    """A finished run loaded from its directory."""

    path: Path
    config: TrainConfig
    status: dict
    final: nn.Module
    averaged: nn.Module | None

    @property
    def name(self) -> str:
        """The run's name: its directory's name."""
        return self.path.name


def _model(config: TrainConfig, state: dict, shape: tuple[int, ...], classes: int) -> nn.Module:
    model = build_model(config.model, config.dataset, width=config.width, depth=config.depth,
                        input_shape=shape, num_classes=classes)
    model.load_state_dict(state)
    return model.eval()


def load_run(run_dir: str | os.PathLike[str]) -> Run:
    """Load a finished run (``config.json``, ``status.json``, the final and averaged weights) on the CPU."""
    path = Path(run_dir)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(f"{path}: not a run directory (no config.json)")
    if not (path / "status.json").is_file():
        raise FileNotFoundError(f"{path}: the run has not finished (no status.json)")
    config = TrainConfig.from_dict(json.loads((path / "config.json").read_text()))
    status = json.loads((path / "status.json").read_text())
    final = torch.load(path / "final_weights.pt", map_location="cpu", weights_only=True)
    shape = default_input_shape(config.dataset)
    classes = list(final.values())[-1].shape[0]
    avg_path = path / "averaged_weights.pt"
    averaged = None
    if avg_path.is_file():
        averaged = _model(config, torch.load(avg_path, map_location="cpu", weights_only=True), shape, classes)
    return Run(path, config, status, _model(config, final, shape, classes), averaged)


def find_runs(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Run directories among ``paths``: each path is a run (has ``config.json``) or a folder of runs.

    In a folder, only finished runs (with ``status.json``) are taken, so a sweep still in progress
    can be analysed; a run named directly must have finished (:func:`load_run` says so otherwise).
    """
    runs: list[Path] = []
    for p in map(Path, paths):
        if (p / "config.json").is_file():
            runs.append(p)
        elif p.is_dir():
            found = sorted(d for d in p.iterdir() if (d / "config.json").is_file() and (d / "status.json").is_file())
            if not found:
                raise FileNotFoundError(f"{p}: neither a run directory nor a folder of finished runs")
            runs.extend(found)
        else:
            raise FileNotFoundError(f"{p}: no such run directory")
    return runs


# ----------------------------------------------------------------------------------- measures
@torch.no_grad()
def _accuracy(model: nn.Module, data: Dataset, chunk: int = 1000) -> float:
    model.eval()
    correct = 0
    for start in range(0, len(data.x_test), chunk):
        out = model(data.x_test[start:start + chunk])
        correct += int((out.argmax(1) == data.y_test[start:start + chunk]).sum())
    return correct / len(data.x_test)


def _remaining(original: list[np.ndarray], pruned: list[np.ndarray], scheme: str, center: bool) -> float:
    """Fraction of the model's parameters a pruned copy keeps (module docstring)."""
    total = sum(w.size for w in original)
    kept = 0
    for w, q in zip(original, pruned):
        c = float(np.median(w)) if center else 0.0
        if scheme != "singular":
            kept += int(np.count_nonzero((q != c) | (w == c)))
        elif np.array_equal(w, q):
            kept += w.size
        else:
            m = as_matrix(q - c, "singular")
            r = int(np.linalg.matrix_rank(m)) if np.any(m) else 0
            kept += r * (m.shape[0] + m.shape[1] + 1)
    return kept / total


# ------------------------------------------------------------------------------------- tables
def _config_columns(run: Run) -> dict:
    c = run.config
    return {"run": run.name, "model": c.model, "dataset": c.dataset, "width": c.width, "depth": c.depth,
            "lr": c.lr, "batch_size": c.batch_size, "eta_over_b": c.lr / c.batch_size, "seed": c.seed}


def _layer_table(run: Run, synthetic_seeds: int) -> tuple[list[dict], list[dict]]:
    """The ``layers`` and ``synthetic`` tables: :func:`sgdtails.analyze` of the final weights, α̂ of the averaged."""
    source = "averaged" if run.averaged is not None else "final"
    df = analyze(run.final, EPS, P, center="median", references=synthetic_seeds, alpha_weights=run.averaged,
                 seed=np.random.SeedSequence([run.config.seed]))
    layers = []
    for row in plain_records(df):
        row = {"run": run.name, **row, "alpha_source": source}
        if synthetic_seeds > 0:
            row["pr_gap"] = row["pr_magnitude"] - row["ref_iid_magnitude"]
        layers.append(row)
    synth = [{"run": run.name, **r} for r in plain_records(df.attrs["references"])]
    return layers, synth


def _pruning_table(run: Run, data: Dataset, device: str, prunings: Sequence[tuple[str, str]]) -> tuple[float, list[dict]]:
    model = run.final.to(device)
    base = _accuracy(model, data)
    original = layer_arrays(model)
    rows = []
    for scheme, scope in prunings:
        for ratio in RATIO_GRIDS[scheme]:
            pruned = prune_arrays(original, 1.0 - ratio, scheme=scheme, scope=scope, center="median")
            acc = _accuracy(with_arrays(model, pruned), data)
            rows.append({"run": run.name, "scheme": scheme, "scope": scope, "pruning_ratio": ratio,
                         "remaining": _remaining(original, pruned, scheme, True),
                         "test_acc": acc, "relative_acc": acc / base if base > 0 else math.nan})
    return base, rows


def analyze_run(
    run_dir: str | os.PathLike[str],
    *,
    prunings: Sequence[tuple[str, str]] = PRUNINGS,
    synthetic_seeds: int = 3,
    device: str | None = None,
    data_dir: str | None = None,
    write: bool = True,
    overwrite: bool = False,
) -> dict[str, list[dict]]:
    """Analyse one finished run (module docstring); returns ``{table name: rows}``.

    Parameters
    ----------
    run_dir : path
        A directory written by :func:`sgdtails.realnets.train`.
    prunings : sequence of (scheme, scope)
        The prunings of the ``pruning`` table (default: all four of
        :data:`sgdtails.simulator.vocabulary.PRUNINGS`).
    synthetic_seeds : int
        Synthetic matrices per layer and structure (0: no comparison).
    device : str, optional
        Where the pruned models are evaluated (default: cuda if available, else cpu).
    data_dir : str, optional
        Overrides the run's ``data_dir`` (MNIST / CIFAR10 files moved elsewhere).
    write : bool
        Write ``analysis/<table>.csv`` and ``analysis/tables.json`` into ``run_dir``.
    overwrite : bool
        Recompute even if ``analysis/tables.json`` of the same settings exists.
    """
    prunings = [check_pruning(*pair) for pair in prunings]
    check_int(synthetic_seeds, "synthetic_seeds", low=0)
    path = Path(run_dir)
    settings = {"version": ANALYSIS_VERSION, "prunings": [list(pair) for pair in prunings],
                "synthetic_seeds": synthetic_seeds}
    cached = path / "analysis" / "tables.json"
    if not overwrite and cached.is_file():
        stored = json.loads(cached.read_text())
        if stored.get("settings") == settings:
            return stored["tables"]
    run = load_run(path)
    tables = _analyze(run, prunings, synthetic_seeds, device or default_device(), data_dir)
    if write:
        write_tables(tables, path / "analysis")
        write_json(path / "analysis" / "tables.json", {"settings": settings, "tables": tables}, indent=None,
                   sort_keys=False)
    return tables


def _analyze(run: Run, prunings: Sequence[tuple[str, str]], synthetic_seeds: int, device: str,
             data_dir: str | None) -> dict:
    status = run.status
    row = {**_config_columns(run), "status": status["status"], "iterations": status["iterations"],
           "converged_at": status["converged_at"], "train_acc": status["train_acc"],
           "n_params": sum(w.numel() for w in run.final.parameters())}
    finite = all(bool(torch.isfinite(w).all()) for w in run.final.parameters())
    if not finite or status["status"] == "diverged":
        row.update(test_acc=None, mean_alpha_paper=None, mean_alpha_mmo=None, alpha_source=None)
        return {"model": [row], "layers": [], "pruning": [], "synthetic": []}
    layers, synth = _layer_table(run, synthetic_seeds)
    data = load_dataset(run.config.dataset, data_dir=data_dir or run.config.data_dir, device=device,
                        teacher=run.config.teacher)
    base, pruning = _pruning_table(run, data, device, prunings)
    row.update(test_acc=base, alpha_source=layers[0]["alpha_source"],
               mean_alpha_paper=float(np.mean([r["alpha_paper"] for r in layers])),
               mean_alpha_mmo=float(np.mean([r["alpha_mmo"] for r in layers])))
    return {"model": [row], "layers": layers, "pruning": pruning, "synthetic": synth}


def analyze_runs(dirs: Iterable[str | os.PathLike[str]], **kw: Any) -> dict[str, list[dict]]:
    """:func:`analyze_run` on every run among ``dirs`` (runs or folders of runs); tables concatenated."""
    out: dict[str, list[dict]] = {t: [] for t in TABLES}
    for run_dir in find_runs(dirs):
        for name, rows in analyze_run(run_dir, **kw).items():
            out[name].extend(rows)
    return out


def write_tables(tables: dict[str, list[dict]], out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write each table as ``<name>.csv`` (columns = union of keys in first-seen order)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [write_csv(out / f"{name}.csv", rows) for name, rows in tables.items()]
