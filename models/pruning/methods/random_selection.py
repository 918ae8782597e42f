"""Random pruning: every unpruned weight equally likely to go (the paper's baseline).

Saliencies are uniform draws from the context's seeded generator, so a run is reproducible.
"""

from __future__ import annotations

import torch

from models.pruning.methods.base import PruningMethod, register_pruning_method

__all__ = ["RandomPruning"]


@register_pruning_method("random")
class RandomPruning(PruningMethod):
    """Uniformly random saliencies (one global ranking)."""

    def saliency(self, model, targets, context):
        return [
            torch.rand(t.tensor.shape, generator=context.generator, dtype=torch.float64).to(
                t.tensor.device
            )
            for t in targets
        ]
