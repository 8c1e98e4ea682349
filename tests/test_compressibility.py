"""min_kappa: exact κ_p(w, ε) (S5) against a brute-force search, for all schemes and p.

The brute forces (60-digit mpmath; sort + fsum for millions of entries) live in ``test_exact_paths``,
which also explains when zero slack is earned (the count is not a float tie: ``MARGIN``).
"""
import mpmath as mp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from test_exact_paths import MARGIN, kept_certified, kept_mp

from sgdtails.simulator import min_kappa, prune_magnitude, pruning_ratio, relative_error, sample_sas

P_VALUES = [0.5, 1.0, 1.5, 2.0, 3.0]
TIE = 1e-12  # relative distance from ε within which float rounding may decide either way


def _scheme_values(w, scheme, p):
    if scheme == "magnitude":
        return w.ravel()
    if scheme == "singular":
        return np.linalg.svd(w, compute_uv=False)
    return np.sum(np.abs(w) ** p, axis=0) ** (1 / p)


@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(1, 9),
    n=st.integers(1, 9),
    eps=st.floats(0.0, 0.99),
    p=st.sampled_from(P_VALUES),
    scheme=st.sampled_from(["magnitude", "singular", "nodes"]),
    tails=st.sampled_from([1.0, 1.5, 5.0]),
)
def test_min_kappa_equals_brute_force(seed, m, n, eps, p, scheme, tails):
    w = np.random.default_rng(seed).standard_t(tails, size=(m, n))
    values = _scheme_values(w, scheme, p)
    k_brute, margin = kept_mp(values, eps, p)
    # Well posed (zero slack earned): the count is decided by more than MARGIN of the budget ε^p Σy, and
    # for singular values (numpy's SVD here, the library's there: ~1e-15·σ_1 apart) by MARGIN of Σy.
    assume(margin > MARGIN and (scheme != "singular" or margin * mp.mpf(eps) ** p > MARGIN) if eps > 0 else margin > 0)
    d = values.size
    assert min_kappa(w, eps, p=p, scheme=scheme) == k_brute / d
    assert pruning_ratio(w, eps, p=p, scheme=scheme) == 1.0 - k_brute / d  # against the brute force


@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 400), eps=st.floats(0.001, 0.99), p=st.sampled_from(P_VALUES))
def test_pruning_at_min_kappa_meets_eps(seed, d, eps, p):
    w = np.random.default_rng(seed).standard_t(1.3, size=d)
    kappa = min_kappa(w, eps, p=p)
    if kappa > 0:
        assert relative_error(w, prune_magnitude(w, kappa), p=p) <= eps * (1 + TIE)
        if kappa * d >= 2:  # one entry fewer fails
            fewer = prune_magnitude(w, (round(kappa * d) - 1) / d)
            assert relative_error(w, fewer, p=p) > eps * (1 - TIE)


def test_min_kappa_large_exact_against_sort():
    # Spans many histogram chunks (2^20 entries each) and ties from rounding to float32, whose squares
    # are exact in float64. Zero slack (issue #14: the count is exact, "48426 = 48426").
    x = sample_sas(1.4, 3_000_000, seed=9).astype(np.float32).astype(np.float64)
    assert np.unique(x).size < x.size  # ties present
    k, margin = kept_certified(x * x, 0.1, 2.0)
    assert margin > MARGIN
    assert min_kappa(x, 0.1) == k / x.size
    assert pruning_ratio(x, 0.1) == 1.0 - k / x.size


def test_layers_are_pooled_and_edge_cases():
    a, b = np.array([3.0, 0.0, 0.0]), np.array([4.0])
    assert min_kappa([a, b], 0.0) == 0.5  # two nonzeros of four must stay for zero error
    assert min_kappa([a, b], 0.8) == 0.25  # dropping 3 leaves error 3/5
    assert min_kappa(a, 1.0) == 0.0  # ε ≥ 1: keeping nothing is enough
    with pytest.raises(ValueError, match="zeros"):
        min_kappa(np.zeros(4), 0.1)
