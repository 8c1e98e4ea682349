"""realnets: the paper's real-network experiments (Section 5, Section S1; SPEC §6).

Models (FCN4, FCN6, the VGG11-like CNN with Table 1's exact parameter counts), data held whole on
the device (MNIST, CIFAR10, MNIST-1D, synthetic teacher data) and resumable plain-SGD training
with the paper's stopping rule and weight averaging.

Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and Compressibility of
Overparametrized Neural Networks", NeurIPS 2021.
"""
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
from realnets.models import build_model, layer_weights
from realnets.train import TrainConfig, TrainResult, train

__all__ = [
    "Dataset",
    "EpochSampler",
    "TeacherSpec",
    "TrainConfig",
    "TrainResult",
    "build_model",
    "download_cifar10",
    "download_mnist",
    "layer_weights",
    "load_cifar10",
    "load_dataset",
    "load_mnist",
    "make_mnist1d",
    "make_teacher",
    "train",
]
