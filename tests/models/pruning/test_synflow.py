"""SynFlow against a hand-computed case, its conservation law and its exponential schedule."""

import pytest
import torch
from torch import nn

from models.feedforward import MaskedFeedForward
from models.masked_linear import MaskedLinear
from models.pruning import PruningContext, PruningError, create_pruning_method, prune
from models.pruning.granularity import WeightGranularity
from models.pruning.targets import prunable_parameters


def test_synflow_scores_match_a_hand_computed_two_layer_net():
    net = MaskedFeedForward(2, [2], 1, bias=False)
    with torch.no_grad():
        net.layers[0].weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 3.0]]))
        net.layers[1].weight.copy_(torch.tensor([[-4.0, 0.25]]))
    scores = create_pruning_method("synflow").saliency(net, prunable_parameters(net), None)
    # R = Σ_j |v_j| Σ_i |W_ji|: dR/dW_ji = |v_j|, dR/dv_j = Σ_i |W_ji|
    expected_first = torch.tensor([[4 * 1.0, 4 * 2.0], [0.25 * 0.5, 0.25 * 3.0]])
    expected_second = torch.tensor([[4 * 3.0, 0.25 * 3.5]])
    torch.testing.assert_close(scores[0].float(), expected_first)
    torch.testing.assert_close(scores[1].float(), expected_second)


def test_synflow_conserves_flow_at_every_hidden_neuron():
    torch.manual_seed(0)
    net = MaskedFeedForward(5, [4, 3], 2, bias=False)
    first, second, third = create_pruning_method("synflow").saliency(
        net, prunable_parameters(net), None
    )
    torch.testing.assert_close(first.sum(dim=1), second.sum(dim=0))
    torch.testing.assert_close(second.sum(dim=1), third.sum(dim=0))
    torch.testing.assert_close(first.sum(), third.sum())  # same total through every layer


class _Counting(WeightGranularity):
    def __init__(self, targets):
        super().__init__(targets)
        self.removed: list[int] = []

    def apply(self, remove):
        self.removed.append(sum(int(flags.sum()) for flags in remove))
        super().apply(remove)


def test_synflow_prunes_in_rounds_on_an_exponential_schedule():
    layer = MaskedLinear(10, 10, bias=False)
    elements = _Counting(prunable_parameters(layer))
    method = create_pruning_method("synflow", iterations=2)
    flags = method.select(layer, elements, 75, PruningContext(input_shape=(10,)))
    # 100 alive -> 100·(25/100)^(1/2) = 50 after round 1 -> 25 after round 2
    assert elements.removed == [50, 25]
    assert sum(int(f.sum()) for f in flags) == 75
    assert int(layer.get_mask().sum()) == 25


def test_synflow_is_data_free_but_needs_an_input_shape_for_other_models():
    torch.manual_seed(0)
    net = MaskedFeedForward(4, [5], 3)
    prune(net, "synflow", 0.5)  # no data: in_features gives the input shape
    assert sum(int((~m).sum()) for m in net.masks()) == 18
    model = nn.Sequential(MaskedLinear(4, 3))
    with pytest.raises(PruningError, match="SynFlow needs the shape of one input sample"):
        prune(model, "synflow", 0.5)
    prune(model, "synflow", 0.5, context=PruningContext(input_shape=(4,)))
    assert int((~model[0].get_mask()).sum()) == 6
