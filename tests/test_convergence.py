"""Convergence figure at small sizes: table, slopes against the derived rate, controls, plot."""
import pytest
from matplotlib.figure import Figure

from sgdtails.figures import convergence
from sgdtails.figures._common import group_by
from sgdtails.figures.convergence import ConvergenceConfig, compute, plot

# Small grids, 10 trials, two α for d₀, seed 0: a few seconds.
SMALL = ConvergenceConfig(sizes1=(10**2, 32**2, 100**2, 316**2), sizes2=(16, 32, 64), sizes3=(32, 64, 128),
                          trials=10, d0_alphas=(1.1, 1.8), d0_trials=10, d0_max=(10**4, 32, 64), seed=0)


@pytest.fixture(scope="module")
def table():
    return compute(SMALL)


def errors(table):
    return [r for r in table if r["quantity"] == "median_error"]


def test_columns_and_sizes(table):
    n_cases = len(convergence.cases(SMALL))
    assert n_cases == 3 * 6
    assert len(errors(table)) == 6 * 4 + 6 * 3 + 6 * 3
    assert len(table) == len(errors(table)) + 3 * 2
    assert all(list(r) == list(table[0]) for r in table)  # one schema for both quantities
    for key in ("theorem", "case", "role", "alpha", "quantity", "size", "params", "value", "lo", "hi",
                "fitted_slope", "theory_slope", "verdict"):
        assert key in table[0]
    assert all(r["lo"] <= r["value"] <= r["hi"] for r in errors(table))
    assert {r["role"] for r in table} == {"main", "control"}


def test_required_size_rows(table):
    d0 = {(r["theorem"], r["alpha"]): r for r in table if r["quantity"] == "d0"}
    assert set(d0) == {(t, a) for t in convergence.THEOREMS for a in (1.1, 1.8)}
    for (theorem, _), r in d0.items():
        assert r["verdict"] in ("measured", "extrapolated")
        power = 1 if theorem == "theorem1" else 2
        assert r["params"] == pytest.approx(r["size"] ** power)
    # Heavier tails need smaller networks (by orders of magnitude at these α).
    assert d0[("theorem1", 1.1)]["value"] < d0[("theorem1", 1.8)]["value"]


def test_theorem1_slopes_and_controls(table):
    slopes = {k[1]: rows[0] for k, rows in group_by(errors(table), "theorem", "case").items() if k[0] == "theorem1"}
    # α = 1.2, p = 2: derived rate d^(1/2 − 1/1.2) = d^−0.33 (measured −0.27 on d ≤ 10⁵, 10 trials).
    assert slopes["α = 1.2"]["theory_slope"] == pytest.approx(0.5 - 1 / 1.2)
    assert slopes["α = 1.2"]["fitted_slope"] < -0.15
    # Negative controls (Gaussian, p < α, layer structure): no decay (|slope| < 0.05; measured ≤ 0.005).
    controls = [r for r in slopes.values() if r["role"] == "control"]
    assert len(controls) == 3
    for r in controls:
        assert abs(r["fitted_slope"]) < 0.05 and r["theory_slope"] is None
    # The same bound rejects the in-hypothesis case.
    assert not abs(slopes["α = 1.2"]["fitted_slope"]) < 0.05


def test_plot(table):
    fig = plot(table)
    assert isinstance(fig, Figure)
    axes = fig.axes
    assert len(axes) == 4
    assert axes[0].get_ylabel() == "median relative error"
    assert axes[3].get_xlabel() == "tail index α" and axes[3].get_yscale() == "log"
    assert axes[0].get_xlabel() == "d (entries)"
    assert all(ax.get_xscale() == "log" and ax.get_yscale() == "log" for ax in axes[:3])
    labels = [t.get_text() for t in axes[0].get_legend().get_texts()]
    assert any(label.startswith("theory") for label in labels) and any(label.startswith("control") for label in labels)


def test_bad_config():
    for bad in (dict(alphas=(2.0,)), dict(alphas=()), dict(control_p=1.0), dict(trials=1), dict(seed=-1),
                dict(d0_alphas=(2.0,)), dict(d0_confidence=1.0), dict(d0_max=(10,)), dict(d0_trials=1)):
        with pytest.raises(ValueError):
            ConvergenceConfig(**bad)
    with pytest.raises(ValueError):
        convergence.config_for_scale("big")


def test_params_conversion_saturates():
    assert convergence.to_params(1000.0, 2) == 1e6
    assert convergence.to_params(1e200, 1) == 1e200
    assert convergence.to_params(1e200, 2) == float("inf")
    assert convergence.to_params(float("inf"), 2) == float("inf")
