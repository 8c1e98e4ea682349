"""How often ``sgdtails.analyze`` diagnoses synthetic layers right (not a speed benchmark).

The accuracy quoted in :mod:`sgdtails.realnets.diagnose` and the README: i.i.d. and ``column``
SαS layers at α ∈ {1.5, 1.8}, shapes 256 × 128 and 128 × 256, ``--seeds`` matrices each (matrix
seed 10 + s, reference seed s, references = 4, α̂ estimated from the layer), each analysed as the
first layer of a two-layer state_dict. Prints right / ambiguous / none / wrong counts per case, and
how often the likelihood alone (``closest``) was right.

    python benchmarks/diagnose_accuracy.py [--seeds 20]
"""
from __future__ import annotations

import argparse
from collections import Counter

import torch

import sgdtails as st
from sgdtails.simulator import sample_weights


def _diagnosis(w, seed: int) -> tuple[str, str]:  # noqa: ANN001
    last = sample_weights(1.9, (10, w.shape[0]), seed=99)
    df = st.analyze({"test.weight": torch.from_numpy(w), "head.weight": torch.from_numpy(last)}, references=4,
                    seed=seed)
    row = df.iloc[0]
    return str(row["diagnosis"]), str(row["closest"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    print("| α | shape | structure | right | ambiguous | none | wrong | likelihood alone right |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for alpha in (1.5, 1.8):
        for shape in ((256, 128), (128, 256)):
            for structure in ("iid", "column"):
                got, closest = Counter(), 0
                for s in range(args.seeds):
                    d, c = _diagnosis(sample_weights(alpha, shape, structure=structure, seed=10 + s), s)
                    got["right" if d == structure else d if d in ("ambiguous", "none") else "wrong"] += 1
                    closest += c == structure
                print(f"| {alpha} | {shape[0]}×{shape[1]} | {structure} | {got['right']} | {got['ambiguous']} | "
                      f"{got['none']} | {got['wrong']} | {closest} |")


if __name__ == "__main__":
    main()
