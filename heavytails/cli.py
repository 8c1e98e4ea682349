"""The ``heavytails`` command: argparse subcommands, each a thin layer over a library function.

Every package that offers commands has a ``cli`` module with ``register(subparsers)``; each
subcommand sets ``func(args) -> int``. Bad input (a ``ValueError``, or an ``OSError`` such as a missing file or a failed download) is printed
as one line on stderr and the exit code is 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from heavytails import __version__

__all__ = ["build_parser", "main"]

# Packages whose ``cli.register`` adds subcommands, in the order shown by ``--help``.
_COMMAND_MODULES = ("simulator.cli", "theory.cli", "figures.cli", "realnets.cli", "realnets.sweep_cli")


def build_parser() -> argparse.ArgumentParser:
    """Assemble the parser from every package's ``cli.register``."""
    parser = argparse.ArgumentParser(
        prog="heavytails",
        description="Heavy tails in SGD and compressibility (NeurIPS 2021): sample, prune, check, plot.",
    )
    parser.add_argument("--version", action="version", version=f"heavytails {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # a real missing dependency, not an absent command module
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``heavytails`` console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except (ValueError, OSError) as exc:  # OSError: missing/unreadable files, offline downloads
        print(f"heavytails {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"heavytails {args.command}: interrupted; finished work is kept", file=sys.stderr)
        return 130
