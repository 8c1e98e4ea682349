r"""Pruning ratios of one layer and the HML diagnosis against synthetic matrices (docs/theory.md §6).

**Pruning ratios** at relative ℓp error ε (S5), of the layer after the chosen centring (the paper's
Figure 3 subtracts the layer's median; ``center=None`` uses the raw weights):
``pr_magnitude`` = 1 − κ_p over the entries, ``pr_singular`` = 1 − κ_p over the singular values
(Schatten-p error, Frobenius at p = 2: Theorem 2's count; one SVD per layer gives the ratio at any ε)
and ``pr_nodes`` = 1 − κ_p over the columns ranked by their ℓp norms (Theorem 3). The matrices: a
``Linear`` weight (out × in) as it is; a conv weight (out, in, k…) as out × (in·k…) for the singular
values and with its kernels as the columns for nodes (:func:`sgdtails.realnets.adapt.as_matrix`);
``Conv1d`` like ``Conv2d`` with one kernel row.

**Synthetic references.** For each structure of Section S1.6.2 (``iid``, ``column``, ``layer``),
``references`` matrices of the layer's matrix shape (out × (in·k…)) are drawn by
:func:`sgdtails.simulator.sample_weights`, reshaped to the layer's own shape, centred and pruned the
same way. They are drawn at the layer's own α̂: by default its univariate MMO estimate (the index of
the entries' marginal law, which is what ``sample_weights`` fixes for every structure; the paper's
row-vector estimator returns ≈ 2 on a ``column`` matrix, whose rows sum like Gaussians), capped at 2.
Reference j uses α_j = α̂ + se·z_j (z_j standard normal, se the standard error of α̂), so the
references carry the uncertainty of α̂ as well as the seed-to-seed spread.

**Diagnosis.** The fingerprint f of a layer is its three pruning ratios and ``alpha_rows``, the
multivariate MMO α̂ with the estimation rows (:func:`estimation_rows`) as the vectors: ≈ α for an
``iid`` matrix, ≈ 2 for ``column`` and ``layer`` ones (their rows sum like Gaussians). For each
structure s, with centre c_s (median of its references) and spread s_s (1.4826·MAD, floored at one
count of each ratio and 0.01 for ``alpha_rows``):

* ``loglik_<s>`` = −Σ_k |f_k − c_s,k|/s_s,k − Σ_k log s_s,k (a Laplace log-likelihood: an outlying
  feature costs linearly, not quadratically) and ``closest`` = the s of largest ``loglik``;
* ``<s>_ref_pvalue``: a prediction test that f was drawn like the references of s: per feature,
  t_k = |f_k − mean_k| / (sd_k √(1 + 1/R)) (sd floored as above), referred to Student's t with R − 1
  degrees of freedom (R references), Bonferroni over the features: min(1, K·min_k 2P(T > t_k)).
  Approximate: the ratio features are heavy-tailed (a few huge entries can hold almost all of
  ‖w‖²), so with few references it is anti-conservative (i.i.d. layers of 256 × 128 at α = 1.5–1.8
  get ``iid_ref_pvalue`` < 0.01 in 2 of 4 seeds); it only decides ``"none"``, at level 0.001;
* the test of "looks i.i.d." is not this one but :func:`dependence_test` (``iid_stat``,
  ``iid_pvalue`` of :func:`sgdtails.analyze`), which needs no references and holds its level;
* ``diagnosis``, in this order: ``"none"`` when the closest structure's p-value is below ``level``
  (0.001). Otherwise, when the layer's :func:`dependence_test` is available, the ``iid`` and
  ``column`` reference clouds are at least 2 spreads apart (``separation``; at α̂ ≈ 2 they are one
  Gaussian law) and ``layer`` is not the closest by a likelihood ratio of 20, the calibrated test
  decides between the two: ``iid`` when ``iid_pvalue`` ≥ ``iid_level`` (0.05), ``column`` when it
  rejects with ``iid_stat`` > 0 (row vectors sum like Gaussians: columns share a scale), and never
  either when it rejects with ``iid_stat`` < 0 (rows share a scale). In the remaining cases the
  likelihood decides: ``"ambiguous"`` when the runner-up is within a likelihood ratio of 20
  (``margin`` < log 20) or the top two reference clouds are less than 2 spreads apart, else
  ``closest``. The test decides because it is the more powerful of the two on i.i.d.-versus-column
  (it needs no references, whose 4 draws estimate a spread poorly) and holds its level, so an i.i.d.
  layer is called ``column`` about as often as the test's size (2–11 % at 0.05, measured in
  :func:`dependence_test`).

Measured accuracy (``benchmarks/diagnose_accuracy.py``, engine 0.2; references = 4; 20 seeds per
case; right / ambiguous / wrong, no ``none``): at α = 1.5, i.i.d. layers 20/0/0 (256 × 128) and
19/0/1 (128 × 256), ``column`` layers 20/0/0 and 20/0/0; at α = 1.8, i.i.d. 19/1/0 and 14/3/3,
``column`` 11/1/8 and 9/10/1 (the test's power against ``column`` at 1.8 is about 64 %, so a third
of those layers are called ``iid``). The likelihood alone (``closest``) got 19, 18, 15, 18 and 18,
17, 12, 15 of 20 right on the same layers. (Engine 0.1, other draws: 20/0/0, 19/0/1, 20/0/0, 20/0/0
and 19/0/1, 12/5/3, 15/2/3, 16/4/0.) On the 14.2 M-parameter
FCN4 benchmark (i.i.d. SαS(1.8) layers) the four large layers are diagnosed ``iid`` (one was
``column`` before) and the 10 × 2048 last one ``ambiguous``.

What cannot be told apart: a ``layer`` matrix (one elliptical vector X = √A·G) is a Gaussian matrix
times one random scale, and every quantity here is scale-free, so its ratios *and* its α̂ have exactly
the law of an i.i.d. Gaussian matrix: at its own α̂ (≈ 2) all three references coincide and the
diagnosis is ``ambiguous``. Only an α known from elsewhere (``alpha=`` of :func:`sgdtails.analyze`)
singles it out as ``layer``.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy import linalg, stats

from sgdtails.realnets.adapt import as_matrix
from sgdtails.simulator import min_kappa, pruning_ratio, sample_weights, tail_index
from sgdtails.simulator.masks import singular_values
from sgdtails.simulator.streams import SeedLike, as_seed_sequence
from sgdtails.simulator.vocabulary import STRUCTURES

__all__ = ["FEATURES", "RATIO_COLUMNS", "alpha_rows", "as_torch_layout", "dependence_test", "diagnose",
           "estimation_rows", "layer_features",
           "layer_ratios", "reference_features"]

#: The pruning-ratio columns.
RATIO_COLUMNS = ("pr_magnitude", "pr_singular", "pr_nodes")
#: The fingerprint f of the module docstring: the ratios and the row-vector α̂.
FEATURES = (*RATIO_COLUMNS, "alpha_rows")
_ALPHA_SD_FLOOR = 0.01
_MAD = 1.4826  # MAD → standard deviation for a normal law
_AMBIGUOUS = math.log(20.0)  # the runner-up within a likelihood ratio of 20: ambiguous
_SEPARATED = 2.0  # reference clouds of two structures closer than this (in spreads) cannot be told apart
_ALPHA_FLOOR = 0.1  # a reference α drawn below this (α̂ − several se of a tiny layer) is raised to it


def as_torch_layout(w: np.ndarray) -> np.ndarray:
    """A ``Linear`` (2-D) or conv (4-D) weight as it is; a ``Conv1d`` weight (out, in, k) as (out, in, k, 1)."""
    if w.ndim == 3:
        return w[..., None]
    if w.ndim not in (2, 4):
        raise ValueError(f"a layer weight must be 2-D, 3-D or 4-D, got shape {w.shape}")
    return w


def _centred(w: np.ndarray, center: str | None) -> np.ndarray:
    return w - np.median(w) if center == "median" else w


def estimation_rows(w: np.ndarray, transpose: bool) -> np.ndarray:
    """The layer as the paper's estimator reads it: rows are the vectors (docs/theory.md §3).

    A ``Linear`` weight out × in (transposed when ``transpose``: the paper does so for the last layer),
    a conv weight (out, in, k…) as (out·in) × (k…).
    """
    w = as_torch_layout(w)
    if w.ndim == 4:
        return w.reshape(w.shape[0] * w.shape[1], -1)
    return w.T if transpose else w


def _gram_singular_values(m: np.ndarray) -> np.ndarray:
    """σ(m) as √eigenvalues of the smaller Gram matrix (3× faster than an SVD; absolute error ~ 1e−13·σ₁)."""
    g = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    return np.sqrt(np.clip(linalg.eigh(g, eigvals_only=True, driver="evr"), 0.0, None))


def layer_ratios(w: np.ndarray, eps: float, p: float, center: str | None, *, gram: bool = False) -> dict[str, float]:
    """``pr_magnitude``, ``pr_singular``, ``pr_nodes`` of one layer (module docstring); one SVD.

    ``gram``: singular values from the Gram matrix instead (used for the synthetic references only:
    their errors, ~1e−13·σ₁, are far below the ε²‖W‖² budget the ratio compares against).
    """
    c = _centred(as_torch_layout(w), center)
    m = as_matrix(c, "singular")
    sigma = _gram_singular_values(m / np.max(np.abs(m))) if gram else singular_values(m)[0]
    return {
        "pr_magnitude": pruning_ratio(c, eps, p=p, scheme="magnitude"),
        "pr_singular": 1.0 - min_kappa(sigma, eps, p=p, scheme="magnitude"),  # Schatten-p = ℓp of σ
        "pr_nodes": pruning_ratio(as_matrix(c, "nodes"), eps, p=p, scheme="nodes"),
    }


def alpha_rows(w: np.ndarray, transpose: bool) -> float | None:
    """The multivariate MMO α̂ with the estimation rows as the vectors (uncapped); None when too few rows."""
    try:
        return tail_index(estimation_rows(w, transpose), method="mmo_multivariate", uncertainty=False).alpha
    except ValueError:
        return None


def layer_features(w: np.ndarray, eps: float, p: float, center: str | None, transpose: bool, *,
                   gram: bool = False) -> dict:
    """The diagnosis' fingerprint of a layer: the three pruning ratios and ``alpha_rows``."""
    return {**layer_ratios(w, eps, p, center, gram=gram), "alpha_rows": alpha_rows(w, transpose)}


def dependence_test(w: np.ndarray, transpose: bool, groups: int = 8) -> tuple[float | None, float | None]:
    """The test of "looks i.i.d.": (t statistic, two-sided p-value), or (None, None) when it cannot be run.

    On the estimation rows X (:func:`estimation_rows`), split into G = min(``groups``, columns // 2)
    disjoint blocks of columns: in each block g, D_g = 1/α̂_MMO(entries) − 1/α̂_MMO(rows as vectors).
    For i.i.d. SαS entries both estimate 1/α *exactly in expectation* (a vector of i.i.d. SαS entries
    is strictly stable, so E log‖Y‖ − E log‖X‖ = log K1 / α for its block sums as for the entries), the
    blocks are independent and D_g is an average of logarithms (light-tailed), so t = mean(D)/(sd(D)/√G)
    is referred to Student's t with G − 1 degrees of freedom. A ``column`` matrix (columns share a
    scale) makes the row vectors sum like Gaussians (α̂_rows → 2) while its entries along a row stay
    independent: D > 0; rows that share a scale give D < 0. Measured (100 seeds each, G = 8): size at
    level 0.01 / 0.05 for i.i.d. layers 0–1 % / 2–4 % at 256 × 128 and 1–4 % / 4–11 % at 128 × 256
    (α = 1.5, 1.8), 0 / 0 at 2048 × 2048 (6 seeds); power against ``column`` 63 % / 99 % (α = 1.5) and
    19 % / 64 % (α = 1.8) at 256 × 128, 91 % / 100 % and 54 % / 90 % at 128 × 256, 100 % at 2048 × 2048.
    A ``layer`` matrix is a Gaussian matrix in law: the test sees an i.i.d. Gaussian (p < 0.01 in
    5–9 %, somewhat above the level).
    """
    x = estimation_rows(w, transpose)
    g = min(groups, x.shape[1] // 2)
    if g < 3:
        return None, None
    d = []
    for cols in np.array_split(np.arange(x.shape[1]), g):
        block = x[:, cols]
        try:
            a_entries = tail_index(block.ravel(), method="mmo", uncertainty=False).alpha
            a_rows = tail_index(block, method="mmo_multivariate", uncertainty=False).alpha
        except ValueError:  # a block too small for an estimator
            return None, None
        d.append(1.0 / a_entries - 1.0 / a_rows)
    diffs = np.array(d)
    sd = float(diffs.std(ddof=1))
    if sd == 0.0:
        return None, None
    t = float(diffs.mean() / (sd / math.sqrt(g)))
    return t, float(2.0 * stats.t.sf(abs(t), df=g - 1))


def _floors(shape: tuple[int, ...]) -> np.ndarray:
    """The smallest standard deviation of each feature: one count of each ratio, 0.01 for ``alpha_rows``."""
    w = as_torch_layout(np.empty(shape, dtype=np.uint8))
    sing = as_matrix(w, "singular").shape
    return np.array([1.0 / w.size, 1.0 / min(sing), 1.0 / as_matrix(w, "nodes").shape[1], _ALPHA_SD_FLOOR])


def reference_features(
    shape: tuple[int, ...],
    alpha: float,
    se: float | None,
    *,
    references: int,
    eps: float,
    p: float,
    center: str | None,
    transpose: bool,
    seed: SeedLike,
    structures: Sequence[str] = STRUCTURES,
    cache: dict | None = None,
) -> list[dict]:
    """The fingerprints of ``references`` synthetic matrices per structure (module docstring).

    Returns one row per matrix: ``structure``, ``reference`` (0…R−1), ``alpha`` (the α it was drawn
    at) and the features of :func:`layer_features`. ``cache`` (a dict the caller keeps for one model):
    the ``layer`` references are reused for every layer of the same shape and settings — their law does
    not depend on α at all (a Gaussian matrix times one random scale, and every feature is scale-free),
    so drawing them again at another α̂ would only redraw the same law.
    """
    w_shape = as_torch_layout(np.empty(shape, dtype=np.uint8)).shape
    m = (w_shape[0], int(np.prod(w_shape[1:])))
    root = as_seed_sequence(seed)
    rows: list[dict] = []
    for k, structure in enumerate(structures):
        key = (structure, tuple(w_shape), references, eps, p, center, transpose)
        if structure == "layer" and cache is not None and key in cache:
            rows.extend(dict(r) for r in cache[key])
            continue
        seq = np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, k))
        draws, noise = seq.spawn(2)
        z = np.random.default_rng(noise).standard_normal(references)
        for j, child in enumerate(draws.spawn(references)):
            a = alpha if se is None else alpha + se * float(z[j])
            a = float(min(max(a, _ALPHA_FLOOR), 2.0))
            x = sample_weights(a, m, structure=structure, seed=child).reshape(w_shape)
            rows.append({"structure": structure, "reference": j, "alpha": a,
                         **layer_features(x, eps, p, center, transpose, gram=True)})
        if structure == "layer" and cache is not None:
            cache[key] = [r for r in rows if r["structure"] == "layer"]
    return rows


def _vector(row: Mapping, columns: Sequence[str]) -> np.ndarray:
    return np.array([math.nan if row.get(c) is None else float(row[c]) for c in columns])


def _score(f: np.ndarray, block: np.ndarray, floor: np.ndarray) -> tuple[float, float | None, float | None]:
    """(Laplace log-likelihood, max t, Bonferroni p) of the features f under one structure's references."""
    n = block.shape[0]
    centre = np.median(block, axis=0)
    spread = np.maximum(_MAD * np.median(np.abs(block - centre), axis=0), floor)
    loglik = float(-np.sum(np.abs(f - centre) / spread) - np.sum(np.log(spread)))
    if n < 2:
        return loglik, None, None
    sd = np.maximum(block.std(axis=0, ddof=1), floor)
    t = np.abs(f - block.mean(axis=0)) / (sd * math.sqrt(1.0 + 1.0 / n))
    stat = float(t.max())
    return loglik, stat, float(min(1.0, f.size * 2.0 * stats.t.sf(stat, df=n - 1)))


def _separation(a: np.ndarray, b: np.ndarray, floor: np.ndarray) -> float:
    """Max over features of |median_a − median_b| / √(spread_a² + spread_b²): how far apart two reference clouds are."""
    def centre_spread(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        c = np.median(x, axis=0)
        return c, np.maximum(_MAD * np.median(np.abs(x - c), axis=0), floor)

    (ca, sa), (cb, sb) = centre_spread(a), centre_spread(b)
    return float(np.max(np.abs(ca - cb) / np.sqrt(sa**2 + sb**2)))


def diagnose(features: Mapping[str, float | None], refs: Sequence[Mapping], shape: tuple[int, ...], *,
             level: float = 0.001, iid_test: tuple[float | None, float | None] = (None, None),
             iid_level: float = 0.05) -> dict:
    """The diagnosis of one layer from its fingerprint and its synthetic references (module docstring).

    ``iid_test``: the layer's ``(iid_stat, iid_pvalue)`` from :func:`dependence_test`; when given it
    decides between ``iid`` and ``column`` at ``iid_level`` (module docstring, step 3).

    Returns the reference means ``ref_<structure>_<feature>``, ``loglik_<structure>``, ``closest``,
    ``margin`` (log-likelihood of the closest − that of the runner-up), ``separation``,
    ``<structure>_ref_pvalue``, and ``diagnosis``.
    """
    present = [s for s in STRUCTURES if any(x["structure"] == s for x in refs)]
    if not present:
        raise ValueError("diagnose needs at least one reference matrix")
    f_all = _vector(features, FEATURES)
    floor_all = _floors(shape)
    blocks = {s: np.array([_vector(x, FEATURES) for x in refs if x["structure"] == s]) for s in present}
    # a feature is used where the layer and every reference have it (alpha_rows needs enough rows)
    use = np.isfinite(f_all) & np.all([np.isfinite(b).all(axis=0) for b in blocks.values()], axis=0)
    f, floor = f_all[use], floor_all[use]
    out: dict = {}
    loglik, pvals = {}, {}
    for s in present:
        for c, v in zip(FEATURES, blocks[s].mean(axis=0)):
            out[f"ref_{s}_{c.removeprefix('pr_')}"] = float(v) if math.isfinite(v) else None
        loglik[s], _, pvals[s] = _score(f, blocks[s][:, use], floor)
    order = sorted(present, key=lambda s: -loglik[s])
    margin = loglik[order[0]] - loglik[order[1]] if len(order) > 1 else math.inf
    separation = _separation(blocks[order[0]][:, use], blocks[order[1]][:, use], floor) if len(order) > 1 else math.inf
    closest_p = pvals[order[0]]
    by_likelihood = "ambiguous" if margin < _AMBIGUOUS or separation < _SEPARATED else order[0]
    stat, pvalue = iid_test
    if closest_p is not None and closest_p < level:
        diagnosis = "none"
    elif stat is None or pvalue is None or not {"iid", "column"} <= set(present):
        diagnosis = by_likelihood
    elif _separation(blocks["iid"][:, use], blocks["column"][:, use], floor) < _SEPARATED:
        diagnosis = by_likelihood  # iid and column references coincide (α̂ ≈ 2): the test cannot choose
    elif order[0] == "layer" and loglik["layer"] - max(loglik["iid"], loglik["column"]) >= _AMBIGUOUS:
        diagnosis = by_likelihood
    elif pvalue >= iid_level:
        diagnosis = "iid"
    elif stat > 0:
        diagnosis = "column"
    else:  # rows, not columns, share a scale: neither iid nor column
        diagnosis = "ambiguous" if by_likelihood in ("iid", "column") else by_likelihood
    out.update({f"loglik_{s}": loglik[s] for s in present})
    out.update({f"{s}_ref_pvalue": pvals[s] for s in present})
    out.update(closest=order[0], margin=margin, separation=separation, diagnosis=diagnosis)
    return out
