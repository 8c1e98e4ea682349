"""SGD speed of ``sgdtails.realnets.train`` for the paper's FCN4-2048 at b = 100 on MNIST-shaped data.

Reports, on whatever device it runs on (``--device``, default cuda if available):

* SGD iterations per second of ``train`` (median time between two steps that are not evaluation
  points), against a **plain PyTorch loop** run in the same process (same model, data, batch size,
  ``torch.optim.SGD``, batches cut from one random permutation; no sampler state, no averaging, no
  evaluation): the baseline;
* the time of one full evaluation (the 60,000 training and 10,000 test inputs, the paper's
  evaluation every 200 iterations), measured as the extra time of the steps that carry one, and of
  one checkpoint (``train``'s own writer: the run state of the trained model — weights, optimizer,
  sampler, metrics — saved and fsync'd to a file, atomically), timed directly (median of 5);
* the share of the run they take under the paper's cadence (evaluation every 200 iterations) with
  checkpoints every 200 iterations (the old default) and every 300 s (the default now).

The data are the teacher data of Section S1.6.1 (i.i.d. N(0, 1) inputs of MNIST shape, labelled by
a small teacher network so that they are generated in seconds): the cost of an SGD step does not
depend on what the pixels are.

    python benchmarks/bench_train.py [--iters 200] [--device cpu|cuda] [--tf32]
"""
from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from sgdtails.realnets.data import TeacherSpec, load_dataset
from sgdtails.realnets.device import default_device
from sgdtails.realnets.models import build_model
from sgdtails.realnets.train import TrainConfig, train

EVAL_EVERY = 200


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _timed_train(config: TrainConfig, out: Path) -> list[float]:
    """Per-step times (seconds) of one ``train`` run, step t at index t − 1 (evaluation/checkpoint included)."""
    stamps: list[float] = []

    def tick(t: int, model: torch.nn.Module) -> None:
        _sync(config.device)
        stamps.append(time.perf_counter())

    start = time.perf_counter()
    train(config, out, progress=False, callback=tick)
    return [b - a for a, b in zip([start, *stamps[:-1]], stamps)]


def _checkpoint_seconds(config: TrainConfig, folder: Path) -> float:
    """Median of 5 timings of ``train``'s checkpoint writer on the state of a freshly built run."""
    from sgdtails.realnets.data import load_dataset as load
    from sgdtails.realnets.train import _atomic_torch, _Run  # the writer train() uses, timed as it runs

    run = _Run(config, load(config.dataset, device=config.device, teacher=config.teacher))
    times = []
    for k in range(5):
        _sync(config.device)
        t0 = time.perf_counter()
        _atomic_torch(folder / f"checkpoint{k}.pt", run.state())
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _plain_loop(config: TrainConfig, iters: int) -> float:
    """Median seconds per step of a bare PyTorch SGD loop on the same model and data (the baseline)."""
    data = load_dataset(config.dataset, device=config.device, teacher=config.teacher)
    torch.manual_seed(0)
    model = build_model(config.model, config.dataset, width=config.width, input_shape=data.input_shape,
                        num_classes=data.num_classes).to(config.device)
    opt = torch.optim.SGD(model.parameters(), lr=config.lr)
    gen = torch.Generator(device="cpu").manual_seed(0)
    perm = torch.randperm(len(data.x_train), generator=gen).to(config.device)  # one epoch's order, as train's sampler
    times = []
    for k in range(iters):
        t0 = time.perf_counter()
        idx = perm[k * config.batch_size:(k + 1) * config.batch_size]
        loss = F.cross_entropy(model(data.x_train[idx]), data.y_train[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _sync(config.device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times[5:] or times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iters", type=int, default=None, help="SGD steps per measured run (default: 2000 on a GPU, "
                                                            "401 on the CPU)")
    ap.add_argument("--device", default=None, help="cpu, cuda or cuda:N (default: cuda if available)")
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--tf32", action="store_true", help="allow TF32 on CUDA (sgdtails train --tf32)")
    args = ap.parse_args()
    device = args.device or default_device()
    iters = args.iters or (2000 if device.startswith("cuda") else 2 * EVAL_EVERY + 1)
    if iters <= EVAL_EVERY:
        ap.error(f"--iters must exceed {EVAL_EVERY} (one evaluation inside the run is measured)")
    name = torch.cuda.get_device_name(torch.device(device)) if device.startswith("cuda") else \
        f"CPU, {torch.get_num_threads()} threads"
    teacher = TeacherSpec(n_train=60_000, n_test=10_000, width=256, depth=2)
    base = dict(model="fcn4", dataset="teacher", lr=0.01, batch_size=100, width=args.width, teacher=teacher,
                eval_every=EVAL_EVERY, max_iters=iters, stop_nll=1e-12, diverge_after=10**9, device=device,
                tf32=args.tf32)
    print(f"FCN4-{args.width}, b = 100, MNIST-shaped teacher data (60,000 + 10,000), {iters} steps on {device} ({name})")
    with tempfile.TemporaryDirectory() as tmp:
        no_ckpt = _timed_train(TrainConfig(**base, checkpoint_seconds=math.inf), Path(tmp) / "a")
        ckpt_cost = _checkpoint_seconds(TrainConfig(**base), Path(tmp))
    # train() calls the callback right after step t, before the evaluation (and checkpoint) at t: their
    # time lands in the gap to step t + 1, at index t
    evals = list(range(EVAL_EVERY, iters, EVAL_EVERY))
    plain_steps = [dt for t, dt in enumerate(no_ckpt, start=1) if (t - 1) % EVAL_EVERY and t > 5]
    step = statistics.median(plain_steps)
    eval_cost = statistics.median(no_ckpt[t] - step for t in evals)
    baseline = _plain_loop(TrainConfig(**base), min(iters, 60_000 // 100))
    window = EVAL_EVERY * step + eval_cost  # one evaluation period of the paper's cadence
    print(f"train():           {1 / step:8.1f} it/s   ({step * 1e3:.2f} ms per step)")
    print(f"plain torch loop:  {1 / baseline:8.1f} it/s   ({baseline * 1e3:.2f} ms per step; baseline)")
    print(f"one evaluation (70,000 inputs): {eval_cost:.3f} s; one checkpoint: {ckpt_cost:.3f} s")
    print(f"share of the run, evaluation every {EVAL_EVERY} iterations: {eval_cost / window:.1%}")
    print(f"share of the run, checkpoint every {EVAL_EVERY} iterations (old default): "
          f"{ckpt_cost / (window + ckpt_cost):.1%}")
    print(f"share of the run, checkpoint every 300 s (default): {ckpt_cost / 300.0:.2%}")


if __name__ == "__main__":
    main()
