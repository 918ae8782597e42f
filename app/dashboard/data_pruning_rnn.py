"""Cached, read-only data of the "Recurrent pruning" page (study kind ``prune-rnn``).

Same cache keys as :mod:`app.dashboard.data` (warehouse path and file stamp): a study that
lands more runs shows up on the next rerun.
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.rnn_pruning import accuracy_curves, safe_compression
from app.dashboard.data import CACHE_TTL, cache_key
from warehouse import queries
from warehouse.queries_pruning_rnn import rnn_pruning_steps, rnn_pruning_studies

__all__ = ["curves", "safe", "steps", "structure", "studies"]


def studies() -> list[str]:
    """Ids of the studies with recurrent pruning runs, newest first."""
    return _studies(*cache_key())


def steps(study: str) -> pl.DataFrame:
    """Every step network of ``study`` (:func:`rnn_pruning_steps`)."""
    return _steps(*cache_key(), study)


def curves(study: str) -> pl.DataFrame:
    """Accuracy vs p over seeds, with ``low`` / ``high`` = mean ∓ std (the band)."""
    frame = accuracy_curves(steps(study))
    spread = pl.col("acc_std").fill_null(0.0)
    return frame.with_columns(low=pl.col("acc_mean") - spread, high=pl.col("acc_mean") + spread)


def safe(study: str, tolerance: float) -> pl.DataFrame:
    """Safe compression per cell and target (:func:`analytics.rnn_pruning.safe_compression`)."""
    return safe_compression(steps(study), tolerance=tolerance)


def structure(network_id: str) -> pl.DataFrame:
    """Surviving connections of a step per layer and kind (``i2h`` / ``h2h``; readout left
    out): ``layer``, ``kind``, ``connections``."""
    return _structure(*cache_key(), network_id)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _studies(db: str, stamp: tuple[int, ...]) -> list[str]:
    return rnn_pruning_studies(db)["study_id"].to_list()


@st.cache_data(ttl=CACHE_TTL, show_spinner=False)
def _steps(db: str, stamp: tuple[int, ...], study: str) -> pl.DataFrame:
    return rnn_pruning_steps(db, study=study)


@st.cache_data(ttl=CACHE_TTL, show_spinner=False, max_entries=64)
def _structure(db: str, stamp: tuple[int, ...], network_id: str) -> pl.DataFrame:
    graph = queries.load_graph(db, network_id=network_id)
    layer = dict(graph.nodes(data="layer"))
    hidden = {v for v, role in graph.nodes(data="role") if role == "hidden"}
    rows = [
        (layer[v], "h2h" if recurrent else "i2h")
        for u, v, recurrent in graph.edges(data="recurrent", default=False)
        if v in hidden
    ]
    frame = pl.DataFrame(rows, schema={"layer": pl.Int64, "kind": pl.String}, orient="row")
    return frame.group_by("layer", "kind").len("connections").sort("layer", "kind")
