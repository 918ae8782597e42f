"""The paper's graph features, as registered feature groups, with networkx's definitions.

Each group is a pure function of a :class:`~analytics.features.batch.GraphBatch` returning one
row per graph. Graphs without vertices get arbitrary values here; the caller fixes their rows
(see :mod:`analytics.features`). igraph's raw numbers are rescaled to networkx's conventions
(``n`` vertices of the graph, ``r`` the size of a vertex's connected component):

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

import igraph as ig
import numpy as np

from analytics.features.batch import GraphBatch, segment_max, segment_summary
from analytics.features.registry import feature_names, register_feature_group

__all__ = [
    "FEATURE_NAMES",
    "closeness_centrality",
    "dag_layers",
    "degree_centrality",
    "edge_betweenness",
    "node_betweenness",
]


def degree_centrality(batch: GraphBatch) -> np.ndarray:
    """Degree ÷ (n−1) of every vertex, ``(N,)``; 1 for the vertex of a one-vertex graph."""
    degree = np.bincount(batch.edges.ravel(), minlength=batch.vertex_graph.size)
    others = (batch.n - 1)[batch.vertex_graph]
    return np.where(others > 0, degree / np.maximum(others, 1), 1.0)


def closeness_centrality(batch: GraphBatch) -> np.ndarray:
    """networkx's closeness of every vertex, ``(r−1)/Σd · (r−1)/(n−1)``; 0 if isolated."""
    reached, total = batch.reach - 1, batch.distance_sum
    others = np.maximum(batch.n - 1, 1)[batch.vertex_graph]
    has_paths = total > 0
    closeness = reached / np.where(has_paths, total, 1) * (reached / others)
    return np.where(has_paths, closeness, 0.0)


def node_betweenness(batch: GraphBatch) -> np.ndarray:
    """networkx's normalized betweenness of every vertex, from edge betweenness (see above)."""
    size, edges, through_edge = batch.vertex_graph.size, batch.edges, batch.edge_betweenness
    at_vertex = np.bincount(edges[:, 0], through_edge, minlength=size)
    at_vertex += np.bincount(edges[:, 1], through_edge, minlength=size)
    betweenness = np.maximum((at_vertex - (batch.reach - 1)) / 2, 0.0)  # clip rounding noise
    n = batch.n.astype(np.float64)
    scale = np.where(n > 2, (n - 1) * (n - 2) / 2, 1.0)
    return betweenness / scale[batch.vertex_graph]


def edge_betweenness(batch: GraphBatch) -> np.ndarray:
    """networkx's normalized edge betweenness of every edge of ``batch.edges``, ``(M,)``."""
    n = batch.n.astype(np.float64)
    scale = np.where(n > 1, n * (n - 1) / 2, 1.0)
    return batch.edge_betweenness / scale[batch.edge_graph]


def dag_layers(batch: GraphBatch) -> tuple[np.ndarray, np.ndarray]:
    """Layer of every vertex of ``batch.arcs`` and which graphs have a directed cycle.

    Same definition as :func:`models.dag.layer_index` —
    ``layer(v) = max(layer(u) for u -> v, default -1) + 1`` — in one pass over the arcs sorted
    by the topological position of their source: when an arc leaves ``u``, every arc into
    ``u`` has been seen, so ``layer(u)`` is final. A graph whose arcs all point from smaller to
    larger labels (the default orientation) or all the other way has its vertex order as
    topological order; only the others (directed inputs) need igraph's topological sort.

    Returns
    -------
    layer:
        ``(N,)`` layer of each vertex; meaningless for vertices of cyclic graphs.
    cyclic:
        ``(k,)`` whether each graph's arcs have a directed cycle.
    """
    arcs, owner, offsets = batch.arcs, batch.arc_graph, batch.offsets
    ascending = arcs[:, 0] < arcs[:, 1]
    up = np.bincount(owner, ascending, minlength=batch.size)
    count = np.diff(batch.arc_offsets)
    # position: rank of each arc's source in a topological order of its graph, plus the
    # graph's offset, so that sorting arcs by it keeps graphs apart and each graph in order.
    position = np.where(ascending, arcs[:, 0], 0)
    downward = (up == 0)[owner]  # every arc of the graph descends: reverse vertex order
    position[downward] = (2 * offsets[owner] + batch.n[owner] - 1 - arcs[:, 0])[downward]
    cyclic = np.zeros(batch.size, dtype=bool)
    keep = np.ones(len(arcs), dtype=bool)
    for g in np.flatnonzero((up > 0) & (up < count)):  # arcs both ways: sort topologically
        start, stop = batch.arc_offsets[g], batch.arc_offsets[g + 1]
        local = (arcs[start:stop] - offsets[g]).tolist()
        dag = ig.Graph(int(batch.n[g]), local, directed=True)
        if not dag.is_dag():
            cyclic[g], keep[start:stop] = True, False
            continue
        rank = np.empty(batch.n[g], dtype=np.int64)
        rank[dag.topological_sorting()] = np.arange(batch.n[g])
        position[start:stop] = offsets[g] + rank[arcs[start:stop, 0] - offsets[g]]
    arcs, position = arcs[keep], position[keep]
    if (position[1:] < position[:-1]).any():  # usually sorted already
        arcs = arcs[np.argsort(position, kind="stable")]
    layer = [0] * batch.vertex_graph.size
    for u, v in arcs.tolist():
        if layer[v] <= layer[u]:
            layer[v] = layer[u] + 1
    return np.array(layer, dtype=np.int64), cyclic


def _stat_columns(prefix: str) -> list[str]:
    return [f"{prefix}_mean", f"{prefix}_var", f"{prefix}_std"]


def _per_vertex(values: np.ndarray, batch: GraphBatch) -> np.ndarray:
    return segment_summary(values, batch.vertex_graph, batch.n)


@register_feature_group("size", ["nodes", "edges", "density"])
def _size(batch: GraphBatch) -> np.ndarray:
    """Vertex and edge count; density ``E / (N (N-1))`` (the paper's, NaN for one vertex)."""
    n, m = batch.n.astype(np.float64), batch.m.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        density = np.where(n > 1, m / (n * (n - 1)), np.nan)
    return np.stack([n, m, density], axis=1)


@register_feature_group(
    "distances", ["diameter", "average_shortest_path_length", *_stat_columns("eccentricity")]
)
def _distances(batch: GraphBatch) -> np.ndarray:
    """Diameter, average shortest path length, eccentricity; NaN if disconnected."""
    k, owner = batch.size, batch.vertex_graph
    n = batch.n.astype(np.float64)
    cut_off = _count(owner, batch.reach < batch.n[owner], k) > 0
    total = np.bincount(owner, batch.distance_sum, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        average = np.where(n > 1, total / (n * (n - 1)), 0.0)
    diameter = segment_max(batch.eccentricity, owner, k)
    result = np.column_stack([diameter, average, _per_vertex(batch.eccentricity, batch)])
    result[cut_off] = np.nan  # some distance is infinite: networkx raises
    return result


@register_feature_group("degree_centrality", _stat_columns("degree_centrality"))
def _degree_centrality(batch: GraphBatch) -> np.ndarray:
    """Statistics of :func:`degree_centrality`."""
    return _per_vertex(degree_centrality(batch), batch)


@register_feature_group("closeness_centrality", _stat_columns("closeness_centrality"))
def _closeness_centrality(batch: GraphBatch) -> np.ndarray:
    """Statistics of :func:`closeness_centrality`."""
    return _per_vertex(closeness_centrality(batch), batch)


@register_feature_group("node_betweenness", _stat_columns("node_betweenness"))
def _node_betweenness(batch: GraphBatch) -> np.ndarray:
    """Statistics of :func:`node_betweenness`."""
    return _per_vertex(node_betweenness(batch), batch)


@register_feature_group("edge_betweenness", _stat_columns("edge_betweenness"))
def _edge_betweenness(batch: GraphBatch) -> np.ndarray:
    """Statistics of :func:`edge_betweenness` over edges; all NaN for a graph without edges."""
    return segment_summary(edge_betweenness(batch), batch.edge_graph, batch.m)


@register_feature_group("dag", ["layers", "source_nodes", "sink_nodes", "last_layer_size"])
def _dag(batch: GraphBatch) -> np.ndarray:
    """Layer count, true sources and sinks, size of the last layer; no layers if cyclic."""
    k, owner, size = batch.size, batch.vertex_graph, batch.vertex_graph.size
    sources = _count(owner, np.bincount(batch.arcs[:, 1], minlength=size) == 0, k)
    sinks = _count(owner, np.bincount(batch.arcs[:, 0], minlength=size) == 0, k)
    layer, cyclic = dag_layers(batch)
    depth = segment_max(layer, owner, k)  # index of the last layer
    last = _count(owner, layer == depth[owner], k)
    depth[cyclic], last[cyclic] = np.nan, np.nan
    return np.stack([depth + 1, sources, sinks, last], axis=1)


def _count(segment: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """How many ``mask`` entries are true in each of ``k`` segments, as floats."""
    return np.bincount(segment, mask, minlength=k).astype(np.float64)


FEATURE_NAMES: tuple[str, ...] = feature_names()
