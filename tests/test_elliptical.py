r"""Elliptical SαS vectors and the iid / column / layer structures (docs/theory.md §1.4–1.5, Section S1.6.2).

Fixed seeds; KS tests accept at p > 0.01 and each comes with a negative control rejected at p < 10⁻³
in the same test: the wrong index α ± 0.1 (for a mixing law: the mixing index (α ± 0.1)/2) and the
wrong scale σ × 1.25, at sample sizes chosen so that these controls are rejected (the KS distance
between the right and the wrong law, measured on the reference CDFs, times √n is ≥ 3.5 for every
control; the critical value at p = 10⁻³ is 1.95). One exception, stated there: the marginal of a
``layer`` entry at α = 1.5, where the affordable number of layers cannot reject α ± 0.1 (the layer's
mixing law, from the same layers, does).

References, independent of the library:

* SαS(σ): ``stable_reference.sas_cdf`` (scipy's ``levy_stable``);
* the mixing law. Under ``column`` with m rows, ``W[:, j] = σ √(2A_j) G_j`` with G_j ~ N(0, I_m), so
  ``‖W[:, j]‖² / (2σ²) = A_j · χ²_m`` with A_j positive stable of index α/2 (Laplace transform
  exp(−γ^{α/2}), docs/theory.md §1.3) independent of the χ²_m; under ``layer`` the same holds for
  the whole array with m = its size. Its CDF is :func:`mixing_cdf`, a quadrature over the χ²
  quantiles of the positive stable CDF (scipy's ``levy_stable`` below 100, the convergent series
  of the tail above), checked against the closed form at α = 1 (A = 1/(2Z²), so A·χ²_m = (m/2)·F(m, 1)).
"""
from __future__ import annotations

import functools
import math

import numpy as np
import pytest
from scipy import special, stats
from stable_reference import positive_stable_cdf, sas_cdf

from sgdtails.simulator import sample_elliptical, sample_weights

ACCEPT, REJECT = 0.01, 1e-3


@functools.lru_cache(maxsize=None)
def _sas_unit(alpha: float):
    return sas_cdf(alpha)  # ~0.8 s to build (3,001 scipy CDF points): built once per α


def sas(alpha: float, scale: float = 1.0):
    """CDF of SαS(scale): ``sas_cdf(alpha)`` at x/scale, which is what ``sas_cdf(alpha, scale)`` computes."""
    base = _sas_unit(alpha)
    return lambda x: base(np.asarray(x, dtype=np.float64) / scale)


def ks(sample, cdf) -> float:
    return stats.kstest(sample, cdf).pvalue


# ------------------------------------------------------------------ the positive stable and mixing references
_PS_CUT = 100.0  # scipy below, the series above: on [10, 10³] they agree to 1e-15 for a ∈ [0.35, 0.95]
_PS_TERMS = 30  # series terms: the 30th is < 1e-20 at x ≥ 100 for a ≥ 0.35


@functools.lru_cache(maxsize=None)
def positive_stable_reference(a: float):
    r"""CDF of the positive stable law with Laplace transform exp(−γ^a), a ∈ (0, 1), on all of (0, ∞).

    On [10⁻⁴, 100]: ``stable_reference.positive_stable_cdf`` (scipy) on 1,500 log-spaced points,
    interpolated linearly in log x. Below 10⁻⁴ the CDF is < exp(−50) for a ≥ 0.35 (Kanter's integral
    gives 10⁻²⁴ at a = 0.35): 0. Above 100, where scipy's CDF saturates at
    exactly 1 (from x ≈ 10⁴ at a ≥ 0.75), the convergent series of the tail (Feller II, XVII.6)
    :math:`P(A > x) = \frac1\pi \sum_{k\ge1} \frac{(-1)^{k+1}}{k!}\Gamma(ak)\sin(\pi a k)\,x^{-ak}`.
    """
    xs = np.logspace(-4.0, math.log10(_PS_CUT), 1500)
    values = positive_stable_cdf(a)(xs)
    k = np.arange(1, _PS_TERMS + 1)
    coef = (-1.0) ** (k + 1) * special.gamma(a * k) / special.factorial(k) * np.sin(np.pi * a * k) / np.pi
    coef = np.r_[0.0, coef]  # the tail as a polynomial in z = x^(−a), evaluated by Horner's rule
    log_xs = np.log(xs)

    def cdf(x):
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros_like(x)
        lx = np.log(np.where(x > 0.0, x, 1.0))
        mid = (x > 0.0) & (x <= _PS_CUT)
        out[mid] = np.interp(lx[mid], log_xs, values, left=0.0)
        hi = x > _PS_CUT
        out[hi] = 1.0 - np.polynomial.polynomial.polyval(x[hi] ** -a, coef)
        return out

    return cdf


_gauss_legendre = functools.lru_cache(maxsize=None)(np.polynomial.legendre.leggauss)  # an eigenvalue problem: once


@functools.lru_cache(maxsize=None)
def mixing_cdf(a: float, m: int):
    r"""CDF of A·χ²_m (A positive stable of index a, independent of χ²_m): :math:`H(t) = \int_0^1 F_A(t/Q_m(u))\,du`.

    Q_m is the χ²_m quantile; the integral is Gauss–Legendre with 400 nodes, on 4,000 log-spaced
    t ∈ [10⁻⁸, 10¹⁸] (H < 10⁻¹⁰ below and 1 − H < 10⁻⁶ above for a ≥ 0.35, m ≤ 16), interpolated in
    log t. Error: < 3·10⁻⁵ against a version with twice the x points, t points and nodes (measured
    for every (a, m) used here; the t interpolation dominates), < 10⁻⁵ against the closed form at
    a = 1/2 (:func:`test_mixing_reference_is_exact_at_alpha_1`); the KS critical values used are
    > 3·10⁻³.
    """
    f_a = positive_stable_reference(a)
    u, w = _gauss_legendre(400)
    y = stats.chi2.ppf((u + 1.0) / 2.0, m)
    w = w / 2.0
    ts = np.logspace(-8.0, 18.0, 4000)
    h = f_a(ts[:, None] / y[None, :]) @ w
    log_ts = np.log(ts)
    return lambda t: np.interp(np.log(np.asarray(t, dtype=np.float64)), log_ts, h, left=0.0, right=1.0)


def test_mixing_reference_is_exact_at_alpha_1():
    """Index 1/2: A = 1/(2Z²) (Lévy; E e^{−γA} = e^{−√γ}), so A·χ²_m = (m/2)·F(m, 1) exactly."""
    t = np.logspace(-6, 12, 2001)
    for m in (2, 16):
        assert np.max(np.abs(mixing_cdf(0.5, m)(t) - stats.f.cdf(2.0 * t / m, m, 1))) < 1e-5
    # the comparison can fail: the index 0.55 reference is far from F(m, 1)
    assert np.max(np.abs(mixing_cdf(0.55, 16)(t) - stats.f.cdf(t / 8.0, 16, 1))) > 0.02


# ------------------------------------------------------------------ sample_elliptical
@pytest.mark.parametrize("alpha", [0.8, 1.5, 1.9])
def test_elliptical_marginals_are_sas1(alpha):
    x = sample_elliptical(alpha, 100_000, 4, seed=21)
    assert x.shape == (100_000, 4)
    for j in (0, 3):
        assert ks(x[:, j], sas(alpha)) > ACCEPT
    assert ks(x[:, 0], sas(alpha, 1.1)) < REJECT


def test_elliptical_alpha2_is_gaussian_with_variance_2():
    x = sample_elliptical(2.0, 50_000, 2, seed=3)
    assert ks(x[:, 1], stats.norm(scale=np.sqrt(2)).cdf) > ACCEPT


def test_elliptical_row_norms_follow_the_mixing_law():
    """‖X_i‖²/2 = A_i·χ²_dim (docs/theory.md §1.4): 30,000 rows of dimension 16 at α = 1.5."""
    x = sample_elliptical(1.5, 30_000, 16, seed=8)
    t = np.einsum("ij,ij->i", x, x) / 2.0
    assert ks(t, mixing_cdf(0.75, 16)) > ACCEPT
    for wrong in (0.7, 0.8):  # mixing index (α ∓ 0.1)/2
        assert ks(t, mixing_cdf(wrong, 16)) < REJECT


# ------------------------------------------------------------------ marginal law and scale= of every structure
SIGMA = 3.0


def test_iid_marginal_is_sas_with_its_scale():
    """structure="iid" with scale=3 at n = 2·10⁵: SαS(3), not SαS(3.75) nor α ± 0.1 (KS distance ≥ 0.008)."""
    x = sample_weights(1.5, (400, 500), structure="iid", scale=SIGMA, seed=40).ravel()
    assert ks(x, sas(1.5, SIGMA)) > ACCEPT
    assert ks(x, sas(1.5, 1.25 * SIGMA)) < REJECT
    assert ks(x, sas(1.4, SIGMA)) < REJECT and ks(x, sas(1.6, SIGMA)) < REJECT


COLUMN_SHAPE = (16, 200_000)  # 2·10⁵ independent columns: the α ± 0.1 controls need n ≳ 1.8·10⁵ at α = 1.5


def test_column_marginal_is_sas_with_its_scale():
    """One entry per column (columns are independent), scale=3: SαS(3) for rows 0 and 15.

    Controls: SαS(3.75) (KS distance 0.047, √n·D = 21) and α = 1.4, 1.6 (D = 0.0086 / 0.0080,
    √n·D = 3.8 / 3.6) are rejected by the same sample.
    """
    w = sample_weights(1.5, COLUMN_SHAPE, structure="column", scale=SIGMA, seed=41)
    assert w.shape == COLUMN_SHAPE
    for row in (0, 15):
        assert ks(w[row], sas(1.5, SIGMA)) > ACCEPT
    assert ks(w[0], sas(1.5, 1.25 * SIGMA)) < REJECT
    assert ks(w[0], sas(1.4, SIGMA)) < REJECT and ks(w[0], sas(1.6, SIGMA)) < REJECT


def test_column_norms_follow_the_mixing_law():
    """‖W[:, j]‖²/(2σ²) = A_j·χ²_16 with A_j positive stable(α/2), exactly (module docstring).

    2·10⁵ columns at α = 1.5, σ = 3. Controls: mixing index (α ± 0.1)/2 (KS distance 0.038 / 0.040
    at m = 16, so √n·D ≈ 17) and σ × 1.25 (the statistic divided by 1.25², D = 0.22) rejected.
    """
    w = sample_weights(1.5, COLUMN_SHAPE, structure="column", scale=SIGMA, seed=42)
    t = np.einsum("ij,ij->j", w, w) / (2.0 * SIGMA**2)
    assert ks(t, mixing_cdf(0.75, 16)) > ACCEPT
    assert ks(t, mixing_cdf(0.7, 16)) < REJECT and ks(t, mixing_cdf(0.8, 16)) < REJECT
    assert ks(t / 1.25**2, mixing_cdf(0.75, 16)) < REJECT


def test_column_norms_at_alpha_1_are_f_distributed():
    """Closed form at α = 1: A = 1/(2Z²), so ‖W[:, j]‖²/(σ² m) ~ F(m, 1) (m = 8 rows, 20,000 columns, σ = 3)."""
    m, sigma = 8, SIGMA
    f_cdf = stats.f(m, 1).cdf

    def stat(alpha, seed=43):
        w = sample_weights(alpha, (m, 20_000), structure="column", scale=sigma, seed=seed)
        return np.einsum("ij,ij->j", w, w) / (sigma**2 * m)

    assert ks(stat(1.0), f_cdf) > ACCEPT
    assert ks(stat(1.0) / 1.25**2, f_cdf) < REJECT  # σ × 1.25
    assert ks(stat(0.9), f_cdf) < REJECT and ks(stat(1.1), f_cdf) < REJECT  # α ± 0.1


@pytest.mark.parametrize(
    ("alpha", "layers", "sigma", "marginal_power"),
    [
        # α = 0.8: KS distance of α ± 0.1 is 0.0149 / 0.0170, so 60,000 layers give √n·D ≥ 3.6
        # (mixing law: D = 0.040 / 0.037, σ × 1.25: D = 0.030 marginal, 0.076 mixing)
        (0.8, 60_000, SIGMA, True),
        # α = 1.5: the marginal would need ≳ 1.8·10⁵ layers to reject α ± 0.1 (D = 0.008), i.e. ~25 s
        # at ~130 µs a call; 20,000 layers still reject σ × 1.25 (D = 0.047) and, through the
        # mixing law (D = 0.038 / 0.040 at m = 16, √n·D ≥ 5.4), the index (α ± 0.1)/2
        (1.5, 20_000, 1.0, False),
        # The same at α = 1.5 with the layers the marginal needs: -m slow (about 25 s).
        pytest.param(1.5, 200_000, SIGMA, True, marks=pytest.mark.slow),
    ],
)
def test_layer_marginal_and_mixing_law_over_independent_layers(alpha, layers, sigma, marginal_power):
    """One 4 × 4 layer per seed (seeds spawned from one SeedSequence): W[1, 2] is SαS(σ), ‖W‖²/(2σ²) is A·χ²_16.

    A layer has one mixing variable, so a sample of its law needs many independent layers; the
    calls cost ~130 µs each (per-call stream set-up), which bounds the number of layers (10⁵ would take
    ~13 s). Every entry is marginally SαS(σ) and, given A, the 16 entries are i.i.d. N(0, 2σ²A).
    """
    seeds = np.random.SeedSequence(20211206 + layers).spawn(layers)
    ws = np.stack([sample_weights(alpha, (4, 4), structure="layer", scale=sigma, seed=s) for s in seeds])
    entry = ws[:, 1, 2]
    t = np.einsum("nij,nij->n", ws, ws) / (2.0 * sigma**2)
    a = alpha / 2.0
    assert ks(entry, sas(alpha, sigma)) > ACCEPT
    assert ks(entry, sas(alpha, 1.25 * sigma)) < REJECT
    if marginal_power:
        assert ks(entry, sas(alpha - 0.1, sigma)) < REJECT and ks(entry, sas(alpha + 0.1, sigma)) < REJECT
    assert ks(t, mixing_cdf(a, 16)) > ACCEPT
    assert ks(t, mixing_cdf(a - 0.05, 16)) < REJECT and ks(t, mixing_cdf(a + 0.05, 16)) < REJECT
    assert ks(t / 1.25**2, mixing_cdf(a, 16)) < REJECT


# ------------------------------------------------------------------ the dependence itself
def _max_over_norm(w: np.ndarray) -> np.ndarray:
    """max_i |W[i, j]| / ‖W[:, j]‖₂ for each column j: scale-free, so a shared √A cancels."""
    return np.max(np.abs(w), axis=0) / np.sqrt(np.einsum("ij,ij->j", w, w))


def test_column_max_over_norm_has_the_gaussian_law_iid_does_not():
    """Within a column (or a layer) the entries share √A, which cancels in max|W[:, j]|/‖W[:, j]‖.

    So under ``column`` and ``layer`` the statistic has the law it has for a Gaussian matrix (NumPy's
    normals, independent of the library); i.i.d. SαS entries do not (one entry dominates more
    often). Two-sample KS, 16 rows × 40,000 columns, α = 1.5. Controls: the iid structure and a
    column matrix transposed (so the entries of a column have different A) are rejected.
    """
    shape = (16, 40_000)
    gauss = _max_over_norm(np.random.default_rng(2021).standard_normal(shape))
    col = _max_over_norm(sample_weights(1.5, shape, structure="column", scale=SIGMA, seed=50))
    layer = _max_over_norm(sample_weights(1.5, shape, structure="layer", scale=SIGMA, seed=51))
    iid = _max_over_norm(sample_weights(1.5, shape, structure="iid", scale=SIGMA, seed=52))
    transposed = _max_over_norm(sample_weights(1.5, shape[::-1], structure="column", seed=53).T)
    assert stats.ks_2samp(col, gauss).pvalue > ACCEPT
    assert stats.ks_2samp(layer, gauss).pvalue > ACCEPT
    assert stats.ks_2samp(iid, gauss).pvalue < REJECT
    assert stats.ks_2samp(transposed, gauss).pvalue < REJECT
    assert stats.ks_2samp(col, iid).pvalue < REJECT


def test_column_ratio_within_column_is_cauchy_across_columns_not():
    w = sample_weights(1.5, (2, 60_000), structure="column", seed=5)
    # Within a column the shared √A cancels: G1/G2 is standard Cauchy.
    assert ks(w[0] / w[1], stats.cauchy.cdf) > ACCEPT
    # Across columns the entries are independent SαS: their ratio is not Cauchy.
    assert ks(w[0, ::2] / w[0, 1::2], stats.cauchy.cdf) < REJECT


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
    assert ks(z, stats.norm.cdf) > ACCEPT
    iid = sample_weights(1.5, (300, 300), structure="iid", seed=7).ravel()
    assert ks(iid / iid.std(), stats.norm.cdf) < REJECT


def test_column_requires_2d_shape():
    with pytest.raises(ValueError, match="shape"):
        sample_weights(1.5, (2, 3, 4), structure="column")
