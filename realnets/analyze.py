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
    (:func:`sgdtails.realnets.adapt.prune_arrays`) over the paper's grids :data:`RATIO_GRIDS`
    (``pruning_ratio`` = 1 − κ, the paper states its grids as pruning ratios); ``remaining``
    is the fraction of the model's parameters kept, counted over the whole model (singular value
    pruning: r(m + n + 1) per layer with r the rank left); ``relative_acc`` = accuracy / unpruned accuracy.
    Each layer's SVD is taken once per analysis and cut at every ratio
    (:func:`sgdtails.realnets.adapt.layer_svds`; with ``torch.linalg.svd`` when ``device`` is CUDA).
``synthetic`` (one row per layer, structure and reference)
    The fingerprints of the synthetic references of :func:`sgdtails.analyze`: matrices of the
    layer's shape drawn by :func:`sgdtails.simulator.sample_weights` for each structure ``iid`` /
    ``column`` / ``layer`` at the layer's own α̂ (univariate MMO, capped at 2, ± its standard error).

Conventions
-----------
``conventions="sgdtails"`` (the default) is the project's reading of the paper (SPEC §2–§3).
``conventions="paper_code"`` follows the authors' code, for comparisons with the paper's figures;
it differs in four places (:func:`pruning_options`):

* Singular value pruning sweeps the **singular-value ratio**: at ``pruning_ratio`` ρ of the
  singular grid a layer keeps s − ⌊s·ρ⌋ of its s = min(m, n) singular values (500 values at
  ρ = 0.25 keep 375; ``count="paper"`` of :func:`sgdtails.simulator.masks.singular_rank`), where the
  default reads ρ as a fraction of the layer's *parameters* (the largest r with
  r(m + n + 1) ≤ (1 − ρ)mn: 187 of 500 at ρ = 0.25). ``remaining`` counts r(m + n) numbers per layer
  (the authors' count), at most the layer's mn (a layer whose r(m + n) ≥ mn counts as kept whole,
  so ``remaining`` stays in [0, 1]; for a square layer that is every ρ ≤ 1/2).
* Singular value pruning centres **each column** of the out × (in·kh·kw) matrix on its median
  before the SVD and adds the medians back after it (``center="column_median"``); the default
  centres the layer on its median.
* Node pruning centres **each row** of the matrix whose columns it prunes on its median
  (``center="row_median"``: a ``Linear`` weight's rows, i.e. output units; for a conv weight the
  rows of the (kh·kw) × (out·in) kernel matrix, our reading) — pruned columns hold the row medians.
* The layers table gains the **univariate α̂ of the authors' code**, ``alpha_mmo_paper`` (with
  ``_se``, ``_lo``, ``_hi``; the model table ``mean_alpha_mmo_paper``): the ``method="paper"``
  procedure of :func:`sgdtails.simulator.tail_index` on all entries as one column — median
  centring, K1 ∈ {2, 5, …, 1000} ∩ [2, N/2] plus ≈ √N, median over K1, **capped at 2**, median over
  **5 random permutations** (seed = layer index, as ``alpha_paper``), SPEC §3. ``alpha_mmo``
  (uncapped, one pass) stays, and so do the references of the diagnosis drawn at it.

Magnitude pruning (layer median), ``alpha_paper`` and everything else of the layers table (its
pruning ratios ``pr_*`` of Figure 3 and the diagnosis, by :func:`sgdtails.analyze`) are the same
under both.
``tables.json`` records the conventions, so the two analyses of a run are cached apart.

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

from sgdtails.realnets.adapt import (
    LayerSVD,
    layer_arrays,
    layer_center,
    layer_svds,
    prune_arrays,
    with_arrays,
    write_arrays,
)
from sgdtails.realnets.data import Dataset, load_dataset
from sgdtails.realnets.device import default_device
from sgdtails.realnets.model_analysis import analyze, plain_records
from sgdtails.realnets.models import build_model, default_input_shape
from sgdtails.realnets.train import TrainConfig
from sgdtails.realnets.weights import weight_layers
from sgdtails.simulator import tail_index
from sgdtails.simulator.masks import singular_parameters, singular_rank
from sgdtails.simulator.records import write_csv, write_json
from sgdtails.simulator.validate import check_choice, check_int, check_pruning
from sgdtails.simulator.vocabulary import CONVENTIONS, PRUNINGS

__all__ = [
    "EPS",
    "P",
    "RATIO_GRIDS",
    "TABLES",
    "Run",
    "load_run",
    "find_runs",
    "pruning_options",
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


def _remaining(original: list[np.ndarray], pruned: list[np.ndarray], scheme: str, kappa: float, options: dict,
               svds: Sequence[LayerSVD] | None, centres: Sequence[float | np.ndarray] | None = None) -> float:
    """Fraction of the model's parameters a pruned copy keeps (module docstring).

    Magnitude and node pruning: the entries that differ from their centre (or equal it already).
    Singular values: per layer the numbers of the rank left (the kept values above
    ``numpy.linalg.matrix_rank``'s tolerance, read off the SVD in ``svds``), counted by
    :func:`sgdtails.simulator.masks.singular_parameters` and at most the layer's size; all of a
    layer at κ = 1 (left unchanged), none at κ = 0. ``centres``: the layers'
    :func:`sgdtails.realnets.adapt.layer_center`, if already known.
    """
    total = sum(w.size for w in original)
    kept = 0
    for i, (w, q) in enumerate(zip(original, pruned)):
        if scheme != "singular":
            c = layer_center(w, scheme, options["center"]) if centres is None else centres[i]
            kept += int(np.count_nonzero((q != c) | (w == c)))
        elif kappa == 1.0:
            kept += w.size
        elif kappa > 0.0:
            if svds is None:
                raise ValueError("svds must be given for scheme='singular'")
            m, n = svds[i].svd.shape
            rank = svds[i].svd.rank(singular_rank(kappa, m, n, count=options["count"]))
            kept += min(singular_parameters(rank, m, n, count=options["count"]), w.size)
    return kept / total


def pruning_options(conventions: str, scheme: str) -> dict[str, Any]:
    """``center`` and ``count`` of :func:`sgdtails.realnets.adapt.prune_arrays` for ``scheme`` (module docstring).

    ``"sgdtails"``: every layer centred on its median, singular values counted by parameters.
    ``"paper_code"``: the authors' code — column medians before the SVD and the singular-value
    ratio (``count="paper"``), row medians before node pruning, the layer median for magnitude pruning.
    """
    check_choice(conventions, "conventions", CONVENTIONS)
    if conventions == "sgdtails" or scheme == "magnitude":
        return {"center": "median", "count": "parameters"}
    if scheme == "singular":
        return {"center": "column_median", "count": "paper"}
    return {"center": "row_median", "count": "parameters"}


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


def _pruning_table(run: Run, data: Dataset, device: str, prunings: Sequence[tuple[str, str]],
                   conventions: str = "sgdtails") -> tuple[float, list[dict]]:
    """Base accuracy and the ``pruning`` table; each layer's SVD is taken once (on ``device`` if CUDA).

    The SVDs come first, before any torch evaluation: right after one, torch's CPU threads may still
    spin and slow a NumPy SVD down (measured up to 25× for a 64 × 784 layer on 2 cores). They hold
    U and Vᵀ of every layer (about twice the layers in float64) for the whole sweep.
    """
    model = run.final.to(device)
    original = layer_arrays(model)
    options = {scheme: pruning_options(conventions, scheme) for scheme, _ in prunings}
    svds = {scheme: layer_svds(original, center=options[scheme]["center"], device=device)
            for scheme in options if scheme == "singular"}
    centres = {scheme: [layer_center(w, scheme, options[scheme]["center"]) for w in original]
               for scheme in options if scheme != "singular"}
    base = _accuracy(model, data)
    work = with_arrays(model, original)  # one copy, rewritten for every pruning (not one deep copy each)
    rows = []
    for scheme, scope in prunings:
        for ratio in RATIO_GRIDS[scheme]:
            kappa = 1.0 - ratio
            pruned = prune_arrays(original, kappa, scheme=scheme, scope=scope, svds=svds.get(scheme),
                                  centers=centres.get(scheme), **options[scheme])
            write_arrays(work, pruned)
            acc = _accuracy(work, data)
            rows.append({"run": run.name, "scheme": scheme, "scope": scope, "pruning_ratio": ratio,
                         "remaining": _remaining(original, pruned, scheme, kappa, options[scheme], svds.get(scheme),
                                                 centres.get(scheme)),
                         "test_acc": acc, "relative_acc": acc / base if base > 0 else math.nan})
    return base, rows


def _paper_code_alphas(run: Run, layers: list[dict]) -> None:
    """Add ``alpha_mmo_paper`` (and ``_se``, ``_lo``, ``_hi``) to each row of ``layers`` (module docstring)."""
    source = run.averaged if run.averaged is not None else run.final
    weights = {x.name: x.weight for x in weight_layers(source)[0]}
    for i, row in enumerate(layers):
        try:
            est = tail_index(weights[row["layer"]].reshape(-1, 1), method="paper", seed=i)
            values = {"": est.alpha, "_se": est.se, "_lo": None if est.ci is None else est.ci[0],
                      "_hi": None if est.ci is None else est.ci[1]}
        except ValueError as exc:
            values = dict.fromkeys(("", "_se", "_lo", "_hi"))
            row["note"] = "; ".join(filter(None, (row.get("note"), f"alpha_mmo_paper: {exc}")))
        new = {f"alpha_mmo_paper{k}": v for k, v in values.items()}
        at = list(row).index("alpha_mmo_hi") + 1 if "alpha_mmo_hi" in row else len(row)
        items = list(row.items())
        row.clear()
        row.update(items[:at] + list(new.items()) + items[at:])


def analyze_run(
    run_dir: str | os.PathLike[str],
    *,
    prunings: Sequence[tuple[str, str]] = PRUNINGS,
    synthetic_seeds: int = 4,
    device: str | None = None,
    data_dir: str | None = None,
    write: bool = True,
    overwrite: bool = False,
    conventions: str = "sgdtails",
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
    conventions : {"sgdtails", "paper_code"}
        The project's conventions (default) or the authors' code's, for comparisons with the paper's
        figures (module docstring, "Conventions"). Recorded in the settings of ``tables.json``.
    """
    prunings = [check_pruning(*pair) for pair in prunings]
    check_int(synthetic_seeds, "synthetic_seeds", low=0)
    check_choice(conventions, "conventions", CONVENTIONS)
    path = Path(run_dir)
    settings = {"version": ANALYSIS_VERSION, "prunings": [list(pair) for pair in prunings],
                "synthetic_seeds": synthetic_seeds, "conventions": conventions}
    cached = path / "analysis" / "tables.json"
    if not overwrite and cached.is_file():
        stored = json.loads(cached.read_text())
        if {"conventions": "sgdtails", **stored.get("settings", {})} == settings:  # older files: the default
            return stored["tables"]
    run = load_run(path)
    tables = _analyze(run, prunings, synthetic_seeds, device or default_device(), data_dir, conventions)
    if write:
        write_tables(tables, path / "analysis")
        write_json(path / "analysis" / "tables.json", {"settings": settings, "tables": tables}, indent=None,
                   sort_keys=False)
    return tables


def _analyze(run: Run, prunings: Sequence[tuple[str, str]], synthetic_seeds: int, device: str,
             data_dir: str | None, conventions: str = "sgdtails") -> dict:
    status = run.status
    row = {**_config_columns(run), "status": status["status"], "iterations": status["iterations"],
           "converged_at": status["converged_at"], "train_acc": status["train_acc"],
           "n_params": sum(w.numel() for w in run.final.parameters())}
    finite = all(bool(torch.isfinite(w).all()) for w in run.final.parameters())
    paper_code = conventions == "paper_code"
    if not finite or status["status"] == "diverged":
        row.update(test_acc=None, mean_alpha_paper=None, mean_alpha_mmo=None, alpha_source=None)
        if paper_code:
            row["mean_alpha_mmo_paper"] = None
        return {"model": [row], "layers": [], "pruning": [], "synthetic": []}
    layers, synth = _layer_table(run, synthetic_seeds)
    if paper_code:
        _paper_code_alphas(run, layers)
    data = load_dataset(run.config.dataset, data_dir=data_dir or run.config.data_dir, device=device,
                        teacher=run.config.teacher)
    base, pruning = _pruning_table(run, data, device, prunings, conventions)
    row.update(test_acc=base, alpha_source=layers[0]["alpha_source"],
               mean_alpha_paper=float(np.mean([r["alpha_paper"] for r in layers])),
               mean_alpha_mmo=float(np.mean([r["alpha_mmo"] for r in layers])))
    if paper_code:
        known = [r["alpha_mmo_paper"] for r in layers if r["alpha_mmo_paper"] is not None]
        row["mean_alpha_mmo_paper"] = float(np.mean(known)) if known else None
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
