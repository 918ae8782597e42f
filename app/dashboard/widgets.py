"""Controls and guards shared by the dashboard pages.

A page starts with :func:`require_warehouse` (or :func:`require_meta_dataset`), which shows a
friendly message and stops the page when there is nothing to show — a missing or empty warehouse,
no metrics or no features yet — so the rest of the page can assume data. The study chosen in the
sidebar (:func:`sidebar`, drawn by ``main.py`` on every page) filters every page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import streamlit as st

from analytics.meta_dataset import MetaDataset
from app.dashboard import data

__all__ = [
    "correlation_heat",
    "current_study",
    "group_picker",
    "require_meta_dataset",
    "require_warehouse",
    "sidebar",
    "target_picker",
]

_STUDY_KEY = "study"
_ALL_STUDIES = "All studies"
_NO_GROUPS = "(no grouping)"


def sidebar() -> None:
    """Warehouse path and the study filter, in the sidebar of every page."""
    state = data.status()
    with st.sidebar:
        st.caption(f"Warehouse: `{state.path}`")
        if state.counts is None or state.empty:
            return
        ids = data.studies()["id"].to_list()
        if st.session_state.get(_STUDY_KEY) not in (None, *ids):
            del st.session_state[_STUDY_KEY]  # the chosen study is gone
        st.selectbox(
            "Study",
            [None, *ids],
            key=_STUDY_KEY,
            format_func=lambda study: _ALL_STUDIES if study is None else study,
        )


def current_study() -> str | None:
    """The study chosen in the sidebar, ``None`` for all studies."""
    return st.session_state.get(_STUDY_KEY)


def require_warehouse(*, networks: bool = True) -> dict[str, int]:
    """Return the table counts, or show why there is nothing to show and stop the page.

    Parameters
    ----------
    networks:
        Also stop (with a hint how to add some) when the warehouse holds no network.
    """
    state = data.status()
    if state.missing:
        st.info(
            f"No warehouse at `{state.path}` yet. Create one with `sparsescope init`, or import "
            "data with `sparsescope import-graphs` / `sparsescope import-metadataset`."
        )
        st.stop()
    if state.error is not None:
        st.error(state.error)
        st.stop()
    if networks and state.empty:
        st.info(
            "The warehouse is empty. Import networks with `sparsescope import-graphs` or "
            "`sparsescope import-metadataset`, then reload this page."
        )
        st.stop()
    return state.counts


def require_meta_dataset() -> MetaDataset:
    """The meta-dataset of the chosen study; stops the page when it has no metrics or features."""
    require_warehouse()
    meta = data.meta_dataset(current_study())
    if not meta.metrics:
        st.info("No metrics are stored yet: train or import networks with their accuracy first.")
        st.stop()
    if not meta.features:
        st.info("No graph features are stored yet: compute them with `sparsescope features`.")
        st.stop()
    return meta


def target_picker(meta: MetaDataset, *, key: str, label: str = "Target metric") -> str:
    """A selectbox over the metric columns, preferring a test accuracy."""
    return st.selectbox(label, meta.metrics, index=_preferred(meta.metrics), key=key)


def group_picker(meta: MetaDataset, *, key: str, label: str = "Group by") -> str | None:
    """A selectbox over the grouping columns (cell, generator, ...), ``None`` for no grouping."""
    return st.selectbox(
        label,
        [None, *data.group_columns(meta)],
        key=key,
        format_func=lambda column: _NO_GROUPS if column is None else column,
    )


def correlation_heat(value: float | None) -> str:
    """CSS background for a correlation coefficient (for ``Styler.map``).

    Red for positive, blue for negative coefficients, stronger for larger ``|value|``; none for
    a missing or NaN coefficient.
    """
    if value is None or math.isnan(value):
        return ""
    rgb = "214, 39, 40" if value > 0 else "31, 119, 180"
    return f"background-color: rgba({rgb}, {0.1 + 0.6 * min(abs(value), 1.0):.2f})"


def _preferred(metrics: Sequence[str]) -> int:
    for i, name in enumerate(metrics):
        if "test" in name and "acc" in name:
            return i
    return 0


def require_run(run: bool, args: dict, *, key: str, hint: str) -> None:
    """Stop the page until **Run** was pressed for exactly these regressor settings.

    Fitting regressors is slow, so pages fit only on request; ``key`` remembers the settings
    of the last run in the session, and a changed setting asks for a new run.
    """
    if run:
        if not args["regressors"]:
            st.warning("Choose at least one regressor.")
            st.stop()
        st.session_state[key] = args
    if st.session_state.get(key) != args:
        st.info(hint)
        st.stop()
