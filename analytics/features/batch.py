"""Many graphs as one set of flat arrays, so every feature is computed for all of them at once.

Per graph, the work left after igraph's shortest-path calls is a handful of tiny numpy
operations, and their fixed cost (about a microsecond each) would dominate for the small
graphs of a study. A :class:`GraphBatch` concatenates the graphs — vertex ``v`` of graph ``g``
becomes ``offsets[g] + v`` — and records which graph every vertex, edge and arc belongs to;
per-graph statistics are then segment reductions (:func:`segment_summary`) over the whole
batch. A batch of one graph is an ordinary case, not a special one.

Each graph's values are reduced in the same order whatever else is in its batch, so a graph's
features do not depend on the batch it was computed in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analytics.features.graphs import CompactGraph
from analytics.features.paths import ShortestPaths

__all__ = ["GraphBatch", "graph_batch", "segment_max", "segment_summary"]


@dataclass(frozen=True, eq=False)
class GraphBatch:
    """``k`` graphs with ``N`` vertices, ``M`` edges and ``A`` arcs in total.

    Attributes
    ----------
    n, m:
        ``(k,)`` vertex and edge count of each graph.
    offsets:
        ``(k + 1,)`` batch id of each graph's first vertex; ``offsets[-1] == N``.
    vertex_graph, edge_graph, arc_graph:
        ``(N,)``, ``(M,)``, ``(A,)`` graph of each vertex, edge and arc.
    edges, arcs:
        ``(M, 2)`` and ``(A, 2)`` batch vertex ids (see :class:`CompactGraph`); arcs of one
        graph are contiguous, graph after graph (``arc_offsets``, ``(k + 1,)``).
    eccentricity, distance_sum, reach, edge_betweenness:
        :class:`ShortestPaths` of every graph from all its vertices, concatenated.
    """

    n: np.ndarray
    m: np.ndarray
    offsets: np.ndarray
    vertex_graph: np.ndarray
    edge_graph: np.ndarray
    arc_graph: np.ndarray
    edges: np.ndarray
    arcs: np.ndarray
    arc_offsets: np.ndarray
    eccentricity: np.ndarray
    distance_sum: np.ndarray
    reach: np.ndarray
    edge_betweenness: np.ndarray

    @property
    def size(self) -> int:
        """Number of graphs."""
        return self.n.size


def graph_batch(graphs: Sequence[CompactGraph], paths: Sequence[ShortestPaths]) -> GraphBatch:
    """Concatenate ``graphs`` and their shortest paths (from every vertex) into one batch."""
    k = len(graphs)
    n = np.array([g.n for g in graphs], dtype=np.int64)
    m = np.array([len(g.edges) for g in graphs], dtype=np.int64)
    arc_counts = np.array([len(g.arcs) for g in graphs], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(n)])
    graph_ids = np.arange(k)
    edge_graph = np.repeat(graph_ids, m)
    arc_graph = np.repeat(graph_ids, arc_counts)
    return GraphBatch(
        n=n,
        m=m,
        offsets=offsets,
        vertex_graph=np.repeat(graph_ids, n),
        edge_graph=edge_graph,
        arc_graph=arc_graph,
        edges=_stack([g.edges for g in graphs]) + offsets[edge_graph, None],
        arcs=_stack([g.arcs for g in graphs]) + offsets[arc_graph, None],
        arc_offsets=np.concatenate([[0], np.cumsum(arc_counts)]),
        eccentricity=_join([p.eccentricity for p in paths]),
        distance_sum=_join([p.distance_sum for p in paths]),
        reach=_join([p.reach for p in paths]),
        edge_betweenness=_join([p.edge_betweenness for p in paths]),
    )


def segment_summary(values: np.ndarray, segment: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Mean, sample variance (``ddof=1``) and standard deviation of each segment, ``(k, 3)``.

    ``segment[i]`` is the segment of ``values[i]``, ``counts`` the size of every segment.
    Undefined statistics are NaN: all three for an empty segment, the variance and standard
    deviation for a segment of one value (a sample variance needs two).
    """
    k = counts.size
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.bincount(segment, values, minlength=k) / counts
        deviation = values - mean[segment]  # two-pass variance, as numpy.var
        variance = np.bincount(segment, deviation * deviation, minlength=k) / (counts - 1)
    mean[counts == 0] = np.nan
    variance[counts < 2] = np.nan
    return np.stack([mean, variance, np.sqrt(variance)], axis=1)


def segment_max(values: np.ndarray, segment: np.ndarray, k: int) -> np.ndarray:
    """Largest value of each of ``k`` segments, ``(k,)`` float; NaN for an empty segment."""
    result = np.full(k, -np.inf)
    np.maximum.at(result, segment, values)
    result[np.isneginf(result)] = np.nan
    return result


def _stack(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays).reshape(-1, 2) if arrays else np.zeros((0, 2), dtype=np.int64)


def _join(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays).astype(np.float64) if arrays else np.zeros(0)
