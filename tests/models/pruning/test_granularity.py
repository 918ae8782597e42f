"""Neuron granularity: a pruned neuron goes with its in- and out-going weights and bias."""

import pytest
import torch
import torch.nn.functional as F

from models.feedforward import MaskedFeedForward
from models.masked_linear import MaskedLinear
from models.pruning import PruningError, create_granularity, prune
from models.sparse_inference import to_sparse_inference


def test_pruned_neurons_equal_a_network_built_without_them():
    torch.manual_seed(0)
    net = MaskedFeedForward(4, [6], 3)
    with torch.no_grad():
        net.layers[0].weight[[1, 4]] *= 0.01  # the two weakest neurons
        net.layers[1].weight[:, [1, 4]] *= 0.01
    w1, b1 = net.layers[0].weight.detach().clone(), net.layers[0].bias.detach().clone()
    w2, b2 = net.layers[1].weight.detach().clone(), net.layers[1].bias.detach().clone()
    prune(net, "magnitude_class_blinded", 2 / 6, granularity="neuron")
    keep = [0, 2, 3, 5]
    assert not net.layers[0].get_mask()[[1, 4]].any() and net.layers[0].get_mask()[keep].all()
    assert not net.layers[1].get_mask()[:, [1, 4]].any()
    assert net.layers[0].get_mask("bias").tolist() == [True, False, True, True, False, True]
    x = torch.randn(7, 4)
    smaller = F.linear(F.relu(F.linear(x, w1[keep], b1[keep])), w2[:, keep], b2)
    torch.testing.assert_close(net(x), smaller)
    assert to_sparse_inference(net, strategy="dense").choices[0].out_features == 4


def test_neuron_granularity_needs_a_feedforward_with_a_hidden_layer():
    with pytest.raises(PruningError, match="Neuron granularity prunes MaskedFeedForward"):
        create_granularity("neuron", MaskedLinear(3, 2))
    with pytest.raises(PruningError, match="needs a hidden layer"):
        create_granularity("neuron", MaskedFeedForward(3, [], 2))
