"""Proposition S1 check: E[error] and E[κ_p] increase with α for p < α (seed 0, d = 10⁴)."""
import pytest

from sgdtails.theory.proposition_s1 import check_proposition_s1


def test_heavier_tails_compress_better():
    res = check_proposition_s1((1.8, 1.2, 1.5), p=1.0, d=10**4, trials=40, seed=0)
    assert res.verdict == "holds"
    assert [r["alpha"] for r in res.table] == [1.2, 1.5, 1.8]
    assert len(res.differences) == 4 and all(r["sign"] == "increase" for r in res.differences)
    assert all(r["error_lo"] <= r["mean_error"] <= r["error_hi"] for r in res.to_rows())
    assert all(0.0 < r["mean_kappa"] < 1.0 for r in res.table)


def test_a_dependent_heavier_tailed_vector_fails():
    """Outside the hypothesis (the α = 1.2 vector is one elliptical vector): it compresses worse."""
    res = check_proposition_s1((1.2, 1.8), p=1.0, d=2000, trials=40, structures=("layer", "iid"), seed=0)
    assert res.verdict == "fails"
    assert [r["structure"] for r in res.table] == ["layer", "iid"] and not res.config["in_hypothesis"]
    assert all(r["sign"] == "decrease" for r in res.differences)


def test_unresolved_difference_is_inconclusive():
    # two nearly equal indices and few trials: the difference cannot be resolved
    res = check_proposition_s1((1.50, 1.501), p=1.0, d=1000, trials=5, seed=0)
    assert res.verdict == "inconclusive"


@pytest.mark.parametrize("kwargs", [dict(alphas=(1.5,)), dict(alphas=(1.5, 1.5)), dict(p=1.6), dict(d=1),
                                    dict(alphas=(1.2, 2.5))])
def test_invalid_arguments(kwargs):
    kw = dict(alphas=(1.2, 1.5, 1.8), p=1.0, d=100, trials=2)
    kw.update(kwargs)
    with pytest.raises(ValueError):
        check_proposition_s1(**kw)
