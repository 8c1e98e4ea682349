"""realnets.data: loaders on tiny files in the real formats, offline generators, batch sampler."""
import gzip
import hashlib
import io
import os
import pickle
import random
import socket
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from sgdtails.realnets import data as rd
from sgdtails.realnets import download

MNIST_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist(folder, rng, gz, n_train=6, n_test=4):
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test),
    }
    for stem, array in arrays.items():
        raw = _idx_bytes(array)
        (folder / (stem + (".gz" if gz else ""))).write_bytes(gzip.compress(raw) if gz else raw)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_from_idx_files(tmp_path, gz):
    arrays = _write_mnist(tmp_path, np.random.default_rng(0), gz)
    ds = rd.load_mnist(tmp_path)
    assert (ds.name, ds.num_classes, ds.input_shape) == ("mnist", 10, (1, 28, 28))
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    expected = (arrays["train-images-idx3-ubyte"] / 255.0 - 0.1307) / 0.3081
    np.testing.assert_allclose(ds.x_train[:, 0].numpy(), expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ds.y_test.numpy(), arrays["t10k-labels-idx1-ubyte"])
    assert len(ds.x_test) == 4


def test_load_mnist_from_torchvision_layout(tmp_path):
    _write_mnist(tmp_path / "MNIST" / "raw", np.random.default_rng(1), gz=True)
    assert len(rd.load_mnist(tmp_path).x_train) == 6


def test_missing_mnist_file_names_it(tmp_path):
    _write_mnist(tmp_path, np.random.default_rng(0), gz=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(FileNotFoundError, match="t10k-labels-idx1-ubyte") as info:
        rd.load_mnist(tmp_path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda raw: gzip.compress(raw)[:-12],  # truncated gzip stream
        lambda raw: raw[:-5],  # truncated data
        lambda raw: b"\x00\x01" + raw[2:],  # bad magic
        lambda raw: raw[:6],  # truncated header
    ],
)
def test_corrupt_mnist_file_is_a_one_line_valueerror(tmp_path, corrupt):
    arrays = _write_mnist(tmp_path, np.random.default_rng(0), gz=False)
    target = tmp_path / "train-images-idx3-ubyte"
    target.write_bytes(corrupt(_idx_bytes(arrays["train-images-idx3-ubyte"])))
    with pytest.raises(ValueError, match="train-images-idx3-ubyte") as info:
        rd.load_mnist(tmp_path)
    assert "\n" not in str(info.value)


def test_mnist_labels_must_match_images(tmp_path):
    _write_mnist(tmp_path, np.random.default_rng(0), gz=False)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(_idx_bytes(np.zeros(5)))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte"):
        rd.load_mnist(tmp_path)


def _write_cifar(folder, rng, n=2, numpy1_names=False):
    folder.mkdir(parents=True, exist_ok=True)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        entry = {b"data": rng.integers(0, 256, (n, 3072)).astype(np.uint8), b"labels": rng.integers(0, 10, n).tolist()}
        raw = pickle.dumps(entry, protocol=2)
        if numpy1_names:  # what NumPy 1 / the official Python-2 files write
            raw = raw.replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
        (folder / name).write_bytes(raw)
        batches[name] = entry
    return batches


@pytest.mark.parametrize("numpy1_names", [False, True])
def test_load_cifar10_from_pickle_batches(tmp_path, numpy1_names):
    batches = _write_cifar(tmp_path / "cifar-10-batches-py", np.random.default_rng(2), numpy1_names=numpy1_names)
    ds = rd.load_cifar10(tmp_path)
    assert ds.x_train.shape == (10, 3, 32, 32) and ds.x_test.shape == (2, 3, 32, 32)
    row = batches["data_batch_2"][b"data"][1]  # sample 3 overall; rows are R plane, G plane, B plane
    for c, (mean, std) in enumerate(zip(rd.CIFAR10_MEAN, rd.CIFAR10_STD)):
        expected = (row[c * 1024:(c + 1) * 1024].reshape(32, 32) / 255.0 - mean) / std
        np.testing.assert_allclose(ds.x_train[3, c].numpy(), expected, rtol=1e-6, atol=1e-6)
    assert ds.y_train.tolist() == sum((batches[f"data_batch_{i}"][b"labels"] for i in range(1, 6)), [])


def test_missing_cifar_batch_names_it(tmp_path):
    _write_cifar(tmp_path, np.random.default_rng(0))
    (tmp_path / "data_batch_4").unlink()
    with pytest.raises(FileNotFoundError, match="data_batch_4"):
        rd.load_cifar10(tmp_path)


class _Sneaky:
    def __reduce__(self):
        return (os.getcwd, ())


@pytest.mark.parametrize(
    "payload",
    [
        lambda good: good[: len(good) // 2],  # truncated
        lambda good: pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [0, 1]}),  # wrong shape
        lambda good: pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0]}),  # label count
        lambda good: pickle.dumps([1, 2, 3]),  # not a dict
        lambda good: pickle.dumps({b"data": _Sneaky()}),  # code execution is refused
    ],
)
def test_corrupt_cifar_batch_is_a_one_line_valueerror(tmp_path, payload):
    _write_cifar(tmp_path, np.random.default_rng(0))
    target = tmp_path / "test_batch"
    target.write_bytes(payload(target.read_bytes()))
    with pytest.raises(ValueError, match="test_batch") as info:
        rd.load_cifar10(tmp_path)
    assert "\n" not in str(info.value)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted in a test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_mnist1d_is_generated_offline_and_leaves_global_rng_alone(no_network):
    np.random.seed(123)
    random.seed(7)
    before_np, before_py = np.random.get_state()[1].copy(), random.getstate()
    ds = rd.make_mnist1d()
    assert ds.x_train.shape == (4000, 40) and ds.x_test.shape == (1000, 40)
    assert ds.num_classes == 10 and set(ds.y_train.unique().tolist()) == set(range(10))
    np.testing.assert_array_equal(np.random.get_state()[1], before_np)
    assert random.getstate() == before_py
    assert torch.equal(rd.make_mnist1d().x_test, ds.x_test)  # fixed by the generator's own seed


SMALL = rd.TeacherSpec(alpha=1.6, n_train=300, n_test=50, width=32, depth=3, seed=5)


def test_teacher_is_reproducible_and_seed_dependent():
    a, b = rd.make_teacher(SMALL), rd.make_teacher(SMALL)
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_train, b.y_train)
    c = rd.make_teacher(rd.TeacherSpec(**{**SMALL.__dict__, "seed": 6}))
    assert not torch.equal(a.x_train, c.x_train)
    assert a.x_train.shape == (300, 1, 28, 28) and a.x_test.shape == (50, 1, 28, 28)
    # inputs i.i.d. N(0, 1): 235,200 draws, tolerance 1 %
    assert abs(a.x_train.mean().item()) < 0.01 and abs(a.x_train.std().item() - 1) < 0.01


def test_teacher_labels_are_the_argmax_of_the_given_network():
    rng = np.random.default_rng(0)
    layers = [rng.standard_normal((16, 784)), rng.standard_normal((16, 16)), rng.standard_normal((10, 16))]
    ds = rd.make_teacher(SMALL, teacher_weights=layers)
    x = torch.cat([ds.x_train, ds.x_test]).flatten(1).double()
    w = [torch.from_numpy(a) for a in layers]
    expected = (torch.relu(torch.relu(x @ w[0].T) @ w[1].T) @ w[2].T).argmax(1)
    assert torch.equal(torch.cat([ds.y_train, ds.y_test]), expected)
    with pytest.raises(ValueError, match="chained"):
        rd.make_teacher(SMALL, teacher_weights=[layers[0], rng.standard_normal((16, 8)), layers[2]])


def test_teacher_sampler_gets_the_hidden_shapes_and_its_scale_does_not_matter():
    calls = []

    def gaussian(alpha, shape, *, seed):
        calls.append((alpha, shape))
        return np.random.default_rng(seed).standard_normal(shape)

    base = rd.make_teacher(SMALL, teacher_weights=gaussian)
    scaled = rd.make_teacher(SMALL, teacher_weights=lambda a, s, *, seed: 1e3 * gaussian(a, s, seed=seed))
    assert calls[:3] == [(1.6, (32, 784)), (1.6, (32, 32)), (1.6, (32, 32))]
    assert torch.equal(base.y_train, scaled.y_train)  # each layer is scaled to unit Frobenius norm


def test_epoch_sampler_covers_each_epoch_and_resumes_exactly():
    sampler = rd.EpochSampler(10, 3, seed=0)
    epoch = torch.cat([sampler.next() for _ in range(3)])  # 9 of 10; the short last block is dropped
    assert len(set(epoch.tolist())) == 9
    state = sampler.state_dict()
    ahead = [sampler.next() for _ in range(7)]
    clone = rd.EpochSampler(10, 3, seed=99)
    clone.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(ahead, [clone.next() for _ in range(7)]))
    with pytest.raises(ValueError, match="batch_size"):
        rd.EpochSampler(10, 11, seed=0)


def test_load_dataset_dispatch_errors():
    with pytest.raises(ValueError, match="data_dir"):
        rd.load_dataset("mnist")
    with pytest.raises(ValueError, match="dataset"):
        rd.load_dataset("imagenet")
    with pytest.raises(ValueError, match="alpha"):
        rd.TeacherSpec(alpha=2.5)


def test_download_reports_offline_clearly(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no route to host")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(ConnectionError, match="train-images-idx3-ubyte.gz.*offline"):
        rd.download_mnist(tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial files left


def test_fetch_verifies_the_checksum(tmp_path):
    source = tmp_path / "source.bin"
    source.write_bytes(b"heavy tails" * 100)
    md5 = hashlib.md5(source.read_bytes()).hexdigest()
    target = tmp_path / "out" / "copy.bin"
    target.parent.mkdir()
    with pytest.raises(ConnectionError, match="MD5 mismatch"):
        download._fetch([source.as_uri()], target, "0" * 32, timeout=5)
    assert list(target.parent.iterdir()) == []
    download._fetch([source.as_uri()], target, md5, timeout=5)
    assert target.read_bytes() == source.read_bytes()


def test_teacher_default_hidden_weights_come_from_the_simulator():
    from sgdtails.simulator import sample_weights

    explicit = rd.make_teacher(SMALL, teacher_weights=lambda a, s, *, seed: sample_weights(a, s, seed=seed))
    assert torch.equal(rd.make_teacher(SMALL).y_train, explicit.y_train)


# ------------------------------------------------------------------------- downloads, offline
class _Response(io.BytesIO):
    """What ``urlopen`` returns: a readable context manager; ``fail_after`` bytes, then a dropped connection."""

    def __init__(self, payload: bytes, fail_after: int | None = None):
        super().__init__(payload)
        self.fail_after = fail_after

    def read(self, size=-1):
        if self.fail_after is not None and self.tell() >= self.fail_after:
            raise ConnectionResetError("connection reset by peer")
        return super().read(size if self.fail_after is None else min(size, self.fail_after - self.tell()))


def _serve(monkeypatch, files: dict[str, bytes], fail_after: int | None = None) -> list[str]:
    """Replace urlopen by one serving ``files`` by URL basename (unknown names: 404); returns the URLs asked."""
    asked = []

    def urlopen(url, timeout=None):
        asked.append(url)
        name = url.rsplit("/", 1)[-1]
        if name not in files:
            raise urllib.error.HTTPError(url, 404, "Not Found", None, None)
        return _Response(files[name], fail_after)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    return asked


def _md5s(files: dict[str, bytes]) -> dict[str, str]:
    return {name: hashlib.md5(raw).hexdigest() for name, raw in files.items()}


def _mnist_gz(rng) -> dict[str, bytes]:
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (6, 28, 28)), "train-labels-idx1-ubyte": rng.integers(0, 10, 6),
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28)), "t10k-labels-idx1-ubyte": rng.integers(0, 10, 4)}
    return {stem + ".gz": gzip.compress(_idx_bytes(a)) for stem, a in arrays.items()}


def test_download_mnist_lands_complete_files(tmp_path, monkeypatch):
    files = _mnist_gz(np.random.default_rng(0))
    monkeypatch.setattr(download, "_MNIST_FILES", {k[:-3]: v for k, v in _md5s(files).items()})
    asked = _serve(monkeypatch, files)
    assert rd.download_mnist(tmp_path / "mnist") == tmp_path / "mnist"
    assert sorted(p.name for p in (tmp_path / "mnist").iterdir()) == sorted(files)
    assert all((tmp_path / "mnist" / n).read_bytes() == raw for n, raw in files.items())
    assert all(u.startswith(rd.MNIST_MIRRORS[0]) for u in asked) and len(asked) == 4
    assert len(rd.load_mnist(tmp_path / "mnist").x_train) == 6
    asked.clear()
    rd.download_mnist(tmp_path / "mnist")  # verified files are kept, not fetched again
    assert asked == []


def test_a_dropped_transfer_leaves_no_partial_file(tmp_path, monkeypatch):
    files = _mnist_gz(np.random.default_rng(0))
    monkeypatch.setattr(download, "_MNIST_FILES", {k[:-3]: v for k, v in _md5s(files).items()})
    _serve(monkeypatch, files, fail_after=100)
    with pytest.raises(ConnectionError, match="connection reset") as info:
        rd.download_mnist(tmp_path, mirrors=("https://a.example/", "https://b.example/"))
    assert "a.example" in str(info.value) and "b.example" in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def _cifar_archive(rng) -> tuple[bytes, dict[str, bytes]]:
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        entry = {b"data": rng.integers(0, 256, (2, 3072)).astype(np.uint8), b"labels": rng.integers(0, 10, 2).tolist()}
        batches[name] = pickle.dumps(entry, protocol=2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, raw in {**batches, "readme.html": b"<html/>"}.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))
    return buf.getvalue(), batches


def test_download_cifar10_extracts_checked_batches(tmp_path, monkeypatch):
    archive, batches = _cifar_archive(np.random.default_rng(0))
    monkeypatch.setattr(download, "_CIFAR10_ARCHIVE_MD5", hashlib.md5(archive).hexdigest())
    monkeypatch.setattr(download, "_CIFAR10_FILES", _md5s(batches))
    _serve(monkeypatch, {"cifar-10-python.tar.gz": archive})
    target = rd.download_cifar10(tmp_path)
    assert target == tmp_path / "cifar-10-batches-py"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-10-batches-py", "cifar-10-python.tar.gz"]
    assert sorted(p.name for p in target.iterdir()) == sorted(batches)  # no readme: only the batches
    assert rd.load_cifar10(tmp_path).x_train.shape == (10, 3, 32, 32)


def test_a_bad_cifar10_batch_is_not_moved_into_place(tmp_path, monkeypatch):
    archive, batches = _cifar_archive(np.random.default_rng(0))
    monkeypatch.setattr(download, "_CIFAR10_ARCHIVE_MD5", hashlib.md5(archive).hexdigest())
    monkeypatch.setattr(download, "_CIFAR10_FILES", {**_md5s(batches), "test_batch": "0" * 32})
    _serve(monkeypatch, {"cifar-10-python.tar.gz": archive})
    with pytest.raises(ValueError, match="test_batch missing or MD5 mismatch"):
        rd.download_cifar10(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["cifar-10-python.tar.gz"]  # verified archive kept, nothing else


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"mirrors": ("not-a-url",)}, "mirrors: 'not-a-url' is not an http"),
    ({"mirrors": ()}, "mirrors must name"),
    ({"timeout": 0}, "timeout"),
    ({"timeout": float("nan")}, "timeout"),
])
def test_bad_download_arguments_are_refused_before_anything_is_written(tmp_path, no_network, kwargs, match):
    for fetch in (rd.download_mnist, rd.download_cifar10):
        with pytest.raises(ValueError, match=match):
            fetch(tmp_path / "new", **kwargs)
    assert not (tmp_path / "new").exists()


def test_a_mirror_without_trailing_slash_is_a_folder(tmp_path, monkeypatch):
    files = _mnist_gz(np.random.default_rng(1))
    monkeypatch.setattr(download, "_MNIST_FILES", {k[:-3]: v for k, v in _md5s(files).items()})
    asked = _serve(monkeypatch, files)
    rd.download_mnist(tmp_path, mirrors=("https://m.example/data",))
    assert asked[0] == "https://m.example/data/train-images-idx3-ubyte.gz"
