"""``sgdtails sample | prune | tail-index``: thin commands over :mod:`sgdtails.simulator`.

``sample --out`` names the ``.npy`` file to write (``.npy`` is appended when missing, as
``numpy.save`` does); a path ending in a separator or naming a directory is refused. ``prune`` and
``tail-index`` read a ``.npy`` file without pickles: an empty, truncated or corrupted file, or a
directory, is one error line. Each command first estimates its memory and time
(:mod:`sgdtails.simulator.budget`) and refuses, in one line and before any work, a request beyond
this machine unless ``--force``.
"""
from __future__ import annotations

import argparse
import os
import pickle
import tokenize
import warnings
from pathlib import Path

from sgdtails.cli._args import add_force_flag, alpha, eps, non_negative_int, p_exponent, positive_int, refuse, scale
from sgdtails.simulator.vocabulary import SCHEMES, STRUCTURES, TAIL_METHODS

__all__ = ["register"]


_UNREADABLE = (ValueError, OSError, EOFError, SyntaxError, tokenize.TokenError, pickle.UnpicklingError, OverflowError,
               MemoryError)
"""What ``numpy.load`` raises on a file that is not a well-formed ``.npy`` array (damaged header, short data …)."""


def _load(path: str, args: argparse.Namespace, command: str, scheme: str = "magnitude"):
    """The array in the ``.npy`` file ``path``, after checking that working on it fits this machine."""
    import numpy as np

    from sgdtails.simulator.budget import loaded_array_estimate

    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{path} is a directory, not a .npy file")
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if p.stat().st_size == 0:
        raise ValueError(f"{path} is not a readable .npy array (the file is empty)")
    try:  # the header first (memory-mapped: nothing is read yet), so a huge array is refused before it is read
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            mapped = np.load(p, mmap_mode="r", allow_pickle=False)
    except _UNREADABLE as exc:
        raise ValueError(f"{path} is not a readable .npy array ({_reason(exc)})") from exc
    if not isinstance(mapped, np.ndarray):
        raise ValueError(f"{path} is not a .npy array (it holds {type(mapped).__name__})")
    refuse(args, loaded_array_estimate(mapped.shape, mapped.dtype.itemsize, command, scheme))
    try:
        return np.array(mapped)  # the same values and memory order numpy.load gives, in memory
    except _UNREADABLE as exc:
        raise ValueError(f"{path} is not a readable .npy array ({_reason(exc)})") from exc
    finally:
        mm = getattr(mapped, "_mmap", None)
        if mm is not None:
            mm.close()


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if isinstance(exc, tokenize.TokenError | SyntaxError):
        return f"its header cannot be parsed: {text}"
    return text or type(exc).__name__


def _out_path(text: str) -> Path:
    """The ``.npy`` path ``sample`` writes: ``--out`` with ``.npy`` appended if missing (never a directory)."""
    seps = tuple({os.sep, os.altsep or os.sep, "/"})
    if not text or text.endswith(seps) or Path(text).is_dir():
        raise ValueError(f"--out must name a .npy file, got the directory {text!r} (for example --out "
                         f"{os.path.join(text or '.', 'sample.npy')})")
    out = Path(text if text.endswith(".npy") else text + ".npy")  # as numpy.save names it
    if out.is_dir():
        raise ValueError(f"--out must name a .npy file, but {out} is a directory")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"directory does not exist: {out.parent}")
    return out


def _sample(args: argparse.Namespace) -> int:
    import io

    import numpy as np

    from sgdtails.simulator import sample_weights
    from sgdtails.simulator.budget import sample_estimate
    from sgdtails.simulator.records import write_bytes

    out = _out_path(args.out)
    dtype = np.float32 if args.float32 else np.float64
    refuse(args, sample_estimate(args.shape, np.dtype(dtype).itemsize, args.structure))
    w = sample_weights(args.alpha, tuple(args.shape), structure=args.structure, scale=args.scale, seed=args.seed,
                       dtype=dtype)
    buf = io.BytesIO()
    np.save(buf, w)
    write_bytes(out, buf.getvalue())
    print(f"wrote {out} shape={w.shape} alpha={args.alpha} structure={args.structure} seed={args.seed}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    w = _load(args.weights, args, "prune", args.scheme)
    from sgdtails.simulator import pruning_ratio

    print(f"{pruning_ratio(w, args.eps, p=args.p, scheme=args.scheme):.6f}")
    return 0


def _tail(args: argparse.Namespace) -> int:
    w = _load(args.weights, args, "tail-index")
    from sgdtails.simulator import tail_index

    print(f"{tail_index(w, method=args.method, block=args.block).alpha:.6f}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``sample``, ``prune`` and ``tail-index``."""
    p = sub.add_parser("sample", help="draw a SαS weight array (iid | column | layer) to a .npy file")
    p.add_argument("--alpha", type=alpha, required=True, help="stability index α in (0, 2]")
    p.add_argument("--shape", type=non_negative_int, nargs="+", required=True, help="array shape, e.g. 500 500")
    p.add_argument("--structure", choices=STRUCTURES, default="iid")
    p.add_argument("--scale", type=scale, default=1.0, help="σ > 0 (entries are SαS(σ))")
    p.add_argument("--seed", type=non_negative_int, default=0)
    p.add_argument("--float32", action="store_true", help="store float32 instead of float64")
    p.add_argument("--out", required=True, help="output .npy file (.npy appended if missing; not a directory)")
    add_force_flag(p)
    p.set_defaults(handler=_sample, parser=p)

    p = sub.add_parser("prune", help="print the pruning ratio 1 − κ_p(w, ε) of a .npy array")
    p.add_argument("weights", help=".npy file")
    p.add_argument("--eps", type=eps, default=0.1, help="relative error level ε >= 0 (default 0.1)")
    p.add_argument("--p", type=p_exponent, default=2.0, help="exponent p > 0 of the ℓp error (default 2)")
    p.add_argument("--scheme", choices=SCHEMES, default="magnitude")
    add_force_flag(p)
    p.set_defaults(handler=_prune, parser=p)

    p = sub.add_parser("tail-index", help="print the estimated stability index α̂ of a .npy array")
    p.add_argument("weights", help=".npy file")
    p.add_argument("--method", choices=TAIL_METHODS, default="mmo")
    p.add_argument("--block", type=positive_int, default=None,
                   help="K1 (MMO) or k (Hill); default: the documented rule")
    add_force_flag(p)
    p.set_defaults(handler=_tail, parser=p)
