"""The ``sgdtails`` command: one argparse door, a module per command group, the library loaded lazily.

* :mod:`sgdtails.cli.simulator`: ``sample``, ``prune``, ``tail-index``;
* :mod:`sgdtails.cli.theory`: ``check …`` (one sub-command per check) and ``size``;
* :mod:`sgdtails.cli.figures`: ``figure``;
* :mod:`sgdtails.cli.realnets`: ``train``, ``analyze``, ``sweep realnets``.

Building the parser imports no engine: ``sgdtails --help`` and ``--version`` load neither Numba,
PyTorch nor Matplotlib. Each handler imports what it needs. A bad argument ends in the command's
usage and one error line naming the parameter, exit status 2 — whether argparse or the library
found it, or the file given is missing, empty or damaged; a request whose memory or time estimate is
beyond this machine is refused up front in one line, exit 2, unless ``--force``
(:mod:`sgdtails.simulator.budget`). A run whose grid has failed cells, or whose Dask backend was
lost (``BackendLost``), exits 1 with one line (finished cells are kept), as does running out of
memory; Ctrl-C exits 130. Warnings the library issues (a discarded store record, …) print as one
line ``sgdtails X: warning: …``. Anything else is a bug: one line ``internal error … (report it;
SGDTAILS_DEBUG=1 shows the traceback)``, exit 1.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterator, Sequence

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
    for leaf in _leaves(parser):
        _add_verbosity(leaf)
    return parser


def _leaves(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """The parsers of the runnable commands (those without sub-commands of their own)."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        yield parser
        return
    for action in subs:
        for child in dict.fromkeys(action.choices.values()):
            yield from _leaves(child)


def _add_verbosity(parser: argparse.ArgumentParser) -> None:
    """``-q/--quiet`` (no progress bars) and ``-v/--verbose`` (a log of what is computed), on stderr only."""
    group = parser.add_argument_group("output on the terminal (never changes a written byte)")
    group.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    group.add_argument("-v", "--verbose", action="store_true", help="log what is being computed (stderr)")


@contextlib.contextmanager
def _verbosity(args: argparse.Namespace) -> Iterator[None]:
    """Inside: with ``-v`` the library's log (logger ``sgdtails``, level INFO) goes to stderr."""
    if not getattr(args, "verbose", False):
        yield
        return
    import logging

    logger = logging.getLogger("sgdtails")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("sgdtails: %(asctime)s %(message)s", datefmt="%H:%M:%S"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


DEBUG_ENV = "SGDTAILS_DEBUG"
"""Set to 1 to let an unexpected exception show its traceback instead of the one-line internal error."""


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


@contextlib.contextmanager
def _one_line_warnings(prog: str) -> Iterator[None]:
    """Inside: every warning shown prints as one line ``PROG: warning: …`` on stderr (restored after)."""
    previous = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ARG001 — showwarning's signature
        text = " ".join(str(message).split())
        if not issubclass(category, UserWarning) or category is UserWarning:
            text = f"{category.__name__}: {text}"
        print(f"{prog}: warning: {text}", file=sys.stderr if file is None else file)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def _backend_lost(exc: BaseException) -> bool:
    """Whether ``exc`` is ``sgdtails.simulator.sweep.BackendLost`` (never imports the runner)."""
    module = sys.modules.get("sgdtails.simulator._sweep_backends")
    lost = getattr(module, "BackendLost", None)
    return isinstance(lost, type) and isinstance(exc, lost)


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
    with _one_line_warnings(command.prog), _verbosity(args):
        return _call(handler, args, command)


def _call(handler, args: argparse.Namespace, command: argparse.ArgumentParser) -> int:
    from sgdtails.cli._args import Refused

    try:
        return int(handler(args) or 0)
    except Refused as exc:  # beyond this machine: the estimate, no usage (the arguments are well formed)
        print(f"{command.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:  # bad input found by the library, missing or unreadable files
        command.print_usage(sys.stderr)
        print(f"{command.prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{command.prog}: interrupted; finished work is kept", file=sys.stderr)
        return 130
    except MemoryError as exc:
        print(f"{command.prog}: out of memory ({_one_line(exc)}); finished work is kept", file=sys.stderr)
        return 1
    except RuntimeError as exc:
        if not _backend_lost(exc):
            return _internal(exc, command)
        print(f"{command.prog}: {_one_line(exc)}", file=sys.stderr)  # one line; finished cells are kept
        return 1
    except Exception as exc:  # a bug: one line, unless SGDTAILS_DEBUG=1 asks for the traceback
        return _internal(exc, command)


def _internal(exc: BaseException, command: argparse.ArgumentParser) -> int:
    if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
        raise exc
    print(f"{command.prog}: internal error: {type(exc).__name__}: {_one_line(exc)} "
          f"(report it; {DEBUG_ENV}=1 shows the traceback)", file=sys.stderr)
    return 1
