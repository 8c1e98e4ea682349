"""Theorem 2 check: eigenvalue and Frobenius statements; α = 2 and layer matrices fail."""
import numpy as np
import pytest

from sgdtails.simulator import prune_singular, relative_error, sample_weights
from sgdtails.theory.theorem2 import Theorem2Cell, check_theorem2, eigenvalues, theorem2_cell, theory_slopes

SIZES = (16, 32, 64, 128)


def test_in_hypothesis_holds():
    res = check_theorem2(0.8, p=2.0, sizes=(*SIZES, 256), trials=30, seed=0)
    assert res.verdict == "holds"
    labels = [s.label for s in res.series]
    assert labels == ["frobenius h x h", "eigenvalues h x h", "frobenius h x 2h", "eigenvalues h x 2h"]
    assert [s.threshold for s in res.series] == pytest.approx([0.1, 0.01, 0.1, 0.01])
    assert res.theory_slope == pytest.approx(0.5 - 1 / 0.8)
    assert res.series[1].theory_slope == pytest.approx(0.5 - 2 / 0.8)
    assert {r["size_name"] for r in res.table} == {"h"}
    assert res.table[-1]["d"] == 256 * 512


@pytest.mark.parametrize("kwargs", [dict(alpha=2.0), dict(alpha=1.0, structure="layer")], ids=["gaussian", "layer"])
def test_negative_controls_fail(kwargs):
    res = check_theorem2(p=2.0, sizes=SIZES, trials=10, aspects=(1,), seed=0, **kwargs)
    assert res.verdict == "fails"
    assert all(s.verdict == "fails" for s in res.series)


def test_eigenvalues_match_singular_values_and_frobenius_matches_prune_singular():
    W = sample_weights(1.2, (40, 40), seed=3)
    s = np.linalg.svd(W / np.abs(W).max(), compute_uv=False)
    assert np.allclose(np.sort(eigenvalues(W))[::-1], s**2, rtol=1e-8, atol=1e-12)
    seq = np.random.SeedSequence(5)
    _, frob = theorem2_cell(Theorem2Cell(1.2, 40, 1, 2.0, 0.1), seq)
    W = sample_weights(1.2, (40, 40), seed=seq)
    assert frob == pytest.approx(relative_error(W, prune_singular(W, 0.1, count="values")), rel=1e-9)


def test_wide_matrix_has_zero_eigenvalues():
    lam = eigenvalues(sample_weights(1.5, (10, 20), seed=1))
    assert lam.size == 20 and np.count_nonzero(lam) == 10


def test_p_one_makes_the_two_statements_one_event():
    eig, frob = theorem2_cell(Theorem2Cell(1.3, 30, 2, 1.0, 0.2), np.random.SeedSequence(2))
    assert eig == pytest.approx(frob**2)


def test_theory_slopes():
    assert theory_slopes(1.5, 2.0) == pytest.approx((0.5 - 2 / 1.5, 0.5 - 1 / 1.5))
    assert theory_slopes(1.5, 0.75)[0] is None and theory_slopes(2.0, 2.0) == (None, None)


@pytest.mark.parametrize("kwargs", [dict(aspects=()), dict(aspects=(0,)), dict(sizes=(8,)), dict(structure="x")])
def test_invalid_arguments(kwargs):
    kw = dict(alpha=1.0, sizes=(8, 16), trials=2)
    kw.update(kwargs)
    with pytest.raises(ValueError):
        check_theorem2(**kw)
