"""Pruning invariants (docs/theory.md §2), property-based.

Hypothesis draws shapes, κ and a seed; NumPy draws the data (Student-t with 1.5 degrees of
freedom: heavy tails, no exact zeros).
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sgdtails.simulator import keep_count, prune_magnitude, prune_nodes, prune_singular, relative_error
from sgdtails.simulator.masks import matrix_svd, singular_parameters, singular_rank

kappas = st.floats(min_value=0.01, max_value=1.0, allow_nan=False)
seeds = st.integers(0, 2**32 - 1)
dims = st.integers(1, 12)


def _data(seed, shape):
    return np.random.default_rng(seed).standard_t(1.5, size=shape)


def test_keep_count_examples():
    assert keep_count(0.1, 30) == 3  # binary 0.1 > 1/10 must not give 4
    assert keep_count(0.31, 100) == 31
    assert keep_count(0.301, 100) == 31
    assert keep_count(1.0, 7) == 7
    assert keep_count(1e-9, 7) == 1
    assert keep_count(0.5, 3) == 2


@given(seed=seeds, m=dims, n=dims, kappa=kappas, scope=st.sampled_from(["global", "layer"]))
def test_magnitude_keeps_exactly_ceil_kappa_d(seed, m, n, kappa, scope):
    layers = [_data(seed, (m, n)), _data(seed + 1, (n,))]
    out = prune_magnitude(layers, kappa, scope=scope)
    assert isinstance(out, list) and [o.shape for o in out] == [x.shape for x in layers]
    if scope == "global":
        assert sum(np.count_nonzero(o) for o in out) == keep_count(kappa, m * n + n)
        kept = np.concatenate([np.abs(o[o != 0]) for o in out])
        dropped = np.concatenate([np.abs(x[o == 0]) for x, o in zip(layers, out)])
        assert dropped.size == 0 or kept.min() >= dropped.max()
    else:
        for x, o in zip(layers, out):
            assert np.count_nonzero(o) == keep_count(kappa, x.size)
    for x, o in zip(layers, out):
        assert np.array_equal(o[o != 0], x[o != 0])  # kept entries are untouched


@given(seed=seeds, m=dims, n=dims)
def test_kappa_one_is_identity(seed, m, n):
    w = _data(seed, (m, n))
    assert np.array_equal(prune_magnitude(w, 1.0), w)
    assert np.array_equal(prune_magnitude([w, w[0]], 1.0, scope="layer")[1], w[0])
    assert np.array_equal(prune_nodes(w, 1.0), w)
    np.testing.assert_allclose(prune_singular(w, 1.0), w, rtol=1e-10, atol=1e-10 * np.abs(w).max())


@given(seed=seeds, m=dims, n=dims, k1=kappas, k2=kappas, p=st.sampled_from([0.5, 1.0, 2.0, 3.0]))
def test_error_non_increasing_in_kappa(seed, m, n, k1, k2, p):
    lo, hi = sorted((k1, k2))
    w = _data(seed, (m, n))
    assert relative_error(w, prune_magnitude(w, hi), p=p) <= relative_error(w, prune_magnitude(w, lo), p=p)
    assert relative_error(w, prune_nodes(w, hi, p=p), p=p) <= relative_error(w, prune_nodes(w, lo, p=p), p=p)
    e_hi = relative_error(w, prune_singular(w, hi))
    assert e_hi <= relative_error(w, prune_singular(w, lo)) + 1e-12


@given(seed=seeds, n=st.integers(3, 60), kappa=st.floats(0.01, 0.5))
def test_median_centring_restores_the_median(seed, n, kappa):
    w = _data(seed, n) + 3.0
    out = prune_magnitude(w, kappa, center="median")
    med = np.median(w)
    assert np.median(out) == pytest.approx(med, rel=1e-12)
    assert np.count_nonzero(out != med) <= keep_count(kappa, n)
    pruned = out == med
    assert np.all(np.abs(w[~pruned] - med) >= np.abs(w[pruned] - med).max() - 1e-12)


@given(seed=seeds, m=st.integers(2, 12), n=st.integers(2, 12), kappa=kappas)
def test_singular_counts_and_frobenius_error(seed, m, n, kappa):
    w = _data(seed, (m, n))
    s = np.linalg.svd(w, compute_uv=False)
    r = keep_count(kappa, min(m, n))
    approx = prune_singular(w, kappa, count="values")
    assert np.linalg.matrix_rank(approx, tol=1e-9 * s[0]) == min(r, np.sum(s > 1e-9 * s[0]))
    err2 = np.linalg.norm(w - approx) ** 2
    assert err2 == pytest.approx(np.sum(s[r:] ** 2), rel=1e-8, abs=1e-10 * s[0] ** 2)
    full = int(np.sum(s > 1e-9 * s[0]))
    a = prune_singular(w, kappa, count="parameters")
    rp = int(np.sum(np.linalg.svd(a, compute_uv=False) > 1e-9 * s[0]))
    assert rp * (m + n + 1) <= kappa * m * n + 1e-9
    assert rp == min(m, n) or (rp + 1) * (m + n + 1) > kappa * m * n - 1e-9
    a = prune_singular(w, kappa, count="paper")  # the authors' code: s − ⌊s·ratio⌋ values at ratio 1 − κ
    rp = int(np.sum(np.linalg.svd(a, compute_uv=False) > 1e-9 * s[0]))
    assert rp == min(full, min(m, n) - math.floor(round(min(m, n) * (1.0 - kappa), 6)))
    assert rp <= r  # never more than Theorem 2's ⌈κ·min(m, n)⌉ (fewer only where that floor hits min(m, n))


def test_paper_count_is_the_authors_singular_value_ratio():
    """The authors' code at singular-value ratio ρ keeps s − int(s·ρ) values and counts r(m + n) parameters."""
    assert singular_rank(0.75, 500, 500, count="paper") == 375  # ρ = 0.25: 500 − 125 (the case)
    assert singular_rank(0.75, 500, 500, count="parameters") == 187  # parameters: 187·1001 ≤ 187,500 < 188·1001
    assert singular_rank(0.9, 500, 500, count="paper") == 450  # 500·(1 − 0.9) = 49.999…: rounded before the floor
    assert singular_rank(1.0, 2048, 784, count="paper") == 784
    assert singular_parameters(375, 500, 500, count="paper") == 375 * 1000
    assert singular_parameters(375, 500, 500) == 375 * 1001
    with pytest.raises(ValueError, match="r must be in"):
        singular_parameters(501, 500, 500)
    # by hand: W = diag(3, 2, 1) in a 3 × 5 matrix (s = 3 singular values 3, 2, 1; mn = 15)
    w = np.zeros((3, 5))
    w[0, 0], w[1, 1], w[2, 2] = 3.0, 2.0, 1.0
    for kappa, r_paper, r_params in ((0.5, 2, 0), (0.9, 3, 1), (0.1, 1, 0), (1e-9, 0, 0)):
        # paper: 3 − ⌊3(1 − κ)⌋; parameters: the largest r with 9r ≤ 15κ
        assert singular_rank(kappa, 3, 5, count="paper") == r_paper
        assert singular_rank(kappa, 3, 5, count="parameters") == r_params
        want = np.zeros((3, 5))
        want[:r_paper, :r_paper] = np.diag([3.0, 2.0, 1.0][:r_paper])
        np.testing.assert_allclose(prune_singular(w, kappa, count="paper"), want, atol=1e-12)
    assert singular_parameters(2, 3, 5, count="paper") == 16  # ρ = 0.5 keeps 2 triplets: 16 numbers of 15


@given(seed=seeds, m=st.integers(1, 9), n=st.integers(1, 9))
def test_one_svd_gives_every_rank_exactly(seed, m, n):
    """matrix_svd(W).low_rank(r) is prune_singular's W^[r], bit for bit, at every r; rank(r) is its numerical rank."""
    w = _data(seed, (m, n))
    svd = matrix_svd(w)
    assert svd.shape == (m, n) and svd.shift == 0
    for kappa in (1.0, 0.75, 0.5, 0.2):
        for count in ("values", "parameters", "paper"):
            r = singular_rank(kappa, m, n, count=count)
            np.testing.assert_array_equal(svd.low_rank(r), prune_singular(w, kappa, count=count))
    for r in range(min(m, n) + 1):
        low = svd.low_rank(r)
        assert svd.rank(r) == (np.linalg.matrix_rank(low) if r else 0)
    with pytest.raises(ValueError, match="r must be in"):
        svd.low_rank(min(m, n) + 1)


def test_matrix_svd_rank_ignores_zero_values_and_backend_is_checked():
    w = np.zeros((4, 6))
    w[0, 0], w[1, 1] = 5.0, 1.0  # rank 2: the other two singular values are 0
    svd = matrix_svd(w)
    assert [svd.rank(r) for r in range(5)] == [0, 1, 2, 2, 2]
    with pytest.raises(ValueError, match="backend must return a thin SVD"):
        matrix_svd(w, backend=lambda b: np.linalg.svd(b, full_matrices=True))
    big = matrix_svd(np.full((2, 2), 1e308))  # rescaled by 2^-1023 so that sigma_1 = 2e308 does not overflow
    assert big.shift != 0
    np.testing.assert_allclose(big.low_rank(1), np.full((2, 2), 1e308), rtol=1e-12)


@given(seed=seeds, m=dims, n=dims, kappa=kappas, p=st.sampled_from([1.0, 2.0, 3.0]))
def test_nodes_keep_largest_columns(seed, m, n, kappa, p):
    w = _data(seed, (m, n))
    out = prune_nodes(w, kappa, p=p)
    kept = np.any(out != 0, axis=0)
    assert kept.sum() == keep_count(kappa, n)
    norms = np.sum(np.abs(w) ** p, axis=0) ** (1 / p)
    assert not kept.all() and norms[kept].min() >= norms[~kept].max() or kept.all()
    rows = prune_nodes(w, kappa, p=p, by="rows")
    assert np.any(rows != 0, axis=1).sum() == keep_count(kappa, m)


def test_node_error_equals_error_of_column_norms():
    w = _data(3, (40, 30))
    out = prune_nodes(w, 0.3, p=1.5)
    v = np.sum(np.abs(w) ** 1.5, axis=0) ** (1 / 1.5)
    v_hat = np.where(np.any(out != 0, axis=0), v, 0.0)
    assert relative_error(w, out, p=1.5) == pytest.approx(relative_error(v, v_hat, p=1.5), rel=1e-12)


def test_relative_error_no_overflow_and_tuple_structure():
    w = (np.array([1e300, -1e300, 1.0]), np.array([2e300]))
    out = prune_magnitude(w, 0.5)
    assert isinstance(out, tuple)
    assert relative_error(w, out) == pytest.approx(1 / math.sqrt(6), rel=1e-12)  # ‖(1e300, 1)‖ / ‖w‖
