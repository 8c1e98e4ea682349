"""Representative values of the bounds of docs/theory.md §5, as tidy rows (``sgdtails check bounds``).

The "paper-like" configuration is FCN4 on MNIST (784-2048-2048-2048-2048-10, no biases:
L = 5 weight matrices, d = 14,209,024 parameters, Table 1) with n = 60,000 training
samples, inputs scaled to the unit ball (B = 1), τ = 1, relative pruning error ε = 0.1,
κ̄ = 0.1, tail index α = 1.75 and σ_0 = 1 in (9); R(δ) at δ = 0.01 is Lemma S5's bound
for the scale σ of (9).  No argument parsing here: the CLI formats the rows.
"""

from __future__ import annotations

from typing import Any

from sgdtails.theory.bounds import (
    corollary1_bound,
    corollary1_sigma,
    corollary_s2_bound,
    theorem4_bound,
    theorem_s6_bound,
)
from sgdtails.theory.entropy import rho_eps, rho_eps_upper
from sgdtails.theory.stable_tails import blm20_tail_bound, blm20_threshold, lemma_s5_radius, sigma_alpha

__all__ = ["bounds_report", "PAPER_LIKE"]

#: FCN4 / MNIST configuration used for the theorem rows (see module docstring).
PAPER_LIKE: dict[str, Any] = dict(depth=5, d=14_209_024, n=60_000, B=1.0, tau=1.0, eps=0.1, kappa_bar=0.1)
_ALPHA, _SIGMA0, _DELTA = 1.75, 1.0, 0.01


def _row(quantity: str, reference: str, value: Any, **params: Any) -> dict[str, object]:
    text = ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())
    return {"quantity": quantity, "reference": reference, "parameters": text, "value": float(value)}


def _fmt(x: float) -> str:
    """Integers exactly (d = 14209024, not 1.4209e+07), other numbers with 6 digits."""
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else f"{x:.6g}"


def _small_rows() -> list[dict[str, object]]:
    rows = []
    for kappa in (0.05, 0.1, 0.3, 0.5, 0.9):
        rows.append(_row("rho_eps", "Theorem S6", rho_eps(kappa, 1000, 0.1), kappa=kappa, d=1000, eps=0.1))
        rows.append(_row("min(3 eps^(1-kappa), 1)", "Theorem S6", rho_eps_upper(kappa, 0.1), kappa=kappa, eps=0.1))
    for alpha in (1.5, 1.75, 1.9):
        rows.append(_row("sigma_alpha", "proof of Corollary 1", sigma_alpha(alpha), alpha=alpha))
    a0 = blm20_threshold(1.0, 1.5)
    rows.append(_row("BLM20 threshold 4 sigma/(2-alpha)", "proof of Lemma S5", a0, sigma=1.0, alpha=1.5))
    tail = blm20_tail_bound(a0, 1.0, 1.5)
    rows.append(_row("BLM20 tail bound", "proof of Lemma S5", tail, a=a0, sigma=1.0, alpha=1.5))
    for d in (1_000, 1_000_000):
        rows.append(_row("R(delta) bound", "Lemma S5", lemma_s5_radius(_DELTA, d, 1.0, _ALPHA),
                         delta=_DELTA, d=d, sigma=1.0, alpha=_ALPHA))
    return rows


def _theorem_rows() -> list[dict[str, object]]:
    cfg = PAPER_LIKE
    sigma = corollary1_sigma(_SIGMA0, cfg["depth"], cfg["d"], _ALPHA)
    R = lemma_s5_radius(_DELTA, cfg["d"], sigma, _ALPHA)
    params = dict(cfg, alpha=_ALPHA, sigma0=_SIGMA0, delta=_DELTA)
    cases = [
        ("Theorem 4", theorem4_bound(R=R, delta=_DELTA, **cfg), params),
        ("Theorem S6", theorem_s6_bound(R=R, delta=_DELTA, **cfg), params),
        ("Corollary 1", corollary1_bound(sigma0=_SIGMA0, alpha=_ALPHA, **cfg), dict(cfg, alpha=_ALPHA, sigma0=_SIGMA0)),
        ("Corollary S2", corollary_s2_bound(sigma=sigma, alpha=_ALPHA, beta=0.5, **cfg),
         dict(cfg, alpha=_ALPHA, sigma=sigma, beta=0.5)),
    ]
    rows = [_row("sigma of (9)", "Corollary 1", sigma, **params), _row("R(delta) bound", "Lemma S5", R, **params)]
    for name, b, par in cases:
        for field in ("gap", "margin", "confidence"):
            rows.append(_row(field, name, getattr(b, field), **par))
    return rows


def bounds_report() -> list[dict[str, object]]:
    """Evaluate representative quantities of docs/theory.md §5.

    Returns
    -------
    list of dict
        One row per value, with keys ``quantity``, ``reference`` (lemma or theorem),
        ``parameters`` (``name=value`` pairs as text) and ``value`` (float).  Rows named
        ``gap``, ``margin`` and ``confidence`` are the parts of "with probability ≥
        confidence, R_0 ≤ R̂_margin(w) + gap" at the paper-like configuration
        :data:`PAPER_LIKE`.
    """
    return _small_rows() + _theorem_rows()
