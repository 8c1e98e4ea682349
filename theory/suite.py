"""The names of the checks, their quick grids, and the suite ``sgdtails check all`` runs (docs/theory.md §4).

Light on purpose (no NumPy, no engine): the command line builds its choices from here.

:data:`SUITE` runs every statement inside its hypothesis and its negative controls — the Gaussian
α = 2 (outside every hypothesis: Lemma S2 needs E|x|^α = ∞), p < α (finite E|x|^p) and the
``layer`` structure (one elliptical vector, Section 3.3) — each with the verdict expected of it.
In-hypothesis cases use α far enough below p that the statement is reachable at the quick sizes,
and α ∈ {1.8, 1.9}, where trained networks sit: there the decay is too slow to resolve at any
reachable size (:func:`sgdtails.theory.required_size`), and "inconclusive" with the size d₀ that
would resolve it is the honest verdict. Every negative control is run at a small and a large kept
fraction: at κ = 0.8 its limiting error is below ε, so only the data (a resolved positive limit),
never the event "error ≤ ε", can make it fail.
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
    "theorem2": dict(sizes=(16, 32, 64, 128, 256), trials=60),
    "theorem3": dict(sizes=(32, 64, 128, 256, 512, 1024, 2048), trials=30),
    "dependence": dict(sizes=(32, 64, 128, 256, 512), trials=30),
    "prop-s1": dict(d=10**4, trials=50),
}
"""Small grids of each check (``--quick``: ``check all --quick`` takes well under a minute on 2 cores)."""


class Case(NamedTuple):
    """One case of :data:`SUITE`: a check, its arguments and the verdict expected of it."""

    name: str
    check: str
    arguments: dict[str, Any]
    expected: str


SUITE = (
    # inside the hypotheses, resolvable at the quick sizes
    Case("theorem1", "theorem1", dict(alpha=1.2, p=2.0), "holds"),
    Case("theorem1-layerwise", "theorem1", dict(alpha=(1.1, 1.3), p=2.0, scope="layer"), "holds"),
    Case("theorem2", "theorem2", dict(alpha=0.8, p=2.0), "holds"),
    Case("theorem3", "theorem3", dict(alpha=1.0, p=2.0), "holds"),
    Case("dependence", "dependence", dict(alpha=0.8, p=2.0), "holds"),
    Case("prop-s1", "prop-s1", dict(alphas=(1.2, 1.5, 1.8), p=1.0), "holds"),
    # inside the hypotheses, at the tail indices trained networks show: too slow to resolve here
    Case("theorem1-alpha-1.8", "theorem1", dict(alpha=1.8, p=2.0), "inconclusive"),
    Case("theorem1-alpha-1.9", "theorem1", dict(alpha=1.9, p=2.0), "inconclusive"),
    Case("theorem2-alpha-1.9", "theorem2", dict(alpha=1.9, p=2.0, aspects=(1,)), "inconclusive"),
    Case("theorem3-alpha-1.9", "theorem3", dict(alpha=1.9, p=2.0), "inconclusive"),
    # negative controls, at a small and a large kept fraction (the latter's limit is below eps)
    Case("theorem1-gaussian", "theorem1", dict(alpha=2.0, p=2.0), "fails"),
    Case("theorem1-gaussian-kappa-0.8", "theorem1", dict(alpha=2.0, p=2.0, kappa=0.8), "fails"),
    Case("theorem1-p-below-alpha", "theorem1", dict(alpha=1.5, p=1.0), "fails"),
    Case("theorem1-p-below-alpha-kappa-0.8", "theorem1", dict(alpha=1.5, p=1.0, kappa=0.8, eps=0.2), "fails"),
    Case("theorem1-layer-structure", "theorem1",
         dict(alpha=1.2, p=2.0, structure="layer", sizes=(32**2, 64**2, 128**2, 256**2, 512**2)), "fails"),
    Case("theorem1-layer-structure-kappa-0.8", "theorem1",
         dict(alpha=1.2, p=2.0, kappa=0.8, structure="layer", sizes=(32**2, 64**2, 128**2, 256**2)), "fails"),
    Case("theorem2-gaussian", "theorem2", dict(alpha=2.0, p=2.0), "fails"),
    Case("theorem2-gaussian-kappa-0.8", "theorem2", dict(alpha=2.0, p=2.0, kappa=0.8, aspects=(1,)), "fails"),
    Case("theorem2-layer-structure", "theorem2", dict(alpha=0.8, p=2.0, structure="layer"), "fails"),
    Case("theorem3-gaussian", "theorem3", dict(alpha=2.0, p=2.0), "fails"),
    Case("theorem3-gaussian-kappa-0.8", "theorem3", dict(alpha=2.0, p=2.0, kappa=0.8), "fails"),
    Case("theorem3-p-below-alpha", "theorem3", dict(alpha=1.5, p=1.0), "fails"),
    Case("theorem3-layer-structure", "theorem3", dict(alpha=1.0, p=2.0, structure="layer"), "fails"),
    Case("prop-s1-layer", "prop-s1", dict(alphas=(1.2, 1.8), p=1.0, structures=("layer", "iid")), "fails"),
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
