r"""Files every part of the library writes: atomic replacement, tidy CSV and JSON, in one place.

* :func:`write_bytes` / :func:`write_text` replace a file atomically: the data go to a temporary
  file with a unique name in the same folder, are flushed and fsync'ed, then renamed over the
  target (``os.replace``). A killed writer leaves the old file or the new one, never a torn one;
  two writers never share a temporary file. :func:`clear_temporaries` removes what a killed
  writer left behind.
* :func:`csv_text` / :func:`write_csv`: a tidy table (one dict of scalars per row) as CSV with
  ``\\n`` line ends; floats are written with ``repr`` (they round-trip exactly, so the same numbers
  give the same bytes), ``None`` as an empty field, other values as compact JSON.
* :func:`json_text` / :func:`write_json`: JSON of plain data, NumPy scalars and arrays,
  dataclasses and paths.
"""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "TMP_SUFFIX",
    "clear_temporaries",
    "columns_of",
    "csv_text",
    "format_value",
    "json_text",
    "to_jsonable",
    "open_temporary",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_text",
]

TMP_SUFFIX = ".tmp"
"""Suffix of the temporary files of :func:`write_bytes` (``<name>.<random>.tmp``)."""


def open_temporary(target: Path, suffix: str = TMP_SUFFIX) -> tuple[int, Path]:
    """A new file next to ``target`` (``<name>.<random><suffix>``) opened for writing: (descriptor, path).

    Its mode is the one a plain ``open`` would give (0o666 less the umask): ``tempfile.mkstemp`` would
    make every result 0o600, unreadable to the rest of a group sharing the output folder.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = target.with_name(f"{target.name}.{secrets.token_hex(8)}{suffix}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"{target}: no free temporary name next to it")


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Atomically replace ``path`` by ``data`` (unique temporary file, fsync, rename); return the path.

    The file gets the mode a plain ``open`` would give it (0o666 less the process umask).
    """
    target = Path(path)
    fd, tmp = open_temporary(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Atomically replace ``path`` by ``text`` (UTF-8, line ends as given)."""
    return write_bytes(path, text.encode("utf-8"))


def clear_temporaries(folder: str | os.PathLike[str]) -> None:
    """Remove the temporary files a killed writer left in ``folder`` (whole files are never touched)."""
    for tmp in Path(folder).glob("*" + TMP_SUFFIX):
        tmp.unlink(missing_ok=True)


def to_jsonable(obj: object) -> object:
    """``obj`` as plain JSON data: dataclasses and mappings → dicts, sequences → lists, NumPy → Python."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, os.PathLike):
        return os.fspath(obj)
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    return str(obj)


def json_text(obj: object, *, indent: int | None = 1, sort_keys: bool = True) -> str:
    """JSON text of ``obj`` (:func:`to_jsonable` first) with a final newline.

    Non-finite floats are written as JSON's ``NaN`` / ``Infinity`` extension, which Python's
    ``json`` reads back as floats.
    """
    return json.dumps(to_jsonable(obj), indent=indent, sort_keys=sort_keys, ensure_ascii=False) + "\n"


def write_json(
    path: str | os.PathLike[str], obj: object, *, indent: int | None = 1, sort_keys: bool = True
) -> Path:
    """Atomically write :func:`json_text` of ``obj`` to ``path``."""
    return write_text(path, json_text(obj, indent=indent, sort_keys=sort_keys))


def format_value(value: object) -> str:
    """CSV text of one value: ``repr`` for floats, ``str`` for bools/ints/str, '' for None, JSON else."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool | int | str):
        return str(value)
    return json.dumps(to_jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def columns_of(rows: Sequence[Mapping[str, object]]) -> list[str]:
    """Column names of ``rows`` in first-seen order."""
    seen: dict[str, None] = {}
    for row in rows:
        seen.update(dict.fromkeys(row))
    return list(seen)


def csv_text(rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None) -> str:
    r"""The tidy CSV of ``rows``: header, then one line per row (``\\n`` line ends, missing values empty).

    ``columns`` defaults to :func:`columns_of` ``rows``.
    """
    cols = columns_of(rows) if columns is None else list(columns)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow([format_value(row.get(c)) for c in cols])
    return buf.getvalue()


def write_csv(
    path: str | os.PathLike[str], rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None
) -> Path:
    """Atomically write :func:`csv_text` of ``rows`` to ``path``."""
    return write_text(path, csv_text(rows, columns))
