"""The feature-group registry, and one contract test run over every registered group."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from analytics.features import FEATURE_NAMES, get_feature_group, graph_features, list_feature_groups
from analytics.features.batch import GraphBatch, graph_batch
from analytics.features.graphs import compact_graph
from analytics.features.paths import shortest_paths
from analytics.features.registry import feature_names, register_feature_group
from tests.analytics.nx_reference import assert_features_close, nx_features


def _awkward_graphs() -> dict[str, nx.Graph]:
    loops = nx.MultiGraph([(0, 1), (0, 1), (1, 2), (2, 2)])
    disconnected = nx.Graph([(0, 1), (1, 2), (3, 4)])
    disconnected.add_node(5)
    return {
        "empty": nx.Graph(),
        "single_vertex": nx.empty_graph(1),
        "single_edge": nx.path_graph(2),
        "no_edges": nx.empty_graph(4),
        "tiny": nx.Graph([(0, 1), (1, 2), (2, 3), (3, 0), (0, 2)]),
        "disconnected": disconnected,
        "loops_and_parallel_edges": loops,
        "directed_acyclic": nx.DiGraph([(3, 0), (0, 2), (3, 2), (2, 1)]),
        "directed_cyclic": nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3)]),
    }


AWKWARD = _awkward_graphs()


def _batch(graphs: list[nx.Graph]) -> GraphBatch:
    compacts = [compact_graph(g, orientation="smaller_to_larger", where="test") for g in graphs]
    return graph_batch(compacts, [shortest_paths(c) for c in compacts])


@pytest.mark.parametrize("case", sorted(AWKWARD))
@pytest.mark.parametrize("name", list_feature_groups())
def test_every_group_matches_networkx_on_awkward_graphs(name, case):
    group, graph = get_feature_group(name), AWKWARD[case]
    assert_features_close(graph_features(graph), nx_features(graph), group.columns)
    values = group.compute(_batch([graph]))
    assert values.shape == (1, len(group.columns)) and values.dtype == np.float64


@pytest.mark.parametrize("name", list_feature_groups())
def test_every_group_gives_each_graph_of_a_batch_its_own_row(name):
    group, graphs = get_feature_group(name), list(AWKWARD.values())
    together = group.compute(_batch(graphs))
    alone = np.vstack([group.compute(_batch([g])) for g in graphs])
    nonempty = [g.number_of_nodes() > 0 for g in graphs]  # empty graphs' rows are ignored
    np.testing.assert_array_equal(together[nonempty], alone[nonempty])


def test_groups_partition_the_feature_columns_in_order():
    columns = [c for name in list_feature_groups() for c in get_feature_group(name).columns]
    assert tuple(columns) == FEATURE_NAMES == feature_names()


def test_unknown_group_lists_the_valid_names():
    with pytest.raises(ValueError, match="'name' parameter of get_feature_group.*'size'.*'nope'"):
        get_feature_group("nope")


@pytest.mark.parametrize(
    ("name", "columns", "match"),
    [("size", ["brand_new"], "already registered"), ("brand_new", ["nodes"], "'nodes'")],
)
def test_registering_a_taken_name_or_column_fails_without_changing_the_registry(
    name, columns, match
):
    before = list_feature_groups()
    with pytest.raises(ValueError, match=match):
        register_feature_group(name, columns)(lambda graph, paths: (0.0,))
    assert list_feature_groups() == before
