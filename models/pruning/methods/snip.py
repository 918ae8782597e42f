"""SNIP (Lee, Ajanthan & Torr 2019): connection sensitivity ``|∂L/∂w · w|``.

The gradient is that of the mean training loss over ``context.data`` (Lee et al. use one
mini-batch at initialisation: pass that batch, or set ``max_batches=1``). Meant for pruning
before training, but defined at any point. Masked weights are zero, so their score is zero.
"""

from __future__ import annotations

import torch

from models.pruning.context import model_output
from models.pruning.errors import check_positive_int
from models.pruning.methods.base import PruningMethod, register_pruning_method

__all__ = ["SNIP"]


@register_pruning_method("snip")
class SNIP(PruningMethod):
    """``|g ⊙ w|`` with ``g`` the gradient of the training loss (one global threshold)."""

    needs_data = True

    def __init__(self, *, max_batches: int | None = None) -> None:
        if max_batches is not None:
            check_positive_int(max_batches, name="max_batches", where="snip")
        self.max_batches = max_batches

    def saliency(self, model, targets, context):
        tensors = [t.tensor for t in targets]
        total = [torch.zeros_like(p) for p in tensors]
        count = 0
        was_training = model.training
        model.eval()
        try:
            with torch.enable_grad():
                for inputs, labels in context.batches(
                    "snip", self.max_batches, device=tensors[0].device
                ):
                    loss = context.loss(model_output(model, inputs), labels)
                    grads = torch.autograd.grad(loss, tensors, allow_unused=True)
                    for acc, g in zip(total, grads, strict=True):
                        if g is not None:
                            acc += g * len(labels)
                    count += len(labels)
        finally:
            model.train(was_training)
        return [(g / count * p.detach()).abs() for g, p in zip(total, tensors, strict=True)]
