"""``sgdtails sample | prune | tail-index``: thin commands over :mod:`sgdtails.simulator`."""
from __future__ import annotations

import argparse
from pathlib import Path

from sgdtails.cli._args import alpha, eps, non_negative_int, p_exponent, positive_int, scale
from sgdtails.simulator.vocabulary import SCHEMES, STRUCTURES, TAIL_METHODS

__all__ = ["register"]


def _load(path: str):
    import numpy as np

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path} is not a readable .npy array ({exc})") from exc


def _sample(args: argparse.Namespace) -> int:
    import io

    import numpy as np

    from sgdtails.simulator import sample_weights
    from sgdtails.simulator.records import write_bytes

    out = Path(args.out if args.out.endswith(".npy") else args.out + ".npy")  # as numpy.save names it
    if not out.parent.is_dir():
        raise FileNotFoundError(f"directory does not exist: {out.parent}")
    w = sample_weights(args.alpha, tuple(args.shape), structure=args.structure, scale=args.scale, seed=args.seed,
                       dtype=np.float32 if args.float32 else np.float64)
    buf = io.BytesIO()
    np.save(buf, w)
    write_bytes(out, buf.getvalue())
    print(f"wrote {out} shape={w.shape} alpha={args.alpha} structure={args.structure} seed={args.seed}")
    return 0


def _prune(args: argparse.Namespace) -> int:
    w = _load(args.weights)
    from sgdtails.simulator import pruning_ratio

    print(f"{pruning_ratio(w, args.eps, p=args.p, scheme=args.scheme):.6f}")
    return 0


def _tail(args: argparse.Namespace) -> int:
    w = _load(args.weights)
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
    p.add_argument("--out", required=True, help="output .npy path")
    p.set_defaults(handler=_sample, parser=p)

    p = sub.add_parser("prune", help="print the pruning ratio 1 − κ_p(w, ε) of a .npy array")
    p.add_argument("weights", help=".npy file")
    p.add_argument("--eps", type=eps, default=0.1, help="relative error level ε >= 0 (default 0.1)")
    p.add_argument("--p", type=p_exponent, default=2.0, help="exponent p > 0 of the ℓp error (default 2)")
    p.add_argument("--scheme", choices=SCHEMES, default="magnitude")
    p.set_defaults(handler=_prune, parser=p)

    p = sub.add_parser("tail-index", help="print the estimated stability index α̂ of a .npy array")
    p.add_argument("weights", help=".npy file")
    p.add_argument("--method", choices=TAIL_METHODS, default="mmo")
    p.add_argument("--block", type=positive_int, default=None,
                   help="K1 (MMO) or k (Hill); default: the documented rule")
    p.set_defaults(handler=_tail, parser=p)
