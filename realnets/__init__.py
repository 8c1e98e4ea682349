"""sgdtails.realnets: the paper's real-network experiments (Section 5, Section S1; docs/theory.md §6).

Models (FCN4, FCN6, the VGG11-like CNN with Table 1's exact parameter counts), data held whole on
the device (MNIST, CIFAR10, MNIST-1D, synthetic teacher data) and resumable plain-SGD training
with the paper's stopping rule and weight averaging; pruning of torch models through
``sgdtails.simulator`` (:mod:`sgdtails.realnets.adapt`), per-run analysis tables
(:mod:`sgdtails.realnets.analyze`) and the η/b grids of the sweep (:mod:`sgdtails.realnets.grids`,
:mod:`sgdtails.realnets.sweep`). Their figures are drawn by :mod:`sgdtails.figures.realnet_figures`
(the runs' tables) and :mod:`sgdtails.figures.model_figures` (:func:`sgdtails.analyze` of one model):
figures import realnets, never the other way.

Names load on first use (PyTorch is imported then); the public ones are listed in ``__init__.pyi``.

Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli, "Heavy Tails in SGD and Compressibility of
Overparametrized Neural Networks", NeurIPS 2021.
"""
import lazy_loader as _lazy

__getattr__, __dir__, __all__ = _lazy.attach_stub(__name__, __file__)
