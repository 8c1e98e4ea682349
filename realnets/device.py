"""Where the PyTorch work runs: ``cuda`` when a GPU is visible, else ``cpu`` (one helper for the library)."""
from __future__ import annotations

import re

__all__ = ["DEVICES", "check_device", "default_device"]

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
