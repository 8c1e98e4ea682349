"""Data for the real-network experiments (SPEC §6, paper Sections 5 and S1.1), held whole on a device.

Four data sets, each returned as a :class:`Dataset` of tensors (inputs float32, labels int64):

* ``mnist``: the four IDX files (gzipped or not) from a directory the user names; pixels scaled to
  [0, 1] then normalised with mean 0.1307, std 0.3081 (the paper's code); shape (N, 1, 28, 28).
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
"""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import pickle
import random
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from simulator import sample_weights

__all__ = [
    "MNIST_MEAN",
    "MNIST_STD",
    "CIFAR10_MEAN",
    "CIFAR10_STD",
    "Dataset",
    "TeacherSpec",
    "EpochSampler",
    "read_idx",
    "load_mnist",
    "load_cifar10",
    "make_mnist1d",
    "make_teacher",
    "load_dataset",
    "download_mnist",
    "download_cifar10",
]

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR10_MEAN, CIFAR10_STD = (0.491, 0.482, 0.447), (0.247, 0.243, 0.262)

_MNIST_FILES = {  # stem -> MD5 of the official .gz (as torchvision checks them)
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR10_ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
_CIFAR10_DIR = "cifar-10-batches-py"
_CIFAR10_FILES = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


@dataclass(frozen=True)
class Dataset:
    """A whole classification data set as tensors on one device.

    Attributes
    ----------
    x_train, x_test : torch.Tensor
        Inputs, float32, shape (N, *input_shape).
    y_train, y_test : torch.Tensor
        Labels, int64 in [0, num_classes).
    num_classes : int
    name : str
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    name: str

    def __post_init__(self) -> None:
        if len(self.x_train) != len(self.y_train) or len(self.x_test) != len(self.y_test):
            raise ValueError(f"{self.name}: inputs and labels differ in length")

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Per-sample input shape."""
        return tuple(self.x_train.shape[1:])

    def to(self, device: str | torch.device) -> Dataset:
        """The same data on ``device``."""
        return Dataset(self.x_train.to(device), self.y_train.to(device), self.x_test.to(device),
                       self.y_test.to(device), self.num_classes, self.name)


@dataclass(frozen=True)
class TeacherSpec:
    """Synthetic teacher data of Section S1.6.1 (SPEC §6, "Synthetic pruning study").

    Attributes
    ----------
    alpha : float
        Stability index α ∈ (0, 2] of the teacher's hidden-layer weights (SαS(1), then each
        layer scaled to unit Frobenius norm). Default 1.8, inside the paper's grid 1.50…2.00.
    n_train, n_test : int
        Numbers of i.i.d. N(0, 1) inputs of MNIST shape (paper: 60,000 in all).
    width, depth : int
        Teacher hidden width and number of hidden layers (paper: the FCN6 analogue, 2048 and 6).
    num_classes : int
        Output size of the teacher (10).
    seed : int
        Seed of the teacher's weights and inputs (independent of the training seed).
    """

    alpha: float = 1.8
    n_train: int = 60_000
    n_test: int = 10_000
    width: int = 2048
    depth: int = 6
    num_classes: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.alpha <= 2.0:
            raise ValueError(f"alpha must be in (0, 2], got {self.alpha}")
        for name in ("n_train", "n_test", "width", "depth"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.num_classes < 2:
            raise ValueError(f"num_classes must be >= 2, got {self.num_classes}")


class EpochSampler:
    """Mini-batch indices in epochs: a fresh permutation of 0..n-1 each epoch, cut into blocks of b.

    The permutation comes from ``torch.randperm`` on a CPU ``torch.Generator`` (so the order is
    the same on every device) and is moved to ``device`` once per epoch. A last block shorter
    than b is dropped, so every step uses exactly b samples (no remainder for MNIST or CIFAR10
    with b ∈ {50, 100}). The state is the generator state at the start of the epoch plus the
    position, enough to replay the epoch exactly.
    """

    def __init__(self, n: int, batch_size: int, seed: int, device: str | torch.device = "cpu") -> None:
        if not 1 <= batch_size <= n:
            raise ValueError(f"batch_size must be in [1, n={n}], got {batch_size}")
        self.n, self.batch_size, self.device = int(n), int(batch_size), torch.device(device)
        self._gen = torch.Generator(device="cpu")
        self._gen.manual_seed(int(seed))
        self._new_epoch()

    def _new_epoch(self) -> None:
        self._epoch_state = self._gen.get_state()
        self._perm = torch.randperm(self.n, generator=self._gen).to(self.device)
        self._pos = 0

    def next(self) -> torch.Tensor:
        """Indices (int64, on ``device``) of the next mini-batch."""
        if self._pos + self.batch_size > self.n:
            self._new_epoch()
        idx = self._perm[self._pos:self._pos + self.batch_size]
        self._pos += self.batch_size
        return idx

    def state_dict(self) -> dict[str, object]:
        """Picklable state: generator state at the epoch start and the position within it."""
        return {"epoch_state": self._epoch_state.clone(), "pos": self._pos}

    def load_state_dict(self, state: dict[str, object]) -> None:
        """Restore a state from :meth:`state_dict`."""
        self._gen.set_state(state["epoch_state"])
        self._new_epoch()
        self._pos = int(state["pos"])


# ---------------------------------------------------------------------------------------- MNIST
def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file (gzipped or raw; detected by its first bytes) into a NumPy array.

    Raises ``FileNotFoundError`` if it is missing and a one-line ``ValueError`` naming the file
    if it is not a complete IDX file.
    """
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{path}: corrupt gzip stream ({exc})") from None
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

    Inputs are scaled to [0, 1] and normalised with mean 0.1307, std 0.3081 (SPEC §6).
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

    Inputs are scaled to [0, 1] and normalised per channel (SPEC §6).
    """
    directory = Path(directory)
    if not (directory / "data_batch_1").exists() and (directory / _CIFAR10_DIR).is_dir():
        directory = directory / _CIFAR10_DIR
    x_train, y_train = _cifar_tensors([directory / f"data_batch_{i}" for i in range(1, 6)])
    x_test, y_test = _cifar_tensors([directory / "test_batch"])
    return Dataset(x_train, y_train, x_test, y_test, 10, "cifar10").to(device)


# -------------------------------------------------------------------------------------- MNIST-1D
def make_mnist1d(*, device: str | torch.device = "cpu") -> Dataset:
    """MNIST-1D generated locally with ``mnist1d.data.make_dataset`` and its default arguments.

    Never downloads (``get_dataset`` would). The generator seeds NumPy's and ``random``'s global
    state with its own seed (42); both are restored afterwards.
    """
    from mnist1d.data import get_dataset_args, make_dataset

    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    as_x = lambda a: torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))  # noqa: E731
    as_y = lambda a: torch.from_numpy(np.asarray(a, dtype=np.int64))  # noqa: E731
    return Dataset(as_x(data["x"]), as_y(data["y"]), as_x(data["x_test"]), as_y(data["y_test"]),
                   10, "mnist1d").to(device)


# --------------------------------------------------------------------------------------- teacher
WeightSampler = Callable[..., np.ndarray]  # sampler(alpha, shape, *, seed=...) -> SαS(1) array


def _sas_iid(alpha: float, shape: tuple[int, ...], *, seed: np.random.SeedSequence) -> np.ndarray:
    """i.i.d. SαS(1) entries (SPEC §1) from the simulator's Chambers–Mallows–Stuck sampler."""
    return sample_weights(alpha, shape, structure="iid", scale=1.0, seed=seed)


def _teacher_layers(spec: TeacherSpec, sampler: WeightSampler, seeds: list[np.random.SeedSequence]) -> list[np.ndarray]:
    sizes = [784] + [spec.width] * spec.depth
    layers = []
    for (fan_in, fan_out), seed in zip(zip(sizes[:-1], sizes[1:]), seeds):
        w = np.asarray(sampler(spec.alpha, (fan_out, fan_in), seed=seed), dtype=np.float64)
        layers.append(w / np.linalg.norm(w))
    bound = 1.0 / math.sqrt(spec.width)  # PyTorch's default Linear init: U(-1/√fan_in, 1/√fan_in)
    layers.append(np.random.default_rng(seeds[spec.depth]).uniform(-bound, bound, (spec.num_classes, spec.width)))
    return layers


def _teacher_labels(x: torch.Tensor, layers: Sequence[torch.Tensor], chunk: int = 4096) -> torch.Tensor:
    labels = []
    for start in range(0, len(x), chunk):
        h = x[start:start + chunk].flatten(1)
        for w in layers[:-1]:
            h = torch.relu(h @ w.T)
        labels.append((h @ layers[-1].T).argmax(1))
    return torch.cat(labels)


def make_teacher(
    spec: TeacherSpec | None = None,
    *,
    teacher_weights: Sequence[np.ndarray | torch.Tensor] | WeightSampler | None = None,
    device: str | torch.device = "cpu",
) -> Dataset:
    """Synthetic teacher data (Section S1.6.1): N(0, 1) inputs of MNIST shape, argmax labels.

    Parameters
    ----------
    spec : TeacherSpec, optional
        Sizes, α and seed; default ``TeacherSpec()``.
    teacher_weights : sequence of arrays or callable, optional
        Either every teacher layer (``out × in`` matrices, used as given), or a sampler
        ``f(alpha, shape, *, seed)`` of i.i.d. SαS(1) arrays for the hidden layers (each is then
        scaled to unit Frobenius norm). Default: ``simulator.sample_weights`` (``"iid"``, σ = 1).
    device : str or torch.device
        Where the labels are computed (in float64, so near-ties do not depend on the device)
        and the data returned.

    Returns
    -------
    Dataset
        Inputs (N, 1, 28, 28) float32; labels = argmax of the teacher's output.
    """
    spec = TeacherSpec() if spec is None else spec
    seeds = np.random.SeedSequence(spec.seed).spawn(spec.depth + 2)
    if teacher_weights is None or callable(teacher_weights):
        layers = _teacher_layers(spec, teacher_weights or _sas_iid, seeds)
    else:
        layers = list(teacher_weights)
    ws = [torch.as_tensor(np.asarray(w), dtype=torch.float64, device=device) for w in layers]
    chained = all(a.shape[0] == b.shape[1] for a, b in zip(ws[:-1], ws[1:]))
    if not chained or ws[0].shape[1] != 784 or ws[-1].shape[0] != spec.num_classes:
        raise ValueError(f"teacher_weights must be chained out x in matrices from 784 to {spec.num_classes}")
    n = spec.n_train + spec.n_test
    x = np.random.default_rng(seeds[-1]).standard_normal((n, 1, 28, 28), dtype=np.float32)
    x = torch.from_numpy(x).to(device)
    y = _teacher_labels(x.double(), ws)
    return Dataset(x[:spec.n_train], y[:spec.n_train], x[spec.n_train:], y[spec.n_train:],
                   spec.num_classes, "teacher")


def load_dataset(
    name: str,
    *,
    data_dir: str | os.PathLike[str] | None = None,
    device: str | torch.device = "cpu",
    teacher: TeacherSpec | None = None,
) -> Dataset:
    """Load or generate ``name`` ∈ {"mnist", "cifar10", "mnist1d", "teacher"} onto ``device``.

    ``data_dir`` is required for MNIST and CIFAR10; ``teacher`` configures the teacher data.
    """
    if name in ("mnist", "cifar10"):
        if data_dir is None:
            raise ValueError(f"{name} needs data_dir, the folder holding its files")
        return (load_mnist if name == "mnist" else load_cifar10)(data_dir, device=device)
    if name == "mnist1d":
        return make_mnist1d(device=device)
    if name == "teacher":
        return make_teacher(teacher, device=device)
    raise ValueError(f"dataset must be one of ('mnist', 'cifar10', 'mnist1d', 'teacher'), got {name!r}")


# ------------------------------------------------------------------------------------- download
def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)  # the published checksums are MD5 (integrity only)
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fetch(urls: Sequence[str], target: Path, md5: str, timeout: float) -> None:
    """Download the first of ``urls`` that works to ``target`` (atomically), checking its MD5."""
    if target.is_file() and _md5(target) == md5:
        return
    errors = []
    for url in urls:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name + ".", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            if _md5(Path(tmp)) != md5:
                errors.append(f"{url}: MD5 mismatch")
                continue
            os.replace(tmp, target)
            return
        except (urllib.error.URLError, OSError) as exc:
            errors.append(f"{url}: {exc}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise ConnectionError(f"could not download {target.name} ({'; '.join(errors)}); "
                          f"offline? copy the file into {target.parent} by hand")


def download_mnist(directory: str | os.PathLike[str], *, mirrors: Sequence[str] = MNIST_MIRRORS,
                   timeout: float = 60.0) -> Path:
    """Download the four MNIST ``.gz`` files into ``directory``, verifying their MD5 checksums.

    Files already present with the right checksum are kept. Raises ``ConnectionError`` with the
    reason when no mirror can be reached. Returns ``directory`` (ready for :func:`load_mnist`).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for stem, md5 in _MNIST_FILES.items():
        _fetch([m + stem + ".gz" for m in mirrors], directory / (stem + ".gz"), md5, timeout)
    return directory


def download_cifar10(directory: str | os.PathLike[str], *, url: str = _CIFAR10_URL, timeout: float = 60.0) -> Path:
    """Download and unpack the CIFAR10 python archive into ``directory``, verifying MD5 checksums.

    Checks the archive and every extracted batch against the published MD5s; extracts only the
    batch files (tar "data" filter). Returns the ``cifar-10-batches-py`` folder.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / _CIFAR10_DIR
    if all((target / f).is_file() and _md5(target / f) == m for f, m in _CIFAR10_FILES.items()):
        return target
    archive = directory / "cifar-10-python.tar.gz"
    _fetch([url], archive, _CIFAR10_ARCHIVE_MD5, timeout)
    with tarfile.open(archive, "r:gz") as tar:
        wanted = [m for m in tar.getmembers() if m.isfile() and Path(m.name).name in _CIFAR10_FILES]
        tar.extractall(directory, members=wanted, filter="data")
    for name, md5 in _CIFAR10_FILES.items():
        if not (target / name).is_file() or _md5(target / name) != md5:
            raise ValueError(f"{target / name}: missing or MD5 mismatch after extraction")
    return target
