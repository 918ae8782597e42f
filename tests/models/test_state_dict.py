"""Tests for models.state_dict: clear errors for state dicts from other architectures."""

import pytest
import torch

from models.feedforward import MaskedFeedForward
from models.masked_linear import MaskedLinear
from models.masking import MaskError
from models.state_dict import ArchitectureMismatchError, check_state_dict


def test_matching_state_dict_loads():
    source, target = MaskedFeedForward(4, [3], 2), MaskedFeedForward(4, [3], 2)
    source.layers[0].set_mask("weight", torch.rand(3, 4) > 0.5)
    target.load_state_dict(source.state_dict())
    assert torch.equal(target.layers[0].get_mask(), source.layers[0].get_mask())
    x = torch.randn(5, 4)
    torch.testing.assert_close(target(x), source(x))


def test_other_architecture_names_keys_and_shapes():
    model = MaskedFeedForward(4, [3], 2)
    other = MaskedFeedForward(4, [5, 3], 2).state_dict()
    before = [p.clone() for p in model.parameters()]
    with pytest.raises(ArchitectureMismatchError) as info:
        model.load_state_dict(other)
    message = str(info.value)
    assert "unexpected keys" in message and "layers.2.weight" in message
    assert "layers.0.weight: expected shape (3, 4), got (5, 4)" in message
    # nothing was loaded
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


def test_missing_keys_are_named():
    model = MaskedFeedForward(4, [3], 2)
    state = model.state_dict()
    del state["layers.1.weight_mask"]
    with pytest.raises(ArchitectureMismatchError, match=r"missing keys \['layers.1.weight_mask'\]"):
        model.load_state_dict(state)
    model.load_state_dict(state, strict=False)  # non-strict tolerates missing keys


def test_mismatch_error_is_a_runtime_error_like_torchs():
    with pytest.raises(RuntimeError):
        MaskedLinear(2, 2).load_state_dict(MaskedLinear(3, 2).state_dict())


def test_non_binary_mask_in_state_dict_is_rejected():
    layer = MaskedLinear(2, 2)
    state = layer.state_dict()
    state["weight_mask"] = torch.full((2, 2), 0.5)
    with pytest.raises(MaskError, match="weight_mask"):
        layer.load_state_dict(state)


def test_float_mask_in_state_dict_loads_as_bool():
    layer = MaskedLinear(2, 2)
    state = layer.state_dict()
    state["weight_mask"] = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    layer.load_state_dict(state)
    assert layer.weight_mask.dtype == torch.bool
    assert layer.weight[0, 1] == 0 and layer.weight[1, 0] == 0


def test_check_state_dict_rejects_non_mapping():
    with pytest.raises(TypeError, match="mapping"):
        check_state_dict(MaskedLinear(2, 2), [1, 2])
