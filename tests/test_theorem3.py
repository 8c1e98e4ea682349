"""Theorem 3 check: node pruning; α = 2, p < α and layer matrices fail, column holds."""
import numpy as np
import pytest

from sgdtails.simulator import prune_nodes, relative_error, sample_weights
from sgdtails.theory.theorem3 import Theorem3Cell, check_theorem3, column_norms, theorem3_cell

SIZES = (64, 128, 256, 512)


@pytest.mark.parametrize("structure", ["iid", "column"])
def test_in_hypothesis_holds(structure):
    res = check_theorem3(0.8, p=2.0, sizes=(32, *SIZES), trials=30, structure=structure, seed=0)
    assert res.verdict == "holds"
    assert res.series[0].in_hypothesis
    assert res.theory_slope == pytest.approx(0.5 - 1 / 0.8)


def test_fitted_exponent_matches_the_derived_one():
    """Tolerance 0.12 on the slope (derived 1/p − 1/α = −0.5 at α = 1, p = 2)."""
    res = check_theorem3(1.0, p=2.0, sizes=(32, *SIZES, 1024, 2048), trials=30, seed=0)
    assert abs(res.slope - (0.5 - 1 / 1.0)) < 0.12
    assert res.verdict == "holds"


def test_alpha_near_two_is_inconclusive_not_fails():
    res = check_theorem3(1.97, p=2.0, sizes=(32, 64, 128, 256, 512, 1024), trials=30, seed=0)
    assert res.verdict == "inconclusive"


@pytest.mark.parametrize("kwargs", [dict(alpha=2.0, p=2.0), dict(alpha=1.5, p=1.0),
                                    dict(alpha=0.8, p=2.0, structure="layer")],
                         ids=["gaussian", "p-below-alpha", "layer"])
def test_negative_controls_fail(kwargs):
    res = check_theorem3(sizes=SIZES, trials=20, seed=0, **kwargs)
    assert res.verdict == "fails"


def test_error_equals_node_pruning_of_the_matrix():
    seq = np.random.SeedSequence(4)
    err = theorem3_cell(Theorem3Cell(1.3, 30, 12, 1.5, 0.2), seq)
    W = sample_weights(1.3, (12, 30), seed=seq)
    assert err == pytest.approx(relative_error(W, prune_nodes(W, 0.2, p=1.5), p=1.5), rel=1e-9)


def test_fixed_rows_and_norms():
    res = check_theorem3(1.0, sizes=(32, 64), trials=3, rows=8, seed=1)
    assert [r["d"] for r in res.table] == [256, 512]
    W = np.array([[3.0, 0.0], [4.0, 1.0]])
    assert np.allclose(column_norms(W, 2.0) * 4.0, [5.0, 1.0])


@pytest.mark.parametrize("kwargs", [dict(rows=0), dict(structure="rows"), dict(p=0.0)])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        check_theorem3(1.0, sizes=(8, 16), trials=2, **kwargs)
