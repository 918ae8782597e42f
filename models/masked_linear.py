"""A linear layer whose weight carries a boolean mask: the building block of sparse networks.

``MaskedLinear`` stores ``weight`` (out, in), ``bias`` (out,) and the boolean buffer
``weight_mask`` (saved in the state dict), all through :class:`models.masking.MaskedModule`.
The forward pass uses ``weight * weight_mask``, so masked weights are zero even if someone
writes (finite values) into the stored tensor, and their gradient is exactly zero, so no
optimizer moves them. The product uses a cached floating-point copy of the mask
(:func:`float_mask`): on a CPU, multiplying by a bool tensor costs several times more than by a
float one, and that difference alone would make a masked layer markedly slower than
``nn.Linear``.

Example
-------
>>> import torch
>>> layer = MaskedLinear(3, 2)
>>> layer.set_mask("weight", torch.tensor([[1, 0, 0], [0, 1, 1]]))
>>> int(layer.get_mask().sum())
3
>>> bool((layer.weight[0, 1:] == 0).all())
True
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from models.masking import MaskedModule, float_mask
from models.state_dict import CheckedStateDictMixin

__all__ = ["MaskedLinear", "float_mask"]  # float_mask re-exported from models.masking


class MaskedLinear(CheckedStateDictMixin, MaskedModule):
    """``y = x W_m^T + b`` with ``W_m = where(weight_mask, weight, 0)``.

    Parameters
    ----------
    in_features, out_features:
        Sizes of each input and output sample (positive integers).
    bias:
        Learn an additive bias.
    mask:
        Optional initial weight mask of shape (out_features, in_features), bool or 0/1;
        default all ones (dense).
    device, dtype:
        As for :class:`torch.nn.Linear`.

    Raises
    ------
    ValueError
        If a size is not a positive integer.
    models.masking.MaskError
        If ``mask`` has the wrong shape or dtype.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        mask: torch.Tensor | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        _check_size(in_features, "in_features")
        _check_size(out_features, "out_features")
        self.in_features = in_features
        self.out_features = out_features
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_features, in_features, **factory))
        self.bias = nn.Parameter(torch.empty(out_features, **factory)) if bias else None
        self.register_mask("weight")
        self.reset_parameters()
        if mask is not None:
            self.set_mask("weight", mask)

    @classmethod
    def from_linear(cls, linear: nn.Linear, mask: torch.Tensor | None = None) -> MaskedLinear:
        """A masked copy of ``linear`` (its weight and bias, on its device and dtype).

        ``linear.weight`` is read as is; for a layer pruned with ``torch.nn.utils.prune`` use
        :func:`models.prune_interop.masked_linear_from_pruned`, which also takes its mask.
        """
        if not isinstance(linear, nn.Linear):
            raise TypeError(
                "The 'linear' parameter of MaskedLinear.from_linear must be an nn.Linear. "
                f"Got {type(linear).__name__} instead."
            )
        weight = linear.weight
        layer = cls(
            linear.in_features,
            linear.out_features,
            bias=linear.bias is not None,
            device=weight.device,
            dtype=weight.dtype,
        )
        with torch.no_grad():
            layer.weight.copy_(weight)
            if linear.bias is not None:
                layer.bias.copy_(linear.bias)
        if mask is not None:
            layer.set_mask("weight", mask)
        return layer

    def to_linear(self) -> nn.Linear:
        """A plain ``nn.Linear`` holding the effective (masked) weights."""
        weight = self.weight
        linear = nn.Linear(
            self.in_features,
            self.out_features,
            bias=self.bias is not None,
            device=weight.device,
            dtype=weight.dtype,
        )
        with torch.no_grad():
            linear.weight.copy_(self.effective_weight())
            if self.bias is not None:
                linear.bias.copy_(self.effective_bias())
        return linear

    def reset_parameters(self) -> None:
        """Re-initialise like ``nn.Linear`` (uniform in ±1/sqrt(in_features)), keep the mask."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)
        self.apply_masks()

    def effective_weight(self) -> torch.Tensor:
        """The weight the forward pass uses: masked entries zero."""
        return self.weight * float_mask(self, "weight")

    def effective_bias(self) -> torch.Tensor | None:
        """The bias the forward pass uses (masked too if a ``bias`` mask is registered)."""
        if self.bias is None or "bias" not in self.masked_parameter_names:
            return self.bias
        return self.bias * float_mask(self, "bias")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., in_features) -> (..., out_features)``."""
        return F.linear(x, self.effective_weight(), self.effective_bias())

    def extra_repr(self) -> str:
        density = float(self.weight_mask.float().mean()) if self.weight_mask.numel() else 0.0
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, mask_density={density:.3f}"
        )


def _check_size(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"The '{name}' parameter of MaskedLinear must be a positive integer. "
            f"Got {value!r} instead."
        )
