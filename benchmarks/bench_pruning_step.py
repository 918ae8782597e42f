"""Benchmark: a pruning step per method, OBD's Hessian diagonal, and the realised sparse model.

Model: the paper's ReLU feed-forward net 784 -> 300 -> 100 -> 10 (266,200 prunable weights) on
the embedded 5,000-sample MNIST (4,000 training images, batch 64, SGD at lr 0.01 — the
paper's grid). Baseline: one training epoch, timed in the same run. Then:

1. one pruning step (selection + mask update, 10 % of the weights) for every registered
   method, as a ratio to the epoch (OBD and SNIP see the whole training set; SynFlow runs its
   default 100 rounds);
2. OBD's Hessian diagonal alone: Gauss–Newton (default) measured, exact estimated from one
   measured chunk of double-backward products (it needs one per weight);
3. the realised model (``to_sparse_inference``, strategy auto) after 90 % and 98 %
   class-blinded pruning against the masked dense network, batch 1 and 256.

    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/bench_pruning_step.py [--threads N]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time

import torch
import torch.nn.functional as F

from ingest.datasets import create_dataset
from models.feedforward import MaskedFeedForward
from models.pruning import (
    PruningContext,
    create_pruning_method,
    gauss_newton_diagonal,
    list_pruning_methods,
    prunable_parameters,
    prune,
)
from models.sparse_inference import compare_inference, to_sparse_inference


def train_epoch(model, loader, optimizer) -> None:
    model.train()
    for inputs, labels in loader:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(inputs), labels).backward()
        optimizer.step()


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def exact_diagonal_estimate(model, inputs, labels) -> tuple[float, int]:
    """Seconds for one chunk of the exact diagonal on the whole training set, and chunks."""
    params = [t.tensor for t in prunable_parameters(model)]
    entries = sum(p.numel() for p in params)
    chunk = max(1, min(256, 2**22 // entries))  # as exact_hessian_diagonal chooses
    loss = F.cross_entropy(model(inputs), labels)
    grads = torch.autograd.grad(loss, params, create_graph=True)
    flat = torch.cat([g.reshape(-1) for g in grads])
    basis = torch.zeros(chunk, entries)
    basis[torch.arange(chunk), torch.arange(chunk)] = 1.0
    seconds = timed(
        lambda: torch.autograd.grad(
            flat, params, grad_outputs=basis, retain_graph=True, is_grads_batched=True
        )
    )
    return seconds, -(-entries // chunk)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--epochs", type=int, default=3, help="timed baseline epochs")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    data = create_dataset("mnist", seed=0)
    loader = data.loader("train", batch_size=64, shuffle=True, seed=0)
    torch.manual_seed(0)
    model = MaskedFeedForward(784, [300, 100], 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    epochs = [timed(lambda: train_epoch(model, loader, optimizer)) for _ in range(args.epochs)]
    epoch = statistics.median(epochs)
    print(f"threads {args.threads}; one training epoch (4000 images, batch 64): {epoch:.3f} s")

    context_data = list(data.loader("train", batch_size=500))
    print(f"\n{'method':<30}{'step s':>10}{'x epoch':>10}")
    for name in list_pruning_methods():
        net = copy.deepcopy(model)
        context = PruningContext(data=context_data, seed=0)
        method = create_pruning_method(name)
        seconds = timed(
            lambda net=net, method=method, context=context: prune(net, method, 0.1, context=context)
        )
        print(f"{name:<30}{seconds:>10.3f}{seconds / epoch:>10.2f}")

    net = copy.deepcopy(model)
    params = [t.tensor for t in prunable_parameters(net)]
    gn = timed(lambda: gauss_newton_diagonal(net, params, context_data, F.cross_entropy))
    chunk_seconds, chunks = exact_diagonal_estimate(net, data.train_inputs, data.train_labels)
    exact = chunk_seconds * chunks
    print(f"\nOBD Hessian diagonal, whole training set ({len(data.train_labels)} images):")
    print(f"  gauss-newton (measured)   {gn:10.2f} s = {gn / epoch:8.1f} epochs")
    print(
        f"  exact (estimated)         {exact:10.0f} s = {exact / epoch:8.0f} epochs "
        f"({chunks} chunks x {chunk_seconds:.3f} s)"
    )

    print(
        f"\n{'pruned':>7}{'batch':>6}{'masked ms':>11}{'sparse ms':>11}{'speedup':>9}"
        f"{'memory':>8}{'max |diff|':>12}  layers"
    )
    for amount in (0.90, 0.98):
        net = prune(copy.deepcopy(model), "magnitude_class_blinded", amount).eval()
        for batch in (1, 256):
            x = data.test_inputs[:batch]
            sparse = to_sparse_inference(net, strategy="auto", batch_size=batch)
            report = compare_inference(net, sparse, x, repeats=30)
            kinds = ",".join(choice.kind for choice in sparse.choices)
            print(
                f"{amount:>7.0%}{batch:>6}{report.dense_ms:>11.3f}{report.sparse_ms:>11.3f}"
                f"{report.speedup:>8.1f}x{report.memory_ratio:>7.1f}x{report.max_abs_diff:>12.2e}"
                f"  {kinds}"
            )


if __name__ == "__main__":
    main()
