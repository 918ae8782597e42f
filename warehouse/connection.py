"""The one place that opens the DuckDB warehouse file.

DuckDB lets one process write a file *or* many processes read it, never both. sparsescope keeps
to that with short-lived connections:

* :func:`writer` — the single writing process (an ingester) opens the file, migrates it, runs one
  transaction and closes it again, so the file is held only briefly;
* :func:`reader` — dashboards and CLI queries open a read-only connection per query and close it.

Both retry with a bounded, jittered back-off when the other side holds the lock, and raise
:class:`~warehouse.errors.WarehouseLockedError` with the holder's description when the budget
runs out. Driver errors are re-raised as the warehouse's own exceptions.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.errors import (
    NotAWarehouseError,
    WarehouseError,
    WarehouseLockedError,
    WarehouseMissingError,
)
from warehouse.migrations import check_schema, migrate

__all__ = [
    "DEFAULT_DB",
    "ENV_VAR",
    "SAFE_READER_CONFIG",
    "lock_holder",
    "open_connection",
    "reader",
    "resolve_db_path",
    "writer",
]

DEFAULT_DB = "sparsescope.duckdb"
ENV_VAR = "SPARSESCOPE_DB"

# Options of EVERY read-only connection: no files, no extensions, no SET. DuckDB refuses a second
# connection to one file with a different configuration in the same process, so the SQL box
# (user-written SQL) and the dashboard's other readers must share one configuration.
SAFE_READER_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}

# Every connection: never resolve unknown table names to Python variables of the caller.
_BASE_CONFIG = {"python_enable_replacements": False}

_HOLDER_PATTERN = re.compile(r"Conflicting lock is held in (.+?)\.?(?: See also|$)", re.DOTALL)
_LOCK_PATTERN = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)


def lock_holder(message: str) -> str:
    """The holder DuckDB names in a lock conflict, whole: program path (dots included) and PID.

    >>> lock_holder('IO Error: Could not set lock on file "/w.duckdb": Conflicting lock is '
    ...             'held in /usr/bin/python3.11 (PID 42) by user me. See also https://x.org')
    '/usr/bin/python3.11 (PID 42) by user me'
    """
    match = _HOLDER_PATTERN.search(message)
    return match[1].strip() if match else "holder unknown"


def resolve_db_path(db: str | os.PathLike | None = None) -> Path:
    """The warehouse file: ``db``, else ``$SPARSESCOPE_DB``, else ``./sparsescope.duckdb``."""
    chosen = db if db not in (None, "") else os.environ.get(ENV_VAR) or DEFAULT_DB
    return Path(chosen).expanduser()


def open_connection(
    db: str | os.PathLike | None = None,
    *,
    read_only: bool,
    lock_timeout: float = 30.0,
    config: dict | None = None,
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds the lock.

    Parameters
    ----------
    db:
        Path of the warehouse (see :func:`resolve_db_path`).
    read_only:
        Readers never migrate; they fail fast on a missing file or an old schema.
    lock_timeout:
        Seconds to keep retrying on a lock conflict.
    config:
        Extra DuckDB configuration of a read-write connection. Read-only connections always use
        :data:`SAFE_READER_CONFIG` (one configuration per file and process, see there).

    Raises
    ------
    WarehouseLockedError, NotAWarehouseError, WarehouseMissingError, SchemaVersionError
    """
    path = resolve_db_path(db)
    if read_only and not path.exists():
        raise WarehouseMissingError(
            f"No warehouse at {path}: create one with `sparsescope init --db {path}` "
            "or import data first."
        )
    if not read_only and path.parent != Path("") and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    delay = 0.01
    while True:
        try:
            if read_only and config:
                raise ValueError(
                    "The 'config' parameter of open_connection is for read-write connections; "
                    "every reader uses SAFE_READER_CONFIG."
                )
            options = {**_BASE_CONFIG, **(SAFE_READER_CONFIG if read_only else config or {})}
            con = duckdb.connect(str(path), read_only=read_only, config=options)
            break
        except duckdb.Error as exc:
            message = str(exc)
            if _LOCK_PATTERN.search(message):
                if time.monotonic() >= deadline:
                    raise WarehouseLockedError(
                        f"The warehouse {path} is locked by another process "
                        f"({lock_holder(message)}); "
                        f"gave up after {lock_timeout:g} s. Wait for it to finish and retry."
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.25)
                continue
            if "not a valid DuckDB database" in message or "Invalid Input" in message:
                raise NotAWarehouseError(
                    f"{path} is not a DuckDB warehouse file (or it is corrupt): {message}"
                ) from exc
            raise WarehouseError(f"Could not open the warehouse {path}: {message}") from exc
    try:
        if read_only:
            check_schema(con, path)
        else:
            try:
                migrate(con)
            except duckdb.Error as exc:
                raise NotAWarehouseError(
                    f"{path} is not a sparsescope warehouse: creating its schema failed "
                    f"({_first_line(exc)}); the file is left as it was."
                ) from exc
    except BaseException:
        con.close()
        raise
    return con


@contextmanager
def writer(
    db: str | os.PathLike | None = None, *, lock_timeout: float = 60.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection running ONE transaction: committed on success, rolled back on error.

    Example
    -------
    >>> import tempfile, pathlib
    >>> db = pathlib.Path(tempfile.mkdtemp()) / "w.duckdb"
    >>> with writer(db) as con:
    ...     _ = con.execute("INSERT INTO studies (id, kind) VALUES (?, ?)", ["s", "import"])
    >>> with reader(db) as con:
    ...     con.execute("SELECT id, kind FROM studies").fetchall()
    [('s', 'import')]
    """
    con = open_connection(db, read_only=False, lock_timeout=lock_timeout)
    try:
        con.execute("BEGIN TRANSACTION")
        try:
            yield con
        except BaseException as exc:
            con.execute("ROLLBACK")
            _reraise(exc, db, "Writing to")
            raise
        con.execute("COMMIT")
    finally:
        con.close()


@contextmanager
def reader(
    db: str | os.PathLike | None = None,
    *,
    lock_timeout: float = 30.0,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived read-only connection (:data:`SAFE_READER_CONFIG`), closed after the block."""
    con = open_connection(db, read_only=True, lock_timeout=lock_timeout)
    try:
        yield con
    except duckdb.Error as exc:
        _reraise(exc, db, "Reading from")
    finally:
        con.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _reraise(exc: BaseException, db: str | os.PathLike | None, doing: str) -> None:
    """Re-raise a driver error as a :class:`WarehouseError` naming the file (others untouched)."""
    if isinstance(exc, duckdb.Error):
        raise WarehouseError(
            f"{doing} the warehouse {resolve_db_path(db)} failed: {_first_line(exc)}"
        ) from exc
