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

Engine: one fused Numba kernel per law draws U and W = −log U° from Philox4x64-10 words addressed
by the variate's index (:mod:`sgdtails.simulator.streams`) and applies the transform in the same
tile, with vectorisable sin/cos, log and exp (:mod:`~sgdtails.simulator._trig`,
:mod:`~sgdtails.simulator._explog`, ≤ 1 ulp each), over Numba's threads.

Overflow: for small α the law puts mass beyond the largest float. Values are *saturated* to
±(largest finite value of the output dtype), never inf or NaN; float32 output is the float64 draw
rounded and saturated the same way, so float32 is finite wherever float64 is.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from sgdtails.simulator import streams
from sgdtails.simulator._explog import exp, log_normal
from sgdtails.simulator._jit import jit, jit_inline, serial_or_parallel
from sgdtails.simulator._philox import fill_pairs
from sgdtails.simulator._trig import sincos
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import (
    check_alpha,
    check_dtype,
    check_int,
    check_positive_index,
    check_scale,
    check_size,
)

__all__ = ["TILE", "sample_sas", "sample_sas_range", "sample_positive_stable", "sample_positive_stable_range"]

TILE = 1024
"""Variates per kernel tile: raw uniforms of one tile live in two small buffers, then the transform
runs over them as SIMD code. A unit of work only; it never changes a number."""

_HALF_GRID = 2.0**-54  # half the spacing of NumPy's uniform grid: stands in for U = 0


@jit_inline
def _cms_terms(u: float, alpha: float) -> tuple[float, float]:
    """(sin αV / cos V, cos((1−α)V) / cos V) for V = π(U − ½).

    Two sin/cos pairs: (cos V, |sin V|) = (sin, cos)(π·min(U, 1−U)) and (sin αV, cos αV); then
    cos((1−α)V) = cos V cos αV + sin V sin αV. The sum never cancels badly: it is at least
    cos((1−α)π/2) > 0, and where that is small (α near 0 or 2, |V| near π/2) it is still at least a
    third of |cos V cos αV| + |sin V sin αV|, so rounding is amplified at most ~3× (checked against
    the direct cosine in ``tests/test_stable.py``).
    """
    h = u - 0.5
    m = max(0.5 - abs(h), _HALF_GRID)
    cos_v, abs_sin_v = sincos(math.pi * m)
    sin_a, cos_a = sincos(alpha * math.pi * h)
    cos_1a = cos_v * cos_a + math.copysign(abs_sin_v, h) * sin_a
    inv = 1.0 / cos_v
    return sin_a * inv, cos_1a * inv


@jit
def _cms_prepare(u: np.ndarray, w: np.ndarray, alpha: float) -> None:
    """In place: ``u`` ← sin(αV)/cos V and ``w`` ← cos((1−α)V)/(W cos V) (:func:`_cms_terms`; for tests)."""
    for i in range(u.shape[0]):
        s, t = _cms_terms(u[i], alpha)
        u[i] = s
        w[i] = t / w[i]


@jit_inline
def _clip(x: float, big: float) -> float:
    """The value x saturated to [−big, big] (big: the output dtype's largest finite value)."""
    return min(max(x, -big), big)


@jit_inline
def _tile_pairs(k0: np.uint64, k1: np.uint64, stream: int, first: int, n: int,
                t: int) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Tile t of a fill of n variates from ``first`` on: (offset, length m, U, U°) of its variates."""
    lo = t * TILE
    m = min(TILE, n - lo)
    u = np.empty(TILE)
    w = np.empty(TILE)
    fill_pairs(k0, k1, stream, first + lo, m, u, w)
    return lo, m, u, w


def _fill_sas(k0: np.uint64, k1: np.uint64, first: int, out: np.ndarray, alpha: float, scale: float,
              big: float) -> None:
    """out[i] = SαS(scale) variate ``first + i`` of the CMS stream, saturated at ±big.

    Per variate: U and U° from raw words 2i, 2i + 1 (:func:`~sgdtails.simulator._philox.fill_pairs`),
    W = −log U°, then Chambers–Mallows–Stuck. α = 2 is the exact 2√W sin V and α = 1 the exact tan V;
    otherwise X = (sin αV / cos V)·exp(((1 − α)/α)·log(cos((1−α)V)/(W cos V))). X is 0 where sin αV
    is (V = 0), whatever the power (no 0·inf).
    """
    n = out.shape[0]
    b = (1.0 - alpha) / alpha
    for t in numba.prange((n + TILE - 1) // TILE):
        lo, m, u, w = _tile_pairs(k0, k1, streams.STREAM_CMS, first, n, t)
        if alpha == 2.0:
            for j in range(m):
                h = u[j] - 0.5
                sin_v = math.copysign(sincos(math.pi * (0.5 - abs(h)))[1], h)
                out[lo + j] = _clip(scale * (2.0 * math.sqrt(-log_normal(w[j])) * sin_v), big)
        elif alpha == 1.0:
            for j in range(m):
                h = u[j] - 0.5
                sc = sincos(math.pi * max(0.5 - abs(h), _HALF_GRID))
                out[lo + j] = _clip(scale * (math.copysign(sc[1], h) / sc[0]), big)
        else:
            for j in range(m):
                s, r = _cms_terms(u[j], alpha)
                x = s * exp(b * log_normal(r / -log_normal(w[j])))
                out[lo + j] = _clip(scale * (0.0 if s == 0.0 else x), big)


def _fill_positive(k0: np.uint64, k1: np.uint64, first: int, out: np.ndarray, a: float, big: float) -> None:
    """out[i] = positive stable(a) variate ``first + i`` by Kanter's formula (U ← πU, W = −log U°)."""
    n = out.shape[0]
    b = (1.0 - a) / a
    for t in numba.prange((n + TILE - 1) // TILE):
        lo, m, u, w = _tile_pairs(k0, k1, streams.STREAM_POSITIVE, first, n, t)
        for j in range(m):
            x = max(u[j], _HALF_GRID)
            s1 = sincos(math.pi * min(x, 1.0 - x))[0]  # sin U, accurate near U = π
            sa = sincos(math.pi * a * x)[0]
            sb = sincos(math.pi * (1.0 - a) * x)[0]
            lw = log_normal(-log_normal(w[j]))
            out[lo + j] = _clip(exp(log_normal(sa) - log_normal(s1) / a + b * (log_normal(sb) - lw)), big)


# Each fill kernel twice: over Numba's threads, and serial (a prange is a range there) for one tile
# or off the main thread (:func:`~sgdtails.simulator._jit.may_enter_pool`). Same numbers either way.
_SAS_KERNELS = (jit(_fill_sas), jit(parallel=True)(_fill_sas))
_POSITIVE_KERNELS = (jit(_fill_positive), jit(parallel=True)(_fill_positive))


def fill_kernel(kernels: tuple, n: int):  # noqa: ANN201 — a Numba dispatcher
    """The parallel one of a (serial, parallel) kernel pair for more than one tile in the main thread, else the serial one."""
    return serial_or_parallel(kernels[0], kernels[1], n > TILE)


def _check_range(start: object, stop: object) -> tuple[int, int]:
    """Integers 0 ≤ start ≤ stop."""
    lo, hi = check_int(start, "start", low=0), check_int(stop, "stop", low=0)
    if hi < lo:
        raise ValueError(f"need start <= stop, got start={start}, stop={stop}")
    return lo, hi


def _check_out(out: object, n: int, dtype: object) -> np.ndarray:
    """``out`` itself if it is a writeable C-contiguous 1-D array of n entries of ``dtype`` (None: float32 or float64)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a NumPy array, got {type(out).__name__}")
    dt = check_dtype(out.dtype if dtype is None else dtype)
    if out.ndim != 1 or out.shape[0] != n:
        raise ValueError(f"out must be 1-D with stop - start = {n} entries, got shape {out.shape}")
    if out.dtype != dt:
        raise ValueError(f"out has dtype {out.dtype}, but dtype={dt} was asked for")
    if not (out.flags.c_contiguous and out.flags.writeable):
        raise ValueError("out must be C-contiguous and writeable")
    return out


def _sample_range(kernels: tuple, start: object, stop: object, seed: SeedLike, dtype: object, threads: int | None,
                  out: np.ndarray | None, *params: float) -> np.ndarray:
    """Elements [start, stop) of a stream, filled by ``kernel(k0, k1, start, out, *params, big)`` of the pair ``kernels``."""
    lo, hi = _check_range(start, stop)
    if hi > streams.MAX_INDEX:
        raise ValueError(f"stop must be at most 2^62, got {stop}")
    if out is None:
        out = np.empty(hi - lo, dtype=check_dtype(np.float64 if dtype is None else dtype))
    else:
        out = _check_out(out, hi - lo, dtype)
    dt = out.dtype
    key = streams.stream_key(streams.as_seed_sequence(seed))
    with streams.kernel_threads(threads):  # validates threads
        fill_kernel(kernels, out.size)(key[0], key[1], lo, out, *params, float(np.finfo(dt).max))
    return out


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
    dtype: type | np.dtype | None = None,
    threads: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Elements ``[start, stop)`` of the flat SαS stream that :func:`sample_sas` draws from.

    With an int or ``SeedSequence`` seed, ``sample_sas_range(a, i, j, seed=s)`` equals
    ``sample_sas(a, n, seed=s).ravel()[i:j]`` for any ``n ≥ j``, computed without drawing the
    other elements (each variate is addressed by its index: :mod:`sgdtails.simulator.streams`).
    ``threads`` (default: Numba's thread count, at most ``NUMBA_NUM_THREADS``) only splits the work; it
    never changes the numbers.

    ``dtype``: float64 (the default) or float32; with ``out``, the default is ``out``'s dtype and
    another must match it. ``out``: a writeable C-contiguous 1-D float64 or float32 array of
    ``stop − start`` entries to fill and return instead of a new one. Streaming a long stream
    through one buffer saves the fresh pages that a new array per chunk costs (a fifth of the
    drawing time at 2²² values per chunk here).
    """
    a = check_alpha(alpha)
    sigma = check_scale(scale)
    return _sample_range(_SAS_KERNELS, start, stop, seed, dtype, threads, out, a, sigma)


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
    dtype: type | np.dtype | None = None,
    threads: int | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Elements ``[start, stop)`` of the flat positive stable stream (see :func:`sample_sas_range`, also for ``out``)."""
    index = check_positive_index(a)
    return _sample_range(_POSITIVE_KERNELS, start, stop, seed, dtype, threads, out, index)
