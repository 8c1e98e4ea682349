"""Tests for sgdtails.theory.bounds_report (rows behind ``sgdtails check bounds``)."""

import math

import pytest

from sgdtails.theory.bounds_report import bounds_report

# The paper-like configuration as the report's docstring states it: FCN4 on MNIST (784-2048×4-10, no
# biases: L = 5 weight matrices), n = 60,000, B = 1, τ = 1, ε = 0.1, κ̄ = 0.1, α = 1.75, σ_0 = 1.
L, N, B, TAU, EPS, KBAR, ALPHA, SIGMA0 = 5, 60_000, 1.0, 1.0, 0.1, 0.1, 1.75, 1.0
D = 784 * 2048 + 3 * 2048 * 2048 + 2048 * 10  # parameter count of FCN4 (Table 1)


def _corollary1_by_hand() -> dict[str, float]:
    """Corollary 1 written out from docs/theory.md §5.5 (eq. (9), (10)) and §5.4 (ε_κ), with math only.

    gap = (a σ_0^L/τ + 1)·√((κ̄ + ε_κ) d log(n)/n), a = 6√2 B 2^L L^(3/2),
    ε_κ = (2h_b(κ̄) − κ̄ log κ̄)/log n, h_b in nats; margin γ = τ + b_ε σ_0^L √d/τ,
    b_ε = √2 B((1+ε)^L − 1); confidence 1 − 3d^(−α/(2L)); σ of (9) = (4^(−1/α)√L/3) σ_0 d^(−(1/2+1/α)).
    """
    h_b = -KBAR * math.log(KBAR) - (1 - KBAR) * math.log(1 - KBAR)
    eps_kappa = (2 * h_b - KBAR * math.log(KBAR)) / math.log(N)
    a = 6 * math.sqrt(2) * B * 2**L * L**1.5
    b_eps = math.sqrt(2) * B * ((1 + EPS) ** L - 1)
    return {
        "gap": (a * SIGMA0**L / TAU + 1) * math.sqrt((KBAR + eps_kappa) * D * math.log(N) / N),
        "margin": TAU + b_eps * SIGMA0**L * math.sqrt(D) / TAU,
        "confidence": 1 - 3 * D ** (-ALPHA / (2 * L)),
        "sigma of (9)": 4 ** (-1 / ALPHA) * math.sqrt(L) / 3 * SIGMA0 * D ** (-(0.5 + 1 / ALPHA)),
    }


def _params(text: str) -> dict[str, float]:
    return {k: float(v) for k, v in (item.split("=") for item in text.split(", "))}


def test_rows_are_tidy_and_finite():
    rows = bounds_report()
    assert len(rows) > 20
    for row in rows:
        assert set(row) == {"quantity", "reference", "parameters", "value"}
        assert isinstance(row["value"], float) and math.isfinite(row["value"])
    assert "d=14209024" in rows[-1]["parameters"]


def test_rows_satisfy_stated_inequalities():
    rows = bounds_report()
    rho = [r["value"] for r in rows if r["quantity"] == "rho_eps"]
    upper = [r["value"] for r in rows if r["quantity"].startswith("min(3")]
    assert len(rho) == len(upper) > 0
    assert all(a <= b for a, b in zip(rho, upper))


def test_corollary1_rows_match_the_formula_by_hand():
    """The report's Corollary 1 rows against the bound written out independently (not the library call).

    rel 1e-12: the same closed form evaluated in another order (a few roundings of float64).
    """
    want = _corollary1_by_hand()
    rows = {r["quantity"]: r for r in bounds_report() if r["reference"] == "Corollary 1"}
    assert set(want) <= set(rows)
    for quantity, value in want.items():
        par = _params(rows[quantity]["parameters"])
        assert {k: par[k] for k in ("depth", "d", "n", "B", "tau", "eps", "kappa_bar", "alpha", "sigma0")} == dict(
            depth=L, d=D, n=N, B=B, tau=TAU, eps=EPS, kappa_bar=KBAR, alpha=ALPHA, sigma0=SIGMA0)
        assert rows[quantity]["value"] == pytest.approx(value, rel=1e-12), quantity
