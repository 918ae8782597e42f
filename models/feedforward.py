"""A masked deep feed-forward network of any widths and depth.

``MaskedFeedForward(784, [300, 100], 10)`` is the classic LeNet-300-100 with a
:class:`~models.masked_linear.MaskedLinear` per layer: ``a_l = σ(LN(W_l a_{l-1} + b_l))`` for
the hidden layers (layer norm optional) and a linear output layer. Inputs with more than one
feature dimension (images) are flattened.

Example
-------
>>> import torch
>>> net = MaskedFeedForward(4, [3, 3], 2, activation="tanh")
>>> net.widths
[4, 3, 3, 2]
>>> net(torch.zeros(5, 4)).shape
torch.Size([5, 2])
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from models.activations import create_activation
from models.masked_linear import MaskedLinear
from models.masking import check_mask
from models.state_dict import CheckedStateDictMixin

__all__ = ["MaskedFeedForward"]


class MaskedFeedForward(CheckedStateDictMixin, nn.Module):
    """Masked multi-layer perceptron.

    Parameters
    ----------
    in_features:
        Number of input features (inputs are flattened from dimension 1 on).
    hidden:
        Widths of the hidden layers, in order; empty for a single (masked) linear map.
    out_features:
        Number of outputs.
    activation:
        Name of the non-linearity (see :func:`models.activations.list_activations`).
    layer_norm:
        Apply ``nn.LayerNorm`` to every hidden pre-activation.
    bias:
        Learn biases.

    Attributes
    ----------
    layers:
        ``nn.ModuleList`` of :class:`MaskedLinear`, one per weight matrix.
    norms:
        ``nn.ModuleList`` of ``nn.LayerNorm`` (empty without layer norm).

    Raises
    ------
    ValueError
        If a width is not a positive integer or the activation is unknown.
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        out_features: int,
        *,
        activation: str = "relu",
        layer_norm: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__()
        _check_width(in_features, "in_features")
        _check_width(out_features, "out_features")
        if isinstance(hidden, int | str) or not isinstance(hidden, Sequence):
            raise ValueError(
                "The 'hidden' parameter of MaskedFeedForward must be a sequence of positive "
                f"integers. Got {hidden!r} instead."
            )
        for width in hidden:
            _check_width(width, "hidden")
        self.activation_name = activation
        self.activation = create_activation(activation)
        self.layer_norm = bool(layer_norm)
        widths = [in_features, *hidden, out_features]
        self.layers = nn.ModuleList(
            MaskedLinear(fan_in, fan_out, bias=bias)
            for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(width) for width in hidden) if layer_norm else None

    @property
    def widths(self) -> list[int]:
        """Layer sizes from input to output."""
        return [self.layers[0].in_features, *(layer.out_features for layer in self.layers)]

    @property
    def in_features(self) -> int:
        return self.layers[0].in_features

    @property
    def out_features(self) -> int:
        return self.layers[-1].out_features

    def masks(self) -> list[torch.Tensor]:
        """The weight mask of every layer, input to output."""
        return [layer.get_mask("weight") for layer in self.layers]

    def set_masks(self, masks: Sequence[torch.Tensor]) -> None:
        """Replace every layer's weight mask (one mask per layer, input to output).

        Raises
        ------
        ValueError
            If the number of masks differs from the number of layers.
        models.masking.MaskError
            If a mask does not fit its layer; no mask is changed then.
        """
        if len(masks) != len(self.layers):
            raise ValueError(
                f"The 'masks' parameter of MaskedFeedForward.set_masks needs {len(self.layers)} "
                f"masks, one per layer. Got {len(masks)} instead."
            )
        checked = [
            check_mask(mask, layer.weight, where=f"MaskedFeedForward.layers[{index}].weight")
            for index, (layer, mask) in enumerate(zip(self.layers, masks, strict=True))
        ]  # validate all before changing any
        for layer, mask in zip(self.layers, checked, strict=True):
            layer.set_mask("weight", mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(batch, *features) -> (batch, out_features)``."""
        x = x.flatten(1)
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            x = layer(x)
            if index < last:
                if self.norms is not None:
                    x = self.norms[index](x)
                x = self.activation(x)
        return x

    def extra_repr(self) -> str:
        return f"widths={self.widths}, activation={self.activation_name!r}"


def _check_width(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"The '{name}' parameter of MaskedFeedForward must be a positive integer"
            f"{' for every layer' if name == 'hidden' else ''}. Got {value!r} instead."
        )
