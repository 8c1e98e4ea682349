r"""Estimators of the stability (tail) index α (docs/theory.md §3, Section S1.4).

What is estimated: the index α of a stable law (or of its domain of attraction),
:math:`P(|X| > x) \sim c x^{-\alpha}` — not a pdf exponent (α + 1), nor the power-law exponent of
an empirical spectral density that WeightWatcher reports.

MMO estimator (Mohammadi, Mohammadpour & Ogata 2015, Corollaries 2.2 and 2.4): with K = K1·K2
i.i.d. observations X_i and block sums Y_i = Σ_{j ≤ K1} X_{j+(i−1)K1},

.. math:: \frac{1}{\hat\alpha} = \frac{1}{\log K_1}\Big(\frac{1}{K_2}\sum_i \log\|Y_i\|
          - \frac{1}{K}\sum_i \log\|X_i\|\Big),

exact in expectation for strictly stable data because Y =d K1^{1/α} X. Observations are centred by
their median first; exact zeros (the median itself, after centring) are left out of the means.
Every finite input of at least the smallest sample (below) is accepted: data with max|x| outside
[2^−400, 2^400] (near ±max, subnormal) are first multiplied by an exact power of two (the
estimators are scale invariant); where an estimate is undefined (1/α̂ = 0, Hill on tied top
values) ``ValueError`` says why — never inf or NaN.

``block=None`` (default rule, ours): 1/α̂ is averaged over K1 ∈ {5, 10, 20} (those with K2 ≥ 2)
and over two groupings (consecutive entries, and entries K2 apart). Measured on SαS samples of
n = 10⁵ (40 seeds each): K1 = 5–20 has the smallest spread of the single-K1 estimates (sd 0.008–
0.016 against 0.017–0.041 at K1 = √n), and the average brings it to 0.006–0.010, with bias below
0.002, for α ∈ [1.2, 2]. The estimate is **not capped**: at α = 2 it scatters on both sides of 2.

``method="paper"`` reproduces the paper's code (docs/theory.md §3): rows of a 2-D array are the vectors,
column medians subtracted, K1 ∈ {2, 5, 10, 20, 50, 100, 500, 1000} ∩ [2, N/2] (each lowered until
it divides N) plus ≈ √N, the median over these K1 (uncapped estimates; with an even number of K1
the mean of the middle two), **then capped at 2**, then the median over 5 random row permutations
(the authors' order; capping each K1's estimate first would give min(b − 2, 2 − a)/2 less when the
two middle estimates a < 2 < b straddle 2). The cap biases the estimate low near α = 2 (a Gaussian
layer gives ≤ 2 always).

**Bias and spread** (``benchmarks/bench_estimators.py``, the source of every figure below and in
the estimators' docstrings): α̂ − α over independent seeds (200 at n = 10³, 50 at n = 10⁵) on exact
samples of α ∈ {1.2, 1.5, 1.8}; n counts observations for ``"mmo"``/``"hill"`` (SαS entries) and
rows of dimension 10 for ``"mmo_multivariate"``/``"paper"`` (elliptical rows, docs/theory.md §1.4,
and i.i.d. SαS rows). "bias" is the mean of α̂ − α (its Monte-Carlo se is sd/√R), "sd" the
seed-to-seed standard deviation of α̂.

* ``"mmo"``: n = 10³: |bias| ≤ 0.005 (± ≤ 0.007), sd 0.06–0.11; n = 10⁵: |bias| ≤ 0.002
  (± 0.001), sd 0.006–0.009.
* ``"mmo_multivariate"``: n = 10³: |bias| ≤ 0.004 (± 0.003), sd 0.036–0.043; n = 10⁵:
  |bias| ≤ 0.001, sd 0.004–0.005.
* ``"hill"`` (default k = ⌊√n⌋): n = 10³: bias +0.08 / +0.11 / +0.78, sd 0.24 / 0.31 / 0.57;
  n = 10⁵: bias −0.010 / −0.006 / +0.075, sd 0.08 / 0.08 / 0.10.
* ``"paper"``: n = 10³: bias +0.002 to +0.006 (± ≤ 0.004), sd 0.044–0.053; n = 10⁵:
  |bias| ≤ 0.001, sd 0.005–0.008.

The univariate ``"mmo"`` on the pooled entries of elliptical rows (dependent coordinates; the
misuse ``"mmo_multivariate"`` avoids) is biased +0.27 / +0.19 / +0.09 at α = 1.2 / 1.5 / 1.8, at
both n: not noise, so no sample size removes it.

**Smallest sample** (``ValueError`` naming x and the minimum below it). Measured on SαS samples,
α ∈ {1.2, 1.5, 1.8}, 200–1000 seeds per (n, α): the smallest size at which, at every α, the mean of
α̂ is within 0.1 of α (0.05 for ``"mmo"``), sd(α̂) ≤ 0.35 and no α̂ falls outside (0, 4].
Below it, 1/α̂ comes close to 0 often enough that α̂ has a heavy right tail (negative or huge values).

* ``"mmo"``: n ≥ 128 observations. n = 10: 15–24 % of α̂ outside (0, 4], sd ≫ 1; n = 64: sd 0.60
  at α = 1.8; n = 100: bias +0.06, sd 0.39 at α = 1.8 (400 seeds); n = 128: bias ≤ 0.02,
  sd ≤ 0.29, none outside (1000 seeds).
* ``"paper"``: ≥ 16 rows and ≥ 128 entries. 16 × 10: bias ≤ 0.09, sd ≤ 0.27; 16 × 40: bias
  ≤ 0.06, sd ≤ 0.25; 16 × 8: bias ≤ 0.10, sd ≤ 0.30; but 10 × 10: bias +0.16, 16 × 2: sd 0.58 and
  2 % outside at α = 1.8, 16 × 1: bias −0.81.
* ``"mmo_multivariate"``: ≥ 48 rows and ≥ 128 entries. 48 × 4: bias ≤ 0.10, sd ≤ 0.27; 128 × 1 and
  64 × 2: bias ≤ 0.08, sd ≤ 0.32; but 32 × 4 and 40 × 4: bias +0.12–0.13 at α = 1.8; 16 × 10:
  bias +0.20.
* ``"hill"``: no size rule beyond 4 observations (2 nonzero after centring): Hill's bias on stable
  data is one of the tail approximation, not of n (default k = ⌊√n⌋: bias +0.73 at α = 1.8 for
  n = 1000, +0.19 at n = 10⁴), so no n meets the rule; read its ``se``/``ci`` as noise only.

**Standard error and 95 % interval** (``se``, ``ci`` of :class:`TailIndexEstimate`): batch means
on the 1/α scale. The observations (rows for the multivariate methods and ``"paper"``) are split, in
their given order, into G = 10 contiguous groups of ⌊n/G⌋ (the last n mod G left out; contiguous
batches, as for batch means of a series, also keep serial dependence inside a group). Each group is
estimated by the same rule as the whole sample: ``"mmo"``/``"mmo_multivariate"`` with the same K1
(and the same two groupings under the default rule) on the data as centred for the whole sample;
``"hill"`` with k_g = ⌊k/G⌋; ``"paper"`` by the whole procedure (its own column medians, K1 set
and 5 permutations with the same seed) on each group of rows. With u_g = 1/α̂_g and u = 1/α̂,

.. math:: \mathrm{se}(u) = \mathrm{sd}(u_1 … u_G)/\sqrt{G}\quad(\text{Hill: } \mathrm{sd}\cdot\sqrt{k_g/k}),
          \qquad \mathrm{se} = \hat\alpha^2\,\mathrm{se}(u)\ \text{(delta method)},
          \qquad \mathrm{ci} = \big[1/(u + t\,\mathrm{se}(u)),\ 1/(u - t\,\mathrm{se}(u))\big],

t = 2.262 the 97.5 % quantile of Student's t with G − 1 = 9 degrees of freedom. The MMO 1/α̂ is a
difference of means of logs, so it is root-n with the same K1 and the group spread measures its
noise; the interval, the image of the 1/α interval, is positive and asymmetric (longer upwards).
It covers sampling noise only, not bias (small-sample bias of the multivariate methods, Hill's tail
bias). ``"paper"``: every group estimate is capped at 2 too, and so is the upper end of ``ci`` (an
unbounded 1/α interval gives the upper end 2); near α = 2 the group estimates pile up at the cap,
so ``se`` shrinks (to 0 when all are capped) and understates the error — there the interval is
not a 95 % interval. Cost: about one more pass over the data (G groups of n/G), no resampling;
measured 1.3–1.5 × the time of α̂ alone.

Measured coverage of the true α by ``ci`` (SαS samples, seeds 0–199, α = 1.3 / 1.7): ``"mmo"``
n = 400: 0.97 / 0.98, n = 1000: 0.94 / 0.91, n = 5000: 0.95 / 0.955 (0.965 / 0.985 with engine 0.2) (mean se 0.029 / 0.039 against
a seed-to-seed sd of α̂ of 0.031 / 0.041); ``"mmo_multivariate"`` 500 × 10: 0.94 / 0.93; ``"hill"``
n = 5000: 0.94 / 0.90 (its tail bias, +0.14 at 1.7); ``"paper"`` 500 × 10: 0.89 / 0.87 (seeds
0–599, engine 0.2; 0.925 / 0.91 on seeds 0–199 of engine 0.1), 2000 × 10 and 500 × 40 (100 seeds):
0.90–0.94. The paper's se is 10–25 % below the seed-to-seed sd: a
group of N/G rows gets a smaller K1 set than N rows (K1 ≤ N/2), so its estimator is not the
whole sample's at a smaller size, and the paper's α̂ does not shrink exactly like 1/√N either.

``se`` and ``ci`` are ``None`` (never NaN) when the groups are too small: ``"mmo"`` and
``"mmo_multivariate"`` need ⌊n/G⌋ ≥ 2·max K1 (n ≥ 400 under the default K1 ≤ 20), ``"hill"``
⌊k/G⌋ ≥ 2 (n ≥ 400 under the default k), ``"paper"`` groups meeting its smallest sample (≥ 160
rows and ≥ 1280 entries); or when a group estimate is undefined. ``ci`` alone is ``None`` when
u − t·se(u) ≤ 0 (no finite upper end; not for ``"paper"``) or u + t·se(u) ≤ 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from sgdtails.simulator.streams import SeedLike, as_seed_sequence
from sgdtails.simulator.validate import check_choice, check_int, finite_array
from sgdtails.simulator.vocabulary import TAIL_METHODS

__all__ = ["TailIndexEstimate", "tail_index"]

_DEFAULT_BLOCKS = (5, 10, 20)
_PAPER_BLOCKS = (2, 5, 10, 20, 50, 100, 500, 1000)
_MIN_N = {"mmo": 128, "hill": 4}  # observations (module docstring: the measurement behind them)
_MIN_ROWS = {"mmo_multivariate": 48, "paper": 16}  # rows, and at least _MIN_ENTRIES entries in all
_MIN_ENTRIES = 128
_GROUPS = 10  # G, the batch-means groups of se and ci
_T975 = 2.262157162798205  # 97.5 % quantile of Student's t with G − 1 = 9 degrees of freedom


@dataclass(frozen=True)
class TailIndexEstimate:
    """An estimate of the stability index α (the tail index of an α-stable law).

    Attributes
    ----------
    alpha : float
        α̂, the estimated stability index (not a pdf or spectral exponent).
    method : str
        Estimator used ("mmo", "mmo_multivariate", "hill" or "paper").
    block : int or tuple of int
        K1 (block size) for the MMO estimators — a tuple when several were averaged — or k, the
        number of upper order statistics, for Hill.
    n : int
        Number of observations (vectors for the multivariate methods).
    se : float or None
        Standard error of α̂ by batch means: G = 10 contiguous groups estimated by the same rule,
        se(1/α̂) = sd of the group 1/α̂ over √G, mapped by the delta method, se = α̂²·se(1/α̂)
        (module docstring). ``None`` when the groups are too small (e.g. n < 400 for ``"mmo"``).
        For ``"paper"`` the cap at 2 shrinks it near α = 2 (understated there).
    ci : tuple of float or None
        A 95 % interval (low, high) for α: the image under 1/u of u ± t₉·se(u), u = 1/α̂ (Student t,
        9 degrees of freedom), so it is positive and asymmetric; sampling noise only, not bias.
        ``"paper"``: the upper end is capped at 2. ``None`` with ``se`` or where the 1/α interval
        reaches 0.
    """

    alpha: float
    method: str
    block: int | tuple[int, ...]
    n: int
    se: float | None = None
    ci: tuple[float, float] | None = None

    quantity = "stability index alpha"


def _mean_log_norm(v: np.ndarray) -> float:
    """Mean of log‖v_i‖ over rows (or of log|v_i| for 1-D), exact zeros left out."""
    norms = np.abs(v) if v.ndim == 1 else np.sqrt(np.einsum("ij,ij->i", v, v))
    if v.ndim == 2:
        bad = ~(norms >= _TINY_NORM) & np.any(v != 0.0, axis=1)  # squares under- or overflowed
        if bad.any():
            norms = norms.copy()
            norms[bad] = _scaled_row_norms(v[bad])
    norms = norms[norms > 0.0]
    if norms.size == 0:
        raise ValueError("x has no nonzero observation (or block sum) after centring")
    return float(np.mean(np.log(norms)))


_TINY_NORM = 2.0**-500  # a row norm below this may have lost squares to underflow


def _scaled_row_norms(v: np.ndarray) -> np.ndarray:
    """Euclidean norms of the rows of ``v``, each row scaled by its max|entry| first (no under/overflow)."""
    top = np.max(np.abs(v), axis=1)
    safe = np.where(top > 0.0, top, 1.0)
    with np.errstate(under="ignore"):
        u = v / safe[:, None]
        return top * np.sqrt(np.einsum("ij,ij->i", u, u))


def _inv_alpha(x: np.ndarray, k1: int, strided: bool = False) -> float:
    """MMO estimate of 1/α with block size K1 (rows of 2-D x are the vectors)."""
    k2 = x.shape[0] // k1
    head = x[: k1 * k2]
    if strided:
        sums = head.reshape(k1, k2, *x.shape[1:]).sum(axis=0)
    else:
        sums = head.reshape(k2, k1, *x.shape[1:]).sum(axis=1)
    return (_mean_log_norm(sums) - _mean_log_norm(head)) / math.log(k1)


def _mmo(x: np.ndarray, block: int | None) -> tuple[float, int | tuple[int, ...]]:
    """MMO α̂ of the observations (1-D) or vectors (rows of 2-D) ``x`` and the K1 used (docs/theory.md §3.2–3.3).

    Measured bias and spread of the default rule (``benchmarks/bench_estimators.py``; seeds: 200 at
    n = 10³, 50 at n = 10⁵; α = 1.2 / 1.5 / 1.8):

    * ``"mmo"`` on n SαS entries: n = 10³: bias −0.003 / +0.005 / −0.001 (Monte-Carlo se
      0.004–0.007), sd 0.062 / 0.076 / 0.105; n = 10⁵: bias +0.002 / −0.000 / −0.001 (± 0.001),
      sd 0.006 / 0.008 / 0.009.
    * ``"mmo_multivariate"`` on n rows of dimension 10: elliptical rows: n = 10³: bias +0.002 /
      +0.004 / +0.000 (± 0.003), sd 0.041 / 0.043 / 0.036; n = 10⁵: bias within ±0.001, sd 0.004.
      i.i.d. SαS rows: n = 10³: bias −0.001 / +0.002 / +0.002 (± 0.003), sd 0.039 / 0.042 / 0.040;
      n = 10⁵: bias within ±0.001, sd 0.004–0.005.
    * Misuse: ``"mmo"`` on the flattened elliptical rows is biased +0.27 / +0.19 / +0.09 at both n
      (sd 0.04 at 10³, 0.004 at 10⁵): the coordinates of a row share their mixing variable √A, so a
      block of consecutive entries from one row sums to √A times a Gaussian and grows like K1^{1/2},
      not K1^{1/α}; the pooled entries are not i.i.d. and Y =d K1^{1/α} X fails.
    """
    n = x.shape[0]
    if block is not None:
        if not 2 <= block <= n // 2:
            raise ValueError(f"block must be in [2, n/2] = [2, {n // 2}], got {block}")
        return _reciprocal(_inv_alpha(x, block)), block
    blocks = tuple(k for k in _DEFAULT_BLOCKS if n // k >= 2) or (2,)
    inv = np.mean([_inv_alpha(x, k, s) for k in blocks for s in (False, True)])
    return _reciprocal(float(inv)), blocks


def _reciprocal(inv: float) -> float:
    """α̂ = 1/(estimate of 1/α); ``ValueError`` where that estimate is 0 (α̂ would be infinite)."""
    if inv == 0.0:
        raise ValueError("x: the MMO estimate of 1/alpha is 0 (block sums grow like the entries; no finite alpha)")
    return 1.0 / inv


def _hill(x: np.ndarray, k: int | None) -> tuple[float, int]:
    """Hill's α̂ from the k largest nonzero |x| and the k used (docs/theory.md §3.5).

    Measured bias and spread with the default k = ⌊√n⌋ on n SαS entries
    (``benchmarks/bench_estimators.py``; 200 seeds at n = 10³, 50 at 10⁵; α = 1.2 / 1.5 / 1.8):
    n = 10³: bias +0.084 / +0.106 / +0.783 (Monte-Carlo se 0.017 / 0.022 / 0.041), sd 0.241 /
    0.314 / 0.573; n = 10⁵: bias −0.010 / −0.006 / +0.075 (± 0.011 / 0.011 / 0.014), sd 0.078 /
    0.079 / 0.101. The bias near α = 2 is the tail approximation's (module docstring). With
    n = 10⁶ and k = 3000 (tests/test_tail_index.py, 100 seeds): bias −0.001 / +0.004 and sd 0.022 /
    0.029 at α = 1.2 / 1.5, Hill's asymptotic α/√k.
    """
    a = np.sort(np.abs(x))[::-1]
    a = a[a > 0.0]
    n = a.size
    if n < 2:
        raise ValueError(f"x has {n} nonzero observation(s) after centring; Hill's estimator needs at least 2")
    k = min(max(2, math.isqrt(n)), n - 1) if k is None else k  # the default fits any n ≥ 2 (k = 1 at n = 2)
    if not 1 <= k < n:
        raise ValueError(f"block (Hill's k) must be in [1, {n - 1}], got {k}")
    with np.errstate(over="ignore"):
        logs = np.log(a[:k] / a[k])
    if not np.isfinite(logs).all():  # a ratio beyond float64: log differences instead
        logs = np.log(a[:k]) - math.log(a[k])
    mean = float(np.mean(logs))
    if mean == 0.0:
        raise ValueError(f"x: Hill's estimator is undefined when the {k + 1} largest |x| (after centring) are tied")
    return 1.0 / mean, k


def _lowered_divisor(k: int, n: int) -> int:
    while n % k:
        k -= 1
    return k


def _paper_rows(x: np.ndarray) -> np.ndarray:
    """The rows the paper's code reads: 2-D as is, a 4-D conv weight (out, in, kh, kw) as (out·in) × (kh·kw)."""
    if x.ndim == 4:
        x = x.reshape(x.shape[0] * x.shape[1], -1)
    if x.ndim != 2:
        raise ValueError(f"x must be 2-D (rows are the vectors) or 4-D for method='paper', got shape {x.shape}")
    return x


def _too_small(method: str, rows: int, cols: int) -> str | None:
    """Why ``rows`` × ``cols`` observations are below ``method``'s smallest sample (module docstring), or None."""
    if method in _MIN_N:
        need = _MIN_N[method]
        return None if rows >= need else f"{rows} observations; method={method!r} needs at least {need}"
    need = _MIN_ROWS[method]
    if rows < need:
        return f"{rows} rows; method={method!r} needs at least {need} rows and {_MIN_ENTRIES} entries"
    if rows * cols < _MIN_ENTRIES:
        return f"{rows} × {cols} = {rows * cols} entries; method={method!r} needs at least {_MIN_ENTRIES} entries and {need} rows"
    return None


def _block_inv(x: np.ndarray, k1: int, base: float) -> float:
    """:func:`_inv_alpha` of ``x`` with block size K1, given ``base`` = mean log‖X_i‖ over all rows of x.

    Where K1 divides the rows the mean over them is ``base`` for every K1 (the same number, not
    recomputed); otherwise (K1 = 2 for an odd number of rows) the last rows are left out as there.
    """
    k2 = x.shape[0] // k1
    if k1 * k2 != x.shape[0]:
        return _inv_alpha(x, k1)
    sums = x.reshape(k2, k1, *x.shape[1:]).sum(axis=1)
    return (_mean_log_norm(sums) - base) / math.log(k1)


def _paper(x: np.ndarray, seed: SeedLike) -> tuple[float, tuple[int, ...]]:
    """The paper's α̂ of the rows of 2-D ``x`` (module docstring, docs/theory.md §3.4) and the K1 it used.

    Measured bias and spread on n rows of dimension 10 (``benchmarks/bench_estimators.py``; 200
    seeds at n = 10³, 50 at 10⁵; α = 1.2 / 1.5 / 1.8): i.i.d. SαS rows: n = 10³: bias +0.003 /
    +0.002 / +0.003 (Monte-Carlo se 0.003–0.004), sd 0.051 / 0.053 / 0.044; n = 10⁵: bias −0.001 /
    −0.001 / +0.000 (± 0.001), sd 0.007 / 0.006 / 0.005. Elliptical rows: n = 10³: bias +0.003 /
    +0.004 / +0.006 (± 0.003–0.004), sd 0.045 / 0.053 / 0.046; n = 10⁵: bias within ±0.001, sd
    0.007 / 0.008 / 0.005. At α = 1.8 the cap at 2 is rarely reached at these sizes; nearer 2 it
    biases α̂ low (module docstring).
    """
    n = x.shape[0]
    x = x - np.median(x, axis=0)
    if x.shape[1] == 1:  # rows of one entry: |x_i| is their norm (sqrt(x²) = |x| exactly), 1-D is faster
        x = x[:, 0]
    cands = [k for k in _PAPER_BLOCKS if 2 <= k <= n // 2] + [max(2, round(math.sqrt(n)))]
    blocks = tuple(sorted({max(2, _lowered_divisor(k, n)) for k in cands}))
    rng = np.random.default_rng(as_seed_sequence(seed))
    per_perm = []
    for _ in range(5):
        xp = x[rng.permutation(n)]
        base = _mean_log_norm(xp)
        est = [1.0 / inv if (inv := _block_inv(xp, k, base)) != 0.0 else math.inf for k in blocks]  # 1/0 = inf
        per_perm.append(min(float(np.median(est)), 2.0))  # the median over K1, then the cap
    return float(np.median(per_perm)), blocks


def _groups(v: np.ndarray) -> list[np.ndarray]:
    """G contiguous groups of ⌊n/G⌋ observations (rows) of ``v``, in order; the last n mod G left out."""
    m = v.shape[0] // _GROUPS
    return [v[g * m : (g + 1) * m] for g in range(_GROUPS)]


def _mmo_group_inv(v: np.ndarray, used: int | tuple[int, ...], both: bool) -> list[float] | None:
    """1/α̂ of each group with the K1 the whole sample used (and both groupings if ``both``), or None."""
    blocks = used if isinstance(used, tuple) else (used,)
    if v.shape[0] // _GROUPS // max(blocks) < 2:
        return None
    strides = (False, True) if both else (False,)
    try:
        return [float(np.mean([_inv_alpha(g, k, s) for k in blocks for s in strides])) for g in _groups(v)]
    except ValueError:  # a group with no nonzero observation
        return None


def _hill_group_inv(v: np.ndarray, k: int) -> tuple[list[float], float] | None:
    """(1/α̂ of each group by Hill with k_g = ⌊k/G⌋, √(k_g/k)), or None (Hill is root-k: Var ∝ 1/k)."""
    kg = k // _GROUPS
    if kg < 2:
        return None
    try:
        return [1.0 / _hill(g, kg)[0] for g in _groups(v)], math.sqrt(kg / k)
    except ValueError:  # too few nonzero values in a group, or tied top values
        return None


def _paper_group_inv(rows: np.ndarray, seed: SeedLike) -> list[float] | None:
    """1/α̂ of each group of rows by the whole paper procedure, or None when groups are below its minimum."""
    if _too_small("paper", rows.shape[0] // _GROUPS, rows.shape[1]) is not None:
        return None
    alphas = [_paper(g, seed)[0] for g in _groups(rows)]
    return None if 0.0 in alphas else [1.0 / a for a in alphas]


def _uncertainty(
    alpha: float, inv: list[float] | None, factor: float, cap: float | None = None
) -> tuple[float | None, tuple[float, float] | None]:
    """(se, ci) of α̂ from the group estimates ``inv`` of 1/α (module docstring); ``factor`` = 1/√G but for Hill."""
    if inv is None:
        return None, None
    u = 1.0 / alpha
    se_u = float(np.std(inv, ddof=1)) * factor
    se = alpha * alpha * se_u
    if not (math.isfinite(se_u) and math.isfinite(se)):
        return None, None
    lo_u, hi_u = u - _T975 * se_u, u + _T975 * se_u
    if hi_u <= 0.0:
        return se, None
    high = 1.0 / lo_u if lo_u > 0.0 else math.inf
    if cap is not None:
        high = min(high, cap)
    low = 1.0 / hi_u
    return se, ((low, high) if math.isfinite(high) and math.isfinite(low) else None)


def tail_index(
    x: object,
    *,
    method: str = "mmo",
    block: int | None = None,
    center: str | None = "median",
    seed: SeedLike = 0,
    uncertainty: bool = True,
) -> TailIndexEstimate:
    r"""Estimate the stability index α of ``x`` (docs/theory.md §3).

    Parameters
    ----------
    x : array
        ``"mmo"`` and ``"hill"``: all entries (flattened) are the observations.
        ``"mmo_multivariate"``: rows of a 2-D array are the vectors X_i.
        ``"paper"``: a layer as the paper's code reads it — a 2-D (rows are vectors) or 4-D conv
        weight, reshaped to (out·in) × (kh·kw).
        A NumPy array or anything ``numpy.asarray`` takes; a torch tensor (requiring grad, on any
        device) is read as ``x.detach().cpu().numpy()``. At least 128 observations for ``"mmo"``;
        16 rows (``"paper"``) or 48 rows (``"mmo_multivariate"``) and 128 entries; 4 for ``"hill"``
        (module docstring: how these were measured).
    method : {"mmo", "mmo_multivariate", "hill", "paper"}
        The estimator (module docstring). Measured bias / sd at n = 10³ and 10⁵ observations (rows
        of dimension 10 for the last two; α ∈ {1.2, 1.5, 1.8}; ``benchmarks/bench_estimators.py``):
        ``"mmo"`` |bias| ≤ 0.005 / sd 0.06–0.11 and |bias| ≤ 0.002 / sd 0.006–0.009;
        ``"mmo_multivariate"`` ≤ 0.004 / 0.036–0.043 and ≤ 0.001 / 0.004–0.005; ``"hill"``
        (default k) +0.08 to +0.78 / 0.24–0.57 and −0.010 to +0.075 / 0.08–0.10; ``"paper"``
        ≤ 0.006 / 0.044–0.053 and ≤ 0.001 / 0.005–0.008.
    block : int, optional
        K1 for the MMO estimators (default: the rule in the module docstring), k for Hill
        (default ⌊√n⌋). Ignored by ``"paper"``, which uses its own set of K1.
    center : {"median", None}
        Subtract the median (per column for the multivariate methods) first.
    seed : seed-like
        Only ``"paper"`` is random (row permutations).
    uncertainty : bool
        Compute ``se`` and ``ci`` (about 1.3–1.5× the time of α̂ alone); False leaves them None.

    Returns
    -------
    TailIndexEstimate
        α̂ with its standard error ``se`` and 95 % interval ``ci`` (batch means over 10 contiguous
        groups on the 1/α scale; ``None`` for samples too small for groups — module docstring).

    Raises
    ------
    ValueError
        Bad arguments; x empty, non-finite, of the wrong shape or smaller than the minimum above
        (the message names x and the minimum); an undefined estimate (1/α̂ = 0, Hill on ties).
    """
    check_choice(method, "method", TAIL_METHODS)
    check_choice(center, "center", ("median", None))
    if block is not None:  # a bad block is named before any property of x (its size) is checked
        check_int(block, "block", low={"hill": 1, "paper": None}.get(method, 2))
    arr = _in_safe_range(finite_array(x, "x"))
    if method == "paper":
        rows = _paper_rows(arr.astype(np.float64))
        if (why := _too_small(method, *rows.shape)) is not None:
            raise ValueError(f"x has {why} (smaller samples give unreliable estimates)")
        paper_alpha, paper_blocks = _paper(rows, seed)
        if not uncertainty:
            return TailIndexEstimate(paper_alpha, method, paper_blocks, rows.shape[0])
        se, ci = _uncertainty(paper_alpha, _paper_group_inv(rows, seed), 1.0 / math.sqrt(_GROUPS), cap=2.0)
        return TailIndexEstimate(paper_alpha, method, paper_blocks, rows.shape[0], se, ci)
    if method == "mmo_multivariate":
        if arr.ndim != 2:
            raise ValueError(f"x must be 2-D (rows are the vectors) for method='mmo_multivariate', got shape {arr.shape}")
        v = arr.astype(np.float64)
        if center == "median":
            v = v - np.median(v, axis=0)
    else:
        v = arr.astype(np.float64).ravel()
        if center == "median":
            v = v - np.median(v)
    if (why := _too_small(method, v.shape[0], 1 if v.ndim == 1 else v.shape[1])) is not None:
        raise ValueError(f"x has {why} (smaller samples give unreliable estimates)")
    used: int | tuple[int, ...]
    if not uncertainty:
        alpha, used = _hill(v, block) if method == "hill" else _mmo(v, block)
        if not math.isfinite(alpha):
            raise ValueError(f"x: the {method} estimate of alpha is not finite ({alpha})")
        return TailIndexEstimate(float(alpha), method, used, int(v.shape[0]))
    if method == "hill":
        alpha, k = _hill(v, block)
        hill_groups = _hill_group_inv(v, k)
        inv, factor = hill_groups if hill_groups is not None else (None, 0.0)
        used = k
    else:
        alpha, used = _mmo(v, block)
        inv, factor = _mmo_group_inv(v, used, both=block is None), 1.0 / math.sqrt(_GROUPS)
    if not math.isfinite(alpha):
        raise ValueError(f"x: the {method} estimate of alpha is not finite ({alpha})")
    se, ci = _uncertainty(float(alpha), inv, factor)
    return TailIndexEstimate(float(alpha), method, used, int(v.shape[0]), se, ci)


_SAFE_EXP = 400  # |x| within [2^-400, 2^400]: block sums, medians and squared norms neither over- nor underflow


def _in_safe_range(arr: np.ndarray) -> np.ndarray:
    """``arr`` times an exact power of two bringing max|arr| into [1/2, 1) when it is outside [2^−400, 2^400].

    Every estimator here is invariant under x ↦ cx (logs of ratios), so this changes nothing but the
    rounding; it keeps x near ±max (x − median, block sums) and subnormal x (squares) finite and exact.
    """
    top = float(np.max(np.abs(arr)))
    if top == 0.0:
        return arr
    e = math.frexp(top)[1]
    return arr if -_SAFE_EXP <= e <= _SAFE_EXP else np.ldexp(arr.astype(np.float64), -e)
