"""One job of the structural-priors study: train one graph-structured RNN on the Reber grammar.

A job runs in a worker process and never touches the warehouse: it builds the graph from its
spec, turns it into a :class:`~models.structured_rnn.StructuredRNN` wrapped in a
:class:`~models.sequence_classifier.SequenceClassifier` (embedding → structured RNN → linear
readout), trains it with Adam (lr 1e-3) and gradient clipping 5 as in the paper, measures train
and test loss/accuracy after every epoch, and returns the record's tables as Arrow to the driver
(:class:`~ingest.study_driver.JobResult`), which stages them: a job needs no shared disk, so it
may run on another machine. Everything is seeded from the study seed and the network's name, so
rerunning a job reproduces it.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from functools import cache

import networkx as nx
import torch

from ingest.generators import GraphSpec
from ingest.priors_config import PriorsConfig, load_study_csv
from ingest.reber_csv import split_reber_frame
from ingest.reber_dataset import make_reber_dataset
from ingest.reber_encoding import PAD_ID, VOCAB_SIZE, Encoded, encode, sequence_batches
from ingest.study_driver import JobResult
from models.sequence_classifier import SequenceClassifier
from models.structured_rnn import StructuredRNN
from models.training import evaluate, make_optimizer, train_epoch
from warehouse.records import Metric, NetworkRecord, StudyRecord, records_to_frames

__all__ = [
    "PriorsJob",
    "build_classifier",
    "job_result",
    "priors_record",
    "run_priors_job",
    "train_priors_network",
]


@dataclass(frozen=True)
class PriorsJob:
    """What a worker needs: the graph spec, the cell type and the study (no path: the result
    travels back to the driver)."""

    spec: GraphSpec
    cell: str
    config: PriorsConfig
    study: StudyRecord

    @property
    def name(self) -> str:
        """The network's name in its study, e.g. ``gru/ba(n=23,m=2,seed=7)``."""
        return f"{self.cell}/{self.spec.key}"


def build_classifier(graph: nx.Graph, cell: str, config: PriorsConfig) -> SequenceClassifier:
    """Embedding → structured RNN from ``graph`` → linear readout over 2 classes.

    The embedding has a row per ASCII code (:data:`~ingest.reber_encoding.VOCAB_SIZE`); the
    model is placed on ``config.device``.
    """
    body = StructuredRNN(graph, cell, config.embedding_dim)
    model = SequenceClassifier(
        body, vocab_size=VOCAB_SIZE, embedding_dim=config.embedding_dim, num_classes=2,
        padding_idx=PAD_ID,
    )  # fmt: skip
    return model.to(config.device)


def train_priors_network(job: PriorsJob) -> NetworkRecord:
    """Train the job's network and return its record (graph, metrics, counts, lineage)."""
    config = job.config
    torch.manual_seed(_job_seed(config.seed, job.name))
    graph = job.spec.build()
    model = build_classifier(graph, job.cell, config)
    train, test = _encoded_dataset(config)
    optimizer = make_optimizer(model, config.learning_rate)
    order = torch.Generator().manual_seed(_job_seed(config.seed, job.name) + 1)
    metrics: list[Metric] = []
    start = time.perf_counter()
    for epoch in range(1, config.epochs + 1):
        train_loss = train_epoch(
            model, sequence_batches(train, config.batch_size, order), optimizer, clip=config.clip
        )
        _, train_acc = evaluate(model, sequence_batches(train, 512, by_length=True))
        test_loss, test_acc = evaluate(model, sequence_batches(test, 512, by_length=True))
        metrics += [
            Metric(epoch, "train", "loss", train_loss),
            Metric(epoch, "train", "acc", train_acc),
            Metric(epoch, "test", "loss", test_loss),
            Metric(epoch, "test", "acc", test_acc),
        ]
    seconds = time.perf_counter() - start
    metrics.append(Metric(config.epochs, "", "wall_time", seconds))
    return priors_record(job, graph, model, metrics, sequences=len(train[2]) + len(test[2]))


def priors_record(
    job: PriorsJob,
    graph: nx.Graph,
    model: SequenceClassifier,
    metrics: list[Metric],
    *,
    sequences: int,
    **attributes: object,
) -> NetworkRecord:
    """The record of a trained priors network: its layered graph, counts, metrics and set-up.

    ``attributes`` are added to the record's attributes (e.g. ``pack_size`` of packed training).
    """
    nx.set_node_attributes(graph, model.body.layered.layer_of, "layer")
    graph.graph.clear()  # generator metadata lives in the record's columns
    parameters = sum(p.numel() for p in model.parameters())
    nonzero = sum(int((p.detach() != 0).sum()) for p in model.parameters())
    return NetworkRecord(
        name=job.name,
        graph=graph,
        family="structured-rnn",
        cell=job.cell,
        generator=job.spec.generator,
        generator_params={"n": job.spec.n, **job.spec.params},
        seed=job.spec.seed,
        num_parameters=parameters,
        num_nonzero=nonzero,
        metrics=metrics,
        attributes={"epochs": job.config.epochs, "sequences": sequences, **attributes},
    )


def run_priors_job(job: PriorsJob) -> JobResult:
    """Worker entry point: train, return the record's tables and its final test accuracy."""
    return job_result(job, train_priors_network(job))


def job_result(job: PriorsJob, record: NetworkRecord) -> JobResult:
    """The driver's result of a trained network: its tables and its final test accuracy."""
    frames = records_to_frames(job.study.id, [record])
    final = {(m.split, m.metric): m.value for m in record.metrics}
    return JobResult(
        name=job.name,
        tables={table: frame.to_arrow() for table, frame in frames.items()},
        summary={"test_acc": final[("test", "acc")], "seconds": final[("", "wall_time")]},
    )


@cache
def _encoded_dataset(config: PriorsConfig) -> tuple[Encoded, Encoded]:
    """The study's Reber data, encoded once per worker process: tokens and labels on the
    config's device, lengths on the CPU (``pack_padded_sequence`` wants them there)."""
    train, test = _study_frames(config)
    parts = []
    for frame in (train, test):
        tokens, lengths = encode(frame.get_column("string").to_list())
        labels = frame.get_column("valid").cast(int).to_torch().to(torch.int64)
        parts.append((tokens.to(config.device), lengths, labels.to(config.device)))
    return parts[0], parts[1]


def _study_frames(config: PriorsConfig):
    """(train, test) frames: generated, or the user's CSV checked against its digest."""
    if config.reber_csv is None:
        data = make_reber_dataset(
            config.sequences, seed=config.seed, negatives=config.negatives,
            min_length=config.min_length, max_length=config.max_length,
        )  # fmt: skip
        return data.train, data.test
    return split_reber_frame(load_study_csv(config), seed=config.seed)


def _job_seed(seed: int, name: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % (2**31)
