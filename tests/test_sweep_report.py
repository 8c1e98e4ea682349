"""realnets.sweep_report: the AUC rule, the partial rank correlation, and the report of a small sweep."""
import math

import numpy as np
import pytest

from sgdtails.realnets.sweep_report import auc, partial_spearman, sweep_report


def test_auc_by_hand():
    # (0, 1) prepended, trapezoids, last accuracy held to x = 1
    assert auc([(0.5, 0.5)]) == pytest.approx(0.5 * (1 + 0.5) / 2 + 0.5 * 0.5)  # 0.625
    assert auc([(0.0, 1.0), (1.0, 1.0)]) == 1.0  # loses nothing
    assert auc([(0.2, 0.8), (0.6, 0.4)]) == pytest.approx(0.2 * 0.9 + 0.4 * 0.6 + 0.4 * 0.4)
    assert auc([(0.6, 0.4), (0.2, 0.8)]) == auc([(0.2, 0.8), (0.6, 0.4)])  # order of the points does not matter
    with pytest.raises(ValueError, match="at least one"):
        auc([])
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        auc([(1.5, 0.3)])


def test_partial_spearman_removes_what_the_controls_explain():
    rng = np.random.default_rng(0)
    eta = rng.uniform(0, 1, 200)
    x = eta + 0.01 * rng.standard_normal(200)
    y = eta + 0.01 * rng.standard_normal(200)  # x and y only share eta
    assert partial_spearman(x, y, [])[0] > 0.99
    rho, p = partial_spearman(x, y, [eta])
    assert abs(rho) < 0.2 and p > 0.01
    z = eta + 0.02 * (x - eta) / 0.01  # z shares x's own noise
    assert partial_spearman(x, z, [eta])[0] > 0.99


def _tables():
    models, layers, pruning = [], [], []
    for k, eta in enumerate((1e-3, 2e-3, 4e-3, 8e-3)):
        for seed in (0, 1):
            run = f"r{k}{seed}"
            alpha = 1.95 - 10 * eta
            models.append({"run": run, "batch_size": 50, "eta_over_b": eta, "seed": seed, "status": "converged",
                           "iterations": 1000, "test_acc": 0.6 + 10 * eta, "mean_alpha_paper": alpha,
                           "mean_alpha_mmo": alpha + 0.3})
            for i, shape in enumerate(("32x16", "32x32", "10x32")):
                layers.append({"run": run, "shape": shape, "alpha_paper": alpha, "alpha_mmo": alpha + 0.3,
                               "pr_magnitude": 0.3 + eta, "ref_iid_magnitude": 0.31, "ref_column_magnitude": 0.3,
                               "ref_layer_magnitude": 0.29, "pr_gap": eta - 0.01, "iid_pvalue": 0.5 if i else 0.01,
                               "iid_stat": -3.0, "diagnosis": "iid" if i else "ambiguous"})
            for scheme, scope in (("magnitude", "layer"), ("magnitude", "global"), ("singular", "layer"), ("nodes", "layer")):
                pruning.append({"run": run, "scheme": scheme, "scope": scope, "remaining": 0.5,
                                "relative_acc": 1.0 - 0.1 * alpha})
    models.append({"run": "div", "batch_size": 50, "eta_over_b": 1.6e-2, "seed": 0, "status": "diverged",
                   "iterations": 300, "test_acc": None, "mean_alpha_paper": None, "mean_alpha_mmo": None})
    return {"model": models, "layers": layers, "pruning": pruning}


def test_report_of_a_small_sweep():
    text = sweep_report(_tables(), title="tiny")
    assert text.startswith("# tiny") and "Runs: 8 converged, 1 diverged." in text
    assert "| 0.016 | diverged | — | — |" in text
    # α̂ falls with η/b exactly (ρ = −1) and every AUC rises as α̂ falls
    assert "| η/b vs mean α̂ (paper) | -1.00 |" in text and "| mean α̂ vs AUC, magnitude layer | -1.00 |" in text
    assert "| 32x16 | 8 | 1.870–1.940 |" in text and "8 of 8 (8 with t < 0)" in text
    assert "24 of 24 layers prune less than i.i.d. SαS at their own α̂." in text
    assert math.isclose(auc([(0.5, 1 - 0.1 * 1.94)]), 0.5 * (1 + 0.806) / 2 + 0.5 * 0.806)


def test_report_refuses_empty_tables():
    with pytest.raises(ValueError, match="'layers' table"):
        sweep_report({"model": [], "pruning": []})
    with pytest.raises(ValueError, match="no runs"):
        sweep_report({"model": [], "layers": [], "pruning": []})
