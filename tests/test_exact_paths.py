r"""Exact is exact (issue #14, item 3): every exact κ_p(w, ε) path against a brute force, with zero slack.

κ_p(w, ε) of (S5), docs/theory.md §2.5: with y the p-th powers of the scheme's values (entries, singular
values, column ℓp norms), pruning the m smallest y has relative ℓp error ≤ ε exactly when
Σ(m smallest y) ≤ ε^p Σ y; ``min_kappa`` returns k/d with k = d − (the largest such m), k = 0 iff ε ≥ 1.

The brute forces here sort the y and add them up, independently of the library's O(d) selection:

* small inputs: every y and every sum in exact rational arithmetic (``fractions``) or with 60-digit
  ``mpmath`` (y = |v|^p of the float inputs, ε the float ε);
* d of 10⁶–10⁷: y in float64 (each within one ulp of |v|^p), located by a cumulative sum and decided
  by ``math.fsum``; the decision's error is then ≤ ~4 ulp of the budget ε^p Σy.

A returned count is compared with ``==``. Zero slack is only meaningful where the exact decision is not
a float tie, so each test asserts its inputs are well posed: either the two comparisons that define k
(prune m: fits; prune m + 1: does not) are decided by more than ``MARGIN`` = 1e-9 of the budget ε^p Σy,
the scale at which both sides round (≤ ~1e-15 of it for the brute force; for the library ~1e-13 for its
float sums and ~1e-11 for its log-domain path at p = 800, whose exponents carry p·log|w|), or the case
is an exact tie built from dyadic values whose every p-th power and partial sum is exactly representable
(the library's arithmetic is then exact too, and Σ(pruned) = ε^p Σy must prune).

Findings, fixed in the library: an exact tie was decided wrongly (one entry too many kept) on the
log-domain path once taken when max|w| is subnormal (the values are now lifted by an exact 2^600),
and by ``scheme="nodes"``, whose column norms were divided by max|W| (not a power of two) and raised
back to the p-th power (the column sums of |a|^p are now selected directly). The tests below that
reproduce them failed before the fix.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest

from sgdtails.simulator import _select, magnitude_error, min_kappa, pruning_ratio, sample_sas

MAX = float(np.finfo(np.float64).max)
MARGIN = 1e-9  # relative to the budget ε^p Σy: far above the rounding of either side (module docstring)
P_VALUES = [0.5, 1.0, 2.0, 3.7]


# --- brute forces -------------------------------------------------------------------------------------------


def kept_exact(y: list, ratio) -> tuple[int, object, object]:
    """(k, slack, over) for p-th powers ``y`` (Fractions or mpf) and ``ratio`` = ε^p in the same type.

    k = d − m, m the largest count of smallest y with Σ ≤ budget = ratio·Σy (ε ≥ 1 gives k = 0). slack =
    budget − Σ pruned ≥ 0 and over = Σ pruned + next y − budget > 0 are how far the two comparisons that
    define k are from a tie, relative to the budget (the scale at which both sides round); for ε = 0
    (budget 0: only zeros fit, an exact comparison) slack = inf and over is relative to Σy.
    """
    y = sorted(y)
    total = sum(y[1:], y[0])
    budget = ratio * total
    pruned, m = y[0] * 0, 0
    while m < len(y) and pruned + y[m] <= budget:
        pruned += y[m]
        m += 1
    unit = budget if budget > 0 else total
    over = (pruned + y[m] - budget) / unit if m < len(y) else math.inf
    return len(y) - m, (budget - pruned) / unit if budget > 0 else math.inf, over


def kept_mp(values: np.ndarray, eps: float, p: float) -> tuple[int, float]:
    """(k, margin) by 60-digit mpmath from the float values (their |v|^p), margin = min(slack, over)."""
    with mp.workdps(60):
        y = [mp.mpf(float(abs(v))) ** mp.mpf(p) for v in np.ravel(values)]
        k, slack, over = kept_exact(y, mp.mpf(eps) ** mp.mpf(p))
        return k, float(min(slack, over))


def kept_certified(y: np.ndarray, eps: float, p: float) -> tuple[int, float]:
    """(k, margin) for float64 p-th powers y of any length (0 < ε < 1): cumulative sum to locate, fsum to decide.

    Σ(m smallest) is ``math.fsum`` (correctly rounded), moved by one term at a time while correcting m;
    with y within one ulp of |v|^p the decision is off by ≤ ~4 ulp of the budget, far below the margin
    (relative to the budget, as in :func:`kept_exact`) that callers assert.
    """
    y = np.sort(np.asarray(y, dtype=np.float64).ravel())
    d = y.size
    with mp.workdps(40):
        budget = float(mp.mpf(eps) ** mp.mpf(p) * mp.mpf(math.fsum(y)))
    m = min(int(np.searchsorted(np.cumsum(y), budget, side="right")), d - 1)
    pruned = math.fsum(y[:m])
    while m > 0 and pruned > budget:
        m -= 1
        pruned -= y[m]
    while m + 1 < d and pruned + y[m] <= budget:
        pruned += y[m]
        m += 1
    return d - m, min(budget - pruned, pruned + y[m] - budget) / budget


def error_brute(x: np.ndarray, kappa_decimal: str, p: float) -> float:
    """‖x^(⌈κd⌉) − x‖_p/‖x‖_p by a full sort and ``fsum``, κ given in decimal (⌈κd⌉ exact by Fraction)."""
    a = np.sort(np.abs(np.asarray(x, dtype=np.float64).ravel()))
    keep = min(a.size, max(1, math.ceil(Fraction(kappa_decimal) * a.size)))
    y = a**p
    return (math.fsum(y[: a.size - keep]) / math.fsum(y)) ** (1.0 / p)


def assert_exact(w, eps: float, p: float, scheme: str, k: int, d: int) -> None:
    """min_kappa is k/d and pruning_ratio 1 − k/d, with ``==`` (k from a brute force, never from the library)."""
    assert min_kappa(w, eps, p=p, scheme=scheme) == k / d
    assert pruning_ratio(w, eps, p=p, scheme=scheme) == 1.0 - k / d


# --- multi-chunk (> 2^20 values: parallel histogram rows, merged in chunk order) ---------------------------

D_BIG = 2 * _select.CHUNK + 54_321  # three histogram chunks, the last one partial


@pytest.fixture(scope="module")
def big_x() -> np.ndarray:
    return sample_sas(1.4, D_BIG, seed=2024)


def _scaled_pow(x: np.ndarray, p: float) -> np.ndarray:
    """|x·2^s|^p with 2^s an exact power of two putting max|x·2^s| in [1/2, 1): no overflow, same comparisons."""
    return np.abs(x * 2.0 ** -math.frexp(float(np.max(np.abs(x))))[1]) ** p


@pytest.mark.parametrize("p,eps", [(0.5, 0.1), (1.0, 0.1), (2.0, 0.1), (2.0, 0.01), (3.7, 0.1), (500.0, 0.5)])
def test_multi_chunk_magnitude_is_exact(big_x, p, eps):
    """Magnitude scheme on 2.15M entries (three histogram chunks), every p, direct and log-domain paths."""
    assert D_BIG > _select.CHUNK
    k, margin = kept_certified(_scaled_pow(big_x, p), eps, p)
    assert margin > MARGIN  # well posed: zero slack is earned
    assert_exact(big_x, eps, p, "magnitude", k, D_BIG)
    if p == 2.0:  # layers are pooled (global scope): the same count over a split at an odd offset
        cut = _select.CHUNK + 777
        assert min_kappa([big_x[:cut], big_x[cut:].reshape(-1, 8)], eps, p=p) == k / D_BIG


def test_multi_chunk_log_domain_path_is_exact():
    """At p = 800, ε = 0.9, ε^p 2^(−p) < 2^(−900): min_kappa selects on exp(p log|w| − …) (its docstring).

    Uniform entries put many values near the maximum, so the count kept is large (not just the top one).
    """
    assert 0.9**800 * 2.0**-800 < 2.0**-900
    x = np.random.default_rng(5).uniform(-1.0, 1.0, D_BIG)
    k, margin = kept_certified(_scaled_pow(x, 800.0), 0.9, 800.0)
    assert margin > MARGIN and 1000 < k < D_BIG // 2
    assert_exact(x, 0.9, 800.0, "magnitude", k, D_BIG)


@pytest.mark.parametrize("p", P_VALUES)
def test_multi_chunk_nodes_is_exact(p):
    """Node scheme with > 2^20 columns: y_j = Σ_i |A_ij|^p from the raw entries (Theorem 3's v_j^p)."""
    A = sample_sas(1.6, (2, _select.CHUNK + 4097), seed=31)
    y = np.abs(A[0]) ** p + np.abs(A[1]) ** p
    k, margin = kept_certified(y, 0.1, p)
    assert margin > MARGIN
    assert_exact(A, 0.1, p, "nodes", k, A.shape[1])


def test_tiny_eps_keeps_every_entry_multi_chunk(big_x):
    """ε² underflows float64 (log-domain path): the smallest x_i² already exceeds ε² Σx², so k = d; ε = 0 likewise."""
    a = np.abs(big_x)
    # Σx² ≤ d·max x²: the bound on the budget suffices.
    assert mp.mpf(float(np.min(a))) ** 2 > mp.mpf(1e-200) ** 2 * D_BIG * mp.mpf(float(np.max(a))) ** 2
    assert min_kappa(big_x, 1e-200) == 1.0
    assert min_kappa(big_x, 0.0) == 1.0


# --- single chunk, every scheme and p, 60-digit brute force ------------------------------------------------


def _orthogonal(n: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))
    return q * np.sign(np.diag(r))


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("scheme", ["magnitude", "singular", "nodes"])
def test_single_chunk_every_scheme_is_exact(scheme, p):
    """40×25 matrices, three seeds, ε ∈ {0, 0.05, 0.3, 0.9}.

    singular: W = U diag(s) Vᵀ with s known, so the brute force needs no SVD (the computed σ are within
    ~1e-15·σ_1 of s, far inside MARGIN); nodes: y_j = Σ_i |W_ij|^p to 60 digits.
    """
    for seed in (1, 2, 3):
        if scheme == "singular":
            s = np.abs(sample_sas(1.3, 25, seed=seed)) + 0.1
            s *= 1.0 / s.max()
            W = _orthogonal(40, seed)[:, :25] * s @ _orthogonal(25, seed + 100).T
        else:
            W = sample_sas(1.3, (40, 25), seed=seed)
        for eps in (0.0, 0.05, 0.3, 0.9):
            with mp.workdps(60):
                if scheme == "magnitude":
                    y = [mp.mpf(float(abs(v))) ** p for v in W.ravel()]
                elif scheme == "singular":
                    y = [mp.mpf(float(v)) ** p for v in s]
                else:
                    y = [mp.fsum(mp.mpf(float(abs(v))) ** p for v in col) for col in W.T]
                k, slack, over = kept_exact(y, mp.mpf(eps) ** p)
            assert min(slack, over) > (MARGIN if eps > 0 else 0.0)  # ε = 0: budget 0, an exact comparison
            assert_exact(W, eps, p, scheme, k, len(y))


# --- ties, subnormal and huge values: exact rational brute force -------------------------------------------

TIE_CASES = {  # name: (values, p, ε), all dyadic
    "cut_inside_twos_p1": ([4] * 4 + [2] * 8 + [1] * 16, 1, 0.5),  # Σ = 48, budget 24 = 16·1 + 4·2: equality
    "cut_inside_fours_p2": ([4] * 4 + [2] * 8 + [1] * 16, 2, 0.5),  # Σ = 112, budget 28 = 16·1 + 3·4: equality
    "all_equal_p2": ([1] * 64, 2, 0.5),  # budget 16 of 64 ones: prune exactly 16
    "all_equal_p3": ([2] * 32, 3, 0.5),  # budget 32 = 4·8: prune exactly 4
    "all_equal_below_tie": ([1] * 64, 2, math.nextafter(0.5, 0.0)),  # budget just under 16: prune 15
    "strict_inside_threes_p1": ([4] * 3 + [3] * 10 + [1] * 20, 1, 0.5),  # budget 31: 20 + 3·3 fit, 20 + 4·3 not
    "zeros_and_ties_eps0": ([0] * 10 + [2] * 6, 1, 0.0),
}
TIE_SCALES = {  # power-of-two multiplier of the values (exact): normal, huge (max|w| = 2^1022), subnormal
    "one": 1.0, "2^600": 2.0**600, "2^1020": 2.0**1020, "2^-1000": 2.0**-1000,
    "2^-1030": 2.0**-1030, "2^-1060": 2.0**-1060, "2^-1074": 2.0**-1074,
}


def _tie_matrix(values: list[int]) -> np.ndarray:
    """A signed, permuted diagonal matrix: its entries, singular values and column norms are the values."""
    n = len(values)
    rng = np.random.default_rng(n)
    W = np.zeros((n, n))
    W[rng.permutation(n), np.arange(n)] = np.asarray(values, dtype=np.float64) * rng.choice([-1.0, 1.0], n)
    return W


def _tie_params():
    for scheme in ("magnitude", "singular", "nodes"):
        for case in TIE_CASES:
            for sc in TIE_SCALES:
                yield pytest.param(scheme, case, sc, id=f"{scheme}-{case}-{sc}")


@pytest.mark.parametrize("scheme,case,scale", list(_tie_params()))
def test_ties_subnormal_and_huge_are_exact(scheme, case, scale):
    """Many equal values, the cut inside a tie group, exactly at and just off equality, from 2^-1074 to 2^1022.

    W·scale is exact (small integers × a power of two), so the brute force on the integers (Fractions:
    y and ε^p exact) is the exact κ at every scale (κ does not depend on the scale of w), and every
    y·2^(−pe) and partial sum the library forms is exactly representable: equality must prune.
    Ties at ±MAX itself: :func:`test_ties_at_max_are_exact`.
    """
    values, p, eps = TIE_CASES[case]
    ints = _tie_matrix(values)
    W = ints * TIE_SCALES[scale]
    assert np.array_equal(W / TIE_SCALES[scale], ints)  # the scaling is exact
    y = [Fraction(abs(int(v))) ** p for v in (ints.ravel() if scheme == "magnitude" else values)]
    k, _, _ = kept_exact(y, Fraction(eps) ** p)
    assert_exact(W, eps, float(p), scheme, k, len(y))


@pytest.mark.parametrize("ints,p,eps", [([2, 3, -3], 1.0, 0.25), ([1, 1, -1, 0, -3], 2.0, 0.5)])
def test_exact_tie_does_not_depend_on_scale(ints, p, eps):
    """Minimal reproductions of the subnormal finding: κ is scale-free, the subnormal copy keeps one more.

    [2, 3, −3], p = 1: Σ = 8, ε·Σ = 2 = the pruned 2, so κ = 2/3; [1, 1, −1, 0, −3], p = 2: Σ = 12,
    ε²Σ = 3 = 0 + 1 + 1 + 1, so κ = 1/5. Multiplying by 2^-1040 (2^-1070) is exact and changes nothing.
    """
    y = [Fraction(abs(v)) ** int(p) for v in ints]
    k, slack, _ = kept_exact(y, Fraction(eps) ** int(p))
    assert slack == 0  # an exact tie
    w = np.asarray(ints, dtype=np.float64)
    assert_exact(w, eps, p, "magnitude", k, w.size)  # normal range: right
    for shift in (-1040, -1070):
        assert_exact(w * 2.0**shift, eps, p, "magnitude", k, w.size)


def test_nodes_exact_tie_matches_its_column_norms():
    """Theorem 3's reduction: node pruning of W is magnitude pruning of v_j = ‖W(j)‖_p (docs/theory.md §2.4).

    Column ℓ1 norms [1, 1, 4, 6]: Σ = 12, ε·Σ = 6 = 1 + 1 + 4 at ε = 0.5, so κ = 1/4 (one column kept).
    """
    W = np.array([[0.0, -1.0, 1.0, 3.0], [1.0, 0.0, 3.0, -3.0]])
    k, slack, _ = kept_exact([Fraction(1), Fraction(1), Fraction(4), Fraction(6)], Fraction(1, 2))
    assert (k, slack) == (1, 0)
    assert_exact(np.array([1.0, 1.0, 4.0, 6.0]), 0.5, 1.0, "magnitude", k, 4)  # the reduction, right
    assert_exact(W, 0.5, 1.0, "nodes", k, 4)


def test_ties_at_max_are_exact():
    """Entries exactly ±MAX and ±MAX/2 (tie groups), the cut inside the MAX/2 group, not an exact tie.

    p = 2, ε = 0.45: Σy = 4M² + 8(M/2)² = 6M², budget 0.2025·6M² = 1.215M²: four (M/2)² = M² fit, five
    (1.25M²) do not, so k = 4 + 4 = 8 of 12 (+ zeros), decided by 0.035M² ≈ 3% of the budget. p = 1: Σ = 8M,
    budget 3.6M: seven M/2 fit (3.5M), eight do not, so k = 5, decided by 0.1M ≈ 3% of the budget.
    """
    w = np.array([MAX, -MAX, MAX, -MAX] + [MAX / 2, -MAX / 2] * 4 + [0.0] * 5)
    for p, want in ((2.0, 8), (1.0, 5)):
        k, margin = kept_mp(w, 0.45, p)
        assert (k, margin > 0.02) == (want, True)
        assert_exact(w, 0.45, p, "magnitude", k, w.size)
        assert_exact(w.reshape(1, -1), 0.45, p, "nodes", k, w.size)


@pytest.mark.parametrize("p", P_VALUES)
@pytest.mark.parametrize("where", ["subnormal", "huge", "whole_range"])
def test_random_subnormal_and_huge_are_exact(where, p):
    """Random heavy-tailed values at the ends of the float range (not ties) against the 60-digit brute force.

    subnormal: SαS × 2^-1040 (max|w| subnormal: the log-domain path); huge: scaled to max|w| = MAX with
    a few entries exactly ±MAX (y overflows without scaling); whole range: 5e-324 to MAX in one vector.
    """
    rng = np.random.default_rng(7)
    for seed in (11, 12):
        x = sample_sas(1.5, 300, seed=seed)
        if where == "subnormal":
            w = x * 2.0**-1040
        elif where == "huge":
            w = x / np.max(np.abs(x)) * MAX
            w[:3] = [MAX, -MAX, MAX]
        else:
            w = x * 10.0 ** rng.uniform(-323, 308, x.size)
            w[:4] = [MAX, 5e-324, -1e-310, 1e308]
        assert np.isfinite(w).all()
        for eps in (0.1, 0.5):
            k, margin = kept_mp(w, eps, p)
            assert margin > MARGIN
            assert_exact(w, eps, p, "magnitude", k, w.size)


# --- the in-memory error of the k-best approximation ------------------------------------------------------


@pytest.mark.parametrize("p", P_VALUES)
def test_magnitude_error_matches_brute_force(big_x, p):
    """magnitude_error (exact selection, O(d)) against sort + fsum, single and multi-chunk.

    Tolerance rel 1e-12: both are float sums of the same y (error ≤ ~1e-15·d^(1/2) relative).
    """
    for x in (big_x[:5000], big_x):
        for kappa in ("0.013", "0.3"):
            want = error_brute(x, kappa, p)
            assert magnitude_error(x, float(kappa), p=p) == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("square", [True, False])
def test_gathered_bins_are_exactly_the_entries_in_them(dtype, square):
    # The branch-free gathers (pass 2 in memory, the streamed window) against a plain mask: the y of
    # bins [lo, hi], in index order, over two histogram rows (so the parallel kernels run too).
    x = sample_sas(1.5, _select.CHUNK + 70_001, seed=5).astype(dtype)
    x[::9973] = 0.0  # zeros share bin 0 …
    x[1::7919] = -x[1::7919]
    y = np.abs(x.astype(np.float64)) * 0.5
    y = y * y if square else y
    keys = _select.keys_of(y)
    hist = _select.Histogram()
    counts, _ = hist.add(x, 0.5, square)
    mid, top = int(np.median(keys)), int(keys.max())
    for lo, hi in [(0, 0), (mid, mid), (int(np.quantile(keys, 0.3)), int(np.quantile(keys, 0.7))), (top, top),
                   (top + 1, top + 5)]:
        want = y[(keys >= lo) & (keys <= hi)]
        got = _select.gather_range(x, 0.5, square, counts, lo, hi)
        assert got.dtype == np.float64 and np.array_equal(got, want), (lo, hi)
        kept = _select.Histogram().add_keeping(x, 0.5, square, lo, hi)
        assert np.array_equal(kept, want), (lo, hi)
    # Negative control: counts that disagree with the entries raise instead of writing out of bounds.
    wrong = counts.copy()
    wrong[0, mid] -= 3
    with pytest.raises(RuntimeError, match="histogram said"):
        _select.gather_range(x, 0.5, square, wrong, mid, mid)
    wrong[0, mid] += 6
    with pytest.raises(RuntimeError, match="histogram said"):
        _select.gather_range(x, 0.5, square, wrong, mid, mid)


def test_finite_abs_max_reads_the_bits_of_every_entry():
    x = sample_sas(1.2, 3 * _select.CHUNK // 2, seed=6)
    for a in (x, x.astype(np.float32), x[:1000], np.array([-0.0]), np.array([-5e-324, 1e-320])):
        assert _select.finite_abs_max(a) == float(np.max(np.abs(a.astype(np.float64))))
    for bad in (np.inf, -np.inf, np.nan, -np.nan):
        for n in (1000, _select.CHUNK + 5):  # serial and parallel kernels
            y = x[:n].copy()
            y[n // 2] = bad
            with pytest.raises(ValueError, match="NaN or inf"):
                _select.finite_abs_max(y)
            with pytest.raises(ValueError, match="NaN or inf"):
                _select.finite_abs_max(y.astype(np.float32))


def test_the_bin_of_infinity_is_gathered():
    # y = |x|² overflows to inf for |x| > 1.34e154; inf has a bin of its own, whose upper end is a NaN.
    x = np.array([1e200, 3.0, -1e300, 0.5, 1e154])
    with np.errstate(over="ignore"):
        y = x * x
    keys = _select.keys_of(y)
    counts, _ = _select.Histogram().add(x, 1.0, True)
    top = int(keys.max())
    assert np.array_equal(_select.gather_range(x, 1.0, True, counts, top, top), [np.inf, np.inf])
    assert np.array_equal(_select.gather_range(x, 1.0, True, counts, int(keys.min()), top), y)
    assert np.array_equal(_select.Histogram().add_keeping(x, 1.0, True, top, top), [np.inf, np.inf])
