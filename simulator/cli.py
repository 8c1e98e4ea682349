"""``heavytails sample | prune | tail-index``: thin commands over the simulator API."""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from simulator.compressibility import SCHEMES, pruning_ratio
from simulator.elliptical import STRUCTURES, sample_weights
from simulator.tail_index import METHODS, tail_index

__all__ = ["bounded_int", "positive_int", "non_negative_int", "register"]


def bounded_int(low: int, what: str):
    """An argparse type: an int ≥ ``low`` (its error names the rule, argparse exits with 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a {what} integer, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be a {what} integer, got {text!r}")
        return value

    return parse


positive_int = bounded_int(1, "positive")
non_negative_int = bounded_int(0, "non-negative")


def _load(path: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path} is not a readable .npy array ({exc})") from exc


def _sample(args: argparse.Namespace) -> int:
    w = sample_weights(
        args.alpha, tuple(args.shape), structure=args.structure, scale=args.scale, seed=args.seed,
        dtype=np.float32 if args.float32 else np.float64,
    )
    out = Path(args.out)
    if not out.parent.is_dir():
        raise FileNotFoundError(f"directory does not exist: {out.parent}")
    np.save(out, w)
    print(f"wrote {out} shape={w.shape} alpha={args.alpha} structure={args.structure} seed={args.seed}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    w = _load(args.weights)
    ratio = pruning_ratio(w, args.eps, p=args.p, scheme=args.scheme)
    print(f"{ratio:.6f}")
    return 0


def _tail(args: argparse.Namespace) -> int:
    est = tail_index(_load(args.weights), method=args.method, block=args.block)
    print(f"{est.alpha:.6f}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the simulator's subcommands to the ``heavytails`` parser."""
    p = sub.add_parser("sample", help="draw a SαS weight array (iid | column | layer) to a .npy file")
    p.add_argument("--alpha", type=float, required=True, help="stability index α in (0, 2]")
    p.add_argument("--shape", type=int, nargs="+", required=True, help="array shape, e.g. 500 500")
    p.add_argument("--structure", choices=STRUCTURES, default="iid")
    p.add_argument("--scale", type=float, default=1.0, help="σ (entries are SαS(σ))")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--float32", action="store_true", help="store float32 instead of float64")
    p.add_argument("--out", required=True, help="output .npy path")
    p.set_defaults(func=_sample)

    p = sub.add_parser("prune", help="print the pruning ratio 1 − κ_p(w, ε) of a .npy array")
    p.add_argument("weights", help=".npy file")
    p.add_argument("--eps", type=float, default=0.1, help="relative error level ε (default 0.1)")
    p.add_argument("--p", type=float, default=2.0, help="exponent of the ℓp error (default 2)")
    p.add_argument("--scheme", choices=SCHEMES, default="magnitude")
    p.set_defaults(func=_prune)

    p = sub.add_parser("tail-index", help="print the estimated stability index α̂ of a .npy array")
    p.add_argument("weights", help=".npy file")
    p.add_argument("--method", choices=METHODS, default="mmo")
    p.add_argument("--block", type=int, default=None, help="K1 (MMO) or k (Hill); default: documented rule")
    p.set_defaults(func=_tail)
