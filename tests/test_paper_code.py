"""The authors' code conventions (``conventions="paper_code"``), each pinned on a small hand-computed case.

realnets.analyze module docstring, "Conventions": the singular-value ratio sweep with the r(m + n)
count, column medians before the SVD, row medians before node pruning, and the univariate α̂ capped
at 2 and taken as the median over 5 permutations (SPEC §2–§3).
"""
import importlib
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from sgdtails.realnets.adapt import layer_center, layer_svds, prune_arrays
from sgdtails.realnets.analyze import Run, _paper_code_alphas, _remaining, analyze_run, pruning_options
from sgdtails.simulator import sample_sas, tail_index

# Column medians (1, 2, 3, 4); minus them, W is 3·e1e1ᵀ − 1·e3e4ᵀ: singular values 3, 1, 0.
W = np.array([[4.0, 2.0, 3.0, 4.0],
              [1.0, 2.0, 3.0, 4.0],
              [1.0, 2.0, 3.0, 3.0]])
PAPER_SINGULAR = pruning_options("paper_code", "singular")


def test_options_per_convention():
    assert PAPER_SINGULAR == {"center": "column_median", "count": "paper"}
    assert pruning_options("paper_code", "nodes")["center"] == "row_median"
    assert pruning_options("paper_code", "magnitude") == pruning_options("sgdtails", "magnitude")
    for scheme in ("magnitude", "singular", "nodes"):
        assert pruning_options("sgdtails", scheme) == {"center": "median", "count": "parameters"}
    with pytest.raises(ValueError, match="conventions"):
        pruning_options("paper", "singular")
    with pytest.raises(ValueError, match="conventions"):
        analyze_run(Path("no-such-run"), conventions="authors")


@pytest.mark.parametrize(("ratio", "want_last"), [(0.5, 3.0), (0.6, 3.0), (0.7, 4.0)])
def test_singular_value_ratio_sweep_with_column_medians(ratio, want_last):
    """Three singular values; ratio ρ keeps 3 − ⌊3ρ⌋: 2 at ρ = 0.5 and 0.6 (only the 0 goes: W unchanged), 1 at 0.7.

    With one value (σ = 3) left, the entry of the dropped −1·e3e4ᵀ returns to its column's median 4.
    """
    want = W.copy()
    want[2, 3] = want_last
    svds = layer_svds([W], center="column_median")
    for kw in ({}, {"svds": svds}):
        got = prune_arrays([W], 1.0 - ratio, scheme="singular", **PAPER_SINGULAR, **kw)[0]
        np.testing.assert_allclose(got, want, atol=1e-12)
    # the project's convention at ρ = 0.7: κ = 0.3 of 12 parameters buys no triplet of 3 + 4 + 1 numbers,
    # so every entry becomes the layer median (3)
    np.testing.assert_array_equal(prune_arrays([W], 0.3, scheme="singular", center="median")[0], np.full((3, 4), 3.0))


@pytest.mark.parametrize(("ratio", "want"), [(0.0, 1.0), (0.5, 1.0), (0.7, 7 / 12), (1.0, 0.0)])
def test_remaining_counts_r_m_plus_n_at_most_the_layer(ratio, want):
    """ρ = 0.5: rank 2 left, 2·(3 + 4) = 14 numbers ≥ 12: the whole layer; ρ = 0.7: rank 1, 7 of 12 numbers."""
    svds = layer_svds([W], center="column_median")
    kappa = 1.0 - ratio
    pruned = prune_arrays([W], kappa, scheme="singular", svds=svds, **PAPER_SINGULAR)
    assert _remaining([W], pruned, "singular", kappa, PAPER_SINGULAR, svds) == pytest.approx(want, abs=1e-15)
    default = pruning_options("sgdtails", "singular")  # r(m + n + 1) ≤ κmn: at ρ = 0.25 one triplet, 8 of 12
    d_svds = layer_svds([W], center="median")
    d_pruned = prune_arrays([W], 0.75, scheme="singular", svds=d_svds, **default)
    assert _remaining([W], d_pruned, "singular", 0.75, default, d_svds) == pytest.approx(8 / 12, abs=1e-15)


def test_remaining_counts_the_rank_left_not_the_values_kept():
    """A 3 × 10 layer of rank 2 (3·e1e1ᵀ − e3e10ᵀ, column medians 0): ρ = 0.2 keeps all 3 values, one of them 0.

    The rank left is 2, so 2·(3 + 10) = 26 of 30 numbers (3 triplets would count 39, i.e. the whole layer).
    """
    w = np.zeros((3, 10))
    w[0, 0], w[2, 9] = 3.0, -1.0
    svds = layer_svds([w], center="column_median")
    pruned = prune_arrays([w], 0.8, scheme="singular", svds=svds, **PAPER_SINGULAR)
    np.testing.assert_allclose(pruned[0], w, atol=1e-15)
    assert _remaining([w], pruned, "singular", 0.8, PAPER_SINGULAR, svds) == pytest.approx(26 / 30, abs=1e-15)


def test_node_pruning_centres_rows_on_their_medians():
    """Row medians 3 and 2; centred column norms² 8, 18, 5, 2, 0: κ = 0.6 keeps columns 2, 1, 3.

    The pruned columns 4 and 5 take their rows' medians. The layer median (2.5) would rank columns
    by 8.5, 18.5, 2.5, 4.5, 0.5 and keep column 4 instead of 3.
    """
    v = np.array([[1.0, 6.0, 2.0, 4.0, 3.0],
                  [0.0, 5.0, 4.0, 1.0, 2.0]])
    np.testing.assert_array_equal(layer_center(v, "nodes", "row_median"), [[3.0] * 5, [2.0] * 5])
    got = prune_arrays([v], 0.6, scheme="nodes", **pruning_options("paper_code", "nodes"))[0]
    np.testing.assert_array_equal(got, [[1.0, 6.0, 2.0, 3.0, 3.0], [0.0, 5.0, 4.0, 2.0, 2.0]])
    ours = prune_arrays([v], 0.6, scheme="nodes", **pruning_options("sgdtails", "nodes"))[0]
    np.testing.assert_array_equal(ours, [[1.0, 6.0, 2.5, 4.0, 2.5], [0.0, 5.0, 2.5, 1.0, 2.5]])
    np.testing.assert_array_equal(prune_arrays([v], 0.0, scheme="nodes", center="row_median")[0],
                                  layer_center(v, "nodes", "row_median"))
    with pytest.raises(ValueError, match="applies to scheme 'singular' and 'nodes'"):
        prune_arrays([v], 0.5, scheme="magnitude", center="row_median")


@pytest.mark.parametrize(("per_perm", "want"), [
    ((1.5, 2.5, 1.7, 1.9, 1.6), 1.7),  # the median of the capped five (their mean: 1.74)
    ((2.5, 2.3, 1.7, 2.4, 1.6), 2.0),  # capped: 2, 2, 1.7, 2, 1.6 (uncapped median 2.3, capped mean 1.86)
])
def test_univariate_alpha_is_capped_then_the_median_over_5_permutations(monkeypatch, per_perm, want):
    """Hand-computed: α̂ = median over the 5 permutations of min(estimate, 2) (SPEC §3).

    128 entries as one column give K1 in {2, 4, 8, 16, 32}; the per-K1 estimate is replaced by one
    stated value per permutation.
    """
    module = importlib.import_module("sgdtails.simulator.tail_index")
    values = iter(np.repeat(per_perm, 5))
    monkeypatch.setattr(module, "_block_inv", lambda v, k, base: 1.0 / next(values))
    est = tail_index(sample_sas(1.5, 128, seed=0).reshape(-1, 1), method="paper", uncertainty=False)
    assert est.block == (2, 4, 8, 16, 32)
    assert est.alpha == pytest.approx(want, abs=1e-12)


def test_paper_code_alpha_column_of_a_run():
    """``alpha_mmo_paper`` is tail_index(method="paper") of all entries of the averaged weights, seed = layer index."""
    def net(seed: int) -> nn.Module:  # heavy-tailed weights (SαS(1.5)), so that α̂ is below the cap
        model = nn.Sequential(nn.Linear(40, 30, bias=False), nn.ReLU(), nn.Linear(30, 8, bias=False), nn.ReLU(),
                              nn.Linear(8, 3, bias=False))
        with torch.no_grad():
            for j, layer in enumerate(model[::2]):
                layer.weight.copy_(torch.from_numpy(sample_sas(1.5, tuple(layer.weight.shape), seed=10 * seed + j)))
        return model

    final, averaged = net(0), net(1)
    rows = [{"layer": name, "alpha_mmo": 1.0, "alpha_mmo_hi": 1.1, "note": ""} for name in ("0", "2", "4")]
    _paper_code_alphas(Run(Path("run"), None, {}, final, averaged), rows)
    for i in (0, 1):
        w = averaged[2 * i].weight.detach().double().numpy().reshape(-1, 1)
        want = tail_index(w, method="paper", seed=i)
        assert rows[i]["alpha_mmo_paper"] == want.alpha <= 2.0 and rows[i]["alpha_mmo_paper_se"] == want.se
        assert want.alpha != tail_index(w, method="paper", seed=1 - i).alpha  # the seed matters here
    assert list(rows[0]) == ["layer", "alpha_mmo", "alpha_mmo_hi", "alpha_mmo_paper", "alpha_mmo_paper_se",
                             "alpha_mmo_paper_lo", "alpha_mmo_paper_hi", "note"]
    assert rows[2]["alpha_mmo_paper"] is None and "needs at least 128" in rows[2]["note"]  # 24 entries
