"""One pruning step: boundary validation and all-or-nothing behaviour."""

import pytest
import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from models.feedforward import MaskedFeedForward
from models.masking import MaskedModule
from models.pruning import PruningContext, PruningError, prune, to_masked
from models.sparse_inference import to_sparse_inference


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def _assert_same(model, state):
    now = model.state_dict()
    assert now.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(now[key], value), key


@pytest.mark.parametrize("amount", [1.5, -0.1, float("nan"), "0.5", True])
def test_amount_outside_the_unit_interval_is_refused_naming_it(tiny_net, amount):
    with pytest.raises(PruningError) as error:
        prune(tiny_net, "random", amount)
    assert str(error.value) == (
        f"The 'amount' parameter of prune must be a float in [0, 1]. Got {amount!r} instead."
    )


def test_amount_above_what_remains_is_refused_and_changes_nothing(tiny_net):
    prune(tiny_net, "random", 0.6)
    state = _state(tiny_net)
    with pytest.raises(PruningError, match=r"asks for 0.5 of the 35 prunable weights \(18\), but "):
        prune(tiny_net, "random", 0.5)
    _assert_same(tiny_net, state)


def test_unknown_granularity_lists_the_valid_ones(tiny_net):
    with pytest.raises(PruningError, match=r"must be one of \['weight', 'neuron'\]. Got 'channel'"):
        prune(tiny_net, "random", 0.1, granularity="channel")


def test_model_without_prunable_parameters_is_refused_with_a_hint():
    with pytest.raises(PruningError, match="has no prunable parameters.*to_masked"):
        prune(nn.Sequential(nn.Linear(3, 2)), "random", 0.5)
    with pytest.raises(PruningError, match=r"has no prunable parameters: no MaskedModule.*\.$"):
        prune(nn.Sequential(nn.ReLU()), "random", 0.5)


@pytest.mark.parametrize("method", ["magnitude_class_blinded", "synflow"])
def test_a_step_failing_half_way_leaves_the_model_as_it_was(tiny_net, monkeypatch, method):
    state = _state(tiny_net)
    original = MaskedModule.set_mask
    calls = []

    def failing(self, name, mask):
        calls.append(name)
        if len(calls) == 2:  # the first layer's mask is already changed by now
            raise RuntimeError("injected failure")
        original(self, name, mask)

    monkeypatch.setattr(MaskedModule, "set_mask", failing)
    with pytest.raises(RuntimeError, match="injected failure"):
        prune(tiny_net, method, 0.5, context=PruningContext(input_shape=(4,)))
    assert len(calls) == 2
    _assert_same(tiny_net, state)


def test_plain_linear_models_convert_and_keep_a_torch_prune_mask():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    torch_prune.l1_unstructured(model[0], "weight", amount=0.5)
    x = torch.randn(5, 4)
    expected = model(x)
    masked = to_masked(model)
    torch.testing.assert_close(masked(x), expected)
    assert int((~masked[0].get_mask()).sum()) == 12
    prune(masked, "magnitude_class_blinded", 0.5)  # 18 of the 36 weights, on top of the 12
    assert int((~masked[0].get_mask()).sum()) + int((~masked[2].get_mask()).sum()) == 30


@pytest.mark.parametrize("amount", [0.9, 0.98])
def test_pruned_model_realises_into_an_equal_sparse_model(amount):
    torch.manual_seed(0)
    net = MaskedFeedForward(20, [30, 10], 4)
    prune(net, "magnitude_class_blinded", amount)
    x = torch.randn(8, 20)
    for strategy in ("csr", "dense"):
        sparse = to_sparse_inference(net, strategy=strategy)
        torch.testing.assert_close(sparse(x), net(x), atol=1e-5, rtol=1e-5)
    assert sum(c.nonzero for c in to_sparse_inference(net, strategy="csr").choices) <= round(
        (1 - amount) * 940
    )
