"""Layout helpers shared by the figure modules: readable log ticks, a legend below the panels, wrapped titles.

Private to :mod:`sgdtails.figures` (the names are public inside it): every figure module builds on
:mod:`sgdtails.figures._common` for the style and on these for the layout of legends, notes and log axes.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.ticker import FuncFormatter, NullFormatter

from sgdtails.figures._common import MIN_FONT_PT, WIDTHS, note_too_little_data

__all__ = ["LOG_SUBS", "finish", "fit_bottom", "fit_log_ticks", "is_narrow", "legend_at_bottom", "log_ticks", "wrap_note",
           "wrap_to_width"]


LOG_SUBS = ((1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0), (1.0, 2.0, 5.0), (1.0, 3.0), (1.0,))
"""Labelled mantissas of a log axis, densest first: :func:`log_ticks` starts by the span, then thins."""


def log_ticks(axis: Any, lo: float, hi: float, level: int | None = None) -> int:
    """Readable log ticks on ``axis`` whose data span [lo, hi]: several labelled ticks, one notation.

    Over two decades or more: labelled decades (every k-th decade when they are many); over less,
    labelled 1, 2, 5 × 10^k, so an axis never carries a single labelled tick. The labels are 10^k or
    m × 10^k in mathtext (:class:`~matplotlib.ticker.LogFormatterSciNotation`). Under a factor 2.5
    (a degenerate grid) every integer × 10^k is labelled, in plain numbers (8, 9, 10), which stay
    apart where m × 10^k would collide. ``level`` (an index of :data:`LOG_SUBS`) forces sparser
    labels, which :func:`fit_log_ticks` uses where labels would touch. Returns the level used.
    """
    from matplotlib.ticker import LogFormatterSciNotation, LogLocator

    lo, hi = float(lo), float(hi)
    span = math.log10(hi / lo) if lo > 0 and hi > lo else 0.0
    if level is None:
        level = 3 if span >= 2.0 else 1 if span >= math.log10(2.5) else 0
    axis.set_major_locator(LogLocator(base=10, subs=LOG_SUBS[level], numticks=7))
    if level == 0:
        axis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}"))
    else:
        axis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False, minor_thresholds=(math.inf, math.inf)))
    axis.set_minor_locator(LogLocator(base=10, subs=tuple(float(k) for k in range(2, 10)), numticks=12))
    axis.set_minor_formatter(NullFormatter())
    return level


def fit_log_ticks(fig: Figure, axes: list[Any]) -> None:
    """Thin the labels of every log axis of ``axes`` whose tick labels touch (up to 3 passes).

    A thinner level is taken only while it still leaves two labelled ticks in view.
    """
    levels: dict[Any, int] = {}
    for _ in range(3):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
        changed = False
        for ax in axes:
            for axis in (ax.xaxis, ax.yaxis):
                if axis.get_scale() != "log":
                    continue
                vlo, vhi = sorted(axis.get_view_interval())
                boxes = [t.get_window_extent(renderer) for t, loc in zip(axis.get_ticklabels(), axis.get_ticklocs())
                         if t.get_text() and vlo <= loc <= vhi]
                touch = any(a.x0 < b.x1 + 1 and b.x0 < a.x1 + 1 and a.y0 < b.y1 + 1 and b.y0 < a.y1 + 1
                            for i, a in enumerate(boxes) for b in boxes[i + 1:])
                if not touch:
                    continue
                level = levels[axis] if axis in levels else log_ticks(axis, vlo, vhi)
                if level + 1 >= len(LOG_SUBS):
                    continue
                log_ticks(axis, vlo, vhi, level + 1)
                n = sum(vlo <= loc <= vhi for loc in axis.get_major_locator().tick_values(vlo, vhi))
                if n < 2:
                    log_ticks(axis, vlo, vhi, level)
                    continue
                levels[axis] = level + 1
                changed = True
        if not changed:
            return


def legend_at_bottom(fig: Figure, entries: list[tuple[Any, str]], ncol: int) -> Any:
    """The figure legend, below the panels (outside the data); :func:`fit_bottom` reserves its room."""
    legend = fig.legend(*zip(*entries), loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, frameon=False,
                        columnspacing=1.2, borderaxespad=0.0)
    legend.set_in_layout(False)
    return legend


def wrap_to_width(fig: Figure, text: Any, frac: float = 0.97) -> int:
    """Break ``text`` (a Text artist) at spaces into lines of at most ``frac`` × the figure's width; returns the line count."""
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    room = frac * fig.get_figwidth() * fig.dpi
    lines: list[str] = []
    for part in text.get_text().split("\n"):
        line = ""
        for word in part.split(" "):
            trial = f"{line} {word}" if line else word
            text.set_text(trial)
            if line and text.get_window_extent(renderer).width > room:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    text.set_text("\n".join(lines))
    return len(lines)


def wrap_note(fig: Figure) -> int:
    """Break the too-little-data note into lines that fit the figure's width; returns its line count (0: none)."""
    notes = [t for t in fig.texts if t.get_text().startswith("too little data")]
    return wrap_to_width(fig, notes[-1]) if notes else 0


def fit_bottom(fig: Figure, legend: Any | None) -> None:
    """Reserve the bottom of the figure for its legend (if any) and, under it, the too-little-data note.

    The figure grows by the legend's height (and the note's lines); the layout keeps above them.
    """
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]  # sizes of texts and legends need no layout
    lines = wrap_note(fig)
    if legend is None and not lines:
        return
    note_in = (lines * 1.25 * MIN_FONT_PT + 4.0) / 72.0 if lines else 0.04
    need = (legend.get_window_extent(renderer).height / fig.dpi + 0.06 if legend is not None else 0.0) + note_in
    height = fig.get_figheight() + need
    fig.set_figheight(height)
    if legend is not None:
        legend.set_bbox_to_anchor((0.5, note_in / height), transform=fig.transFigure)
    engine = fig.get_layout_engine()
    if isinstance(engine, ConstrainedLayoutEngine):
        engine.set(rect=(0.0, need / height, 1.0, 1.0 - need / height))


def is_narrow(width: str | float) -> bool:
    """Whether ``width`` (a paper width name or inches) is under 5 in: the single-column layouts."""
    return (WIDTHS[width] if isinstance(width, str) and width in WIDTHS else float(width)) < 5.0


def finish(fig: Figure, axes: list[Any], entries: list[tuple[Any, str]] | None = None, *, ncol: int = 3,
            notes: Sequence[str] = ()) -> Figure:
    """Too-little-data note (warning and text), the figure legend below the panels, readable log ticks.

    A title wider than the figure is broken into lines.
    """
    if notes:
        note_too_little_data(fig, "; ".join(notes))
    if fig.get_suptitle():
        wrap_to_width(fig, fig.suptitle(fig.get_suptitle()))  # suptitle() returns the title's Text
    legend = legend_at_bottom(fig, entries, ncol) if entries else None
    fit_bottom(fig, legend)
    fit_log_ticks(fig, axes)
    return fig
