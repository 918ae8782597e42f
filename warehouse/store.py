"""Writing to the warehouse: one transaction per ingest, bulk Arrow inserts, idempotent.

Every function here either writes everything it was given or nothing: the caller's
:func:`~warehouse.connection.writer` block is one transaction, rolled back on any error. A
network is matched to the stored one by ``(study, name)`` and compared by content hash, so
re-ingesting the same records inserts nothing; a *different* network under an existing
``(study, name)`` is refused unless ``replace=True`` (overwrite) or ``keep_stored=True`` (skip).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import duckdb
import polars as pl

from warehouse.connection import writer
from warehouse.errors import WarehouseError
from warehouse.pruning_tables import store_pruning_tables
from warehouse.records import TABLE_SCHEMAS, NetworkRecord, StudyRecord, records_to_frames

__all__ = [
    "BASE_COLUMNS",
    "IngestReport",
    "NAME_PATTERN",
    "normalise_names",
    "refresh_meta_dataset_view",
    "store_features",
    "store_frames",
    "store_records",
]

# Names of features and metrics become column names of the meta_dataset view.
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]{0,63}$")

# Descriptive columns of the meta_dataset view, before features and metrics.
BASE_COLUMNS = (
    "network_id",
    "study_id",
    "name",
    "family",
    "cell",
    "generator",
    "seed",
    "num_nodes",
    "num_edges",
    "sparsity",
    "parent_id",
)

_CHILD_TABLES = ("nodes", "edges", "metrics", "features", "labels")


@dataclass(frozen=True)
class IngestReport:
    """How many networks an ingest inserted, found already stored, replaced or skipped."""

    inserted: int
    already_stored: int
    replaced: int = 0
    skipped: int = 0  # changed results under a stored (study, name), kept out (keep_stored)
    inserted_ids: tuple[str, ...] = ()


def store_records(
    db: str | os.PathLike | None,
    study: StudyRecord,
    records: Iterable[NetworkRecord],
    *,
    replace: bool = False,
) -> IngestReport:
    """Store ``records`` of ``study`` in one transaction (see :func:`store_frames`)."""
    frames = records_to_frames(study.id, records)
    with writer(db) as con:
        return store_frames(con, study, frames, replace=replace)


def store_frames(
    con: duckdb.DuckDBPyConnection,
    study: StudyRecord,
    frames: dict[str, pl.DataFrame],
    *,
    replace: bool = False,
    keep_stored: bool = False,
) -> IngestReport:
    """Insert one batch of table frames inside the caller's open transaction.

    A network whose ``(study, name)`` is stored with the same content hash is already stored.
    The batch's pruning runs, if any, are stored after its networks
    (:func:`warehouse.pruning_tables.store_pruning_tables`).
    One whose content differs is refused, unless ``replace`` (the stored one is deleted with
    all its rows and the incoming one inserted) or ``keep_stored`` (the stored one is kept and
    the incoming one skipped: the rule of a study driver, where the first result of a job
    wins).

    Raises
    ------
    WarehouseError
        A name is not usable as a column, a name appears twice in the batch, or a different
        network already has one of the names in this study (and neither option was given).
    """
    import json

    if replace and keep_stored:
        raise ValueError("store_frames takes replace or keep_stored, not both.")
    _check_names(frames)
    frames = normalise_names(frames)
    incoming = frames["networks"]
    twice = incoming.filter(pl.col("name").is_duplicated()).get_column("name").unique()
    if twice.len():
        raise WarehouseError(
            f"The batch for study {study.id!r} holds the names {sorted(twice.to_list())[:5]!r} "
            "more than once; a name is unique within its study."
        )
    con.execute(
        "INSERT INTO studies (id, kind, config) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [study.id, study.kind, json.dumps(dict(study.config), sort_keys=True, default=str)],
    )
    with _registered(con, "incoming_networks", incoming):
        stored = con.execute(
            "SELECT i.name, i.id, n.id, n.content_hash IS NOT DISTINCT FROM i.content_hash"
            " FROM incoming_networks i JOIN networks n"
            " ON n.study_id = i.study_id AND n.name = i.name"
        ).fetchall()
    same = {name for name, _, _, equal in stored if equal}
    changed = [(name, old) for name, _, old, equal in stored if not equal]
    replaced = skipped = 0
    if changed and keep_stored:
        skipped = len(changed)
    elif changed and replace:
        old_ids = [old for _, old in changed]
        for table in _CHILD_TABLES:
            con.execute(
                f"DELETE FROM {table} WHERE list_contains(?::VARCHAR[], network_id)", [old_ids]
            )
        con.execute("DELETE FROM networks WHERE list_contains(?::VARCHAR[], id)", [old_ids])
        replaced = len(old_ids)
    elif changed:
        shown = ", ".join(repr(name) for name, _ in changed[:5])
        raise WarehouseError(
            f"Study {study.id!r} already holds different networks named {shown}"
            + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            + "; re-run with replace to overwrite them, or use another study name."
        )
    held = same | ({name for name, _ in changed} if keep_stored else set())
    new = incoming.filter(~pl.col("name").is_in(list(held)))
    new_ids = new.get_column("id").to_list()
    if new_ids:
        with _registered(con, "incoming_new", new):
            con.execute("INSERT INTO networks BY NAME SELECT * FROM incoming_new")
        for table in _CHILD_TABLES:
            rows = frames[table].filter(pl.col("network_id").is_in(new_ids))
            if rows.height:
                _insert(con, table, rows, upsert=False)
    store_pruning_tables(con, study.id, frames)  # after the base networks they refer to
    refresh_meta_dataset_view(con)
    return IngestReport(
        inserted=len(new_ids), already_stored=len(same), replaced=replaced, skipped=skipped,
        inserted_ids=tuple(new_ids),
    )  # fmt: skip


def store_features(con: duckdb.DuckDBPyConnection, features: pl.DataFrame) -> int:
    """Upsert ``(network_id, name, value)`` rows inside the caller's transaction.

    Returns the number of rows written. Unknown network ids are an error.
    """
    frame = features.select(list(TABLE_SCHEMAS["features"])).cast(TABLE_SCHEMAS["features"])
    _check_names({"features": frame})
    frame = normalise_names({"features": frame})["features"]
    if frame.height == 0:
        return 0
    with _registered(con, "incoming_features", frame):
        unknown = con.execute(
            "SELECT DISTINCT network_id FROM incoming_features"
            " WHERE network_id NOT IN (SELECT id FROM networks) LIMIT 5"
        ).fetchall()
    if unknown:
        raise WarehouseError(f"Features given for unknown networks {[u[0] for u in unknown]}.")
    _insert(con, "features", frame, upsert=True)
    refresh_meta_dataset_view(con)
    return frame.height


def refresh_meta_dataset_view(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create ``meta_dataset``: one row per network, its features and final metrics.

    Column names come from the stored label, feature and metric names, which
    :func:`store_frames` checked against :data:`NAME_PATTERN`. DuckDB identifiers are
    case-insensitive, so names are compared up to case: on a clash the base columns win, then
    metrics, then labels; the loser is exposed with a prefix (``metric_``, ``label_``,
    ``feature_``, plus ``_2``, ``_3``… should that still clash). Within one kind a lower-case
    name (the form :func:`normalise_names` stores) wins over older mixed-case spellings.
    """
    metric_columns, label_columns, feature_columns = _view_columns(
        _names(con, "SELECT DISTINCT name FROM final_metrics"),
        _names(con, "SELECT DISTINCT name FROM labels"),
        _names(con, "SELECT DISTINCT name FROM features"),
    )
    outer = (
        "".join(f", l.{_ident(c)}" for _, c in label_columns)
        + "".join(f", f.{_ident(c)}" for _, c in feature_columns)
        + "".join(f", m.{_ident(c)}" for _, c in metric_columns)
    )
    con.execute(
        f"""
        CREATE OR REPLACE VIEW meta_dataset AS
        SELECT n.id AS network_id, n.study_id, n.name, n.family, n.cell, n.generator, n.seed,
               n.num_nodes, n.num_edges, n.sparsity, n.parent_id{outer}
        FROM networks n
        LEFT JOIN {_wide("labels", label_columns)} l ON l.network_id = n.id
        LEFT JOIN {_wide("features", feature_columns)} f ON f.network_id = n.id
        LEFT JOIN {_wide("final_metrics", metric_columns)} m ON m.network_id = n.id
        """
    )


def _wide(table: str, columns: list[tuple[str, str]]) -> str:
    """A subquery with one row per network of ``table`` (``network_id, name, value``) and one
    column per ``(stored name, column name)`` pair.

    A ``PIVOT`` with the names listed, not one ``max(value) FILTER (WHERE name = …)``
    aggregate per name: DuckDB evaluates every filter on every row, so that view cost rows x
    names, while the pivot reads each row once. On 26,206 NAS-Bench-Graph-sized networks x 323
    features (8.5 M rows) ``SELECT * FROM meta_dataset`` took 118 s the old way and 2.4 s this
    way (benchmarks/bench_meta_dataset_view.py, 2 Dec 2026).
    """
    if not columns:
        return f"(SELECT DISTINCT network_id FROM {table})"
    names = ", ".join(f"{_literal(n)} AS {_ident(c)}" for n, c in columns)
    return f"(PIVOT {table} ON name IN ({names}) USING max(value) GROUP BY network_id)"


def normalise_names(frames: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Feature, label, metric and split names in lower case, as the warehouse stores them.

    SQL identifiers are case-insensitive, so ``Test_Acc`` and ``test_acc`` would be one column of
    the meta_dataset view: the warehouse keeps one spelling, the lower-case one (every built-in
    feature and metric name is lower case, so a CSV's ``Density`` joins the computed
    ``density``). Two names of one network that differ only in case are refused, naming both.

    Raises
    ------
    WarehouseError
        One network has names equal up to case (e.g. columns ``Density`` and ``density``).
    """
    keys = {"features": ("name",), "labels": ("name",), "metrics": ("epoch", "split", "metric")}
    named = {"features": ("name",), "labels": ("name",), "metrics": ("split", "metric")}
    result = dict(frames)
    for table, columns in named.items():
        if table not in frames or frames[table].height == 0:
            continue
        frame = frames[table]
        lowered = frame.with_columns(pl.col(c).str.to_lowercase() for c in columns)
        key = ["network_id", *keys[table]]
        clash = (
            frame.with_columns(pl.concat_str(list(columns), separator="_").alias("_spelling"))
            .with_columns(lowered.select(key).to_struct().alias("_key"))
            .group_by("_key")
            .agg(pl.col("_spelling").unique().sort())
            .filter(pl.col("_spelling").list.len() > 1)
        )
        if clash.height:
            spellings = clash.get_column("_spelling")[0].to_list()
            raise WarehouseError(
                f"{table} names {' and '.join(repr(s.strip('_')) for s in spellings)} of one "
                "network differ only in case; SQL names are case-insensitive, so rename one."
            )
        result[table] = lowered
    return result


def _names(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """Stored names, lower-case spellings first so they win the plain column name."""
    names = [r[0] for r in con.execute(sql).fetchall()]
    return sorted(names, key=lambda n: (n != n.lower(), n))


def _view_columns(
    metric_names: list[str], label_names: list[str], feature_names: list[str]
) -> tuple[list[tuple[str, str]], ...]:
    """``(stored name, column name)`` pairs: unique up to case, base columns never shadowed."""
    taken = {c.casefold() for c in BASE_COLUMNS}
    kinds = []
    for prefix, names in (("metric_", metric_names), ("label_", label_names),
                          ("feature_", feature_names)):  # fmt: skip
        pairs = []
        for name in names:
            column = name if name.casefold() not in taken else f"{prefix}{name}"
            suffix = 2
            while column.casefold() in taken:
                column = f"{prefix}{name}_{suffix}"
                suffix += 1
            taken.add(column.casefold())
            pairs.append((name, column))
        kinds.append(pairs)
    return tuple(kinds)


def _insert(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, *, upsert: bool
) -> None:
    view = f"incoming_{table}_rows"
    with _registered(con, view, frame):
        verb = "INSERT OR REPLACE" if upsert else "INSERT"
        con.execute(f"{verb} INTO {table} BY NAME SELECT * FROM {view}")


@contextmanager
def _registered(con: duckdb.DuckDBPyConnection, view: str, frame: pl.DataFrame) -> Iterator[str]:
    """``frame`` as a view for the block. After a failed statement the transaction is aborted
    and ``unregister`` fails too ("Current transaction is aborted"): that echo is suppressed,
    so the first real cause is what the caller sees."""
    con.register(view, frame.to_arrow())
    try:
        yield view
    except BaseException:
        with suppress(duckdb.Error):
            con.unregister(view)
        raise
    con.unregister(view)


def _check_names(frames: dict[str, pl.DataFrame]) -> None:
    checked = (
        ("features", "name"),
        ("labels", "name"),
        ("metrics", "metric"),
        ("metrics", "split"),
    )
    for table, column in checked:
        if table not in frames:
            continue
        names = frames[table].get_column(column).unique().to_list()
        may_be_empty = column == "split"  # '' is an unnamed split
        bad = [
            n for n in names if not (n == "" and may_be_empty) and not NAME_PATTERN.match(n or "")
        ]
        if bad:
            raise WarehouseError(
                f"{table}.{column} values must be 1-64 letters, digits, '_', '.', '-' or spaces "
                f"(starting with a letter, digit or '_'); got {bad[:5]!r}."
            )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
