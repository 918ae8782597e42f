import math

import networkx as nx
import pytest

from analytics.features.cheap import CHEAP_FEATURE_NAMES, cheap_features
from tests.analytics.nx_reference import nx_features

GRAPHS = {
    "layered": nx.DiGraph([(0, 3), (1, 3), (2, 4), (3, 5), (4, 5), (1, 4)]),
    "disconnected": nx.DiGraph([(0, 1), (2, 3)]),
    "path": nx.path_graph(5),
    "one": nx.empty_graph(1),
    "empty": nx.Graph(),
}


@pytest.mark.parametrize("key", list(GRAPHS))
def test_cheap_features_equal_the_networkx_reference(key):
    row = cheap_features({key: GRAPHS[key]}).row(0, named=True)
    expected = nx_features(GRAPHS[key])
    for name in CHEAP_FEATURE_NAMES:
        if math.isnan(expected[name]):
            assert math.isnan(row[name]), name
        else:
            assert row[name] == pytest.approx(expected[name], rel=1e-9, abs=1e-12), name


def test_cheap_features_are_the_linear_time_ones():
    assert "edge_betweenness_mean" not in CHEAP_FEATURE_NAMES
    assert {"nodes", "edges", "density", "source_nodes", "sink_nodes"} <= set(CHEAP_FEATURE_NAMES)
