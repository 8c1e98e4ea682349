"""Exceptions as the one-line messages the library reports (runner, cell store, backends)."""
from __future__ import annotations

__all__ = ["one_line"]


def one_line(exc: BaseException, *, typed: bool = False, limit: int | None = None) -> str:
    """``str(exc)`` on one line (whitespace runs collapsed), or the exception's class name if empty.

    Parameters
    ----------
    exc : BaseException
        The exception.
    typed : bool
        Prefix the class name (``"OSError: disk full"``).
    limit : int, optional
        Longest message; a longer one is cut and ends in ``...``.
    """
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    text = (f"{name}: {text}" if typed else text) if text else name
    if limit is not None and len(text) > limit:
        text = text[:limit - 3] + "..."
    return text
