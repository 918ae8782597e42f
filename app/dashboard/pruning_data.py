"""Cached, read-only data of the Pruning page (the contract of :mod:`app.dashboard.data`:
keyed by the warehouse path and file stamp, so new runs show up on the next rerun)."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app.dashboard import data
from warehouse import queries_pruning

__all__ = ["accuracy_curves", "layer_connections", "pruning_studies", "pruning_steps"]

FEED_FORWARD_KIND = "prune-ffn"  # the kind ingest/ffn_pruning_study.py gives its studies


def pruning_studies() -> pl.DataFrame:
    """Feed-forward pruning studies (``id, kind, runs``), newest first: a recurrent pruning
    study also holds pruning runs, but its steps have none of this page's settings."""
    return _studies(*data.cache_key())


def pruning_steps(study: str) -> pl.DataFrame:
    """Every step of every run of ``study`` (step 0 = the base) with its features."""
    return _steps(*data.cache_key(), study)


def accuracy_curves(steps: pl.DataFrame) -> pl.DataFrame:
    """Long rows for the accuracy chart: per (setting, scheme, method, step, when) the mean
    sparsity and the accuracy's mean, min and max over seeds (``when``: before / after
    re-training)."""
    long = steps.unpivot(
        index=["setting", "scheme", "method", "step", "sparsity", "seed"],
        on=["acc_before", "acc_after"], variable_name="when", value_name="accuracy",
    ).with_columns(pl.col("when").str.replace("acc_", ""))  # fmt: skip
    return (
        long.group_by("setting", "scheme", "method", "step", "when")
        .agg(
            pl.col("sparsity").mean(),
            pl.col("accuracy").mean().alias("mean"),
            pl.col("accuracy").min().alias("low"),
            pl.col("accuracy").max().alias("high"),
            pl.col("seed").n_unique().alias("seeds"),
        )
        .sort("setting", "scheme", "method", "when", "step")
    )


def layer_connections(network_id: str) -> pl.DataFrame:
    """Connections per layer pair of a step network and of its base."""
    return _layers(*data.cache_key(), network_id)


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False)
def _studies(db: str, stamp: tuple[int, ...]) -> pl.DataFrame:
    return queries_pruning.pruning_studies(db, kind=FEED_FORWARD_KIND)


@st.cache_data(ttl=data.CACHE_TTL, show_spinner="Reading pruning steps …", max_entries=16)
def _steps(db: str, stamp: tuple[int, ...], study: str) -> pl.DataFrame:
    steps = queries_pruning.pruning_steps(db, study=study)
    return steps.with_columns(
        pl.format("h{} lr{}", pl.col("hidden"), pl.col("learning_rate")).alias("setting")
    )


@st.cache_data(ttl=data.CACHE_TTL, show_spinner=False, max_entries=64)
def _layers(db: str, stamp: tuple[int, ...], network_id: str) -> pl.DataFrame:
    return queries_pruning.layer_connections(db, network_id=network_id)
