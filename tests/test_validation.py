"""Every public function rejects bad input with a ValueError naming the argument."""
import numpy as np
import pytest

import sgdtails.simulator as sim

W = np.arange(1.0, 13.0).reshape(3, 4)
NAN = W.copy()
NAN[1, 1] = np.nan
INF = W.copy()
INF[0, 0] = np.inf

CASES = [
    # samplers: α, size, scale, dtype
    (sim.sample_sas, (0.0, 5), {}, "alpha"),
    (sim.sample_sas, (2.1, 5), {}, "alpha"),
    (sim.sample_sas, (np.nan, 5), {}, "alpha"),
    (sim.sample_sas, (1.5, -1), {}, "size"),
    (sim.sample_sas, (1.5, (2, 2.5)), {}, "size"),
    (sim.sample_sas, (1.5, 5), {"scale": 0.0}, "scale"),
    (sim.sample_sas, (1.5, 5), {"dtype": np.int32}, "dtype"),
    (sim.sample_sas_range, (1.5, 10, 5), {}, "start"),
    (sim.sample_sas_range, (1.5, 1.5, 5), {}, "start"),
    (sim.sample_sas_range, (1.5, 0, -5), {}, "stop"),
    (sim.sample_positive_stable, (1.0, 5), {}, "a"),
    (sim.sample_positive_stable, (0.0, 5), {}, "a"),
    (sim.sample_elliptical, (-1.0, 3, 2), {}, "alpha"),
    (sim.sample_elliptical, (1.5, -3, 2), {}, "dim"),
    (sim.sample_weights, (3.0, (2, 2)), {}, "alpha"),
    (sim.sample_weights, (1.5, (2, 2)), {"structure": "rows"}, "structure"),
    # pruning: κ, p, arrays
    (sim.prune_magnitude, (W, 0.0), {}, "kappa"),
    (sim.prune_magnitude, (W, 1.5), {}, "kappa"),
    (sim.prune_magnitude, ([W, W], [0.5]), {"scope": "layer"}, "kappa"),
    (sim.prune_magnitude, (W, 0.5), {"scope": "row"}, "scope"),
    (sim.prune_magnitude, (W, 0.5), {"center": "mean"}, "center"),
    (sim.prune_magnitude, (np.array([]), 0.5), {}, "w"),
    (sim.prune_magnitude, (NAN, 0.5), {}, "w"),
    (sim.prune_magnitude, ([W, INF], 0.5), {}, r"w\[1\]"),
    (sim.prune_singular, (W.ravel(), 0.5), {}, "W"),
    (sim.prune_singular, (W, -0.1), {}, "kappa"),
    (sim.prune_singular, (W, 0.5), {"count": "rank"}, "count"),
    (sim.prune_singular, (INF, 0.5), {}, "W"),
    (sim.prune_nodes, (W, 0.5), {"p": 0.0}, "p"),
    (sim.prune_nodes, (W, 0.5), {"by": "layers"}, "by"),
    (sim.prune_nodes, (W[None], 0.5), {}, "W"),
    (sim.relative_error, (W, W[:2]), {}, "shapes"),
    (sim.relative_error, (W, W), {"p": -1.0}, "p"),
    (sim.relative_error, (W, NAN), {}, "w_hat"),
    (sim.relative_error, (np.zeros(3), np.zeros(3)), {}, "w must not be all zeros"),
    (sim.min_kappa, (W, -0.1), {}, "eps"),
    (sim.min_kappa, (W, 0.1), {"p": 0.0}, "p"),
    (sim.min_kappa, (W, 0.1), {"scheme": "rows"}, "scheme"),
    (sim.min_kappa, (W.ravel(), 0.1), {"scheme": "singular"}, "w"),
    (sim.min_kappa, (NAN, 0.1), {}, "w"),
    (sim.min_kappa, (np.array([]), 0.1), {}, "w"),
    (sim.pruning_ratio, (W, np.inf), {}, "eps"),
    (sim.tail_index, (np.array([1.0, np.inf, 2.0, 3.0, 4.0]),), {}, "x"),
    (sim.tail_index, (np.array([]),), {}, "x"),
    (sim.tail_index, (np.arange(3.0),), {}, "x"),
    (sim.tail_index, (W.ravel(),), {"method": "mmo_multivariate"}, "x"),
    (sim.keep_count, (0.0, 10), {}, "kappa"),
]


@pytest.mark.parametrize("func,args,kwargs,match", CASES, ids=[f"{c[0].__name__}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_raises_value_error_naming_argument(func, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        func(*args, **kwargs)
