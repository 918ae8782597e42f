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
from analytics.correlation_intervals import (
    correlation_intervals as analytics_correlation_intervals,
)
from analytics.meta_dataset import MetaDataset, load_meta_dataset
from analytics.regressors import cross_validated_predictions
from app.dashboard import live
from app.dashboard.graph_layout import GraphLayout, layered_positions
from app.dashboard.live import LiveStudy
from app.dashboard.study_labels import study_labels as study_labels_of
from warehouse import queries, sql_box
from warehouse.connection import resolve_db_path
from warehouse.errors import WarehouseError, WarehouseLockedError, WarehouseMissingError

__all__ = [
    "BOOTSTRAP_RESAMPLES",
    "CACHE_TTL",
    "WarehouseStatus",
    "correlation_intervals",
    "correlations",
    "counts",
    "db_path",
    "group_columns",
    "live_studies",
    "meta_dataset",
    "network_layout",
    "network_metrics",
    "networks",
    "predictions",
    "run_sql",
    "running_studies",
    "status",
    "studies",
    "study_labels",
]

# Resamples of the bootstrap intervals a page asks for.
BOOTSTRAP_RESAMPLES = 1000

# Seconds a cached result lives at most; the file stamp in every key already catches new data.
CACHE_TTL = 600

# The last table counts read per warehouse, shown while a writer holds the file.
_LAST_COUNTS: dict[str, dict[str, int]] = {}

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
    busy:
        True when a writer (a study landing networks) held the file too long to read it now;
        ``counts`` are then the last ones read, not an error.
    """

    path: Path
    counts: dict[str, int] | None
    error: str | None
    missing: bool
    busy: bool = False

    @property
    def empty(self) -> bool:
        """True when the warehouse is readable but holds no network."""
        return self.counts is not None and self.counts["networks"] == 0


def db_path() -> Path:
    """The absolute path of the warehouse the dashboard reads (``$SPARSESCOPE_DB``)."""
    return resolve_db_path(None).resolve()


def status() -> WarehouseStatus:
    """Check that the warehouse exists and is readable; never raises a warehouse error.

    While a writer holds the file, the last counts read are returned with ``busy`` set (an
    error only when nothing was ever read), so a page refreshing during a study never shows a
    lock error and its counts never go down.
    """
    path = db_path()
    if not path.exists():
        return WarehouseStatus(path, None, f"No warehouse at {path}.", missing=True)
    try:
        current = counts()
    except WarehouseMissingError as exc:  # removed between the check and the read
        return WarehouseStatus(path, None, str(exc), missing=True)
    except WarehouseLockedError as exc:
        last = _LAST_COUNTS.get(str(path))
        error = None if last is not None else str(exc)
        return WarehouseStatus(path, last, error, missing=False, busy=True)
    except WarehouseError as exc:
        return WarehouseStatus(path, None, str(exc), missing=False)
    _LAST_COUNTS[str(path)] = current
    return WarehouseStatus(path, current, None, missing=False)


def live_studies() -> dict[str, LiveStudy]:
    """Progress of every study with a driver status file (:mod:`app.dashboard.live`)."""
    return live.live_studies(db_path())


def running_studies() -> tuple[str, ...]:
    """Ids of the studies a driver runs right now, sorted."""
    return tuple(sorted(i for i, study in live_studies().items() if study.running))


def study_labels() -> dict[str, str]:
    """``{study id: readable label}`` (:mod:`app.dashboard.study_labels`), running ones marked."""
    from app.dashboard.browse import config_differences

    return study_labels_of(studies(), live_studies(), differing=config_differences())


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


def correlation_intervals(
    *, target: str, by: str | None = None, study: str | None = None, method: str = "pearson"
) -> pl.DataFrame:
    """Bootstrap 95% intervals of each feature's correlation with ``target`` (cached).

    :func:`analytics.correlation_intervals.correlation_intervals` with
    :data:`BOOTSTRAP_RESAMPLES` resamples, seed 0: ``group, feature, n, low, high``.
    """
    return _correlation_intervals(*_key(), target, by, study, method)


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
    the Regressors page scores each group on its own), so a point's prediction comes from a
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


@st.cache_data(ttl=CACHE_TTL, show_spinner="Bootstrapping correlations …", max_entries=32)
def _correlation_intervals(
    db: str, stamp: tuple[int, ...], target: str, by: str | None, study: str | None, method: str
) -> pl.DataFrame:
    meta = _meta_dataset(db, stamp, study)
    meta.require_target(target)
    meta.require_group(by)
    return analytics_correlation_intervals(
        meta.frame, target=target, features=meta.features_for(target), by=by, method=method,
        n_resamples=BOOTSTRAP_RESAMPLES,
    )  # fmt: skip


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


# --- shared with app.dashboard.browse (its cached bodies key on the same stamp) ----------------


def cache_key() -> tuple[str, tuple[int, ...]]:
    """``(path, stamp)`` for modules that cache more warehouse data (app.dashboard.browse)."""
    return _key()


def cached_meta_dataset(db: str, stamp: tuple[int, ...], study: str | None) -> MetaDataset:
    """The cached meta-dataset for a ``(path, stamp)`` from :func:`cache_key`."""
    return _meta_dataset(db, stamp, study)
