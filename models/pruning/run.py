"""A pruning run: a scheme repeating a method's steps, with re-training and rewinding.

:class:`PruningRun` (or :func:`prune_iteratively`) is the loop a pruning study is a thin
layer over. Iterating it yields one :class:`PruningRecord` per step — step 0 is the model as
given — each holding the sparsity, the masks and the accuracy right after pruning and after
re-training. Per step:

1. the scheme says how many elements go (``None``: done); the count is clipped so the run
   stops exactly at ``target_sparsity``, and the run stops after ``max_steps`` steps;
2. the method selects them and the masks shrink (all or nothing, see
   :func:`models.pruning.step.prune_step`);
3. ``evaluate(model)`` gives the accuracy before re-training;
4. with ``rewind_to`` (a :func:`parameter_snapshot` taken at initialisation or at epoch
   ``k``), the surviving weights are reset to their values then (lottery-ticket rewinding);
5. ``retrain(model, step)`` re-trains (e.g. N epochs), then ``evaluate`` again. Re-training
   must not change the masks; the run checks that, so nothing is ever un-pruned.

:attr:`PruningRun.pruned_at` tells, per prunable parameter, the step at which each weight was
pruned (``-1``: still alive; ``0``: already masked at the start) — what a warehouse needs to
store a run's connections once.

Example
-------
>>> from models.feedforward import MaskedFeedForward
>>> net = MaskedFeedForward(4, [3], 2)
>>> run = PruningRun(net, "magnitude_class_blinded", create_pruning_scheme("percentage", amount=0.5),
...                  max_steps=3)
>>> [round(record.sparsity, 3) for record in run]
[0.0, 0.5, 0.778, 0.889]
>>> run.stop_reason
'max_steps'
"""  # noqa: E501

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from models.masking import MaskedModule
from models.pruning.context import PruningContext
from models.pruning.errors import PruningError, check_fraction, check_positive_int
from models.pruning.granularity import create_granularity
from models.pruning.methods import PruningMethod
from models.pruning.schemes import PruningScheme, create_pruning_scheme, nearest
from models.pruning.step import as_method, prune_step, restore_on_failure, sorted_alive_scores
from models.pruning.targets import PrunableParameter

__all__ = [
    "PruningRecord",
    "PruningRun",
    "create_pruning_scheme",
    "parameter_snapshot",
    "prune_iteratively",
]

Retrain = Callable[[nn.Module, int], Any]
Evaluate = Callable[[nn.Module], float]


@dataclass(frozen=True)
class PruningRecord:
    """The state of a pruning run after one step.

    Attributes
    ----------
    step:
        0 for the model as given, then 1, 2, ...
    removed:
        Elements (weights or neurons) removed at this step.
    pruned_fraction:
        Fraction of all elements pruned so far (what the scheme and ``target_sparsity`` count).
    sparsity:
        Fraction of the prunable weights that are zero (masked ones included).
    layer_sparsity:
        The same per prunable parameter (by name).
    masks:
        Boolean masks of the prunable parameters (CPU copies; ``True`` = kept).
    accuracy_before, accuracy_after:
        ``evaluate(model)`` right after pruning and after re-training (``None`` without
        ``evaluate``; ``accuracy_after`` is ``None`` without ``retrain``).
    """

    step: int
    removed: int
    pruned_fraction: float
    sparsity: float
    layer_sparsity: dict[str, float]
    masks: dict[str, torch.Tensor] = field(repr=False)
    accuracy_before: float | None
    accuracy_after: float | None


class PruningRun:
    """Iterate a pruning scheme over ``model`` (in place), one :class:`PruningRecord` per step.

    Parameters
    ----------
    model:
        A model with masked parameters.
    method:
        A pruning method name or instance.
    scheme:
        A :class:`PruningScheme` (from :func:`create_pruning_scheme`).
    granularity:
        ``"weight"`` or ``"neuron"``.
    targets:
        Prunable parameters and their classes (default: every masked weight).
    context:
        Data, loss, seed and input shape for the methods that need them.
    retrain:
        ``retrain(model, step)`` re-trains between steps (e.g. N epochs).
    evaluate:
        ``evaluate(model) -> accuracy``.
    rewind_to:
        A :func:`parameter_snapshot`: surviving weights are reset to it after every step.
    target_sparsity:
        Stop once this fraction of the elements is pruned (clipping the last step).
    max_steps:
        Stop after this many steps.
    """

    def __init__(
        self,
        model: nn.Module,
        method: str | PruningMethod,
        scheme: PruningScheme,
        *,
        granularity: str = "weight",
        targets: Sequence[PrunableParameter] | None = None,
        context: PruningContext | None = None,
        retrain: Retrain | None = None,
        evaluate: Evaluate | None = None,
        rewind_to: Mapping[str, torch.Tensor] | None = None,
        target_sparsity: float | None = None,
        max_steps: int | None = None,
    ) -> None:
        where = "PruningRun"
        if not isinstance(scheme, PruningScheme):
            raise PruningError(
                f"The 'scheme' parameter of {where} must be a PruningScheme (see "
                f"create_pruning_scheme). Got {type(scheme).__name__} instead."
            )
        self.model = model
        self.method = as_method(method)
        self.scheme = scheme
        self.context = context or PruningContext()
        if self.method.needs_data:
            self.context.require_data(self.method.name)
        self.granularity = create_granularity(granularity, model, targets)
        self.retrain = retrain
        self.evaluate = evaluate
        self.rewind_to = _check_snapshot(model, rewind_to) if rewind_to is not None else None
        self.target_sparsity = (
            None
            if target_sparsity is None
            else check_fraction(target_sparsity, name="target_sparsity", where=where)
        )
        self.max_steps = (
            None
            if max_steps is None
            else check_positive_int(max_steps, name="max_steps", where=where)
        )
        self.pruned_at = {
            t.name: torch.where(t.mask, -1, 0).to(torch.int32).cpu()
            for t in self.granularity.targets
        }
        self.stop_reason: str | None = None

    def __iter__(self) -> Iterator[PruningRecord]:
        accuracy = self._evaluate()
        yield self._record(0, 0, accuracy, accuracy)
        elements = self.granularity
        total = elements.total()
        step, event = 0, 0
        while True:
            if self.max_steps is not None and step >= self.max_steps:
                self.stop_reason = "max_steps"
                return
            alive = elements.count_alive()
            limit = None if self.target_sparsity is None else nearest(self.target_sparsity * total)
            if limit is not None and total - alive >= limit:
                self.stop_reason = "target_sparsity"
                return
            cache: dict[str, Any] = {}

            def sorted_scores(cache: dict[str, Any] = cache) -> torch.Tensor:
                cache["sorted"], cache["scores"] = sorted_alive_scores(
                    self.method, self.model, elements, self.context
                )
                return cache["sorted"]

            count = self.scheme.next_count(
                event=event,
                total=total,
                alive=alive,
                sorted_scores=sorted_scores if self.scheme.needs_scores else None,
            )
            event += 1
            if count is None:
                self.stop_reason = "schedule"
                return
            if limit is not None:
                count = min(count, limit - (total - alive))
            if count == 0:
                continue
            step += 1
            remove = prune_step(
                self.model, self.method, elements, count, self.context, cache.get("scores")
            )
            self._mark(remove, step)
            accuracy_before = self._evaluate()
            accuracy_after = None
            if self.rewind_to is not None:
                with restore_on_failure(self.model):
                    self._rewind()
            if self.retrain is not None:
                masks = [t.mask.clone() for t in elements.targets]
                self.retrain(self.model, step)
                self._check_masks(masks)
                accuracy_after = self._evaluate()
            yield self._record(step, count, accuracy_before, accuracy_after)

    # ------------------------------------------------------------------ helpers

    def _evaluate(self) -> float | None:
        return None if self.evaluate is None else float(self.evaluate(self.model))

    def _record(self, step, removed, before, after) -> PruningRecord:
        targets = self.granularity.targets
        zeros = {t.name: int(((t.tensor.detach() * t.mask) == 0).sum()) for t in targets}
        sizes = {t.name: t.numel for t in targets}
        total = self.granularity.total()
        return PruningRecord(
            step=step,
            removed=removed,
            pruned_fraction=(total - self.granularity.count_alive()) / total,
            sparsity=sum(zeros.values()) / sum(sizes.values()),
            layer_sparsity={name: zeros[name] / sizes[name] for name in sizes},
            masks={t.name: t.mask.detach().cpu().clone() for t in targets},
            accuracy_before=before,
            accuracy_after=after,
        )

    def _mark(self, remove, step: int) -> None:
        for t in self.granularity.targets:
            newly = (~t.mask.cpu()) & (self.pruned_at[t.name] < 0)
            self.pruned_at[t.name][newly] = step

    @torch.no_grad()
    def _rewind(self) -> None:
        parameters = dict(self.model.named_parameters())
        for name, value in self.rewind_to.items():
            parameters[name].copy_(value)
        for module in self.model.modules():
            if isinstance(module, MaskedModule):
                module.apply_masks()

    def _check_masks(self, expected: list[torch.Tensor]) -> None:
        for t, mask in zip(self.granularity.targets, expected, strict=True):
            if not torch.equal(t.mask, mask):
                revived = int((t.mask & ~mask).sum())
                raise PruningError(
                    f"The retrain callable changed the mask of {t.name!r} "
                    f"({revived} pruned weights revived); re-training must keep the masks."
                )
        for module in self.model.modules():
            if isinstance(module, MaskedModule):
                module.apply_masks()


def prune_iteratively(
    model: nn.Module, method: str | PruningMethod, scheme: PruningScheme, **options: Any
) -> Iterator[PruningRecord]:
    """``iter(PruningRun(model, method, scheme, **options))``."""
    return iter(PruningRun(model, method, scheme, **options))


def parameter_snapshot(model: nn.Module) -> dict[str, torch.Tensor]:
    """Copies of ``model``'s parameters by name (the state to rewind to)."""
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _check_snapshot(model: nn.Module, snapshot: Mapping[str, torch.Tensor]) -> dict:
    parameters = dict(model.named_parameters())
    unknown = [name for name in snapshot if name not in parameters]
    if unknown:
        raise PruningError(
            f"The 'rewind_to' parameter of PruningRun names parameters the model does not "
            f"have: {unknown[:5]}."
        )
    for name, value in snapshot.items():
        if tuple(value.shape) != tuple(parameters[name].shape):
            raise PruningError(
                f"The 'rewind_to' parameter of PruningRun holds {name!r} with shape "
                f"{tuple(value.shape)}; the model's is {tuple(parameters[name].shape)}."
            )
    return {name: value.detach().clone() for name, value in snapshot.items()}
