"""Tests for models.feedforward against a dense nn.Sequential with the same weights."""

import pytest
import torch
from torch import nn

from models.feedforward import MaskedFeedForward
from models.masking import MaskError

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}


def _dense_copy(model: MaskedFeedForward) -> nn.Sequential:
    """The same network written with nn.Linear / nn.LayerNorm / activation modules."""
    modules: list[nn.Module] = []
    last = len(model.layers) - 1
    for index, layer in enumerate(model.layers):
        modules.append(layer.to_linear())
        if index < last:
            if model.norms is not None:
                modules.append(model.norms[index])
            modules.append(_ACTIVATIONS[model.activation_name]())
    return nn.Sequential(nn.Flatten(), *modules)


@pytest.mark.parametrize("activation", sorted(_ACTIVATIONS))
@pytest.mark.parametrize("layer_norm", [False, True])
@pytest.mark.parametrize("hidden", [[], [7], [9, 5, 4]])
def test_all_ones_mask_equals_dense_network(activation, layer_norm, hidden):
    torch.manual_seed(0)
    model = MaskedFeedForward(6, hidden, 3, activation=activation, layer_norm=layer_norm)
    dense = _dense_copy(model)
    x = torch.randn(4, 6)
    torch.testing.assert_close(model(x), dense(x))
    assert model.widths == [6, *hidden, 3]


def test_masked_network_equals_dense_network_with_zeroed_weights():
    torch.manual_seed(0)
    model = MaskedFeedForward(6, [8, 5], 2)
    model.set_masks([torch.rand(8, 6) > 0.5, torch.rand(5, 8) > 0.5, torch.rand(2, 5) > 0.5])
    dense = _dense_copy(model)
    for layer, linear in zip(model.layers, dense[1::2], strict=True):
        assert torch.equal(linear.weight != 0, layer.get_mask() & (layer.weight != 0))
    x = torch.randn(3, 6)
    torch.testing.assert_close(model(x), dense(x))


def test_images_are_flattened_in_channel_row_column_order():
    model = MaskedFeedForward(2 * 2 * 3, [], 3)
    with torch.no_grad():  # output j reads one chosen pixel: (channel, row, column)
        model.layers[0].weight.zero_()
        model.layers[0].bias.zero_()
        for j, (c, r, col) in enumerate([(0, 0, 1), (1, 0, 0), (1, 1, 2)]):
            model.layers[0].weight[j, c * 6 + r * 3 + col] = 1.0
    images = torch.arange(2 * 12, dtype=torch.float32).reshape(2, 2, 2, 3)  # (batch, C, H, W)
    expected = torch.stack([images[:, 0, 0, 1], images[:, 1, 0, 0], images[:, 1, 1, 2]], 1)
    torch.testing.assert_close(model(images), expected)
    assert model(images).tolist() == [[1.0, 6.0, 11.0], [13.0, 18.0, 23.0]]


def test_set_masks_validates_all_before_changing_any():
    model = MaskedFeedForward(4, [3], 2)
    before = [mask.clone() for mask in model.masks()]
    with pytest.raises(MaskError, match=r"layers\[1\]"):
        model.set_masks([torch.zeros(3, 4), torch.zeros(3, 3)])
    assert all(torch.equal(a, b) for a, b in zip(before, model.masks(), strict=True))
    with pytest.raises(ValueError, match="2 masks"):
        model.set_masks([torch.zeros(3, 4)])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0, [3], 2), "in_features"),
        ((4, [3, 0], 2), "hidden"),
        ((4, 3, 2), "hidden"),
        ((4, [3], -2), "out_features"),
    ],
)
def test_invalid_sizes(args, match):
    with pytest.raises(ValueError, match=match):
        MaskedFeedForward(*args)


def test_unknown_activation():
    with pytest.raises(ValueError, match="activation"):
        MaskedFeedForward(4, [3], 2, activation="nope")
