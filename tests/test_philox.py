"""Philox4x64-10 in Numba (simulator/_philox.py): bit for bit against NumPy and Random123's known answers."""
import numpy as np
import pytest

from sgdtails.simulator._philox import philox_raw, philox_uniform

U64 = 2**64 - 1
# Random123's known-answer vectors for philox4x64-10 (tests/kat_vectors): counter, key -> block.
KAT = [
    ((0, 0, 0, 0), (0, 0), (0x16554D9ECA36314C, 0xDB20FE9D672D0FDC, 0xD7E772CEE186176B, 0x7E68B68AEC7BA23B)),
    ((U64, U64, U64, U64), (U64, U64), (0x87B092C3013FE90B, 0x438C3C67BE8D0224, 0x9CC7D7C69CD777B6, 0xA09CAEBF594F0BA0)),
]
# Keys and counters: zero, small, all ones, and counters whose +1 carries across 64-bit limbs.
CASES = [(0, 0), (20211206, 7), (2**128 - 1, 2**64 - 3), ((1 << 70) + 5, (1 << 200) + 2**64 - 2),
         (99, 2**128 - 1), (12345, 2**256 - 3)]


def _int(words):
    return sum(int(w) << (64 * i) for i, w in enumerate(words))


@pytest.mark.parametrize(("counter", "key", "block"), KAT)
def test_known_answers(counter, key, block):
    # Word j of the stream is word j mod 4 of Philox(counter + 1 + j // 4): start one below.
    start = (_int(counter) - 1) % 2**256
    assert [int(x) for x in philox_raw(_int(key), start, 4)] == list(block)
    # Negative control: nine rounds is a different function.
    assert [int(x) for x in philox_raw(_int(key), start, 4, rounds=9)] != list(block)


@pytest.mark.parametrize(("key", "counter"), CASES)
def test_raw_words_equal_numpy_philox(key, counter):
    ref = np.random.Philox(key=key, counter=counter).random_raw(1001)
    got = philox_raw(key, counter, 1001)
    assert got.dtype == np.uint64 and np.array_equal(got, ref)
    # Word arrays are accepted as NumPy takes them (little-endian limbs).
    words = np.array([(counter >> (64 * i)) & U64 for i in range(4)], dtype=np.uint64)
    assert np.array_equal(philox_raw(key, words, 9), ref[:9])
    # Controls: another key, or a counter one off, gives other words.
    assert not np.array_equal(philox_raw((key + 1) % 2**128, counter, 8), ref[:8])
    assert not np.array_equal(philox_raw(key, (counter + 1) % 2**256, 8), ref[:8])


@pytest.mark.parametrize(("key", "counter"), CASES[:3])
def test_uniforms_equal_numpy_generator(key, counter):
    ref = np.random.Generator(np.random.Philox(key=key, counter=counter)).random(513)
    got = philox_uniform(key, counter, 513)
    assert np.array_equal(got, ref) and got.min() >= 0.0 and got.max() < 1.0


def test_any_block_without_the_words_before_it():
    ref = philox_raw(7, 11, 4099)
    for first, n in [(0, 1), (1, 3), (3, 5), (4, 4), (1023, 1000), (4098, 1)]:
        assert np.array_equal(philox_raw(7, 11, n, first=first), ref[first:first + n])
    # Any split of a range is the same words: chunking never changes a value.
    cuts = [0, 5, 6, 1000, 2047, 4099]
    parts = [philox_raw(7, 11, b - a, first=a) for a, b in zip(cuts, cuts[1:])]
    assert np.array_equal(np.concatenate(parts), ref)
    # Far into the stream: word 4·10^12 + 2 is word 2 of the block at counter + 10^12 + 1.
    far = philox_raw(7, 11, 2, first=4 * 10**12 + 2)
    assert np.array_equal(far, np.random.Philox(key=7, counter=11 + 10**12).random_raw(4)[2:])


@pytest.mark.parametrize(
    "kwargs",
    [dict(key=-1, counter=0, n=1), dict(key=2**128, counter=0, n=1), dict(key=0, counter=2**256, n=1),
     dict(key=0, counter=0, n=-1), dict(key=0, counter=0, n=1.5), dict(key=0, counter=[1, 2], n=1),
     dict(key=0, counter=0, n=1, first=-1), dict(key=0, counter=0, n=1, rounds=0), dict(key=True, counter=0, n=1)],
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        philox_raw(**kwargs)
