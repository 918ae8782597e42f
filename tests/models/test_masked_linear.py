"""Tests for models.masked_linear against a plain nn.Linear."""

import pytest
import torch
from torch import nn

from models.masked_linear import MaskedLinear
from models.masking import MaskError


def _pair(in_features=6, out_features=4, bias=True):
    torch.manual_seed(0)
    dense = nn.Linear(in_features, out_features, bias=bias)
    return dense, MaskedLinear.from_linear(dense)


def test_all_ones_mask_equals_dense_linear_forward_and_gradients():
    dense, masked = _pair()
    x = torch.randn(5, 6)
    torch.testing.assert_close(masked(x), dense(x))
    dense(x).square().sum().backward()
    masked(x).square().sum().backward()
    torch.testing.assert_close(masked.weight.grad, dense.weight.grad)
    torch.testing.assert_close(masked.bias.grad, dense.bias.grad)


def test_mask_zeroes_forward_even_if_storage_is_overwritten():
    _, layer = _pair()
    mask = torch.rand(4, 6) > 0.5
    layer.set_mask("weight", mask)
    with torch.no_grad():
        layer.weight.fill_(2.0)  # writes non-zeros into masked positions
    x = torch.randn(3, 6)
    expected = x @ (2.0 * mask.float()).t() + layer.bias
    torch.testing.assert_close(layer(x), expected)


@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: torch.optim.Adam(p, lr=0.1),
        lambda p: torch.optim.AdamW(p, lr=0.1, weight_decay=0.1),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
    ],
    ids=["adam", "adamw", "sgd-momentum-decay"],
)
def test_masked_weights_stay_exactly_zero_while_training(make_optimizer):
    torch.manual_seed(1)
    model = nn.Sequential(MaskedLinear(8, 6), nn.ReLU(), MaskedLinear(6, 3))
    masks = [torch.rand(6, 8) > 0.6, torch.rand(3, 6) > 0.6]
    for layer, mask in zip(model[::2], masks, strict=True):
        layer.set_mask("weight", mask)
    optimizer = make_optimizer(model.parameters())
    x, y = torch.randn(16, 8), torch.randn(16, 3)
    first = [layer.weight.detach().clone() for layer in model[::2]]
    for _ in range(5):
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        for layer, mask in zip(model[::2], masks, strict=True):
            assert (layer.weight.grad[~mask] == 0).all()
        optimizer.step()
    for layer, mask, start in zip(model[::2], masks, first, strict=True):
        assert (layer.weight[~mask] == 0).all()
        assert not torch.equal(layer.weight[mask], start[mask])  # unmasked ones did train


def test_mask_is_a_bool_buffer_in_the_state_dict():
    _, layer = _pair()
    layer.set_mask("weight", torch.eye(4, 6))
    state = layer.state_dict()
    assert state["weight_mask"].dtype == torch.bool
    assert "weight_mask" not in dict(layer.named_parameters())
    fresh = MaskedLinear(6, 4)
    fresh.load_state_dict(state)
    assert torch.equal(fresh.get_mask(), torch.eye(4, 6, dtype=torch.bool))
    torch.testing.assert_close(fresh.effective_weight(), layer.effective_weight())


def test_set_combine_and_read_per_weight():
    layer = MaskedLinear(3, 2)
    layer.set_mask("weight", torch.tensor([[1, 1, 0], [1, 0, 1]]))
    layer.combine_mask("weight", torch.tensor([[0, 1, 1], [1, 1, 1]]))
    assert layer.get_mask().tolist() == [[False, True, False], [True, False, True]]
    assert bool(layer.get_mask()[1, 2]) and not bool(layer.get_mask()[0, 0])
    assert layer.weight[0, 0] == 0


@pytest.mark.parametrize(
    ("mask", "match"),
    [
        (torch.ones(3, 2), r"shape \(2, 3\)"),
        (torch.ones(2, 3, dtype=torch.complex64), "boolean or 0/1"),
        (torch.full((2, 3), 0.5), "only hold 0 and 1"),
        ([[1, 0, 1], [0, 1, 0]], "torch.Tensor"),
    ],
)
def test_bad_masks_raise_mask_error(mask, match):
    layer = MaskedLinear(3, 2)
    with pytest.raises(MaskError, match=match):
        layer.set_mask("weight", mask)
    with pytest.raises(MaskError):
        MaskedLinear(3, 2, mask=mask)


@pytest.mark.parametrize("value", [0, -1, 2.5, True, "3"])
def test_sizes_must_be_positive_integers(value):
    with pytest.raises(ValueError, match="in_features"):
        MaskedLinear(value, 2)


def test_to_linear_holds_effective_weights():
    layer = MaskedLinear(5, 3, mask=torch.rand(3, 5) > 0.5)
    x = torch.randn(4, 5)
    torch.testing.assert_close(layer.to_linear()(x), layer(x))


def test_leading_dimensions_and_no_bias():
    dense, masked = _pair(bias=False)
    x = torch.randn(2, 3, 6)
    torch.testing.assert_close(masked(x), dense(x))
    assert masked.bias is None


def test_forward_follows_every_kind_of_mask_change():
    layer = MaskedLinear(4, 3)
    x = torch.randn(2, 4)

    def expected():
        weight = layer.weight.detach() * layer.weight_mask
        return x.to(weight.dtype) @ weight.t() + layer.bias.detach()

    layer(x)  # fills the float-mask cache
    layer.set_mask("weight", torch.rand(3, 4) > 0.5)
    torch.testing.assert_close(layer(x), expected())
    with torch.no_grad():
        layer.weight.fill_(1.0)
        layer.weight_mask[0, 0] = False  # in-place edit of the buffer
    torch.testing.assert_close(layer(x), expected())
    layer.load_state_dict(MaskedLinear(4, 3, mask=torch.eye(3, 4)).state_dict())
    torch.testing.assert_close(layer(x), expected())
    layer.double()
    torch.testing.assert_close(layer(x.double()), expected())
