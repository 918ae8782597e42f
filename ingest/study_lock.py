"""One driver per study: an exclusive lock file naming its holder.

The lock is ``<staging root>/<study id>.lock``, held with ``flock`` for the driver's lifetime and
holding the holder's PID, host, program and start time as JSON. The kernel releases a ``flock``
when its process dies, however it dies, so a lock file left by a killed driver is *stale* by
construction: the next driver takes it over (and says so). A second driver while the first is
alive is refused with a message naming the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warehouse.errors import WarehouseError

__all__ = ["StudyLock", "StudyLockedError", "is_locked", "lock_path", "read_holder"]

_ACQUIRE_SECONDS = 1.0  # a `studies` listing may probe the lock for a moment


class StudyLockedError(WarehouseError):
    """Another live driver runs this study."""


def lock_path(staging_root: Path, study_id: str) -> Path:
    """Where the lock of ``study_id`` lives (beside its staging folder)."""
    return staging_root / f"{study_id}.lock"


def read_holder(path: Path) -> dict:
    """The holder recorded in a lock file (empty when there is none or it is unreadable)."""
    try:
        return json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}


def is_locked(path: Path) -> bool:
    """Whether a live process holds the lock at ``path`` right now."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a shared lock we took
    return False


@dataclass
class StudyLock:
    """Context manager holding the lock of one study.

    Attributes
    ----------
    stale_holder:
        The holder recorded by a dead driver whose lock this one took over, else ``{}``.
    """

    path: Path
    study_id: str
    stale_holder: dict | None = None
    _fd: int | None = None

    def __enter__(self) -> StudyLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + _ACQUIRE_SECONDS
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                if time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                raise StudyLockedError(self._refusal()) from None
            if _same_file(fd, self.path):
                break
            os.close(fd)  # the previous holder removed the file between open and lock
        self._fd = fd
        self.stale_holder = read_holder(self.path)
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "program": " ".join(sys.argv) or sys.executable,
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        return self

    def __exit__(self, *exc_info) -> None:
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)  # releases the flock
            self._fd = None

    def _refusal(self) -> str:
        holder = read_holder(self.path)
        who = (
            f"PID {holder.get('pid')} on {holder.get('host')} "
            f"({holder.get('program')}), started {holder.get('started')}"
            if holder
            else "a process that has not written its name yet"
        )
        return (
            f"Study {self.study_id!r} is already being run by {who}; lock file {self.path}. "
            "Wait for it to finish (or stop it), then run again."
        )


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.fstat(fd).st_ino == os.stat(path).st_ino
    except FileNotFoundError:
        return False
