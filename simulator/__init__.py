"""sgdtails.simulator: the SαS engine (docs/theory.md §1–§3).

Samplers of the theory's limit objects (SαS, positive stable, elliptical vectors, the ``iid`` /
``column`` / ``layer`` weight structures), pruning (magnitude, singular value, node) and what each
scheme keeps (masks, the singular-value projector), the relative ℓp compression error, the exact
minimal kept fraction κ_p(w, ε) of (S5), tail-index estimators, and the resumable grid runner every
study uses (:mod:`sgdtails.simulator.sweep`, configured by :class:`RunOptions`). "alpha" is always
the stability index of the law. Randomness is addressable variate by variate
(Philox4x64-10 counters, :mod:`sgdtails.simulator.streams`): the same seed gives the same numbers for
any thread count.

Names load on first use (the engine's Numba kernels compile or load from cache then); the list of
public names is in ``__init__.pyi`` beside this file.

Paper: Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and Compressibility
of Overparametrized Neural Networks", NeurIPS 2021.
"""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
