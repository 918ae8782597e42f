"""SynFlow (Tanaka, Kunin, Yamins & Ganguli 2020): data-free, iterative synaptic flow.

On a copy of the network with every parameter replaced by its absolute value (in float64,
eval mode), feed an all-ones input and let ``R = Σ outputs``; the saliency of a weight is
``|∂R/∂w ⊙ w|``. For a bias-free ReLU net this is the total "flow" through the weight, and
it is *conserved*: at every hidden neuron the scores of the incoming weights sum to those of
the outgoing ones. One pruning step removes its elements in ``iterations`` rounds on an
exponential schedule: with ``A₀`` elements alive before and ``A`` after the step, round ``r``
leaves ``A₀ · (A / A₀)^(r / iterations)``, re-scoring after every round — which is what
keeps SynFlow from disconnecting layers.

The all-ones input has the shape of one sample: ``context.input_shape``, or the model's
``in_features`` (a :class:`~models.feedforward.MaskedFeedForward`).

SynFlow refuses models with recurrent layers: the conservation that makes it work needs a
positively homogeneous network (linear maps and ReLUs), which sigmoid / tanh gates are not,
and a sequence classifier's token embedding has no "all-ones input".
"""

from __future__ import annotations

import copy

import torch

from models.masked_recurrent import MaskedRecurrentLayer
from models.pruning.context import model_output
from models.pruning.errors import PruningError, check_positive_int
from models.pruning.methods.base import PruningMethod, register_pruning_method
from models.pruning.selection import choose

__all__ = ["SynFlow"]


@register_pruning_method("synflow")
class SynFlow(PruningMethod):
    """``|∂R/∂w ⊙ w|`` on the absolute-valued network, pruned in ``iterations`` rounds."""

    def __init__(self, *, iterations: int = 100) -> None:
        self.iterations = check_positive_int(iterations, name="iterations", where="synflow")

    def saliency(self, model, targets, context):
        recurrent = [
            type(m).__name__ for m in model.modules() if isinstance(m, MaskedRecurrentLayer)
        ]
        if recurrent:
            raise PruningError(
                f"The 'synflow' pruning method does not prune recurrent networks "
                f"({type(model).__name__} holds {len(recurrent)} {recurrent[0]}): its flow "
                "conservation needs a positively homogeneous feed-forward network fed an "
                "all-ones input, which gated cells and token embeddings are not. Use "
                "magnitude, random, snip or obd."
            )
        shape = context.input_shape if context is not None else None
        if shape is None:
            in_features = getattr(model, "in_features", None)
            if not isinstance(in_features, int):
                raise PruningError(
                    "SynFlow needs the shape of one input sample: pass input_shape= "
                    f"({type(model).__name__} has no integer 'in_features')."
                )
            shape = (in_features,)
        lookup = {id(p): name for name, p in model.named_parameters()}
        names = [lookup[id(t.tensor)] for t in targets]
        flow = copy.deepcopy(model).double().eval()
        with torch.no_grad():
            for parameter in flow.parameters():
                parameter.abs_()
        parameters = dict(flow.named_parameters())
        tensors = [parameters[name] for name in names]
        device = tensors[0].device
        ones = torch.ones((1, *shape), dtype=torch.float64, device=device)
        with torch.enable_grad():
            total = model_output(flow, ones).sum()
            grads = torch.autograd.grad(total, tensors, allow_unused=True)
        return [
            (torch.zeros_like(w) if g is None else (g * w).abs()).detach()
            for g, w in zip(grads, tensors, strict=True)
        ]

    def select(self, model, granularity, count, context, scores=None):
        alive_before = granularity.alive()
        start = sum(int(a.sum()) for a in alive_before)
        end = start - count
        if count == 0:
            return [torch.zeros_like(a) for a in alive_before]
        for round_ in range(1, self.iterations + 1):
            keep = (
                end
                if round_ == self.iterations
                else round(start * (end / start) ** (round_ / self.iterations))
            )
            alive = granularity.alive()
            remove_now = sum(int(a.sum()) for a in alive) - keep
            if remove_now <= 0:
                continue
            if scores is None or round_ > 1:
                scores = self.element_scores(model, granularity, context)
            flags = choose(scores, alive, granularity.groups, remove_now, self.allocation)
            granularity.apply(flags)  # the engine undoes this if the step fails
        return [
            before & ~now for before, now in zip(alive_before, granularity.alive(), strict=True)
        ]

    def __repr__(self) -> str:
        return f"SynFlow(iterations={self.iterations})"
