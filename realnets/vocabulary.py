"""Names of the real-network experiments (docs/theory.md §6): models, data sets, sweep grids.

Light on purpose (no PyTorch): the command line builds its choices from here.
"""
from __future__ import annotations

__all__ = ["DATASETS", "GRID_NAMES", "MODELS"]

MODELS = ("fcn4", "fcn6", "cnn")
"""FCN4 / FCN6 (4 or 6 hidden layers) and the VGG11-like CNN of Table 1."""
DATASETS = ("mnist", "cifar10", "mnist1d", "teacher")
"""MNIST and CIFAR10 from files; MNIST-1D and the teacher data of Section S1.6.1 generated offline."""
GRID_NAMES = ("paper", "cpu")
"""The η/b grids of the sweep (:mod:`sgdtails.realnets.grids`)."""
