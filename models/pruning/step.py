"""One pruning step: select elements with a method, mask them — all or nothing.

:func:`prune_step` is the unit every scheme repeats; :func:`prune` is its public one-call
form. Like ``torch.nn.utils.prune``'s ``apply``, a step that fails half-way (a method
raising, a mask that does not fit) restores every parameter and buffer of the model before
re-raising, so the model is exactly as it was. Masks only ever shrink: an element already
pruned is never selected and never comes back.

Example
-------
>>> import torch
>>> from models.feedforward import MaskedFeedForward
>>> net = MaskedFeedForward(4, [3], 2)
>>> net = prune(net, "magnitude_class_blinded", amount=0.5)
>>> sum(int((~m).sum()) for m in net.masks())  # half of the 18 weights
9
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from models.pruning.context import PruningContext
from models.pruning.errors import PruningError, check_fraction
from models.pruning.granularity import Granularity, create_granularity
from models.pruning.methods import PruningMethod, create_pruning_method
from models.pruning.schemes import nearest
from models.pruning.selection import alive_scores
from models.pruning.targets import PrunableParameter

__all__ = ["as_method", "prune", "prune_step", "restore_on_failure"]


def prune(
    model: nn.Module,
    method: str | PruningMethod,
    amount: float,
    *,
    granularity: str = "weight",
    targets: Sequence[PrunableParameter] | None = None,
    context: PruningContext | None = None,
) -> nn.Module:
    """Remove ``amount`` (a fraction of *all* prunable elements) from ``model``, in place.

    Parameters
    ----------
    model:
        A model with masked parameters (see :func:`models.pruning.to_masked` for plain
        ``nn.Linear`` layers).
    method:
        A registered method name (:func:`list_pruning_methods`) or a :class:`PruningMethod`.
    amount:
        Fraction in [0, 1] of all elements (weights or neurons) to remove now; must not
        exceed the fraction still unpruned.
    granularity:
        ``"weight"`` or ``"neuron"``.
    targets:
        The prunable parameters (default: every masked weight, one class per parameter).
    context:
        Data, loss, seed and input shape for the methods that need them.

    Returns
    -------
    The same ``model``, pruned.

    Raises
    ------
    PruningError
        For an amount outside [0, 1] or above what remains, an unknown method or
        granularity, a model without prunable parameters, or a method lacking its data.
    """
    amount = check_fraction(amount, name="amount", where="prune")
    method = as_method(method)
    elements = create_granularity(granularity, model, targets)
    total, alive = elements.total(), elements.count_alive()
    count = nearest(amount * total)
    if count > alive:
        raise PruningError(
            f"The 'amount' parameter of prune asks for {amount} of the {total} prunable "
            f"{elements.name}s ({count}), but only {alive} ({alive / total:.4g}) remain unpruned."
        )
    prune_step(model, method, elements, count, context or PruningContext())
    return model


def prune_step(
    model: nn.Module,
    method: PruningMethod,
    granularity: Granularity,
    count: int,
    context: PruningContext,
    scores: list[torch.Tensor] | None = None,
) -> list[torch.Tensor]:
    """Remove ``count`` elements chosen by ``method``; returns the removal flags.

    The model is restored if anything fails (see :func:`restore_on_failure`).
    """
    if method.needs_data:
        context.require_data(method.name)
    with restore_on_failure(model):
        remove = method.select(model, granularity, count, context, scores=scores)
        granularity.apply(remove)
        removed = sum(int(flags.sum()) for flags in remove)
        if removed != count:
            raise PruningError(
                f"The {method.name!r} pruning method removed {removed} elements instead of {count}."
            )
    return remove


def sorted_alive_scores(
    method: PruningMethod, model: nn.Module, granularity: Granularity, context: PruningContext
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Sorted saliencies of the alive elements, and the element scores they come from."""
    scores = method.element_scores(model, granularity, context)
    return alive_scores(scores, granularity.alive()), scores


@contextmanager
def restore_on_failure(model: nn.Module) -> Iterator[None]:
    """Snapshot every parameter and buffer of ``model``; put them back if the block raises."""
    saved = [(t, t.detach().clone()) for t in [*model.parameters(), *model.buffers()]]
    try:
        yield
    except BaseException:
        with torch.no_grad():
            for tensor, value in saved:
                tensor.copy_(value)
        raise


def as_method(method: str | PruningMethod) -> PruningMethod:
    """A method instance from a name (default options) or an instance."""
    if isinstance(method, PruningMethod):
        return method
    if isinstance(method, str):
        return create_pruning_method(method)
    raise PruningError(
        "The 'method' parameter must be a pruning method name or a PruningMethod. "
        f"Got {type(method).__name__} instead."
    )
