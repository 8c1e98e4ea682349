"""The names of the checks, their quick grids, and the suite ``sgdtails check all`` runs (docs/theory.md §4).

Light on purpose (no NumPy, no engine): the command line builds its choices from here.

:data:`SUITE` runs every statement inside its hypothesis and its negative controls — the Gaussian
α = 2 (outside every hypothesis: Lemma S2 needs E|x|^α = ∞), p < α (finite E|x|^p) and the
``layer`` structure (one elliptical vector, Section 3.3) — each with the verdict expected of it.
In-hypothesis cases use α far enough below p that the statement is reachable at the quick sizes;
α near p needs astronomically large sizes (:func:`sgdtails.theory.required_size`), where
"inconclusive" is the honest verdict.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

__all__ = ["CHECKS", "QUICK", "SUITE", "THEOREMS", "Case", "check_functions", "suite_arguments"]

CHECKS = ("theorem1", "theorem2", "theorem3", "dependence", "prop-s1")
"""The Monte-Carlo checks by name (``prop-s1``: Proposition S1; ``dependence``: Section 3.3)."""

THEOREMS = ("theorem1", "theorem2", "theorem3")
"""The statements whose required size d₀ :func:`sgdtails.theory.required_size` finds."""

QUICK: dict[str, dict[str, Any]] = {
    "theorem1": dict(sizes=(10**3, 10**4, 10**5), trials=20),
    "theorem2": dict(sizes=(16, 32, 64, 128, 256), trials=30),
    "theorem3": dict(sizes=(32, 64, 128, 256, 512, 1024), trials=30),
    "dependence": dict(sizes=(32, 64, 128, 256, 512), trials=30),
    "prop-s1": dict(d=10**4, trials=50),
}
"""Small grids of each check (``--quick``: ``check all --quick`` takes about 15 s on 2 cores)."""


class Case(NamedTuple):
    """One case of :data:`SUITE`: a check, its arguments and the verdict expected of it."""

    name: str
    check: str
    arguments: dict[str, Any]
    expected: str


SUITE = (
    Case("theorem1", "theorem1", dict(alpha=1.2, p=2.0), "holds"),
    Case("theorem1-layerwise", "theorem1", dict(alpha=(1.1, 1.3), p=2.0, scope="layer"), "holds"),
    Case("theorem1-gaussian", "theorem1", dict(alpha=2.0, p=2.0), "fails"),
    Case("theorem1-p-below-alpha", "theorem1", dict(alpha=1.5, p=1.0), "fails"),
    Case("theorem1-layer-structure", "theorem1",
         dict(alpha=1.2, p=2.0, structure="layer", sizes=(32**2, 64**2, 128**2, 256**2, 512**2)), "fails"),
    Case("theorem2", "theorem2", dict(alpha=0.8, p=2.0), "holds"),
    Case("theorem2-gaussian", "theorem2", dict(alpha=2.0, p=2.0), "fails"),
    Case("theorem2-layer-structure", "theorem2", dict(alpha=0.8, p=2.0, structure="layer"), "fails"),
    Case("theorem3", "theorem3", dict(alpha=1.0, p=2.0), "holds"),
    Case("theorem3-gaussian", "theorem3", dict(alpha=2.0, p=2.0), "fails"),
    Case("theorem3-p-below-alpha", "theorem3", dict(alpha=1.5, p=1.0), "fails"),
    Case("theorem3-layer-structure", "theorem3", dict(alpha=1.0, p=2.0, structure="layer"), "fails"),
    Case("dependence", "dependence", dict(alpha=0.8, p=2.0), "holds"),
    Case("prop-s1", "prop-s1", dict(alphas=(1.2, 1.5, 1.8), p=1.0), "holds"),
)
"""Every statement in its hypothesis and its negative controls, with the verdict expected."""


def suite_arguments(case: Case, *, quick: bool, seed: int, trials: int | None = None) -> dict[str, Any]:
    """The keyword arguments of ``case``'s check: the quick grid if asked, the case's own, the seed."""
    kwargs = dict(QUICK[case.check]) if quick else {}
    kwargs.update(case.arguments, seed=seed)
    if trials is not None:
        kwargs["trials"] = trials
    return kwargs


def check_functions() -> dict[str, Callable[..., Any]]:
    """The check functions by name (imports the engine)."""
    from sgdtails.theory.dependence import check_dependence
    from sgdtails.theory.proposition_s1 import check_proposition_s1
    from sgdtails.theory.theorem1 import check_theorem1
    from sgdtails.theory.theorem2 import check_theorem2
    from sgdtails.theory.theorem3 import check_theorem3

    return {"theorem1": check_theorem1, "theorem2": check_theorem2, "theorem3": check_theorem3,
            "dependence": check_dependence, "prop-s1": check_proposition_s1}
