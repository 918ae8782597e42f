"""Feature extraction for one graph (:func:`graph_features`) and for many (:func:`bulk_features`).

Bulk extraction spreads the work over a process pool. Small graphs go in chunks of similar
cost, each computed as one batch, so per-task and per-graph overheads are amortised; a big
graph is split by source vertex (:func:`~analytics.features.paths.shortest_paths`) so it keeps
every worker busy. No networkx object is ever pickled: graphs are converted here to
:class:`~analytics.features.graphs.CompactGraph` (a vertex count and two numpy edge arrays)
and only those arrays travel. Workers come from a forkserver (or are spawned), never forked
from this process, which may already run polars' or DuckDB's threads.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import igraph as ig
import networkx as nx
import numpy as np
import polars as pl

from analytics.features.batch import graph_batch
from analytics.features.graphs import CompactGraph, check_orientation, compact_graph
from analytics.features.groups import FEATURE_NAMES
from analytics.features.paths import ShortestPaths, merge_shortest_paths, shortest_paths
from analytics.features.registry import get_feature_group, list_feature_groups

__all__ = ["bulk_features", "feature_rows", "graph_features"]

# Work is estimated as n * (n + m): one BFS per vertex, and Brandes' pass costs the same.
# (1e6 units take about 0.1 s on one core.)
_SPLIT_COST = 2_000_000  # graphs above this are split by source vertex across the workers
_MIN_POOL_COST = 1_000_000  # less work than this is done in-process: a pool costs ~25 ms
_MIN_CHUNK_COST = 200_000  # smaller chunks than this do not pay for their trip to a worker
_CHUNKS_PER_WORKER = 4  # more chunks than workers evens out the load
# The first pool of a process starts the forkserver, which imports numpy, polars, networkx and
# igraph (igraph pulls in matplotlib): 1-3 s. Until then a pool must have this much work.
_COLD_POOL_COST = 20_000_000
_FORKSERVER_STARTED = False  # whether this process's forkserver is up (pools then start in ms)


def graph_features(graph: Any, *, orientation: str = "smaller_to_larger") -> dict[str, float]:
    """The paper's features of one graph, keyed by :data:`FEATURE_NAMES`, in that order.

    Parameters
    ----------
    graph:
        networkx graph, ``igraph.Graph``, or edge list read as a directed graph (an integer
        numpy array of shape ``(m, 2)`` or any iterable of ``(u, v)`` pairs).
    orientation:
        Rule turning undirected edges into arcs for the DAG features, one of
        :func:`models.dag.list_orientations` (default: from the smaller to the larger vertex
        id). Directed graphs keep their own directions.

    Returns
    -------
    dict
        Feature name -> float; NaN where a feature is undefined (see :mod:`analytics.features`).

    Raises
    ------
    TypeError
        If ``graph`` is not a graph.
    ValueError
        If ``orientation`` is unknown or an edge list holds something other than pairs.

    Example
    -------
    >>> features = graph_features(nx.path_graph(3))
    >>> features["diameter"], features["layers"], features["sink_nodes"]
    (2.0, 3.0, 1.0)
    """
    check_orientation(orientation, "graph_features")
    compact = compact_graph(
        graph, orientation=orientation, where="The 'graph' parameter of graph_features"
    )
    return dict(zip(FEATURE_NAMES, feature_rows([compact])[0].tolist(), strict=True))


def bulk_features(
    graphs: Mapping[Any, Any] | Iterable[tuple[Any, Any]],
    *,
    orientation: str = "smaller_to_larger",
    n_jobs: int = 2,
    progress: bool = False,
) -> pl.DataFrame:
    """Features of many graphs as one table: a ``key`` column, then :data:`FEATURE_NAMES`.

    Every row equals :func:`graph_features` of its graph. Rows follow the input order.

    Parameters
    ----------
    graphs:
        ``{key: graph}`` or an iterable of ``(key, graph)`` pairs; graphs as for
        :func:`graph_features`. Keys must fit in one polars column (e.g. all ``str``).
    orientation:
        As for :func:`graph_features`.
    n_jobs:
        Worker processes; ``1`` computes in this process, ``-1`` uses every core. Workers are
        forked from a forkserver (started once per process, a fraction of a second), so they
        start in milliseconds afterwards; a job of less than about 0.1 s of work is done in
        this process, where it is quicker.
    progress:
        Show a rich progress bar counting finished graphs.

    Returns
    -------
    polars.DataFrame
        One row per graph; feature columns are Float64.

    Raises
    ------
    TypeError
        If ``graphs`` is not a mapping or iterable of pairs, or one of its graphs is not a
        graph (the message names its key), or the keys do not fit in one column.
    ValueError
        If ``orientation`` or ``n_jobs`` is invalid or an edge list is malformed.
    """
    check_orientation(orientation, "bulk_features")
    workers = _check_n_jobs(n_jobs)
    items = list(_pairs(graphs))
    keys = [key for key, _ in items]
    try:
        key_column = pl.Series("key", keys)
    except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
        raise TypeError(
            "The keys of the 'graphs' parameter of bulk_features must fit in one column "
            f"(e.g. all str or all int); got types {sorted({type(k).__name__ for k in keys})}."
        ) from exc
    with _progress_bar(len(items), enabled=progress) as advance:
        rows = _feature_rows(items, orientation, workers, advance)
    features = (pl.Series(name, rows[:, j]) for j, name in enumerate(FEATURE_NAMES))
    return pl.DataFrame([key_column, *features])


def feature_rows(
    graphs: Sequence[CompactGraph], paths: Sequence[ShortestPaths] | None = None
) -> np.ndarray:
    """Features of compact graphs, ``(len(graphs), len(FEATURE_NAMES))``, computed as one batch.

    ``paths`` (each graph's shortest paths from every vertex) are computed when not given. A
    graph without vertices has 0 vertices and 0 edges and NaN for every other feature.
    """
    if not graphs:
        return np.empty((0, len(FEATURE_NAMES)))
    paths = [shortest_paths(g) for g in graphs] if paths is None else paths
    batch = graph_batch(graphs, paths)
    rows = np.hstack([get_feature_group(name).compute(batch) for name in list_feature_groups()])
    empty = batch.n == 0
    rows[empty] = math.nan
    rows[np.ix_(empty, [FEATURE_NAMES.index("nodes"), FEATURE_NAMES.index("edges")])] = 0.0
    return rows


def _feature_rows(
    items: list[tuple[Any, Any]], orientation: str, workers: int, advance: Callable[[float], None]
) -> np.ndarray:
    """Feature rows of every ``(key, graph)`` pair, ``(len(items), features)``.

    Every graph is converted here first (which also raises input errors before any work
    starts); only the compact integer arrays travel to workers.
    """
    graphs = [_compact(key, graph, orientation) for key, graph in items]
    rows = np.empty((len(items), len(FEATURE_NAMES)))
    cost = [_cost(graph) for graph in graphs]
    if workers > 1:
        big = [i for i, c in enumerate(cost) if c >= _SPLIT_COST]
        small = [i for i, c in enumerate(cost) if c < _SPLIT_COST]
        target = max(_MIN_CHUNK_COST, sum(cost[i] for i in small) / (workers * _CHUNKS_PER_WORKER))
        chunks = _chunk(small, cost, target)
        total = sum(cost)
        worth_a_pool = big or (len(chunks) > 1 and total >= _MIN_POOL_COST)
        if worth_a_pool and (_FORKSERVER_STARTED or total >= _COLD_POOL_COST):
            _run_pool(rows, graphs, big, chunks, workers, advance)
            return rows
    for chunk in _chunk(list(range(len(items))), cost, _MIN_CHUNK_COST):
        rows[chunk] = feature_rows([graphs[i] for i in chunk])
        advance(len(chunk))
    return rows


def _run_pool(
    rows: np.ndarray,
    graphs: list[CompactGraph],
    big: list[int],
    chunks: list[list[int]],
    workers: int,
    advance: Callable[[float], None],
) -> None:
    global _FORKSERVER_STARTED
    context = _worker_context()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    _FORKSERVER_STARTED = context.get_start_method() == "forkserver"
    try:
        tasks: dict[Future, tuple[str, Any]] = {}
        for i in big:  # first, so that the longest tasks do not start last
            graph = graphs[i]
            bounds = np.linspace(0, graph.n, workers + 1).astype(int).tolist()
            for start, stop in pairwise(bounds):
                tasks[pool.submit(shortest_paths, graph, range(start, stop))] = ("part", i)
        for chunk in chunks:
            tasks[pool.submit(feature_rows, [graphs[i] for i in chunk])] = ("chunk", chunk)
        parts: dict[int, list[ShortestPaths]] = {i: [] for i in big}
        for done in as_completed(tasks):
            kind, where = tasks[done]
            if kind == "chunk":
                rows[where] = done.result()
                advance(len(where))
                continue
            parts[where].append(done.result())
            if len(parts[where]) == workers:
                merged = merge_shortest_paths(sorted(parts[where], key=lambda p: p.sources.start))
                rows[where] = feature_rows([graphs[where]], [merged])[0]
            advance(1 / workers)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _worker_context() -> multiprocessing.context.BaseContext:
    """Start workers from a fresh process, never by forking this one.

    This process may already run polars' and DuckDB's thread pools (and torch's); a forked
    child inherits their locks in whatever state they were, which can deadlock it. A
    *forkserver* (started once per process, with this module preloaded) forks workers from a
    clean single-threaded process in milliseconds; *spawn* is the fallback where there is no
    forkserver (Windows, macOS default builds).
    """
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


def _compact(key: Any, graph: Any, orientation: str) -> CompactGraph:
    where = f"The graph with key {key!r} in the 'graphs' parameter of bulk_features"
    return compact_graph(graph, orientation=orientation, where=where)


def _cost(graph: CompactGraph) -> int:
    """Work estimate ``n (n + m)``: one BFS per vertex; Brandes' pass costs the same."""
    return graph.n * (graph.n + len(graph.edges))


def _chunk(indices: list[int], cost: list[int], target: float) -> list[list[int]]:
    """Split ``indices`` in order into runs whose summed cost reaches ``target``."""
    chunks: list[list[int]] = []
    current: list[int] = []
    total = 0.0
    for i in indices:
        current.append(i)
        total += cost[i]
        if total >= target:
            chunks.append(current)
            current, total = [], 0.0
    if current:
        chunks.append(current)
    return chunks


def _pairs(graphs: Any) -> Iterator[tuple[Any, Any]]:
    """Yield ``(key, graph)`` from a mapping or an iterable of pairs, checking each item."""
    expected = "a mapping {key: graph} or an iterable of (key, graph) pairs"
    if isinstance(graphs, nx.Graph | ig.Graph):
        raise TypeError(
            f"The 'graphs' parameter of bulk_features must be {expected}. Got a single "
            f"{type(graphs).__name__} instead; pass {{key: graph}}."
        )
    if isinstance(graphs, Mapping):
        yield from graphs.items()
        return
    if not isinstance(graphs, Iterable) or isinstance(graphs, str | bytes):
        raise TypeError(
            f"The 'graphs' parameter of bulk_features must be {expected}. "
            f"Got {type(graphs).__name__} instead."
        )
    for position, item in enumerate(graphs):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise TypeError(
                f"Item {position} of the 'graphs' parameter of bulk_features must be a "
                f"(key, graph) pair. Got {type(item).__name__} instead."
            )
        yield item[0], item[1]


def _check_n_jobs(n_jobs: Any) -> int:
    if isinstance(n_jobs, int) and not isinstance(n_jobs, bool) and (n_jobs >= 1 or n_jobs == -1):
        return (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    raise ValueError(
        "The 'n_jobs' parameter of bulk_features must be a positive int or -1 (every core). "
        f"Got {n_jobs!r} instead."
    )


@contextmanager
def _progress_bar(total: int, *, enabled: bool) -> Iterator[Callable[[float], None]]:
    """Yield ``advance(k)``; draws a rich progress bar when ``enabled``."""
    if not enabled:
        yield lambda k: None
        return
    from rich.progress import Progress

    with Progress() as bar:
        task = bar.add_task("graph features", total=total)
        yield lambda k: bar.advance(task, k)
