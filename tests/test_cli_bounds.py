"""Tests for sgdtails.theory.bounds_report (rows behind ``sgdtails check bounds``)."""

import math

import pytest

from sgdtails.theory.bounds import corollary1_bound
from sgdtails.theory.bounds_report import PAPER_LIKE, bounds_report


def test_rows_are_tidy_and_finite():
    rows = bounds_report()
    assert len(rows) > 20
    for row in rows:
        assert set(row) == {"quantity", "reference", "parameters", "value"}
        assert isinstance(row["value"], float) and math.isfinite(row["value"])
    assert "d=14209024" in rows[-1]["parameters"]


def test_rows_agree_with_library_and_stated_inequalities():
    rows = bounds_report()
    rho = [r["value"] for r in rows if r["quantity"] == "rho_eps"]
    upper = [r["value"] for r in rows if r["quantity"].startswith("min(3")]
    assert all(a <= b for a, b in zip(rho, upper))
    direct = corollary1_bound(sigma0=1.0, alpha=1.75, **PAPER_LIKE)
    (gap,) = [r["value"] for r in rows if r["reference"] == "Corollary 1" and r["quantity"] == "gap"]
    assert gap == pytest.approx(direct.gap)
