"""Benchmark: sparse inference against the masked dense network it came from.

Model: a masked MLP 784 -> 2048 -> 2048 -> 10 (ReLU) with random unstructured masks at 90 % and
98 % zeros (the paper's ξ = 0.10 and 0.02) in every layer, batch 1 and batch 256.
``to_sparse_inference(strategy="auto", batch_size=batch)`` picks CSR or dense per layer. Also
shown: the same weights in plain ``nn.Linear`` layers (no mask multiply), the fairest dense
baseline. Runs are interleaved; medians are reported.

    /work/venv/bin/python benchmarks/bench_sparse_inference.py [--threads N] [--repeats R]

Target: >= 2x faster than the masked dense network at 98 % zeros, batch 1.
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

from models.feedforward import MaskedFeedForward
from models.sparse_inference import compare_inference, to_sparse_inference

WIDTHS = [784, 2048, 2048, 10]
TARGET = 2.0


def masked_mlp(zeros: float) -> MaskedFeedForward:
    torch.manual_seed(0)
    model = MaskedFeedForward(WIDTHS[0], WIDTHS[1:-1], WIDTHS[-1])
    model.set_masks([torch.rand(layer.weight.shape) >= zeros for layer in model.layers])
    return model.eval()


def plain_copy(model: MaskedFeedForward) -> nn.Sequential:
    layers: list[nn.Module] = []
    for layer in model.layers:
        layers += [layer.to_linear(), nn.ReLU()]
    return nn.Sequential(*layers[:-1]).eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"masked MLP {' -> '.join(map(str, WIDTHS))}, threads {args.threads}")
    header = (
        f"{'zeros':>6}{'batch':>6}{'masked ms':>11}{'plain ms':>10}{'sparse ms':>11}"
        f"{'vs masked':>11}{'vs plain':>10}{'memory':>8}{'max |diff|':>12}  layers"
    )
    print(header)
    verdicts = []
    for zeros in (0.90, 0.98):
        model = masked_mlp(zeros)
        plain = plain_copy(model)
        for batch in (1, 256):
            x = torch.randn(batch, WIDTHS[0])
            sparse = to_sparse_inference(model, strategy="auto", batch_size=batch)
            masked = compare_inference(model, sparse, x, repeats=args.repeats)
            against_plain = compare_inference(plain, sparse, x, repeats=args.repeats)
            kinds = ",".join(choice.kind for choice in sparse.choices)
            print(
                f"{zeros:>6.0%}{batch:>6}{masked.dense_ms:>11.3f}{against_plain.dense_ms:>10.3f}"
                f"{masked.sparse_ms:>11.3f}{masked.speedup:>10.1f}x"
                f"{against_plain.speedup:>9.1f}x{masked.memory_ratio:>7.1f}x"
                f"{masked.max_abs_diff:>12.1e}  {kinds}"
            )
            if zeros == 0.98 and batch == 1:
                verdicts.append(masked.speedup)
    speedup = verdicts[0]
    verdict = "meets" if speedup >= TARGET else "MISSES"
    print("vs masked / vs plain: speed-up of sparse inference; memory: masked bytes / sparse bytes")
    print(f"98 % zeros, batch 1: {speedup:.1f}x {verdict} the target >= {TARGET}x")


if __name__ == "__main__":
    main()
