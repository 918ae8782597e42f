"""Tests for models.sparsity: the paper's ξ and parameter counts, computed by hand here."""

import networkx as nx
import polars as pl
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

from models.dag_network import MaskedDAGNetwork
from models.feedforward import MaskedFeedForward
from models.sparsity import (
    layer_counts,
    list_groupings,
    network_xi,
    parameter_counts,
    tensor_xi,
    weight_groups,
)


def _masked_net():
    torch.manual_seed(0)
    model = MaskedFeedForward(4, [3], 2)
    model.set_masks(
        [
            torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]]),
            torch.tensor([[1, 0, 0], [1, 1, 1]]),
        ]
    )
    return model


def test_tensor_xi_is_the_proportion_of_non_zeros():
    assert tensor_xi(torch.tensor([0.0, 3.0, 0.0, -1.0])) == 0.5
    assert tensor_xi(torch.zeros(2, 3)) == 0.0
    assert tensor_xi(torch.ones(2, 3)) == 1.0
    with pytest.raises(ValueError, match="undefined"):
        tensor_xi(torch.zeros(0))
    with pytest.raises(TypeError, match="torch.Tensor"):
        tensor_xi([1, 0])


def test_network_xi_is_the_mean_over_neurons():
    model = _masked_net()
    # neurons (rows): 2/4, 4/4, 0/4, 1/3, 3/3
    expected = (0.5 + 1.0 + 0.0 + 1 / 3 + 1.0) / 5
    assert network_xi(model) == pytest.approx(expected)
    assert network_xi(model, grouping="tensor") == pytest.approx((6 / 12 + 4 / 6) / 2)
    assert network_xi(model, grouping="network") == pytest.approx(10 / 18)
    assert len(weight_groups(model)) == 5
    with pytest.raises(ValueError, match="grouping"):
        network_xi(model, grouping="edge")
    assert list_groupings() == ["neuron", "tensor", "network"]


def test_counts_per_layer_and_total():
    model = _masked_net()
    frame = layer_counts(model)
    assert isinstance(frame, pl.DataFrame)
    assert frame["name"].to_list() == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    assert frame["total"].to_list() == [12, 3, 6, 2]
    assert frame["nonzero"].to_list()[::2] == [6, 4]
    assert frame["kind"].to_list() == ["weight", "other", "weight", "other"]
    counts = parameter_counts(model)
    biases = int(torch.count_nonzero(model.layers[0].bias)) + int(
        torch.count_nonzero(model.layers[1].bias)
    )
    assert counts.total == 23 and counts.nonzero == 10 + biases
    assert counts.xi == pytest.approx(counts.nonzero / 23)
    assert counts.sparsity == pytest.approx(1 - counts.nonzero / 23)  # zeros, as stored


def test_masked_entries_count_as_zero_even_if_storage_is_not():
    model = _masked_net()
    with torch.no_grad():
        model.layers[0].weight.fill_(1.0)
    assert layer_counts(model)["nonzero"][0] == 6


def test_pruned_torch_model_is_read_through_its_weight():
    linear = nn.Linear(10, 5)
    prune.custom_from_mask(linear, "weight", torch.arange(50).reshape(5, 10) % 2 == 0)
    frame = layer_counts(nn.Sequential(linear))
    weight = frame.filter(pl.col("name") == "0.weight")
    assert weight["nonzero"].item() == 25 and weight["total"].item() == 50
    assert network_xi(linear) == pytest.approx(0.5)


def test_dag_network_is_grouped_per_neuron_over_its_layer_blocks():
    model = MaskedDAGNetwork(nx.DiGraph([(0, 1), (0, 2), (1, 2)]), 3, 1)
    # layer blocks: vertex 0 <- 3 inputs (3/3); vertex 1 <- [0] (1/1); vertex 2 <- [0, 1] (2/2)
    # output <- [0, 1, 2] with only the sink 2 connected (1/3)
    assert network_xi(model) == pytest.approx((1 + 1 + 1 + 1 / 3) / 4)
    names = layer_counts(model)["name"].to_list()
    assert names[:3] == ["weight[layer_0]", "weight[layer_1]", "weight[layer_2]"]


def test_conv_kernels_are_grouped_per_output_channel():
    conv = nn.Conv2d(2, 3, 3)
    with torch.no_grad():
        conv.weight[0] = 0
    assert network_xi(conv) == pytest.approx(2 / 3)


def test_model_without_weights():
    with pytest.raises(ValueError, match="no weight matrix"):
        network_xi(nn.ReLU())
