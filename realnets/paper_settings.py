"""The authors' 215 training settings (paper Section 5, Table 2), shipped as package data.

``paper_experiment_settings.csv`` (next to this module) lists every network the authors trained,
one row each: ``batch_size``, ``learning_rate`` (η), ``width``, ``dataset`` (``MNIST`` | ``CIFAR10``),
``model`` (``FCN`` | ``VGG11`` | ``VGG11_BW``) and ``depth`` (hidden layers of an FCN; empty for the
CNNs). Read here as the project's names:

* ``FCN`` of depth 4 / 6 → ``fcn4`` / ``fcn6`` (``width`` 2048);
* ``VGG11`` (the CIFAR10 rows) and ``VGG11_BW`` (the MNIST rows: the same network on one input
  channel) → ``cnn``;
* ``MNIST`` / ``CIFAR10`` → ``mnist`` / ``cifar10``;
* η rounded to 6 significant digits (the file carries float noise such as 0.19399999999999998).

Counts: FCN4 MNIST 52, FCN4 CIFAR10 48 (one of them at b = 10), FCN6 MNIST 36, FCN6 CIFAR10 31, CNN
MNIST 30, CNN CIFAR10 18; every row is a distinct setting. :func:`read_settings` checks each row
and names the first bad one.
"""
from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass
from importlib import resources

__all__ = ["SETTINGS_FILE", "PaperSetting", "read_settings"]

SETTINGS_FILE = "paper_experiment_settings.csv"
_COLUMNS = ("batch_size", "learning_rate", "width", "dataset", "model", "depth")
_DATASETS = {"MNIST": "mnist", "CIFAR10": "cifar10"}
_CNNS = {"VGG11": "cifar10", "VGG11_BW": "mnist"}
_FCN_DEPTHS = {4: "fcn4", 6: "fcn6"}


@dataclass(frozen=True)
class PaperSetting:
    """One of the authors' runs, in the project's names (module docstring)."""

    model: str
    dataset: str
    lr: float
    batch_size: int
    width: int | None


def _number(text: str, what: str, where: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {what} must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {what} must be a positive number, got {text!r}")
    return value


def _whole(text: str, what: str, where: str) -> int:
    value = _number(text, what, where)
    if value != int(value):
        raise ValueError(f"{where}: {what} must be a whole number, got {text!r}")
    return int(value)


def _setting(row: dict[str, str], where: str) -> PaperSetting:
    model, dataset = row["model"].strip(), row["dataset"].strip()
    if dataset not in _DATASETS:
        raise ValueError(f"{where}: dataset must be one of {tuple(_DATASETS)}, got {dataset!r}")
    lr = float(f"{_number(row['learning_rate'], 'learning_rate', where):.6g}")
    batch = _whole(row["batch_size"], "batch_size", where)
    if model == "FCN":
        depth = _whole(row["depth"], "depth", where)
        if depth not in _FCN_DEPTHS:
            raise ValueError(f"{where}: an FCN has depth 4 or 6, got {row['depth']!r}")
        return PaperSetting(_FCN_DEPTHS[depth], _DATASETS[dataset], lr, batch, _whole(row["width"], "width", where))
    if model in _CNNS:
        if _CNNS[model] != _DATASETS[dataset]:
            raise ValueError(f"{where}: {model} is the {_CNNS[model].upper()} network, got dataset {dataset!r}")
        return PaperSetting("cnn", _DATASETS[dataset], lr, batch, None)
    raise ValueError(f"{where}: model must be FCN, VGG11 or VGG11_BW, got {model!r}")


def read_settings(path: str | os.PathLike[str] | None = None) -> tuple[PaperSetting, ...]:
    """The settings of the CSV at ``path`` (default: the authors' file shipped with sgdtails), in file order.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        Missing columns, a bad value (the message names the line), or two rows with one setting.
    """
    if path is None:
        text = resources.files("sgdtails.realnets").joinpath(SETTINGS_FILE).read_text(encoding="utf-8")
        name = SETTINGS_FILE
    else:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{os.fspath(path)}: no such settings file")
        with open(path, encoding="utf-8", newline="") as fh:
            text = fh.read()
        name = os.fspath(path)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in _COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)} (needs {', '.join(_COLUMNS)})")
    settings: list[PaperSetting] = []
    seen: dict[PaperSetting, int] = {}
    for line, row in enumerate(reader, start=2):
        where = f"{name} line {line}"
        setting = _setting(row, where)
        if setting in seen:
            raise ValueError(f"{where}: the same setting as line {seen[setting]}")
        seen[setting] = line
        settings.append(setting)
    if not settings:
        raise ValueError(f"{name}: no settings")
    return tuple(settings)
