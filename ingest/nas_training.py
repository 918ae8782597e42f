"""Training one CNN candidate of the architecture search, and the split it is judged on.

A candidate genotype compiles to a CNN (:func:`models.nas.compile.compile_genotype`), is
trained with Adam and cross-entropy on the training part of the data set and scored on a
held-out *validation* part of the training split — the only score a search sees — and on the
test split, which is stored and reported but never steers the search. Training is seeded from
the search run's seed and the genotype's fingerprint, so the same genotype in the same run is
trained identically on a rerun.
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass
from functools import lru_cache

import torch
from torch import nn

from ingest.datasets import Dataset, create_dataset
from models.nas.compile import compile_genotype
from models.nas.genotype import Genotype
from models.training import make_optimizer

__all__ = ["CandidateScore", "SearchData", "load_search_data", "train_candidate"]


@dataclass(frozen=True, eq=False)
class SearchData:
    """Image batches ``(samples, channels, height, width)`` of the three splits."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    validation_x: torch.Tensor
    validation_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    channels: int
    num_classes: int


@dataclass(frozen=True)
class CandidateScore:
    """What training one candidate measured."""

    validation_acc: float
    test_acc: float
    train_loss: float  # mean cross-entropy over the last epoch
    seconds: float
    num_parameters: int


@lru_cache(maxsize=2)
def load_search_data(
    dataset: str, data_dir: str | None, validation_fraction: float, seed: int
) -> SearchData:
    """The data set as images, its training split cut into train and validation with ``seed``
    (cached per process: every candidate of a worker reuses it)."""
    options = {"data_dir": data_dir} if data_dir else {}
    if dataset in ("digits", "mnist") and not data_dir:
        options["seed"] = seed
    data: Dataset = create_dataset(dataset, **options)
    shape = (-1, data.channels, *data.image_shape)  # (samples, features) -> images
    order = torch.randperm(len(data.train_labels), generator=torch.Generator().manual_seed(seed))
    held = max(1, round(validation_fraction * len(order)))
    if held >= len(order):
        raise ValueError(
            f"The {dataset} training split has {len(order)} images: too few to hold out a "
            f"validation fraction of {validation_fraction}."
        )
    validation, train = order[:held], order[held:]
    images = data.train_inputs.view(shape)
    return SearchData(
        name=data.name,
        train_x=images[train], train_y=data.train_labels[train],
        validation_x=images[validation], validation_y=data.train_labels[validation],
        test_x=data.test_inputs.view(shape), test_y=data.test_labels,
        channels=data.channels, num_classes=data.num_classes,
    )  # fmt: skip


def train_candidate(
    genotype: Genotype,
    data: SearchData,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    device: str | torch.device = "cpu",
) -> CandidateScore:
    """Train ``genotype``'s CNN on ``data.train_*`` and measure validation and test accuracy.

    ``seed`` and the genotype's fingerprint seed the initialisation (on the CPU, so every
    device starts from the same weights) and the batch order. The model trains on ``device``;
    the data stay on the CPU and each batch is moved there.
    """
    job_seed = zlib.crc32(f"{seed}/{genotype.key()}".encode())
    torch.manual_seed(job_seed)
    model = compile_genotype(genotype, in_channels=data.channels, num_classes=data.num_classes)
    model.to(device)
    optimizer = make_optimizer(model, learning_rate)
    order = torch.Generator().manual_seed(job_seed + 1)
    start = time.perf_counter()
    loss_sum = 0.0
    for _ in range(epochs):
        model.train()
        loss_sum = 0.0
        permutation = torch.randperm(len(data.train_y), generator=order)
        for first in range(0, len(permutation), batch_size):
            batch = permutation[first : first + batch_size]
            inputs, labels = data.train_x[batch].to(device), data.train_y[batch].to(device)
            optimizer.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(batch)
    return CandidateScore(
        validation_acc=_accuracy(model, data.validation_x, data.validation_y, batch_size),
        test_acc=_accuracy(model, data.test_x, data.test_y, batch_size),
        train_loss=loss_sum / len(data.train_y),
        seconds=time.perf_counter() - start,
        num_parameters=sum(p.numel() for p in model.parameters()),
    )


@torch.no_grad()
def _accuracy(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor, batch: int) -> float:
    model.eval()
    device = next(model.parameters()).device
    correct, step = 0, max(batch, 256)
    for first in range(0, len(labels), step):
        logits = model(inputs[first : first + step].to(device))
        correct += int((logits.argmax(dim=1) == labels[first : first + step].to(device)).sum())
    return correct / len(labels)
