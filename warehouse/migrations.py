"""Versioned schema migrations, applied when a writer opens the warehouse.

Migrations are the SQL files in ``warehouse/schema`` named ``NNNN_description.sql``; the
``schema_version`` table records which ran. A migration only ever adds: user data is never
dropped on upgrade. A file written by a newer sparsescope is refused rather than guessed at, and
a reader (which cannot migrate) meeting an old file is told exactly what to run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.errors import SchemaVersionError

__all__ = [
    "Migration",
    "check_schema",
    "current_version",
    "latest_version",
    "migrate",
    "migrations",
]

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
    " applied TIMESTAMP NOT NULL DEFAULT current_timestamp)"
)
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    """One schema step: its version number, name and SQL text."""

    version: int
    name: str
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """All migrations shipped with this sparsescope, in version order."""
    found = []
    for entry in resources.files("warehouse").joinpath("schema").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"Schema migrations must be numbered 1..N without gaps; got {versions}.")
    return tuple(found)


def latest_version() -> int:
    """The schema version this sparsescope writes."""
    return migrations()[-1].version


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """Schema version of an open warehouse (0 for an empty file)."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_version'"
    ).fetchall()[0][0]
    if not exists:
        return 0
    return con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()[0][0]


def migrate(con: duckdb.DuckDBPyConnection, *, target: int | None = None) -> int:
    """Bring the warehouse up to ``target`` (default :func:`latest_version`).

    Each step runs in its own transaction. Returns the version reached. Raises
    :class:`SchemaVersionError` on a file newer than this sparsescope.
    """
    version = current_version(con)
    latest = latest_version() if target is None else target
    if version > latest_version():
        raise SchemaVersionError(
            f"This warehouse has schema version {version}, newer than this sparsescope "
            f"understands ({latest_version()}). Upgrade sparsescope."
        )
    if version >= latest:
        return version
    for step in migrations():
        if step.version <= version or step.version > latest:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            # Inside the first step's transaction: a file the first step fails on (e.g. some
            # other program's DuckDB file with its own ``networks`` table) is left as it was.
            con.execute(_VERSION_TABLE)
            con.execute(step.sql)
            con.execute(
                "INSERT INTO schema_version (version, name) VALUES (?, ?)",
                [step.version, step.name],
            )
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    return latest


def check_schema(con: duckdb.DuckDBPyConnection, path: Path | str) -> None:
    """For readers: fail fast, saying what to run, unless the schema is exactly current."""
    version = current_version(con)
    latest = latest_version()
    if version < latest:
        raise SchemaVersionError(
            f"The warehouse {path} has schema version {version}; this sparsescope needs "
            f"{latest}. Run `sparsescope init --db {path}` to upgrade it (no data is dropped)."
        )
    if version > latest:
        raise SchemaVersionError(
            f"The warehouse {path} has schema version {version}, newer than this sparsescope "
            f"understands ({latest}). Upgrade sparsescope."
        )
