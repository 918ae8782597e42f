"""Move masks between sparsescope's MaskedLinear and torch.nn.utils.prune.

``torch.nn.utils.prune`` re-parametrises a pruned parameter ``weight`` as ``weight_orig``
(trainable) and ``weight_mask`` (a float 0/1 buffer) and recomputes ``weight = weight_orig *
weight_mask`` before every forward. :class:`~models.masked_linear.MaskedLinear` keeps ``weight``
and a boolean ``weight_mask``. These functions convert one into the other with the same mask
and the same effective weights, layer by layer or for every layer of a model.

Example
-------
>>> import torch
>>> from torch.nn.utils import prune
>>> linear = prune.l1_unstructured(torch.nn.Linear(4, 3), "weight", amount=0.5)
>>> masked = masked_linear_from_pruned(linear)
>>> bool(torch.equal(masked.get_mask(), linear.weight_mask.bool()))
True
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import prune

from models.masked_linear import MaskedLinear

__all__ = [
    "export_prune_masks",
    "import_prune_masks",
    "masked_linear_from_pruned",
    "pruned_linear_from_masked",
]


def masked_linear_from_pruned(linear: nn.Linear) -> MaskedLinear:
    """A :class:`MaskedLinear` with the mask and effective weights of ``linear``.

    ``linear`` may be pruned (``weight_mask``, optionally ``bias_mask``) or not (mask all
    ones). The original module is left unchanged.

    Raises
    ------
    TypeError
        If ``linear`` is not an ``nn.Linear``.
    """
    if not isinstance(linear, nn.Linear):
        raise TypeError(
            "The 'linear' parameter of masked_linear_from_pruned must be an nn.Linear. "
            f"Got {type(linear).__name__} instead."
        )
    weight_mask = getattr(linear, "weight_mask", None)
    with torch.no_grad():
        layer = MaskedLinear.from_linear(linear)  # copies the effective ``weight``
        if isinstance(weight_mask, torch.Tensor):
            layer.set_mask("weight", weight_mask)
        bias_mask = getattr(linear, "bias_mask", None)
        if layer.bias is not None and isinstance(bias_mask, torch.Tensor):
            layer.register_mask("bias", bias_mask)
    return layer


def pruned_linear_from_masked(layer: MaskedLinear) -> nn.Linear:
    """An ``nn.Linear`` pruned with ``prune.custom_from_mask`` to ``layer``'s mask.

    Its ``weight_orig`` holds ``layer.weight``, its ``weight_mask`` the mask as float 0/1, so
    its ``weight`` equals ``layer.effective_weight()``. A masked bias becomes ``bias_mask``.

    Raises
    ------
    TypeError
        If ``layer`` is not a :class:`MaskedLinear`.
    """
    if not isinstance(layer, MaskedLinear):
        raise TypeError(
            "The 'layer' parameter of pruned_linear_from_masked must be a MaskedLinear. "
            f"Got {type(layer).__name__} instead."
        )
    linear = layer.to_linear()  # masked entries are zero in storage, so this is weight_orig
    dtype = linear.weight.dtype
    prune.custom_from_mask(linear, "weight", layer.get_mask("weight").to(dtype))
    if "bias" in layer.masked_parameter_names:
        prune.custom_from_mask(linear, "bias", layer.get_mask("bias").to(dtype))
    return linear


def import_prune_masks(model: nn.Module) -> nn.Module:
    """Replace every pruned ``nn.Linear`` inside ``model`` by an equivalent MaskedLinear.

    Works in place and returns ``model``; a pruned ``model`` that is itself an ``nn.Linear``
    is returned converted. Unpruned linear layers stay as they are.
    """
    return _replace(model, _is_pruned_linear, masked_linear_from_pruned)


def export_prune_masks(model: nn.Module) -> nn.Module:
    """Replace every MaskedLinear inside ``model`` by an ``nn.Linear`` pruned to its mask.

    Works in place and returns ``model`` (or the converted layer if ``model`` is one).
    """
    return _replace(model, lambda m: isinstance(m, MaskedLinear), pruned_linear_from_masked)


def _is_pruned_linear(module: nn.Module) -> bool:
    return isinstance(module, nn.Linear) and isinstance(
        getattr(module, "weight_mask", None), torch.Tensor
    )


def _replace(model: nn.Module, select, convert) -> nn.Module:
    if select(model):
        return convert(model)
    # convert everything first, then swap, so a failure leaves ``model`` untouched
    replacements = [
        (parent, name, convert(child))
        for parent in model.modules()
        for name, child in parent.named_children()
        if select(child)
    ]
    for parent, name, new in replacements:
        setattr(parent, name, new)
    return model
