"""The ``sgdtails`` command: one argparse door, a module per command group, the library loaded lazily.

* :mod:`sgdtails.cli.simulator`: ``sample``, ``prune``, ``tail-index``;
* :mod:`sgdtails.cli.theory`: ``check …`` (one sub-command per check) and ``size``;
* :mod:`sgdtails.cli.figures`: ``figure``;
* :mod:`sgdtails.cli.realnets`: ``train``, ``analyze``, ``sweep realnets``.

Building the parser imports no engine: ``sgdtails --help`` and ``--version`` load neither Numba,
PyTorch nor Matplotlib. Each handler imports what it needs. A bad argument ends in the command's
usage and one error line naming the parameter, exit status 2 — whether argparse or the library
found it; a run whose grid has failed cells exits 1 (finished cells are kept); Ctrl-C exits 130.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sgdtails import __version__
from sgdtails.cli import figures, realnets, simulator, theory

__all__ = ["build_parser", "main"]

_GROUPS = (simulator, theory, figures, realnets)
"""Command groups, in the order ``--help`` lists their commands."""


def build_parser() -> argparse.ArgumentParser:
    """The ``sgdtails`` parser with every command group's sub-commands."""
    parser = argparse.ArgumentParser(
        prog="sgdtails",
        description="Heavy tails in SGD and compressibility (NeurIPS 2021): sample, prune, check, plot, train.",
    )
    parser.add_argument("--version", action="version", version=f"sgdtails {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for group in _GROUPS:
        group.register(sub)
    return parser


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sgdtails`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported with the usage of the sub-command they were given to, not the root's
            (getattr(args, "parser", None) or parser).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version (0) or a bad argument (2)
        return exc.code if isinstance(exc.code, int) else 2
    handler = getattr(args, "handler", None)
    if handler is None:
        (getattr(args, "parser", None) or parser).print_help(sys.stderr)
        return 2
    command = args.parser
    try:
        return int(handler(args) or 0)
    except (ValueError, OSError) as exc:  # bad input found by the library, missing or unreadable files
        command.print_usage(sys.stderr)
        print(f"{command.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command.prog}: interrupted; finished work is kept", file=sys.stderr)
        return 130
