"""Cached, read-only data for the runs table, the study comparison and the network viewer.

The same contract as :mod:`app.dashboard.data` (whose cache key this module shares): pages call
these functions, which wrap :mod:`warehouse.queries` in :func:`streamlit.cache_data` keyed by
the warehouse path and file stamp, so new data shows up on the next rerun.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl
import streamlit as st

from app.dashboard import data
from app.dashboard.graph_layout import GraphLayout, layered_positions, spring_positions
from models.dag import CyclicGraphError
from warehouse import queries

CACHE_TTL = data.CACHE_TTL

__all__ = [
    "NetworkDetails",
    "NetworkDrawing",
    "config_differences",
    "network_details",
    "network_drawing",
    "runs_columns",
    "runs_page",
    "study_configs",
]


def runs_columns() -> dict[str, str]:
    """``{column: DuckDB type}`` of the meta-dataset view, in view order."""
    return _runs_columns(*data.cache_key())


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
    return _runs_page(*data.cache_key(), studies, filters, sort, descending, limit, offset)


def study_configs(ids: list[str] | None = None) -> dict[str, dict]:
    """``{study id: config}`` of ``ids`` (all studies when ``None``), parsed from JSON."""
    frame = data.studies()
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
    return _network_drawing(*data.cache_key(), network_id)


@dataclass(frozen=True)
class NetworkDetails:
    """What the network viewer shows beside the drawing."""

    features: dict[str, float]
    generator_params: dict
    lineage: pl.DataFrame


def network_details(network_id: str, study: str) -> NetworkDetails:
    """Features (from the meta-dataset of ``study``), generator parameters and lineage."""
    return _network_details(*data.cache_key(), network_id, study)


def _canonical(value: object) -> str:
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
    meta = data.cached_meta_dataset(db, stamp, study)
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
