"""On-disk state of a sweep (:mod:`sgdtails.simulator.sweep`): cell hashes, record files, the tidy CSV.

Layout under ``out_dir/<name>/``: ``cells/<hash>.json`` (one finished cell), ``failed/<hash>.json``
(one failed cell, removed once it succeeds), ``<name>.csv`` and ``manifest.json``. Every file is
written atomically (:mod:`sgdtails.simulator.records`), so a killed runner leaves whole files or none.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from sgdtails.simulator.records import write_json

__all__ = [
    "RecordWriter",
    "canonical_config",
    "cell_hash",
    "flatten_config",
    "normalize_rows",
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
    """A cell's return value (one dict, or a list of dicts) as a list of rows of plain scalars."""
    rows = [record] if isinstance(record, Mapping) else record
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, Mapping) for r in rows):
        raise TypeError(f"a cell must return a dict or a list of dicts, got {type(record).__name__}")
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


class RecordWriter:
    """Atomic JSON writes on a few threads (one fsync costs ~ms; concurrent fsyncs overlap).

    At most ``max_pending`` writes wait at a time (``submit`` blocks beyond); the first failed
    write is re-raised by the next ``submit`` or by ``close``.
    """

    def __init__(self, threads: int = 4, max_pending: int = 512) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="sweep-writer")
        self._slots = threading.BoundedSemaphore(max_pending)
        self._errors: list[BaseException] = []

    def _done(self, fut: Future) -> None:
        self._slots.release()
        error = fut.exception()
        if error is not None:
            self._errors.append(error)

    def submit(self, path: Path, obj: object, *, remove: Path | None = None) -> None:
        """Write ``obj`` to ``path``; then delete ``remove`` (a stale failure file) if given."""

        def job() -> None:
            write_json(path, obj, indent=None, sort_keys=False)
            if remove is not None:
                remove.unlink(missing_ok=True)

        if self._errors:
            raise self._errors[0]
        self._slots.acquire()
        self._pool.submit(job).add_done_callback(self._done)

    def close(self) -> None:
        """Wait for every write; re-raise the first error."""
        self._pool.shutdown(wait=True)
        if self._errors:
            raise self._errors[0]
