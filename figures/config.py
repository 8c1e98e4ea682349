"""A figure's config from the command line: ``--set key=value``, ``--config FILE.toml``, and back to TOML.

Every figure's config is a frozen dataclass whose ``__post_init__`` checks its values. Here a
field is given as text (``--set eps=0.05``: a scalar; ``--set alphas=1.2,1.5``: a tuple, comma
separated; the pruning study's ``prunings=magnitude:layer,singular:layer``: pairs joined by ``:``)
or as a TOML value (``eps = 0.05``, ``alphas = [1.2, 1.5]``, ``prunings = [["magnitude", "layer"]]``),
converted to the field's declared type and checked by the dataclass. An unknown key or a value
that does not convert or does not pass the check raises one ``ValueError`` naming the key, the
value and the rule (the command line prints it as one line and exits with 2).

:func:`config_toml` writes a config as TOML that :func:`read_config_file` reads back to the
same config, so the ``<name>.toml`` written beside a figure's outputs reproduces it
(``sgdtails figure s1 --config OUT/figure_s1.toml``).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10: the same parser, as the tomli package
    import tomli as tomllib

__all__ = ["apply_overrides", "config_toml", "parse_sets", "read_config_file"]

C = TypeVar("C")


def _fields(config: object) -> dict[str, Any]:
    """Field name → declared type of a config dataclass (instance)."""
    if not dataclasses.is_dataclass(config) or isinstance(config, type):
        raise TypeError(f"a figure config is a dataclass instance, got {type(config).__name__}")
    hints = typing.get_type_hints(type(config))
    return {f.name: hints[f.name] for f in dataclasses.fields(config)}


def parse_sets(items: Sequence[str]) -> dict[str, str]:
    """``["eps=0.05", "size=1000"]`` → ``{"eps": "0.05", "size": "1000"}`` (later keys win)."""
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set takes key=value, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def read_config_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The key/value pairs of a TOML config file (one flat table of the config's fields)."""
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"config file not found: {file}")
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"config file {file} is not valid TOML: {exc}") from None
    nested = [k for k, v in data.items() if isinstance(v, dict)]
    if nested:
        raise ValueError(f"config file {file}: the keys are the config's fields, with no [tables] (found {nested})")
    return data


def _convert(value: Any, kind: Any, key: str) -> Any:
    """``value`` (text from --set, or a TOML value) as the declared type ``kind``."""
    origin = typing.get_origin(kind)
    if origin is tuple:
        args = typing.get_args(kind)
        if isinstance(value, str):
            parts: list[Any] = [p.strip() for p in value.split(",") if p.strip()] if value.strip() else []
        elif isinstance(value, list | tuple):
            parts = list(value)
        else:
            raise ValueError(f"{key} takes a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(p, args[0], key) for p in parts)
        if len(parts) != len(args):
            raise ValueError(f"{key} takes {len(args)} values, got {len(parts)} ({value!r})")
        return tuple(_convert(p, a, key) for p, a in zip(parts, args))
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ValueError(f"{key} takes true or false, got {value!r}")
    if kind is int or kind is float:
        name = "an integer" if kind is int else "a number"
        accepted = (int,) if kind is int else (int, float)
        if isinstance(value, accepted) and not isinstance(value, bool):
            return kind(value)
        if isinstance(value, str):
            try:
                return kind(value)
            except ValueError:
                pass
        raise ValueError(f"{key} takes {name}, got {value!r}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"{key} takes a string, got {value!r}")
    raise TypeError(f"{key}: fields of type {kind!r} cannot be set from text")


def _pairs_text(value: str) -> list[list[str]]:
    """``"magnitude:layer,singular:layer"`` → ``[["magnitude", "layer"], ["singular", "layer"]]``."""
    out = []
    for part in value.split(","):
        if part.strip():
            out.append([x.strip() for x in part.split(":")])
    return out


def apply_overrides(config: C, values: Mapping[str, Any], *, what: str = "the figure") -> C:
    """``config`` with ``values`` (text or TOML values) put into its fields, checked by the dataclass.

    Raises
    ------
    ValueError
        One line: an unknown key (with the known ones), a value of the wrong type, or the
        dataclass' own check of the new config.
    """
    fields = _fields(config)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(f"unknown config key{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for {what}; "
                         f"known: {', '.join(fields)}")
    changes = {}
    for key, value in values.items():
        kind = fields[key]
        args = typing.get_args(kind)
        if (isinstance(value, str) and typing.get_origin(kind) is tuple and args and args[-1] is Ellipsis
                and typing.get_origin(args[0]) is tuple):
            value = _pairs_text(value)
        changes[key] = _convert(value, kind, key)
    try:
        return dataclasses.replace(config, **changes)  # type: ignore[type-var]
    except (ValueError, TypeError) as exc:
        raise ValueError(f"bad config for {what}: {exc}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string: JSON's escapes are TOML's
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def config_toml(config: object, *, header: str = "") -> str:
    """The config as a flat TOML table (comment ``header`` first); :func:`read_config_file` reads it back."""
    lines = [f"# {line}" for line in header.splitlines()] if header else []
    for key in _fields(config):
        lines.append(f"{key} = {_toml_value(getattr(config, key))}")
    return "\n".join(lines) + "\n"
