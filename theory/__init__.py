"""sgdtails.theory: each statement of the paper as a runnable check, and every bound as an evaluator.

Monte-Carlo checks of Theorems 1–3, Section 3.3 and Proposition S1 (docs/theory.md §4) — each
returns a frozen :class:`~sgdtails.theory.results.CheckResult` with a tidy table, a verdict
("holds" / "fails" / "inconclusive", rule in :mod:`sgdtails.theory.verdict`) and the fitted vs
derived decay exponent — the required size d₀ of a statement, and the suite of every check with
its negative controls (:mod:`sgdtails.theory.suite`). The bounds of docs/theory.md §5 live in
:mod:`sgdtails.theory.bounds`, :mod:`~sgdtails.theory.network`, :mod:`~sgdtails.theory.entropy`,
:mod:`~sgdtails.theory.perturbation` and :mod:`~sgdtails.theory.stable_tails`;
:func:`check_inequalities` evaluates every one of them on random instances.

Names load on first use; the public ones are listed in ``__init__.pyi`` beside this file.
"""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
