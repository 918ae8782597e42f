"""Training and evaluation of sequence classifiers (the paper's recipe).

Both recurrent studies train a :class:`~models.sequence_classifier.SequenceClassifier` with
cross-entropy, Adam at learning rate 1e-3 and gradient-norm clipping at 5 (paper, sections 4.2
and 4.3). A *batch* is the triple ``(tokens, lengths, labels)``: padded token ids
``(batch, time)``, sequence lengths ``(batch,)`` and integer labels ``(batch,)``;
:func:`collate_sequences` builds it from ``(sequence, label)`` pairs, so a
``torch.utils.data.DataLoader(..., collate_fn=collate_sequences)`` is a valid loader.

Example
-------
>>> from models.masked_recurrent import MaskedRecurrent
>>> from models.sequence_classifier import SequenceClassifier
>>> model = SequenceClassifier(MaskedRecurrent("gru", 4, [8]), 10, 4, 2)
>>> batch = collate_sequences([([1, 2, 3], 0), ([4, 5], 1)])
>>> loss = train_step(model, batch, make_optimizer(model))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import nn

__all__ = [
    "TrainConfig",
    "collate_sequences",
    "evaluate",
    "make_optimizer",
    "train_epoch",
    "train_step",
]

Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


@dataclass
class TrainConfig:
    """Training hyper-parameters of the recurrent studies."""

    learning_rate: float = 1e-3  # Adam, as in the paper
    clip: float = 5.0  # max gradient norm, as in the paper
    batch_size: int = 32  # the paper's batch size
    epochs: int = 50  # base models of the pruning study (section 4.2)


def make_optimizer(model: nn.Module, learning_rate: float = 1e-3) -> torch.optim.Optimizer:
    """Adam over ``model``'s parameters (masked entries stay zero: their gradient is zero).

    Uses torch's fused Adam kernel (one kernel for all parameters: the same update, far less
    per-parameter overhead on small models) when every parameter is a floating-point CPU
    tensor and the installed torch supports it; otherwise the default implementation.
    """
    if not learning_rate > 0:
        raise ValueError(
            "The 'learning_rate' parameter of make_optimizer must be positive. "
            f"Got {learning_rate!r} instead."
        )
    parameters = list(model.parameters())
    if parameters and all(p.device.type == "cpu" and p.is_floating_point() for p in parameters):
        try:
            return torch.optim.Adam(parameters, lr=learning_rate, fused=True)
        except (RuntimeError, TypeError, ValueError):  # fused Adam unsupported here
            pass
    return torch.optim.Adam(parameters, lr=learning_rate)


def collate_sequences(
    items: Sequence[tuple[Sequence[int] | torch.Tensor, int]], *, padding_value: int = 0
) -> Batch:
    """Pad ``(token ids, label)`` pairs into a ``(tokens, lengths, labels)`` batch.

    Raises
    ------
    ValueError
        If ``items`` is empty or holds an empty sequence.
    """
    if not items:
        raise ValueError("The 'items' parameter of collate_sequences must not be empty.")
    sequences = [torch.as_tensor(seq, dtype=torch.int64) for seq, _ in items]
    lengths = torch.tensor([len(seq) for seq in sequences], dtype=torch.int64)
    if bool((lengths == 0).any()):
        raise ValueError(
            "The 'items' parameter of collate_sequences must not hold empty sequences; "
            f"item {int(torch.nonzero(lengths == 0)[0])} is empty."
        )
    tokens = nn.utils.rnn.pad_sequence(sequences, batch_first=True, padding_value=padding_value)
    labels = torch.tensor([int(label) for _, label in items], dtype=torch.int64)
    return tokens, lengths, labels


def train_step(
    model: nn.Module, batch: Batch, optimizer: torch.optim.Optimizer, *, clip: float = 5.0
) -> float:
    """One optimisation step on ``batch`` (forward, cross-entropy, backward, clipping, step).

    Returns the batch's mean loss.
    """
    tokens, lengths, labels = batch
    model.train()
    optimizer.zero_grad(set_to_none=True)
    loss = nn.functional.cross_entropy(model(tokens, lengths), labels)
    loss.backward()
    if clip is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return float(loss.detach())


def train_epoch(
    model: nn.Module,
    loader: Iterable[Batch],
    optimizer: torch.optim.Optimizer,
    *,
    clip: float = 5.0,
) -> float:
    """Train one pass over ``loader``; returns the mean loss per sequence."""
    total, count = 0.0, 0
    for batch in loader:
        size = len(batch[2])
        total += train_step(model, batch, optimizer, clip=clip) * size
        count += size
    if count == 0:
        raise ValueError("The 'loader' parameter of train_epoch yielded no batch.")
    return total / count


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable[Batch]) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of ``model`` over ``loader`` (in eval mode)."""
    was_training = model.training
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    try:
        for tokens, lengths, labels in loader:
            logits = model(tokens, lengths)
            total_loss += float(nn.functional.cross_entropy(logits, labels, reduction="sum"))
            correct += int((logits.argmax(dim=1) == labels).sum())
            count += len(labels)
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("The 'loader' parameter of evaluate yielded no batch.")
    return total_loss / count, correct / count
