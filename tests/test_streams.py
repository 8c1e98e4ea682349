"""Reproducible randomness: same seed → same numbers, whatever the threads or the work split."""
import os
import subprocess
import sys

import numpy as np
import pytest

from sgdtails.simulator import (
    as_seed_sequence,
    min_kappa,
    sample_elliptical,
    sample_positive_stable_range,
    sample_sas,
    sample_sas_range,
    sample_weights,
    streamed_magnitude_error,
)
from sgdtails.simulator._philox import philox_raw
from sgdtails.simulator.streams import STREAM_CMS, STREAM_NORMAL, STREAM_POSITIVE, stream_key

BLOCK = 1 << 16  # a length unit for these tests only: the streams have no blocks
N = 6 * BLOCK + 999


def test_identical_for_thread_counts_and_range_splits():
    ref = sample_sas_range(1.3, 0, N, seed=8, threads=1)
    np.testing.assert_array_equal(sample_sas_range(1.3, 0, N, seed=8, threads=2), ref)
    np.testing.assert_array_equal(sample_sas(1.3, N, seed=8), ref)
    cuts = [0, 1, 2, 3, 1023, 1024, 1025, 77_777, N - 1, N]  # odd and even starts, inside and across tiles
    parts = [sample_sas_range(1.3, a, b, seed=8, threads=1 + i % 2) for i, (a, b) in enumerate(zip(cuts, cuts[1:]))]
    np.testing.assert_array_equal(np.concatenate(parts), ref)
    pos = sample_positive_stable_range(0.7, 0, N, seed=8, threads=1)
    np.testing.assert_array_equal(sample_positive_stable_range(0.7, 0, N, seed=8, threads=2), pos)
    np.testing.assert_array_equal(np.concatenate([sample_positive_stable_range(0.7, a, b, seed=8)
                                                  for a, b in zip(cuts, cuts[1:])]), pos)


def test_thread_count_is_validated():
    with pytest.raises(ValueError, match="threads"):
        sample_sas_range(1.3, 0, 10, seed=1, threads=0)
    with pytest.raises(ValueError, match="threads"):
        sample_sas_range(1.3, 0, 10, seed=1, threads=1.5)
    # more threads than Numba started: capped at NUMBA_NUM_THREADS, same numbers
    np.testing.assert_array_equal(sample_sas_range(1.3, 0, 5000, seed=1, threads=10_000), sample_sas(1.3, 5000, seed=1))


def test_identical_under_numba_num_threads_env():
    code = (
        "import numpy as np, sys; from sgdtails.simulator import sample_weights, min_kappa;"
        "from sgdtails.simulator import sample_sas, streamed_magnitude_error;"
        "w = sample_weights(1.6, (700, 800), structure='column', seed=3);"
        "x = sample_sas(1.3, 3_000_000, seed=4);"  # > 2 histogram rows: the parallel selection path
        "sys.stdout.write(repr((float(w.sum()), float(np.abs(w).max()), min_kappa(w, 0.1),"
        " min_kappa(x, 0.05), streamed_magnitude_error(1.3, 9_000_000, 0.1, seed=4))))"
    )
    outs = []
    for threads in ("1", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads)
        outs.append(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout)
    assert outs[0] == outs[1]
    w = sample_weights(1.6, (700, 800), structure="column", seed=3)
    x = sample_sas(1.3, 3_000_000, seed=4)
    expected = (float(w.sum()), float(np.abs(w).max()), min_kappa(w, 0.1), min_kappa(x, 0.05),
                streamed_magnitude_error(1.3, 9_000_000, 0.1, seed=4))
    assert outs[0] == repr(expected)


def test_seed_types():
    a = sample_sas(1.5, 100, seed=5)
    np.testing.assert_array_equal(sample_sas(1.5, 100, seed=np.random.SeedSequence(5)), a)
    np.testing.assert_array_equal(sample_sas(1.5, 100, seed=np.int64(5)), a)
    assert not np.array_equal(sample_sas(1.5, 100, seed=6), a)
    rng = np.random.default_rng(1)
    g1, g2 = sample_sas(1.5, 100, seed=rng), sample_sas(1.5, 100, seed=rng)
    assert not np.array_equal(g1, g2)  # a Generator advances, as NumPy users expect
    np.testing.assert_array_equal(sample_sas(1.5, 100, seed=np.random.default_rng(1)), g1)
    assert not np.array_equal(sample_sas(1.5, 100), sample_sas(1.5, 100))  # None: fresh entropy
    assert as_seed_sequence(7).entropy == 7


@pytest.mark.parametrize("bad", [-1, 1.5, "x", True])
def test_bad_seed_is_rejected(bad):
    with pytest.raises(ValueError, match="seed"):
        sample_sas(1.5, 10, seed=bad)


def test_elliptical_and_structures_reproducible():
    for structure in ("iid", "column", "layer"):
        a = sample_weights(1.7, (300, 500), structure=structure, seed=4)
        b = sample_weights(1.7, (300, 500), structure=structure, seed=4)
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sample_elliptical(1.2, 50, 3000, seed=2), sample_elliptical(1.2, 50, 3000, seed=2))


def test_short_samples_are_prefixes_of_long_ones():
    # A sample shorter than a block draws only what it uses, yet equals the long sample's head.
    long_sas = sample_sas(1.5, 2 * BLOCK + 5, seed=1)
    long_normal = sample_weights(1.5, (1, 2 * BLOCK + 5), structure="layer", seed=3).ravel()
    for n in (1, 2, 3, 100, 1023, 1025, BLOCK // 2, BLOCK // 2 + 1, BLOCK, BLOCK + 7):
        np.testing.assert_array_equal(sample_sas(1.5, n, seed=1), long_sas[:n])
        np.testing.assert_array_equal(sample_weights(1.5, (1, n), structure="layer", seed=3).ravel(), long_normal[:n])


def _numpy_words(seed: int, stream: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    """U (even words) and U° (odd words) of ``stream`` under ``seed``, from numpy.random.Philox itself."""
    key = stream_key(as_seed_sequence(seed))
    raw = np.random.Philox(key=key, counter=np.array([0, stream, 0, 0], dtype=np.uint64)).random_raw(2 * n)
    return (raw[0::2] >> np.uint64(11)) * 2.0**-53, ((raw[1::2] >> np.uint64(11)) + 0.5) * 2.0**-53


N_WORDS = 5000


@pytest.mark.parametrize("alpha", [0.6, 1.0, 1.5, 2.0])
def test_sas_stream_is_numpys_philox_through_the_cms_formula(alpha):
    # The whole seed → number mapping, rebuilt from numpy.random.Philox's raw words and the formulas
    # of docs/theory.md §1 in NumPy: element i uses words 2i (U) and 2i + 1 (W = −log U°).
    u, uo = _numpy_words(31, STREAM_CMS, N_WORDS)
    w = -np.log(uo)
    h = u - 0.5
    m = np.maximum(0.5 - np.abs(h), 2.0**-54)
    cos_v, sin_v = np.sin(np.pi * m), np.copysign(np.cos(np.pi * m), h)
    if alpha == 2.0:
        ref = 2.0 * np.sqrt(w) * sin_v
    elif alpha == 1.0:
        ref = sin_v / cos_v
    else:
        v = np.pi * h
        ref = np.sin(alpha * v) / cos_v * (np.cos((1 - alpha) * v) / (w * cos_v)) ** ((1 - alpha) / alpha)
    np.testing.assert_allclose(sample_sas(alpha, N_WORDS, seed=31), ref, rtol=1e-12, atol=0)


def test_positive_and_normal_streams_are_numpys_philox():
    a = 0.7
    u, uo = _numpy_words(5, STREAM_POSITIVE, N_WORDS)
    x = np.maximum(u, 2.0**-54)
    ref = (np.sin(np.pi * a * x) / np.sin(np.pi * np.minimum(x, 1 - x)) ** (1 / a)
           * (np.sin(np.pi * (1 - a) * x) / -np.log(uo)) ** ((1 - a) / a))
    np.testing.assert_allclose(sample_positive_stable_range(a, 0, N_WORDS, seed=5), ref, rtol=1e-12, atol=0)
    # Normal stream: pair p (words 2p, 2p + 1) gives elements 2p and 2p + 1 by Box–Muller.
    u, uo = _numpy_words(6, STREAM_NORMAL, N_WORDS // 2)
    r, theta = np.sqrt(-2.0 * np.log(uo)), 2.0 * np.pi * u - np.pi
    ref = np.empty(N_WORDS)
    ref[0::2], ref[1::2] = r * np.cos(theta), r * np.sin(theta)
    got = sample_weights(2.0, (1, N_WORDS), structure="layer", seed=6).ravel() / np.sqrt(2.0)  # α = 2: A ≡ 1
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-15)
    # And the raw generator the kernels call is numpy's own, bit for bit, at any offset.
    key = stream_key(as_seed_sequence(6))
    bg = np.random.Philox(key=key, counter=np.array([0, STREAM_NORMAL, 0, 0], dtype=np.uint64))
    np.testing.assert_array_equal(philox_raw(key, STREAM_NORMAL << 64, 9, first=3), bg.random_raw(12)[3:])


def test_only_the_main_thread_enters_numbas_thread_pool(monkeypatch):
    # Numba's workqueue layer (its fallback without OpenMP/TBB) aborts when two Python threads enter
    # it at once: off the main thread the samplers run their serial kernels, with the same numbers.
    from concurrent.futures import ThreadPoolExecutor

    from sgdtails.simulator import _jit, stable

    ref = sample_sas(1.4, 50_000, seed=3)
    with ThreadPoolExecutor(2) as pool:
        assert not pool.submit(_jit.may_enter_pool).result()
        same = [f.result() for f in [pool.submit(sample_sas, 1.4, 50_000, seed=3) for _ in range(4)]]
    assert _jit.may_enter_pool()
    for x in same:
        np.testing.assert_array_equal(x, ref)

    def no_pool(*args):
        raise AssertionError("the parallel kernel was entered")

    monkeypatch.setattr(stable, "_SAS_KERNELS", (stable._SAS_KERNELS[0], no_pool))
    with ThreadPoolExecutor(1) as pool:
        np.testing.assert_array_equal(pool.submit(sample_sas, 1.4, 50_000, seed=3).result(), ref)
    with pytest.raises(AssertionError, match="parallel kernel"):
        sample_sas(1.4, 50_000, seed=3)  # the main thread does use it (more than one tile)
