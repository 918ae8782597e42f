"""What a pruning run may remove: the *prunable parameters* of a model, grouped in classes.

A :class:`PrunableParameter` is one masked parameter of one
:class:`~models.masking.MaskedModule` (the project's one mask mechanism: the parameter and its
``<name>_mask`` buffer) plus the *class* (paper, § 2: usually the layer) it belongs to.
Class-uniform and class-distributed magnitude pruning work per class; everything else sees
one pool of weights. :func:`prunable_parameters` finds the default targets — every masked
weight of every masked module, one class per parameter — and other studies pass their own
list instead (e.g. the recurrent study's input-to-hidden and hidden-to-hidden classes of a
:class:`~models.masked_recurrent.MaskedRecurrentLayer`), so there is no second mechanism.

Plain ``nn.Linear`` layers carry no mask; :func:`to_masked` converts them (with
:func:`models.prune_interop.masked_linear_from_pruned`, which also keeps a
``torch.nn.utils.prune`` mask).

Example
-------
>>> from models.feedforward import MaskedFeedForward
>>> [(t.name, t.group, t.numel) for t in prunable_parameters(MaskedFeedForward(4, [3], 2))]
[('layers.0.weight', 'layers.0.weight', 12), ('layers.1.weight', 'layers.1.weight', 6)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from models.masking import MaskedModule
from models.prune_interop import masked_linear_from_pruned
from models.pruning.errors import PruningError

__all__ = ["PrunableParameter", "check_targets", "prunable_parameters", "to_masked"]


@dataclass(frozen=True, eq=False)
class PrunableParameter:
    """One masked parameter that pruning may thin out.

    Attributes
    ----------
    name:
        Qualified name in the model (``"layers.0.weight"``), the key of masks in records.
    module:
        The :class:`MaskedModule` owning the parameter.
    parameter:
        The parameter's attribute name in ``module`` (its mask is ``<parameter>_mask``).
    group:
        The class (layer) this parameter belongs to; several parameters may share one.
    """

    name: str
    module: MaskedModule
    parameter: str
    group: str

    def __post_init__(self) -> None:
        if not isinstance(self.module, MaskedModule):
            raise PruningError(
                f"The prunable parameter {self.name!r} must belong to a MaskedModule. "
                f"Got {type(self.module).__name__} instead."
            )
        if self.parameter not in self.module.masked_parameter_names:
            raise PruningError(
                f"The prunable parameter {self.name!r} names {self.parameter!r}, which is not "
                f"a masked parameter of {type(self.module).__name__} "
                f"(masked: {self.module.masked_parameter_names})."
            )

    @property
    def tensor(self) -> torch.Tensor:
        """The stored parameter (masked entries are zero)."""
        return getattr(self.module, self.parameter)

    @property
    def mask(self) -> torch.Tensor:
        """The live boolean mask (``True`` = kept)."""
        return self.module.get_mask(self.parameter)

    @property
    def numel(self) -> int:
        return self.tensor.numel()


def prunable_parameters(model: nn.Module) -> list[PrunableParameter]:
    """Every masked weight of every :class:`MaskedModule` in ``model``, one class each.

    Bias masks (registered when whole neurons are pruned) are not targets: sparsity counts
    weights.

    Raises
    ------
    PruningError
        If ``model`` has no masked weight; the message says how to convert plain
        ``nn.Linear`` layers.
    """
    targets = [
        PrunableParameter(f"{prefix}{'.' if prefix else ''}{name}", module, name, "")
        for prefix, module in model.named_modules()
        if isinstance(module, MaskedModule)
        for name in module.masked_parameter_names
        if not name.startswith("bias")
    ]
    targets = [PrunableParameter(t.name, t.module, t.parameter, t.name) for t in targets]
    if not targets:
        linear = sum(isinstance(m, nn.Linear) for m in model.modules())
        hint = (
            f" It holds {linear} plain nn.Linear layer(s): convert them with "
            "models.pruning.to_masked(model) first."
            if linear
            else ""
        )
        raise PruningError(
            f"The model ({type(model).__name__}) has no prunable parameters: no MaskedModule "
            f"with a masked weight.{hint}"
        )
    return targets


def check_targets(targets: Sequence[PrunableParameter], *, where: str) -> list[PrunableParameter]:
    """Validate a user-given target list (non-empty, distinct names, same device)."""
    targets = list(targets)
    if not targets:
        raise PruningError(f"The 'targets' parameter of {where} is empty: nothing to prune.")
    for target in targets:
        if not isinstance(target, PrunableParameter):
            raise PruningError(
                f"The 'targets' parameter of {where} must hold PrunableParameter objects. "
                f"Got {type(target).__name__} instead."
            )
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        raise PruningError(f"The 'targets' parameter of {where} names a parameter twice: {names}.")
    devices = {t.tensor.device for t in targets}
    if len(devices) > 1:
        raise PruningError(
            f"The prunable parameters passed to {where} live on several devices: "
            f"{sorted(map(str, devices))}; move the model to one device first."
        )
    return targets


def to_masked(model: nn.Module) -> nn.Module:
    """Replace every ``nn.Linear`` in ``model`` by an equivalent :class:`MaskedLinear`.

    Works in place and returns ``model`` (or the converted layer if ``model`` is an
    ``nn.Linear``). A layer pruned with ``torch.nn.utils.prune`` keeps its mask. Build the
    optimiser *after* converting: the converted layers hold new parameters.

    >>> net = to_masked(nn.Sequential(nn.Linear(3, 2), nn.ReLU(), nn.Linear(2, 1)))
    >>> [type(m).__name__ for m in net]
    ['MaskedLinear', 'ReLU', 'MaskedLinear']
    """
    if isinstance(model, nn.Linear):
        return masked_linear_from_pruned(model)
    # convert everything first, then swap, so a failure leaves ``model`` untouched
    replacements = [
        (parent, name, masked_linear_from_pruned(child))
        for parent in model.modules()
        for name, child in parent.named_children()
        if isinstance(child, nn.Linear)
    ]
    for parent, name, new in replacements:
        setattr(parent, name, new)
    return model
