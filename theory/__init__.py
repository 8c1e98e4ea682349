"""theory: see README.md.

Monte-Carlo checks of the paper's statements (SPEC §4) — each returns a frozen result with a tidy
table, a verdict ("holds" / "fails" / "inconclusive", rule in :mod:`theory._mc`) and the fitted vs
derived decay exponent — and the required size d₀ of a statement. The bounds of SPEC §5 live in
:mod:`theory.bounds`, :mod:`theory.network`, :mod:`theory.entropy`, :mod:`theory.stable_tails`.
"""
from theory._mc import CheckResult, SeriesResult
from theory.dependence import DependenceResult, check_dependence
from theory.proposition_s1 import PropositionS1Result, check_proposition_s1
from theory.required_size import SizeEstimate, required_size
from theory.theorem1 import check_theorem1
from theory.theorem2 import check_theorem2
from theory.theorem3 import check_theorem3

__all__ = [
    "CheckResult",
    "DependenceResult",
    "PropositionS1Result",
    "SeriesResult",
    "SizeEstimate",
    "check_dependence",
    "check_proposition_s1",
    "check_theorem1",
    "check_theorem2",
    "check_theorem3",
    "required_size",
]
