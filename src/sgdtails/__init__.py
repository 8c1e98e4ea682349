"""sgdtails: exact, fast numerical checks of the theory of heavy tails in SGD and compressibility.

The paper: Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and
Compressibility of Overparametrized Neural Networks", NeurIPS 2021. A small curated facade over the four subpackages::

    import sgdtails as st

    W = st.sample_weights(1.7, (500, 500), structure="iid", seed=0)   # i.i.d. SαS(1)
    st.pruning_ratio(W, 0.1)                                          # 1 − κ_2(W, 0.1), (S5)
    st.check_theorem1(1.2, p=2, kappa=0.1, eps=0.1).verdict          # Theorem 1 as a check

* :mod:`sgdtails.simulator` — samplers, pruning, masks, compression errors, tail indices, the
  resumable grid runner and its :class:`~sgdtails.simulator.RunOptions`;
* :mod:`sgdtails.theory` — each theorem as a Monte-Carlo check with negative controls, the bounds;
* :mod:`sgdtails.realnets` — the paper's networks, data, SGD training, analysis of trained weights;
* :mod:`sgdtails.figures` — one module per figure (data table + plot).

Everything loads lazily: ``import sgdtails`` imports neither NumPy's engine kernels, PyTorch nor
Matplotlib until a name that needs them is used. The mathematics, in the paper's numbering, is in
``docs/theory.md`` of the source distribution.
"""
from importlib.metadata import PackageNotFoundError, version

import lazy_loader as _lazy

try:
    __version__ = version("sgdtails")
except PackageNotFoundError:  # a source tree that was not installed
    __version__ = "0.0.0+unknown"

CITATION = (
    "M. Barsbey, M. Sefidgaran, M. A. Erdogdu, G. Richard, U. Şimşekli. Heavy Tails in SGD and "
    "Compressibility of Overparametrized Neural Networks. NeurIPS 2021."
)

__getattr__, _lazy_dir, _lazy_all = _lazy.attach_stub(__name__, __file__)
__all__ = ["CITATION", "__version__", *_lazy_all]


def __dir__() -> list[str]:
    """The public names (the lazily loaded ones included)."""
    return list(__all__)
