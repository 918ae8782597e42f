"""Staging area: results are written as Parquet bundles, one writer loads them into DuckDB.

Nothing but the loading writer touches the DuckDB file (it allows one writer *or* many
readers). A result is staged with :func:`stage_frames` (or :func:`stage_records`), which writes
one Parquet file per table into a hidden temporary folder and renames the folder into place —
an atomic step, so a half-written bundle is never visible. The writer calls
:func:`load_staged` now and then: it loads the complete bundles in ONE transaction, holding the
file briefly, and deletes them only after the commit. A crash between commit and delete is
harmless: a network is matched by ``(study, name)`` and its content hash, so loading it again
inserts nothing.

A bundle that cannot be read (a corrupt Parquet file, a stray folder or file) or that the
warehouse refuses on its own is moved to the ``.quarantine`` folder inside the staging folder,
named in a :class:`StagingWarning`, and the rest is loaded: one bad file never stops a study.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa

from warehouse.connection import writer
from warehouse.errors import WarehouseError
from warehouse.pruning_tables import PRUNING_TABLE_SCHEMAS, empty_pruning_frames
from warehouse.records import TABLE_SCHEMAS, NetworkRecord, StudyRecord, records_to_frames
from warehouse.store import store_features, store_frames

__all__ = [
    "QUARANTINE",
    "StagingReport",
    "StagingWarning",
    "complete_bundles",
    "load_staged",
    "remove_unfinished",
    "stage_frames",
    "stage_records",
    "staged_names",
]

QUARANTINE = ".quarantine"  # inside the staging folder; hidden, so never loaded
_STUDY_FILE = "study.json"

Frames = dict[str, pl.DataFrame]
# Computes rows (network_id, name, value) of features for the networks of a batch of frames.
Derive = Callable[[Frames], pl.DataFrame]


class StagingWarning(UserWarning):
    """A staged bundle was moved to quarantine (the warning names it and says why)."""


@dataclass(frozen=True)
class StagingReport:
    """What one :func:`load_staged` did."""

    inserted: int = 0
    already_stored: int = 0
    skipped: int = 0  # another result for a stored (study, name): the stored one was kept
    inserted_ids: tuple[str, ...] = ()
    quarantined: tuple[str, ...] = ()  # one message per bundle moved aside


def stage_frames(
    staging_dir: str | os.PathLike,
    study: StudyRecord,
    frames: Mapping[str, pl.DataFrame | pa.Table],
) -> Path:
    """Write one table frame per table as a bundle under ``staging_dir``; returns its folder."""
    root = Path(staging_dir)
    root.mkdir(parents=True, exist_ok=True)
    bundle_name = uuid.uuid4().hex
    temporary = root / f".tmp-{bundle_name}"
    temporary.mkdir()
    try:
        for table in TABLE_SCHEMAS:
            frame = frames[table]
            frame = pl.from_arrow(frame) if isinstance(frame, pa.Table) else frame
            frame.write_parquet(temporary / f"{table}.parquet")
        for table in PRUNING_TABLE_SCHEMAS:  # optional: only bundles of pruning runs have them
            if table in frames:
                frame = frames[table]
                frame = pl.from_arrow(frame) if isinstance(frame, pa.Table) else frame
                frame.write_parquet(temporary / f"{table}.parquet")
        meta = {"id": study.id, "kind": study.kind, "config": dict(study.config)}
        (temporary / _STUDY_FILE).write_text(json.dumps(meta, default=str))
        final = root / bundle_name
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return final


def stage_records(
    staging_dir: str | os.PathLike, study: StudyRecord, records: Iterable[NetworkRecord]
) -> Path:
    """Write ``records`` as a bundle under ``staging_dir``; returns the bundle's folder."""
    return stage_frames(staging_dir, study, records_to_frames(study.id, records))


def complete_bundles(staging_dir: str | os.PathLike) -> list[Path]:
    """Bundles ready to load, oldest first (hidden entries — unfinished writes, quarantine —
    are ignored). When two bundles hold one network, the older one wins."""
    root = Path(staging_dir)
    if not root.exists():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")]
    return sorted(found, key=lambda p: (p.stat().st_mtime_ns, p.name))


def remove_unfinished(staging_dir: str | os.PathLike) -> int:
    """Delete temporary folders of writes a kill interrupted; returns how many."""
    root = Path(staging_dir)
    folders = list(root.glob(".tmp-*")) if root.exists() else []
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    return len(folders)


def staged_names(staging_dir: str | os.PathLike) -> set[str]:
    """Names of the networks in the complete bundles (unreadable bundles contribute none)."""
    names: set[str] = set()
    for bundle in complete_bundles(staging_dir):
        try:
            names.update(pl.read_parquet(bundle / "networks.parquet", columns=["name"])["name"])
        except Exception:  # noqa: BLE001 - load_staged quarantines it; here it just is not done
            continue
    return names


def load_staged(
    db: str | os.PathLike | None,
    staging_dir: str | os.PathLike,
    *,
    keep_stored: bool = False,
    derive: Derive | None = None,
    lock_timeout: float = 60.0,
    max_bundles: int | None = None,
) -> StagingReport:
    """Load complete bundles into the warehouse in one transaction, then delete them.

    Parameters
    ----------
    keep_stored:
        A network whose ``(study, name)`` is stored with other content is skipped (the stored
        one wins) instead of refused; the study driver's rule.
    derive:
        Computes features of the batch's networks before the file is opened; they are stored
        in the same transaction, so a network never lands without them.
    lock_timeout:
        Seconds to wait for the file; :class:`~warehouse.errors.WarehouseLockedError` after.
        Nothing is lost then: the bundles stay staged.
    max_bundles:
        Load at most this many bundles (oldest name order), keeping the transaction short.

    Raises
    ------
    WarehouseLockedError
        The file stayed busy for ``lock_timeout`` seconds.
    """
    root = Path(staging_dir)
    quarantined = [_quarantine(root, stray, "not a bundle folder") for stray in _stray_files(root)]
    bundles: list[tuple[Path, StudyRecord, Frames]] = []
    for bundle in complete_bundles(root)[:max_bundles]:
        try:
            bundles.append((bundle, *_read_bundle(bundle)))
        except Exception as exc:  # noqa: BLE001 - any unreadable bundle is moved aside
            quarantined.append(_quarantine(root, bundle, f"unreadable: {_first_line(exc)}"))
    if not bundles:
        return StagingReport(quarantined=tuple(quarantined))
    try:
        report = _load(db, bundles, keep_stored=keep_stored, derive=derive, timeout=lock_timeout)
    except _BatchRefused:
        report = StagingReport()
        for one in bundles:  # find the bundle the warehouse refuses; load the others
            try:
                part = _load(
                    db, [one], keep_stored=keep_stored, derive=derive, timeout=lock_timeout
                )
            except _BatchRefused as refused:
                quarantined.append(_quarantine(root, one[0], f"refused: {refused.reason}"))
                continue
            report = _add(report, part)
    for bundle, _, _ in bundles:
        _remove_loaded(bundle)
    return StagingReport(
        inserted=report.inserted, already_stored=report.already_stored, skipped=report.skipped,
        inserted_ids=report.inserted_ids, quarantined=tuple(quarantined),
    )  # fmt: skip


class _BatchRefused(WarehouseError):
    """The warehouse refused the batch's data (not the file: that error propagates as is)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _load(db, bundles, *, keep_stored: bool, derive: Derive | None, timeout: float):
    merged = _merge(bundles)
    features = {sid: derive(frames) for sid, (_, frames) in merged.items()} if derive else {}
    report = StagingReport()
    # writer() rolls back on any error; a _BatchRefused passes through it unchanged.
    with writer(db, lock_timeout=timeout) as con:
        for study_id, (study, frames) in merged.items():
            try:
                stored = store_frames(con, study, frames, keep_stored=keep_stored)
                if derive is not None and stored.inserted_ids:
                    ids = list(stored.inserted_ids)
                    store_features(con, features[study_id].filter(pl.col("network_id").is_in(ids)))
            except Exception as exc:  # noqa: BLE001 - the data was refused, not the file
                raise _BatchRefused(_first_line(exc)) from exc
            report = _add(
                report,
                StagingReport(
                    inserted=stored.inserted,
                    already_stored=stored.already_stored,
                    skipped=stored.skipped,
                    inserted_ids=stored.inserted_ids,
                ),  # fmt: skip
            )
    return report


def _merge(
    bundles: list[tuple[Path, StudyRecord, Frames]],
) -> dict[str, tuple[StudyRecord, Frames]]:
    """One frame per table and study; a name staged twice is taken from its first bundle."""
    parts: dict[str, tuple[StudyRecord, list[Frames]]] = {}
    seen: set[tuple[str, str]] = set()
    seen_runs: set[str] = set()
    for _, study, frames in bundles:
        networks = frames["networks"]
        fresh = [(study.id, name) not in seen for name in networks.get_column("name").to_list()]
        networks = networks.filter(pl.Series(fresh, dtype=pl.Boolean))
        seen.update((study.id, name) for name in networks.get_column("name").to_list())
        ids = networks.get_column("id").to_list()
        kept = {"networks": networks} | {
            table: frames[table].filter(pl.col("network_id").is_in(ids))
            for table in TABLE_SCHEMAS
            if table != "networks"
        }
        # A pruning run staged twice (its job re-run) is taken from its first bundle too.
        runs = frames["pruning_runs"].filter(~pl.col("run_id").is_in(list(seen_runs)))
        seen_runs.update(runs.get_column("run_id").to_list())
        kept["pruning_runs"] = runs
        kept["run_connections"] = frames["run_connections"].filter(
            pl.col("run_id").is_in(runs.get_column("run_id").to_list())
        )
        parts.setdefault(study.id, (study, []))[1].append(kept)
    tables = [*TABLE_SCHEMAS, *PRUNING_TABLE_SCHEMAS]
    return {
        sid: (study, {t: pl.concat([p[t] for p in frames]) for t in tables})
        for sid, (study, frames) in parts.items()
    }


def _read_bundle(bundle: Path) -> tuple[StudyRecord, Frames]:
    meta = json.loads((bundle / _STUDY_FILE).read_text())
    study = StudyRecord(id=meta["id"], kind=meta["kind"], config=meta.get("config") or {})
    frames = {}
    for table, schema in TABLE_SCHEMAS.items():
        frame = pl.read_parquet(bundle / f"{table}.parquet")
        if table == "networks" and "content_hash" not in frame.columns:
            # Bundles staged before schema 0003: their id was the content hash.
            frame = frame.with_columns(pl.col("id").alias("content_hash"))
        if table == "networks" and "pruning_run" not in frame.columns:
            # Bundles staged before schema 0004: no pruning steps.
            frame = frame.with_columns(
                pl.lit(None, pl.String).alias("pruning_run"),
                pl.lit(None, pl.Int32).alias("pruning_step"),
            )
        frames[table] = frame.select(list(schema)).cast(schema)
    for table, schema in PRUNING_TABLE_SCHEMAS.items():
        path = bundle / f"{table}.parquet"
        frames[table] = (
            pl.read_parquet(path).select(list(schema)).cast(schema)
            if path.exists()
            else empty_pruning_frames()[table]
        )
    if frames["networks"].get_column("study_id").ne(study.id).any():
        raise ValueError(f"networks.parquet holds networks of another study than {study.id!r}")
    return study, frames


def _remove_loaded(bundle: Path) -> None:
    """Delete a stored bundle so that a kill at any moment leaves it whole or hidden.

    ``rmtree`` deletes file by file: killed half-way, it would leave a bundle with some of its
    tables gone, which the next run would quarantine as unreadable although its networks are
    stored. Renaming it first to a hidden ``.tmp-`` name (atomic) makes the rest invisible to
    :func:`complete_bundles`; :func:`remove_unfinished` clears what a kill leaves of it.
    """
    hidden = bundle.with_name(f".tmp-{bundle.name}")
    try:
        os.replace(bundle, hidden)
    except FileNotFoundError:
        return
    shutil.rmtree(hidden, ignore_errors=True)


def _stray_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.iterdir() if not p.is_dir() and not p.name.startswith("."))


def _quarantine(root: Path, entry: Path, reason: str) -> str:
    target_dir = root / QUARANTINE
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / entry.name
    if target.exists():
        target = target_dir / f"{entry.name}-{uuid.uuid4().hex[:8]}"
    os.replace(entry, target)
    message = f"Moved staged {entry} to {target} ({reason}); the rest is loaded."
    warnings.warn(message, StagingWarning, stacklevel=3)
    return message


def _add(a: StagingReport, b: StagingReport) -> StagingReport:
    return StagingReport(
        inserted=a.inserted + b.inserted, already_stored=a.already_stored + b.already_stored,
        skipped=a.skipped + b.skipped, inserted_ids=a.inserted_ids + b.inserted_ids,
    )  # fmt: skip


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
