"""The round-trip check shared by the to_graph and from_graph tests."""

import networkx as nx
import torch

from models.from_graph import model_from_graph
from models.to_graph import model_to_graph


def assert_round_trip(model, x):
    """model -> graph -> model gives the same type, the same graph and the same outputs."""
    graph = model_to_graph(model)
    rebuilt = model_from_graph(graph)
    assert type(rebuilt) is type(model)
    assert nx.utils.graphs_equal(graph, model_to_graph(rebuilt))
    for u, v in graph.edges:  # graphs_equal compares attribute dicts; check the values too
        assert graph.edges[u, v] == model_to_graph(rebuilt).edges[u, v]
    torch.testing.assert_close(rebuilt(x), model(x))
