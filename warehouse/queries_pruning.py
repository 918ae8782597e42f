"""Reading pruning runs: the step table with features, and one step's loss per layer.

Short-lived read-only connections, values bound as ``?`` (see :mod:`warehouse.queries`).
"""

from __future__ import annotations

import os

import polars as pl

from warehouse.connection import reader
from warehouse.queries import meta_dataset

__all__ = ["layer_connections", "pruning_steps", "pruning_studies"]

Db = str | os.PathLike | None

_STEP_COLUMNS = (
    "run_id, study_id, network_id, name, base_network_id, method, scheme, granularity, seed,"
    " step, sparsity, acc_before, acc_after,"
    " CAST(json_extract(run_attributes, '$.hidden') AS VARCHAR) AS hidden,"
    " CAST(json_extract(run_attributes, '$.learning_rate') AS DOUBLE) AS learning_rate"
)


def pruning_studies(db: Db = None, *, kind: str | None = None) -> pl.DataFrame:
    """Studies that hold pruning runs (``id, kind, runs``), newest first; optionally one kind."""
    with reader(db) as con:
        return con.sql(
            "SELECT s.id, s.kind, count(r.run_id) AS runs FROM studies s"
            " JOIN pruning_runs r ON r.study_id = s.id WHERE ? IS NULL OR s.kind = ?"
            " GROUP BY ALL ORDER BY max(s.created) DESC, s.id",
            params=[kind, kind],
        ).pl()


def pruning_steps(
    db: Db = None, *, study: str | None = None, with_base: bool = True
) -> pl.DataFrame:
    """One row per step of every run (of ``study``), with the step network's features.

    With ``with_base``, every run also gets a step 0 row: its base network (sparsity 0,
    ``acc_before`` = ``acc_after`` = the base's final test accuracy), so curves start at the
    unpruned network. ``hidden`` is the run's hidden widths as JSON text (e.g. ``[300,100]``).
    """
    with reader(db) as con:
        steps = con.sql(
            f"SELECT {_STEP_COLUMNS} FROM pruning_steps WHERE ? IS NULL OR study_id = ?",
            params=[study, study],
        ).pl()
        bases = con.sql(
            "SELECT r.run_id, r.study_id, r.base_network_id AS network_id, n.name,"
            " r.base_network_id, r.method, r.scheme, r.granularity, r.seed, 0 AS step,"
            " 0.0 AS sparsity, m.value AS acc_before, m.value AS acc_after,"
            " CAST(json_extract(r.attributes, '$.hidden') AS VARCHAR) AS hidden,"
            " CAST(json_extract(r.attributes, '$.learning_rate') AS DOUBLE) AS learning_rate"
            " FROM pruning_runs r JOIN networks n ON n.id = r.base_network_id"
            " LEFT JOIN final_metrics m ON m.network_id = n.id AND m.name = 'test_acc'"
            " WHERE ? IS NULL OR r.study_id = ?",
            params=[study, study],
        ).pl()
    frame = pl.concat([bases, steps], how="vertical_relaxed") if with_base else steps
    meta = meta_dataset(db, study=study)
    features = [c for c in meta.columns if c not in _META_SKIP]
    frame = frame.join(meta.select(["network_id", *features]), on="network_id", how="left")
    return frame.with_columns(pl.col("step").cast(pl.Int32)).sort("run_id", "step")


def layer_connections(db: Db = None, *, network_id: str) -> pl.DataFrame:
    """Connections per layer pair of one network and of its pruning run's base.

    Columns ``source_layer, target_layer, base, kept, lost_fraction``; for a network that is
    no pruning step, ``base`` equals ``kept``. Raises ``KeyError`` for an unknown id.
    """
    with reader(db) as con:
        head = con.execute(
            "SELECT coalesce(r.base_network_id, n.id) FROM networks n"
            " LEFT JOIN pruning_runs r ON r.run_id = n.pruning_run WHERE n.id = ?",
            [network_id],
        ).fetchall()
        if not head:
            raise KeyError(f"No network with id {network_id!r} in the warehouse.")
        per_layer = (
            "SELECT s.layer AS source_layer, t.layer AS target_layer, count(*) AS k"
            " FROM network_edges e"
            " JOIN network_nodes s ON s.network_id = e.network_id AND s.node = e.source"
            " JOIN network_nodes t ON t.network_id = e.network_id AND t.node = e.target"
            " WHERE e.network_id = ? GROUP BY ALL"
        )
        frame = con.sql(
            f"SELECT b.source_layer, b.target_layer, b.k AS base, coalesce(k.k, 0) AS kept"
            f" FROM ({per_layer}) b LEFT JOIN ({per_layer}) k"
            " ON k.source_layer IS NOT DISTINCT FROM b.source_layer"
            " AND k.target_layer IS NOT DISTINCT FROM b.target_layer"
            " ORDER BY b.source_layer, b.target_layer",
            params=[head[0][0], network_id],
        ).pl()
    return frame.with_columns((1 - pl.col("kept") / pl.col("base")).alias("lost_fraction"))


_META_SKIP = {
    "network_id", "study_id", "name", "family", "cell", "generator", "seed", "num_nodes",
    "num_edges", "sparsity", "parent_id", "test_acc", "test_acc_before", "train_loss",
}  # fmt: skip
