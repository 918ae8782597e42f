"""Removing a study: every row of its networks and pruning runs in one transaction, then the
study's row.

DuckDB refuses to delete a row in the same transaction as the rows that reference it through a
foreign key (``networks.study_id`` → ``studies.id``; a documented limitation), so the study's own
row goes in a second, tiny transaction right after. Interrupted between the two, an empty study
is left, which deleting again removes.
"""

from __future__ import annotations

import os

from warehouse.connection import writer
from warehouse.errors import WarehouseError
from warehouse.store import refresh_meta_dataset_view

__all__ = ["delete_study_rows"]

_CHILD_TABLES = ("nodes", "edges", "metrics", "features", "labels")


def delete_study_rows(db: str | os.PathLike | None, study_id: str) -> dict[str, int]:
    """Delete study ``study_id``, its networks and their nodes, edges, metrics, features and
    labels, its pruning runs and their connections (all or nothing), then the study. Returns
    the number of rows deleted per table.

    Raises
    ------
    WarehouseError
        No such study.
    """
    deleted: dict[str, int] = {}
    with writer(db) as con:
        if not con.execute("SELECT count(*) FROM studies WHERE id = ?", [study_id]).fetchall()[0][
            0
        ]:
            raise WarehouseError(f"No study {study_id!r} in the warehouse.")
        ids = "SELECT id FROM networks WHERE study_id = ?"
        runs = "SELECT run_id FROM pruning_runs WHERE study_id = ?"
        deleted["run_connections"] = len(
            con.execute(
                f"DELETE FROM run_connections WHERE run_id IN ({runs}) RETURNING 1", [study_id]
            ).fetchall()
        )
        deleted["pruning_runs"] = len(
            con.execute(
                "DELETE FROM pruning_runs WHERE study_id = ? RETURNING 1", [study_id]
            ).fetchall()
        )
        for table in _CHILD_TABLES:
            rows = con.execute(
                f"DELETE FROM {table} WHERE network_id IN ({ids}) RETURNING 1", [study_id]
            ).fetchall()
            deleted[table] = len(rows)
        deleted["networks"] = len(
            con.execute(
                "DELETE FROM networks WHERE study_id = ? RETURNING 1", [study_id]
            ).fetchall()
        )
        refresh_meta_dataset_view(con)
    with writer(db) as con:
        con.execute("DELETE FROM studies WHERE id = ?", [study_id])
    deleted["studies"] = 1
    return deleted
