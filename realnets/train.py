r"""Plain SGD training with the paper's stopping rule, weight averaging and exact resume (docs/theory.md §6).

Protocol (paper Section 5 and S1.3; its code ``main.py``): constant step size η, no momentum, no
weight decay, batch size b, cross-entropy (NLL) loss. Every ``eval_every`` iterations the loss
and accuracy on the *full* training and test sets are recorded. The run has **converged** at the
first evaluation with 100 % training accuracy and training NLL < ``stop_nll`` (5·10⁻⁵).

Averaging stretch. The main text says SGD ran "1000 additional iterations" after convergence to
average the weights; the code runs ``10 × 1000`` further iterations (``mc_convergence_coefficient
= 10``) and averages only over the final ~1000 of them. We follow the code, exactly: with
t_c the convergence iteration, B = ``avg_block_iters`` and S = ``n_avg_blocks`` · B, training
stops at t_c + S and the averaged weights are the mean of the B iterates w_(t_c+S−B+1) … w_(t_c+S)
(the code's window has B + 1 iterates, and it stops only at an evaluation where the criterion
holds again; we stop at t_c + S unconditionally and report the last evaluation in the metrics).
The tail index is estimated on the averaged weights, pruning uses the final weights w_(t_c+S).

Status: ``"diverged"`` if a mini-batch or full training loss is non-finite, or if the training
accuracy is still ≤ 1 / classes at an evaluation after ``diverge_after`` iterations (the paper's
"≤ 10 % after 50,000 iterations"); ``"capped"`` at ``max_iters``; otherwise ``"converged"``.

Run directory: ``config.json`` (written once the data have loaded, so a start that fails on its
data leaves no config behind), ``metrics.csv`` (iteration, train_loss, train_acc, test_loss,
test_acc, wall; accuracies are fractions), ``checkpoint.pt`` (while running), then
``final_weights.pt`` and, if converged, ``averaged_weights.pt`` (``state_dict``\\ s), and
``status.json`` last.

Checkpoints. A checkpoint (model, optimizer, batch-sampler RNG, iteration, averaging state,
metrics) is written atomically at iteration 0 and then at an evaluation point when at least
``checkpoint_seconds`` of wall time (default 300 s) have passed since the last one, or, if
``checkpoint_every`` is set, when the iteration is a multiple of it (an extra trigger; off by
default, so a long run on a fast device is not slowed by a checkpoint every 200 iterations).
``checkpoint_seconds=0`` checkpoints at every evaluation, ``inf`` never by time. Calling
:func:`train` again with the same run identity and directory resumes from the last checkpoint and
reproduces the uninterrupted run bit for bit when it executes as before (same device and thread
count, same ``deterministic`` and ``eval_batch_size``: not part of the identity, they can still move
float32 results in the last bits); calling it on a finished run just returns its result.

Run identity. Every field of :class:`TrainConfig` is recorded in ``config.json``; all but
:data:`EXECUTION_FIELDS` (where and how the run executes: ``data_dir``, ``device``,
``eval_batch_size``, ``deterministic``, ``checkpoint_every``, ``checkpoint_seconds``) make up its
identity (:meth:`TrainConfig.identity`), which must match to resume or reuse a run folder.

Progress bar. Its total is ``max_iters`` until the run converges, then the run's actual end
t_c + S (or ``max_iters`` if that comes first).
"""
from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from sgdtails.realnets.data import Dataset, EpochSampler, TeacherSpec, load_dataset
from sgdtails.realnets.device import default_device
from sgdtails.realnets.models import build_model
from sgdtails.realnets.vocabulary import DATASETS, MODELS
from sgdtails.simulator.records import write_bytes, write_csv, write_json
from sgdtails.simulator.validate import check_choice, check_int, check_scale

__all__ = ["EXECUTION_FIELDS", "TrainConfig", "TrainResult", "train"]

_log = logging.getLogger(__name__)


STATUSES = ("converged", "diverged", "capped")
_METRICS = ("iteration", "train_loss", "train_acc", "test_loss", "test_acc", "wall")
EXECUTION_FIELDS = ("data_dir", "device", "eval_batch_size", "deterministic", "checkpoint_every", "checkpoint_seconds")
"""Fields of :class:`TrainConfig` that say where and how a run executes, not what it computes: recorded
in ``config.json`` but not part of the run's identity (another value may resume or reuse a run folder)."""
_clock = time.perf_counter  # wall clock of the checkpoint cadence and of the ``wall`` column (tests replace it)


@dataclass(frozen=True)
class TrainConfig:
    """One training run (docs/theory.md §6, SPEC §6.4), recorded whole in ``config.json``.

    Every field except :data:`EXECUTION_FIELDS` is part of the run's identity (:meth:`identity`).

    Attributes
    ----------
    model, dataset : str
        ``fcn4 | fcn6 | cnn`` and ``mnist | cifar10 | mnist5k | mnist1d | teacher``.
    lr, batch_size : float, int
        Constant step size η and batch size b (paper: b ∈ {50, 100}, Table 2 for η/b).
    seed : int
        Seeds the initial weights and the mini-batch order (two independent child seeds).
    width : int, optional
        FCN width (default 2048) or CNN base channels (default 64), see ``build_model``.
    depth : int, optional
        FCN hidden layers (default: 4 for fcn4, 6 for fcn6); for small test networks.
    data_dir : str, optional
        Folder with the MNIST or CIFAR10 files (for mnist5k: optional, a folder holding
        ``mnist_5k.csv.gz``). Not part of the identity.
    teacher : TeacherSpec
        Teacher data settings, used when ``dataset == "teacher"``.
    eval_every : int
        Full train/test evaluation period (paper: 200).
    checkpoint_seconds : float
        Checkpoint at an evaluation point once this much wall time has passed since the last
        checkpoint (default 300; 0: at every evaluation; ``inf``: never by time). Not part of the identity.
    checkpoint_every : int, optional
        Also checkpoint at evaluation points whose iteration is a multiple of this (a multiple of
        ``eval_every``); default None (wall time only). Not part of the identity.
    stop_nll : float
        Training NLL threshold of the stopping rule (paper: 5e-5).
    n_avg_blocks, avg_block_iters : int
        After convergence run ``n_avg_blocks · avg_block_iters`` iterations (paper: 10 × 1000) and
        average the weights over the last ``avg_block_iters``.
    max_iters : int
        Iteration cap (the paper's scripts: 1,000,000).
    diverge_after : int
        Iterations after which chance-level training accuracy means divergence (paper: 50,000).
    eval_batch_size : int
        Chunk size of the full-set evaluations (memory only; does not change results materially).
        Not part of the identity.
    device : str
        ``"cuda"`` if available, else ``"cpu"``. Not part of the identity.
    deterministic : bool
        Run under ``torch.use_deterministic_algorithms(True)`` (restored afterwards). Not part of
        the identity.
    tf32 : bool
        On CUDA, let float32 matmuls and cuDNN convolutions use TF32 tensor cores
        (``torch.backends.cuda.matmul.allow_tf32`` and ``torch.backends.cudnn.allow_tf32``, set for
        the run and restored afterwards). False (default): both off for the run, so every float32
        product is computed in full FP32 (PyTorch's own default allows TF32 in cuDNN convolutions).
        It changes the results, so it is part of the identity. On the CPU it does nothing.
    """

    model: str
    dataset: str
    lr: float
    batch_size: int
    seed: int = 0
    width: int | None = None
    depth: int | None = None
    data_dir: str | None = None
    teacher: TeacherSpec = TeacherSpec()
    eval_every: int = 200
    checkpoint_seconds: float = 300.0
    checkpoint_every: int | None = None
    stop_nll: float = 5e-5
    n_avg_blocks: int = 10
    avg_block_iters: int = 1000
    max_iters: int = 1_000_000
    diverge_after: int = 50_000
    eval_batch_size: int = 1000
    device: str = field(default_factory=default_device)
    deterministic: bool = True
    tf32: bool = False

    def __post_init__(self) -> None:
        if self.data_dir is not None:  # a Path is accepted; JSON needs a str
            object.__setattr__(self, "data_dir", os.fspath(self.data_dir))
        check_int(self.seed, "seed", low=0)
        check_choice(self.model, "model", MODELS)
        check_choice(self.dataset, "dataset", DATASETS)
        check_scale(self.lr, "lr")
        check_scale(self.stop_nll, "stop_nll")
        for name in ("batch_size", "eval_every", "n_avg_blocks", "avg_block_iters", "max_iters", "eval_batch_size"):
            check_int(getattr(self, name), name, low=1)
        if self.checkpoint_every is not None:
            check_int(self.checkpoint_every, "checkpoint_every", low=1)
            if self.checkpoint_every % self.eval_every:
                raise ValueError(f"checkpoint_every ({self.checkpoint_every}) must be a multiple of eval_every "
                                 f"({self.eval_every})")
        seconds = self.checkpoint_seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds >= 0:
            raise ValueError(f"checkpoint_seconds must be a number >= 0 (inf: never by time), got {seconds!r}")
        object.__setattr__(self, "checkpoint_seconds", float(seconds))
        for name in ("deterministic", "tf32"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if self.width is not None:
            check_int(self.width, "width", low=1)
        if self.depth is not None and (self.model == "cnn" or self.depth < 1):
            raise ValueError(f"depth must be None for the cnn and >= 1 for an FCN, got {self.depth}")
        check_int(self.diverge_after, "diverge_after", low=0)
        try:
            kind = torch.device(self.device).type
        except (RuntimeError, TypeError):  # torch's message for an unknown device string
            kind = None
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu' or 'cuda[:n]', got {self.device!r}")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready dict (``teacher`` nested)."""
        return dataclasses.asdict(self)

    def identity(self) -> dict[str, object]:
        """The fields that define what the run computes: :meth:`to_dict` without :data:`EXECUTION_FIELDS`."""
        return {k: v for k, v in self.to_dict().items() if k not in EXECUTION_FIELDS}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Inverse of :meth:`to_dict`."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown TrainConfig fields: {sorted(unknown)}")
        d = dict(d)
        if isinstance(d.get("teacher"), dict):
            d["teacher"] = TeacherSpec(**d["teacher"])
        return cls(**d)


@dataclass(frozen=True)
class TrainResult:
    """Outcome of :func:`train`; the metrics are those of the last evaluation (accuracies in [0, 1])."""

    status: str
    iterations: int
    converged_at: int | None
    train_loss: float
    train_acc: float
    test_loss: float
    test_acc: float
    wall: float
    out_dir: str
    final_weights: str
    averaged_weights: str | None


# ------------------------------------------------------------------------------------ file I/O
def _atomic_torch(path: Path, obj: object) -> None:
    buf = io.BytesIO()
    torch.save(obj, buf)
    write_bytes(path, buf.getvalue())


def _write_metrics(path: Path, rows: list[dict[str, float]]) -> None:
    write_csv(path, rows, _METRICS)


def _check_config(out: Path, config: TrainConfig) -> None:
    """Refuse ``out`` if its ``config.json`` records a run of another identity (:meth:`TrainConfig.identity`)."""
    path = out / "config.json"
    if not path.is_file():
        return
    try:
        old = TrainConfig.from_dict(json.loads(path.read_text())).identity()
    except (ValueError, TypeError) as exc:  # TypeError: a field missing or of the wrong kind
        raise ValueError(f"{path}: not a TrainConfig record ({' '.join(str(exc).split())})") from None
    new = json.loads(json.dumps(config.identity()))
    old = json.loads(json.dumps(old))
    diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    if diff:
        raise ValueError(f"{out} holds a run with another config (differs in {', '.join(diff)})")


def _write_config(out: Path, config: TrainConfig) -> None:
    """Record ``config`` whole (the execution fields as this start runs them) in ``out/config.json``."""
    write_json(out / "config.json", config.to_dict(), indent=2, sort_keys=False)


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


# ----------------------------------------------------------------------------------- training
@contextlib.contextmanager
def _determinism(device: str, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    prev = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
            torch.backends.cudnn.benchmark)
    if torch.device(device).type == "cuda":  # deterministic cuBLAS needs this before the first matmul
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(prev[0], warn_only=prev[1])
        torch.backends.cudnn.benchmark = prev[2]


@contextlib.contextmanager
def _tf32(device: str, enabled: bool) -> Iterator[None]:
    """On CUDA: TF32 matmuls and cuDNN convolutions on (``enabled``) or off inside, the previous settings after.

    On the CPU nothing is touched (TF32 is a CUDA tensor-core format).
    """
    if torch.device(device).type != "cuda":
        yield
        return
    prev = (torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = enabled
    torch.backends.cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.set_float32_matmul_precision(prev[0])  # also restores matmul.allow_tf32, which it backs
        torch.backends.cudnn.allow_tf32 = prev[1]


@torch.no_grad()
def _evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, chunk: int) -> tuple[float, float]:
    """Mean NLL and accuracy of ``model`` on the whole of (x, y), summed in float64."""
    loss = torch.zeros((), dtype=torch.float64, device=x.device)
    correct = torch.zeros((), dtype=torch.int64, device=x.device)
    for start in range(0, len(x), chunk):
        out = model(x[start:start + chunk]).double()
        loss += F.cross_entropy(out, y[start:start + chunk], reduction="sum")
        correct += (out.argmax(1) == y[start:start + chunk]).sum()
    return float(loss) / len(x), int(correct) / len(x)


class _Run:
    """Mutable state of one run: everything a checkpoint must hold."""

    def __init__(self, config: TrainConfig, data: Dataset) -> None:
        init_seed, batch_seed = (int(s) for s in np.random.SeedSequence(config.seed).generate_state(2, np.uint64))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(init_seed)
            model = build_model(config.model, config.dataset, width=config.width, depth=config.depth,
                                input_shape=data.input_shape, num_classes=data.num_classes)
        self.config, self.data = config, data
        self.model = model.to(config.device)
        self.opt = torch.optim.SGD(self.model.parameters(), lr=config.lr, momentum=0.0, weight_decay=0.0)
        self.sampler = EpochSampler(len(data.x_train), config.batch_size, batch_seed, config.device)
        self.t, self.wall = 0, 0.0
        self.converged_at: int | None = None
        self.rows: list[dict[str, float]] = []
        self.avg_sum: list[torch.Tensor] | None = None
        self.avg_count = 0
        self.nonfinite = torch.zeros((), dtype=torch.bool, device=config.device)

    @property
    def t_stop(self) -> int | None:
        c = self.config
        return None if self.converged_at is None else self.converged_at + c.n_avg_blocks * c.avg_block_iters

    @property
    def t_end(self) -> int:
        """The last iteration as known now: ``max_iters``, or t_stop once converged if that comes first."""
        t_stop = self.t_stop
        return self.config.max_iters if t_stop is None else min(t_stop, self.config.max_iters)

    def state(self) -> dict[str, object]:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "sampler": self.sampler.state_dict(),
                "t": self.t, "converged_at": self.converged_at, "rows": self.rows, "wall": self.wall,
                "avg_sum": self.avg_sum, "avg_count": self.avg_count, "nonfinite": self.nonfinite}

    def load(self, s: dict) -> None:
        self.model.load_state_dict(s["model"])
        self.opt.load_state_dict(s["opt"])
        self.sampler.load_state_dict(s["sampler"])
        self.t, self.converged_at, self.rows, self.wall = s["t"], s["converged_at"], s["rows"], s["wall"]
        self.avg_sum, self.avg_count, self.nonfinite = s["avg_sum"], s["avg_count"], s["nonfinite"]

    def step(self) -> None:
        """One SGD step on a fresh mini-batch; then add the new iterate to the average if due."""
        idx = self.sampler.next()
        loss = F.cross_entropy(self.model(self.data.x_train[idx]), self.data.y_train[idx])
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.nonfinite.logical_or_(~torch.isfinite(loss.detach()))
        self.t += 1
        t_stop = self.t_stop
        if t_stop is not None and self.t > t_stop - self.config.avg_block_iters:
            params = [p.detach() for p in self.model.parameters()]
            if self.avg_sum is None:
                self.avg_sum = [torch.zeros_like(p, dtype=torch.float64) for p in params]
            for s, p in zip(self.avg_sum, params):
                s.add_(p)
            self.avg_count += 1

    def is_eval_point(self) -> bool:
        return self.t % self.config.eval_every == 0 or self.t == self.t_stop or self.t >= self.config.max_iters

    def evaluate(self, wall: float) -> str | None:
        """Full evaluation at the current iterate; returns the final status if the run ends here."""
        c, d = self.config, self.data
        tr_loss, tr_acc = _evaluate(self.model, d.x_train, d.y_train, c.eval_batch_size)
        te_loss, te_acc = _evaluate(self.model, d.x_test, d.y_test, c.eval_batch_size)
        self.rows.append(dict(zip(_METRICS, (self.t, tr_loss, tr_acc, te_loss, te_acc, wall))))
        if bool(self.nonfinite) or not math.isfinite(tr_loss):
            return "diverged"
        if self.converged_at is None and tr_acc == 1.0 and tr_loss < c.stop_nll:
            self.converged_at = self.t
        if self.t == self.t_stop:
            return "converged"
        if self.converged_at is None and self.t >= c.diverge_after and tr_acc <= 1.0 / d.num_classes:
            return "diverged"
        return "capped" if self.t >= c.max_iters else None

    def averaged_state(self) -> dict[str, torch.Tensor]:
        names = [n for n, _ in self.model.named_parameters()]
        assert self.avg_sum is not None, "no averaging stretch has run"
        return {n: (s / self.avg_count).to(p.dtype).cpu()
                for n, s, p in zip(names, self.avg_sum, self.model.parameters())}


def _finish(run: _Run, out: Path, status: str) -> TrainResult:
    final = out / "final_weights.pt"
    _atomic_torch(final, {k: v.detach().cpu() for k, v in run.model.state_dict().items()})
    averaged = None
    if status == "converged":
        averaged = out / "averaged_weights.pt"
        _atomic_torch(averaged, run.averaged_state())
    _write_metrics(out / "metrics.csv", run.rows)
    last = run.rows[-1]
    result = TrainResult(status, run.t, run.converged_at, last["train_loss"], last["train_acc"], last["test_loss"],
                         last["test_acc"], last["wall"], str(out), str(final), None if averaged is None else str(averaged))
    record = {k: _finite_or_none(v) if isinstance(v, float) else v for k, v in dataclasses.asdict(result).items()}
    write_json(out / "status.json", record, indent=2, sort_keys=False)
    (out / "checkpoint.pt").unlink(missing_ok=True)
    return result


def _load_result(out: Path) -> TrainResult:
    record: dict[str, Any] = json.loads((out / "status.json").read_text())
    fields: dict[str, Any] = {k: math.nan if v is None and k in _METRICS else v for k, v in record.items()}
    return TrainResult(**fields)


def train(
    config: TrainConfig,
    out_dir: str | os.PathLike[str],
    *,
    progress: bool = True,
    callback: Callable[[int, torch.nn.Module], None] | None = None,
) -> TrainResult:
    """Train one network with plain SGD until the paper's stopping rule (docs/theory.md §6), resumably.

    Parameters
    ----------
    config : TrainConfig
        The run.
    out_dir : path
        Run directory; created if needed. If it holds a checkpoint of the same run identity
        (:meth:`TrainConfig.identity`), training resumes from it (and ``config.json`` then records
        this start's execution fields); if it holds a finished run of the same identity, its result
        is returned. Another identity there raises ``ValueError``.
    progress : bool
        Show a tqdm bar (it/s; loss and accuracy of the last full training-set evaluation); its
        total is ``max_iters`` until convergence, then the iteration the run stops at.
    callback : callable, optional
        Called as ``callback(iteration, model)`` after every SGD step (it must not modify the
        model); an exception it raises ends the run there and the last checkpoint is kept, which
        is how tests simulate a kill.

    Returns
    -------
    TrainResult
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _check_config(out, config)
    if (out / "status.json").is_file():
        return _load_result(out)
    with _determinism(config.device, config.deterministic), _tf32(config.device, config.tf32):
        data = load_dataset(config.dataset, data_dir=config.data_dir, device=config.device, teacher=config.teacher)
        _write_config(out, config)  # only now: a start that fails on its data leaves no config behind
        run = _Run(config, data)
        start = _clock()
        ckpt = out / "checkpoint.pt"
        if ckpt.is_file():
            run.load(torch.load(ckpt, map_location=config.device, weights_only=True))
            start -= run.wall
            status = None
        else:
            status = run.evaluate(0.0)
            _atomic_torch(ckpt, run.state())
            _write_metrics(out / "metrics.csv", run.rows)
        last_ckpt = _clock()
        _log.info("train %s: %s on %s, iteration %d of %d (%s)", out, config.model, config.device, run.t, run.t_end,
                  "resumed" if run.t else "new run")
        bar = tqdm(total=run.t_end, initial=run.t, disable=not progress, unit="it", dynamic_ncols=True)
        try:
            while status is None:
                run.step()
                bar.update(1)
                if callback is not None:
                    callback(run.t, run.model)
                if run.is_eval_point():
                    now = _clock()
                    run.wall = now - start
                    status = run.evaluate(run.wall)
                    row = run.rows[-1]
                    if bar.total != run.t_end:  # converged: the run now ends at t_stop, not max_iters
                        bar.total = run.t_end
                        bar.refresh()
                    bar.set_postfix(loss=f"{row['train_loss']:.3g}", acc=f"{row['train_acc']:.4f}", refresh=False)
                    every = config.checkpoint_every
                    if status is None and (now - last_ckpt >= config.checkpoint_seconds
                                           or (every is not None and run.t % every == 0)):
                        _atomic_torch(ckpt, run.state())
                        _write_metrics(out / "metrics.csv", run.rows)
                        last_ckpt = _clock()
        finally:
            bar.close()
        return _finish(run, out, status)
