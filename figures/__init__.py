"""sgdtails.figures: the paper's synthetic figures and a convergence study, as tables and plots.

One module per figure, each with ``config_for_scale(scale, seed)``, ``compute(config) -> table``
(tidy rows: a list of dicts of scalars) and ``plot(table, width="double"|"single") ->
matplotlib.figure.Figure`` (Agg canvas, no pyplot; ``table`` may also be the figure's CSV read back
with pandas). Every figure shares one style (:mod:`sgdtails.figures._common`: 8 pt text, mathtext,
panel labels, paper widths of 3.5 and 7 in):

* :mod:`sgdtails.figures.figure_s1` — tail index vs pruning ratio of iid / column / layer matrices (S1.6.2);
* :mod:`sgdtails.figures.pruning_study` — synthetic FCN6 pruning study (S1.6.1), four prunings;
* :mod:`sgdtails.figures.figure_s4` — ρ_ε(κ) of Theorem S6 and its bound;
* :mod:`sgdtails.figures.figure_s5` — histogram of |x| for SαS(1), α = 1.7, and its top-k norm share;
* :mod:`sgdtails.figures.convergence` — error vs size for Theorems 1–3 with the derived slopes;
* :mod:`sgdtails.figures.realnet_figures` — the real-network Figures 1–7, S2, S3 and trained vs synthetic,
  from :func:`sgdtails.realnets.analyze.analyze_runs` tables;
* :mod:`sgdtails.figures.model_figures` — α̂ per layer and pruning ratios of one analysed model file.

:func:`~sgdtails.figures.run.run_figure` computes one and writes PDF, PNG, CSV, TOML (the config)
and JSON (the command ``sgdtails figure …``); :mod:`sgdtails.figures.config` sets any config
field from text or a TOML file. Names load on first use; the public ones are listed in ``__init__.pyi``.

Paper: Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and Compressibility
of Overparametrized Neural Networks", NeurIPS 2021.
"""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
