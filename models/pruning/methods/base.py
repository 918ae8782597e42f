"""The pruning-method registry and the contract every method follows.

A method is one *saliency* function: it scores every prunable weight (low = remove first)
and says how the removal is allocated over classes (``"global"``: one threshold over all
prunable layers; ``"per_class"``: the same fraction from every class). The granularity turns
weight saliencies into element (weight or neuron) scores; :meth:`PruningMethod.select`
picks the ``count`` elements to remove. Methods that prune in several rounds (SynFlow)
override :meth:`select`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from models.pruning.context import PruningContext
from models.pruning.granularity import Granularity
from models.pruning.registry import Registry
from models.pruning.selection import choose
from models.pruning.targets import PrunableParameter

__all__ = [
    "PruningMethod",
    "create_pruning_method",
    "list_pruning_methods",
    "pruning_method_class",
    "register_pruning_method",
]

_METHODS = Registry("pruning method")


class PruningMethod(ABC):
    """Base class: subclasses implement :meth:`saliency` and may set ``allocation``."""

    name = ""  # set by the registry
    allocation = "global"
    needs_data = False  # True: ``context.data`` must hold training batches

    @abstractmethod
    def saliency(
        self, model: nn.Module, targets: Sequence[PrunableParameter], context: PruningContext
    ) -> list[torch.Tensor]:
        """One score tensor per target, shaped like it (low = prune first)."""

    def element_scores(
        self, model: nn.Module, granularity: Granularity, context: PruningContext
    ) -> list[torch.Tensor]:
        """Scores of the granularity's elements (flat, one per element set)."""
        with torch.no_grad():
            weights = [s.detach() for s in self.saliency(model, granularity.targets, context)]
        return granularity.reduce(weights)

    def select(
        self,
        model: nn.Module,
        granularity: Granularity,
        count: int,
        context: PruningContext,
        scores: list[torch.Tensor] | None = None,
    ) -> list[torch.Tensor]:
        """Flags of the ``count`` elements to remove (flat bool per element set).

        ``scores`` may pass element scores already computed for this state (bucket pruning
        computes them to size the step).
        """
        if scores is None:
            scores = self.element_scores(model, granularity, context)
        return choose(scores, granularity.alive(), granularity.groups, count, self.allocation)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def register_pruning_method(name: str):
    """Class decorator registering a :class:`PruningMethod` subclass as ``name``."""
    return _METHODS.register(name)


def create_pruning_method(name: str, **options: Any) -> PruningMethod:
    """The pruning method ``name`` built with keyword ``options``.

    Raises
    ------
    ValueError
        If ``name`` is unknown; the message lists the valid names.

    >>> create_pruning_method("magnitude_class_blinded").allocation
    'global'
    """
    return _METHODS.create(name, **options)


def pruning_method_class(name: str) -> type[PruningMethod]:
    """The class registered as ``name``."""
    return _METHODS.factory(name)


def list_pruning_methods() -> list[str]:
    """Names of the registered pruning methods, sorted."""
    return _METHODS.names()
