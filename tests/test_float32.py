"""float32 end to end (issue "engine speed", item 3): select, prune and rank a float32 array as it is, exactly.

A float32 w is never copied to float64: the selection behind ``min_kappa`` / ``pruning_ratio`` forms each
y = |w_i|^p in float64 from the exactly widened entry and sums in float64 (``_select``), so its κ is the exact
κ of the float32 values given. Each test compares against the brute forces of ``test_exact_paths`` (sort
the |w as float64|^p, cumulative sum; exact rationals or 60-digit mpmath for small inputs) with zero slack,
where the count is not a float tie (``MARGIN``) or is an exact dyadic tie, and checks that the result is
bit for bit that of ``w.astype(np.float64)``. Other dtypes follow :func:`~sgdtails.simulator.validate.finite_array`:
float16, integers and bool are converted to float64 (exactly), complex input is refused.
"""
from __future__ import annotations

import ast
import math
import os
import subprocess
import sys
import tracemalloc
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
from test_exact_paths import MARGIN, TIE_CASES, _scaled_pow, _tie_matrix, assert_exact, kept_certified, kept_exact

from sgdtails.simulator import (
    _select,
    compressibility,
    magnitude_mask,
    min_kappa,
    node_mask,
    prune_magnitude,
    prune_nodes,
    pruning_ratio,
    relative_error,
)
from sgdtails.simulator.masks import node_pow_sums

F32_MAX = float(np.finfo(np.float32).max)
D_MULTI = _select.CHUNK + 54_321  # two histogram rows (the parallel kernels), the last one partial


def _t32(shape, seed: int, df: float = 1.3) -> np.ndarray:
    """Heavy-tailed float32 data (Student-t rounded to float32: many ties among the small values)."""
    return np.random.default_rng(seed).standard_t(df, size=shape).astype(np.float32)


def _same_as_float64(w32: np.ndarray, eps: float, p: float, scheme: str = "magnitude") -> float:
    """min_kappa of the float32 array, asserted equal (==) to that of its float64 copy."""
    k32 = min_kappa(w32, eps, p=p, scheme=scheme)
    assert k32 == min_kappa(w32.astype(np.float64), eps, p=p, scheme=scheme)
    return k32


@pytest.fixture(scope="module")
def w_multi() -> np.ndarray:
    w = _t32(D_MULTI, 2024)
    assert w.dtype == np.float32 and np.unique(w).size < w.size  # ties from the rounding to float32
    return w


# --- magnitude: exact against the float64 brute force -------------------------------------------------------


@pytest.mark.parametrize("p,eps", [(0.5, 0.1), (1.0, 0.3), (2.0, 0.1), (2.0, 0.3), (3.7, 0.1)])
def test_multi_chunk_float32_magnitude_is_exact(w_multi, p, eps):
    """1.1M float32 entries (two histogram rows; for p ∉ {1, 2} many NumPy power blocks), zero slack."""
    k, margin = kept_certified(_scaled_pow(w_multi.astype(np.float64), p), eps, p)
    assert margin > MARGIN  # well posed: zero slack is earned
    assert_exact(w_multi, eps, p, "magnitude", k, w_multi.size)
    assert _same_as_float64(w_multi, eps, p) == k / w_multi.size


@pytest.mark.parametrize("p", [0.5, 2.0, 3.7])
def test_small_float32_every_scheme_is_exact(p):
    """40×25 float32 matrices against the 60-digit brute force: magnitude, nodes, and singular on the float32 σ.

    singular: the SVD of a float32 W is LAPACK's float32 SVD (its σ are not those of the float64 SVD);
    the selection on those σ is exact, so the brute force uses them.
    """
    W = _t32((40, 25), 1)
    s = np.linalg.svd(W, compute_uv=False)
    assert s.dtype == np.float32
    with mp.workdps(60):
        ys = {"magnitude": [mp.mpf(float(abs(v))) ** p for v in W.ravel()],
              "nodes": [mp.fsum(mp.mpf(float(abs(v))) ** p for v in col) for col in W.T],
              "singular": [mp.mpf(float(v)) ** p for v in s]}
        for eps in (0.0, 0.05, 0.3, 0.9):
            for scheme, y in ys.items():
                k, slack, over = kept_exact(y, mp.mpf(eps) ** p)
                assert min(slack, over) > (MARGIN if eps > 0 else 0.0)
                assert_exact(W, eps, p, scheme, k, len(y))
                if scheme != "singular":  # the float64 copy has float64 singular values
                    _same_as_float64(W, eps, p, scheme)


TIE_SCALES_32 = {"one": 1.0, "2^100": 2.0**100, "2^124": 2.0**124, "2^-100": 2.0**-100, "2^-130": 2.0**-130,
                 "2^-149": 2.0**-149}  # ints × scale exact in float32: normal, near max, subnormal


@pytest.mark.parametrize("scale", list(TIE_SCALES_32))
@pytest.mark.parametrize("case", list(TIE_CASES))
@pytest.mark.parametrize("scheme", ["magnitude", "nodes"])
def test_float32_ties_are_exact(scheme, case, scale):
    """The dyadic tie cases of test_exact_paths (cut inside a tie group, at and just off equality) in float32.

    Every value, p-th power and partial sum is exact in float64: equality must prune. The scaled values
    reach float32 subnormals (2^-149) and 4·2^124 = 2^126 near float32 max.
    """
    values, p, eps = TIE_CASES[case]
    ints = _tie_matrix(values)
    W = (ints * TIE_SCALES_32[scale]).astype(np.float32)
    assert np.array_equal(W.astype(np.float64) / TIE_SCALES_32[scale], ints)  # exact in float32
    y = [Fraction(abs(int(v))) ** p for v in (ints.ravel() if scheme == "magnitude" else values)]
    k, _, _ = kept_exact(y, Fraction(eps) ** p)
    assert_exact(W, eps, float(p), scheme, k, len(y))
    _same_as_float64(W, eps, float(p), scheme)


def test_float32_extremes_are_exact():
    """Entries at ±float32 max, subnormal float32 entries, and both in one vector, every p, 60-digit brute force."""
    rng = np.random.default_rng(7)
    x = _t32(200, 11, 1.5).astype(np.float64)
    cases = {
        "max": (x / np.max(np.abs(x)) * F32_MAX).astype(np.float32),
        "subnormal": (x / np.max(np.abs(x)) * 2.0**-127).astype(np.float32),
        "whole_range": (x * 10.0 ** rng.uniform(-44, 37, x.size)).astype(np.float32),
    }
    cases["max"][:3] = [F32_MAX, -F32_MAX, F32_MAX]
    cases["whole_range"][:3] = [F32_MAX, 2.0**-149, -(2.0**-149)]
    for name, w in cases.items():
        assert w.dtype == np.float32 and np.isfinite(w).all() and np.any(w), name
        for p in (0.5, 1.0, 2.0, 3.7):
            with mp.workdps(60):
                y = [mp.mpf(float(abs(v))) ** mp.mpf(p) for v in w]
                for eps in (0.1, 0.5):
                    k, slack, over = kept_exact(y, mp.mpf(eps) ** mp.mpf(p))
                    assert min(slack, over) > MARGIN, (name, p, eps)
                    assert_exact(w, eps, p, "magnitude", k, w.size)
                    _same_as_float64(w, eps, p)


# --- the budget and underflow rules: the float64 ones, since every y is float64 ----------------------------


@pytest.mark.parametrize("scheme", ["magnitude", "nodes"])
@pytest.mark.parametrize("p,eps,log_domain", [
    (100.0, 0.5, False),  # ε^p 2^-p = 2^-200: below float32's 2^-80 floor, above float64's 2^-900: direct
    (800.0, 0.9, True),  # 0.9^800 2^-800 < 2^-900: the log-domain path
    (2.0, 1e-30, False),  # ε² = 1e-60 ≥ 2^-900: direct, every entry kept
    (2.0, 1e-200, True),  # ε² underflows: log domain, every entry kept
    (0.5, 0.2, False),  # p < 1 with subnormal float32 entries: none is subnormal in float64 once scaled
])
def test_float32_budget_rules_are_the_float64_ones(monkeypatch, scheme, p, eps, log_domain):
    """Which path runs follows compressibility's float64 rule (UNDERFLOW_FLOOR[float64]); both are exact."""
    rng = np.random.default_rng(3)
    W = (rng.uniform(-1.0, 1.0, (30, 20)) * 2.0 ** rng.integers(-20, 1, (30, 20))).astype(np.float32)
    W[0, :4] = [2.0**-149, -(2.0**-140), 2.0**-130, 0.0]  # float32 subnormals and a zero
    calls = []
    robust = compressibility._robust_kappa
    monkeypatch.setattr(compressibility, "_robust_kappa", lambda *a: calls.append(1) or robust(*a))
    values = W.ravel() if scheme == "magnitude" else None
    with mp.workdps(60):
        if scheme == "magnitude":
            y = [mp.mpf(float(abs(v))) ** p for v in values]
        else:
            y = [mp.fsum(mp.mpf(float(abs(v))) ** p for v in col) for col in W.T]
        k, slack, over = kept_exact(y, mp.mpf(eps) ** p)
    assert min(slack, over) > MARGIN
    assert_exact(W, eps, p, scheme, k, len(y))
    assert bool(calls) == log_domain
    _same_as_float64(W, eps, p, scheme)


# --- thread-count independence, memory ------------------------------------------------------------------


_THREADS_SCRIPT = """
import sys, numba, numpy as np
from sgdtails.simulator import _select, min_kappa
w = np.random.default_rng(77).standard_t(1.3, size=2 * _select.CHUNK + 54_321).astype(np.float32)
A = w[: 1000 * 1000].reshape(1000, 1000)
h = _select.Histogram()
h.add(w, 2.0**-10, True)
import hashlib
sys.stdout.write(repr((numba.get_num_threads(), hashlib.sha256(h.sums.tobytes() + h.counts.tobytes()).hexdigest(),
                       min_kappa(w, 0.05), min_kappa(w, 0.1, p=1.5), min_kappa(A, 0.1, scheme="nodes"))))
"""


def test_float32_selection_does_not_depend_on_thread_count():
    """Histogram sums (the budget) and every κ are the same bits with one thread and with three.

    Three histogram rows (two would be merged in either order to the same bits: a + b = b + a), in
    fresh processes with ``NUMBA_NUM_THREADS`` = 1 and 3 (Numba runs 3 threads on any machine).
    """
    outs = []
    for threads in ("1", "3"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        out = subprocess.run([sys.executable, "-c", _THREADS_SCRIPT], env=env, capture_output=True, text=True,
                             check=True).stdout
        used, *rest = ast.literal_eval(out)
        assert used == int(threads)
        outs.append(rest)
    assert outs[0] == outs[1]


@pytest.mark.parametrize("scheme,p", [("magnitude", 2.0), ("magnitude", 1.5), ("nodes", 2.0), ("nodes", 0.5)])
def test_float32_is_not_copied_to_float64(scheme, p):
    """Peak memory of κ on a float32 array is well under its size (a float64 copy alone would be twice it).

    What remains is the histogram (1 MiB per 2^20 entries), NumPy's power blocks (512 KiB) and the boundary bin.
    """
    w = _t32(2**21 + 777, 5)
    if scheme == "nodes":
        w = w[: 2048 * 1024].reshape(2048, 1024)
    min_kappa(w, 0.1, p=p, scheme=scheme)  # compile and load outside the measurement
    tracemalloc.start()
    try:
        min_kappa(w, 0.1, p=p, scheme=scheme)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 0.75 * w.nbytes


# --- pruning and ranking: float32 in, float32 out, the entries of the float64 copy ------------------------


def test_prune_magnitude_keeps_float32_and_the_float64_choice():
    w = _t32((60, 50), 9)
    layers = [w, _t32(70, 10)]
    for kappa in (0.013, 0.3, 1.0):
        for center in (None, "median"):
            out = prune_magnitude(w, kappa, center=center)
            assert out.dtype == np.float32
            ref = prune_magnitude(w.astype(np.float64), kappa, center=center)
            assert np.array_equal(out.astype(np.float64), ref)
            assert np.array_equal(magnitude_mask(w, kappa, center=center), magnitude_mask(w.astype(np.float64), kappa,
                                                                                      center=center))
        for scope in ("global", "layer"):
            outs = prune_magnitude(layers, kappa, scope=scope)
            assert [o.dtype for o in outs] == [np.float32, np.float32]
            refs = prune_magnitude([x.astype(np.float64) for x in layers], kappa, scope=scope)
            assert all(np.array_equal(o.astype(np.float64), r) for o, r in zip(outs, refs))


@pytest.mark.parametrize("order", [0, 1])
def test_centred_float32_deviations_are_not_rounded_to_ties(order):
    """Median 2^24: |0.5 − 2^24| = 2^24 − 0.5 rounds to 2^24 in float32, a tie with |0 − 2^24|; float64 keeps 0."""
    c = np.float32(2.0**24)
    w = np.array([0.0, 0.5] if order == 0 else [0.5, 0.0], dtype=np.float32)
    w = np.concatenate([w, np.full(3, c)])
    assert np.float32(0.5) - c == np.float32(0.0) - c  # the float32 difference ties them
    out = prune_magnitude(w, 0.2, center="median")  # keep 1 of 5: the largest deviation, |0 − 2^24|
    assert out.dtype == np.float32
    assert out.tolist() == [c if v == 0.5 else v for v in w.tolist()]


def test_node_ranking_is_float64_and_float32_stays_float32():
    W = _t32((200, 40), 4)
    for p in (0.5, 1.0, 2.0, 3.7):
        for by in ("columns", "rows"):
            out = prune_nodes(W, 0.3, p=p, by=by)
            assert out.dtype == np.float32
            assert np.array_equal(node_mask(W, 0.3, p=p, by=by), node_mask(W.astype(np.float64), 0.3, p=p, by=by))
            kept = np.any(out != 0, axis=0 if by == "columns" else 1)
            norms = np.sum(np.abs(W.astype(np.float64)) ** p, axis=0 if by == "columns" else 1)
            assert norms[kept].min() >= norms[~kept].max()


@pytest.mark.parametrize("order", [0, 1])
def test_node_sums_are_not_rounded_to_ties(order):
    """Column sums of squares 1 + 2^-26 and 1: a tie in float32, the first column wins in float64 (keep 1 of 2)."""
    W = np.array([[1.0, 1.0], [2.0**-13, 0.0]], dtype=np.float32)
    if order:
        W = W[:, ::-1].copy()
    assert np.float32(1.0) + np.float32(2.0**-26) == np.float32(1.0)
    keep = int(np.argmax(np.abs(W[1])))
    assert node_mask(W, 0.5)[0].tolist() == [j == keep for j in range(2)]
    # Pruning the column of sum 1 has error² 1/(2 + 2^-26) ≤ ε² < 1/2: it fits only if Σ keeps its 2^-26.
    assert min_kappa(W, math.sqrt(1.0 / (2.0 + 2.0**-27)), scheme="nodes") == 0.5


def test_column_pow_sums_are_float64_sums_in_row_order():
    """Σ_i (|A_ij|·s)^p for float32 A: the bits of the float64 copy, C or Fortran order, close to fsum."""
    A = _t32((3000, 7), 8)
    s = 2.0 ** -math.frexp(float(np.max(np.abs(A))))[1]
    for p in (0.5, 1.0, 2.0, 3.7):
        got, live = _select.column_pow_sums(A, s, p)
        assert got.dtype == np.float64 and live.all()
        for B in (A.astype(np.float64), np.asfortranarray(A), np.asfortranarray(A.astype(np.float64))):
            assert np.array_equal(_select.column_pow_sums(B, s, p)[0], got)
        ref = [math.fsum(col) for col in ((np.abs(A.astype(np.float64)) * s) ** p).T]
        np.testing.assert_allclose(got, ref, rtol=1e-13)  # float64 accumulation (float32 would be ~1e-7 off)
        assert np.array_equal(node_pow_sums(A, p, 0), got)


def test_pow_path_safeguard_recovers_a_missed_boundary_bin(monkeypatch, w_multi):
    """For p ∉ {1, 2} pass 2 reads only the boundary bin's interval, with no second power pass.

    If that interval missed entries of the bin, the count check sends it to the full second pass: same answer.
    """
    second_pass = []
    keeping = _select.Histogram.add_keeping
    monkeypatch.setattr(_select.Histogram, "add_keeping", lambda *a: second_pass.append(1) or keeping(*a))
    want = min_kappa(w_multi, 0.1, p=1.5)
    assert not second_pass  # the interval held the whole bin
    monkeypatch.setattr(_select, "_u_interval", lambda key, q: (1.0, 0.0))  # an empty interval
    assert min_kappa(w_multi, 0.1, p=1.5) == want
    assert second_pass


def test_sampled_float32_end_to_end():
    """Sample, select and prune in float32: κ is the brute force's and pruning at κ meets ε."""
    from sgdtails.simulator import sample_sas

    w = sample_sas(1.5, (300, 200), seed=3, dtype=np.float32)
    assert w.dtype == np.float32
    k, margin = kept_certified(_scaled_pow(w.astype(np.float64), 2.0), 0.1, 2.0)
    assert margin > MARGIN
    kappa = min_kappa(w, 0.1)
    assert kappa == k / w.size and pruning_ratio(w, 0.1) == 1.0 - k / w.size
    pruned = prune_magnitude(w, kappa)
    assert pruned.dtype == np.float32 and relative_error(w, pruned) <= 0.1


# --- other dtypes: the documented conversion, or a clear ValueError -----------------------------------------


def test_other_dtypes_are_converted_to_float64_or_refused():
    w = _t32((30, 20), 6, 2.0)
    for other in (w.astype(np.float16), np.round(w * 100).astype(np.int64), np.round(w * 100).astype(np.int8),
                  w > 0):
        ref = other.astype(np.float64)
        for scheme in ("magnitude", "nodes", "singular"):
            assert min_kappa(other, 0.2, scheme=scheme) == min_kappa(ref, 0.2, scheme=scheme)
        out = prune_magnitude(other, 0.3)
        assert out.dtype == np.float64 and np.array_equal(out, prune_magnitude(ref, 0.3))
        assert prune_nodes(other, 0.3).dtype == np.float64
    with pytest.raises(ValueError, match="real numeric array"):
        min_kappa(w.astype(np.complex64), 0.1)
    with pytest.raises(ValueError, match="real numeric array"):
        prune_magnitude(w.astype(np.complex128), 0.5)
    with pytest.raises(ValueError, match="NaN or inf"):
        min_kappa(np.array([1.0, np.inf], dtype=np.float32), 0.1)
    # the kernels themselves never convert
    with pytest.raises(ValueError, match="float32 or float64 array, got a float16"):
        _select.max_prunable(w.ravel().astype(np.float16), 1.0, True, 0.1)
    with pytest.raises(ValueError, match="2-D float32 or float64 array"):
        _select.column_pow_sums(w.ravel(), 1.0, 2.0)
    with pytest.raises(ValueError, match="power must be"):
        _select.max_prunable(w.ravel(), 1.0, -1.0, 0.1)
