r"""Philox4x64-10 inside Numba kernels: the counter-based generator of ``numpy.random.Philox``.

Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3" (SC 2011): a bijection
of a 256-bit counter under a 128-bit key, ten rounds of

    (c0, c1, c2, c3) → (hi(M1·c2) ⊕ c1 ⊕ k0, lo(M1·c2), hi(M0·c0) ⊕ c3 ⊕ k1, lo(M0·c0)),

with M0 = 0xD2E7470EE14C6C93, M1 = 0xCA5A826395121157 and the key bumped by the Weyl constants
W0 = 0x9E3779B97F4A7C15, W1 = 0xBB67AE8584CAA73B between rounds (the Random123 constants, as in
NumPy, cuRAND and JAX). Every output word is addressed by (key, counter, word), so any block of a
stream is generated without the words before it, with no state and no array of raw draws.

Word numbering follows ``numpy.random.Philox(key=k, counter=c)``: raw word j (j = 0, 1, …) is word
j mod 4 of Philox(c + 1 + ⌊j/4⌋, k), the counter added as a 256-bit integer (carries across its
four 64-bit limbs), so ``philox_raw(k, c, n)`` equals ``Philox(key=k, counter=c).random_raw(n)``
bit for bit and ``philox_uniform`` equals ``Generator(Philox(...)).random(n)`` (doubles
(x >> 11)·2⁻⁵³ ∈ [0, 1)). The samplers call :func:`fill_pairs` inside their kernels (stream
layout: :mod:`sgdtails.simulator.streams`).

Two forms of one function. :func:`_block` (any number of rounds, for :func:`philox_raw`) takes each
64×64 → 128-bit product as one LLVM ``mul i128`` (a Numba intrinsic; Numba has no 128-bit integer
type), which stays scalar. :func:`_block10`, used by :func:`fill_pairs`, writes the ten rounds out
and forms each product from four 32×32 → 64-bit products (:func:`_mulhilo32`), which LLVM turns
into SIMD code across consecutive blocks (``vpmuludq``): about a third faster per word here. Both
are tested against ``numpy.random.Philox`` word for word.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from sgdtails.simulator._jit import jit, jit_inline

__all__ = ["fill_pairs", "philox_raw", "philox_uniform"]

_M0 = np.uint64(0xD2E7470EE14C6C93)
_M1 = np.uint64(0xCA5A826395121157)
_W0 = np.uint64(0x9E3779B97F4A7C15)
_W1 = np.uint64(0xBB67AE8584CAA73B)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
ROUNDS = 10
"""Rounds of Philox4x64 (NumPy's, Random123's default)."""


def _mulhilo_intrinsic(typingctx, a, b):  # noqa: ARG001 — Numba's intrinsic signature
    """(high, low) 64-bit words of the 128-bit product a·b: one LLVM ``mul i128`` (as NumPy's C does)."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64)

    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        lo = builder.trunc(product, ir.IntType(64))
        hi = builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [hi, lo])

    return sig, codegen


_mulhilo: Any = intrinsic(_mulhilo_intrinsic)  # called as _mulhilo(a, b) inside kernels


_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_M0_LO, _M0_HI = _M0 & _LOW32, _M0 >> _S32
_M1_LO, _M1_HI = _M1 & _LOW32, _M1 >> _S32


@jit_inline
def _mulhilo32(a_lo: np.uint64, a_hi: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:
    """(high, low) 64-bit words of a·b for a = a_hi·2³² + a_lo, from four exact 32×32-bit products.

    With b = b_hi·2³² + b_lo: the middle column (ll >> 32) + low32(lh) + low32(hl) < 3·2³² carries
    into the high word, which is hh + (lh >> 32) + (hl >> 32) + (middle >> 32) (no overflow: the
    product is below 2¹²⁸); the low word is middle·2³² + low32(ll) mod 2⁶⁴.
    """
    b_lo = b & _LOW32
    b_hi = b >> _S32
    ll = a_lo * b_lo
    lh = a_lo * b_hi
    hl = a_hi * b_lo
    hh = a_hi * b_hi
    mid = (ll >> _S32) + (lh & _LOW32) + (hl & _LOW32)
    return hh + (lh >> _S32) + (hl >> _S32) + (mid >> _S32), (mid << _S32) | (ll & _LOW32)


@jit_inline
def _round(c0: np.uint64, c1: np.uint64, c2: np.uint64, c3: np.uint64, k0: np.uint64,
           k1: np.uint64) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """One Philox4x64 round (module docstring) under the round key (k0, k1), SIMD-friendly products."""
    hi0, lo0 = _mulhilo32(_M0_LO, _M0_HI, c0)
    hi1, lo1 = _mulhilo32(_M1_LO, _M1_HI, c2)
    return hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0


@jit_inline
def _block10(c0: np.uint64, c1: np.uint64, c2: np.uint64, c3: np.uint64, k0: np.uint64,
             k1: np.uint64) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """Philox4x64-10 of the counter under the key: :func:`_block` with ten rounds, written out.

    A loop over the rounds (as in :func:`_block`) keeps LLVM from vectorising the caller's loop
    over blocks; ten explicit rounds let it.
    """
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0, k1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + _W0, k1 + _W1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + np.uint64(2) * _W0, k1 + np.uint64(2) * _W1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + np.uint64(3) * _W0, k1 + np.uint64(3) * _W1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + np.uint64(4) * _W0, k1 + np.uint64(4) * _W1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + np.uint64(5) * _W0, k1 + np.uint64(5) * _W1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + np.uint64(6) * _W0, k1 + np.uint64(6) * _W1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + np.uint64(7) * _W0, k1 + np.uint64(7) * _W1)
    c0, c1, c2, c3 = _round(c0, c1, c2, c3, k0 + np.uint64(8) * _W0, k1 + np.uint64(8) * _W1)
    return _round(c0, c1, c2, c3, k0 + np.uint64(9) * _W0, k1 + np.uint64(9) * _W1)


@jit_inline
def _block(c0: np.uint64, c1: np.uint64, c2: np.uint64, c3: np.uint64, k0: np.uint64, k1: np.uint64,
           rounds: int) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """Philox4x64-``rounds`` of the counter (c0, c1, c2, c3) under the key (k0, k1)."""
    for r in range(rounds):
        if r > 0:
            k0 = k0 + _W0
            k1 = k1 + _W1
        hi0, lo0 = _mulhilo(_M0, c0)
        hi1, lo1 = _mulhilo(_M1, c2)
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
    return c0, c1, c2, c3


@jit_inline
def _add_counter(c: np.ndarray, step: np.uint64) -> tuple[np.uint64, np.uint64, np.uint64, np.uint64]:
    """The 256-bit counter c (four little-endian 64-bit limbs) plus ``step``, with carries."""
    c0 = c[0] + step
    carry = _ONE if c0 < step else _ZERO
    c1 = c[1] + carry
    carry = _ONE if (carry == _ONE and c1 == _ZERO) else _ZERO
    c2 = c[2] + carry
    carry = _ONE if (carry == _ONE and c2 == _ZERO) else _ZERO
    c3 = c[3] + carry
    return c0, c1, c2, c3


_S53 = 1.0 / 9007199254740992.0  # 2⁻⁵³
_SHIFT = np.uint64(11)


@jit_inline
def _closed(x: np.uint64) -> float:
    """U = (x >> 11)·2⁻⁵³ ∈ [0, 1): NumPy's ``random()`` of a 64-bit word."""
    return float(x >> _SHIFT) * _S53


@jit_inline
def _open(x: np.uint64) -> float:
    """U° = ((x >> 11) + ½)·2⁻⁵³ ∈ (0, 1): never 0 or 1, for a logarithm."""
    return (float(x >> _SHIFT) + 0.5) * _S53


@jit_inline
def fill_pairs(k0: np.uint64, k1: np.uint64, stream: int, first: int, m: int, u: np.ndarray, v: np.ndarray) -> None:
    """Pairs ``first … first + m − 1`` of ``stream``: u[j] = U of raw word 2(first + j), v[j] = U° of word 2(first + j) + 1.

    Raw word j of stream s is word j mod 4 of Philox(counter (1 + ⌊j/4⌋, s, 0, 0), key (k0, k1)),
    i.e. ``numpy.random.Philox(key=k0 + 2⁶⁴k1, counter=s·2⁶⁴).random_raw`` (module docstring): one
    Philox block serves two consecutive pairs.
    """
    c1 = np.uint64(stream)
    z = _ZERO
    j = 0
    if first & 1 and m > 0:
        _, _, w2, w3 = _block10(np.uint64(first >> 1) + _ONE, c1, z, z, k0, k1)
        u[0] = _closed(w2)
        v[0] = _open(w3)
        j = 1
    q = np.uint64((first + j) >> 1) + _ONE
    blocks = (m - j) >> 1
    for i in range(blocks):
        w0, w1, w2, w3 = _block10(q + np.uint64(i), c1, z, z, k0, k1)
        jj = j + 2 * i
        u[jj] = _closed(w0)
        v[jj] = _open(w1)
        u[jj + 1] = _closed(w2)
        v[jj + 1] = _open(w3)
    j += 2 * blocks
    if j < m:
        w0, w1, _, _ = _block10(q + np.uint64(blocks), c1, z, z, k0, k1)
        u[j] = _closed(w0)
        v[j] = _open(w1)


@jit
def _fill_raw(key: np.ndarray, counter: np.ndarray, first: int, out: np.ndarray, rounds: int) -> None:
    """out[i] = raw word ``first + i`` of the stream (key, counter) (module docstring).

    A partial first block, then whole blocks written four words at a time, then a partial last one.
    """
    n = out.shape[0]
    k0, k1 = key[0], key[1]
    i = 0
    block = first // 4
    skip = first % 4
    if skip and n:
        c0, c1, c2, c3 = _add_counter(counter, np.uint64(block) + _ONE)
        w = _block(c0, c1, c2, c3, k0, k1, rounds)
        for word in range(skip, 4):
            if i < n:
                out[i] = w[word]
                i += 1
        block += 1
    while i + 4 <= n:
        c0, c1, c2, c3 = _add_counter(counter, np.uint64(block) + _ONE)
        w0, w1, w2, w3 = _block(c0, c1, c2, c3, k0, k1, rounds)
        out[i] = w0
        out[i + 1] = w1
        out[i + 2] = w2
        out[i + 3] = w3
        i += 4
        block += 1
    if i < n:
        c0, c1, c2, c3 = _add_counter(counter, np.uint64(block) + _ONE)
        w = _block(c0, c1, c2, c3, k0, k1, rounds)
        for word in range(n - i):
            out[i + word] = w[word]


@jit
def _raw_to_uniform(raw: np.ndarray, out: np.ndarray) -> None:
    """Doubles (x >> 11)·2⁻⁵³ ∈ [0, 1), NumPy's ``random()`` of a 64-bit generator."""
    for i in range(raw.shape[0]):
        out[i] = _closed(raw[i])


def _words(value: object, count: int, name: str) -> np.ndarray:
    """A non-negative integer (< 2^(64·count)) or ``count`` 64-bit words as little-endian uint64 limbs."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        v = int(value)
        if not 0 <= v < 2 ** (64 * count):
            raise ValueError(f"{name} must be in [0, 2^{64 * count}), got {value!r}")
        return np.array([(v >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(count)], dtype=np.uint64)
    arr = np.asarray(value)
    if arr.shape != (count,) or arr.dtype.kind not in "ui" or (arr.dtype.kind == "i" and np.any(arr < 0)):
        raise ValueError(f"{name} must be a non-negative integer or {count} unsigned 64-bit words, got {value!r}")
    return arr.astype(np.uint64)


def philox_raw(key: object, counter: object, n: int, *, first: int = 0, rounds: int = ROUNDS) -> np.ndarray:
    """Raw words ``first … first + n − 1`` of the Philox4x64 stream (``key``, ``counter``), as uint64.

    ``key`` is an integer < 2¹²⁸ or two 64-bit words, ``counter`` an integer < 2²⁵⁶ or four words
    (little-endian, as ``numpy.random.Philox`` takes them). With ``first = 0`` the result equals
    ``numpy.random.Philox(key=key, counter=counter).random_raw(n)``; any ``first`` gives the same
    words as skipping ``first`` words of that stream, without generating them.
    """
    k, c = _words(key, 2, "key"), _words(counter, 4, "counter")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer, got {n!r}")
    if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or not 0 <= first < 2**62:
        raise ValueError(f"first must be an integer in [0, 2^62), got {first!r}")
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or not 1 <= rounds <= 16:
        raise ValueError(f"rounds must be an integer in [1, 16], got {rounds!r}")
    out = np.empty(int(n), dtype=np.uint64)
    _fill_raw(k, c, int(first), out, int(rounds))
    return out


def philox_uniform(key: object, counter: object, n: int, *, first: int = 0) -> np.ndarray:
    """Uniform doubles in [0, 1) from raw words ``first …`` (``Generator(Philox(...)).random(n)`` at ``first = 0``)."""
    raw = philox_raw(key, counter, n, first=first)
    out = np.empty(raw.shape[0], dtype=np.float64)
    _raw_to_uniform(raw, out)
    return out
