"""What one pruned *element* is: a single weight, or a whole neuron with all its weights.

A granularity turns per-weight saliencies (one tensor per prunable parameter) into per-element
scores, tells which elements are still alive, and writes a removal into the masks:

* ``"weight"`` — every entry of every prunable parameter is an element; its class is the
  parameter's group.
* ``"neuron"`` — structured pruning of a :class:`~models.feedforward.MaskedFeedForward`:
  every hidden neuron is an element, scored by the sum of the saliencies of its alive
  incoming and outgoing weights; removing it masks its row in the layer below, its column in
  the layer above and its bias (a ``bias`` mask is registered on each hidden layer for that,
  through the same :class:`~models.masking.MaskedModule` mechanism). Its class is its layer.

Example
-------
>>> from models.feedforward import MaskedFeedForward
>>> net = MaskedFeedForward(4, [3, 2], 2)
>>> neurons = create_granularity("neuron", net)
>>> [int(a.sum()) for a in neurons.alive()], neurons.groups
([3, 2], ['layers.0', 'layers.1'])
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import torch
from torch import nn

from models.feedforward import MaskedFeedForward
from models.pruning.errors import PruningError
from models.pruning.targets import PrunableParameter, check_targets, prunable_parameters

__all__ = [
    "Granularity",
    "NeuronGranularity",
    "WeightGranularity",
    "create_granularity",
    "list_granularities",
]


class Granularity(ABC):
    """Base: the elements of a pruning run and how removing them changes the masks."""

    name = ""
    targets: list[PrunableParameter]
    groups: list[str]  # class of each element set

    @abstractmethod
    def alive(self) -> list[torch.Tensor]:
        """One flat bool tensor per element set: ``True`` where the element is unpruned."""

    @abstractmethod
    def reduce(self, scores: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Per-weight saliencies (one per target, target-shaped) -> per-element scores."""

    @abstractmethod
    def apply(self, remove: Sequence[torch.Tensor]) -> None:
        """Mask the elements flagged in ``remove`` (flat bool per element set)."""

    def total(self) -> int:
        """Number of elements, pruned or not."""
        return sum(a.numel() for a in self.alive())

    def count_alive(self) -> int:
        return sum(int(a.sum()) for a in self.alive())


class WeightGranularity(Granularity):
    """Single weights: one element set per prunable parameter."""

    name = "weight"

    def __init__(self, targets: Sequence[PrunableParameter]) -> None:
        self.targets = check_targets(targets, where="WeightGranularity")
        self.groups = [t.group for t in self.targets]

    def alive(self) -> list[torch.Tensor]:
        return [t.mask.reshape(-1).clone() for t in self.targets]  # not views of live masks

    def reduce(self, scores: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        return [s.reshape(-1) for s in scores]

    @torch.no_grad()
    def apply(self, remove: Sequence[torch.Tensor]) -> None:
        for target, flags in zip(self.targets, remove, strict=True):
            if bool(flags.any()):
                keep = target.mask & ~flags.reshape(target.mask.shape).to(target.mask.device)
                target.module.set_mask(target.parameter, keep)


class NeuronGranularity(Granularity):
    """Whole hidden neurons of a :class:`MaskedFeedForward` (in- and out-going weights, bias)."""

    name = "neuron"

    def __init__(self, model: MaskedFeedForward) -> None:
        if not isinstance(model, MaskedFeedForward):
            raise PruningError(
                "Neuron granularity prunes MaskedFeedForward networks. "
                f"Got {type(model).__name__} instead."
            )
        if len(model.layers) < 2:
            raise PruningError(
                "Neuron granularity needs a hidden layer; this MaskedFeedForward has none."
            )
        self.model = model
        self.targets = prunable_parameters(model)
        self.layers = list(model.layers)
        self.groups = [f"layers.{i}" for i in range(len(self.layers) - 1)]
        for layer in self.layers[:-1]:
            if layer.bias is not None and "bias" not in layer.masked_parameter_names:
                layer.register_mask("bias")  # all ones: changes nothing until a neuron goes

    def alive(self) -> list[torch.Tensor]:
        # a neuron lives while any of its incoming or outgoing weights does
        return [
            self.layers[i].get_mask().any(dim=1) | self.layers[i + 1].get_mask().any(dim=0)
            for i in range(len(self.layers) - 1)
        ]

    def reduce(self, scores: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        by_layer = dict(zip((t.module for t in self.targets), scores, strict=True))
        result = []
        for i in range(len(self.layers) - 1):
            below, above = self.layers[i], self.layers[i + 1]
            incoming = (by_layer[below] * below.get_mask()).sum(dim=1)  # (out,)
            outgoing = (by_layer[above] * above.get_mask()).sum(dim=0)  # (in,) of the layer above
            result.append(incoming + outgoing)
        return result

    @torch.no_grad()
    def apply(self, remove: Sequence[torch.Tensor]) -> None:
        for i, flags in enumerate(remove):
            if not bool(flags.any()):
                continue
            below, above = self.layers[i], self.layers[i + 1]
            flags = flags.to(below.get_mask().device)
            below.set_mask("weight", below.get_mask() & ~flags[:, None])
            if "bias" in below.masked_parameter_names:
                below.set_mask("bias", below.get_mask("bias") & ~flags)
            above.set_mask("weight", above.get_mask() & ~flags[None, :])


_GRANULARITIES = ("weight", "neuron")


def list_granularities() -> list[str]:
    """Valid granularity names."""
    return list(_GRANULARITIES)


def create_granularity(
    name: str, model: nn.Module, targets: Sequence[PrunableParameter] | None = None
) -> Granularity:
    """The granularity ``name`` over ``model`` (``targets`` default: its prunable parameters).

    Raises
    ------
    PruningError
        If ``name`` is unknown (the message lists the valid names), or ``"neuron"`` is asked
        for with custom targets or a model other than :class:`MaskedFeedForward`.
    """
    if name == "weight":
        return WeightGranularity(prunable_parameters(model) if targets is None else targets)
    if name == "neuron":
        if targets is not None:
            raise PruningError("Neuron granularity prunes every layer; it takes no 'targets'.")
        return NeuronGranularity(model)
    raise PruningError(
        f"The 'granularity' parameter must be one of {list(_GRANULARITIES)}. Got {name!r} instead."
    )
