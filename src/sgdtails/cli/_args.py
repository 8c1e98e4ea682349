"""Argument types and the run-option flags shared by the command groups.

Every type parses one value and, on a bad value, raises ``argparse.ArgumentTypeError`` with the
library's own message (the checks of :mod:`sgdtails.simulator.validate`, imported only when a
value is parsed), so argparse prints the usage and one line naming the parameter, and exits 2.
Environment variables are read here and nowhere in the library: ``SGDTAILS_SCHEDULER`` is the
default Dask scheduler when neither ``--jobs`` nor ``--scheduler`` is given.
"""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

__all__ = [
    "SCHEDULER_ENV",
    "Refused",
    "add_force_flag",
    "add_run_flags",
    "alpha",
    "eps",
    "jobs",
    "kappa",
    "non_negative_int",
    "p_exponent",
    "positive_int",
    "probability",
    "refuse",
    "run_options",
    "scale",
]

SCHEDULER_ENV = "SGDTAILS_SCHEDULER"
"""Environment variable naming a Dask scheduler (address or scheduler file) for the grids."""


def bounded_int(low: int, what: str) -> Callable[[str], int]:
    """An argparse type: an int ≥ ``low`` (its error names the rule, argparse exits with 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a {what} integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be a {what} integer, got {text!r}")
        return value

    parse.__name__ = f"{what} integer"
    return parse


positive_int = bounded_int(1, "positive")
non_negative_int = bounded_int(0, "non-negative")


def _real(check_name: str, name: str) -> Callable[[str], float]:
    """An argparse type: a float accepted by ``sgdtails.simulator.validate.<check_name>``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        from sgdtails.simulator import validate

        try:
            return float(getattr(validate, check_name)(value, name))
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


alpha = _real("check_alpha", "alpha")
kappa = _real("check_kappa", "kappa")
eps = _real("check_eps", "eps")
p_exponent = _real("check_p", "p")
scale = _real("check_scale", "scale")


def probability(text: str) -> float:
    """An argparse type: a float in (0, 1)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be in (0, 1), got {value}")
    return value


class Refused(ValueError):
    """A request refused up front: its memory or time estimate is beyond this machine (exit 2)."""


def add_force_flag(parser: argparse.ArgumentParser) -> None:
    """``--force``: run a request even when its estimate (:mod:`sgdtails.simulator.budget`) is beyond the machine."""
    parser.add_argument("--force", action="store_true",
                        help="run even when the memory or time estimate is beyond this machine (refused by default)")


def refuse(args: argparse.Namespace, estimate: Any, run: Any = None) -> None:
    """Raise :class:`Refused` when ``estimate`` cannot finish here (unless ``--force``).

    ``run`` (a ``RunOptions``) says where the cells run: in this process, on ``jobs`` local
    processes (None: one per CPU), or on a Dask cluster (then only the parent's memory counts).
    """
    if getattr(args, "force", False):
        return
    from sgdtails.simulator.budget import refusal

    if run is None:
        why = refusal(estimate)
    else:  # in this process, on run.jobs local processes (None: one per CPU), or on a Dask cluster
        why = refusal(estimate, processes=1 if run.in_process else run.jobs, remote=run.scheduler is not None)
    if why is not None:
        raise Refused(f"refusing: {why} (use --force to try anyway)")


def jobs(text: str) -> int | str:
    """An argparse type: a positive int, or ``auto`` (one process per usable CPU)."""
    return "auto" if text == "auto" else positive_int(text)


def add_run_flags(parser: argparse.ArgumentParser, *, jobs_default: str, cache: str) -> None:
    """``--jobs``, ``--scheduler`` and ``--resume/--no-resume`` (the fields of ``RunOptions``)."""
    parser.add_argument("--jobs", type=jobs, default=None, metavar="N|auto",
                        help=f"local worker processes for the cells; 'auto': one per CPU (default: {jobs_default})")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help=f"Dask scheduler address or scheduler file for the cells (default: ${SCHEDULER_ENV})")
    parser.add_argument("--resume", action=argparse.BooleanOptionalAction, default=True,
                        help=f"reuse the finished cells kept in {cache} (default; --no-resume recomputes them)")


def run_options(args: argparse.Namespace, *, jobs_default: int | None, cache_dir: str | None) -> Any:
    """The ``RunOptions`` of the parsed flags (``$SGDTAILS_SCHEDULER`` when no --jobs/--scheduler)."""
    from sgdtails.simulator.run_options import RunOptions

    scheduler = args.scheduler
    if scheduler is None and args.jobs is None:
        scheduler = os.environ.get(SCHEDULER_ENV) or None
    chosen = jobs_default if args.jobs is None else None if args.jobs == "auto" else args.jobs
    progress = False if getattr(args, "quiet", False) else None  # None: a bar when stderr is a terminal
    return RunOptions(jobs=chosen, scheduler=scheduler, cache_dir=cache_dir, resume=args.resume, progress=progress)
