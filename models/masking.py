"""The one mask mechanism every sparse layer in sparsescope uses.

A masked parameter ``name`` of a module is the pair

* ``module.<name>``       — the trainable ``nn.Parameter`` (dense storage), and
* ``module.<name>_mask``  — a boolean buffer of the same shape (saved in the state dict),

following torch.nn.utils.prune's naming of ``weight_mask``. Forward passes use
``parameter * mask`` (see :meth:`MaskedModule.masked`; the mask is multiplied as a cached 0/1
tensor of the parameter's dtype, :func:`float_mask`, since multiplying by a bool tensor costs
many times more on a CPU), so masked entries are exactly zero in
the forward pass and receive a zero gradient; setting a mask also zeroes the stored entries, so
optimizers (Adam, SGD with momentum or weight decay) never move them away from zero.

Masked linear layers, masked recurrent layers, DAG networks and the priors study's structured
RNNs all share this mixin: one mechanism, not several.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["MaskError", "MaskedModule", "check_mask", "float_mask"]


class MaskError(ValueError):
    """A mask does not fit the parameter it is meant for (shape or dtype)."""


def check_mask(mask: torch.Tensor, parameter: torch.Tensor, *, where: str) -> torch.Tensor:
    """Validate ``mask`` for ``parameter`` and return it as a boolean tensor on its device.

    Accepts boolean masks and 0/1 masks of any numeric dtype (torch.nn.utils.prune stores float
    masks). Raises :class:`MaskError` naming ``where``, the expected and the actual shape or
    dtype otherwise.
    """
    if not isinstance(mask, torch.Tensor):
        raise MaskError(f"The mask for {where} must be a torch.Tensor; got {type(mask).__name__}.")
    if tuple(mask.shape) != tuple(parameter.shape):
        raise MaskError(
            f"The mask for {where} must have shape {tuple(parameter.shape)}; "
            f"got {tuple(mask.shape)}."
        )
    if mask.dtype != torch.bool:
        if mask.dtype.is_complex or not (mask.dtype.is_floating_point or _is_integer(mask)):
            raise MaskError(f"The mask for {where} must be boolean or 0/1; got {mask.dtype}.")
        if not bool(((mask == 0) | (mask == 1)).all()):
            raise MaskError(f"The mask for {where} must only hold 0 and 1; got other values.")
        mask = mask != 0
    return mask.to(device=parameter.device)


def float_mask(module: MaskedModule, name: str = "weight") -> torch.Tensor:
    """The mask of parameter ``name`` as 0/1 in the parameter's dtype and device.

    Cached on the module and rebuilt when the mask buffer is replaced or changed in place
    (``set_mask``, ``load_state_dict``, ``.to()``), which the buffer's version counter
    reveals. Treat the result as read-only.
    """
    mask = module.get_mask(name)
    parameter = getattr(module, name)
    cache = module.__dict__.setdefault("_float_mask_cache", {})
    entry = cache.get(name)
    # Tensor._version is torch's in-place modification counter (the one autograd checks for
    # saved tensors). torch has no public equivalent; without it an in-place edit of the mask
    # buffer (mask[...] = False, load_state_dict's copy_) would leave a stale cached mask.
    if (
        entry is None
        or entry[0] is not mask
        or entry[1] != mask._version
        or entry[2].dtype != parameter.dtype
        or entry[2].device != parameter.device
    ):
        # holding ``mask`` itself keeps its identity from being reused by another tensor
        entry = (mask, mask._version, mask.to(dtype=parameter.dtype))
        cache[name] = entry
    return entry[2]


def _is_integer(tensor: torch.Tensor) -> bool:
    return tensor.dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64)


class MaskedModule(nn.Module):
    """Mixin for modules with masked parameters.

    Subclasses create their parameters, then call :meth:`register_mask` for each one that is
    masked, and use :meth:`masked` in ``forward``.
    """

    def register_mask(self, name: str, mask: torch.Tensor | None = None) -> None:
        """Add a ``<name>_mask`` buffer for parameter ``name`` (all ones unless ``mask`` given)."""
        parameter = getattr(self, name)
        self.register_buffer(f"{name}_mask", torch.ones_like(parameter, dtype=torch.bool))
        names = self.__dict__.setdefault("_masked_parameter_names", [])
        if name not in names:
            names.append(name)
        if mask is not None:
            self.set_mask(name, mask)

    @property
    def masked_parameter_names(self) -> list[str]:
        """Names of this module's masked parameters, in registration order."""
        return list(self.__dict__.get("_masked_parameter_names", []))

    def get_mask(self, name: str = "weight") -> torch.Tensor:
        """The boolean mask of parameter ``name`` (the live buffer; do not edit in place)."""
        self._check_masked(name)
        return getattr(self, f"{name}_mask")

    @torch.no_grad()
    def set_mask(self, name: str, mask: torch.Tensor) -> None:
        """Replace the mask of ``name`` and zero the parameter's masked entries."""
        self._check_masked(name)
        parameter = getattr(self, name)
        checked = check_mask(mask, parameter, where=f"{type(self).__name__}.{name}")
        getattr(self, f"{name}_mask").copy_(checked)
        parameter.mul_(checked)

    def combine_mask(self, name: str, mask: torch.Tensor) -> None:
        """Intersect the mask of ``name`` with ``mask`` (pruning only ever removes)."""
        parameter = getattr(self, name)
        checked = check_mask(mask, parameter, where=f"{type(self).__name__}.{name}")
        self.set_mask(name, self.get_mask(name) & checked)

    def masked(self, name: str = "weight") -> torch.Tensor:
        """``parameter * mask``: what the forward pass uses."""
        return getattr(self, name) * float_mask(self, name)

    @torch.no_grad()
    def apply_masks(self) -> None:
        """Zero every masked entry in storage (after loading weights from elsewhere)."""
        for name in self.masked_parameter_names:
            getattr(self, name).mul_(getattr(self, f"{name}_mask"))

    def _check_masked(self, name: str) -> None:
        if name not in self.masked_parameter_names:
            raise KeyError(
                f"{type(self).__name__} has no masked parameter {name!r}; "
                f"masked parameters: {self.masked_parameter_names}."
            )

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D401
        """Load as usual, then zero masked entries so a loaded mask is enforced at once."""
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
        self.apply_masks()
