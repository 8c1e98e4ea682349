"""Reproducible randomness: same seed → same numbers, whatever the threads or the work split."""
import os
import subprocess
import sys

import numpy as np
import pytest

from sgdtails.simulator import (
    BLOCK_SIZE,
    as_seed_sequence,
    min_kappa,
    sample_elliptical,
    sample_positive_stable_range,
    sample_sas,
    sample_sas_range,
    sample_weights,
    streamed_magnitude_error,
)

N = 6 * BLOCK_SIZE + 999


def test_identical_for_thread_counts_and_block_splits():
    ref = sample_sas_range(1.3, 0, N, seed=8, threads=1, blocks_per_task=1)
    for threads, per_task in [(2, 1), (2, 3), (3, 2), (1, 7)]:
        np.testing.assert_array_equal(sample_sas_range(1.3, 0, N, seed=8, threads=threads, blocks_per_task=per_task), ref)
    np.testing.assert_array_equal(sample_sas(1.3, N, seed=8), ref)
    pos = sample_positive_stable_range(0.7, 0, N, seed=8, threads=1, blocks_per_task=1)
    np.testing.assert_array_equal(sample_positive_stable_range(0.7, 0, N, seed=8, threads=2, blocks_per_task=5), pos)


def test_identical_under_numba_num_threads_env():
    code = (
        "import numpy as np, sys; from simulator import sample_weights, min_kappa;"
        "from simulator import sample_sas, streamed_magnitude_error;"
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
    long_sas = sample_sas(1.5, 2 * BLOCK_SIZE + 5, seed=1)
    long_normal = sample_weights(1.5, (1, 2 * BLOCK_SIZE + 5), structure="layer", seed=3).ravel()
    for n in (1, 100, BLOCK_SIZE // 2, BLOCK_SIZE // 2 + 1, BLOCK_SIZE, BLOCK_SIZE + 7):
        np.testing.assert_array_equal(sample_sas(1.5, n, seed=1), long_sas[:n])
        np.testing.assert_array_equal(sample_weights(1.5, (1, n), structure="layer", seed=3).ravel(), long_normal[:n])
