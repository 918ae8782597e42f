"""The pruning tables of a batch: their frames, how they are stored, and step networks' edges.

A batch of table frames (:func:`warehouse.records.records_to_frames`) may carry two more
tables, ``pruning_runs`` and ``run_connections`` (schema 0004, see
``warehouse/schema/0004_pruning_runs.sql``). :func:`store_pruning_tables` inserts them inside
the caller's transaction, right after :func:`warehouse.store.store_frames` inserted the
networks, and refuses anything inconsistent (a connection that is not an edge of its base, a
step of an unknown run, ...) so the whole batch rolls back. A run already stored (same run id)
is kept as it is and the incoming one skipped: ingesting the same run twice stores it once.

:func:`step_edges` derives a step network's edges from a batch's own frames (the base's edges
minus the connections pruned at or before the step), which is what features on landing need
before anything is stored.
"""

from __future__ import annotations

from contextlib import suppress

import duckdb
import polars as pl

from warehouse.errors import WarehouseError

__all__ = [
    "PRUNING_TABLE_SCHEMAS",
    "empty_pruning_frames",
    "step_edges",
    "store_pruning_tables",
]

# Column order and types of the pruning tables as staged and inserted.
PRUNING_TABLE_SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    "pruning_runs": {
        "run_id": pl.String,
        "study_id": pl.String,
        "base_network_id": pl.String,
        "method": pl.String,
        "scheme": pl.String,
        "target": pl.String,
        "granularity": pl.String,
        "seed": pl.Int64,
        "attributes": pl.String,
    },
    "run_connections": {
        "run_id": pl.String,
        "source": pl.Int32,
        "target": pl.Int32,
        "weight": pl.Float64,
        "pruned_at_step": pl.Int32,
        "attributes": pl.String,
    },
}


def empty_pruning_frames() -> dict[str, pl.DataFrame]:
    """Empty ``pruning_runs`` and ``run_connections`` frames (a batch without pruning runs)."""
    return {table: pl.DataFrame(schema=schema) for table, schema in PRUNING_TABLE_SCHEMAS.items()}


def store_pruning_tables(
    con: duckdb.DuckDBPyConnection, study_id: str, frames: dict[str, pl.DataFrame]
) -> int:
    """Insert the batch's new pruning runs and their connections in the open transaction.

    Call after the batch's networks are stored. Returns the number of runs inserted.

    Raises
    ------
    WarehouseError
        A run of another study, a run whose base network is not stored, connections of a run
        not in the batch, a connection twice or not an edge of the base, a negative
        ``pruned_at_step``, or a step network of a run that is neither stored nor in the batch.
    """
    runs, connections = _pruning_frames(frames)
    _check_batch(study_id, runs, connections)
    stored = {
        r[0]
        for r in con.execute(
            "SELECT run_id FROM pruning_runs WHERE list_contains(?::VARCHAR[], run_id)",
            [runs.get_column("run_id").to_list()],
        ).fetchall()
    }
    new = runs.filter(~pl.col("run_id").is_in(list(stored)))
    new_ids = new.get_column("run_id").to_list()
    if new_ids:
        bases = new.get_column("base_network_id").unique().to_list()
        missing = _not_stored(con, "networks", "id", bases)
        if missing:
            raise WarehouseError(
                f"Pruning runs refer to base networks {missing[:3]!r} that are not stored; "
                "ingest the base network with its runs."
            )
        con.register("incoming_pruning_runs", new.to_arrow())
        con.register(
            "incoming_run_connections",
            connections.filter(pl.col("run_id").is_in(new_ids)).to_arrow(),
        )
        try:
            _check_connections_are_base_edges(con)
            con.execute("INSERT INTO pruning_runs BY NAME SELECT * FROM incoming_pruning_runs")
            con.execute(
                "INSERT INTO run_connections BY NAME SELECT * FROM incoming_run_connections"
            )
        finally:
            _unregister(con, "incoming_pruning_runs", "incoming_run_connections")
    _check_steps_have_runs(con, frames["networks"])
    return len(new_ids)


def step_edges(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """``(network_id, source, target)`` of every step network of a batch, from its frames.

    A step's edges are its base's edges (in ``frames["edges"]``) minus the run's connections
    with ``pruned_at_step <= step``. Step networks whose base is not in the batch get none.
    """
    runs, connections = _pruning_frames(frames)
    steps = frames["networks"].filter(pl.col("pruning_step").is_not_null())
    base_of = dict(runs.select("run_id", "base_network_id").iter_rows())
    edges = {key[0]: part for key, part in frames["edges"].group_by("network_id")}
    by_run = {key[0]: part for key, part in connections.group_by("run_id")}
    parts = []
    for network_id, run_id, step in steps.select("id", "pruning_run", "pruning_step").iter_rows():
        base_edges = edges.get(base_of.get(run_id))
        if base_edges is None:
            continue
        pruned = by_run.get(run_id, connections.clear())
        pruned = pruned.filter(pl.col("pruned_at_step") <= step).select("source", "target")
        surviving = base_edges.select("source", "target").join(
            pruned, on=["source", "target"], how="anti"
        )
        parts.append(surviving.with_columns(pl.lit(network_id).alias("network_id")))
    schema = {"network_id": pl.String, "source": pl.Int32, "target": pl.Int32}
    if not parts:
        return pl.DataFrame(schema=schema)
    return pl.concat(parts).select(list(schema)).cast(schema)


def _pruning_frames(frames: dict[str, pl.DataFrame]) -> tuple[pl.DataFrame, pl.DataFrame]:
    empty = empty_pruning_frames()
    runs = frames.get("pruning_runs", empty["pruning_runs"])
    connections = frames.get("run_connections", empty["run_connections"])
    return (
        runs.select(list(PRUNING_TABLE_SCHEMAS["pruning_runs"])).cast(
            PRUNING_TABLE_SCHEMAS["pruning_runs"]
        ),
        connections.select(list(PRUNING_TABLE_SCHEMAS["run_connections"])).cast(
            PRUNING_TABLE_SCHEMAS["run_connections"]
        ),
    )


def _check_batch(study_id: str, runs: pl.DataFrame, connections: pl.DataFrame) -> None:
    other = runs.filter(pl.col("study_id") != study_id)
    if other.height:
        raise WarehouseError(
            f"Pruning run {other['run_id'][0]!r} belongs to study {other['study_id'][0]!r}, "
            f"not to the batch's study {study_id!r}."
        )
    twice = runs.filter(pl.col("run_id").is_duplicated())
    if twice.height:
        raise WarehouseError(f"Pruning run {twice['run_id'][0]!r} appears twice in the batch.")
    orphans = connections.filter(~pl.col("run_id").is_in(runs.get_column("run_id").to_list()))
    if orphans.height:
        raise WarehouseError(
            f"run_connections of run {orphans['run_id'][0]!r}, which is not in the batch."
        )
    negative = connections.filter(pl.col("pruned_at_step") < 1)
    if negative.height:
        row = negative.row(0, named=True)
        edge = f"{row['source']}->{row['target']}"
        raise WarehouseError(
            f"run_connections.pruned_at_step must be >= 1 (NULL: never pruned); got "
            f"{row['pruned_at_step']} for {edge} of run {row['run_id']!r}."
        )
    repeated = connections.filter(pl.struct("run_id", "source", "target").is_duplicated())
    if repeated.height:
        row = repeated.row(0, named=True)
        raise WarehouseError(
            f"Connection {row['source']}->{row['target']} appears twice in run {row['run_id']!r}; "
            "every prunable connection is stored once."
        )


def _check_connections_are_base_edges(con: duckdb.DuckDBPyConnection) -> None:
    stray = con.execute(
        "SELECT c.run_id, c.source, c.target FROM incoming_run_connections c"
        " JOIN incoming_pruning_runs r ON r.run_id = c.run_id"
        " WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE e.network_id = r.base_network_id"
        " AND e.source = c.source AND e.target = c.target) LIMIT 1"
    ).fetchall()
    if stray:
        run_id, source, target = stray[0]
        raise WarehouseError(
            f"Connection {source}->{target} of pruning run {run_id!r} is not an edge of the "
            "run's base network (source/target are the base's node indices)."
        )


def _check_steps_have_runs(con: duckdb.DuckDBPyConnection, networks: pl.DataFrame) -> None:
    wanted = networks.get_column("pruning_run").drop_nulls().unique().to_list()
    if not wanted:
        return
    missing = _not_stored(con, "pruning_runs", "run_id", wanted)
    if missing:
        raise WarehouseError(
            f"Step networks refer to pruning run {missing[0]!r}, which is neither stored nor "
            "in the batch."
        )


def _unregister(con: duckdb.DuckDBPyConnection, *views: str) -> None:
    for view in views:
        with suppress(duckdb.Error):  # an aborted transaction: the first error is what counts
            con.unregister(view)


def _not_stored(con, table: str, column: str, ids: list[str]) -> list[str]:
    """The ``ids`` that no row of ``table`` holds in ``column``, sorted."""
    found = con.execute(
        f"SELECT {column} FROM {table} WHERE list_contains(?::VARCHAR[], {column})", [ids]
    ).fetchall()
    return sorted(set(ids) - {row[0] for row in found})
