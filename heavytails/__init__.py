"""heavytails: numerical checks of Barsbey, Sefidgaran, Erdogdu, Richard & Şimşekli (2021),
"Heavy Tails in SGD and Compressibility of Overparametrized Neural Networks", NeurIPS 2021.

This package holds only the command-line door (``heavytails``); the library lives in the
top-level packages ``simulator``, ``theory``, ``realnets`` and ``figures``.
"""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("heavytails")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

CITATION = (
    "M. Barsbey, M. Sefidgaran, M. A. Erdogdu, G. Richard, U. Şimşekli. Heavy Tails in SGD and "
    "Compressibility of Overparametrized Neural Networks. NeurIPS 2021."
)

__all__ = ["__version__", "CITATION"]
