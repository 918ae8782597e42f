"""The writer API of pruning runs: a base network, one way of pruning it, and its steps.

A pruning run is stored as (schema 0004, ``warehouse/schema/0004_pruning_runs.sql``):

* its **base network** — an ordinary network with nodes and edges (stored once, shared by every
  run pruned from it);
* one ``pruning_runs`` row and every prunable connection of the base once in
  ``run_connections``, with the step that pruned it (NULL: never pruned);
* one **step network** per step (``networks.pruning_run`` / ``pruning_step``), without nodes or
  edges of its own: its graph is the base's minus the connections pruned at or before its step
  (the ``network_edges`` / ``network_nodes`` views; :func:`warehouse.queries.load_graph`).

:func:`pruning_frames` turns a run into the warehouse's table frames — the form a study job
returns to the study driver, which stages them — and :func:`store_pruning_run` stores one run
directly, in ONE transaction, idempotently (the same run twice is stored once; the run id
derives from the study id and the run key like network ids).

Example
-------
>>> import networkx as nx
>>> base = NetworkRecord(name="base", graph=nx.DiGraph([(0, 1), (0, 2)]), family="feedforward")
>>> run = PruningRunRecord(
...     run_key="magnitude/one_shot", base_name="base", method="magnitude", scheme="one_shot",
...     connections=pl.DataFrame({"source": [0, 0], "target": [1, 2], "weight": [0.5, -0.1],
...                               "pruned_at_step": [None, 1]}))
>>> step = NetworkRecord(name="magnitude/one_shot/1", family="feedforward")
>>> frames = pruning_frames("s", base, run, [step])
>>> frames["networks"].select("name", "num_edges", "pruning_step").rows()
[('base', 2, None), ('magnitude/one_shot/1', 1, 1)]
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from warehouse.connection import writer
from warehouse.pruning_tables import PRUNING_TABLE_SCHEMAS
from warehouse.records import NetworkRecord, StudyRecord, pruning_run_id, records_to_frames
from warehouse.store import IngestReport, store_frames

__all__ = [
    "PruningRunRecord",
    "base_node_index",
    "pruning_frames",
    "pruning_run_id",
    "store_pruning_run",
]


@dataclass(frozen=True)
class PruningRunRecord:
    """One way of pruning one base network.

    Parameters
    ----------
    run_key:
        Unique within the study (e.g. ``"784-100-10/lr0.01/s0/obd/percentage"``).
    base_name:
        Name of the base network's record.
    method, scheme, target, granularity, seed:
        The run's columns (``target`` is NULL for FFN runs, ``i2h``/``h2h``/``both`` for RNN).
    attributes:
        Anything else (JSON), e.g. ``{"expensive_every": 5}``.
    connections:
        Every prunable connection of the base once: ``source``, ``target`` (the base's node
        indices, :func:`base_node_index`), ``weight`` (the base's value), ``pruned_at_step``
        (NULL: never pruned), optional ``attributes`` (JSON text).
    """

    run_key: str
    base_name: str
    method: str
    connections: pl.DataFrame
    scheme: str | None = None
    target: str | None = None
    granularity: str | None = None
    seed: int | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)


def base_node_index(base: NetworkRecord) -> dict[Any, int]:
    """``{vertex: node index}`` of the base graph as the warehouse numbers its nodes."""
    from models.dag import vertex_sort_key  # torch stays out of warehouse readers

    if base.graph is None:
        raise ValueError(f"The base network {base.name!r} of a pruning run needs a graph.")
    return {v: i for i, v in enumerate(sorted(base.graph.nodes, key=vertex_sort_key))}


def pruning_frames(
    study_id: str,
    base: NetworkRecord,
    run: PruningRunRecord,
    steps: Sequence[NetworkRecord],
) -> dict[str, pl.DataFrame]:
    """The table frames of one run: base + steps in ``networks``, the base's nodes and edges,
    the run's ``pruning_runs`` row and ``run_connections``.

    Each step record gets the run's key; its step number is its ``pruning_step`` (or its
    position, 1-based, when unset); ``has_graph``, ``directed`` and ``num_nodes`` come from the
    base, ``num_edges`` is the base's edges minus the connections pruned so far, ``sparsity``
    the share of the run's connections pruned so far. A step's content hash covers the run's
    connections, so a changed pruning shows as a changed result.

    Raises
    ------
    ValueError
        The base has no graph, ``run.base_name`` is not the base's name, a step record has a
        graph or belongs to another run, or step numbers repeat.
    """
    if run.base_name != base.name:
        raise ValueError(
            f"The run {run.run_key!r} names base {run.base_name!r}, but the base record is "
            f"{base.name!r}."
        )
    index = base_node_index(base)
    connections = _connections(run)
    numbered = []
    for position, step in enumerate(steps, start=1):
        if step.graph is not None:
            raise ValueError(
                f"Step network {step.name!r} has a graph; a step's graph is derived from its "
                "base and the run's connections."
            )
        if step.pruning_run_key not in (None, run.run_key):
            raise ValueError(
                f"Step network {step.name!r} belongs to run {step.pruning_run_key!r}, not "
                f"{run.run_key!r}."
            )
        number = position if step.pruning_step is None else int(step.pruning_step)
        numbered.append(replace(step, pruning_run_key=run.run_key, pruning_step=number))
    numbers = [s.pruning_step for s in numbered]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"Steps of run {run.run_key!r} repeat step numbers: {numbers}.")
    frames = records_to_frames(study_id, [base, *numbered])
    base_id = base.network_id(study_id)
    run_id = pruning_run_id(study_id, run.run_key)
    digest = hashlib.sha256(connections.write_csv().encode()).hexdigest()
    total = connections.height
    pruned_steps = connections.get_column("pruned_at_step")
    step_columns = {}
    for record in numbered:
        pruned = int((pruned_steps <= record.pruning_step).sum())
        step_columns[record.network_id(study_id)] = (
            len(base.graph.edges) - pruned,
            pruned / total if total else None,
        )
    networks = frames["networks"]
    is_step = pl.col("id").is_in(list(step_columns))
    edges_of = pl.col("id").replace_strict(
        {k: v[0] for k, v in step_columns.items()}, default=None, return_dtype=pl.Int32
    )
    sparsity_of = pl.col("id").replace_strict(
        {k: v[1] for k, v in step_columns.items()}, default=None, return_dtype=pl.Float64
    )
    frames["networks"] = networks.with_columns(
        has_graph=pl.when(is_step).then(True).otherwise(pl.col("has_graph")),
        directed=pl.when(is_step).then(base.graph.is_directed()).otherwise(pl.col("directed")),
        num_nodes=pl.when(is_step).then(pl.lit(len(index), pl.Int32)).otherwise("num_nodes"),
        num_edges=pl.when(is_step).then(edges_of).otherwise("num_edges"),
        sparsity=pl.when(is_step).then(sparsity_of).otherwise("sparsity"),
        content_hash=pl.when(is_step)
        .then(pl.concat_str("content_hash", pl.lit(digest[:20])).str.slice(0, 40))
        .otherwise("content_hash"),
    )
    frames["pruning_runs"] = pl.DataFrame(
        {
            "run_id": [run_id],
            "study_id": [study_id],
            "base_network_id": [base_id],
            "method": [run.method],
            "scheme": [run.scheme],
            "target": [run.target],
            "granularity": [run.granularity],
            "seed": [run.seed],
            "attributes": [json.dumps(dict(run.attributes), sort_keys=True, default=str)],
        },
        schema=PRUNING_TABLE_SCHEMAS["pruning_runs"],
    )
    frames["run_connections"] = connections.with_columns(pl.lit(run_id).alias("run_id")).select(
        list(PRUNING_TABLE_SCHEMAS["run_connections"])
    )
    return frames


def store_pruning_run(
    db: str | os.PathLike | None,
    study: StudyRecord,
    base: NetworkRecord,
    run: PruningRunRecord,
    steps: Sequence[NetworkRecord],
) -> IngestReport:
    """Store the base (if not stored yet), the run, its connections and its steps in ONE
    transaction. The same run again stores nothing; any error leaves the warehouse as it was.

    Raises
    ------
    ValueError
        See :func:`pruning_frames`.
    WarehouseError
        See :func:`warehouse.store.store_frames` and
        :func:`warehouse.pruning_tables.store_pruning_tables`.
    """
    frames = pruning_frames(study.id, base, run, steps)
    with writer(db) as con:
        return store_frames(con, study, frames)


def _connections(run: PruningRunRecord) -> pl.DataFrame:
    schema = PRUNING_TABLE_SCHEMAS["run_connections"]
    frame = run.connections
    missing = [c for c in ("source", "target", "pruned_at_step") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The 'connections' of pruning run {run.run_key!r} lack the columns {missing}; "
            f"they have {frame.columns}."
        )
    if "weight" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.Float64).alias("weight"))
    if "attributes" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("attributes"))
    columns = [c for c in schema if c != "run_id"]
    return frame.select(columns).cast({c: schema[c] for c in columns}).sort("source", "target")
