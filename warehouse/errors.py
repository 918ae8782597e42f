"""The warehouse's own exceptions: driver errors re-raised with the part a user can act on."""

from __future__ import annotations

__all__ = [
    "NotAWarehouseError",
    "SchemaVersionError",
    "UnsafeQueryError",
    "WarehouseError",
    "WarehouseLockedError",
    "WarehouseMissingError",
]


class WarehouseError(RuntimeError):
    """Base class of every error the warehouse raises on purpose."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the DuckDB file and did not let go within the retry budget."""


class NotAWarehouseError(WarehouseError):
    """The file exists but is not a DuckDB database (or is corrupt)."""


class WarehouseMissingError(WarehouseError):
    """A read-only open found no warehouse file."""


class SchemaVersionError(WarehouseError):
    """The file's schema is newer than this sparsescope, or a reader met an old schema."""


class UnsafeQueryError(WarehouseError):
    """A query given to the read-only SQL box is not a single SELECT statement."""
