"""A short digest of the engine's numbers, folded into every cached cell's version.

Cell records are keyed by config, seed and package version, not by code
(:mod:`sgdtails.simulator.sweep`), and an editable install keeps its version number while the
samplers change. :func:`engine_fingerprint` hashes small samples of every sampler and structure
and what every pruning and error measure makes of them; folding it into ``Study.version`` makes
records computed by another engine miss the cache instead of being reused silently.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from sgdtails.simulator.compressibility import min_kappa, pruning_ratio
from sgdtails.simulator.elliptical import sample_weights
from sgdtails.simulator.pruning import prune_magnitude, prune_nodes, prune_singular
from sgdtails.simulator.stable import sample_sas
from sgdtails.simulator.streaming import magnitude_error, streamed_magnitude_error
from sgdtails.simulator.vocabulary import SCHEMES, STRUCTURES

__all__ = ["engine_fingerprint"]


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """12 hex digits that change when the seed → numbers mapping or a pruning/error measure changes."""
    h = hashlib.sha256()
    w = sample_sas(1.3, 257, seed=12345)
    h.update(w.tobytes())
    errors = [magnitude_error(w, 0.2, p=q) for q in (0.5, 1.0, 2.0)] + [min_kappa(w, 0.1, p=1.0)]
    h.update(np.array(errors).tobytes())
    h.update(np.float64(streamed_magnitude_error(1.3, 1000, 0.2, p=2.0, seed=12345)).tobytes())
    for structure in STRUCTURES:
        m = sample_weights(1.7, (6, 8), structure=structure, seed=12345)
        h.update(m.tobytes())
        h.update(np.array([pruning_ratio(m, 0.3, scheme=s) for s in SCHEMES]).tobytes())
        for pruned in (prune_magnitude([m, m.T], 0.4, scope="layer")[0], prune_magnitude(m, 0.4),
                       prune_nodes(m, 0.5), prune_singular(m, 0.5, count="parameters")):
            h.update(np.round(pruned, 12).tobytes())
    return h.hexdigest()[:12]
