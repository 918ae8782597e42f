"""The read-only SQL box behind ``sparsescope sql`` and the dashboard's query page.

User-written SQL runs on its own read-only connection with external access, extension loading
and configuration changes disabled (:data:`~warehouse.connection.SAFE_READER_CONFIG`, the
configuration of every reader, so the SQL box can be open beside other readers in one process).
Only a single SELECT statement is accepted (checked with :func:`duckdb.extract_statements`); it
is stopped after ``timeout`` seconds or on Ctrl-C, and at most ``max_rows`` rows come back.
Columns Polars cannot hold or Python cannot represent (INTERVAL, UNION, dates and times, which
may be infinite) come back as DuckDB's text form.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass

import duckdb
import polars as pl

from warehouse.connection import reader
from warehouse.errors import UnsafeQueryError, WarehouseError

__all__ = ["MAX_TIMEOUT", "QueryResult", "check_select", "run_sql"]

MAX_TIMEOUT = 120.0
"""Longest a query may run, in seconds. A reader holds the file while its query runs, and a
running study's driver waits at most ``ingest.study_driver.WRITER_PATIENCE`` (600 s) for it at
the end: every query must end well before the writer gives up."""


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
    if not 0 < timeout <= MAX_TIMEOUT:
        raise ValueError(
            f"The 'timeout' parameter of run_sql must be in (0, {MAX_TIMEOUT:g}] seconds "
            f"(a longer reader would starve a running study's writer). Got {timeout}."
        )
    query = check_select(sql)
    capped = f"SELECT * FROM (\n{query}\n) AS user_query LIMIT {max_rows + 1}"
    with reader(db) as con:
        frame = _run_interruptibly(con, capped, timeout=timeout)
    truncated = frame.height > max_rows
    return QueryResult(frame=frame.head(max_rows), truncated=truncated)


# Column types Polars cannot hold (INTERVAL, UNION, TIME WITH TIME ZONE) or whose values may not
# become Python objects (infinite DATE/TIMESTAMP): returned as DuckDB's text form instead.
_AS_TEXT = re.compile(r"INTERVAL|UNION|TIMESTAMP|DATE|TIME")


def _run_interruptibly(
    con: duckdb.DuckDBPyConnection, capped: str, *, timeout: float
) -> pl.DataFrame:
    """Run ``capped`` in a worker thread so that the timeout and Ctrl-C can both stop it.

    DuckDB does not see SIGINT while it computes, so the calling thread waits (a wait Python can
    interrupt) and on Ctrl-C or at the timeout calls :meth:`~duckdb.DuckDBPyConnection.interrupt`.
    Ctrl-C comes back as :class:`KeyboardInterrupt`, never as a timeout.
    """
    outcome: dict[str, object] = {}

    def work() -> None:
        try:
            relation = con.sql(capped)
            columns = [
                f"CAST({_ident(name)} AS VARCHAR) AS {_ident(name)}"
                if _AS_TEXT.search(str(kind))
                else _ident(name)
                for name, kind in zip(relation.columns, relation.types, strict=True)
            ]
            outcome["frame"] = con.sql(
                f"SELECT {', '.join(columns)} FROM ({capped}) AS capped"
            ).pl()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            outcome["error"] = exc
        finally:
            done.set()

    # An Event, not Thread.join: after a join interrupted by Ctrl-C, Python 3.11 may report the
    # thread as finished while it still runs (CPython gh-90882).
    done = threading.Event()
    threading.Thread(target=work, name="sql-box-query", daemon=True).start()
    try:
        finished = done.wait(timeout)
    except KeyboardInterrupt:
        _stop(con, done)
        raise
    if not finished:
        _stop(con, done)
        raise WarehouseError(f"The query ran longer than {timeout:g} s and was stopped.")
    error = outcome.get("error")
    if isinstance(error, duckdb.Error):
        raise WarehouseError(f"The query failed: {_first_line(error)}") from error
    if error is not None:  # e.g. a Polars conversion error (a Rust panic is a BaseException)
        raise WarehouseError(
            f"The query's result could not be converted: {_first_line(error)}"
        ) from error
    return outcome["frame"]  # type: ignore[return-value]


def _stop(con: duckdb.DuckDBPyConnection, done: threading.Event) -> None:
    """Interrupt the query until its thread is done (an interrupt sent between statements is
    lost, so it is repeated; a second Ctrl-C does not abandon a running query)."""
    while True:
        con.interrupt()
        try:
            if done.wait(0.05):
                return
        except KeyboardInterrupt:
            continue


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
