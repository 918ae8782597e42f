"""Per-vertex feature values against networkx, and the fast layering against models.dag."""

from __future__ import annotations

import math
import statistics

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.features.graphs import compact_graph
from analytics.features.groups import (
    closeness_centrality,
    dag_layers,
    degree_centrality,
    edge_betweenness,
    node_betweenness,
    summary,
)
from analytics.features.paths import shortest_paths
from models.dag import CyclicGraphError, layer_index, to_dag, vertex_sort_key
from tests.analytics.nx_reference import simple_directed


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
    compact = compact_graph(graph, orientation="smaller_to_larger", where="test")
    paths = shortest_paths(compact)
    expected = {
        degree_centrality: nx.degree_centrality(graph),
        closeness_centrality: nx.closeness_centrality(graph),
        node_betweenness: nx.betweenness_centrality(graph, normalized=True),
    }
    for function, reference in expected.items():
        values = function(compact) if function is degree_centrality else function(compact, paths)
        got = _by_vertex(graph, values)
        assert got == pytest.approx(reference, rel=1e-12, abs=1e-15), function.__name__
    vertices = sorted(graph, key=vertex_sort_key)
    per_edge = dict(
        zip(map(tuple, compact.edges.tolist()), edge_betweenness(compact, paths), strict=True)
    )
    reference = nx.edge_betweenness_centrality(graph, normalized=True)
    for (u, v), value in reference.items():
        key = tuple(sorted((vertices.index(u), vertices.index(v))))
        assert per_edge[key] == pytest.approx(value, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    "values",
    [[0.5, 1.5, 4.0], [3.0, 3.0], list(np.random.default_rng(0).exponential(1e-4, 200))],
)
def test_summary_is_mean_and_sample_variance(values):
    mean, variance, std = summary(np.array(values))
    assert mean == pytest.approx(statistics.fmean(values), rel=1e-12)
    assert variance == pytest.approx(statistics.variance(values), rel=1e-12, abs=1e-300)
    assert std == pytest.approx(statistics.stdev(values), rel=1e-12, abs=1e-300)


def test_summary_of_one_or_no_value_is_nan_where_undefined():
    assert summary(np.array([])) == pytest.approx((math.nan,) * 3, nan_ok=True)
    assert summary(np.array([2.0])) == pytest.approx((2.0, math.nan, math.nan), nan_ok=True)


@st.composite
def graphs(draw: st.DrawFn) -> nx.Graph:
    """Small directed or undirected graphs, cycles and self-loops allowed, ids 0 .. n-1."""
    n = draw(st.integers(1, 14))
    graph = draw(st.sampled_from([nx.Graph, nx.DiGraph]))()
    graph.add_nodes_from(draw(st.permutations(range(n))))
    vertex = st.integers(0, n - 1)
    graph.add_edges_from(draw(st.lists(st.tuples(vertex, vertex), max_size=3 * n)))
    return graph


@settings(max_examples=150, deadline=None)
@given(graph=graphs(), orientation=st.sampled_from(["smaller_to_larger", "larger_to_smaller"]))
def test_dag_layers_equal_models_dag_layer_index(graph, orientation):
    layers = dag_layers(compact_graph(graph, orientation=orientation, where="test"))
    try:
        expected = layer_index(to_dag(simple_directed(graph), orientation=orientation))
    except CyclicGraphError:
        assert layers is None
        return
    assert layers is not None
    assert dict(enumerate(layers)) == expected


@pytest.mark.parametrize("seed", range(3))
def test_dag_layers_on_larger_random_dags(seed):
    arcs = [(u, v) for u, v in nx.gnp_random_graph(300, 0.02, seed=seed).edges() if u < v]
    shuffle = np.random.default_rng(seed).permutation(300).tolist()  # arcs now point both ways
    dag = nx.relabel_nodes(nx.DiGraph(arcs), dict(enumerate(shuffle)))
    dag.add_nodes_from(range(300))
    compact = compact_graph(dag, orientation="smaller_to_larger", where="test")
    assert (compact.arcs[:, 0] < compact.arcs[:, 1]).any()
    assert (compact.arcs[:, 0] > compact.arcs[:, 1]).any()
    assert dict(enumerate(dag_layers(compact))) == layer_index(dag)
