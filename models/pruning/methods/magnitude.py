"""Magnitude pruning in the paper's three variants (Han et al. 2015; See et al. 2016).

* **class-blinded** — saliency ``|w|``, one global threshold over all prunable layers;
* **class-uniform** — saliency ``|w|``, the same fraction removed from every class (layer);
* **class-distributed** — a weight of class ``g`` goes when ``|w| < λ · σ_g``, with ``σ_g`` the
  standard deviation of the magnitudes of the class's unpruned weights and one ``λ`` for all
  classes, chosen so that exactly the requested number of weights goes. That is a global
  threshold ``λ`` on ``|w| / σ_g``, so the saliency is that ratio and ``λ`` falls between the
  ``count``-th and the next ratio — the exact value a bisection on ``λ`` converges to.

Example
-------
>>> import torch
>>> from models.feedforward import MaskedFeedForward
>>> from models.pruning.targets import prunable_parameters
>>> net = MaskedFeedForward(4, [3], 2)
>>> scores = MagnitudeClassBlinded().saliency(net, prunable_parameters(net), None)
>>> bool(torch.equal(scores[0], net.layers[0].weight.abs()))
True
"""

from __future__ import annotations

import torch

from models.pruning.methods.base import PruningMethod, register_pruning_method

__all__ = ["MagnitudeClassBlinded", "MagnitudeClassDistributed", "MagnitudeClassUniform"]


@register_pruning_method("magnitude_class_blinded")
class MagnitudeClassBlinded(PruningMethod):
    """``|w|`` with one global threshold."""

    def saliency(self, model, targets, context):
        return [t.tensor.detach().abs() for t in targets]


@register_pruning_method("magnitude_class_uniform")
class MagnitudeClassUniform(MagnitudeClassBlinded):
    """``|w|``, the same fraction from every class."""

    allocation = "per_class"


@register_pruning_method("magnitude_class_distributed")
class MagnitudeClassDistributed(PruningMethod):
    """``|w| / σ_g``: per-class thresholds ``λ · σ_g`` with one global ``λ``."""

    def saliency(self, model, targets, context):
        spread = {}
        for group in dict.fromkeys(t.group for t in targets):
            alive = torch.cat(
                [t.tensor.detach().abs()[t.mask].reshape(-1) for t in targets if t.group == group]
            ).to(torch.float64)
            spread[group] = float(alive.std(correction=0)) if alive.numel() else 0.0
        scores = []
        for t in targets:
            magnitude = t.tensor.detach().abs().to(torch.float64)
            sigma = spread[t.group]
            # a class whose unpruned weights all have one magnitude has σ = 0: its weights go
            # last (ratio ∞), zero weights first
            scores.append(magnitude / sigma if sigma > 0 else magnitude * float("inf"))
        return [torch.nan_to_num(s, nan=0.0) for s in scores]
