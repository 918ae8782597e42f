"""The paper's graph features, as registered feature groups, with networkx's definitions.

Each group is a pure function of a :class:`~analytics.features.graphs.CompactGraph` with at
least one vertex and its :class:`~analytics.features.paths.ShortestPaths` over every source.
igraph's raw numbers are rescaled to networkx's conventions here (``n`` vertices, ``r`` the
size of a vertex's connected component):

* node betweenness ÷ ((n−1)(n−2)/2) for ``n > 2`` (networkx ``normalized=True``);
* edge betweenness ÷ (n(n−1)/2) for ``n > 1``;
* closeness ``(r−1)/Σd · (r−1)/(n−1)``, networkx's Wasserman–Faust scaling per component.

The per-vertex (per-edge) values are public functions, so tests can compare them one by one.
Node betweenness is not computed by a second Brandes pass: every shortest path through ``v``
uses two edges at ``v``, and every path from ``v`` to one of the other ``r−1`` vertices of its
component uses one, so ``Σ_{e ∋ v} EB(e) = 2·B(v) + (r−1)`` and ``B(v)`` follows from the edge
betweenness in linear time.
"""

from __future__ import annotations

import math

import igraph as ig
import numpy as np

from analytics.features.graphs import CompactGraph
from analytics.features.paths import ShortestPaths
from analytics.features.registry import feature_names, register_feature_group

__all__ = [
    "FEATURE_NAMES",
    "closeness_centrality",
    "dag_layers",
    "degree_centrality",
    "edge_betweenness",
    "node_betweenness",
    "summary",
]

NAN = math.nan


def summary(values: np.ndarray) -> tuple[float, float, float]:
    """Mean, sample variance (``ddof=1``) and its square root; NaN where undefined.

    No values: all three NaN. One value: the mean, and NaN for variance and standard
    deviation (a sample variance needs two values).
    """
    count = values.size
    if count == 0:
        return NAN, NAN, NAN
    mean = float(values.sum()) / count
    if count == 1:
        return mean, NAN, NAN
    deviation = values - mean  # two-pass variance, as numpy.var (whose wrapper is slow here)
    variance = float(deviation @ deviation) / (count - 1)
    return mean, variance, math.sqrt(variance)


def dag_layers(graph: CompactGraph) -> list[int] | None:
    """Layer of every vertex of ``graph.arcs``, or ``None`` if the arcs have a directed cycle.

    Same definition as :func:`models.dag.layer_index` —
    ``layer(v) = max(layer(u) for u -> v, default -1) + 1`` — in one pass over the arcs sorted
    by the topological position of their source: when an arc leaves ``u``, every arc into
    ``u`` has been seen, so ``layer(u)`` is final. The topological order is the vertex order
    itself when every arc points from a smaller to a larger label (the default orientation).
    """
    n, arcs = graph.n, graph.arcs
    if (arcs[:, 0] < arcs[:, 1]).all():
        position = arcs[:, 0]
    elif (arcs[:, 0] > arcs[:, 1]).all():
        position = -arcs[:, 0]
    else:
        dag = ig.Graph(n, arcs.tolist(), directed=True)
        if not dag.is_dag():
            return None
        order = np.empty(n, dtype=np.int64)
        order[dag.topological_sorting()] = np.arange(n)
        position = order[arcs[:, 0]]
    if (position[1:] < position[:-1]).any():  # usually sorted already
        arcs = arcs[np.argsort(position, kind="stable")]
    layer = [0] * n
    for u, v in arcs.tolist():
        if layer[v] <= layer[u]:
            layer[v] = layer[u] + 1
    return layer


def degree_centrality(graph: CompactGraph) -> np.ndarray:
    """Degree ÷ (n−1) of every vertex; 1 for the vertex of a one-vertex graph (networkx)."""
    if graph.n == 1:
        return np.ones(1)
    return np.bincount(graph.edges.ravel(), minlength=graph.n) / (graph.n - 1)


def closeness_centrality(graph: CompactGraph, paths: ShortestPaths) -> np.ndarray:
    """networkx's closeness of every vertex: ``(r−1)/Σd · (r−1)/(n−1)``; 0 if isolated."""
    reached, total = paths.reach - 1, paths.distance_sum
    has_paths = total > 0
    closeness = reached / np.where(has_paths, total, 1) * (reached / max(graph.n - 1, 1))
    return np.where(has_paths, closeness, 0.0)


def node_betweenness(graph: CompactGraph, paths: ShortestPaths) -> np.ndarray:
    """networkx's normalized betweenness of every vertex, from edge betweenness (see above)."""
    n, edges, through_edge = graph.n, graph.edges, paths.edge_betweenness
    at_vertex = np.bincount(edges[:, 0], through_edge, minlength=n)
    at_vertex += np.bincount(edges[:, 1], through_edge, minlength=n)
    betweenness = np.maximum((at_vertex - (paths.reach - 1)) / 2, 0.0)  # clip rounding noise
    return betweenness / ((n - 1) * (n - 2) / 2) if n > 2 else betweenness


def edge_betweenness(graph: CompactGraph, paths: ShortestPaths) -> np.ndarray:
    """networkx's normalized edge betweenness of every edge of ``graph.edges``."""
    n = graph.n
    return paths.edge_betweenness / (n * (n - 1) / 2) if n > 1 else paths.edge_betweenness


def _stat_columns(prefix: str) -> list[str]:
    return [f"{prefix}_mean", f"{prefix}_var", f"{prefix}_std"]


@register_feature_group("size", ["nodes", "edges", "density"])
def _size(graph: CompactGraph, paths: ShortestPaths) -> tuple[float, ...]:
    """Vertex and edge count; density ``E / (N (N-1))`` (the paper's, NaN for one vertex)."""
    n, m = graph.n, len(graph.edges)
    return float(n), float(m), m / (n * (n - 1)) if n > 1 else NAN


@register_feature_group(
    "distances", ["diameter", "average_shortest_path_length", *_stat_columns("eccentricity")]
)
def _distances(graph: CompactGraph, paths: ShortestPaths) -> tuple[float, ...]:
    """Diameter, average shortest path length, eccentricity; NaN if disconnected."""
    n = graph.n
    if (paths.reach < n).any():  # some distance is infinite: networkx raises
        return (NAN,) * 5
    average = float(paths.distance_sum.sum()) / (n * (n - 1)) if n > 1 else 0.0
    return float(paths.eccentricity.max()), average, *summary(paths.eccentricity)


@register_feature_group("degree_centrality", _stat_columns("degree_centrality"))
def _degree_centrality(graph: CompactGraph, paths: ShortestPaths) -> tuple[float, ...]:
    """Statistics of :func:`degree_centrality`."""
    return summary(degree_centrality(graph))


@register_feature_group("closeness_centrality", _stat_columns("closeness_centrality"))
def _closeness_centrality(graph: CompactGraph, paths: ShortestPaths) -> tuple[float, ...]:
    """Statistics of :func:`closeness_centrality`."""
    return summary(closeness_centrality(graph, paths))


@register_feature_group("node_betweenness", _stat_columns("node_betweenness"))
def _node_betweenness(graph: CompactGraph, paths: ShortestPaths) -> tuple[float, ...]:
    """Statistics of :func:`node_betweenness`."""
    return summary(node_betweenness(graph, paths))


@register_feature_group("edge_betweenness", _stat_columns("edge_betweenness"))
def _edge_betweenness(graph: CompactGraph, paths: ShortestPaths) -> tuple[float, ...]:
    """Statistics of :func:`edge_betweenness`; all NaN for a graph without edges."""
    return summary(edge_betweenness(graph, paths))


@register_feature_group("dag", ["layers", "source_nodes", "sink_nodes", "last_layer_size"])
def _dag(graph: CompactGraph, paths: ShortestPaths) -> tuple[float, ...]:
    """Layer count, true sources and sinks, size of the last layer; no layers if cyclic."""
    n, arcs = graph.n, graph.arcs
    sources = n - np.count_nonzero(np.bincount(arcs[:, 1], minlength=n))
    sinks = n - np.count_nonzero(np.bincount(arcs[:, 0], minlength=n))
    layer = dag_layers(graph)
    if layer is None:
        return NAN, float(sources), float(sinks), NAN
    last = max(layer)
    return float(last + 1), float(sources), float(sinks), float(layer.count(last))


FEATURE_NAMES: tuple[str, ...] = feature_names()
