"""simulator: the SαS engine of heavytails (SPEC §1–3).

Samplers of the theory's limit objects (SαS, positive stable, elliptical vectors, the ``iid`` /
``column`` / ``layer`` weight structures), pruning (magnitude, singular value, node), the relative
ℓp compression error, the exact minimal remaining ratio κ_p(w, ε), tail-index estimators, and
the resumable grid runner every study uses (:mod:`simulator.sweep`).
"alpha" is always the stability index of the law. Randomness is addressable block by block
(:mod:`simulator.streams`): the same seed gives the same numbers for any thread count.

Paper: Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and Compressibility
of Overparametrized Neural Networks", NeurIPS 2021.
"""
from simulator.compressibility import SCHEMES, min_kappa, pruning_ratio
from simulator.elliptical import STRUCTURES, sample_elliptical, sample_weights
from simulator.pruning import keep_count, lp_norm, prune_magnitude, prune_nodes, prune_singular, relative_error
from simulator.stable import sample_positive_stable, sample_positive_stable_range, sample_sas, sample_sas_range
from simulator.streaming import magnitude_error, streamed_magnitude_error, streamed_min_kappa
from simulator.streams import BLOCK_SIZE, as_seed_sequence
from simulator.sweep import Study, StudyResult, cell_seed, run_study
from simulator.tail_index import METHODS, TailIndexEstimate, tail_index

__all__ = [
    "BLOCK_SIZE",
    "METHODS",
    "SCHEMES",
    "Study",
    "StudyResult",
    "STRUCTURES",
    "TailIndexEstimate",
    "as_seed_sequence",
    "cell_seed",
    "keep_count",
    "lp_norm",
    "magnitude_error",
    "min_kappa",
    "prune_magnitude",
    "prune_nodes",
    "prune_singular",
    "pruning_ratio",
    "relative_error",
    "run_study",
    "sample_elliptical",
    "sample_positive_stable",
    "sample_positive_stable_range",
    "sample_sas",
    "sample_sas_range",
    "sample_weights",
    "streamed_magnitude_error",
    "streamed_min_kappa",
    "tail_index",
]
