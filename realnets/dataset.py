"""The in-memory data set and its mini-batch sampler (docs/theory.md §6).

Whole tensors on one device, batches drawn by index, no per-sample Python work.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["Dataset", "EpochSampler"]


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

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`."""
        self._gen.set_state(state["epoch_state"])
        self._new_epoch()
        self._pos = int(state["pos"])
