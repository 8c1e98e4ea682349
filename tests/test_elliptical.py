"""Elliptical SαS vectors and the iid / column / layer structures (docs/theory.md §1, Section S1.6.2).

Fixed seeds; KS tests accept at p > 0.01 and each comes with a negative control rejected at p < 10⁻³.
"""
import numpy as np
import pytest
from scipy import stats
from stable_reference import sas_cdf

from sgdtails.simulator import sample_elliptical, sample_weights


@pytest.mark.parametrize("alpha", [0.8, 1.5, 1.9])
def test_elliptical_marginals_are_sas1(alpha):
    x = sample_elliptical(alpha, 100_000, 4, seed=21)
    assert x.shape == (100_000, 4)
    for j in (0, 3):
        assert stats.kstest(x[:, j], sas_cdf(alpha)).pvalue > 0.01
    assert stats.kstest(x[:, 0], sas_cdf(alpha, scale=1.1)).pvalue < 1e-3


def test_elliptical_alpha2_is_gaussian_with_variance_2():
    x = sample_elliptical(2.0, 50_000, 2, seed=3)
    assert stats.kstest(x[:, 1], stats.norm(scale=np.sqrt(2)).cdf).pvalue > 0.01


def test_column_ratio_within_column_is_cauchy_across_columns_not():
    w = sample_weights(1.5, (2, 60_000), structure="column", seed=5)
    # Within a column the shared √A cancels: G1/G2 is standard Cauchy.
    assert stats.kstest(w[0] / w[1], stats.cauchy.cdf).pvalue > 0.01
    # Across columns the entries are independent SαS: their ratio is not Cauchy.
    assert stats.kstest(w[0, ::2] / w[0, 1::2], stats.cauchy.cdf).pvalue < 1e-3


def test_column_entries_independent_across_columns_dependent_within():
    w = sample_weights(1.5, (2, 40_000), structure="column", seed=6)
    within = stats.spearmanr(np.abs(w[0]), np.abs(w[1])).statistic
    across = stats.spearmanr(np.abs(w[0, :-1]), np.abs(w[0, 1:])).statistic
    assert within > 0.2  # share A
    assert abs(across) < 4 / np.sqrt(40_000)  # independent: |ρ_s| within 4 standard errors of 0


def test_layer_shares_one_mixing_variable():
    w = sample_weights(1.5, (300, 300), structure="layer", seed=7)
    z = w.ravel() / w.std()
    # One A for the whole array: given A the entries are i.i.d. Gaussian, so the standardised
    # entries pass a Gaussian KS test, while an iid SαS array fails it.
    assert stats.kstest(z, stats.norm.cdf).pvalue > 0.01
    iid = sample_weights(1.5, (300, 300), structure="iid", seed=7).ravel()
    assert stats.kstest(iid / iid.std(), stats.norm.cdf).pvalue < 1e-3


def test_layer_marginal_over_seeds_is_sas():
    # Marginally (over draws of A) each entry is SαS(1): one entry from each of many layers,
    # with independent seeds spawned from one root (NumPy's recommended way to get many streams).
    seeds = np.random.SeedSequence(20211206).spawn(3000)
    vals = np.array([sample_weights(1.6, (3, 3), structure="layer", seed=s)[1, 2] for s in seeds])
    assert stats.kstest(vals, sas_cdf(1.6)).pvalue > 0.01


def test_column_requires_2d_shape():
    with pytest.raises(ValueError, match="shape"):
        sample_weights(1.5, (2, 3, 4), structure="column")
