"""One training step and one evaluation of a pack (:class:`~models.packed_rnn.PackedClassifiers`).

Each is, network by network, what :func:`models.training.train_step` and
:func:`models.training.evaluate` do for a network alone: per-network mean losses summed before
the backward pass, per-network clipping, one optimiser step over all parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from models.packed_rnn import PackedClassifiers

__all__ = ["evaluate_pack", "train_pack_step"]


def train_pack_step(
    pack: PackedClassifiers,
    batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    optimizer: torch.optim.Optimizer,
    *,
    clip: float | None = 5.0,
) -> torch.Tensor:
    """One step of every network of the pack on its own batch (forward, summed per-network
    mean cross-entropy, backward, per-network clipping, one optimiser step).

    ``batch`` is ``(tokens (K, B, T), lengths (K, B), labels (K, B))``. Returns the ``(K,)``
    mean losses, each what :func:`models.training.train_step` returns for that network.
    """
    tokens, lengths, labels = batch
    pack.train()
    optimizer.zero_grad(set_to_none=True)
    losses = pack.losses(pack(tokens, lengths), labels)
    losses.sum().backward()  # network k's parameters only see loss k
    if clip is not None:
        pack.clip_grad_norms_(clip)
    optimizer.step()
    return losses.detach()


@torch.no_grad()
def evaluate_pack(pack: PackedClassifiers, loader) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-network mean cross-entropy and accuracy ``(K,)``, ``(K,)`` over a loader of
    ordinary ``(tokens (B, T), lengths (B,), labels (B,))`` batches that every network reads
    (what :func:`models.training.evaluate` returns for each network alone)."""
    was_training = pack.training
    pack.eval()
    k_nets = pack.size
    total = torch.zeros(k_nets, dtype=torch.float64)
    correct = torch.zeros(k_nets, dtype=torch.int64)
    count = 0
    try:
        for tokens, lengths, labels in loader:
            shape = (k_nets, *tokens.shape)
            logits = pack(tokens.expand(shape), lengths.expand(k_nets, -1))
            stacked = labels.expand(k_nets, -1)
            total += pack.losses(logits, stacked, reduction="sum").double().cpu()
            correct += (logits.argmax(dim=2) == stacked).sum(1).cpu()
            count += len(labels)
    finally:
        pack.train(was_training)
    if count == 0:
        raise ValueError("The 'loader' parameter of evaluate_pack yielded no batch.")
    return total / count, correct.double() / count
