"""Tests for models.prune_interop against torch.nn.utils.prune."""

import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from models.masked_linear import MaskedLinear
from models.prune_interop import (
    export_prune_masks,
    import_prune_masks,
    masked_linear_from_pruned,
    pruned_linear_from_masked,
)


def test_pruned_linear_to_masked_linear_and_back():
    torch.manual_seed(0)
    linear = prune.l1_unstructured(nn.Linear(8, 5), "weight", amount=0.6)
    masked = masked_linear_from_pruned(linear)
    assert torch.equal(masked.get_mask(), linear.weight_mask.bool())
    torch.testing.assert_close(masked.effective_weight(), linear.weight)
    x = torch.randn(3, 8)
    torch.testing.assert_close(masked(x), linear(x))

    back = pruned_linear_from_masked(masked)
    assert prune.is_pruned(back)
    assert torch.equal(back.weight_mask, linear.weight_mask)
    torch.testing.assert_close(back.weight, linear.weight)
    torch.testing.assert_close(back(x), linear(x))


def test_bias_masks_travel_too():
    linear = nn.Linear(4, 3)
    prune.custom_from_mask(linear, "bias", torch.tensor([1.0, 0.0, 1.0]))
    masked = masked_linear_from_pruned(linear)
    assert masked.masked_parameter_names == ["weight", "bias"]
    x = torch.randn(2, 4)
    torch.testing.assert_close(masked(x), linear(x))
    back = pruned_linear_from_masked(masked)
    assert torch.equal(back.bias_mask, torch.tensor([1.0, 0.0, 1.0]))


def test_unpruned_linear_gets_an_all_ones_mask():
    linear = nn.Linear(3, 2)
    masked = masked_linear_from_pruned(linear)
    assert torch.equal(masked.get_mask(), torch.ones(2, 3, dtype=torch.bool))
    assert torch.equal(masked.weight, linear.weight) and torch.equal(masked.bias, linear.bias)
    x = torch.randn(4, 3)
    torch.testing.assert_close(masked(x), linear(x))


def test_whole_models_convert_in_place():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 2)))
    prune.random_unstructured(model[0], "weight", amount=0.5)
    prune.random_unstructured(model[2][0], "weight", amount=0.5)
    x = torch.randn(5, 6)
    expected = model(x)
    pruned = [(model[0].weight_orig.clone(), model[0].weight_mask.clone())]
    pruned.append((model[2][0].weight_orig.clone(), model[2][0].weight_mask.clone()))
    import_prune_masks(model)
    for layer, (weight, mask) in zip((model[0], model[2][0]), pruned, strict=True):
        assert type(layer) is MaskedLinear
        assert torch.equal(layer.get_mask(), mask.bool())
        assert torch.equal(layer.effective_weight(), weight * mask)
    torch.testing.assert_close(model(x), expected)
    export_prune_masks(model)
    for layer, (weight, mask) in zip((model[0], model[2][0]), pruned, strict=True):
        assert type(layer) is nn.Linear and prune.is_pruned(layer)
        assert torch.equal(layer.weight_mask, mask)
        assert torch.equal(layer.weight, weight * mask)
    torch.testing.assert_close(model(x), expected)


def test_single_layers_are_returned_converted():
    torch.manual_seed(2)
    layer = prune.random_unstructured(nn.Linear(3, 3), "weight", amount=0.3)
    x = torch.randn(4, 3)
    imported = import_prune_masks(layer)
    assert type(imported) is MaskedLinear
    assert torch.equal(imported.get_mask(), layer.weight_mask.bool())
    torch.testing.assert_close(imported(x), layer(x))
    masked = MaskedLinear(2, 2, mask=torch.tensor([[True, False], [False, True]]))
    exported = export_prune_masks(masked)
    assert type(exported) is nn.Linear
    assert torch.equal(exported.weight_mask, torch.eye(2))
    torch.testing.assert_close(exported(x[:, :2]), masked(x[:, :2]))


@pytest.mark.parametrize(
    ("function", "argument"),
    [(masked_linear_from_pruned, nn.Conv2d(1, 1, 1)), (pruned_linear_from_masked, nn.Linear(2, 2))],
)
def test_wrong_layer_types(function, argument):
    with pytest.raises(TypeError, match="must be"):
        function(argument)
