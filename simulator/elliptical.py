r"""Elliptically contoured SαS vectors and the three synthetic weight structures (docs/theory.md §1, Section S1.6.2).

An elliptical (sub-Gaussian) SαS vector in :math:`\mathbb{R}^m` is :math:`X = \sqrt{A}\,G` with
A positive stable of index α/2 (:func:`sgdtails.simulator.stable.sample_positive_stable`) and
G ~ N(0, 2 I_m) independent of A, so that :math:`E e^{i\langle\omega, X\rangle} = e^{-\|\omega\|^\alpha}`:
every coordinate is SαS(1), but coordinates share A and are dependent. At α = 2, A ≡ 1.

Weight structures (all entries marginally SαS(σ)):

* ``"iid"``: every entry independent (the HML condition);
* ``"column"``: columns independent, each column ``W[:, j]`` one elliptical vector (its own A);
* ``"layer"``: the whole array one elliptical vector (one A for all entries).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from sgdtails.simulator import streams
from sgdtails.simulator._explog import log_normal
from sgdtails.simulator._jit import jit
from sgdtails.simulator._philox import fill_pairs
from sgdtails.simulator._trig import sincos
from sgdtails.simulator.stable import TILE, _clip, fill_kernel, sample_positive_stable_range, sample_sas
from sgdtails.simulator.streams import SeedLike
from sgdtails.simulator.validate import check_alpha, check_choice, check_dtype, check_scale, check_size
from sgdtails.simulator.vocabulary import STRUCTURES

__all__ = ["sample_elliptical", "sample_weights"]


def _fill_normals(k0: np.uint64, k1: np.uint64, first: int, out: np.ndarray, factors: np.ndarray, div: int,
                  big: float) -> None:
    """out[i] = N(0, 1) variate ``first + i`` of the normal stream × factors[((first + i) // div) % len(factors)].

    Box–Muller on pair p = ⌊i/2⌋ (angle U from raw word 2p, radius √(−2 log U°) from word 2p + 1):
    element 2p is r cos(2πU − π), element 2p + 1 is r sin(2πU − π): exact, and vectorised (the
    sin/cos and log of :mod:`~sgdtails.simulator._trig`, :mod:`~sgdtails.simulator._explog`).
    Products beyond ±big saturate.
    """
    n = out.shape[0]
    mod = factors.shape[0]
    half = TILE // 2 + 1
    for t in numba.prange((n + TILE - 1) // TILE):
        lo = t * TILE
        m = min(TILE, n - lo)
        g = first + lo
        p0 = g >> 1
        pairs = ((g + m - 1) >> 1) - p0 + 1
        ang = np.empty(half)
        rad = np.empty(half)
        fill_pairs(k0, k1, streams.STREAM_NORMAL, p0, pairs, ang, rad)
        cs = np.empty(2 * half)
        for k in range(pairs):
            r = math.sqrt(-2.0 * log_normal(rad[k]))
            s, c = sincos(2.0 * math.pi * ang[k] - math.pi)
            cs[2 * k] = r * c
            cs[2 * k + 1] = r * s
        off = g & 1
        if mod == 1:
            f = factors[0]
            for j in range(m):
                out[lo + j] = _clip(cs[off + j] * f, big)
        else:
            k = (g // div) % mod
            rem = g % div
            f = factors[k]
            for j in range(m):
                out[lo + j] = _clip(cs[off + j] * f, big)
                rem += 1
                if rem == div:
                    rem = 0
                    k += 1
                    if k == mod:
                        k = 0
                    f = factors[k]


_NORMAL_KERNELS = (jit(_fill_normals), jit(parallel=True)(_fill_normals))  # serial, parallel (stable.fill_kernel)


def _scaled_normals(
    seq: np.random.SeedSequence, n: int, factors: np.ndarray, div: int, dtype: np.dtype
) -> np.ndarray:
    """Flat N(0, 1) stream of length n, element i multiplied by factors[(i // div) % len(factors)]."""
    out = np.empty(n, dtype=dtype)
    key = streams.stream_key(seq)
    fill_kernel(_NORMAL_KERNELS, n)(key[0], key[1], 0, out, np.ascontiguousarray(factors, dtype=np.float64), int(div),
                  float(np.finfo(dtype).max))
    return out


def _mixing_factors(alpha: float, count: int, seq: np.random.SeedSequence, sigma: float) -> np.ndarray:
    """σ·√(2A) for ``count`` independent A ~ positive stable(α/2) (A ≡ 1 at α = 2)."""
    if alpha == 2.0:
        return np.full(count, sigma * math.sqrt(2.0))
    a = sample_positive_stable_range(alpha / 2.0, 0, count, seed=seq)
    with np.errstate(over="ignore"):
        return sigma * np.sqrt(2.0 * a)


def sample_elliptical(
    alpha: float,
    n: int,
    dim: int,
    *,
    seed: SeedLike = None,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    r"""Draw ``n`` independent elliptical SαS vectors in :math:`\mathbb{R}^{dim}` (docs/theory.md §1).

    Each row ``X[i]`` satisfies :math:`E e^{i\langle\omega, X_i\rangle} = e^{-\|\omega\|^\alpha}`.

    Parameters
    ----------
    alpha : float
        Stability index α ∈ (0, 2].
    n, dim : int
        Number of vectors (rows) and their dimension (columns).
    seed, dtype
        As in :func:`sgdtails.simulator.sample_sas`.

    Returns
    -------
    numpy.ndarray of shape (n, dim).
    """
    a = check_alpha(alpha)
    n, dim = check_size((n, dim), "(n, dim)")
    dt = check_dtype(dtype)
    seq = streams.as_seed_sequence(seed)
    factors = _mixing_factors(a, max(n, 1), seq, 1.0)
    return _scaled_normals(seq, n * dim, factors, max(dim, 1), dt).reshape(n, dim)


def sample_weights(
    alpha: float,
    shape: int | tuple[int, ...],
    *,
    structure: str = "iid",
    scale: float = 1.0,
    seed: SeedLike = None,
    dtype: type | np.dtype = np.float64,
) -> np.ndarray:
    """Draw a weight array with SαS(σ) entries in one of the structures of Section S1.6.2.

    Parameters
    ----------
    alpha : float
        Stability index α ∈ (0, 2].
    shape : int or tuple of int
        Array shape; ``"column"`` needs a 2-D shape (m, n) and draws n independent columns.
    structure : {"iid", "column", "layer"}
        Dependence structure (module docstring); ``"iid"`` is :func:`sgdtails.simulator.sample_sas`.
    scale : float
        σ > 0; every entry is marginally SαS(σ).
    seed, dtype
        As in :func:`sgdtails.simulator.sample_sas`.
    """
    a = check_alpha(alpha)
    check_choice(structure, "structure", STRUCTURES)
    dims = check_size(shape, "shape")
    sigma = check_scale(scale)
    dt = check_dtype(dtype)
    if structure == "iid":
        return sample_sas(a, dims, scale=sigma, seed=seed, dtype=dt)
    seq = streams.as_seed_sequence(seed)
    n = math.prod(dims)
    if structure == "column":
        if len(dims) != 2:
            raise ValueError(f"shape must be 2-D (rows, columns) for structure='column', got {dims}")
        cols = dims[1]
        factors = _mixing_factors(a, max(cols, 1), seq, sigma)
        return _scaled_normals(seq, n, factors, 1, dt).reshape(dims)
    factors = _mixing_factors(a, 1, seq, sigma)
    return _scaled_normals(seq, n, factors, 1, dt).reshape(dims)
