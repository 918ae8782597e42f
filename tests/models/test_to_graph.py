"""Tests for models.to_graph: the neuron graphs of models (and that each extractor round-trips)."""

import networkx as nx
import pytest
import torch
from torch import nn
from torch.nn.utils import prune

import models.to_graph
from models.dag import GraphStructureError, layered_dag
from models.dag_network import MaskedDAGNetwork
from models.feedforward import MaskedFeedForward
from models.from_graph import model_from_graph
from models.masked_linear import MaskedLinear
from models.to_graph import list_graph_extractors, model_to_graph


def _adjacency(graph, sources, targets):
    """Dense (targets, sources) matrix of edge weights read from the graph."""
    matrix = torch.zeros(len(targets), len(sources))
    for r, v in enumerate(targets):
        for c, u in enumerate(sources):
            if graph.has_edge(u, v):
                matrix[r, c] = graph.edges[u, v]["weight"]
    return matrix


def _by_layer(graph):
    layers = {}
    for v, data in graph.nodes(data=True):
        layers.setdefault(data["layer"], []).append(v)
    return [sorted(layers[k]) for k in sorted(layers)]


def test_feedforward_graph_holds_the_effective_weights():
    torch.manual_seed(0)
    model = MaskedFeedForward(5, [4, 3], 2)
    model.set_masks([torch.rand(4, 5) > 0.5, torch.rand(3, 4) > 0.5, torch.rand(2, 3) > 0.5])
    graph = model_to_graph(model)
    layers = _by_layer(graph)
    assert [len(layer) for layer in layers] == [5, 4, 3, 2]
    assert {graph.nodes[v]["role"] for v in layers[0]} == {"input"}
    assert {graph.nodes[v]["role"] for v in layers[1] + layers[2]} == {"hidden"}
    assert {graph.nodes[v]["role"] for v in layers[3]} == {"output"}
    for index, layer in enumerate(model.layers):
        expected = layer.effective_weight().detach()
        torch.testing.assert_close(_adjacency(graph, layers[index], layers[index + 1]), expected)
        assert [graph.nodes[v]["bias"] for v in layers[index + 1]] == pytest.approx(
            layer.bias.tolist()
        )
    assert graph.number_of_edges() == sum(int(m.sum()) for m in model.masks())
    assert all(isinstance(w, float) for _, _, w in graph.edges(data="weight"))


def test_dag_network_graph_has_the_dag_the_inputs_and_the_outputs():
    graph = nx.newman_watts_strogatz_graph(12, 4, 0.4, seed=5)
    layered = layered_dag(graph)
    model = MaskedDAGNetwork(graph, 3, 2)
    neurons = model_to_graph(model)
    hidden = {v: d["vertex"] for v, d in neurons.nodes(data=True) if d["role"] == "hidden"}
    inputs = [v for v, d in neurons.nodes(data=True) if d["role"] == "input"]
    outputs = [v for v, d in neurons.nodes(data=True) if d["role"] == "output"]
    hidden_edges = {(hidden[u], hidden[v]) for u, v in neurons.edges if u in hidden and v in hidden}
    assert hidden_edges == set(layered.dag.edges)
    fed = {hidden[v] for u, v in neurons.edges if u in inputs}
    feeding = {hidden[u] for u, v in neurons.edges if v in outputs}
    assert fed == set(layered.sources) and feeding == set(layered.sinks)
    assert neurons.number_of_edges() == len(hidden_edges) + 3 * len(fed) + 2 * len(feeding)
    for neuron, vertex in hidden.items():
        assert neurons.nodes[neuron]["layer"] == layered.layer_of[vertex] + 1
    assert {neurons.nodes[v]["layer"] for v in outputs} == {len(layered.layers) + 1}


def test_sequential_of_linears_matches_the_feedforward_graph():
    torch.manual_seed(0)
    model = MaskedFeedForward(4, [3], 2)
    model.set_masks([torch.rand(3, 4) > 0.4, torch.rand(2, 3) > 0.4])
    sequential = nn.Sequential(
        nn.Flatten(), model.layers[0].to_linear(), nn.ReLU(), nn.Dropout(), model.layers[1]
    )
    a, b = model_to_graph(model), model_to_graph(sequential)
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert nx.utils.edges_equal(a.edges(data=True), b.edges(data=True))
    assert b.graph["architecture"] == "sequential" and b.graph["activation"] == "relu"


def test_pruned_linear_contributes_only_unpruned_edges():
    linear = prune.random_unstructured(nn.Linear(6, 4), "weight", amount=0.5)
    graph = model_to_graph(nn.Sequential(linear))
    assert graph.number_of_edges() == int((linear.weight != 0).sum())


def test_convolution_gives_a_channel_graph_with_kernel_norms():
    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3)
    with torch.no_grad():
        conv.weight[1, 2] = 0  # kernel from channel 2 to channel 1 removed
    linear = nn.Linear(4 * 5 * 5, 2)
    graph = model_to_graph(nn.Sequential(conv, nn.ReLU(), nn.Flatten(), linear))
    assert graph.graph["granularity"] == "channel"
    inputs, channels, outputs = _by_layer(graph)
    expected = conv.weight.detach().flatten(2).norm(dim=2)
    torch.testing.assert_close(_adjacency(graph, inputs, channels), expected)
    assert not graph.has_edge(inputs[2], channels[1])
    # the linear layer's 100 inputs are 4 channels x 25 positions, grouped per channel
    grouped = linear.weight.detach().reshape(2, 4, 25).norm(dim=2)
    torch.testing.assert_close(_adjacency(graph, channels, outputs), grouped)
    assert graph.number_of_edges() == 11 + 4 * 2


def test_grouped_convolution_only_connects_within_groups():
    graph = model_to_graph(nn.Conv2d(4, 6, 1, groups=2))
    inputs, outputs = _by_layer(graph)
    for u, v in graph.edges:
        assert inputs.index(u) // 2 == outputs.index(v) // 3
    assert graph.number_of_edges() == 2 * 2 * 3


def test_neuron_graph_protocol_is_used():
    class Custom(nn.Module):
        def neuron_graph(self):
            return nx.DiGraph([(0, 1)], architecture="custom")

    assert model_to_graph(Custom()).graph["architecture"] == "custom"

    class Broken(nn.Module):
        def neuron_graph(self):
            return [(0, 1)]

    with pytest.raises(TypeError, match="nx.DiGraph"):
        model_to_graph(Broken())


def test_unsupported_models_are_named():
    with pytest.raises(TypeError, match="MaskedFeedForward") as info:
        model_to_graph(nn.LSTM(3, 4))
    assert "LSTM" in str(info.value)
    assert "MaskedDAGNetwork" in list_graph_extractors()
    with pytest.raises(TypeError, match="Embedding"):
        model_to_graph(nn.Sequential(nn.Embedding(3, 4), nn.Linear(4, 2)))


def _conv_example():
    torch.manual_seed(0)
    return nn.Conv2d(2, 3, 3), torch.randn(2, 2, 5, 5)


# One example per registered model type: (model, input). A new extractor fails the contract
# test below until it gets one.
_EXTRACTOR_EXAMPLES = {
    "MaskedFeedForward": lambda: (MaskedFeedForward(4, [3], 2), torch.randn(3, 4)),
    "MaskedDAGNetwork": lambda: (
        MaskedDAGNetwork(nx.DiGraph([(0, 1), (1, 2), (0, 2)]), 2, 1),
        torch.randn(3, 2),
    ),
    "Sequential": lambda: (
        nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Linear(3, 2)),
        torch.randn(3, 4),
    ),
    "Linear": lambda: (nn.Linear(4, 2), torch.randn(3, 4)),
    "MaskedLinear": lambda: (MaskedLinear(4, 2), torch.randn(3, 4)),
    "Conv2d": _conv_example,
}


@pytest.mark.parametrize("name", list_graph_extractors())
def test_every_graph_extractor_gives_the_models_weights_and_round_trips(name):
    assert name in _EXTRACTOR_EXAMPLES, f"add an example model for the extractor of {name}"
    torch.manual_seed(1)
    model, x = _EXTRACTOR_EXAMPLES[name]()
    graph = model_to_graph(model)
    if name == "Conv2d":  # a channel graph: kernel norms, not rebuildable into a model
        inputs, channels = _by_layer(graph)
        expected = model.weight.detach().flatten(2).norm(dim=2)
        torch.testing.assert_close(_adjacency(graph, inputs, channels), expected)
        with pytest.raises(GraphStructureError, match="channel"):
            model_from_graph(graph)
        return
    rebuilt = model_from_graph(graph)
    torch.testing.assert_close(rebuilt(x), model(x))


def test_extractor_registry_refuses_a_second_extractor_for_a_type():
    with pytest.raises(ValueError, match="MaskedFeedForward already has a graph extractor"):
        models.to_graph.register_graph_extractor(MaskedFeedForward)
