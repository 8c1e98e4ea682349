"""realnets: the paper's real-network experiments (Section 5, Section S1; SPEC §6).

Models (FCN4, FCN6, the VGG11-like CNN with Table 1's exact parameter counts), data held whole on
the device (MNIST, CIFAR10, MNIST-1D, synthetic teacher data) and resumable plain-SGD training
with the paper's stopping rule and weight averaging; pruning of torch models through ``simulator``
(:mod:`realnets.adapt`), per-run analysis tables (:mod:`realnets.analyze`), figures
(:mod:`realnets.plots`) and the η/b grids of the sweep (:mod:`realnets.grids`).

Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and Compressibility of
Overparametrized Neural Networks", NeurIPS 2021.
"""
from realnets.adapt import prune_model
from realnets.analyze import analyze_run, analyze_runs
from realnets.data import (
    Dataset,
    EpochSampler,
    TeacherSpec,
    download_cifar10,
    download_mnist,
    load_cifar10,
    load_dataset,
    load_mnist,
    make_mnist1d,
    make_teacher,
)
from realnets.grids import RunSpec, grid
from realnets.models import build_model, layer_weights
from realnets.train import TrainConfig, TrainResult, train

__all__ = [
    "Dataset",
    "EpochSampler",
    "TeacherSpec",
    "TrainConfig",
    "TrainResult",
    "RunSpec",
    "analyze_run",
    "analyze_runs",
    "build_model",
    "download_cifar10",
    "download_mnist",
    "grid",
    "layer_weights",
    "load_cifar10",
    "load_dataset",
    "load_mnist",
    "make_mnist1d",
    "make_teacher",
    "prune_model",
    "train",
]
