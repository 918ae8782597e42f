"""The read-only SQL box behind ``sparsescope sql`` and the dashboard's query page.

User-written SQL runs on its own read-only connection with external access, extension loading
and configuration changes disabled (:data:`~warehouse.connection.SAFE_READER_CONFIG`, the
configuration of every reader, so the SQL box can be open beside other readers in one process). Only a
single SELECT statement is accepted (checked with :func:`duckdb.extract_statements`), a timer
interrupts it after ``timeout`` seconds, and at most ``max_rows`` rows come back.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import duckdb
import polars as pl

from warehouse.connection import reader
from warehouse.errors import UnsafeQueryError, WarehouseError

__all__ = ["QueryResult", "check_select", "run_sql"]


@dataclass(frozen=True)
class QueryResult:
    """Rows of a query (at most the cap) and whether more rows were cut off."""

    frame: pl.DataFrame
    truncated: bool


def check_select(sql: str) -> str:
    """Return the single SELECT statement in ``sql`` or raise :class:`UnsafeQueryError`."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise UnsafeQueryError(f"The query does not parse: {_first_line(exc)}") from exc
    if len(statements) != 1:
        raise UnsafeQueryError(
            f"Give exactly one SELECT statement; got {len(statements)} statements."
        )
    statement = statements[0]
    if statement.type != duckdb.StatementType.SELECT:
        raise UnsafeQueryError(
            f"Only SELECT statements are allowed here (read-only); got {statement.type.name}."
        )
    return statement.query.strip().rstrip(";").strip()


def run_sql(
    db: str | os.PathLike | None,
    sql: str,
    *,
    max_rows: int = 10_000,
    timeout: float = 10.0,
) -> QueryResult:
    """Run one read-only SELECT on the warehouse.

    Raises
    ------
    UnsafeQueryError
        Not a single SELECT.
    WarehouseError
        The query failed, was refused by the sandbox or ran out of time.
    """
    if max_rows < 1:
        raise ValueError(f"The 'max_rows' parameter of run_sql must be >= 1. Got {max_rows}.")
    if timeout <= 0:
        raise ValueError(f"The 'timeout' parameter of run_sql must be > 0. Got {timeout}.")
    query = check_select(sql)
    with reader(db) as con:
        timer = threading.Timer(timeout, con.interrupt)
        timer.start()
        try:
            relation = con.sql(f"SELECT * FROM (\n{query}\n) AS user_query LIMIT {max_rows + 1}")
            frame = relation.pl()
        except duckdb.InterruptException as exc:
            raise WarehouseError(
                f"The query ran longer than {timeout:g} s and was stopped."
            ) from exc
        except duckdb.Error as exc:
            raise WarehouseError(f"The query failed: {_first_line(exc)}") from exc
        finally:
            timer.cancel()
    truncated = frame.height > max_rows
    return QueryResult(frame=frame.head(max_rows), truncated=truncated)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
