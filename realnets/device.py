"""Where the PyTorch work runs: ``cuda`` when a GPU is visible, else ``cpu`` (one helper for the library)."""
from __future__ import annotations

__all__ = ["default_device"]


def default_device() -> str:
    """``"cuda"`` when PyTorch sees a GPU, else ``"cpu"``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"
