"""Offline data for CPU runs: MNIST-1D from its generator and the teacher data of Section S1.6.1."""
from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from sgdtails.realnets.dataset import Dataset
from sgdtails.simulator import sample_weights
from sgdtails.simulator.validate import check_alpha, check_int

__all__ = ["TeacherSpec", "make_mnist1d", "make_teacher", "teacher_layers", "teacher_predict"]


@dataclass(frozen=True)
class TeacherSpec:
    """Synthetic teacher data of Section S1.6.1 (docs/theory.md §6, "Synthetic pruning study").

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
        check_alpha(self.alpha)
        for name in ("n_train", "n_test", "width", "depth"):
            check_int(getattr(self, name), name, low=1)
        check_int(self.num_classes, "num_classes", low=2)


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
    """i.i.d. SαS(1) entries (docs/theory.md §1) from the simulator's Chambers–Mallows–Stuck sampler."""
    return sample_weights(alpha, shape, structure="iid", scale=1.0, seed=seed)


def teacher_layers(
    alpha: float,
    seeds: Sequence[np.random.SeedSequence],
    *,
    in_features: int = 784,
    width: int = 2048,
    depth: int = 6,
    classes: int = 10,
    sampler: WeightSampler | None = None,
) -> list[np.ndarray]:
    """The random network of Section S1.6.1 (out × in float64 matrices, no biases).

    ``depth`` hidden layers ``in_features → width → … → width`` with i.i.d. SαS(1) entries
    (``sampler``, default :func:`sgdtails.simulator.sample_weights` ``"iid"``), each scaled to unit
    Frobenius norm, then a ``width → classes`` layer drawn like PyTorch's default ``nn.Linear``
    init, U(±1/√width). Hidden layer i draws from ``seeds[i]``, the last one from ``seeds[depth]``.
    It labels the teacher data (:func:`make_teacher`) and is the network of the synthetic
    pruning study (:mod:`sgdtails.figures.pruning_study`).
    """
    draw = sampler or _sas_iid
    sizes = [in_features] + [width] * depth
    layers = []
    for (fan_in, fan_out), seed in zip(zip(sizes[:-1], sizes[1:]), seeds):
        w = np.asarray(draw(alpha, (fan_out, fan_in), seed=seed), dtype=np.float64)
        layers.append(w / np.linalg.norm(w))
    bound = 1.0 / math.sqrt(width)  # PyTorch's default Linear init: U(-1/√fan_in, 1/√fan_in)
    layers.append(np.random.default_rng(seeds[depth]).uniform(-bound, bound, (classes, width)))
    return layers


def teacher_predict(
    layers: Sequence[np.ndarray | torch.Tensor],
    x: torch.Tensor,
    *,
    dtype: torch.dtype = torch.float64,
    chunk: int = 4096,
) -> torch.Tensor:
    """Argmax of the bias-free ReLU network ``layers`` on ``x`` (flattened per sample), in ``dtype``.

    The layers are cast to ``dtype`` on ``x``'s device; ``chunk`` inputs go through at a time.
    """
    ws = [torch.as_tensor(np.asarray(w) if isinstance(w, np.ndarray) else w, dtype=dtype, device=x.device)
          for w in layers]
    labels = []
    with torch.no_grad():
        for start in range(0, len(x), chunk):
            h = x[start:start + chunk].flatten(1)
            for w in ws[:-1]:
                h = torch.relu(h @ w.T)
            labels.append(torch.argmax(h @ ws[-1].T, dim=1))
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
        layers = teacher_layers(spec.alpha, seeds, width=spec.width, depth=spec.depth, classes=spec.num_classes,
                                sampler=teacher_weights)
    else:
        layers = list(teacher_weights)  # type: ignore[arg-type]
    ws = [torch.as_tensor(np.asarray(w), dtype=torch.float64, device=device) for w in layers]
    chained = all(a.shape[0] == b.shape[1] for a, b in zip(ws[:-1], ws[1:]))
    if not chained or ws[0].shape[1] != 784 or ws[-1].shape[0] != spec.num_classes:
        raise ValueError(f"teacher_weights must be chained out x in matrices from 784 to {spec.num_classes}")
    n = spec.n_train + spec.n_test
    x = torch.from_numpy(np.random.default_rng(seeds[-1]).standard_normal((n, 1, 28, 28), dtype=np.float32))
    x = x.to(device)
    y = teacher_predict(ws, x.double())
    return Dataset(x[:spec.n_train], y[:spec.n_train], x[spec.n_train:], y[spec.n_train:],
                   spec.num_classes, "teacher")
