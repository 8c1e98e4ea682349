"""Optional downloads of MNIST and CIFAR10 from their usual sources, verified by MD5 (``sgdtails data download``).

No data set can be downloaded on an offline machine: these raise ``ConnectionError`` with the
addresses tried; the loaders in :mod:`sgdtails.realnets.files` read files the user already has (and
``mnist5k``, :mod:`sgdtails.realnets.mnist5k`, needs no download).

Nothing partial is left behind: each file is written under a temporary name (``<name>.<random>.part``)
in the target folder, checked against its published MD5 and only then renamed into place; a failed,
interrupted or corrupt transfer removes its temporary file. The CIFAR10 batches are extracted into a
temporary folder, checked, and only then moved into ``cifar-10-batches-py``. Files already present
with the right checksum are kept and not downloaded again.
"""
from __future__ import annotations

import hashlib
import http.client
import math
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from sgdtails.realnets.files import _CIFAR10_DIR
from sgdtails.simulator.records import open_temporary

__all__ = ["MNIST_MIRRORS", "CIFAR10_MIRRORS", "download_mnist", "download_cifar10"]

_MNIST_FILES = {  # stem -> MD5 of the official .gz (as torchvision checks them)
    "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/")
CIFAR10_MIRRORS = ("https://www.cs.toronto.edu/~kriz/",)
_CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
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
_SCHEMES = ("http", "https", "ftp", "file")


def _bases(mirrors: Sequence[str], timeout: float) -> list[str]:
    """The mirrors as base addresses ending in ``/``; one-line ``ValueError`` for a bad mirror or timeout."""
    if isinstance(mirrors, str):
        mirrors = (mirrors,)
    if not mirrors:
        raise ValueError("mirrors must name at least one address")
    for m in mirrors:
        if not isinstance(m, str) or urllib.parse.urlsplit(m).scheme not in _SCHEMES:
            raise ValueError(f"mirrors: {m!r} is not an http://, https://, ftp:// or file:// address")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < math.inf:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    return [m if m.endswith("/") else m + "/" for m in mirrors]


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
        fd, tmp = open_temporary(target, ".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(1 << 20), b""):
                    out.write(block)
            if _md5(Path(tmp)) != md5:
                errors.append(f"{url}: MD5 mismatch")
                continue
            os.replace(tmp, target)
            return
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:  # HTTPException: e.g. IncompleteRead
            errors.append(f"{url}: {' '.join(str(exc).split()) or type(exc).__name__}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise ConnectionError(f"could not download {target.name} ({'; '.join(errors)}); "
                          f"offline? copy the file into {target.parent} by hand")


def download_mnist(directory: str | os.PathLike[str], *, mirrors: Sequence[str] = MNIST_MIRRORS,
                   timeout: float = 60.0) -> Path:
    """Download the four MNIST ``.gz`` files into ``directory``, verifying their MD5 checksums.

    ``mirrors`` are base addresses (http, https, ftp or file) tried in turn for each file. Files
    already present with the right checksum are kept. Raises ``ConnectionError`` with the reasons
    when no mirror can be reached, ``ValueError`` for a bad mirror or timeout. Returns
    ``directory`` (ready for :func:`load_mnist`).
    """
    bases = _bases(mirrors, timeout)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for stem, md5 in _MNIST_FILES.items():
        _fetch([m + stem + ".gz" for m in bases], directory / (stem + ".gz"), md5, timeout)
    return directory


def download_cifar10(directory: str | os.PathLike[str], *, mirrors: Sequence[str] = CIFAR10_MIRRORS,
                     timeout: float = 60.0) -> Path:
    """Download and unpack the CIFAR10 python archive into ``directory``, verifying MD5 checksums.

    ``mirrors`` are base addresses tried in turn for ``cifar-10-python.tar.gz``. Checks the archive
    and every extracted batch against the published MD5s; extracts only the batch files (tar "data"
    filter) into a temporary folder and moves them into ``cifar-10-batches-py`` once all are
    verified. Raises ``ConnectionError`` when no mirror can be reached. Returns the
    ``cifar-10-batches-py`` folder (ready for :func:`load_cifar10`).
    """
    bases = _bases(mirrors, timeout)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / _CIFAR10_DIR
    if all((target / f).is_file() and _md5(target / f) == m for f, m in _CIFAR10_FILES.items()):
        return target
    archive = directory / _CIFAR10_ARCHIVE
    _fetch([m + _CIFAR10_ARCHIVE for m in bases], archive, _CIFAR10_ARCHIVE_MD5, timeout)
    staging = Path(tempfile.mkdtemp(dir=directory, prefix=_CIFAR10_DIR + ".", suffix=".part"))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            wanted = [m for m in tar.getmembers() if m.isfile() and Path(m.name).name in _CIFAR10_FILES]
            tar.extractall(staging, members=wanted, filter="data")
        found = {p.name: p for p in staging.rglob("*") if p.is_file()}
        for name, md5 in _CIFAR10_FILES.items():
            if name not in found or _md5(found[name]) != md5:
                raise ValueError(f"{archive}: {name} missing or MD5 mismatch after extraction")
        target.mkdir(exist_ok=True)
        for name in _CIFAR10_FILES:
            os.replace(found[name], target / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
