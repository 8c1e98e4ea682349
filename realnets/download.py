"""Optional downloads of MNIST and CIFAR10 from their usual sources, verified by MD5.

No data set can be downloaded on an offline machine: these raise ``ConnectionError`` with the
address tried; the loaders in :mod:`sgdtails.realnets.files` read files the user already has.
"""
from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sgdtails.realnets.files import _CIFAR10_DIR

__all__ = ["MNIST_MIRRORS", "download_mnist", "download_cifar10"]

_MNIST_FILES = {  # stem -> MD5 of the official .gz (as torchvision checks them)
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
_CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
_CIFAR10_ARCHIVE_MD5 = "c58f30108f718f92721af3b95e74349a"
_CIFAR10_FILES = {
    "data_batch_1": "c99cafc152244af753f735de768cd75f",
    "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
    "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
    "data_batch_4": "634d18415352ddfa80567beed471001a",
    "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
    "test_batch": "40351d587109b95175f43aff81a1287e",
}


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
