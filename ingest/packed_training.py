"""Train a pack of priors-study networks together (``--pack K``), each as if alone.

:func:`train_pack` takes K jobs of the priors study (same cell, same config) and returns, per
network, the record :func:`ingest.priors_training.train_priors_network` returns for it alone:
each network is initialised under its own seed (the same :func:`build_classifier` call),
shuffles the training set with its own generator seeded by its name, is clipped by its own
gradient norm and measured on the same train/test evaluation after every epoch. The K
networks run as one :class:`~models.packed_rnn.PackedClassifiers` model, which removes the
fixed per-step cost that dominates training of such tiny networks.

:func:`plan_packs` groups jobs into packs by a documented size rule (:data:`PACK_VERTEX_BUDGET`),
networks of similar depth together: a pack sweeps ``time + depth - 1`` steps for its deepest
network, so a shallow network packed with a deep one would idle through the difference.
A pack of one is today's path (:func:`train_priors_network` itself).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

import torch
import torch.nn.functional as F

from ingest.generators import GraphSpec
from ingest.priors_training import (
    PriorsJob,
    _encoded_dataset,
    _job_seed,
    build_classifier,
    job_result,
    priors_record,
    train_priors_network,
)
from ingest.reber_encoding import PAD_ID, sequence_batches
from ingest.study_driver import JobPack, JobResult
from models.dag import layered_dag
from models.packed_rnn import PackedClassifiers
from models.packed_steps import evaluate_pack, train_pack_step
from models.training import make_optimizer
from warehouse.records import Metric, NetworkRecord

__all__ = [
    "PACK_MAX_NETWORKS",
    "PACK_VERTEX_BUDGET",
    "eval_batch_size",
    "network_depth",
    "plan_packs",
    "run_priors_pack",
    "train_pack",
]

# Automatic pack size: fill a pack with jobs (in order) while its total vertex count stays
# within PACK_VERTEX_BUDGET and it holds at most PACK_MAX_NETWORKS networks. The pack's
# weights are compact (only connected entries), but its sweep buffers grow with the merged
# neuron count: on 24 paper-preset graphs, packs of about 700 neurons trained 1.4x (GRU) and
# 1.5x (tanh) fewer network-steps per second than packs within 400 (docs/results.md, issue 13); see
# benchmarks/bench_packed_training.py for the measurements behind these values.
PACK_VERTEX_BUDGET = 400
PACK_MAX_NETWORKS = 16
# Sequences per evaluation batch of a pack: about EVAL_STATES neuron states per batch column
# block keeps the sweep's buffers in cache. Measured on 12-network packs (346 neurons, CPU
# time of one train + test evaluation on 4,000 strings): GRU 0.33 s at batch 32, 0.34 s at
# 64, 0.47 s at 128; LSTM 0.46 s at 32, 0.57 s at 128; tanh and ReLU within 0.03 s of each
# other from 32 to 256 (batches of 512 had taken 6x as long as 128 before).
EVAL_STATES = 8_192


def plan_packs(
    jobs: Sequence[PriorsJob],
    *,
    pack: int | None = None,
    vertex_budget: int = PACK_VERTEX_BUDGET,
) -> list[list[PriorsJob]]:
    """Group jobs into packs of one cell each, in order of network depth within a cell
    (jobs of equal depth keep their order).

    Parameters
    ----------
    jobs:
        The study's jobs (any mix of cells; a pack never mixes cells).
    pack:
        Networks per pack: ``1`` trains every network alone (today's behaviour); an integer
        ``K`` makes packs of ``K``; None (automatic) fills each pack while its total vertex
        count stays within ``vertex_budget`` and it holds at most :data:`PACK_MAX_NETWORKS`.
    vertex_budget:
        Total graph vertices per automatic pack (a single larger graph gets a pack alone).

    Raises
    ------
    ValueError
        If ``pack`` or ``vertex_budget`` is not a positive integer.
    """
    for name, value in (("pack", pack), ("vertex_budget", vertex_budget)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 1
        ):
            raise ValueError(
                f"The {name!r} parameter of plan_packs must be a positive integer"
                f"{' or None' if name == 'pack' else ''}. Got {value!r} instead."
            )
    by_cell: dict[str, list[PriorsJob]] = {}
    for job in jobs:
        by_cell.setdefault(job.cell, []).append(job)
    depths: dict[str, int] = {}  # by graph: every cell of a graph has its depth
    for job in jobs:
        if job.spec.key not in depths:
            depths[job.spec.key] = network_depth(job.spec)
    for cell_jobs in by_cell.values():  # similar depths together (stable: ties keep order)
        cell_jobs.sort(key=lambda job: depths[job.spec.key])
    packs: list[list[PriorsJob]] = []
    for cell_jobs in by_cell.values():
        current: list[PriorsJob] = []
        vertices = 0
        for job in cell_jobs:
            full = (
                len(current) >= pack
                if pack is not None
                else current
                and (vertices + job.spec.n > vertex_budget or len(current) >= PACK_MAX_NETWORKS)
            )
            if full:
                packs.append(current)
                current, vertices = [], 0
            current.append(job)
            vertices += job.spec.n
        if current:
            packs.append(current)
    return packs


def train_pack(jobs: Sequence[PriorsJob], *, products: str | None = None) -> list[NetworkRecord]:
    """Train the jobs' networks together; one record per job, in order.

    Every record has the fields, metrics (train/test loss and accuracy per epoch, then
    ``wall_time``) and attributes of :func:`train_priors_network`'s record for that job, with
    the values it would get alone up to float summation order. ``wall_time`` is the pack's
    wall time (the network trained for all of it), and the attribute ``pack_size`` says how
    many networks shared it. A single job goes through :func:`train_priors_network` itself.

    Parameters
    ----------
    jobs:
        Jobs of one cell and one config (see :func:`plan_packs`).
    products:
        Force the merged plan's product mode (see :class:`PackedClassifiers`); None lets
        the plan choose.

    Raises
    ------
    ValueError
        If ``jobs`` is empty or mixes cells or configs.
    """
    jobs = list(jobs)
    if not jobs:
        raise ValueError("The 'jobs' parameter of train_pack must hold at least one job.")
    for job in jobs[1:]:
        if job.cell != jobs[0].cell or job.config != jobs[0].config:
            raise ValueError(
                "The 'jobs' parameter of train_pack must hold jobs of one cell and one config; "
                f"{jobs[0].name!r} and {job.name!r} differ."
            )
    if len(jobs) == 1 and products is None:
        return [train_priors_network(jobs[0])]
    config = jobs[0].config
    graphs, nets, orders = [], [], []
    for job in jobs:  # each network exactly as train_priors_network builds it
        torch.manual_seed(_job_seed(config.seed, job.name))
        graph = job.spec.build()
        graphs.append(graph)
        nets.append(build_classifier(graph, job.cell, config))
        orders.append(torch.Generator().manual_seed(_job_seed(config.seed, job.name) + 1))
    train, test = _encoded_dataset(config)
    pack = PackedClassifiers(nets, products=products)
    optimizer = make_optimizer(pack, config.learning_rate)
    metrics: list[list[Metric]] = [[] for _ in jobs]
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        streams = [sequence_batches(train, config.batch_size, order) for order in orders]
        total = torch.zeros(len(jobs), dtype=torch.float64)
        count = 0
        for batches in zip(*streams, strict=True):
            losses = train_pack_step(pack, _stack(batches), optimizer, clip=config.clip)
            size = len(batches[0][2])
            total += losses.double().cpu() * size
            count += size
        train_loss = total / count
        eval_batch = eval_batch_size(pack.num_neurons)
        _, train_acc = evaluate_pack(pack, sequence_batches(train, eval_batch, by_length=True))
        test_loss, test_acc = evaluate_pack(
            pack, sequence_batches(test, eval_batch, by_length=True)
        )
        for k in range(len(jobs)):
            metrics[k] += [
                Metric(epoch, "train", "loss", float(train_loss[k])),
                Metric(epoch, "train", "acc", float(train_acc[k])),
                Metric(epoch, "test", "loss", float(test_loss[k])),
                Metric(epoch, "test", "acc", float(test_acc[k])),
            ]
    seconds = time.perf_counter() - start
    pack.unpack_into(nets)
    sequences = len(train[2]) + len(test[2])
    return [
        priors_record(
            job,
            graph,
            net,
            [*m, Metric(config.epochs, "", "wall_time", seconds)],
            sequences=sequences,
            pack_size=len(jobs),
        )
        for job, graph, net, m in zip(jobs, graphs, nets, metrics, strict=True)
    ]


def network_depth(spec: GraphSpec) -> int:
    """Layers of the spec's layered DAG (the network's wavefront depth)."""
    return max(layered_dag(spec.build()).layer_of.values()) + 1


def eval_batch_size(num_neurons: int) -> int:
    """Sequences per evaluation batch for a (packed) network of ``num_neurons`` neurons: the
    power of two nearest ``EVAL_STATES / num_neurons``, within [32, 512]."""
    ideal = EVAL_STATES / max(1, num_neurons)
    return int(min(512, max(32, 2 ** round(math.log2(ideal)))))


def run_priors_pack(pack: JobPack) -> list[JobResult]:
    """Worker entry point of a packed study: train the pack, one result per network, in order
    (the driver stages them as one bundle, so a pack lands whole or not at all)."""
    records = train_pack(pack.jobs)
    return [job_result(job, record) for job, record in zip(pack.jobs, records, strict=True)]


def _stack(batches):
    """K ordinary batches ``(tokens (B, T_k), lengths, labels)`` -> one pack batch
    ``(K, B, max T_k)`` (padding past each sequence is never read)."""
    width = max(tokens.shape[1] for tokens, _, _ in batches)
    tokens = torch.stack(
        [F.pad(tokens, (0, width - tokens.shape[1]), value=PAD_ID) for tokens, _, _ in batches]
    )
    lengths = torch.stack([lengths for _, lengths, _ in batches])
    labels = torch.stack([labels for _, _, labels in batches])
    return tokens, lengths, labels
