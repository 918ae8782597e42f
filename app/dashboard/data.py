"""Cached, read-only data access for the dashboard pages.

Pages never talk to DuckDB: they call the functions here, which wrap the warehouse and analytics
APIs in :func:`streamlit.cache_data`. Every cache key holds the warehouse path and a *stamp* of
the file (size and modification time of the database and of its write-ahead log), so data that a
study writes shows up on the next rerun, while reruns that change nothing reuse the results. The
backend opens a short-lived read-only connection per call; nothing here keeps one open across a
session, so an ingest can write between any two reruns.

The warehouse is ``$SPARSESCOPE_DB`` (see :func:`warehouse.connection.resolve_db_path`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import streamlit as st

from analytics.correlation import correlation_table
from analytics.meta_dataset import MetaDataset, load_meta_dataset
from analytics.regressors import (
    RegressionResult,
    cross_validated_predictions,
    evaluate_regressors,
)
from app.dashboard.graph_layout import GraphLayout, layered_positions
from warehouse import queries, sql_box
from warehouse.connection import resolve_db_path
from warehouse.errors import WarehouseError, WarehouseMissingError

__all__ = [
    "CACHE_TTL",
    "WarehouseStatus",
    "correlations",
    "counts",
    "db_path",
    "group_columns",
    "meta_dataset",
    "network_layout",
    "network_metrics",
    "networks",
    "predictions",
    "regressors",
    "run_sql",
    "status",
    "studies",
]

# Seconds a cached result lives at most; the file stamp in every key already catches new data.
CACHE_TTL = 600

# Columns of the meta-dataset that identify a row rather than group rows.
_NOT_GROUPS = frozenset({"network_id", "name", "parent_id"})
# A text column with more distinct values than this is an identifier, not a grouping.
_MAX_GROUPS = 50


@dataclass(frozen=True)
class WarehouseStatus:
    """Whether the dashboard has something to show.

    Attributes
    ----------
    path:
        The warehouse file the dashboard reads.
    counts:
        Row counts of the main tables, or ``None`` when the file is missing or unreadable.
    error:
        Why the warehouse cannot be read (missing file, lock, old schema, ...), else ``None``.
    missing:
        True when there is no file at ``path`` at all.
    """

    path: Path
    counts: dict[str, int] | None
    error: str | None
    missing: bool

    @property
    def empty(self) -> bool:
        """True when the warehouse is readable but holds no network."""
        return self.counts is not None and self.counts["networks"] == 0


def db_path() -> Path:
    """The absolute path of the warehouse the dashboard reads (``$SPARSESCOPE_DB``)."""
    return resolve_db_path(None).resolve()


def status() -> WarehouseStatus:
    """Check that the warehouse exists and is readable; never raises a warehouse error."""
    path = db_path()
    if not path.exists():
        return WarehouseStatus(path, None, f"No warehouse at {path}.", missing=True)
    try:
        return WarehouseStatus(path, counts(), None, missing=False)
    except WarehouseMissingError as exc:  # removed between the check and the read
        return WarehouseStatus(path, None, str(exc), missing=True)
    except WarehouseError as exc:
        return WarehouseStatus(path, None, str(exc), missing=False)


def counts() -> dict[str, int]:
    """Row counts of the main tables (see :func:`warehouse.queries.counts`)."""
    return _counts(*_key())


def studies() -> pl.DataFrame:
    """Every study with its network count, newest first."""
    return _studies(*_key())


def networks(study: str | None = None) -> pl.DataFrame:
    """One summary row per network, optionally of one study."""
    return _networks(*_key(), study)


def meta_dataset(study: str | None = None) -> MetaDataset:
    """The meta-dataset with its feature and metric columns named."""
    return _meta_dataset(*_key(), study)


def group_columns(meta: MetaDataset) -> list[str]:
    """Text columns of ``meta`` that split its rows into 2 to 50 groups (cell, generator, ...)."""
    frame = meta.frame
    chosen = []
    for column in frame.columns:
        dtype = frame.schema[column]
        if column in _NOT_GROUPS or dtype.is_numeric() or dtype.is_temporal():
            continue
        if 2 <= frame.get_column(column).drop_nulls().n_unique() <= _MAX_GROUPS:
            chosen.append(column)
    return chosen


def correlations(*, target: str, by: str | None = None, study: str | None = None) -> pl.DataFrame:
    """:func:`analytics.correlation.correlation_table` of every feature with ``target``."""
    return _correlations(*_key(), target, by, study)


def regressors(
    *,
    target: str,
    by: str | None,
    regressors: tuple[str, ...],
    n_splits: int,
    n_repeats: int,
    study: str | None = None,
    seed: int = 0,
) -> RegressionResult:
    """:func:`analytics.regressors.evaluate_regressors` on the meta-dataset (slow: cached)."""
    return _regressors(*_key(), target, by, regressors, n_splits, n_repeats, study, seed)


def predictions(
    *,
    target: str,
    regressor: str,
    by: str | None = None,
    n_splits: int = 5,
    study: str | None = None,
    seed: int = 0,
) -> pl.DataFrame:
    """Out-of-fold predictions of ``target`` by ``regressor``, one model per group (cached).

    :func:`analytics.regressors.cross_validated_predictions` within each value of ``by`` (as
    :func:`regressors` scores each group on its own), so a point's prediction comes from a
    model that saw neither that network nor another group. Groups with fewer than ``n_splits``
    rows with a target cannot be cross-validated and are left out.

    Returns
    -------
    polars.DataFrame
        The meta-dataset's rows with a target, plus ``predicted``.
    """
    return _predictions(*_key(), target, regressor, by, n_splits, study, seed)


def network_layout(network_id: str) -> GraphLayout:
    """One network drawn by layers (see :func:`app.dashboard.graph_layout.layered_positions`).

    Raises ``KeyError`` for an unknown id and
    :class:`~models.dag.GraphStructureError` when no layering exists (e.g. a directed cycle).
    """
    return _network_layout(*_key(), network_id)


def network_metrics(network_id: str) -> pl.DataFrame:
    """All metrics of one network by epoch (``epoch, split, metric, value``)."""
    return _network_metrics(*_key(), network_id)


def run_sql(sql: str, *, max_rows: int = 1000) -> sql_box.QueryResult:
    """Run one read-only SELECT (not cached: the user expects it to run).

    Raises
    ------
    warehouse.errors.WarehouseError
        Not a single SELECT (``UnsafeQueryError``), a failing or too slow query.
    """
    return sql_box.run_sql(db_path(), sql, max_rows=max_rows, timeout=10.0)


# --- cache keys and cached bodies -----------------------------------------------------------


def _key() -> tuple[str, tuple[int, ...]]:
    """``(path, stamp)``: the stamp changes whenever DuckDB writes the file or its WAL."""
    path = db_path()
    stamp: list[int] = []
    for candidate in (path, path.with_name(path.name + ".wal")):
        try:
            info = os.stat(candidate)
        except FileNotFoundError:
            stamp += [-1, -1]
        else:
            stamp += [info.st_mtime_ns, info.st_size]
    return str(path), tuple(stamp)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _counts(db: str, stamp: tuple[int, ...]) -> dict[str, int]:
    return queries.counts(db)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _studies(db: str, stamp: tuple[int, ...]) -> pl.DataFrame:
    return queries.studies(db)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _networks(db: str, stamp: tuple[int, ...], study: str | None) -> pl.DataFrame:
    return queries.networks(db, study=study)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _meta_dataset(db: str, stamp: tuple[int, ...], study: str | None) -> MetaDataset:
    return load_meta_dataset(db, study=study)


@st.cache_data(ttl=CACHE_TTL, show_spinner="Correlating features …")
def _correlations(
    db: str, stamp: tuple[int, ...], target: str, by: str | None, study: str | None
) -> pl.DataFrame:
    meta = _meta_dataset(db, stamp, study)
    meta.require_target(target)
    meta.require_group(by)
    return correlation_table(meta.frame, target=target, features=meta.features_for(target), by=by)


@st.cache_data(ttl=CACHE_TTL, show_spinner="Fitting regressors …", max_entries=32)
def _regressors(
    db: str,
    stamp: tuple[int, ...],
    target: str,
    by: str | None,
    names: tuple[str, ...],
    n_splits: int,
    n_repeats: int,
    study: str | None,
    seed: int,
) -> RegressionResult:
    meta = _meta_dataset(db, stamp, study)
    meta.require_target(target)
    meta.require_group(by)
    return evaluate_regressors(
        meta.frame,
        target=target,
        features=meta.features_for(target),
        by=by,
        regressors=list(names),
        n_splits=n_splits,
        n_repeats=n_repeats,
        seed=seed,
    )


@st.cache_data(ttl=CACHE_TTL, show_spinner="Predicting held-out networks …", max_entries=32)
def _predictions(
    db: str,
    stamp: tuple[int, ...],
    target: str,
    regressor: str,
    by: str | None,
    n_splits: int,
    study: str | None,
    seed: int,
) -> pl.DataFrame:
    meta = _meta_dataset(db, stamp, study)
    meta.require_target(target)
    meta.require_group(by)
    frame = meta.frame.filter(pl.col(target).is_not_null() & pl.col(target).is_not_nan())
    parts = [frame] if by is None else [part for _, part in frame.group_by(by, maintain_order=True)]
    predicted = [
        cross_validated_predictions(
            part, target=target, features=meta.features_for(target), regressor=regressor,
            n_splits=n_splits, seed=seed,
        ).with_columns(pl.col("predicted").cast(pl.Float64))  # xgboost predicts float32
        for part in parts
        if part.height >= n_splits
    ]  # fmt: skip
    return pl.concat(predicted) if predicted else frame.clear().with_columns(predicted=pl.lit(0.0))


@st.cache_data(ttl=CACHE_TTL, show_spinner="Drawing the network …", max_entries=64)
def _network_layout(db: str, stamp: tuple[int, ...], network_id: str) -> GraphLayout:
    return layered_positions(queries.load_graph(db, network_id=network_id))


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=256)
def _network_metrics(db: str, stamp: tuple[int, ...], network_id: str) -> pl.DataFrame:
    return queries.metrics_of(db, network_id=network_id)


# --- dashboard v2: runs table, study comparison, network details ----------------------------

__all__ += [  # appended here so this section stays self-contained
    "config_differences",
    "network_details",
    "network_drawing",
    "runs_columns",
    "runs_page",
    "study_configs",
]


def runs_columns() -> dict[str, str]:
    """``{column: DuckDB type}`` of the meta-dataset view, in view order."""
    return _runs_columns(*_key())


def runs_page(
    *,
    studies: tuple[str, ...] | None,
    filters: tuple[queries.RunFilter, ...] = (),
    sort: str | None = None,
    descending: bool = False,
    limit: int = 100,
    offset: int = 0,
) -> tuple[pl.DataFrame, int]:
    """One page of the runs table and the number of matching runs (filtered in DuckDB).

    Raises ``ValueError`` for an unknown column or operator or a non-numeric value on a numeric
    column (see :func:`warehouse.queries.runs_page`).
    """
    return _runs_page(*_key(), studies, filters, sort, descending, limit, offset)


def study_configs(ids: list[str] | None = None) -> dict[str, dict]:
    """``{study id: config}`` of ``ids`` (all studies when ``None``), parsed from JSON."""
    import json

    frame = studies()
    if ids is not None:
        frame = frame.filter(pl.col("id").is_in(ids))
    return {row["id"]: json.loads(row["config"] or "{}") for row in frame.iter_rows(named=True)}


def config_differences(ids: list[str] | None = None) -> dict[str, dict[str, object]]:
    """Configuration keys whose value differs between the studies ``ids`` (all when ``None``).

    Returns ``{key: {study id: value}}``, keys sorted; a key a study lacks has the value
    ``None`` there. Empty when fewer than two studies are given or all configs agree.
    """
    configs = study_configs(ids)
    keys = sorted({key for config in configs.values() for key in config})
    differing = {}
    for key in keys:
        values = {study: config.get(key) for study, config in configs.items()}
        if len({_canonical(v) for v in values.values()}) > 1:
            differing[key] = values
    return differing


@dataclass(frozen=True)
class NetworkDrawing:
    """How one network is drawn: its layout, whether it is directed and, without layers, why."""

    layout: GraphLayout
    directed: bool
    note: str | None


def network_drawing(network_id: str) -> NetworkDrawing:
    """:func:`network_layout`, falling back to a force-directed layout when no layering exists.

    A directed graph with a cycle has no layers; it is still drawn (spring layout, fixed seed)
    with a note saying so.
    """
    return _network_drawing(*_key(), network_id)


@dataclass(frozen=True)
class NetworkDetails:
    """What the network viewer shows beside the drawing."""

    features: dict[str, float]
    generator_params: dict
    lineage: pl.DataFrame


def network_details(network_id: str, study: str) -> NetworkDetails:
    """Features (from the meta-dataset of ``study``), generator parameters and lineage."""
    return _network_details(*_key(), network_id, study)


def _canonical(value: object) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _runs_columns(db: str, stamp: tuple[int, ...]) -> dict[str, str]:
    return queries.meta_dataset_columns(db)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=128)
def _runs_page(
    db: str,
    stamp: tuple[int, ...],
    studies: tuple[str, ...] | None,
    filters: tuple[queries.RunFilter, ...],
    sort: str | None,
    descending: bool,
    limit: int,
    offset: int,
) -> tuple[pl.DataFrame, int]:
    return queries.runs_page(
        db, studies=studies, filters=filters, sort=sort, descending=descending,
        limit=limit, offset=offset,
    )  # fmt: skip


@st.cache_data(ttl=CACHE_TTL, show_spinner="Drawing the network …", max_entries=64)
def _network_drawing(db: str, stamp: tuple[int, ...], network_id: str) -> NetworkDrawing:
    from app.dashboard.graph_layout import spring_positions
    from models.dag import CyclicGraphError

    graph = queries.load_graph(db, network_id=network_id)
    try:
        return NetworkDrawing(layered_positions(graph), graph.is_directed(), None)
    except CyclicGraphError as exc:
        note = f"No layers: {exc} Drawn with a force-directed layout instead."
        return NetworkDrawing(spring_positions(graph), graph.is_directed(), note)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=256)
def _network_details(
    db: str, stamp: tuple[int, ...], network_id: str, study: str
) -> NetworkDetails:
    meta = _meta_dataset(db, stamp, study)
    row = meta.frame.filter(pl.col("network_id") == network_id)
    features = {}
    if row.height:
        values = row.row(0, named=True)
        features = {f: values[f] for f in meta.features if values[f] is not None}
    return NetworkDetails(
        features=features,
        generator_params=queries.network_generator_params(db, network_id=network_id),
        lineage=queries.network_lineage(db, network_id=network_id),
    )
