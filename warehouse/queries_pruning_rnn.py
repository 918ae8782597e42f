"""Reading recurrent pruning runs (study kind ``prune-rnn``) from the warehouse.

One row per step network of a recurrent pruning run (``pruning_runs.target`` set), with its
cell, seed, target, percent p, re-training epochs, accuracies before / after re-training and
its base model's test accuracy. Short-lived read-only connections, values bound as ``?``.
"""

from __future__ import annotations

import os

import polars as pl

from warehouse.connection import reader

__all__ = ["RNN_STEP_COLUMNS", "rnn_pruning_steps", "rnn_pruning_studies"]

RNN_STEP_COLUMNS = (
    "study_id", "cell", "seed", "target", "percent", "retrain_epochs", "network_id", "name",
    "base_network_id", "sparsity", "weight_sparsity", "acc_before", "acc_after", "base_acc",
)  # fmt: skip

_STEPS = """
SELECT s.study_id, n.cell, s.seed, s.target,
       CAST(json_extract(n.attributes, '$.percent') AS DOUBLE) AS percent,
       CAST(json_extract(n.attributes, '$.retrain_epochs') AS INTEGER) AS retrain_epochs,
       s.network_id, s.name, s.base_network_id, s.sparsity,
       CAST(json_extract(n.attributes, '$.weight_sparsity') AS DOUBLE) AS weight_sparsity,
       s.acc_before, s.acc_after, b.value AS base_acc
FROM pruning_steps s
JOIN networks n ON n.id = s.network_id
LEFT JOIN final_metrics b ON b.network_id = s.base_network_id AND b.name = 'test_acc'
WHERE s.target IS NOT NULL AND (? IS NULL OR s.study_id = ?)
ORDER BY s.study_id, n.cell, s.seed, s.target, percent, retrain_epochs
"""


def rnn_pruning_steps(db: str | os.PathLike | None = None, *, study: str | None = None):
    """Every recurrent pruning step (columns :data:`RNN_STEP_COLUMNS`), optionally of one study."""
    with reader(db) as con:
        return con.sql(_STEPS, params=[study, study]).pl().select(RNN_STEP_COLUMNS)


def rnn_pruning_studies(db: str | os.PathLike | None = None) -> pl.DataFrame:
    """Studies holding recurrent pruning runs, newest first: ``study_id``, ``created``, ``runs``."""
    with reader(db) as con:
        return con.sql(
            "SELECT r.study_id, s.created, count(*) AS runs FROM pruning_runs r"
            " JOIN studies s ON s.id = r.study_id WHERE r.target IS NOT NULL"
            " GROUP BY ALL ORDER BY s.created DESC, r.study_id"
        ).pl()
