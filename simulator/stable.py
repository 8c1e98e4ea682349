r"""Symmetric α-stable and positive stable samplers (docs/theory.md §1).

Which α: throughout, ``alpha`` is the *stability (tail) index* of the law, with
:math:`P(|X| > x) \sim c\,x^{-\alpha}` — not the exponent of an eigenvalue density that
WeightWatcher reports, and not a pdf exponent (that is α + 1).

SαS(σ) has characteristic function :math:`E e^{itX} = e^{-|\sigma t|^\alpha}`; α = 2 is
N(0, 2σ²) (variance 2σ², as in scipy's ``levy_stable``), α = 1 is Cauchy with scale σ.

Algorithm: Chambers–Mallows–Stuck with V ~ U(−π/2, π/2), W ~ Exp(1),

.. math:: X = \sigma \frac{\sin \alpha V}{\cos V}
          \Big(\frac{\cos((1-\alpha)V)}{W \cos V}\Big)^{(1-\alpha)/\alpha},

(the form of docs/theory.md §1, regrouped so that one power remains); α = 1 is the exact σ tan V and α = 2 the
exact 2σ√W sin V (Box–Muller). cos V is computed as sin(π·min(U, 1−U)) from the uniform U, so it
keeps full relative accuracy near V = ±π/2, where the largest |X| come from.

Overflow: for small α the law puts mass beyond the largest float. Values are *saturated* to
±(largest finite value of the output dtype), never inf or NaN; float32 output is the float64 draw
rounded and saturated the same way, so float32 is finite wherever float64 is.
"""
from __future__ import annotations

import math
import threading

import numpy as np

from sgdtails.simulator import streams
from sgdtails.simulator._jit import jit
from sgdtails.simulator._trig import sincos
from sgdtails.simulator.streams import BLOCK_SIZE, SeedLike
from sgdtails.simulator.validate import (
    check_alpha,
    check_dtype,
    check_int,
    check_positive_index,
    check_scale,
    check_size,
)

__all__ = ["sample_sas", "sample_sas_range", "sample_positive_stable", "sample_positive_stable_range"]

_HALF_GRID = 2.0**-54  # half the spacing of NumPy's uniform grid: stands in for U = 0


@jit
def _cms_prepare(u: np.ndarray, w: np.ndarray, alpha: float) -> None:
    """In place: ``u`` ← sin(αV)/cos V and ``w`` ← cos((1−α)V)/(W cos V), V = π(U − ½).

    Two sin/cos pairs: (cos V, |sin V|) = (sin, cos)(π·min(U, 1−U)) and (sin αV, cos αV); then
    cos((1−α)V) = cos V cos αV + sin V sin αV. The sum never cancels badly: it is at least
    cos((1−α)π/2) > 0, and where that is small (α near 0 or 2, |V| near π/2) it is still at least a
    third of |cos V cos αV| + |sin V sin αV|, so rounding is amplified at most ~3× (checked against
    the direct cosine in ``tests/test_stable.py``).
    """
    for i in range(u.shape[0]):
        h = u[i] - 0.5
        m = max(0.5 - abs(h), _HALF_GRID)
        cos_v, abs_sin_v = sincos(math.pi * m)
        sin_a, cos_a = sincos(alpha * math.pi * h)
        cos_1a = cos_v * cos_a + math.copysign(abs_sin_v, h) * sin_a
        u[i] = sin_a / cos_v
        w[i] = cos_1a / (w[i] * cos_v)


@jit
def _cms_cauchy(u: np.ndarray) -> None:
    """In place: ``u`` ← tan V (α = 1)."""
    for i in range(u.shape[0]):
        h = u[i] - 0.5
        m = max(0.5 - abs(h), _HALF_GRID)
        sc = sincos(math.pi * m)
        u[i] = math.copysign(sc[1], h) / sc[0]


@jit
def _cms_gauss(u: np.ndarray, w: np.ndarray) -> None:
    """In place: ``u`` ← 2√W sin V (α = 2, N(0, 2))."""
    for i in range(u.shape[0]):
        h = u[i] - 0.5
        m = 0.5 - abs(h)
        u[i] = 2.0 * math.sqrt(w[i]) * math.copysign(sincos(math.pi * m)[1], h)


@jit
def _kanter(u: np.ndarray, w: np.ndarray, a: float) -> None:
    """In place: ``u`` ← positive stable(a) by Kanter's formula with U ← πu, W ← w."""
    b = (1.0 - a) / a
    for i in range(u.shape[0]):
        x = max(u[i], _HALF_GRID)
        s1 = sincos(math.pi * min(x, 1.0 - x))[0]  # sin U, accurate near U = π
        sa = sincos(math.pi * a * x)[0]
        sb = sincos(math.pi * (1.0 - a) * x)[0]
        u[i] = math.exp(math.log(sa) - math.log(s1) / a + b * (math.log(sb) - math.log(w[i])))


def _saturate(x: np.ndarray, out: np.ndarray) -> None:
    """Copy ``x`` into ``out`` clipped to ±(largest finite value of out's dtype)."""
    big = np.finfo(out.dtype).max
    np.clip(x, -big, big, out=out, casting="unsafe")


def _sas_block(alpha: float, scale: float, u: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Transform raw draws (``u`` uniform, ``w`` exponential) into SαS(scale); returns ``u``."""
    if alpha == 2.0:
        _cms_gauss(u, w)
    elif alpha == 1.0:
        _cms_cauchy(u)
    else:
        _cms_prepare(u, w, alpha)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            np.log(w, out=w)
            w *= (1.0 - alpha) / alpha
            np.exp(w, out=w)
            u *= w
    if scale != 1.0:
        u *= scale
    return u


def _fill_stream(
    out: np.ndarray,
    seq: np.random.SeedSequence,
    stream: int,
    first_block: int,
    transform,
    *,
    threads: int | None = None,
    blocks_per_task: int = 4,
) -> None:
    """Fill flat ``out`` with ``transform(u, w)`` of blocks ``first_block, …`` of ``stream``."""
    local = threading.local()

    def fill(block: int, start: int, stop: int) -> None:
        n = stop - start
        u, w = (b[:n] for b in streams.scratch(local, 2))
        streams.block_generator(seq, stream, block, 0).random(out=u)
        streams.block_generator(seq, stream, block, 1).standard_exponential(out=w)
        _saturate(transform(u, w), out[start:stop])

    streams.run_blocks(out.size, fill, first_block=first_block, threads=threads, blocks_per_task=blocks_per_task)


def _check_range(start: object, stop: object) -> tuple[int, int]:
    """Integers 0 ≤ start ≤ stop."""
    lo, hi = check_int(start, "start", low=0), check_int(stop, "stop", low=0)
    if hi < lo:
        raise ValueError(f"need start <= stop, got start={start}, stop={stop}")
    return lo, hi


def _sample_range(start, stop, seed, dtype, stream, transform, threads, blocks_per_task) -> np.ndarray:
    """Elements [start, stop) of a flat stream.

    The covering blocks are drawn from the first one's start (at most one block's worth of extra
    values), then sliced.
    """
    start, stop = _check_range(start, stop)
    dt = check_dtype(dtype)
    seq = streams.as_seed_sequence(seed)
    first = start // BLOCK_SIZE
    offset = start - first * BLOCK_SIZE
    buf = np.empty(stop - first * BLOCK_SIZE, dtype=dt)  # element j of a block never depends on later ones
    _fill_stream(buf, seq, stream, first, transform, threads=threads, blocks_per_task=blocks_per_task)
    return buf[offset:] if offset else buf


def sample_sas(
    alpha: float,
    size: int | tuple[int, ...],
    *,
    scale: float = 1.0,
    seed: SeedLike = None,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    r"""Draw i.i.d. SαS(σ) variates, :math:`E e^{itX} = e^{-|\sigma t|^\alpha}` (docs/theory.md §1).

    Parameters
    ----------
    alpha : float
        Stability (tail) index α ∈ (0, 2]; α = 2 is N(0, 2σ²), α = 1 Cauchy(σ).
    size : int or tuple of int
        Output shape; entries fill it in C order from the addressable stream (see
        :mod:`sgdtails.simulator.streams`), so ``sample_sas(a, n, seed=s)[:m]`` equals
        ``sample_sas(a, m, seed=s)`` for an int or SeedSequence seed.
    scale : float
        σ > 0.
    seed : None, int, SeedSequence or Generator
        Source of randomness; the same int gives bit-identical output for any thread count.
    dtype : float32 or float64
        Output type; draws are computed in float64, rounded, and saturated at the dtype's
        largest finite value (see module docstring).

    Returns
    -------
    numpy.ndarray of shape ``size``.
    """
    a = check_alpha(alpha)
    sigma = check_scale(scale)
    shape = check_size(size)
    n = math.prod(shape)
    out = sample_sas_range(a, 0, n, scale=sigma, seed=seed, dtype=dtype)
    return out.reshape(shape)


def sample_sas_range(
    alpha: float,
    start: int,
    stop: int,
    *,
    scale: float = 1.0,
    seed: SeedLike = None,
    dtype: type | np.dtype = np.float64,
    threads: int | None = None,
    blocks_per_task: int = 4,
) -> np.ndarray:
    """Elements ``[start, stop)`` of the flat SαS stream that :func:`sample_sas` draws from.

    With an int or ``SeedSequence`` seed, ``sample_sas_range(a, i, j, seed=s)`` equals
    ``sample_sas(a, n, seed=s).ravel()[i:j]`` for any ``n ≥ j``, computed without drawing the
    other elements (only the :data:`~sgdtails.simulator.streams.BLOCK_SIZE` blocks that cover the range).
    ``threads`` and ``blocks_per_task`` only split the work; they never change the numbers.
    """
    a = check_alpha(alpha)
    sigma = check_scale(scale)

    def transform(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        return _sas_block(a, sigma, u, w)

    return _sample_range(start, stop, seed, dtype, streams.STREAM_CMS, transform, threads, blocks_per_task)


def sample_positive_stable(
    a: float,
    size: int | tuple[int, ...],
    *,
    seed: SeedLike = None,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    r"""Draw positive stable variates with Laplace transform :math:`E e^{-\gamma A} = e^{-\gamma^a}`.

    Kanter's representation (docs/theory.md §1): U ~ U(0, π), W ~ Exp(1),
    :math:`A = \frac{\sin aU}{(\sin U)^{1/a}} \big(\frac{\sin((1-a)U)}{W}\big)^{(1-a)/a}`.
    This is scipy's ``levy_stable(a, 1)`` (totally skewed, S1 parametrisation) with scale
    :math:`\cos(\pi a/2)^{1/a}`. Used with a = α/2 for elliptical SαS vectors (Theorem 2's
    eigenvalue limit law is of this kind too).

    Parameters
    ----------
    a : float
        Index a ∈ (0, 1).
    size, seed, dtype
        As in :func:`sample_sas`; values beyond the dtype's range saturate at its largest value.
    """
    index = check_positive_index(a)
    shape = check_size(size)
    out = sample_positive_stable_range(index, 0, math.prod(shape), seed=seed, dtype=dtype)
    return out.reshape(shape)


def sample_positive_stable_range(
    a: float,
    start: int,
    stop: int,
    *,
    seed: SeedLike = None,
    dtype: type | np.dtype = np.float64,
    threads: int | None = None,
    blocks_per_task: int = 4,
) -> np.ndarray:
    """Elements ``[start, stop)`` of the flat positive stable stream (see :func:`sample_sas_range`)."""
    index = check_positive_index(a)

    def transform(u: np.ndarray, w: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", divide="ignore"):
            _kanter(u, w, index)
        return u

    return _sample_range(start, stop, seed, dtype, streams.STREAM_POSITIVE, transform, threads, blocks_per_task)

