"""Theorem 1 check: in-hypothesis cases hold, negative controls (α = 2, p < α, layer) fail.

Seeds are fixed (seed=0 unless stated); the sizes are small so that each check runs in about a
second. The verdict rule is the one of sgdtails.theory.verdict; nothing here is tuned per case.
"""
import numpy as np
import pytest

from sgdtails.simulator import magnitude_error, sample_sas
from sgdtails.theory import _cells, theorem1
from sgdtails.theory.theorem1 import Theorem1Cell, check_theorem1, theorem1_cell, theory_slope

SIZES = (10**3, 10**4, 10**5)
COLUMNS = {"series", "size_name", "size", "d", "n_trials", "threshold", "median", "q10", "q90", "mean",
           "p_within", "p_lo", "p_hi", "check", "verdict"}


def test_in_hypothesis_holds_with_table():
    res = check_theorem1(1.2, p=2.0, sizes=SIZES, trials=20, seed=0)
    assert res.verdict == "holds"
    assert len(res.table) == len(SIZES) and set(res.table[0]) == COLUMNS
    assert [r["size"] for r in res.table] == list(SIZES)
    assert res.theory_slope == pytest.approx(0.5 - 1 / 1.2)
    assert res.slope_ci[0] <= res.slope <= res.slope_ci[1] < 0
    assert all(r["q10"] <= r["median"] <= r["q90"] and r["p_lo"] <= r["p_within"] <= r["p_hi"] for r in res.table)
    assert res.to_rows() == [dict(r) for r in res.table]


def test_fitted_exponent_matches_the_derived_one():
    """Tolerance 0.1 on the slope of the median error (derived 1/2 − 1/α)."""
    for alpha in (1.2, 1.5):
        res = check_theorem1(alpha, p=2.0, sizes=(*SIZES, 10**6), trials=20, seed=0)
        assert abs(res.slope - (0.5 - 1 / alpha)) < 0.1, (alpha, res.slope)


@pytest.mark.parametrize("alpha, p", [(2.0, 2.0), (1.5, 1.0)], ids=["gaussian", "p-below-alpha"])
def test_negative_controls_fail(alpha, p):
    res = check_theorem1(alpha, p=p, sizes=SIZES, trials=20, seed=0)
    assert res.verdict == "fails"
    assert res.theory_slope is None
    assert res.table[-1]["p_within"] == 0.0


@pytest.mark.parametrize("alpha, p, kappa, eps", [(2.0, 2.0, 0.5, 0.3), (2.0, 2.0, 0.8, 0.1), (1.5, 1.0, 0.8, 0.2)],
                         ids=["gaussian-0.5", "gaussian-0.8", "p-below-alpha-0.8"])
def test_negative_controls_fail_by_the_data_even_when_the_event_holds(alpha, p, kappa, eps):
    """The limiting error is below ε (P(err <= ε) = 1): only the resolved positive limit fails it."""
    res = check_theorem1(alpha, p=p, kappa=kappa, eps=eps, sizes=SIZES, trials=20, seed=0)
    assert res.table[-1]["p_within"] == 1.0
    assert res.verdict == "fails" and res.series[0].limit_ci[0] > 0


@pytest.mark.parametrize("seed", range(5))
def test_alpha_near_two_is_inconclusive_not_fails(seed):
    """α = 1.99, p = 2: the decay d^-0.0025 is real but unresolvable here — never "fails"."""
    res = check_theorem1(1.99, p=2.0, sizes=SIZES, trials=20, seed=seed)
    assert res.verdict == "inconclusive"
    assert res.series[0].d0 > SIZES[-1]


def test_layer_structure_fails():
    res = check_theorem1(1.2, p=2.0, sizes=(32**2, 64**2, 128**2), trials=20, structure="layer", seed=0)
    assert res.verdict == "fails"
    assert not res.series[0].in_hypothesis


def test_layerwise_one_series_per_layer():
    res = check_theorem1((1.1, 1.3), p=2.0, sizes=SIZES, trials=20, scope="layer", seed=0)
    assert res.verdict == "holds"
    assert [s.label for s in res.series] == ["layer 1 (alpha=1.1)", "layer 2 (alpha=1.3)"]
    assert [s.theory_slope for s in res.series] == pytest.approx([0.5 - 1 / 1.1, 0.5 - 1 / 1.3])


def test_a_noisy_upper_half_alone_is_no_finding():
    """A noisy upper half alone does not make an in-hypothesis "fails".

    Seeds 10 and 28 (the two of seeds 0–39 with this case): layer 2's last decade flattens by
    trial noise (seed 28: upper-half slope −0.24…0.48, limit interval 0.022…0.072 above 0) while the
    whole grid resolves a decay consistent with the derived −0.27 (−0.31…−0.18). That is no
    disagreement with the proof: not "fails" (it was, before the whole grid had a say); seed 28
    holds, seed 10 is inconclusive (its P(err ≤ ε) is not certified).
    """
    for seed, verdict in ((28, "holds"), (10, "inconclusive")):
        res = check_theorem1((1.1, 1.3), p=2.0, sizes=SIZES, trials=20, scope="layer", seed=seed)
        layer2 = res.series[1]
        assert layer2.upper_slope_ci[1] >= 0 and layer2.limit_ci[0] > 0  # the noisy ingredients of "fails"
        assert layer2.slope_ci[0] <= layer2.theory_slope <= layer2.slope_ci[1]
        assert res.verdict == verdict, layer2.reason


def test_layerwise_outside_hypothesis_when_p_below_max_alpha():
    res = check_theorem1((1.2, 1.8), p=1.5, sizes=(10**3, 10**4), trials=5, scope="layer", seed=0)
    assert all(not s.in_hypothesis for s in res.series)


def test_cells_keyed_by_size_not_order():
    a = check_theorem1(1.5, sizes=(10**3, 2000), trials=4, seed=3)
    b = check_theorem1(1.5, sizes=(5000, 10**3), trials=4, seed=3)
    assert a.table[0]["median"] == b.table[0]["median"] and a.table[0]["size"] == 1000
    # a cell is a pure function of (config, SeedSequence): recomputing one reproduces it
    seq = _cells.cell_seed(_cells.root_seed(3), 0, 1000, 2)
    x = sample_sas(1.5, 1000, seed=seq)
    assert theorem1_cell(Theorem1Cell((1.5,), (1000,), 0.1, 2.0), seq) == magnitude_error(x, 0.1, p=2.0)


def test_streamed_path_equals_in_memory(monkeypatch):
    cfg = Theorem1Cell((1.5,), (300_000,), 0.1, 2.0)
    seq = np.random.SeedSequence(11)
    in_memory = theorem1_cell(cfg, seq)
    monkeypatch.setattr(theorem1, "STREAM_MIN", 1000)
    assert theorem1_cell(cfg, seq) == in_memory


def test_theory_slope():
    assert theory_slope(1.5, 2.0) == pytest.approx(0.5 - 1 / 1.5)
    assert theory_slope(1.5, 1.5) is None and theory_slope(2.0, 2.0) is None and theory_slope(1.5, 1.0) is None


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=(1000,)), "sizes"),
    (dict(sizes=(1000, 1000)), "distinct"),
    (dict(trials=1), "trials"),
    (dict(kappa=0.0), "kappa"),
    (dict(scope="both"), "scope"),
    (dict(structure="column", sizes=(1000, 4000)), "square"),
    (dict(alpha=2.5), "alpha"),
    (dict(alpha=()), "alpha"),
])
def test_invalid_arguments(kwargs, match):
    kw = dict(alpha=1.5, sizes=(100, 1000), trials=2)
    kw.update(kwargs)
    with pytest.raises(ValueError, match=match):
        check_theorem1(**kw)
