"""Shared shortest-path work: per-vertex values against networkx, and splitting by source."""

from __future__ import annotations

from itertools import pairwise

import networkx as nx
import numpy as np
import pytest

import analytics.features.paths as paths_module
from analytics.features.graphs import compact_graph
from analytics.features.paths import merge_shortest_paths, shortest_paths


def _graphs() -> list[nx.Graph]:
    disconnected = nx.disjoint_union(nx.barabasi_albert_graph(30, 2, seed=1), nx.cycle_graph(7))
    disconnected.add_node(1000)
    return [nx.connected_watts_strogatz_graph(40, 6, 0.5, seed=2), disconnected]


@pytest.mark.parametrize("graph", _graphs())
def test_per_source_values_match_networkx(graph):
    compact = compact_graph(graph, orientation="smaller_to_larger", where="test")
    paths = shortest_paths(compact)
    vertices = sorted(graph)  # labels are positions in sorted order for integer ids
    lengths = dict(nx.all_pairs_shortest_path_length(graph))
    assert paths.reach.tolist() == [len(lengths[v]) for v in vertices]
    assert paths.distance_sum.tolist() == [sum(lengths[v].values()) for v in vertices]
    assert paths.eccentricity.tolist() == [max(lengths[v].values()) for v in vertices]
    raw = nx.edge_betweenness_centrality(graph, normalized=False)
    expected = [
        raw.get((vertices[u], vertices[v]), raw.get((vertices[v], vertices[u])))
        for u, v in compact.edges
    ]
    np.testing.assert_allclose(paths.edge_betweenness, expected, rtol=1e-12)


@pytest.mark.parametrize("graph", _graphs())
@pytest.mark.parametrize("cuts", [[20], [1, 2, 30], [0, 0, 5]])
def test_parts_by_source_merge_into_the_whole(graph, cuts):
    compact = compact_graph(graph, orientation="smaller_to_larger", where="test")
    bounds = [0, *cuts, compact.n]
    parts = [shortest_paths(compact, range(a, b)) for a, b in pairwise(bounds)]
    merged, whole = merge_shortest_paths(parts), shortest_paths(compact)
    assert merged.sources == whole.sources == range(compact.n)
    for name in ("eccentricity", "distance_sum", "reach"):
        np.testing.assert_array_equal(getattr(merged, name), getattr(whole, name))
    np.testing.assert_allclose(merged.edge_betweenness, whole.edge_betweenness, rtol=1e-12)


def test_distance_rows_in_small_blocks_give_the_same_answer(monkeypatch):
    compact = compact_graph(_graphs()[1], orientation="smaller_to_larger", where="test")
    whole = shortest_paths(compact)
    monkeypatch.setattr(paths_module, "_BLOCK_ENTRIES", 3 * compact.n)  # three rows a block
    blocked = shortest_paths(compact)
    for name in ("eccentricity", "distance_sum", "reach", "edge_betweenness"):
        np.testing.assert_array_equal(getattr(blocked, name), getattr(whole, name))


def test_merge_refuses_parts_that_do_not_follow_each_other():
    compact = compact_graph(nx.path_graph(6), orientation="smaller_to_larger", where="test")
    parts = [shortest_paths(compact, range(0, 2)), shortest_paths(compact, range(3, 6))]
    with pytest.raises(ValueError, match="consecutive"):
        merge_shortest_paths(parts)
