"""The shared expensive work behind the features: distance rows and edge betweenness.

Eccentricity, diameter, average shortest path length and closeness are all reductions of the
rows of one distance matrix, and node betweenness follows from edge betweenness (see
:mod:`analytics.features.groups`). So a graph needs exactly one BFS per vertex and one Brandes
pass, both run by igraph's C core, and nothing else costs more than linear time.

Both are sums over source vertices: rows of the distance matrix are independent and Brandes'
per-source dependencies add up. :func:`shortest_paths` therefore takes a range of source
vertices, and :func:`merge_shortest_paths` joins the parts — which lets one big graph keep
several worker processes busy. The matrix is materialised in blocks of about four million entries,
so memory stays bounded (tens of MB) however large the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, pairwise

import igraph as ig
import numpy as np

from analytics.features.graphs import CompactGraph

__all__ = ["ShortestPaths", "merge_shortest_paths", "shortest_paths"]

_BLOCK_ENTRIES = 1 << 22  # distance-matrix entries converted to numpy at once


@dataclass(frozen=True, eq=False)
class ShortestPaths:
    """Per-source summaries of the shortest paths from the source vertices ``sources``.

    Attributes
    ----------
    sources:
        The source vertices these results cover.
    eccentricity:
        ``(len(sources),)`` greatest finite distance from each source.
    distance_sum:
        ``(len(sources),)`` sum of the finite distances from each source.
    reach:
        ``(len(sources),)`` number of vertices reachable from each source, itself included
        (the size of its connected component).
    edge_betweenness:
        ``(m,)`` igraph's raw undirected edge betweenness of every edge of ``graph.edges``,
        counting only the shortest paths that start at ``sources`` (each vertex pair once when
        ``sources`` is every vertex).
    """

    sources: range
    eccentricity: np.ndarray
    distance_sum: np.ndarray
    reach: np.ndarray
    edge_betweenness: np.ndarray


def shortest_paths(graph: CompactGraph, sources: range | None = None) -> ShortestPaths:
    """Summarise the shortest paths of ``graph`` (undirected) from ``sources`` (default: all).

    Rows of the distance matrix come from ``igraph.Graph.distances`` block by block; each row
    is reduced with numpy to its maximum, sum and count of finite entries.
    """
    n = graph.n
    sources = range(n) if sources is None else sources
    g = ig.Graph(n, graph.edges.tolist())
    connected = g.is_connected()
    step = max(1, _BLOCK_ENTRIES // max(n, 1))
    blocks = [
        _row_summaries(g, range(start, min(start + step, sources.stop)), connected)
        for start in range(sources.start, sources.stop, step)
    ]
    if len(blocks) == 1:
        eccentricity, distance_sum, reach = blocks[0]
    else:
        eccentricity, distance_sum, reach = (_concatenate([b[k] for b in blocks]) for k in range(3))
    everything = sources.start == 0 and sources.stop == n
    betweenness = g.edge_betweenness(directed=False, sources=None if everything else sources)
    return ShortestPaths(
        sources=sources,
        eccentricity=eccentricity,
        distance_sum=distance_sum,
        reach=reach,
        edge_betweenness=np.array(betweenness, dtype=np.float64),
    )


def merge_shortest_paths(parts: Sequence[ShortestPaths]) -> ShortestPaths:
    """Join results for consecutive source ranges into one.

    Raises
    ------
    ValueError
        If the parts' source ranges do not follow each other in order.
    """
    for before, after in pairwise(parts):
        if before.sources.stop != after.sources.start:
            raise ValueError(
                f"merge_shortest_paths needs consecutive source ranges; got {before.sources} "
                f"followed by {after.sources}."
            )
    return ShortestPaths(
        sources=range(parts[0].sources.start, parts[-1].sources.stop),
        eccentricity=_concatenate([p.eccentricity for p in parts]),
        distance_sum=_concatenate([p.distance_sum for p in parts]),
        reach=_concatenate([p.reach for p in parts]),
        edge_betweenness=np.sum([p.edge_betweenness for p in parts], axis=0),
    )


def _row_summaries(
    g: ig.Graph, sources: range, connected: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greatest finite distance, sum of finite distances and reach of each source's row."""
    n = g.vcount()
    rows = g.distances() if len(sources) == n else g.distances(sources)
    count = len(sources) * n
    if connected:  # every distance is a finite int
        block = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=count)
        block = block.reshape(len(sources), n)  # (sources, n)
        return block.max(axis=1), block.sum(axis=1), np.full(len(sources), n)
    block = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=count)
    block = block.reshape(len(sources), n)  # (sources, n), inf where unreachable
    finite = np.isfinite(block)
    block[~finite] = 0.0
    return block.max(axis=1), block.sum(axis=1), finite.sum(axis=1)


def _concatenate(arrays: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
