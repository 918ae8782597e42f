"""Tests for models.from_graph: rebuilding models from neuron graphs, and refusing bad graphs."""

import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from models.dag import GraphStructureError
from models.dag_network import MaskedDAGNetwork
from models.feedforward import MaskedFeedForward
from models.from_graph import model_from_graph
from models.masked_linear import MaskedLinear
from models.to_graph import model_to_graph
from tests.models.graph_round_trip import assert_round_trip


@pytest.mark.parametrize("layer_norm", [False, True])
def test_feedforward_round_trip(layer_norm):
    torch.manual_seed(0)
    model = MaskedFeedForward(5, [4, 3], 2, layer_norm=layer_norm, activation="tanh")
    model.set_masks([torch.rand(4, 5) > 0.5, torch.rand(3, 4) > 0.5, torch.rand(2, 3) > 0.5])
    if layer_norm:
        with torch.no_grad():
            model.norms[0].weight.uniform_(0.5, 2)
    assert_round_trip(model, torch.randn(3, 5))


def test_dag_round_trip_after_pruning_whole_neurons():
    torch.manual_seed(0)
    model = MaskedDAGNetwork(nx.newman_watts_strogatz_graph(15, 4, 0.5, seed=0), 3, 2)
    model.combine_mask("weight", torch.rand(model.weight.shape) > 0.4)
    model.set_layer_mask(0, torch.zeros_like(model.layer_mask(0)))  # sources lose all inputs
    assert_round_trip(model, torch.randn(4, 3))


@given(
    st.integers(min_value=1, max_value=10).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(
                    lambda e: e[0] != e[1]
                ),
                max_size=20,
            ),
            st.floats(0.0, 0.9),
        )
    )
)
@settings(max_examples=20, deadline=None)
def test_random_dag_round_trip(spec):
    n, edges, pruning = spec
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(edges)
    torch.manual_seed(n)
    model = MaskedDAGNetwork(graph, 2, 2)
    model.combine_mask("weight", torch.rand(model.weight.shape) >= pruning)
    assert_round_trip(model, torch.randn(3, 2))


def test_graph_without_architecture_is_inferred():
    torch.manual_seed(0)
    feedforward = MaskedFeedForward(3, [2], 1)
    ff = model_to_graph(feedforward)
    ff.graph.clear()
    rebuilt = model_from_graph(ff)
    x = torch.randn(4, 3)
    assert type(rebuilt) is MaskedFeedForward
    torch.testing.assert_close(rebuilt(x), feedforward(x))
    dag_network = MaskedDAGNetwork(nx.DiGraph([(0, 1), (1, 2), (0, 2)]), 2, 1)
    dag = model_to_graph(dag_network)
    dag.graph.clear()
    rebuilt = model_from_graph(dag)
    assert type(rebuilt) is MaskedDAGNetwork
    torch.testing.assert_close(rebuilt(x[:, :2]), dag_network(x[:, :2]))


def test_sequential_graph_rebuilds_a_feedforward_net():
    torch.manual_seed(0)
    sequential = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), MaskedLinear(3, 2))
    rebuilt = model_from_graph(model_to_graph(sequential))
    x = torch.randn(5, 4)
    torch.testing.assert_close(rebuilt(x), sequential(x))


def test_bad_graphs_are_rejected_with_reasons():
    good = model_to_graph(MaskedFeedForward(3, [2], 1))
    missing = good.copy()
    del missing.nodes[0]["layer"]
    with pytest.raises(GraphStructureError, match="'layer'"):
        model_from_graph(missing)
    skipping = good.copy()
    skipping.add_edge(0, 5, weight=1.0)  # input -> output in a feed-forward graph
    with pytest.raises(GraphStructureError, match="skips layers"):
        model_from_graph(skipping)
    backwards = good.copy()
    backwards.add_edge(4, 0, weight=1.0)
    with pytest.raises(GraphStructureError, match="later layer"):
        model_from_graph(backwards)
    channels = model_to_graph(nn.Conv2d(2, 2, 3))
    with pytest.raises(GraphStructureError, match="channel"):
        model_from_graph(channels)
    with pytest.raises(TypeError, match="DiGraph"):
        model_from_graph(nx.Graph())
