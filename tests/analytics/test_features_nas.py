"""Labelled-DAG (NAS) features against networkx and hand-computed values."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest

from analytics.features import FEATURE_NAMES
from analytics.features.nas import (
    CNN_OPERATIONS,
    get_labelled_feature_group,
    labelled_features,
    list_labelled_feature_groups,
    register_labelled_feature_group,
)
from models.nas.compile import feature_graph
from models.nas.genotype import random_genotype


def _diamond() -> nx.DiGraph:
    """input -> conv3x3(4) -> output, input -> maxpool -> conv5x5(2) -> output, in 3 channels."""
    graph = nx.DiGraph()
    graph.add_nodes_from([
        ("in", {"op": "input", "channels": 3}),
        ("a", {"op": "conv3x3", "channels": 4}),
        ("b", {"op": "maxpool", "channels": 3}),
        ("c", {"op": "conv5x5", "channels": 2}),
        ("out", {"op": "output", "channels": 4}),
    ])  # fmt: skip
    graph.add_edges_from([("in", "a"), ("in", "b"), ("b", "c"), ("a", "out"), ("c", "out")])
    return graph


def _row(graph, group="nas_cnn") -> dict:
    return labelled_features({"g": graph}, group=group).row(0, named=True)


def test_hand_computed_values_on_a_diamond():
    row = _row(_diamond())
    # masses: a 4*3, b 3*3, c 2*3, out 4*(4+2)
    masses = [12, 9, 6, 24]
    assert row["layer_mass_mean"] == pytest.approx(np.mean(masses))
    assert row["layer_mass_std"] == pytest.approx(np.std(masses))
    assert (row["path_shortest"], row["path_longest"]) == (2.0, 3.0)
    assert row["path_random_walk"] == pytest.approx(1 + (1 + 2) / 2)
    assert row["path_longest_conv3x3_mean"] == 1.0 and row["path_longest_conv3x3_std"] == 0.0
    assert row["path_shortest_maxpool_mean"] == 2.0
    assert row["path_shortest_conv5x5_mean"] == 1.0
    assert math.isnan(row["path_shortest_avgpool_mean"])  # no such vertex
    assert row["depth"] == 2.0
    assert (row["vertices_conv3x3"], row["vertices_maxpool"], row["vertices_avgpool"]) == (1, 1, 0)


def test_agrees_with_networkx_on_random_genotypes():
    for seed in range(15):
        graph = feature_graph(random_genotype(depth=3 + seed % 6, seed=seed), in_channels=1)
        row = _row(graph)
        source = next(v for v, o in graph.nodes(data="op") if o == "input")
        sink = next(v for v, o in graph.nodes(data="op") if o == "output")
        paths = list(nx.all_simple_paths(graph, source, sink))
        assert row["path_shortest"] == nx.shortest_path_length(graph, source, sink)
        assert row["path_longest"] == max(len(p) - 1 for p in paths)
        assert row["depth"] == nx.dag_longest_path_length(graph) - 1
        undirected = nx.Graph(graph)
        degrees = [d for _, d in undirected.degree()]
        neighbour = list(nx.average_neighbor_degree(undirected).values())
        assert row["vertex_degree_mean"] == pytest.approx(np.mean(degrees))
        assert row["vertex_degree_std"] == pytest.approx(np.std(degrees))
        assert row["average_neighbor_degree_mean"] == pytest.approx(np.mean(neighbour))
        assert row["average_neighbor_degree_std"] == pytest.approx(np.std(neighbour))
        for op in CNN_OPERATIONS:
            at = [v for v in graph if graph.nodes[v]["op"] == op]
            longest = [max(len(p) - 1 for p in nx.all_simple_paths(graph, v, sink)) for v in at]
            shortest = [nx.shortest_path_length(graph, v, sink) for v in at]
            if at:
                assert row[f"path_longest_{op}_mean"] == pytest.approx(np.mean(longest))
                assert row[f"path_shortest_{op}_std"] == pytest.approx(np.std(shortest))
            else:
                assert math.isnan(row[f"path_longest_{op}_mean"])


def test_random_walk_matches_a_simulation_free_enumeration():
    # expected walk length = sum over input->output paths of length * probability of the path
    graph = feature_graph(random_genotype(depth=6, seed=11), in_channels=2)
    source = next(v for v, o in graph.nodes(data="op") if o == "input")
    sink = next(v for v, o in graph.nodes(data="op") if o == "output")
    expected = 0.0
    for path in nx.all_simple_paths(graph, source, sink):
        probability = np.prod([1 / graph.out_degree(v) for v in path[:-1]])
        expected += probability * (len(path) - 1)
    assert _row(graph)["path_random_walk"] == pytest.approx(expected)


@pytest.mark.parametrize("name", list_labelled_feature_groups())
def test_group_contract(name):
    group = get_labelled_feature_group(name)
    assert len(set(group.columns)) == len(group.columns)
    assert not set(group.columns) & set(FEATURE_NAMES)
    tiny = nx.DiGraph()
    tiny.add_nodes_from([(0, {"op": "input"}), (1, {"op": "output"})], channels=1)
    tiny.add_edge(0, 1)
    row = _row(tiny, name)
    assert list(row) == ["key", *group.columns]
    if name.endswith("_ops"):  # interaction counts: the one arc, nothing else
        assert {c: v for c, v in row.items() if c != "key" and v} == {"arc_input_output": 1.0}
    else:
        assert (row["path_shortest"], row["depth"], row["layer_mass_mean"]) == (1.0, 0.0, 1.0)


def test_bad_graphs_and_names_are_refused():
    graph = _diamond()
    graph.add_edge("c", "b")
    with pytest.raises(ValueError, match="'g'.*cycle"):
        _row(graph)
    graph = _diamond()
    del graph.nodes["a"]["channels"]
    with pytest.raises(ValueError, match="vertex 'a' needs a positive 'channels'"):
        _row(graph)
    with pytest.raises(ValueError, match="nas_cnn"):
        labelled_features({}, group="nope")
    with pytest.raises(ValueError, match="already registered"):
        register_labelled_feature_group("nas_cnn", ["x"], lambda g: np.zeros(1))
    with pytest.raises(ValueError, match="plain graph feature"):
        register_labelled_feature_group("clash", ["nodes"], lambda g: np.zeros(1))
