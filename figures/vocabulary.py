"""Names of the figures and of their scales (light: the command line builds its choices from here)."""
from __future__ import annotations

__all__ = ["FIGURES", "SCALES"]

FIGURES = ("s1", "pruning-study", "s4", "s5", "convergence")
"""The synthetic figures, in the order ``sgdtails figure all`` draws them."""
SCALES = ("cpu", "paper")
"""``paper``: the paper's sizes; ``cpu``: reduced to minutes on two cores."""
