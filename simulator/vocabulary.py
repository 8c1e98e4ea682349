"""The library's words, each defined once (docs/theory.md §1–§3).

Light on purpose: importing this module loads neither NumPy nor Numba, so the command line can
offer these choices without starting the engine.

* ``STRUCTURES``: the synthetic weight structures of Section S1.6.2 — ``"iid"`` (the HML
  condition), ``"column"`` (independent elliptical columns), ``"layer"`` (one elliptical vector).
* ``SCHEMES``: what pruning removes — entries (``"magnitude"``), singular values
  (``"singular"``, Theorem 2) or whole nodes (``"nodes"``, columns, Theorem 3).
* ``SCOPES``: where one pruning budget applies — each layer alone (``"layer"``, Theorem 1 (ii))
  or all layers together (``"global"``, Theorem 1 (i); magnitude pruning only).
* ``PRUNINGS``: every valid (scheme, scope) pair, in the order the figures show them.
* ``SINGULAR_COUNTS``: what the kept fraction κ of singular value pruning counts.
* ``NODE_AXES``: node pruning removes columns (Theorem 3) or rows.
* ``CENTERS``: no centring, or the experiments' median centring.
* ``MATRIX_CENTERS``: what :func:`sgdtails.realnets.adapt.prune_arrays` subtracts from a layer's
  matrix before pruning: nothing, the layer's median, or the median of each column / each row
  (the authors' code before singular value / node pruning).
* ``CONVENTIONS``: whose conventions :func:`sgdtails.realnets.analyze_run` follows — the project's
  (``"sgdtails"``) or the authors' code (``"paper_code"``), listed in :mod:`sgdtails.realnets.analyze`.
* ``TAIL_METHODS``: the tail-index estimators of :func:`sgdtails.simulator.tail_index`.

κ (``kappa``) is always the kept (remaining) fraction; the pruning ratio 1 − κ is derived.
"""
from __future__ import annotations

__all__ = ["CENTERS", "CONVENTIONS", "MATRIX_CENTERS", "NODE_AXES", "PRUNINGS", "SCHEMES", "SCOPES", "SINGULAR_COUNTS",
           "STRUCTURES", "TAIL_METHODS"]

STRUCTURES = ("iid", "column", "layer")
SCHEMES = ("magnitude", "singular", "nodes")
SCOPES = ("layer", "global")
PRUNINGS = (("magnitude", "layer"), ("magnitude", "global"), ("singular", "layer"), ("nodes", "layer"))
SINGULAR_COUNTS = ("values", "parameters", "paper")
NODE_AXES = ("columns", "rows")
CENTERS = (None, "median")
MATRIX_CENTERS = (None, "median", "column_median", "row_median")
CONVENTIONS = ("sgdtails", "paper_code")
TAIL_METHODS = ("mmo", "mmo_multivariate", "hill", "paper")
