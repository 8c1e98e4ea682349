"""Compute, plot and write one figure: the library side of ``sgdtails figure``.

Each figure module offers ``config_for_scale(scale, seed)``, ``compute(config, …) -> table`` and
``plot(table, width=…) -> Figure``. :func:`run_figure` picks the config (the scale's, then a TOML
file, then single overrides: :mod:`sgdtails.figures.config`), times the computation and writes into
the output folder

* ``<name>.pdf`` / ``<name>.png`` (``formats``; ``dpi`` for the raster ones),
* ``<name>.csv`` (the tidy table, byte-identical for the same config),
* ``<name>.toml`` (the config used: ``--config`` reads it back to the same figure),
* ``<name>.json`` (config, seed, provenance — package versions, git commit, command line —, this
  invocation's wall time and the total compute time across resumed invocations).

The sweeps (Figure S1, the pruning study) keep every finished cell under ``OUT/<study>/cells.sqlite``
unless ``run.cache_dir`` says otherwise, so an interrupted run resumes without recomputing them; the
same seed reproduces every CSV byte for byte whatever the backend. :func:`run_realnets_figures`
draws the real-network figures (1–7, S2, S3 and trained-vs-synthetic) from trained runs.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from sgdtails.figures._common import FORMATS, WIDTHS, Table, text_overlaps, write_outputs
from sgdtails.figures.config import apply_overrides, config_toml, read_config_file
from sgdtails.figures.vocabulary import FIGURES, SCALES
from sgdtails.simulator.records import write_text
from sgdtails.simulator.run_options import RunOptions
from sgdtails.simulator.validate import check_choice, check_int

__all__ = ["DEFAULT_OUT", "default_out_dir", "figure_config", "output_folder", "output_name", "run_figure",
           "run_realnets_figures"]

DEFAULT_OUT = "sgdtails-figures"
"""Default output root, in the working directory: figure F goes to ``sgdtails-figures/F/``."""

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Spec:
    module: ModuleType
    sweep: bool  # computed through the sweep runner (cells cached, resumable)
    extra: Callable[[Table], object] | None = None


def _spec(figure: str) -> _Spec:
    """The module of ``figure`` (imported now) and how it is computed."""
    check_choice(figure, "figure", FIGURES)
    if figure == "s1":
        from sgdtails.figures import figure_s1

        return _Spec(figure_s1, True, lambda t: {"trends": figure_s1.summary(t), "contrasts": figure_s1.contrasts(t)})
    if figure == "pruning-study":
        from sgdtails.figures import pruning_study

        return _Spec(pruning_study, True, pruning_study.trend)
    if figure == "s4":
        from sgdtails.figures import figure_s4

        return _Spec(figure_s4, False)
    if figure == "s5":
        from sgdtails.figures import figure_s5

        return _Spec(figure_s5, False, lambda t: {f"top_{f:g}": figure_s5.top_share(t, f) for f in (0.001, 0.01, 0.1)})
    from sgdtails.figures import convergence

    return _Spec(convergence, False)


def output_name(figure: str, scale: str) -> str:
    """Base name of the outputs: the module's, plus ``_cpu`` for the reduced pruning study."""
    base = _spec(figure).module.NAME
    return f"{base}_cpu" if figure == "pruning-study" and scale == "cpu" else base


def default_out_dir(figure: str) -> Path:
    """``./sgdtails-figures/<figure>/``: where a figure goes when no output folder is named."""
    return Path(DEFAULT_OUT) / figure


def output_folder(out: str | os.PathLike[str] | None, figure: str) -> Path:
    """``out`` (or :func:`default_out_dir` of ``figure`` when None), created if missing; refused if a file."""
    folder = Path(out) if out is not None else default_out_dir(figure)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"output folder is a file: {folder}")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def figure_config(
    figure: str,
    *,
    scale: str = "cpu",
    seed: int = 0,
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Any:
    """The config of a figure: the scale's (with ``seed``), then ``config_file``'s keys, then ``overrides``.

    Values may be text (``"0.05"``, ``"1.2,1.5"``) or typed; an unknown key or a bad value raises
    one ``ValueError`` (:func:`sgdtails.figures.config.apply_overrides`).
    """
    spec = _spec(figure)
    check_choice(scale, "scale", SCALES)
    check_int(seed, "seed", low=0)
    config = spec.module.config_for_scale(scale, seed)
    what = f"figure {figure}"
    if config_file is not None:
        config = apply_overrides(config, read_config_file(config_file), what=f"{what} (from {config_file})")
    if overrides:
        config = apply_overrides(config, overrides, what=what)
    return config


def run_figure(
    figure: str,
    out: str | os.PathLike[str] | None = None,
    *,
    scale: str = "cpu",
    seed: int = 0,
    config_file: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    formats: Sequence[str] = ("pdf", "png"),
    dpi: int = 300,
    width: str = "double",
    run: RunOptions = RunOptions(),
) -> dict[str, Path]:
    """Compute, plot and write one figure into ``out``; return the written paths by suffix.

    Parameters
    ----------
    figure : {"s1", "pruning-study", "s4", "s5", "convergence"}
    out : path or None
        The output folder, created if missing; None: :func:`default_out_dir` (``./sgdtails-figures/<figure>/``).
    scale : {"cpu", "paper"}
    seed : int
        Figure seed.
    config_file, overrides
        A TOML file of config fields and single field values, applied in that order
        (:func:`figure_config`).
    formats : sequence of {"pdf", "png", "svg"}
        Image formats written (PDF for papers, PNG for screens).
    dpi : int
        Resolution of the PNG (PDF and SVG are vector).
    width : {"single", "double"}
        One column (3.5 in) or the full width (7 in) of a two-column paper.
    run : RunOptions
        Where the cells of the sweeps run; their records go to ``run.cache_dir`` (default: ``out``);
        ``run.resume=False`` recomputes them. ``run.progress`` shows the progress bars.
    """
    spec = _spec(figure)
    config = figure_config(figure, scale=scale, seed=seed, config_file=config_file, overrides=overrides)
    fmts = tuple(dict.fromkeys(formats))
    if not fmts or any(f not in FORMATS for f in fmts):
        raise ValueError(f"formats must be among {', '.join(FORMATS)}, got {', '.join(formats) or 'none'}")
    check_int(dpi, "dpi", low=50, high=1200)
    if width not in WIDTHS:
        raise ValueError(f"width must be one of {', '.join(WIDTHS)}, got {width!r}")
    folder = output_folder(out, figure)
    _log.info("figure %s: config %s", figure, config)
    start = time.perf_counter()
    compute_s: float
    if spec.sweep:
        table, result = spec.module.compute_study(config, run=run if run.cache_dir is not None else run.replace(cache_dir=folder))
        _log.info("figure %s: %s", figure, result.summary)
        compute_s = result.cell_seconds
    else:
        kwargs = {"run": RunOptions(progress=run.progress)} if figure == "convergence" else {}
        table = spec.module.compute(config, **kwargs)
        compute_s = time.perf_counter() - start
    wall = time.perf_counter() - start
    _log.info("figure %s: %d rows computed in %.1f s; plotting", figure, len(table), wall)
    fig = spec.module.plot(table, width=width)
    overlaps = text_overlaps(fig)
    if overlaps:
        import warnings

        shown = "; ".join(f"{a!r} / {b!r}" for a, b in overlaps[:3])
        warnings.warn(f"figure {figure}: {len(overlaps)} overlapping text pair(s): {shown}", UserWarning, stacklevel=2)
    device = "cpu"
    if figure == "pruning-study" and getattr(config, "device", "cpu") == "auto":
        from sgdtails.realnets.device import default_device

        device = default_device()
    name = output_name(figure, scale)
    extra: dict[str, object] = {"scale": scale, "compute_time_s": compute_s, "this_run_compute_wall_s": wall,
                                "formats": list(fmts), "dpi": dpi, "width": width}
    if spec.extra is not None:
        extra["summary"] = spec.extra(table)
    paths = write_outputs(name, table, fig, folder, config=config, seed=config.seed,
                          wall_time_s=time.perf_counter() - start, device=device, extra=extra, formats=fmts, dpi=dpi)
    paths["toml"] = folder / f"{name}.toml"
    write_text(paths["toml"], config_toml(config, header=f"sgdtails figure {figure}: the config of {name}.csv "
                                                                f"(read back with --config)"))
    return paths


def run_realnets_figures(
    runs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str] | None = None,
    *,
    formats: Sequence[str] = ("pdf", "png"),
    dpi: int = 300,
    width: str = "double",
) -> list[Path]:
    """Analyse the runs (cached per run) and write every real-network figure into ``out``.

    ``out`` None: ``./sgdtails-figures/realnets/``; ``formats``, ``dpi`` and ``width`` as in :func:`run_figure`.
    """
    from sgdtails.figures.realnet_figures import plot_all
    from sgdtails.realnets.analyze import analyze_runs, find_runs

    if not runs:
        raise ValueError("run directories are needed (or folders of runs): sgdtails figure realnets DIR…")
    folder = output_folder(out, "realnets")
    found = find_runs(runs)
    return plot_all(analyze_runs(found), folder, runs=found, formats=formats, dpi=dpi, width=width)

