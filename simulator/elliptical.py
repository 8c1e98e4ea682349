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
import threading

import numpy as np

from sgdtails.simulator import streams
from sgdtails.simulator._jit import jit
from sgdtails.simulator._trig import sincos
from sgdtails.simulator.stable import _saturate, sample_positive_stable_range, sample_sas
from sgdtails.simulator.streams import BLOCK_SIZE, SeedLike
from sgdtails.simulator.validate import check_alpha, check_choice, check_dtype, check_scale, check_size
from sgdtails.simulator.vocabulary import STRUCTURES

__all__ = ["sample_elliptical", "sample_weights"]


@jit
def _box_muller(log_u: np.ndarray, v: np.ndarray, out_cos: np.ndarray, out_sin: np.ndarray) -> None:
    """Box–Muller: (out_cos[i], out_sin[i]) = √(−2 log U_i)·(cos, sin)(2πV_i − π).

    ``log_u`` holds log U with U ∈ (0, 1]; branch-free with separate outputs, so it vectorises.
    """
    for i in range(log_u.shape[0]):
        r = math.sqrt(-2.0 * log_u[i])
        s, c = sincos(2.0 * math.pi * v[i] - math.pi)
        out_cos[i] = r * c
        out_sin[i] = r * s


@jit
def _scale_runs(g: np.ndarray, first: int, div: int, factors: np.ndarray) -> None:
    """In place: g[j] *= factors[((first + j) // div) % len(factors)], without a division per entry."""
    mod = factors.shape[0]
    k = (first // div) % mod
    r = first % div
    f = factors[k]
    for j in range(g.shape[0]):
        g[j] *= f
        r += 1
        if r == div:
            r = 0
            k += 1
            if k == mod:
                k = 0
            f = factors[k]


def _scaled_normals(
    seq: np.random.SeedSequence, n: int, factors: np.ndarray, div: int, dtype: np.dtype
) -> np.ndarray:
    """Flat N(0, 1) stream of length n, element i multiplied by factors[(i // div) % len(factors)].

    Normals come from Box–Muller on the block's uniforms (exact; 2–3× faster here than NumPy's
    ziggurat ``standard_normal``, thanks to the vectorised sincos).
    """
    out = np.empty(n, dtype=dtype)
    mod = factors.shape[0]
    half = BLOCK_SIZE // 2

    local = threading.local()

    def fill(block: int, start: int, stop: int) -> None:
        pairs = min(stop - start, half)  # entry j < half is pair j's cosine part, j ≥ half a sine part
        radius, angle, g = streams.scratch(local, 3)
        radius, angle = radius[:pairs], angle[:pairs]
        streams.block_generator(seq, streams.STREAM_NORMAL, block, 0).random(out=radius)
        streams.block_generator(seq, streams.STREAM_NORMAL, block, 1).random(out=angle)
        log_u = np.log(np.subtract(1.0, radius, out=radius), out=radius)  # 1 − U ∈ (0, 1]
        _box_muller(log_u, angle, g[:pairs], g[pairs : 2 * pairs])
        vals = g[: stop - start]  # cosine parts, then sine parts: the block's first entries
        with np.errstate(over="ignore", invalid="ignore"):
            if mod == 1:
                vals *= factors[0]
            else:
                _scale_runs(vals, start, div, factors)
        _saturate(vals, out[start:stop])

    streams.run_blocks(n, fill)
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
