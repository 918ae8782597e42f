"""Running studies as the dashboard shows them: progress from the drivers' status files.

A study driver (:mod:`ingest.study_driver`) rewrites ``<db>.staging/<study>.status.json`` as
jobs finish and holds ``<study>.lock`` while it runs. Reading those needs neither the
warehouse nor its write lock, so the Overview can say "27 of 80, running, about 4 min left"
while the driver holds the file, and even before the warehouse exists.

The time left is the remaining networks at the pace observed: networks done per second since
this dashboard process first saw the study (so networks done by an earlier, resumed run do not
make it look fast), or since the study's start while no progress has been seen yet.

Auto-refresh (:func:`next_interval`) waits :data:`REFRESH_SECONDS` between refreshes, doubles
the wait (up to :data:`MAX_REFRESH_SECONDS`) while the warehouse is busy — so a refreshing page
never starves the writer — and does not refresh at all when no study runs.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ingest.study_driver import staging_root
from ingest.study_lock import is_locked, lock_path
from ingest.study_status import read_status, shown_state

__all__ = [
    "MAX_REFRESH_SECONDS",
    "REFRESH_SECONDS",
    "LiveStudy",
    "format_duration",
    "live_studies",
    "next_interval",
]

REFRESH_SECONDS = 5.0  # the shortest auto-refresh interval
MAX_REFRESH_SECONDS = 60.0  # the longest, reached by doubling while the file stays busy

# (staging root, study id) -> (clock time, networks done) when this process first saw it.
_FIRST_SEEN: dict[tuple[str, str], tuple[float, int]] = {}
_FIRST_SEEN_LOCK = threading.Lock()


@dataclass(frozen=True)
class LiveStudy:
    """One study's progress as read from its driver's status file.

    Attributes
    ----------
    state:
        ``running`` (a driver holds the lock), ``finished``, ``failed`` or ``interrupted``.
    done, planned, failed:
        Networks stored or staged, networks the study plans, jobs that failed.
    seconds_left:
        Estimated seconds until every planned network is done; ``None`` when the study is not
        running or no pace is known yet.
    """

    study_id: str
    kind: str
    state: str
    done: int
    planned: int
    failed: int
    started: str
    updated: str
    seconds_left: float | None

    @property
    def progress(self) -> str:
        """``"27 of 80"`` (plus ``", 2 failed"`` when jobs failed)."""
        text = f"{self.done:,} of {self.planned:,}"
        return f"{text}, {self.failed:,} failed" if self.failed else text

    @property
    def running(self) -> bool:
        return self.state == "running"


def live_studies(db: Path, *, now: float | None = None) -> dict[str, LiveStudy]:
    """``{study id: LiveStudy}`` for every status file beside the warehouse ``db``.

    Parameters
    ----------
    now:
        The current time (seconds since the epoch; tests pass one), default the clock.
    """
    root = staging_root(db, None)
    if not root.is_dir():
        return {}
    clock = time.time() if now is None else now
    found = {}
    for path in sorted(root.glob("*.status.json")):
        status = read_status(path)
        if status is None:
            continue
        state = shown_state(status, locked=is_locked(lock_path(root, status.study_id)))
        left = _seconds_left(str(root), status, clock) if state == "running" else None
        found[status.study_id] = LiveStudy(
            study_id=status.study_id, kind=status.kind, state=state, done=status.done,
            planned=status.planned, failed=status.failed, started=status.started,
            updated=status.updated, seconds_left=left,
        )  # fmt: skip
    return found


def next_interval(previous: float | None, *, running: bool, busy: bool) -> float | None:
    """Seconds until the next auto-refresh, ``None`` for none.

    >>> next_interval(None, running=True, busy=False)
    5.0
    >>> next_interval(5.0, running=True, busy=True), next_interval(40.0, running=True, busy=True)
    (10.0, 60.0)
    >>> print(next_interval(10.0, running=False, busy=False))
    None
    """
    if not running:
        return None
    if busy:
        return min(2 * (previous or REFRESH_SECONDS), MAX_REFRESH_SECONDS)
    return REFRESH_SECONDS


def format_duration(seconds: float | None) -> str:
    """``"about 4 min"``, ``"about 1 h 5 min"``, ``"under a minute"``; ``"–"`` when unknown.

    >>> format_duration(30), format_duration(250), format_duration(3900), format_duration(None)
    ('under a minute', 'about 4 min', 'about 1 h 5 min', '–')
    """
    if seconds is None or not math.isfinite(seconds):
        return "–"
    if seconds < 60:
        return "under a minute"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min" if hours else f"about {minutes} min"


def _seconds_left(root: str, status, clock: float) -> float | None:
    """Remaining networks divided by the observed pace (see the module docstring)."""
    remaining = status.planned - status.done - status.failed
    if remaining <= 0:
        return 0.0
    with _FIRST_SEEN_LOCK:
        seen_at, seen_done = _FIRST_SEEN.setdefault((root, status.study_id), (clock, status.done))
    if status.done > seen_done and clock > seen_at:
        return remaining * (clock - seen_at) / (status.done - seen_done)
    started = _epoch(status.started)
    if started is None or status.done == 0 or clock <= started:
        return None
    return remaining * (clock - started) / status.done


def _epoch(stamp: str) -> float | None:
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
