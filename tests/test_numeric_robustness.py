"""No silently wrong number (issue #11, item 1): every float64 input, extreme p, finite answer or ValueError.

Hypothesis draws arrays over the whole float64 range (subnormals, ±max, zeros, ties, NaN, inf) and p
log-uniform over [1e-3, 1e4], and checks, for the pruning, compressibility and tail-index functions,
that each call either raises ``ValueError``/``TypeError`` or returns a finite result that is
consistent: pruning at κ = ``min_kappa(w, ε)`` meets ε, pruning one entry (value, column) fewer does
not, and κ is the exact κ_p(w, ε) of (S5) found by a 60-digit brute force. A negative control runs
the same property on a naive |x|^p implementation and must find a counterexample.
"""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest
from hypothesis import HealthCheck, example, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from hypothesis.extra.numpy import array_shapes, arrays

from sgdtails.simulator import (
    lp_norm,
    magnitude_error,
    min_kappa,
    prune_magnitude,
    prune_nodes,
    prune_singular,
    pruning_ratio,
    relative_error,
    tail_index,
)
from sgdtails.simulator.masks import singular_values
from sgdtails.theory import check_dependence, check_theorem1, check_theorem2, check_theorem3

MAX = float(np.finfo(np.float64).max)
EXTREMES = [0.0, -0.0, 5e-324, -5e-324, 1e-320, 2.2250738585072014e-308, 1e-300, 1.0, -1.0, 3.0, 1e300, 1e308, MAX, -MAX]
TOL = 1e-9  # relative slack around ε within which float rounding may decide either way

finite_el = st.one_of(st.sampled_from(EXTREMES), st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=True))
any_el = st.one_of(finite_el, st.sampled_from([math.nan, math.inf, -math.inf]))
small_ints = st.integers(-3, 3).map(float)  # ties
f32_el = st.floats(width=32, allow_nan=False, allow_infinity=False, allow_subnormal=True)
matrices = st.one_of(
    arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7), elements=finite_el),
    arrays(np.float32, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7), elements=f32_el),
    arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7), elements=small_ints),
    arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=4), elements=any_el),
)
ps = st.one_of(st.sampled_from([1e-3, 0.5, 1.0, 2.0, 3000.0, 1e4]), st.floats(-3.0, 4.0).map(lambda e: 10.0**e))
epss = st.one_of(st.sampled_from([0.0, 0.1, 0.5, 0.999, 1.0]), st.floats(0.0, 1.0))
FAST = settings(max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow])


def _call(f, *args, **kwargs):
    """f(...), or None for ValueError/TypeError; any other exception fails the test."""
    try:
        return f(*args, **kwargs)
    except (ValueError, TypeError):
        return None


def _assert_finite(x) -> None:
    arr = np.asarray(x, dtype=np.float64)
    assert np.isfinite(arr).all(), f"non-finite result {x!r}"


def _close_to(err: float, eps: float) -> bool:
    return abs(err - eps) <= TOL * max(eps, 1e-300)


def _mp_errors(values: np.ndarray, p: float) -> list:
    """Relative ℓp error of keeping the k largest |values|, k = 0..d, to 60 digits."""
    with mp.workdps(60):
        y = sorted((mp.mpf(float(abs(v))) ** mp.mpf(p) for v in values), reverse=True)
        total = mp.fsum(y)
        tails = [mp.fsum(y[k:]) for k in range(len(y) + 1)]
        return [(t / total) ** (1 / mp.mpf(p)) for t in tails]


def _brute_consistent(values: np.ndarray, kappa: float, eps: float, p: float) -> bool:
    """κ·d is the smallest k whose exact error is ≤ ε, up to a float tie at the boundary.

    The exact errors decrease in k, so if the library's k differs from the true one, the error
    farthest from ε between them (at k − 1 if k is too large, at k if too small) must be a tie.
    """
    k = round(kappa * values.size)
    if eps >= 1.0:
        return k == 0
    errs = _mp_errors(values, p)
    k_true = next(i for i, e in enumerate(errs) if e <= eps)
    return k == k_true or _close_to(float(errs[k - 1 if k > k_true else k]), eps)


def _magnitude_consistent(kappa_of, w: np.ndarray, eps: float, p: float) -> bool:
    """The property of min_kappa (magnitude): finite, meets ε at κ, fails at κ − 1/d, equals the brute force."""
    try:
        kappa = kappa_of(w, eps, p)
    except (ValueError, TypeError):
        return bool(not np.isfinite(w).all() or not np.any(w) or eps < 0)
    d = w.size
    if not (math.isfinite(kappa) and 0.0 <= kappa <= 1.0 and abs(kappa * d - round(kappa * d)) < 1e-9):
        return False
    if eps >= 1.0:
        return kappa == 0.0
    if kappa == 0.0:
        return False  # ε < 1 needs at least one entry kept
    try:
        err = relative_error(w, prune_magnitude(w, kappa), p=p)
        if not (math.isfinite(err) and (err <= eps or _close_to(err, eps))):
            return False
        if round(kappa * d) >= 2:
            fewer = relative_error(w, prune_magnitude(w, (round(kappa * d) - 1) / d), p=p)
            if not (fewer > eps or _close_to(fewer, eps)):
                return False
    except (ValueError, TypeError):  # the pruned weights of a valid κ must have a relative error
        return False
    return _brute_consistent(w.ravel(), kappa, eps, p)


def _library_kappa(w, eps, p):
    return min_kappa(w, eps, p=p)


def _naive_kappa(w, eps, p):
    """The textbook implementation: budget ε^p Σ|w|^p summed directly (no scaling)."""
    y = np.sort(np.abs(w.ravel()) ** p)
    c = np.cumsum(y)
    m = int(np.searchsorted(c, eps**p * c[-1], side="right"))
    return (w.size - m) / w.size


@FAST
@given(w=matrices, eps=epss, p=ps)
@example(w=np.arange(1.0, 10.0).reshape(3, 3), eps=0.1, p=3000.0)
@example(w=np.full((2, 2), 5e-324), eps=0.1, p=0.5)
@example(w=np.array([[MAX, -MAX], [MAX, MAX]]), eps=0.5, p=1e-3)
def test_min_kappa_magnitude_is_exact_or_refused(w, eps, p):
    assert _magnitude_consistent(_library_kappa, w, eps, p)
    r = _call(pruning_ratio, w, eps, p=p)
    if r is not None:
        assert r == 1.0 - min_kappa(w, eps, p=p)


@FAST
@given(w=matrices, eps=epss, p=ps)
@example(w=np.full((2, 2), 1e308), eps=0.1, p=2.0)
@example(w=np.full((1, 6), 1.389197e38, dtype=np.float32), eps=0.0, p=1e-3)  # σ_1 beyond float32
def test_min_kappa_singular_is_exact_or_refused(w, eps, p):
    kappa = _call(min_kappa, w, eps, p=p, scheme="singular")
    if kappa is None:
        assert not np.isfinite(w).all() or not np.any(w)
        return
    _assert_finite(kappa)
    s, _ = singular_values(w)
    assert np.isfinite(s).all()
    if not np.any(s):
        return
    # Schatten-p: the ℓp error of the singular values (computed by the library's exact SVD of w·2^-j).
    assert _brute_consistent(s, kappa, eps, p)
    low = _call(prune_singular, w, max(kappa, 1.0 / min(w.shape)))
    if low is not None:
        _assert_finite(low)
        assert low.shape == w.shape


@FAST
@given(w=matrices, eps=epss, p=ps)
@example(w=np.random.default_rng(0).standard_cauchy((7, 6)), eps=0.1, p=3000.0)
def test_min_kappa_nodes_is_exact_or_refused(w, eps, p):
    kappa = _call(min_kappa, w, eps, p=p, scheme="nodes")
    if kappa is None:
        assert not np.isfinite(w).all() or not np.any(w)
        return
    _assert_finite(kappa)
    h = w.shape[1]
    if eps >= 1.0:
        assert kappa == 0.0
        return
    k = round(kappa * h)
    assert k >= 1
    err = relative_error(w, prune_nodes(w, kappa, p=p), p=p)
    assert err <= eps or _close_to(err, eps)
    if k >= 2:
        fewer = relative_error(w, prune_nodes(w, (k - 1) / h, p=p), p=p)
        assert fewer > eps or _close_to(fewer, eps)


@FAST
@given(w=matrices, kappa=st.floats(1e-3, 1.0), p=ps)
@example(w=np.array([[MAX, 0.0], [0.0, 1e300]]), kappa=1.0, p=1.0)  # Σ|w|^p overflows: no warning, a scaled sum
@example(w=np.array([[3.140574e16, 3.125e-2]], dtype=np.float32), kappa=0.5, p=10.0**1.25)  # Σ_small/Σ subnormal
@example(w=np.array([[9.84021043e45, 2.0979977e-197]]), kappa=0.5, p=1.333521432163324)  # Σ_small/Σ underflows to 0
def test_pruning_outputs_are_finite_or_refused(w, kappa, p):
    out = _call(prune_magnitude, w, kappa)
    if out is not None:
        _assert_finite(out)
        assert np.all((out == w) | (out == 0.0))
    for f, kw in ((prune_singular, {}), (prune_nodes, {"p": p})):
        out = _call(f, w, kappa, **kw)
        if out is None:
            assert not np.isfinite(w).all() or f is prune_singular  # only an overflowing rank-r matrix
        else:
            _assert_finite(out)
    me = _call(magnitude_error, w, kappa, p=p)
    if me is not None:
        _assert_finite(me)
        re = relative_error(w, prune_magnitude(w, kappa), p=p)
        assert me == pytest.approx(re, rel=1e-6, abs=1e-300)


def _mp_relative_error(w: np.ndarray, w_hat: np.ndarray, p: float):
    with mp.workdps(60):
        q = mp.mpf(p)
        num = mp.fsum(abs(mp.mpf(float(b)) - mp.mpf(float(a))) ** q for a, b in zip(w.ravel(), w_hat.ravel()))
        den = mp.fsum(abs(mp.mpf(float(a))) ** q for a in w.ravel())
        return (num / den) ** (1 / q)


@FAST
@given(pair=st.integers(1, 6).flatmap(lambda n: st.tuples(
    arrays(np.float64, n, elements=any_el), arrays(np.float64, n, elements=finite_el))), p=ps)
@example(pair=(np.array([1e308, 1e308]), -np.array([1e308, 1e308])), p=2.0)
@example(pair=(np.arange(1.0, 10.0), np.zeros(9)), p=1e-3)
@example(pair=(np.array([1e-320, 3.0, 5e-324, 5e-324]), np.array([0.0, 3.0, 0.0, 0.0])), p=1e-3)
@example(pair=(np.array([2.2e-308, -9e239, 0.0, 2.2e-308, 0.3]), np.array([2.2e-308, -9e239, 0.0, -MAX, 0.3])),
         p=1e-3)  # exp(log S_n − log S_d) underflows, the ratio does not
@example(pair=(np.array([7.77888133e-42, 0.0]), np.array([2.0, 5e-324])), p=1e-3)  # diff/max|diff| underflows
@example(pair=(np.array([5e-324, -MAX]), np.array([1e300, MAX])), p=1e-3)  # w_hat − w overflows, w has a subnormal
def test_relative_error_is_correct_or_refused(pair, p):
    w, w_hat = pair
    r = _call(relative_error, w, w_hat, p=p)
    ref = None
    if np.isfinite(w).all() and np.any(w):
        ref = _mp_relative_error(w, w_hat, p)
    if r is None:  # refused: bad input, or a true value beyond float64
        assert ref is None or ref > MAX * (1 - 1e-12)
        return
    _assert_finite(r)
    assert r >= 0.0
    if ref < mp.mpf(2.0) ** -1000:
        assert r < 2.0**-990
    else:  # 1/p amplifies the rounding of the sums: allow 1e-9 per unit of 1/p
        assert abs(mp.mpf(r) / ref - 1) <= 1e-9 * max(1.0, 1.0 / p)
    n = _call(lp_norm, w, p)
    if n is not None:
        _assert_finite(n)


@FAST
@given(w=matrices, method=st.sampled_from(["mmo", "mmo_multivariate", "hill", "paper"]))
@example(w=np.array([[1e308, -1e308], [1e308, 1e308]] * 3), method="mmo")
@example(w=np.full((6, 4), 1e-320) * np.arange(1.0, 25.0).reshape(6, 4), method="mmo_multivariate")
@example(w=np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, 2.0]]), method="hill")
def test_tail_index_is_finite_or_refused(w, method):
    est = _call(tail_index, w, method=method)
    if est is not None:
        _assert_finite(est.alpha)


def test_brief_examples():
    """The issue's inputs: the true κ at p = 3000, finite results near ±max, clear errors."""
    assert min_kappa(np.arange(1.0, 10.0), 0.1, p=3000) == 1.0  # 1^3000 > 0.1^3000·Σ i^3000: nothing prunes
    w = np.random.default_rng(0).standard_cauchy((50, 40))
    kappa = min_kappa(w, 0.1, p=3000)
    assert kappa == pytest.approx(0.007)
    assert relative_error(w, prune_magnitude(w, kappa), p=3000) <= 0.1
    assert relative_error(w, prune_magnitude(w, kappa - 1 / w.size), p=3000) > 0.1
    assert relative_error(np.array([1e308, 1e308]), -np.array([1e308, 1e308])) == 2.0
    np.testing.assert_allclose(prune_singular(np.full((2, 2), 1e308), 0.5), np.full((2, 2), 1e308), rtol=1e-12)
    for p in (1e-3, 1e-300):  # tiny p: the smallest budget keeps one entry (ε^p < 1 but ≈ 1)
        assert min_kappa(np.arange(1.0, 10.0), 0.1, p=p) == pytest.approx(1 / 9)
    with pytest.raises(ValueError, match="x: Hill"):
        tail_index(np.array([1.0, -1.0] * 8 + [0.0]), method="hill")


def test_negative_control_naive_power_is_caught():
    """The same property applied to a naive |x|^p budget is falsified by hypothesis (the test can fail)."""
    valid = arrays(np.float64, array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=7), elements=finite_el).filter(np.any)
    try:
        bad = find(st.tuples(valid, epss, ps), lambda a: not _magnitude_consistent(_naive_kappa_quiet, *a),
                   settings=settings(max_examples=300, deadline=None, derandomize=True, database=None))
    except NoSuchExample:  # pragma: no cover - would mean the property cannot tell a wrong κ
        pytest.fail("the property did not catch the naive implementation")
    assert _magnitude_consistent(_library_kappa, *bad)  # where the naive one fails, the library holds


def _naive_kappa_quiet(w, eps, p):
    with np.errstate(all="ignore"):
        return _naive_kappa(w, eps, p)


def test_streamed_and_in_memory_extremes():
    """magnitude_error in a scaled domain at p = 3000; the streamed functions refuse what they cannot sum."""
    from sgdtails.simulator import streamed_magnitude_error, streamed_min_kappa

    w = np.random.default_rng(0).standard_cauchy((50, 40))
    assert magnitude_error(w, 0.007, p=3000) == pytest.approx(relative_error(w, prune_magnitude(w, 0.007), p=3000), rel=1e-12)
    assert magnitude_error(np.full(3, 1e308), 0.5) == pytest.approx(math.sqrt(1 / 3))
    with pytest.raises(ValueError, match="eps"):
        streamed_min_kappa(1.5, 1000, 0.1, p=3000)
    with pytest.raises(ValueError, match="^d must be an int"):
        streamed_min_kappa(1.5, 1180591620717411303424, 0.1)
    with pytest.raises(ValueError, match="^d must be an int"):
        streamed_magnitude_error(1.5, 2**70, 0.1)
    assert streamed_min_kappa(1.5, 1000, 0.1, p=1e-300) == 1 / 1000  # ε^p rounds to 1: one entry kept


CHECK_CALLS = {"theorem1": check_theorem1, "theorem2": check_theorem2, "theorem3": check_theorem3,
               "dependence": check_dependence}


@pytest.mark.parametrize("check", sorted(CHECK_CALLS))
@pytest.mark.parametrize(("kwargs", "names"), [
    (dict(alpha=None), "alpha"),
    (dict(alpha=1.5, sizes=(100.5, 200)), "sizes"),
    (dict(alpha=1.5, sizes=(100, 1180591620717411303424)), "sizes"),
    (dict(alpha=1.5, sizes=None), "sizes"),
    (dict(alpha=1.5, sizes=(16, 32), eps=0.0), "eps"),
])
def test_checks_refuse_bad_arguments_up_front(check, kwargs, names, monkeypatch):
    """Every check names the bad argument before any cell runs (no TypeError/OverflowError, no math domain error)."""
    from sgdtails.theory import _cells

    def no_cells(*args, **kw):
        raise AssertionError("a cell ran before the arguments were validated")

    monkeypatch.setattr(_cells, "run_grid", no_cells)
    with pytest.raises(ValueError, match=rf"^{names}"):
        CHECK_CALLS[check](trials=2, **kwargs)


def test_other_theory_entry_points_name_the_argument():
    from sgdtails.theory import check_proposition_s1
    from sgdtails.theory._extrapolate import extrapolate_d0
    from sgdtails.theory.bounds import epsilon_kappa, kappa_bar
    from sgdtails.theory.required_size import required_size

    with pytest.raises(ValueError, match="^alphas"):
        check_proposition_s1(None)
    with pytest.raises(ValueError, match="^d must"):
        check_proposition_s1((1.2, 1.5), p=1.0, d=2**70)
    with pytest.raises(ValueError, match="^aspects"):
        check_theorem2(1.5, sizes=(8, 16), aspects=(10**30,), trials=2)
    with pytest.raises(ValueError, match="^eps"):
        check_theorem2(1.5, sizes=(8, 16), eps=1e-200, trials=2)  # ε² underflows
    with pytest.raises(ValueError, match="^kappas must not be empty"):
        kappa_bar([], [])
    with pytest.raises(ValueError, match="^kappa_bar must not be empty"):
        epsilon_kappa([], 10)
    with pytest.raises(ValueError, match="^kappa_bar must be finite"):
        epsilon_kappa(math.nan, 10)
    with pytest.raises(ValueError, match="^eps must be"):
        extrapolate_d0([16, 32], np.ones((2, 3)), 0.0, 0.9, np.random.default_rng(0))
    with pytest.raises(ValueError, match="^cannot extrapolate: the level is not reached at the only size measured"):
        required_size(1.5, theorem="theorem2", max_measured=16, trials=2)
    with pytest.raises(ValueError, match="^eps must be > 0"):
        required_size(1.5, theorem="theorem2", eps=0.0, max_measured=32, trials=2)
    with pytest.raises(ValueError, match="^max_measured"):
        required_size(1.5, theorem="theorem2", max_measured=10**30, trials=2)
