"""Streamed pruning of SαS vectors: exact, and equal to the in-memory computation."""
import pytest

import sgdtails.simulator.streaming as streaming
from sgdtails.simulator import (
    magnitude_error,
    min_kappa,
    prune_magnitude,
    relative_error,
    sample_sas,
    streamed_magnitude_error,
    streamed_min_kappa,
)

D = 3 * streaming.STREAM_CHUNK + 12_345  # four chunks, the last one partial


@pytest.mark.parametrize("alpha,p", [(1.5, 2.0), (2.0, 2.0), (0.8, 1.0), (1.2, 3.0)])
def test_streamed_equals_in_memory(alpha, p):
    x = sample_sas(alpha, D, seed=17)
    err = streamed_magnitude_error(alpha, D, 0.1, p=p, seed=17)
    assert err == pytest.approx(relative_error(x, prune_magnitude(x, 0.1), p=p), rel=1e-12)
    kappa = streamed_min_kappa(alpha, D, 0.1, p=p, seed=17)
    if p == 2.0:  # bit-identical sums (power-of-two scaling in memory is exact)
        assert err == magnitude_error(x, 0.1, p=p)
        assert kappa == min_kappa(x, 0.1, p=p)
    else:
        assert kappa == pytest.approx(min_kappa(x, 0.1, p=p), abs=2 / D)


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
    for bad in (0, -5, 2.5, True):
        with pytest.raises(ValueError, match="d must"):
            streamed_min_kappa(1.5, bad, 0.1)
    with pytest.raises(ValueError, match="alpha"):
        streamed_magnitude_error(2.5, 10, 0.1)
    with pytest.raises(ValueError, match="kappa"):
        streamed_magnitude_error(1.5, 10, 0.0)
