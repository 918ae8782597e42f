"""One job of the feed-forward pruning study: a whole pruning run, from its shared base model.

A job is one (architecture, learning rate, seed, method, scheme). Its steps need the previous
step's weights, optimiser and RNG state, so a job is never split: it returns every step at
once and an interrupted job is simply run again, whole.

The **base model** of an (architecture, learning rate, seed) is trained once and shared by
every (method, scheme) run from it: the first job to need it trains it and saves it in the
study's base folder beside the staging folder (an exclusive file lock makes the others wait,
then load it), so on a re-run nothing is trained twice. The folder must be visible to every
worker (true for the local pool; for Ray on several machines, a shared file system).

Everything is reproducible from the seed: initialisation, batch order of base training and of
each re-training epoch (seeded per step and epoch), random pruning (the pruning context's
generator). Accuracies are on the test split, which nothing trains on.
"""

from __future__ import annotations

import fcntl
import functools
import os
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import torch
import torch.nn.functional as F
from torch import nn

from ingest.datasets import Dataset, create_dataset
from ingest.ffn_pruning_config import FFNPruningConfig
from ingest.study_driver import JobResult
from models.feedforward import MaskedFeedForward
from models.masking import MaskedModule
from models.pruning import (
    PruningContext,
    PruningRun,
    create_pruning_method,
    create_pruning_scheme,
    parameter_snapshot,
)
from models.to_graph import model_to_graph
from models.training import make_optimizer
from warehouse.pruning_store import PruningRunRecord, pruning_frames
from warehouse.records import Metric, NetworkRecord, StudyRecord

__all__ = [
    "FFNPruningJob",
    "accuracy",
    "build_model",
    "connection_frame",
    "ensure_base_model",
    "load_data",
    "rewind_snapshot",
    "run_ffn_pruning_job",
]


@dataclass(frozen=True)
class FFNPruningJob:
    """One pruning run of the study (picklable: it travels to worker processes or Ray)."""

    config: FFNPruningConfig
    study: StudyRecord
    hidden: tuple[int, ...]
    learning_rate: float
    seed: int
    method: str
    scheme: str
    base_dir: str  # where base models are shared between the study's jobs

    @property
    def base_name(self) -> str:
        """Name of the base network: one per (architecture, learning rate, seed)."""
        return f"base/h{'-'.join(map(str, self.hidden))}/lr{self.learning_rate:g}/seed{self.seed}"

    @property
    def run_key(self) -> str:
        """Key of the pruning run within the study."""
        return (
            f"h{'-'.join(map(str, self.hidden))}/lr{self.learning_rate:g}/seed{self.seed}/"
            f"{self.method}/{self.scheme}"
        )

    @property
    def name(self) -> str:
        """The job's network name, its first step's (stored iff the whole run is)."""
        return step_name(self.run_key, 1)


def step_name(run_key: str, step: int) -> str:
    """Name of step ``step`` of run ``run_key``."""
    return f"{run_key}/step-{step}"


@functools.cache
def load_data(config: FFNPruningConfig) -> Dataset:
    """The study's train / test split (cached per process; the split seed is ``config.seed``).

    Raises
    ------
    DatasetFileError
        A missing or malformed IDX file in ``config.data_dir`` (named in the message).
    """
    options = {"seed": config.seed}
    if config.dataset == "mnist":
        options |= {"data_dir": config.data_dir, "test_fraction": config.test_fraction}
    return create_dataset(config.dataset, **options)


def build_model(hidden: tuple[int, ...], data: Dataset, seed: int) -> MaskedFeedForward:
    """A ReLU feed-forward net ``inputs → hidden… → classes``, initialised from ``seed``."""
    torch.manual_seed(seed)
    return MaskedFeedForward(data.in_features, list(hidden), data.num_classes, activation="relu")


@torch.no_grad()
def accuracy(model: nn.Module, data: Dataset, split: str = "test") -> float:
    """Share of ``split`` classified correctly."""
    inputs, labels = (
        (data.test_inputs, data.test_labels) if split == "test" else
        (data.train_inputs, data.train_labels)
    )  # fmt: skip
    device = _device_of(model)
    inputs, labels = inputs.to(device), labels.to(device)
    was_training = model.training
    model.eval()
    try:
        return float((model(inputs).argmax(dim=1) == labels).float().mean())
    finally:
        model.train(was_training)


def ensure_base_model(job: FFNPruningJob) -> tuple[dict[str, torch.Tensor], list[Metric]]:
    """The trained base model's state dict and per-epoch metrics: loaded if saved, else
    trained (once per study, under a file lock) and saved atomically."""
    saved = _base_file(job)
    return saved["state"], [Metric(*m) for m in saved["metrics"]]


def rewind_snapshot(job: FFNPruningJob) -> dict[str, torch.Tensor] | None:
    """The base's parameters after ``config.rewind_epoch`` epochs (0: at initialisation),
    saved with the base when it was trained; ``None`` without rewinding."""
    if job.config.rewind_epoch is None:
        return None
    return _base_file(job)["rewind"]


def _base_file(job: FFNPruningJob) -> dict:
    folder = Path(job.base_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (job.base_name.replace("/", "_") + ".pt")
    with _file_lock(path.with_suffix(".lock")):
        if path.exists():
            return torch.load(path, weights_only=True)
        data = load_data(job.config)
        model = build_model(job.hidden, data, _seed(job.seed, job.base_name, "init"))
        model.to(job.config.device)  # initialised on the CPU: the same weights on any device
        optimizer = make_optimizer(model, job.learning_rate)
        rewind_epoch = job.config.rewind_epoch
        rewind = _cpu(parameter_snapshot(model)) if rewind_epoch == 0 else None
        metrics = []
        for epoch in range(1, job.config.base_epochs + 1):
            loss = _train_epoch(model, data, optimizer, job, _seed(job.seed, job.base_name, epoch))
            metrics += [Metric(epoch, "train", "loss", loss),
                        Metric(epoch, "test", "acc", accuracy(model, data))]  # fmt: skip
            if epoch == rewind_epoch:
                rewind = _cpu(parameter_snapshot(model))
        state = _cpu(model.state_dict())
        saved = {"state": state, "metrics": [tuple(m) for m in metrics], "rewind": rewind}
        temporary = path.with_suffix(".tmp")
        torch.save(saved, temporary)
        os.replace(temporary, path)
        return saved


def connection_frame(
    model: MaskedFeedForward, weights: dict[str, torch.Tensor], pruned_at: dict[str, torch.Tensor]
) -> pl.DataFrame:
    """Every weight of every layer once as an edge of the neuron graph
    (:func:`models.to_graph.model_to_graph` numbering: inputs, then layer by layer), with the
    base value and the step that pruned it (NULL: never)."""
    widths = [model.layers[0].in_features] + [layer.out_features for layer in model.layers]
    offsets = [sum(widths[:i]) for i in range(len(widths))]
    parts = []
    for index, _ in enumerate(model.layers):
        name = f"layers.{index}.weight"
        weight, steps = weights[name], pruned_at[name]  # (out, in) each
        target, source = torch.meshgrid(
            torch.arange(weight.shape[0]), torch.arange(weight.shape[1]), indexing="ij"
        )
        at = steps.reshape(-1).to(torch.int64)
        parts.append(
            pl.DataFrame({
                "source": (source.reshape(-1) + offsets[index]).numpy(),
                "target": (target.reshape(-1) + offsets[index + 1]).numpy(),
                "weight": weight.reshape(-1).double().numpy(),
                "pruned_at_step": at.numpy(),
            })
        )  # fmt: skip
    frame = pl.concat(parts)
    return frame.with_columns(
        pl.when(pl.col("pruned_at_step") > 0).then(pl.col("pruned_at_step")).otherwise(None)
    )


def run_ffn_pruning_job(job: FFNPruningJob) -> JobResult:
    """Train (or load) the base, prune it step by step with re-training, and return the base,
    the run and one step network per step as warehouse tables."""
    torch.set_num_threads(1)
    config, data = job.config, load_data(job.config)
    saved = _base_file(job)  # read once: the state, its metrics and the rewind point
    state, base_metrics = saved["state"], [Metric(*m) for m in saved["metrics"]]
    model = build_model(job.hidden, data, 0)
    model.load_state_dict(state)
    base_weights = _cpu(model.state_dict())
    parameters = sum(p.numel() for p in model.parameters())
    base = NetworkRecord(
        name=job.base_name, graph=model_to_graph(model), family="feedforward", seed=job.seed,
        num_parameters=parameters, num_nonzero=parameters, metrics=base_metrics,
        attributes=_base_attributes(job, data),
    )  # fmt: skip
    model.to(config.device)  # pruning, re-training and evaluation run there
    optimizer = make_optimizer(model, job.learning_rate)
    method_options = (
        {"hessian": config.obd_hessian, "max_batches": config.obd_max_batches}
        if job.method == "obd"
        else {}
    )
    run = PruningRun(
        model,
        create_pruning_method(job.method, **method_options),
        create_pruning_scheme(job.scheme, **config.scheme_options(job.scheme)),
        granularity=config.granularity,
        context=PruningContext(
            data=data.loader("train", batch_size=config.batch_size),
            seed=job.seed,
            input_shape=(data.in_features,),
        ),  # fmt: skip
        retrain=(
            (lambda m, step: _retrain(m, data, optimizer, job, step))
            if config.retrain_epochs
            else None
        ),
        evaluate=lambda m: accuracy(m, data),
        target_sparsity=config.target_sparsity,
        max_steps=config.max_steps,
        rewind_to=saved["rewind"] if config.rewind_epoch is not None else None,
    )
    steps, parent = [], base.network_id(job.study.id)
    for record in run:
        if record.step == 0:
            continue
        after = (
            record.accuracy_after if record.accuracy_after is not None else record.accuracy_before
        )
        step = NetworkRecord(
            name=step_name(job.run_key, record.step), family="feedforward", seed=job.seed,
            parent_id=parent, pruning_run_key=job.run_key, pruning_step=record.step,
            metrics=[Metric(0, "test", "acc_before", record.accuracy_before),
                     Metric(config.retrain_epochs, "test", "acc", after)],
            attributes={"removed": record.removed, "pruned_fraction": record.pruned_fraction,
                        "weight_sparsity": record.sparsity,
                        "layer_sparsity": record.layer_sparsity},
        )  # fmt: skip
        parent = step.network_id(job.study.id)
        steps.append(step)
    pruning = PruningRunRecord(
        run_key=job.run_key, base_name=job.base_name, method=job.method, scheme=job.scheme,
        granularity=config.granularity, seed=job.seed,
        attributes={"hidden": list(job.hidden), "learning_rate": job.learning_rate,
                    "expensive_every": config.expensive_every, "stop_reason": run.stop_reason,
                    "retrain_epochs": config.retrain_epochs,
                    "rewind_epoch": config.rewind_epoch,
                    "scheme_options": config.scheme_options(job.scheme)},
        connections=connection_frame(model, base_weights, run.pruned_at),
    )  # fmt: skip
    frames = pruning_frames(job.study.id, base, pruning, steps)
    last = steps[-1]
    return JobResult(
        name=job.name,
        tables={table: frame.to_arrow() for table, frame in frames.items()},
        summary={"steps": float(len(steps)), "test_acc": float(last.metrics[-1][3])},
    )


def _base_attributes(job: FFNPruningJob, data: Dataset) -> dict:
    return {
        "hidden": list(job.hidden), "learning_rate": job.learning_rate, "dataset": data.name,
        "base_epochs": job.config.base_epochs, "batch_size": job.config.batch_size,
        "optimizer": "adam",
    }  # fmt: skip


def _retrain(model, data: Dataset, optimizer, job: FFNPruningJob, step: int) -> None:
    for epoch in range(job.config.retrain_epochs):
        _train_epoch(model, data, optimizer, job, _seed(job.seed, job.run_key, step * 1000 + epoch))


def _train_epoch(model, data: Dataset, optimizer, job: FFNPruningJob, seed: int) -> float:
    model.train()
    device = _device_of(model)
    total, count = 0.0, 0
    for inputs, labels in data.loader(
        "train", batch_size=job.config.batch_size, shuffle=True, seed=seed
    ):
        inputs, labels = inputs.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) * len(labels)
        count += len(labels)
    for module in model.modules():  # keep masked weights at zero in the stored values too
        if isinstance(module, MaskedModule):
            module.apply_masks()
    return total / max(count, 1)


def _device_of(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _cpu(tensors) -> dict[str, torch.Tensor]:
    """CPU copies (what is saved and stored is the same whatever device trained it)."""
    return {k: v.detach().cpu().clone() for k, v in tensors.items()}


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _seed(seed: int, key: str, purpose: object) -> int:
    return (int(seed) * 1_000_003 + zlib.crc32(f"{key}/{purpose}".encode())) % (2**31)
