"""Per-vertex feature values against networkx, batch statistics, and the layering vs models.dag."""

from __future__ import annotations

import math
import statistics

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.features.batch import GraphBatch, graph_batch, segment_max, segment_summary
from analytics.features.graphs import compact_graph
from analytics.features.groups import (
    closeness_centrality,
    dag_layers,
    degree_centrality,
    edge_betweenness,
    node_betweenness,
)
from analytics.features.paths import shortest_paths
from models.dag import CyclicGraphError, layer_index, to_dag, vertex_sort_key
from tests.analytics.nx_reference import simple_directed


def _batch(graphs: list[nx.Graph], orientation: str = "smaller_to_larger") -> GraphBatch:
    compacts = [compact_graph(g, orientation=orientation, where="test") for g in graphs]
    return graph_batch(compacts, [shortest_paths(c) for c in compacts])


def _by_vertex(graph: nx.Graph, values: np.ndarray) -> dict:
    """Map label-indexed values back to the vertex ids (labels follow vertex_sort_key)."""
    return dict(zip(sorted(graph, key=vertex_sort_key), values.tolist(), strict=True))


GRAPHS = {
    "ba": nx.barabasi_albert_graph(40, 2, seed=3),
    "disconnected": nx.disjoint_union_all(
        [nx.star_graph(4), nx.gnp_random_graph(15, 0.3, seed=1), nx.empty_graph(2)]
    ),
    "named": nx.relabel_nodes(nx.karate_club_graph(), lambda v: f"m{v}"),
    "single_vertex": nx.empty_graph(1),
    "pair": nx.path_graph(2),
}


@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_vertex_and_edge_values_match_networkx(name):
    graph = GRAPHS[name]
    others = [nx.path_graph(3), nx.empty_graph(0)]  # batch neighbours must not interfere
    batch = _batch([*others, graph])
    mine = batch.vertex_graph == len(others)
    expected = {
        degree_centrality: nx.degree_centrality(graph),
        closeness_centrality: nx.closeness_centrality(graph),
        node_betweenness: nx.betweenness_centrality(graph, normalized=True),
    }
    for function, reference in expected.items():
        got = _by_vertex(graph, function(batch)[mine])
        assert got == pytest.approx(reference, rel=1e-12, abs=1e-15), function.__name__
    vertices = sorted(graph, key=vertex_sort_key)
    edges = batch.edges[batch.edge_graph == len(others)] - batch.offsets[len(others)]
    values = edge_betweenness(batch)[batch.edge_graph == len(others)]
    per_edge = dict(zip(map(tuple, edges.tolist()), values, strict=True))
    reference = nx.edge_betweenness_centrality(graph, normalized=True)
    for (u, v), value in reference.items():
        key = tuple(sorted((vertices.index(u), vertices.index(v))))
        assert per_edge[key] == pytest.approx(value, rel=1e-12, abs=1e-15)


SAMPLES = [
    [0.5, 1.5, 4.0],
    [3.0, 3.0],
    [],
    [2.0],
    list(np.random.default_rng(0).exponential(1e-4, 200)),
]


def test_segment_summary_is_mean_and_sample_variance_per_segment():
    values = np.concatenate([np.array(v, dtype=np.float64) for v in SAMPLES])
    counts = np.array([len(v) for v in SAMPLES])
    result = segment_summary(values, np.repeat(np.arange(len(SAMPLES)), counts), counts)
    for sample, (mean, variance, std) in zip(SAMPLES, result, strict=True):
        if not sample:
            assert np.isnan([mean, variance, std]).all()
            continue
        assert mean == pytest.approx(statistics.fmean(sample), rel=1e-12)
        if len(sample) == 1:  # a sample variance of one value is undefined
            assert math.isnan(variance) and math.isnan(std)
            continue
        assert variance == pytest.approx(statistics.variance(sample), rel=1e-12, abs=1e-300)
        assert std == pytest.approx(statistics.stdev(sample), rel=1e-12, abs=1e-300)


def test_segment_max_is_nan_for_empty_segments():
    result = segment_max(np.array([1.0, 5.0, 2.0]), np.array([0, 0, 2]), 3)
    np.testing.assert_array_equal(result, [5.0, np.nan, 2.0])


@st.composite
def graphs(draw: st.DrawFn) -> nx.Graph:
    """Small directed or undirected graphs, cycles and self-loops allowed, ids 0 .. n-1."""
    n = draw(st.integers(1, 14))
    graph = draw(st.sampled_from([nx.Graph, nx.DiGraph]))()
    graph.add_nodes_from(draw(st.permutations(range(n))))
    vertex = st.integers(0, n - 1)
    graph.add_edges_from(draw(st.lists(st.tuples(vertex, vertex), max_size=3 * n)))
    return graph


@settings(max_examples=100, deadline=None)
@given(
    graphs=st.lists(graphs(), min_size=1, max_size=4),
    orientation=st.sampled_from(["smaller_to_larger", "larger_to_smaller"]),
)
def test_dag_layers_equal_models_dag_layer_index(graphs, orientation):
    batch = _batch(graphs, orientation)
    layer, cyclic = dag_layers(batch)
    for index, graph in enumerate(graphs):
        try:
            expected = layer_index(to_dag(simple_directed(graph), orientation=orientation))
        except CyclicGraphError:
            assert cyclic[index]
            continue
        assert not cyclic[index]
        mine = layer[batch.offsets[index] : batch.offsets[index + 1]]
        assert dict(enumerate(mine.tolist())) == expected


@pytest.mark.parametrize("seed", range(3))
def test_dag_layers_on_larger_random_dags(seed):
    arcs = [(u, v) for u, v in nx.gnp_random_graph(300, 0.02, seed=seed).edges() if u < v]
    shuffle = np.random.default_rng(seed).permutation(300).tolist()  # arcs now point both ways
    dag = nx.relabel_nodes(nx.DiGraph(arcs), dict(enumerate(shuffle)))
    dag.add_nodes_from(range(300))
    batch = _batch([dag])
    assert (batch.arcs[:, 0] < batch.arcs[:, 1]).any()
    assert (batch.arcs[:, 0] > batch.arcs[:, 1]).any()
    layer, cyclic = dag_layers(batch)
    assert not cyclic[0]
    assert dict(enumerate(layer.tolist())) == layer_index(dag)
