"""Graph features for networks as they land in the warehouse: the one place that stores them.

Measuring is pure and lives in :mod:`analytics.features` (graphs in, numbers out); deciding
which networks need features and writing them is orchestration and lives here, used by the
study driver (features computed from a batch's frames and stored in the same transaction as
the batch) and by ``sparsescope features`` (every stored network still lacking one).

Step networks of pruning runs (:mod:`warehouse.pruning_store`) have no edges of their own in a
batch; theirs are derived from the base's edges and the run's connections. They get the cheap
features (:data:`analytics.features.cheap.CHEAP_FEATURE_NAMES`: sizes, density, degree
centrality, layers, sources, sinks) at every step, and the full set (paths, closeness,
betweenness) only at steps that are a multiple of the run's ``expensive_every`` attribute
(default 1: every step) and at the run's last step. A step that has its cheap features is
complete: ``sparsescope features`` does not add the expensive ones later. A base network
comes with each of its runs; its features are computed once per process (cached by content
hash), however many batches carry it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

import igraph as ig
import polars as pl

from analytics.features import FEATURE_NAMES, bulk_features
from analytics.features.cheap import cheap_features
from warehouse import queries
from warehouse.connection import writer
from warehouse.pruning_tables import step_edges
from warehouse.store import store_features

__all__ = ["features_of_frames", "land_missing_features"]

# Features of pruning runs' base networks by (id, content hash, orientation): every run's
# bundle carries its base, whose (large) graph is measured only once per process.
_BASE_FEATURES: dict[tuple[str, str, str], pl.DataFrame] = {}
_BASE_CACHE_SIZE = 64


def features_of_frames(
    frames: dict[str, pl.DataFrame], *, orientation: str = "smaller_to_larger", n_jobs: int = 1
) -> pl.DataFrame:
    """Long ``(network_id, name, value)`` rows of :data:`FEATURE_NAMES` for the networks with a
    graph in one batch of table frames (see :func:`warehouse.records.records_to_frames`)."""
    heads = frames["networks"].filter(pl.col("has_graph"))
    grouped = {key[0]: part for key, part in frames["edges"].group_by("network_id")}
    if "pruning_step" in heads.columns and heads.get_column("pruning_step").is_not_null().any():
        grouped |= {key[0]: part for key, part in step_edges(frames).group_by("network_id")}
    cheap_only = _cheap_only_steps(frames)
    bases = _run_bases(frames)
    graphs, cheap, cached = {}, {}, []
    columns = ("id", "num_nodes", "directed", "content_hash")
    for network_id, num_nodes, directed, content in heads.select(columns).iter_rows():
        key = (network_id, content, orientation)
        if network_id in bases and key in _BASE_FEATURES:
            cached.append(_BASE_FEATURES[key])
            continue
        edges = grouped.get(network_id)
        chosen = cheap if network_id in cheap_only else graphs
        chosen[network_id] = _igraph(num_nodes, directed, edges)
    full = _long(bulk_features(graphs, orientation=orientation, n_jobs=n_jobs) if graphs else None)
    for network_id, content in heads.select("id", "content_hash").iter_rows():
        if network_id in bases and network_id in graphs:
            if len(_BASE_FEATURES) >= _BASE_CACHE_SIZE:
                _BASE_FEATURES.pop(next(iter(_BASE_FEATURES)))
            rows = full.filter(pl.col("network_id") == network_id)
            _BASE_FEATURES[(network_id, content, orientation)] = rows
    parts = [full, *cached]
    if cheap:
        parts.append(_long(cheap_features(cheap, orientation=orientation)))
    return pl.concat(parts)


def land_missing_features(
    db: str | os.PathLike | None = None,
    *,
    study: str | None = None,
    orientation: str = "smaller_to_larger",
    n_jobs: int = 2,
    batch_size: int = 2000,
    on_batch: Callable[[int, int], None] | None = None,
    lock_timeout: float = 60.0,
) -> int:
    """Compute and store :data:`FEATURE_NAMES` for every stored graph lacking any of them.

    Graphs are read as integer edge arrays (no networkx objects), measured on ``n_jobs``
    processes while the file is *not* held, and written batch by batch — each batch its own
    short transaction, so an interrupted run keeps what it finished.

    Parameters
    ----------
    study:
        Only networks of this study (default: all).
    on_batch:
        Called as ``on_batch(done, total)`` after each stored batch (progress display).
    lock_timeout:
        Seconds each batch's write waits for the file.

    Returns
    -------
    int
        How many networks got features.
    """
    if batch_size < 1:
        raise ValueError(
            f"The 'batch_size' parameter of land_missing_features must be >= 1. Got {batch_size}."
        )
    missing = queries.networks_missing_features(db, list(FEATURE_NAMES))
    complete_steps = set(queries.step_networks_with_features(db))
    missing = [network_id for network_id in missing if network_id not in complete_steps]
    if study is not None:
        of_study = set(queries.networks(db, study=study).get_column("network_id").to_list())
        missing = [network_id for network_id in missing if network_id in of_study]
    done = 0
    for start in range(0, len(missing), batch_size):
        batch = missing[start : start + batch_size]
        arrays = queries.graph_edge_arrays(db, batch)
        graphs = {
            network_id: _igraph(num_nodes, directed, edges)
            for network_id, (num_nodes, directed, edges) in arrays.items()
        }
        rows = _long(bulk_features(graphs, orientation=orientation, n_jobs=n_jobs))
        with writer(db, lock_timeout=lock_timeout) as con:
            store_features(con, rows)
        done += len(batch)
        if on_batch is not None:
            on_batch(done, len(missing))
    return done


def _cheap_only_steps(frames: dict[str, pl.DataFrame]) -> set[str]:
    """Ids of the batch's step networks that get the cheap features only: steps that are not
    a multiple of their run's ``expensive_every`` and not the run's last step."""
    runs = frames.get("pruning_runs")
    if runs is None or runs.height == 0:
        return set()
    every = {
        run_id: int(json.loads(attributes or "{}").get("expensive_every", 1))
        for run_id, attributes in runs.select("run_id", "attributes").iter_rows()
    }
    steps = frames["networks"].filter(pl.col("pruning_step").is_not_null())
    last = dict(steps.group_by("pruning_run").agg(pl.col("pruning_step").max()).iter_rows())
    rows = steps.select("id", "pruning_run", "pruning_step").iter_rows()
    return {
        network_id
        for network_id, run_id, step in rows
        if step % max(every.get(run_id, 1), 1) != 0 and step != last[run_id]
    }


def _run_bases(frames: dict[str, pl.DataFrame]) -> set[str]:
    runs = frames.get("pruning_runs")
    return set() if runs is None else set(runs.get_column("base_network_id").to_list())


def _long(table: pl.DataFrame | None) -> pl.DataFrame:
    if table is None or table.height == 0:
        return pl.DataFrame(
            schema={"network_id": pl.String, "name": pl.String, "value": pl.Float64}
        )
    long = table.unpivot(index="key", variable_name="name", value_name="value")
    return long.rename({"key": "network_id"}).with_columns(pl.col("value").cast(pl.Float64))


def _igraph(num_nodes: int | None, directed: bool, edges: pl.DataFrame | None) -> ig.Graph:
    pairs = edges.select("source", "target").to_numpy().tolist() if edges is not None else []
    return ig.Graph(n=int(num_nodes or 0), edges=pairs, directed=bool(directed))
