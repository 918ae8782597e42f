"""Benchmark: the prune-ffn study — the paper preset's time estimated from a measured slice.

The pieces of the study are measured in this run, on the embedded 5,000-sample MNIST and the
paper's set-up (batch 64, Adam), then combined:

* one training epoch of each architecture (784-100-10, 784-300-100-10);
* one pruning step (selection + mask update) of every paper method on each architecture, with
  the paper preset's OBD settings;
* the number of steps each scheme takes to the paper preset's target (counted by running the
  schemes on a tiny net: counts depend on fractions only).

Estimate (CPU-seconds, then wall time on ``--workers`` parallel jobs): bases
``architectures × learning rates × base_epochs × epoch``, plus per run ``steps × (retrain_epochs
× epoch + step + 2 evaluations)``; ``--data-scale 15`` extrapolates to the full 60,000-image
MNIST (training scales; a step's selection does not: OBD reads ``obd_max_batches`` batches). The
demo preset end to end is timed by running the command itself (see the closing note):

    PYTHONPATH=. /usr/bin/time -v sparsescope study prune-ffn --preset demo --db /tmp/d.duckdb
    PYTHONPATH=. /work/main/.venv/bin/python benchmarks/bench_ffn_pruning_study.py
"""

from __future__ import annotations

import argparse
import copy
import time

import torch

from ingest.ffn_pruning_config import make_ffn_pruning_config
from ingest.ffn_pruning_training import (
    FFNPruningJob,
    _train_epoch,
    accuracy,
    build_model,
    load_data,
)
from models.feedforward import MaskedFeedForward
from models.pruning import PruningContext, PruningRun, create_pruning_method, create_pruning_scheme
from models.training import make_optimizer
from warehouse.records import StudyRecord


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-scale", type=float, default=15.0, help="15 = full MNIST")
    args = parser.parse_args()
    torch.set_num_threads(1)
    config = make_ffn_pruning_config("paper")
    data = load_data(config)
    study = StudyRecord(id="bench", kind="prune-ffn")
    epoch, step = {}, {}
    for hidden in config.architectures:
        job = FFNPruningJob(
            config=config, study=study, hidden=hidden, learning_rate=0.01, seed=0,
            method="random", scheme="percentage", base_dir="/tmp",
        )  # fmt: skip
        model = build_model(hidden, data, 0)
        optimizer = make_optimizer(model, 0.01)
        _train_epoch(model, data, optimizer, job, 0)  # warm-up, and a model worth pruning
        started = time.perf_counter()
        _train_epoch(model, data, optimizer, job, 1)
        epoch[hidden] = time.perf_counter() - started
        started = time.perf_counter()
        accuracy(model, data)
        evaluation = time.perf_counter() - started
        for method in config.methods:
            options = (
                {"hessian": config.obd_hessian, "max_batches": config.obd_max_batches}
                if method == "obd" else {}
            )  # fmt: skip
            copy_ = copy.deepcopy(model)
            run = PruningRun(
                copy_, create_pruning_method(method, **options),
                create_pruning_scheme("one_shot", amount=0.1),
                context=PruningContext(data=data.loader("train", batch_size=64), seed=0,
                                       input_shape=(data.in_features,)),
            )  # fmt: skip
            iterator = iter(run)
            next(iterator)
            started = time.perf_counter()
            next(iterator)
            step[(hidden, method)] = time.perf_counter() - started
        print(f"{hidden}: epoch {epoch[hidden]:.2f} s, evaluation {evaluation:.3f} s; steps: "
              + ", ".join(f"{m} {step[(hidden, m)]:.2f} s" for m in config.methods))  # fmt: skip
    steps = {s: _step_count(config, s) for s in config.schemes}
    print(f"steps to {config.target_sparsity:.0%}: {steps}")
    for scale in sorted({1.0, args.data_scale}):
        bases = sum(
            len(config.learning_rates) * config.base_epochs * epoch[h] * scale
            for h in config.architectures
        )
        runs = 0.0
        for hidden in config.architectures:
            for method in config.methods:
                selection = step[(hidden, method)]  # OBD reads obd_max_batches batches: fixed
                per_step = (
                    config.retrain_epochs * epoch[hidden] * scale + selection + 2 * evaluation
                )
                runs += len(config.learning_rates) * sum(steps.values()) * per_step
        total = bases + runs
        print(
            f"paper preset estimate (data scale {scale:g}): bases {bases / 3600:.2f} CPU-h, "
            f"runs {runs / 3600:.2f} CPU-h, total {total / 3600:.2f} CPU-h = "
            f"{total / 3600 / args.workers:.2f} h on {args.workers} workers (1 seed; x repeats)"
        )


def _step_count(config, scheme: str) -> int:
    net = MaskedFeedForward(20, [20], 10)
    schedule = create_pruning_scheme(scheme, **config.scheme_options(scheme))
    run = PruningRun(
        net, "random", schedule, target_sparsity=config.target_sparsity,
        max_steps=config.max_steps,
    )  # fmt: skip
    return sum(1 for record in run if record.step > 0)


if __name__ == "__main__":
    main()
