"""Managing studies: list them with their progress, delete one with all its networks.

What the warehouse knows (studies and their stored networks) is combined with what the drivers
write beside their staging folders (:mod:`ingest.study_status`, :mod:`ingest.study_lock`), so a
study shows as running — with networks done of planned — before its first network lands, and a
driver killed mid-run shows as interrupted.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import polars as pl

from ingest.study_driver import staging_root
from ingest.study_lock import StudyLockedError, is_locked, lock_path, read_holder
from ingest.study_status import read_status, shown_state, status_path
from warehouse import queries
from warehouse.connection import resolve_db_path
from warehouse.deletion import delete_study_rows
from warehouse.errors import WarehouseError, WarehouseMissingError

__all__ = ["delete_study", "list_studies"]

_COLUMNS = {
    "id": pl.String,
    "kind": pl.String,
    "status": pl.String,
    "done": pl.Int64,
    "planned": pl.Int64,
    "failed": pl.Int64,
    "started": pl.String,
    "updated": pl.String,
}


def list_studies(
    db: str | os.PathLike | None = None, *, staging_dir: str | os.PathLike | None = None
) -> pl.DataFrame:
    """One row per study: id, kind, status, networks done of planned, failed, start time.

    Studies without a driver (imports) are ``finished`` with done = planned = stored networks.
    """
    root = staging_root(db, staging_dir)
    rows: dict[str, dict] = {}
    try:
        stored = queries.studies(db)
    except WarehouseMissingError:
        stored = pl.DataFrame(schema={"id": pl.String, "kind": pl.String, "networks": pl.Int64})
    for study in stored.iter_rows(named=True):
        created = study.get("created")
        rows[study["id"]] = {
            "id": study["id"], "kind": study["kind"], "status": "finished",
            "done": study["networks"], "planned": study["networks"], "failed": 0,
            "started": str(created)[:19] if created else None, "updated": None,
        }  # fmt: skip
    for path in sorted(root.glob("*.status.json")) if root.exists() else []:
        status = read_status(path)
        if status is None:
            continue
        locked = is_locked(lock_path(root, status.study_id))
        rows[status.study_id] = {
            "id": status.study_id, "kind": status.kind,
            "status": shown_state(status, locked=locked), "done": status.done,
            "planned": status.planned, "failed": status.failed, "started": status.started,
            "updated": status.updated,
        }  # fmt: skip
    frame = pl.DataFrame(list(rows.values()), schema=_COLUMNS, orient="row")
    return frame.sort("started", descending=True, nulls_last=True)


def delete_study(
    db: str | os.PathLike | None, study_id: str, *, staging_dir: str | os.PathLike | None = None
) -> dict[str, int]:
    """Delete a study, its networks and all their rows in one transaction, then its staged
    results, quarantine and status file. Returns rows deleted per table.

    Raises
    ------
    StudyLockedError
        A driver is running the study.
    WarehouseError
        No such study (neither stored nor staged).
    """
    root = staging_root(db, staging_dir)
    lock = lock_path(root, study_id)
    if is_locked(lock):
        holder = read_holder(lock)
        raise StudyLockedError(
            f"Study {study_id!r} is running (PID {holder.get('pid')} on {holder.get('host')}); "
            "stop it before deleting it."
        )
    leftovers = [p for p in (root / study_id, status_path(root, study_id), lock) if p.exists()]
    deleted: dict[str, int] = {}
    if resolve_db_path(db).exists():
        try:
            deleted = delete_study_rows(db, study_id)
        except WarehouseError as exc:
            if not leftovers or "No study" not in str(exc):
                raise
    elif not leftovers:
        raise WarehouseMissingError(f"No warehouse at {resolve_db_path(db)}: nothing to delete.")
    for path in leftovers:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            Path(path).unlink(missing_ok=True)
    return deleted
