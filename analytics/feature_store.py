"""Compute the graph features the warehouse is missing, in bulk, and store them.

Graphs are read as integer edge arrays straight from the ``edges`` table (no networkx objects),
turned into igraph graphs, measured by :func:`analytics.features.bulk_features` on both cores,
and written back batch by batch — each batch its own short transaction, so an interrupted run
keeps what it finished and the next run computes only the rest.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import igraph as ig
import polars as pl

from analytics.features import FEATURE_NAMES, bulk_features
from warehouse import queries
from warehouse.connection import writer
from warehouse.store import store_features

__all__ = ["compute_missing_features"]


def compute_missing_features(
    db: str | os.PathLike | None = None,
    *,
    orientation: str = "smaller_to_larger",
    n_jobs: int = 2,
    batch_size: int = 2000,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Compute :data:`FEATURE_NAMES` for every stored graph lacking any of them.

    Parameters
    ----------
    on_batch:
        Called as ``on_batch(done, total)`` after each stored batch (progress display).

    Returns
    -------
    int
        How many networks got features.
    """
    if batch_size < 1:
        raise ValueError(
            "The 'batch_size' parameter of compute_missing_features must be >= 1. "
            f"Got {batch_size}."
        )
    missing = queries.networks_missing_features(db, list(FEATURE_NAMES))
    done = 0
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        arrays = queries.graph_edge_arrays(db, batch)
        graphs = {
            network_id: _igraph(num_nodes, directed, edges)
            for network_id, (num_nodes, directed, edges) in arrays.items()
        }
        table = bulk_features(graphs, orientation=orientation, n_jobs=n_jobs)
        long = table.unpivot(index="key", variable_name="name", value_name="value").rename(
            {"key": "network_id"}
        )
        with writer(db) as con:
            store_features(con, long.with_columns(pl.col("value").cast(pl.Float64)))
        done += len(batch)
        if on_batch is not None:
            on_batch(done, len(missing))
    return done


def _igraph(num_nodes: int, directed: bool, edges: pl.DataFrame) -> ig.Graph:
    pairs = edges.select("source", "target").to_numpy()
    return ig.Graph(n=int(num_nodes or 0), edges=pairs.tolist(), directed=bool(directed))
