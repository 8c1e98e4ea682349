"""figures: the paper's synthetic figures and a convergence study, as tables and plots.

One module per figure, each with ``config_for_scale(scale, seed)``, ``compute(config) -> table``
(tidy rows: a list of dicts of scalars) and ``plot(table) -> matplotlib.figure.Figure`` (Agg
canvas, no pyplot):

* :mod:`figures.figure_s1` — tail index vs pruning ratio of iid / column / layer matrices (S1.6.2);
* :mod:`figures.pruning_study` — synthetic FCN6 pruning study (S1.6.1), four pruning schemes;
* :mod:`figures.figure_s4` — ρ_ε(κ) of Theorem S6 and its bound;
* :mod:`figures.figure_s5` — histogram of |x| for SαS(1), α = 1.7, and its top-k norm share;
* :mod:`figures.convergence` — error vs size for Theorems 1–3 with the derived slopes.

The command ``heavytails figure …`` (:mod:`figures.cli`) writes PNG, CSV and JSON for each.

Paper: Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and Compressibility
of Overparametrized Neural Networks", NeurIPS 2021.
"""
from figures import convergence, figure_s1, figure_s4, figure_s5, pruning_study
from figures._common import csv_text, write_outputs

__all__ = ["convergence", "csv_text", "figure_s1", "figure_s4", "figure_s5", "pruning_study", "write_outputs"]
