"""Benchmark: one recurrent pruning sweep (10 steps, no re-training) vs one training epoch.

Model: the paper's base model (embedding → 3 recurrent layers of 50 → linear) of one cell on
the paper-sized Reber data (25,000 distinct sequences, 75/25; ``--sequences`` to shrink).
Baseline: one training epoch (Adam 1e-3, batch 32) of that model, timed in the same run. Then
one :func:`ingest.rnn_pruning.prune_sweep` over ``p = 10 … 100`` with target ``both`` and no
re-training — per step: reload the base state, the percentile rule, a test-split evaluation
— as a ratio to the epoch, and the percentile rule alone (10 calls) as a ratio too.

    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/bench_rnn_prune.py [--cell lstm]
        [--sequences 25000] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

from ingest.reber_encoding import sequence_batches
from ingest.rnn_pruning import build_model, load_rnn_data, prune_sweep
from ingest.rnn_pruning_config import make_rnn_pruning_config
from models.pruning import prune_by_percentile
from models.training import make_optimizer, train_epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--sequences", type=int, default=25_000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = make_rnn_pruning_config("paper", sequences=args.sequences)
    start = time.perf_counter()
    data = load_rnn_data(config, seed=0)
    data_seconds = time.perf_counter() - start
    torch.manual_seed(0)
    model = build_model(args.cell, config)
    optimizer = make_optimizer(model, config.learning_rate)
    order = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    train_epoch(
        model, sequence_batches(data.train, config.batch_size, order), optimizer, clip=config.clip
    )
    epoch = time.perf_counter() - start
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    start = time.perf_counter()
    sweep = prune_sweep(
        state, args.cell, "both", config.percents, data, config, retrain_epochs=(0,)
    )
    sweep_seconds = time.perf_counter() - start

    start = time.perf_counter()
    for percent in config.percents:
        model.load_state_dict(state)
        prune_by_percentile(model, percent, target="both")
    rule_seconds = time.perf_counter() - start

    weights = sum(
        getattr(layer, m).numel() for layer in model.body.layers for m in ("weight_ih", "weight_hh")
    )
    print(
        f"cell {args.cell}, 3 x 50, {weights} recurrent weights; data: {len(data.train[2])} train"
        f" / {len(data.test[2])} test sequences ({data_seconds:.1f} s to draw and encode); "
        f"threads {args.threads}"
    )
    print(f"one training epoch:               {epoch:8.2f} s  (baseline, 1.00)")
    print(
        f"one sweep, 10 steps, no retrain:  {sweep_seconds:8.2f} s  ({sweep_seconds / epoch:.2f})"
    )
    print(f"  of which the percentile rule:   {rule_seconds:8.3f} s  ({rule_seconds / epoch:.4f})")
    print("accuracy after each step (base trained one epoch):",
          [round(r.accuracy_before, 3) for r in sweep.records])  # fmt: skip


if __name__ == "__main__":
    main()
