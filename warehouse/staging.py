"""Staging area: training jobs write Parquet, one ingester loads it into DuckDB.

Training workers never touch the DuckDB file (it allows one writer *or* many readers). Each
finished job calls :func:`stage_records`, which writes one Parquet file per table into a hidden
temporary folder and renames the folder into place — an atomic step, so a half-written bundle is
never visible. The study driver, the only writer, calls :func:`load_staged` now and then: it
loads every complete bundle in ONE transaction, holding the file briefly, and deletes the
bundles only after the commit. A crash between commit and delete is harmless: the records are
content-hashed, so loading them again inserts nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from warehouse.connection import writer
from warehouse.records import TABLE_SCHEMAS, NetworkRecord, StudyRecord, records_to_frames
from warehouse.store import IngestReport, store_frames

__all__ = ["complete_bundles", "load_staged", "stage_records"]

_STUDY_FILE = "study.json"


def stage_records(
    staging_dir: str | os.PathLike, study: StudyRecord, records: Iterable[NetworkRecord]
) -> Path:
    """Write ``records`` as a bundle under ``staging_dir``; returns the bundle's folder."""
    root = Path(staging_dir)
    root.mkdir(parents=True, exist_ok=True)
    bundle_name = uuid.uuid4().hex
    temporary = root / f".tmp-{bundle_name}"
    temporary.mkdir()
    try:
        frames = records_to_frames(study.id, records)
        for table, frame in frames.items():
            frame.write_parquet(temporary / f"{table}.parquet")
        (temporary / _STUDY_FILE).write_text(
            json.dumps(
                {"id": study.id, "kind": study.kind, "config": dict(study.config)}, default=str
            )
        )
        final = root / bundle_name
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return final


def complete_bundles(staging_dir: str | os.PathLike) -> list[Path]:
    """Bundles ready to load (temporary folders of unfinished writes are ignored)."""
    root = Path(staging_dir)
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def load_staged(db: str | os.PathLike | None, staging_dir: str | os.PathLike) -> IngestReport:
    """Load every complete bundle into the warehouse in one transaction, then delete them."""
    bundles = complete_bundles(staging_dir)
    if not bundles:
        return IngestReport(inserted=0, already_stored=0)
    by_study: dict[str, tuple[StudyRecord, list[dict[str, pl.DataFrame]]]] = {}
    for bundle in bundles:
        meta = json.loads((bundle / _STUDY_FILE).read_text())
        study = StudyRecord(id=meta["id"], kind=meta["kind"], config=meta.get("config") or {})
        frames = {
            table: pl.read_parquet(bundle / f"{table}.parquet").cast(schema)
            for table, schema in TABLE_SCHEMAS.items()
        }
        by_study.setdefault(study.id, (study, []))[1].append(frames)
    inserted = already = 0
    with writer(db) as con:
        for study, parts in by_study.values():
            merged = {
                table: pl.concat([p[table] for p in parts]).unique(
                    subset=["id"] if table == "networks" else None, maintain_order=True
                )
                for table in TABLE_SCHEMAS
            }
            report = store_frames(con, study, merged)
            inserted += report.inserted
            already += report.already_stored
    for bundle in bundles:
        shutil.rmtree(bundle, ignore_errors=True)
    return IngestReport(inserted=inserted, already_stored=already)
