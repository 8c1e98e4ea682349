"""Streamed pruning of SαS vectors: exact, and equal to the in-memory computation.

Exactness is checked against the brute forces of ``test_exact_paths`` (sort, ``fsum``) on the same draws,
materialised with ``sample_sas(alpha, d, seed=seed)``, whose stream the streamed functions regenerate
chunk by chunk (``sample_sas_range``; docs/theory.md §2.5, (S5)).
"""
import numpy as np
import pytest
from test_exact_paths import MARGIN, error_brute, kept_certified

import sgdtails.simulator.streaming as streaming
from sgdtails.simulator import (
    _select,
    magnitude_error,
    min_kappa,
    prune_magnitude,
    relative_error,
    sample_sas,
    sample_sas_range,
    streamed_magnitude_error,
    streamed_min_kappa,
)

D = 3 * streaming.STREAM_CHUNK + 12_345  # four chunks, the last one partial


def _kept(x: np.ndarray, eps: float, p: float) -> int:
    """The count k of κ_p(x, ε) by sort + fsum (``kept_certified``); asserts the count is not a float tie."""
    k, margin = kept_certified(np.abs(x) ** p, eps, p)
    assert margin > MARGIN  # well posed: zero slack is earned (test_exact_paths docstring)
    return k


@pytest.mark.parametrize("alpha,p", [(1.5, 2.0), (2.0, 2.0), (0.8, 1.0), (1.2, 3.0)])
def test_streamed_equals_in_memory(alpha, p):
    x = sample_sas(alpha, D, seed=17)
    err = streamed_magnitude_error(alpha, D, 0.1, p=p, seed=17)
    assert err == pytest.approx(relative_error(x, prune_magnitude(x, 0.1), p=p), rel=1e-12)
    kappa = streamed_min_kappa(alpha, D, 0.1, p=p, seed=17)
    k = _kept(x, 0.1, p)
    assert kappa == k / D  # zero slack at every p (issue #14: "48426 = 48426")
    assert min_kappa(x, 0.1, p=p) == k / D
    if p == 2.0:  # bit-identical sums (power-of-two scaling in memory is exact)
        assert err == magnitude_error(x, 0.1, p=p)


@pytest.mark.parametrize("p,eps,kappa", [(0.5, 0.1, "0.05"), (1.0, 0.3, "0.2"), (2.0, 0.1, "0.2"), (3.7, 0.3, "0.05")])
def test_streamed_every_p_is_exact(monkeypatch, p, eps, kappa):
    """1M-value chunks (the histogram's row size), four of them, the last partial: every p.

    streamed_min_kappa equals the brute-force count with ``==``; both errors (streamed and in-memory
    magnitude_error) agree with sort + fsum to rel 1e-12 (float sums of the same y in other orders,
    each off by ≲ 1e-15·√d relative).
    """
    monkeypatch.setattr(streaming, "STREAM_CHUNK", _select.CHUNK)
    d = 3 * _select.CHUNK + 4321
    x = sample_sas(1.3, d, seed=23)
    edge = slice(_select.CHUNK - 3, _select.CHUNK + 3)  # the stream the chunks are regenerated from
    assert np.array_equal(sample_sas_range(1.3, edge.start, edge.stop, seed=23), x[edge])
    assert streamed_min_kappa(1.3, d, eps, p=p, seed=23) == _kept(x, eps, p) / d
    want = error_brute(x, kappa, p)
    assert streamed_magnitude_error(1.3, d, float(kappa), p=p, seed=23) == pytest.approx(want, rel=1e-12)
    assert magnitude_error(x, float(kappa), p=p) == pytest.approx(want, rel=1e-12)


def test_second_pass_when_pilot_window_misses(monkeypatch):
    x = sample_sas(1.4, D, seed=5)
    monkeypatch.setattr(streaming, "_WINDOW", -1)  # empty windows: the boundary is never kept in pass 1
    monkeypatch.setattr(streaming, "_BUDGET_WINDOW", -1)
    assert streamed_magnitude_error(1.4, D, 0.2, seed=5) == magnitude_error(x, 0.2)
    assert streamed_min_kappa(1.4, D, 0.05, seed=5) == min_kappa(x, 0.05)


def test_small_and_edge_cases():
    x = sample_sas(1.7, 1000, seed=2)
    assert streamed_magnitude_error(1.7, 1000, 1.0, seed=2) == 0.0
    assert streamed_min_kappa(1.7, 1000, 1.0, seed=2) == 0.0
    assert streamed_magnitude_error(1.7, 1000, 0.3, seed=2) == magnitude_error(x, 0.3)
    assert magnitude_error(x, 0.3) == pytest.approx(error_brute(x, "0.3", 2.0), rel=1e-12)
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="d must"):
            streamed_min_kappa(1.5, bad, 0.1)
    with pytest.raises(ValueError, match="alpha"):
        streamed_magnitude_error(2.5, 10, 0.1)
    with pytest.raises(ValueError, match="kappa"):
        streamed_magnitude_error(1.5, 10, 0.0)


@pytest.mark.parametrize("p", [2.0, 1.0, 0.7, 3.0])
def test_magnitude_error_leaves_its_input_alone(p):
    # The in-memory magnitude_error shares the streamed functions' |x|^p step, which works in place on
    # the streamed chunks' own buffer: it must never do so on a caller's array (ravel is a view).
    w = sample_sas(1.4, (40, 50), seed=9)
    keep = w.copy()
    magnitude_error(w, 0.3, p=p)
    assert np.array_equal(w, keep)
    assert magnitude_error(w, 0.3, p=p) == magnitude_error(keep.copy(), 0.3, p=p)
