"""Where the PyTorch work runs: ``cuda`` when a GPU is visible, else ``cpu`` (one helper for the library)."""
from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["DEVICES", "check_device", "claimed_device", "default_device", "visible_gpus"]

DEVICES = ("cpu", "cuda", "cuda:N")
"""The device strings accepted (``cuda:N``: the N-th visible GPU)."""

_PATTERN = re.compile(r"(cpu|cuda)(?::(\d+))?")


def default_device() -> str:
    """``"cuda"`` when PyTorch sees a GPU, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def check_device(device: object, name: str = "device") -> str:
    """``device`` if it names a device of this machine, else ``ValueError`` naming ``name``.

    Accepts ``"cpu"``, ``"cuda"`` and ``"cuda:N"`` (the choices of :data:`DEVICES`, as
    :class:`sgdtails.realnets.train.TrainConfig` does); a CUDA device must also be visible to PyTorch
    — otherwise PyTorch itself would fail later with an ``AssertionError`` or a ``RuntimeError``.

    Parameters
    ----------
    device : str
        The device string.
    name : str
        The parameter's name in the message (``--device`` at the command line).

    Returns
    -------
    str
        ``device`` unchanged.
    """
    if not isinstance(device, str) or (match := _PATTERN.fullmatch(device)) is None:
        raise ValueError(f"{name} must be 'cpu' or 'cuda[:n]', got {device!r}")
    if match.group(1) == "cpu":
        if match.group(2) is not None:
            raise ValueError(f"{name} must be 'cpu' or 'cuda[:n]', got {device!r}")
        return device
    import torch

    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        raise ValueError(f"{name} {device!r} is not available: PyTorch {torch.__version__} sees no CUDA GPU "
                         f"(use {name} cpu)")
    index = int(match.group(2) or 0)
    if index >= count:
        raise ValueError(f"{name} {device!r} is not available: PyTorch sees {count} CUDA GPU{'s' if count > 1 else ''} "
                         f"(cuda:0..cuda:{count - 1})")
    return device


def visible_gpus() -> int:
    """The number of CUDA GPUs PyTorch sees (0 without CUDA)."""
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def _physical_ids(count: int) -> list[str]:
    """The machine-wide ids of the visible GPUs: ``CUDA_VISIBLE_DEVICES`` entries where set, else 0…count−1."""
    listed = [d.strip() for d in os.environ.get("CUDA_VISIBLE_DEVICES", "").split(",") if d.strip()]
    return listed[:count] if len(listed) >= count else [str(k) for k in range(count)]


@contextmanager
def claimed_device(lock_dir: str | os.PathLike[str], *, poll: float = 1.0) -> Iterator[str]:
    """A device held alone while the block runs: the first free visible GPU (``"cuda:k"``), else ``"cpu"``.

    Each GPU is claimed with an exclusive ``fcntl.flock`` on ``lock_dir/<host>-gpu<id>.lock``
    (id: the GPU's entry in ``CUDA_VISIBLE_DEVICES``, or its index), released when the block ends
    or its process dies. So N worker processes on a node with N GPUs train on N different GPUs
    (the sweep's ``--jobs N``), a process finding all GPUs held waits (``poll`` seconds between
    tries) rather than sharing one, and Dask workers that each see one GPU of their own never
    contend. Without a GPU (or without ``fcntl``, e.g. on Windows) it yields ``"cpu"`` / ``"cuda"``
    at once.
    """
    count = visible_gpus()
    if count == 0:
        yield "cpu"
        return
    try:
        import fcntl
    except ImportError:  # no advisory locks here: one process per GPU is the user's to arrange
        yield "cuda"
        return
    folder = Path(lock_dir)
    folder.mkdir(parents=True, exist_ok=True)
    host = socket.gethostname()
    ids = _physical_ids(count)
    while True:
        for k, gpu in enumerate(ids):
            fh = open(folder / f"{host}-gpu{gpu}.lock", "a+")  # noqa: SIM115 - held across the yield
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                continue
            try:
                yield f"cuda:{k}"
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
                fh.close()
            return
        time.sleep(poll)
