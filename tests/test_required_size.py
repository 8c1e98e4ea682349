"""required_size: measured where reachable, extrapolated (with an interval) where not."""
import math

import pytest

from sgdtails.theory.required_size import required_size


def test_measured_when_reachable():
    est = required_size(1.2, p=2.0, kappa=0.1, eps=0.1, confidence=0.9, max_measured=10**5, trials=30, seed=0)
    assert est.method == "measured"
    assert 10**3 < est.d0 <= 10**5
    assert est.ci[0] < est.d0 <= est.ci[1]
    passing = [r for r in est.measurements if r["size"] == est.d0][0]
    assert passing["p_within"] >= 0.9 and passing["quantile"] <= 0.1
    assert "measured" in est.describe()


def test_extrapolated_when_not_reachable():
    est = required_size(1.9, p=2.0, max_measured=20_000, trials=20, seed=0)
    assert est.method == "extrapolated"
    assert est.d0 > 20_000 and est.ci[0] <= est.d0 <= est.ci[1]
    assert est.slope < 0 and est.theory_slope == pytest.approx(0.5 - 1 / 1.9)
    assert est.theory_d0 > 20_000
    assert "extrapolated" in est.describe()


def test_gaussian_has_no_derived_law():
    est = required_size(2.0, theorem="theorem3", max_measured=64, trials=10, seed=0)
    assert est.method == "extrapolated" and est.theory_slope is None and est.theory_d0 is None
    assert "descriptive" in est.note
    assert est.d0 > 1e6 or math.isinf(est.d0)


def test_node_and_singular_value_theorems_measure_in_h():
    est = required_size(0.6, theorem="theorem2", max_measured=128, trials=20, seed=0)
    assert est.size_name == "h" and est.method == "measured"


@pytest.mark.parametrize("kwargs", [dict(confidence=1.0), dict(theorem="theorem4"), dict(max_measured=10),
                                    dict(eps=0.0), dict(trials=1)])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        required_size(1.5, **kwargs)
