"""Plain networkx reference for :mod:`analytics.features`: every feature, one networkx call each.

This is the independent answer the tests compare against and the baseline the benchmark times.
It is written the obvious way on purpose — no shared work, no numpy — so that agreement with the
fast igraph implementation means something.

Definitions (see the ``analytics.features`` docstring): undirected features on the simple
undirected graph (directions, self-loops and parallel edges dropped), DAG features from
:func:`models.dag.layered_dag` on the simple directed graph (a directed input keeps its
directions, an undirected one is oriented by ``orientation``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from typing import Any

import networkx as nx

from analytics.features import FEATURE_NAMES  # the column names only, no computation
from models.dag import CyclicGraphError, layered_dag, to_networkx

__all__ = ["assert_features_close", "nx_features", "simple_directed", "simple_undirected"]

NAN = math.nan


def nx_features(graph: Any, *, orientation: str = "smaller_to_larger") -> dict[str, float]:
    """The paper's features of ``graph`` computed with plain networkx calls."""
    undirected = simple_undirected(graph)
    n, m = undirected.number_of_nodes(), undirected.number_of_edges()
    result = dict.fromkeys(FEATURE_NAMES, NAN) | {"nodes": float(n), "edges": float(m)}
    if n == 0:
        return result
    result["density"] = m / (n * (n - 1)) if n > 1 else NAN

    if nx.is_connected(undirected):
        eccentricity = nx.eccentricity(undirected)
        result["diameter"] = float(nx.diameter(undirected, e=eccentricity))
        result["average_shortest_path_length"] = nx.average_shortest_path_length(undirected)
        result |= _stats("eccentricity", eccentricity.values())
    # else networkx raises for all three (infinite path lengths): they stay NaN

    result |= _stats("degree_centrality", nx.degree_centrality(undirected).values())
    result |= _stats("closeness_centrality", nx.closeness_centrality(undirected).values())
    result |= _stats(
        "node_betweenness", nx.betweenness_centrality(undirected, normalized=True).values()
    )
    result |= _stats(
        "edge_betweenness",
        nx.edge_betweenness_centrality(undirected, normalized=True).values(),
    )

    directed = simple_directed(graph)
    try:
        layered = layered_dag(directed, orientation=orientation)
    except CyclicGraphError:  # no layering; sources and sinks are still well defined
        result["source_nodes"] = float(sum(1 for v in directed if directed.in_degree(v) == 0))
        result["sink_nodes"] = float(sum(1 for v in directed if directed.out_degree(v) == 0))
    else:
        result["layers"] = float(len(layered.layers))
        result["source_nodes"] = float(len(layered.sources))
        result["sink_nodes"] = float(len(layered.sinks))
        result["last_layer_size"] = float(len(layered.layers[-1]))
    return result


def simple_undirected(graph: Any) -> nx.Graph:
    """Undirected version of ``graph`` without self-loops and parallel edges."""
    simple = nx.Graph(to_networkx(graph))
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    return simple


def simple_directed(graph: Any) -> nx.Graph:
    """``graph`` without self-loops and parallel edges, keeping directions if it has any."""
    source = to_networkx(graph)
    if not source.is_directed():
        return simple_undirected(source)
    simple = nx.DiGraph(source)
    simple.remove_edges_from(list(nx.selfloop_edges(simple)))
    return simple


def _stats(prefix: str, values: Iterable[float]) -> dict[str, float]:
    """Mean, sample variance and sample standard deviation; NaN where undefined."""
    values = [float(v) for v in values]
    if not values:
        return {f"{prefix}_mean": NAN, f"{prefix}_var": NAN, f"{prefix}_std": NAN}
    several = len(values) > 1
    return {
        f"{prefix}_mean": statistics.fmean(values),
        f"{prefix}_var": statistics.variance(values) if several else NAN,
        f"{prefix}_std": statistics.stdev(values) if several else NAN,
    }


def assert_features_close(
    actual: dict[str, float], expected: dict[str, float], names: Iterable[str] | None = None
) -> None:
    """Features equal to 1e-9 (relative), NaN exactly where the reference has NaN.

    ``names`` restricts the comparison; by default ``actual`` must hold every feature, in order.
    """
    if names is None:
        assert list(actual) == list(FEATURE_NAMES)
        names = FEATURE_NAMES
    for name in names:
        got, want = actual[name], expected[name]
        if math.isnan(want):
            assert math.isnan(got), f"{name}: expected NaN, got {got}"
        else:
            assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-15), f"{name}: {got} != {want}"
