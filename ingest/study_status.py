"""A study's progress on disk, readable without the warehouse's write lock.

The driver keeps ``<staging root>/<study id>.status.json`` beside its staging folder: kind,
state, networks planned / done / failed, start time and last update, rewritten atomically as
jobs finish. A dashboard or ``sparsescope studies`` reads it while the study runs. The state a
reader should show combines it with the study's lock (:func:`shown_state`): a file that still
says ``running`` while nobody holds the lock belongs to a driver that was killed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "STATES",
    "StudyStatus",
    "now",
    "read_status",
    "shown_state",
    "status_path",
    "write_status",
]

STATES = ("running", "finished", "interrupted", "failed")


@dataclass
class StudyStatus:
    """One study's progress. ``state`` is one of :data:`STATES`: ``finished`` — every planned
    network is stored; ``failed`` — the driver stopped on an error, or some jobs failed (running
    the study again retries them); ``interrupted`` — Ctrl-C, or the driver was killed."""

    study_id: str
    kind: str
    state: str
    planned: int
    done: int = 0
    failed: int = 0
    started: str = ""
    updated: str = ""


def now() -> str:
    """The current UTC time as ISO 8601 (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def status_path(staging_root: Path, study_id: str) -> Path:
    """Where the status of ``study_id`` lives."""
    return staging_root / f"{study_id}.status.json"


def write_status(path: Path, status: StudyStatus) -> None:
    """Replace the status file atomically (readers never see half a file)."""
    if status.state not in STATES:
        raise ValueError(f"Unknown study state {status.state!r}; valid states: {list(STATES)}.")
    status.updated = now()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(status), indent=1))
    os.replace(temporary, path)


def read_status(path: Path) -> StudyStatus | None:
    """The status at ``path``, or ``None`` when there is none (or it is unreadable)."""
    try:
        return StudyStatus(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def shown_state(status: StudyStatus, *, locked: bool) -> str:
    """The state to show: ``running`` only while a driver holds the lock."""
    if locked:
        return "running"
    return "interrupted" if status.state == "running" else status.state
