"""Packed vs one-at-a-time training of priors-study networks (issue 13).

    python benchmarks/bench_packed_training.py [--graphs 12] [--sequences 2000] [--workers 1,2]

Takes the paper preset's graph mix (BA and WS graphs, n in [10, 50], the preset's own seeds)
— ``--graphs`` graphs, half of each generator, every one under all four cells (48 networks by
default) — and trains each network for one epoch on ``--sequences`` distinct Reber strings
with the paper's length range (a measured slice of the 25,000), once packed
(:func:`ingest.packed_training.train_pack` over :func:`plan_packs`'s automatic packs) and once
alone (:func:`ingest.priors_training.train_priors_network`). Packed and alone runs are
interleaved pack by pack (1 worker) or round by round (a pool of W worker processes, one
torch thread each), so the machine's load hits both alike; the ratios come from the same run.

Reports network-epochs per second (training plus the per-epoch train/test evaluation), the
speed-up, each worker's peak RSS (``resource.getrusage``), and the paper preset's estimated
end-to-end training time (800 networks x 15 epochs on 25,000 strings), scaled linearly from the
slice (the work per epoch is linear in the number of sequences). A 1-epoch slice of 2,000
strings sees most padded lengths once, so it includes the sweep's first-sight costs (buffer
growth, per-step views) that a 15-epoch run amortises: its estimate is an upper one; the
end-to-end slices in docs/results.md are the better estimate.

Last measured 2 December 2026, 04:15 UTC (load average 5-9, two other sessions running):
1 worker 2.33 alone / 6.69 packed network-epochs/s (2.86x; tanh 3.09x, ReLU 3.42x, LSTM
3.05x, GRU 2.44x), 2 workers 3.74 / 7.41 (1.98x); worker peak RSS 404 MiB packed, 411 MiB
alone; at 04:32 (load 6-8) 3.78 / 8.53 (2.26x) and 2.16 / 7.28 (3.38x): under such load the
ratios move by +-50% between runs. Earlier that day at load 2.8-3.4: 10.10 / 22.78 (2.26x)
and 9.71 / 20.30 (2.09x).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from collections import defaultdict

import torch

from ingest.packed_training import plan_packs, train_pack
from ingest.priors_config import make_config
from ingest.priors_study import plan_priors_study
from ingest.priors_training import PriorsJob, _encoded_dataset, train_priors_network
from warehouse.records import StudyRecord

PAPER_NETWORKS, PAPER_EPOCHS, PAPER_SEQUENCES = 800, 15, 25_000


def slice_jobs(graphs: int, sequences: int) -> list[PriorsJob]:
    """``graphs`` graphs of the paper preset (half BA, half WS) under every cell."""
    config = make_config("paper", sequences=sequences, epochs=1)
    study = StudyRecord(id="bench", kind="priors")
    plan = plan_priors_study(config)
    specs: dict[str, list] = defaultdict(list)
    for spec, cell in plan:
        if cell == config.cells[0]:
            specs[spec.generator].append(spec)
    chosen = [s for gen in config.generators for s in specs[gen][: graphs // 2]]
    return [PriorsJob(s, cell, config, study) for cell in config.cells for s in chosen]


def _init_worker(config) -> None:
    torch.set_num_threads(1)
    _encoded_dataset(config)  # data generation is not training time


def _packed(jobs: list[PriorsJob]) -> tuple[float, int]:
    start = time.perf_counter()
    train_pack(jobs)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _alone(jobs: list[PriorsJob]) -> tuple[float, int]:
    start = time.perf_counter()
    for job in jobs:
        train_priors_network(job)
    return time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def one_worker(packs) -> dict[str, dict[str, float]]:
    """Per cell: seconds packed and alone, interleaved pack by pack in this process."""
    seconds: dict[str, dict[str, float]] = defaultdict(lambda: {"packed": 0.0, "alone": 0.0})
    warmed = set()
    for pack in packs:
        if pack[0].cell not in warmed:  # first calls of a cell (allocator, kernels) untimed
            warmed.add(pack[0].cell)
            _packed(pack[:2])
            _alone(pack[:1])
        seconds[pack[0].cell]["packed"] += _packed(pack)[0]
        seconds[pack[0].cell]["alone"] += _alone(pack)[0]
    return seconds


def pool_rounds(packs, workers: int, config, rounds: int = 2):
    """Wall seconds of the whole slice packed and alone on ``workers`` processes (alternating
    rounds, each mode ``rounds // 2`` times), and the workers' peak RSS in each mode."""
    wall = {"packed": 0.0, "alone": 0.0}
    rss = {"packed": 0, "alone": 0}
    # largest packs first, so the pool's tail is short (the same order for both modes)
    order = sorted(packs, key=lambda p: -sum(j.spec.n for j in p) * len(p))
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_init_worker, initargs=(config,)) as pool:
        pool.map(_packed, [p[:2] for p in packs[:: max(1, len(packs) // workers)]])  # warm-up
        for index in range(rounds):
            mode = "packed" if index % 2 == 0 else "alone"
            task = _packed if mode == "packed" else _alone
            start = time.perf_counter()
            results = pool.map(task, order, chunksize=1)
            wall[mode] += time.perf_counter() - start
            rss[mode] = max(rss[mode], *(r[1] for r in results))
    return wall, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--graphs", type=int, default=12, help="graphs (x 4 cells)")
    parser.add_argument("--sequences", type=int, default=2000, help="Reber strings in the slice")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure")
    args = parser.parse_args()
    torch.set_num_threads(1)
    jobs = slice_jobs(args.graphs, args.sequences)
    config = jobs[0].config
    packs = plan_packs(jobs)
    _encoded_dataset(config)
    scale = PAPER_SEQUENCES / args.sequences
    print(
        f"slice: {len(jobs)} networks ({args.graphs} graphs x 4 cells), 1 epoch on "
        f"{args.sequences} strings; {len(packs)} automatic packs of sizes "
        f"{sorted(len(p) for p in packs)}"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        if workers == 1:
            seconds = one_worker(packs)
            print("1 worker (interleaved pack by pack):")
            total = {"packed": 0.0, "alone": 0.0}
            for cell, pair in seconds.items():
                count = sum(len(p) for p in packs if p[0].cell == cell)
                total["packed"] += pair["packed"]
                total["alone"] += pair["alone"]
                print(
                    f"  {cell:5s} {count / pair['alone']:6.2f} alone, "
                    f"{count / pair['packed']:6.2f} packed network-epochs/s "
                    f"-> {pair['alone'] / pair['packed']:.2f}x"
                )
            wall = total
            rss = {"packed": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "alone": 0}
        else:
            wall, rss = pool_rounds(packs, workers, config)
            print(f"{workers} workers (alternating rounds):")
        for mode in ("alone", "packed"):
            rate = len(jobs) / wall[mode]
            hours = PAPER_NETWORKS * PAPER_EPOCHS * scale / rate / 3600
            print(
                f"  {mode:6s} {rate:6.2f} network-epochs/s on {args.sequences} strings; "
                f"paper preset estimate {hours:5.2f} h"
                + (f"; worker peak RSS {rss[mode] / 1024:.0f} MiB" if rss[mode] else "")
            )
        print(f"  speed-up packed / alone: {wall['alone'] / wall['packed']:.2f}x")


if __name__ == "__main__":
    main()
