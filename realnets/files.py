"""MNIST from its four IDX files and CIFAR10 from its python pickle batches (docs/theory.md §6).

Pixels are scaled to [0, 1] and normalised as the paper's code does (MNIST mean 0.1307, std 0.3081;
CIFAR10 per-channel mean (0.491, 0.482, 0.447), std (0.247, 0.243, 0.262)). A missing or corrupt
file is a one-line error naming it. CIFAR pickles are read with an unpickler that only admits the
numpy classes an array needs.
"""
from __future__ import annotations

import gzip
import io
import math
import os
import pickle
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from sgdtails.realnets.dataset import Dataset

__all__ = ["MNIST_MEAN", "MNIST_STD", "CIFAR10_MEAN", "CIFAR10_STD", "read_idx", "read_maybe_gzipped", "load_mnist",
           "load_cifar10"]

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR10_MEAN, CIFAR10_STD = (0.491, 0.482, 0.447), (0.247, 0.243, 0.262)
_CIFAR10_DIR = "cifar-10-batches-py"
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_maybe_gzipped(path: Path) -> bytes:
    """The bytes of ``path``, decompressed when they are gzip (detected by the magic bytes, not the name).

    Raises ``FileNotFoundError`` if it is missing and a one-line ``ValueError`` naming it if its gzip
    stream is corrupt.
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt gzip stream ({exc})") from None
    return raw


# ---------------------------------------------------------------------------------------- MNIST
def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (gzipped or raw; detected by its first bytes) into a NumPy array.

    Raises ``FileNotFoundError`` if it is missing and a one-line ``ValueError`` naming the file
    if it is not a complete IDX file.
    """
    path = Path(path)
    raw = read_maybe_gzipped(path)
    if len(raw) < 4 or raw[:2] != b"\x00\x00" or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX header")
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    expected = math.prod(shape) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"{path}: expected {expected} data bytes for shape {shape}, found {len(raw) - header}")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _find_mnist_file(directory: Path, stem: str) -> Path:
    for folder in (directory, directory / "MNIST" / "raw"):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    raise FileNotFoundError(f"MNIST file {stem}[.gz] not found in {directory}")


def _mnist_split(directory: Path, prefix: str) -> tuple[torch.Tensor, torch.Tensor]:
    img_path = _find_mnist_file(directory, f"{prefix}-images-idx3-ubyte")
    lab_path = _find_mnist_file(directory, f"{prefix}-labels-idx1-ubyte")
    images, labels = read_idx(img_path), read_idx(lab_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise ValueError(f"{img_path}: expected uint8 images of shape (N, H, W), got {images.dtype} {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{lab_path}: expected {len(images)} labels, got shape {labels.shape}")
    if labels.size and labels.max() > 9:
        raise ValueError(f"{lab_path}: labels must lie in 0..9, found {int(labels.max())}")
    x = (torch.from_numpy(images).float().div_(255.0) - MNIST_MEAN) / MNIST_STD
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def load_mnist(directory: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> Dataset:
    """MNIST from the four IDX files in ``directory`` (or its torchvision ``MNIST/raw`` subfolder).

    Inputs are scaled to [0, 1] and normalised with mean 0.1307, std 0.3081 (docs/theory.md §6).
    """
    directory = Path(directory)
    x_train, y_train = _mnist_split(directory, "train")
    x_test, y_test = _mnist_split(directory, "t10k")
    return Dataset(x_train, y_train, x_test, y_test, 10, "mnist").to(device)


# -------------------------------------------------------------------------------------- CIFAR10
_NP_CORE = "numpy._core" if int(np.__version__.split(".")[0]) >= 2 else "numpy.core"


class _ArrayUnpickler(pickle.Unpickler):
    """Unpickler that admits only what a pickled NumPy array needs (no arbitrary code)."""

    _ALLOWED = {("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
                (_NP_CORE + ".multiarray", "_reconstruct"), (_NP_CORE + ".multiarray", "scalar")}

    def find_class(self, module: str, name: str) -> object:
        if module.startswith(("numpy.core.", "numpy._core.")):  # NumPy 1 wrote numpy.core, NumPy 2 numpy._core
            module = _NP_CORE + "." + module.split(".", 2)[2]
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}")
        return super().find_class(module, name)


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"CIFAR10 file {path.name} not found in {path.parent}")
    try:
        entry = _ArrayUnpickler(io.BytesIO(path.read_bytes()), encoding="bytes").load()
    except Exception as exc:  # any failure to parse means the file is not a batch
        raise ValueError(f"{path}: not a CIFAR10 pickle batch ({exc})") from None
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: not a CIFAR10 pickle batch (a {type(entry).__name__}, not a dict)")
    entry = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in entry.items()}
    data, labels = entry.get("data"), entry.get("labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{path}: 'data' must be a uint8 array of shape (N, 3072)")
    labels = np.asarray(labels if labels is not None else [], dtype=np.int64)
    if labels.shape != (len(data),) or (labels.size and (labels.min() < 0 or labels.max() > 9)):
        raise ValueError(f"{path}: 'labels' must hold {len(data)} integers in 0..9")
    return data, labels


def _cifar_tensors(paths: Sequence[Path]) -> tuple[torch.Tensor, torch.Tensor]:
    parts = [_cifar_batch(p) for p in paths]
    data = np.concatenate([d for d, _ in parts]).reshape(-1, 3, 32, 32)
    mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)
    x = (torch.from_numpy(data).float().div_(255.0) - mean) / std
    return x, torch.from_numpy(np.concatenate([y for _, y in parts]))


def load_cifar10(directory: str | os.PathLike[str], *, device: str | torch.device = "cpu") -> Dataset:
    """CIFAR10 from the python batches in ``directory`` (or its ``cifar-10-batches-py`` subfolder).

    Inputs are scaled to [0, 1] and normalised per channel (docs/theory.md §6).
    """
    directory = Path(directory)
    if not (directory / "data_batch_1").exists() and (directory / _CIFAR10_DIR).is_dir():
        directory = directory / _CIFAR10_DIR
    x_train, y_train = _cifar_tensors([directory / f"data_batch_{i}" for i in range(1, 6)])
    x_test, y_test = _cifar_tensors([directory / "test_batch"])
    return Dataset(x_train, y_train, x_test, y_test, 10, "cifar10").to(device)
