"""What a sweep (:mod:`sgdtails.simulator.sweep`) stores about a cell: hashes, canonical configs, rows.

A cell's hash (:func:`cell_hash`) names its record in the study's cell store
(:mod:`sgdtails.simulator._cell_store`); :func:`normalize_rows` turns what a cell function returned
into rows of plain scalars, :func:`rows_json` into the canonical JSON that is stored and
checksummed, and :func:`check_rows` is the shape every stored record must have to be reused.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

__all__ = [
    "canonical_config",
    "canonical_json",
    "cell_hash",
    "check_rows",
    "flatten_config",
    "normalize_rows",
    "rows_json",
]

_SCALARS = (bool, int, float, str, type(None))


def _scalar(value: object, where: str) -> object:
    """A plain Python scalar (NumPy scalars and 0-d arrays unwrapped), else ``TypeError``."""
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        value = value.item()
    if isinstance(value, float) and type(value) is not float:
        value = float(value)
    if not isinstance(value, _SCALARS):
        raise TypeError(f"{where} must be a scalar (bool, int, float, str or None), got {type(value).__name__}")
    return value


def canonical_config(config: object, where: str = "config") -> object:
    """The JSON-ready content of a config: dataclass → dict of fields; mappings, sequences, scalars."""
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        config = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    if isinstance(config, Mapping):
        out = {}
        for key, value in config.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} keys must be str, got {key!r}")
            out[key] = canonical_config(value, f"{where}.{key}")
        return out
    if isinstance(config, (list, tuple)):
        return [canonical_config(v, f"{where}[{i}]") for i, v in enumerate(config)]
    return _scalar(config, where)


def _dumps(obj: object) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_json(config: object) -> str:
    """The canonical JSON text of a config (sorted keys, compact, ASCII): what its record must say."""
    return _dumps(canonical_config(config))


def cell_hash(config: object, *, func: str, version: str, package: str, seed: int, index: int) -> str:
    """sha256 of the canonical JSON of everything a cell's result depends on.

    That is the config's fields, the study ``version``, the cell function's qualified name, the
    sgdtails ``package`` version, and — because the cell's random stream is
    ``cell_seed(seed, index)`` — the study seed and the cell's grid position.
    """
    key = {
        "config": canonical_config(config),
        "func": func,
        "version": version,
        "sgdtails": package,
        "seed": seed,
        "cell": index,
    }
    return hashlib.sha256(_dumps(key).encode("ascii")).hexdigest()


def flatten_config(config: object) -> dict[str, object]:
    """Config fields as row columns, unprefixed; nested dataclasses/mappings become ``outer.inner``."""
    flat: dict[str, object] = {}

    def walk(value: object, prefix: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, f"{prefix}{k}" if not prefix else f"{prefix}.{k}")
        else:
            flat[prefix] = value

    canon = canonical_config(config)
    if not isinstance(canon, dict):
        raise TypeError(f"a config must be a dataclass instance or a mapping, got {type(config).__name__}")
    walk(canon, "")
    return flat


def normalize_rows(record: object, reserved: Iterable[str]) -> list[dict[str, object]]:
    """A cell's return value (one dict, or a non-empty list of dicts) as a list of rows of plain scalars."""
    rows = [record] if isinstance(record, Mapping) else record
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, Mapping) for r in rows):
        raise TypeError(f"a cell must return a dict or a list of dicts, got {type(record).__name__}")
    if not rows:
        raise TypeError("a cell must return a dict or a non-empty list of dicts, got an empty list "
                        "(a cell without rows would vanish from the CSV)")
    taken = set(reserved)
    out = []
    for row in rows:
        clean = {}
        for key, value in row.items():
            if not isinstance(key, str):
                raise TypeError(f"record keys must be str, got {key!r}")
            if key in taken:
                raise ValueError(f"record field {key!r} clashes with a config field or 'cell'")
            clean[key] = _scalar(value, f"record field {key!r}")
        out.append(clean)
    return out


def rows_json(rows: Sequence[Mapping[str, object]]) -> str:
    """The canonical JSON of a cell's rows: compact, keys in the cell's order (it orders the CSV columns).

    Floats round-trip exactly (``repr``), non-finite ones as ``NaN``/``Infinity``, so the rows
    read back give the same CSV bytes.
    """
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False, allow_nan=True)


def check_rows(rows: object, reserved: Collection[str], columns: Collection[str] | None = None) -> str | None:
    """Why ``rows`` (read back from a record) cannot be a cell's rows, or None when they can.

    They must be a non-empty list of dicts of scalars (bool, int, float, str, None) keyed by str,
    none of whose keys is ``reserved`` (the config's fields and ``cell``), each holding every field
    of ``columns`` when given.
    """
    if not isinstance(rows, list) or not rows:
        return "its rows are not a non-empty list" if isinstance(rows, list) else "its rows are not a list"
    for j, row in enumerate(rows):
        if not isinstance(row, dict):
            return f"its row {j} is not a dict but {type(row).__name__}"
        for key, value in row.items():
            if not isinstance(key, str):
                return f"its row {j} has a non-str key {key!r}"
            if key in reserved:
                return f"its row {j} has the reserved field {key!r} (a config field or 'cell')"
            if not isinstance(value, _SCALARS):
                return f"its row {j} field {key!r} is not a scalar but {type(value).__name__}"
        if columns is not None:
            missing = [c for c in columns if c not in row]
            if missing:
                return f"its row {j} lacks the field {missing[0]!r}"
    return None

