r"""``sgdtails.analyze``: the paper's diagnostics, one row per weight layer of any PyTorch model.

``analyze(model)`` reads the weight layers (:mod:`sgdtails.realnets.weights`: ``nn.Module``,
state_dict or checkpoint path; layers pruned with ``torch.nn.utils.prune`` through their effective
weight) and returns a :class:`pandas.DataFrame` with, per layer:

``layer``, ``type``, ``shape``, ``n_params``, ``pruned``
    Module path, ``Linear`` / ``Conv1d`` / ``Conv2d``, torch shape, entries, read through a prune mask.
``alpha_paper`` (``_se``, ``_lo``, ``_hi``)
    α̂ by the paper's multivariate estimator (:func:`sgdtails.simulator.tail_index` ``method="paper"``:
    rows are the vectors — a ``Linear`` weight out × in, **the last layer transposed**, a conv weight
    (out·in) × (k…) — column medians subtracted, capped at 2), its standard error and 95% interval.
``alpha_mmo`` (``_se``, ``_lo``, ``_hi``)
    The univariate MMO estimate on all entries (not capped).
``pr_magnitude``, ``pr_singular``, ``pr_nodes``
    Pruning ratios 1 − κ_p at relative ℓp error ε (S5) by entries, singular values (Schatten-p; one
    SVD per layer) and nodes, after the centring ``center`` (:mod:`sgdtails.realnets.diagnose`).
``alpha_rows``, ``alpha_ref``, ``ref_<structure>_<feature>``, ``loglik_<structure>``, ``<structure>_ref_pvalue``,
``iid_stat``, ``iid_pvalue``, ``closest``, ``margin``, ``separation``, ``diagnosis``
    The HML diagnosis: which of the structures ``iid`` / ``column`` / ``layer`` of Section S1.6.2,
    drawn at the layer's own α̂ (``alpha_ref``) and shape, best matches the layer's pruning ratios
    and row-vector α̂ (:mod:`sgdtails.realnets.diagnose` for the rule and for what cannot be told
    apart). ``iid_stat``, ``iid_pvalue``: the test of "looks i.i.d." by
    :func:`sgdtails.realnets.diagnose.dependence_test` (entry-wise against row-vector MMO α̂, on the
    weights α̂ is estimated from; no references needed, it holds its level).
``d0_theorem1``, ``big_enough``
    Theorem 1's d₀ at α = ``alpha_ref`` (:func:`sgdtails.simulator.theorem1_d0`: the size from which
    P(‖w − w^(κd)‖_p ≤ ε‖w‖_p) ≥ ``confidence`` for i.i.d. SαS entries) and whether ``n_params`` ≥ d₀.
    ``inf`` when α̂ ≥ p or α̂ ≥ 2 (outside the theorem) or beyond the float range.
``note``
    Why a value is missing (a layer too small for an estimator), else empty.

The model-level summary is in ``df.attrs``: ``"model"`` (layers, parameters, the mean α̂s, the
global magnitude pruning ratio of all analysed layers, the diagnoses counted), ``"skipped"`` (the
parameters not analysed, with reasons), ``"references"`` (every synthetic matrix's features) and
``"settings"``.

Reproducibility: layer i uses ``seed=i`` for the paper estimator's row permutations (as
:func:`sgdtails.realnets.analyze_run` always did) and the child i of ``seed`` for its references, so
results do not depend on the thread count.
"""
from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from sgdtails.realnets.diagnose import (
    FEATURES,
    as_torch_layout,
    dependence_test,
    diagnose,
    estimation_rows,
    layer_features,
    reference_features,
)
from sgdtails.realnets.weights import WeightLayer, weight_layers
from sgdtails.simulator import pruning_ratio, tail_index, theorem1_d0
from sgdtails.simulator.streams import SeedLike, as_seed_sequence
from sgdtails.simulator.validate import (
    check_alpha,
    check_choice,
    check_eps,
    check_int,
    check_kappa,
    check_p,
    check_probability,
)
from sgdtails.simulator.vocabulary import STRUCTURES

__all__ = ["ANALYZE_VERSION", "analyze", "plain_records"]

ANALYZE_VERSION = 2


def _estimate(x: np.ndarray, method: str, seed: int) -> tuple[dict, str]:
    """α̂, se and interval of one estimator, or Nones and the reason."""
    try:
        est = tail_index(x, method=method, seed=seed)
    except ValueError as exc:
        return {"": None, "_se": None, "_lo": None, "_hi": None}, str(exc)
    se = getattr(est, "se", None)
    ci = getattr(est, "ci", None)
    return {"": est.alpha, "_se": se, "_lo": None if ci is None else ci[0], "_hi": None if ci is None else ci[1]}, ""


def _layer_alpha(alpha: float | Mapping[str, float] | None, name: str) -> float | None:
    if alpha is None:
        return None
    if isinstance(alpha, Mapping):
        return None if name not in alpha else check_alpha(alpha[name], f"alpha[{name!r}]")
    return check_alpha(alpha)


def _d0(alpha: float | None, p: float, kappa: float, eps: float, confidence: float) -> float | None:
    if alpha is None:
        return None
    if alpha >= min(p, 2.0):
        return math.inf  # p ≤ α or α = 2: outside Theorem 1, no size suffices
    return theorem1_d0(alpha, p=p, kappa=kappa, eps=eps, confidence=confidence, samples=2**20, seed=0)


def _analyze_layer(i: int, layer: WeightLayer, est_weight: np.ndarray, last: bool, *, eps: float, p: float,
                   center: str | None, references: int, alpha: float | None, kappa: float, confidence: float,
                   level: float, iid_level: float, seed: np.random.SeedSequence,
                   cache: dict) -> tuple[dict, list[dict]]:
    w = layer.weight
    transpose = last and w.ndim == 2
    notes = []
    row: dict[str, Any] = {"layer": layer.name, "type": layer.type, "shape": "x".join(map(str, w.shape)),
                           "n_params": int(w.size), "pruned": layer.pruned}
    for method, x in (("paper", estimation_rows(est_weight, transpose)), ("mmo", est_weight.ravel())):
        values, why = _estimate(x, method, i)
        row.update({f"alpha_{method}{k}": v for k, v in values.items()})
        if why:
            notes.append(f"alpha_{method}: {why}")
    feats = layer_features(w, eps, p, center, transpose)
    row.update(feats)
    row["iid_stat"], row["iid_pvalue"] = dependence_test(est_weight, transpose)
    a_ref = alpha if alpha is not None else (None if row["alpha_mmo"] is None else min(float(row["alpha_mmo"]), 2.0))
    se = None if alpha is not None else row["alpha_mmo_se"]
    row["alpha_ref"] = a_ref
    refs: list[dict] = []
    if references > 0 and a_ref is not None:
        refs = reference_features(layer.shape, a_ref, se, references=references, eps=eps, p=p, center=center,
                                  transpose=transpose, seed=seed, cache=cache)
        row.update(diagnose(feats, refs, as_torch_layout(w).shape, level=level,
                            iid_test=(row["iid_stat"], row["iid_pvalue"]), iid_level=iid_level))
    elif references > 0:
        notes.append("no diagnosis: alpha_mmo could not be estimated")
    row["d0_theorem1"] = _d0(a_ref, p, kappa, eps, confidence)
    row["big_enough"] = None if row["d0_theorem1"] is None else bool(w.size >= row["d0_theorem1"])
    row["note"] = "; ".join(notes)
    return row, [{"layer": layer.name, **r} for r in refs]


def _alpha_layers(alpha_weights: object, layers: list[WeightLayer]) -> list[np.ndarray]:
    if alpha_weights is None:
        return [layer.weight for layer in layers]
    other, _ = weight_layers(alpha_weights)
    by_name = {x.name: x for x in other}
    out = []
    for layer in layers:
        x = by_name.get(layer.name)
        if x is None or x.shape != layer.shape:
            got = "missing" if x is None else f"shape {x.shape}"
            raise ValueError(f"alpha_weights: layer {layer.name} must match the model's (shape {layer.shape}), got {got}")
        out.append(x.weight)
    return out


def _summary(df: pd.DataFrame, layers: list[WeightLayer], eps: float, p: float, center: str | None) -> dict:
    def mean(col: str) -> float | None:
        vals = [v for v in df[col] if v is not None and not (isinstance(v, float) and math.isnan(v))]
        return float(np.mean(vals)) if vals else None

    centred = [x.weight - np.median(x.weight) if center == "median" else x.weight for x in layers]
    summary: dict[str, Any] = {"n_layers": len(layers), "n_params": int(sum(x.weight.size for x in layers)),
               "mean_alpha_paper": mean("alpha_paper"), "mean_alpha_mmo": mean("alpha_mmo"),
               "pr_magnitude_global": pruning_ratio(centred, eps, p=p, scheme="magnitude")}
    if "diagnosis" in df:
        summary["diagnoses"] = {d: int((df["diagnosis"] == d).sum()) for d in (*STRUCTURES, "ambiguous", "none")}
    summary["big_enough"] = int(sum(bool(b) for b in df["big_enough"] if b is not None))
    return summary


def _plain(v: Any) -> Any:
    """NumPy scalars and NaN (pandas' fill for a missing value) as JSON/CSV-ready Python values."""
    if isinstance(v, np.generic):
        v = v.item()
    return None if isinstance(v, float) and math.isnan(v) else v


def plain_records(rows: pd.DataFrame | list[dict]) -> list[dict]:
    """The rows of an :func:`analyze` table (or of ``df.attrs["references"]``) as dicts of plain Python values."""
    records = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else rows
    return [{str(k): _plain(v) for k, v in r.items()} for r in records]


def analyze(
    obj: object,
    eps: float = 0.1,
    p: float = 2.0,
    *,
    center: str | None = "median",
    references: int = 4,
    alpha: float | Mapping[str, float] | None = None,
    alpha_weights: object = None,
    kappa: float = 0.1,
    confidence: float = 0.9,
    level: float = 0.001,
    iid_level: float = 0.05,
    seed: SeedLike = 0,
    progress: bool = False,
) -> pd.DataFrame:
    r"""Per-layer tail indices, pruning ratios, HML diagnosis and Theorem 1 size of any model (module docstring).

    Parameters
    ----------
    obj : nn.Module, state_dict or path
        The model, its state_dict, or a ``.pt`` / ``.pth`` checkpoint (read with ``weights_only=True``;
        a folder holding one checkpoint, or a run directory, also works).
    eps, p : float
        Error level ε > 0 and exponent p > 0 of the pruning ratios 1 − κ_p(w, ε) (S5); the paper's
        Figure 3 uses ε = 0.1, p = 2.
    center : {"median", None}
        Subtract each layer's median before pruning (the paper's Figure 3), or not.
    references : int
        Synthetic matrices per structure and layer (0: no diagnosis; ≥ 2 for p-values).
    alpha : float or mapping of layer name to float, optional
        The α at which references and d₀ are drawn, instead of each layer's α̂ (e.g. an α known from
        elsewhere: the only way to single out a ``layer`` structure, see
        :mod:`sgdtails.realnets.diagnose`).
    alpha_weights : nn.Module, state_dict or path, optional
        Weights of the same layers from which α̂ is estimated (the paper estimates α̂ on the averaged
        SGD iterates and prunes the final ones); default ``obj``.
    kappa, confidence : float
        κ and level c of Theorem 1's d₀.
    level : float
        A diagnosis is ``"none"`` when the closest structure's p-value is below this.
    iid_level : float
        Level of the "looks i.i.d." test (``iid_pvalue``) where it decides between ``iid`` and
        ``column`` (:func:`sgdtails.realnets.diagnose.diagnose`).
    seed : seed-like
        Root seed of the synthetic references.
    progress : bool
        A progress bar over the layers.

    Returns
    -------
    pandas.DataFrame
        One row per weight layer; ``attrs`` holds the model summary, skipped parameters, the
        references and the settings.
    """
    e = check_eps(eps, positive=True)
    q = check_p(p)
    check_choice(center, "center", ("median", None))
    r = check_int(references, "references", low=0)
    k = check_kappa(kappa)
    c = check_probability(confidence, "confidence")
    lv = check_probability(level, "level", low_open=False)
    il = check_probability(iid_level, "iid_level", low_open=False)
    if isinstance(alpha, Mapping):
        for name in alpha:
            check_alpha(alpha[name], f"alpha[{name!r}]")
    elif alpha is not None:
        check_alpha(alpha)
    root = as_seed_sequence(seed)
    layers, skipped = weight_layers(obj)
    est = _alpha_layers(alpha_weights, layers)
    rows, refs = [], []
    cache: dict = {}
    bar = tqdm(list(enumerate(layers)), desc="analyze", unit="layer", disable=not progress)
    for i, layer in bar:
        bar.set_postfix_str(layer.name, refresh=False)
        child = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, i))
        row, layer_refs = _analyze_layer(i, layer, est[i], i == len(layers) - 1, eps=e, p=q, center=center,
                                         references=r, alpha=_layer_alpha(alpha, layer.name), kappa=k,
                                         confidence=c, level=lv, iid_level=il, seed=child,
                                         cache=cache)
        rows.append(row)
        refs.extend(layer_refs)
    df = pd.DataFrame(rows)
    df.attrs["model"] = _summary(df, layers, e, q, center)
    df.attrs["skipped"] = [asdict(s) for s in skipped]
    df.attrs["references"] = refs
    df.attrs["settings"] = {"version": ANALYZE_VERSION, "eps": e, "p": q, "center": center, "references": r,
                            "alpha": None if alpha is None else (dict(alpha) if isinstance(alpha, Mapping) else alpha),
                            "kappa": k, "confidence": c, "level": lv, "iid_level": il,
                            "seed": root.entropy if isinstance(root.entropy, int) else str(root.entropy),
                            "features": list(FEATURES),
                            "source": os.fspath(obj) if isinstance(obj, (str, os.PathLike)) else type(obj).__name__}
    return df
