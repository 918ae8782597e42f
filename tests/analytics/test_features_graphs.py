"""Conversion of every accepted input to the compact integer form."""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np
import pytest

import models.dag
from analytics.features import graph_features
from analytics.features.graphs import check_orientation, compact_graph
from models.dag import to_networkx
from tests.analytics.nx_reference import assert_features_close, nx_features


def _compact(graph, orientation="smaller_to_larger"):
    return compact_graph(graph, orientation=orientation, where="test")


def _pairs(array: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, array.tolist()))


def test_undirected_graph_becomes_sorted_simple_edges_and_oriented_arcs():
    graph = nx.MultiGraph([("b", "a"), ("a", "b"), ("c", "c"), ("c", "a"), ("d", "b")])
    compact = _compact(graph)  # labels: a=0, b=1, c=2, d=3
    assert compact.n == 4
    assert sorted(_pairs(compact.edges)) == [(0, 1), (0, 2), (1, 3)]
    assert _pairs(compact.arcs) == _pairs(compact.edges)
    reverse = _compact(graph, orientation="larger_to_smaller")
    assert _pairs(reverse.arcs) == {(v, u) for u, v in _pairs(compact.edges)}


def test_directed_graph_keeps_its_arcs_and_merges_reciprocal_edges():
    graph = nx.MultiDiGraph([(2, 1), (1, 2), (2, 1), (3, 3), (3, 1)])
    compact = _compact(graph)  # labels: 1=0, 2=1, 3=2
    assert _pairs(compact.edges) == {(0, 1), (0, 2)}
    assert _pairs(compact.arcs) == {(1, 0), (0, 1), (2, 0)}


def test_igraph_names_are_ids_and_equal_names_one_vertex_as_in_to_networkx():
    graph = ig.Graph(n=4, edges=[(0, 1), (1, 2), (2, 3)], directed=True)
    graph.vs["name"] = ["x", "y", "x", "z"]  # two vertices named "x"
    compact = _compact(graph)
    assert compact.n == to_networkx(graph).number_of_nodes() == 3
    assert _pairs(compact.arcs) == {(0, 1), (1, 0), (0, 2)}
    assert_features_close(graph_features(graph), nx_features(graph))


def test_numpy_edge_arrays_of_other_dtypes_go_through_networkx():
    floats = np.array([[0.5, 1.5], [1.5, 2.0], [2.0, 0.5]])
    assert_features_close(graph_features(floats), nx_features(to_networkx(floats)))
    shifted = np.array([[10, 30], [30, 20]], dtype=np.uint8)
    assert _pairs(_compact(shifted).arcs) == {(0, 2), (2, 1)}


def test_a_custom_registered_orientation_is_applied_edge_by_edge(monkeypatch):
    def by_residue(u, v):  # a total order on 0..30 other than the id order: never cyclic
        return (u, v) if (7 * u) % 31 < (7 * v) % 31 else (v, u)

    monkeypatch.setitem(models.dag._ORIENTATIONS, "by_residue", by_residue)
    check_orientation("by_residue", "test")
    graph = nx.connected_watts_strogatz_graph(31, 4, 0.3, seed=5)
    assert_features_close(
        graph_features(graph, orientation="by_residue"),
        nx_features(graph, orientation="by_residue"),
    )
    assert graph_features(graph, orientation="by_residue") != graph_features(graph)


@pytest.mark.parametrize("orientation", [None, 3, "Smaller_to_larger"])
def test_check_orientation_names_the_function_and_value(orientation):
    with pytest.raises(ValueError, match=f"'orientation' parameter of caller.*{orientation!r}"):
        check_orientation(orientation, "caller")


def test_graph_views_read_like_their_copies():
    graph = nx.gnp_random_graph(30, 0.15, seed=1, directed=True)
    views = [
        graph.subgraph(range(20)),
        graph.reverse(copy=False),
        nx.Graph(graph).subgraph([1, 2, 5, 8]),
    ]
    for view in views:
        assert graph_features(view) == pytest.approx(
            graph_features(view.copy()), nan_ok=True, rel=0, abs=0
        )
