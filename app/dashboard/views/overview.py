"""Overview: what the warehouse holds — table counts, studies with their live progress, networks.

With **Auto-refresh** on, the counts and studies redraw on their own while a study runs (every
5 s, backing off while the writer holds the file; not at all when nothing runs).
"""

from __future__ import annotations

import polars as pl
import streamlit as st

from app.dashboard import data, live, widgets
from app.dashboard.study_labels import studies_with_progress

_INTERVAL = "overview_refresh_seconds"  # the current auto-refresh interval (session state)

st.title("sparsescope")
st.caption("The structure of sparse neural networks, and how it relates to their performance.")
widgets.require_warehouse(networks=False)
auto = st.toggle("Auto-refresh while a study runs", value=False, key="overview_auto_refresh")

state, running = data.status(), data.running_studies()
interval = live.next_interval(
    st.session_state.get(_INTERVAL), running=auto and bool(running), busy=state.busy
)
st.session_state[_INTERVAL] = interval
if auto:
    st.caption(
        f"Refreshing every {interval:g} s." if interval else "Nothing runs: no refresh needed."
    )


@st.fragment(run_every=interval)
def overview() -> None:
    """The live part of the page; a change in what runs (or a busy file) redraws it all."""
    now = data.status()
    if now.counts is None:
        st.error(now.error)
        return
    if auto and (data.running_studies() != running or now.busy):
        st.rerun()  # a new interval: a study started or ended, or the writer holds the file
    for column, (table, count) in zip(st.columns(len(now.counts)), now.counts.items(), strict=True):
        column.metric(table.capitalize(), f"{count:,}")
    if now.busy:
        st.caption("A study is writing to the warehouse: counts as last read.")
    studies = studies_with_progress(data.studies(), data.live_studies())
    if studies.height:
        st.subheader("Studies")
        st.dataframe(
            studies,
            hide_index=True,
            column_config={
                "id": "Study", "kind": "Kind", "status": "Status", "progress": "Networks done",
                "time_left": "Time left",
                "networks": st.column_config.NumberColumn("Stored"),
                "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
                "config": st.column_config.TextColumn("Configuration", width="large"),
            },
        )  # fmt: skip
    if now.counts["networks"] == 0:
        st.info(f"The warehouse is empty. {widgets.empty_warehouse_hint()}")
        return
    study = widgets.current_study()
    networks = data.networks(study)
    st.subheader(f"Networks of {study}" if study else "Networks")
    pending = set(data.features_pending(study))
    if pending.intersection(networks["network_id"]):  # say which ones, and why
        widgets.features_pending_note(study)
        networks = networks.with_columns(
            features=pl.when(pl.col("network_id").is_in(list(pending)))
            .then(pl.lit("pending"))
            .otherwise(pl.lit("computed"))
        )
    shown = 1000
    st.dataframe(networks.head(shown), hide_index=True)
    if networks.height > shown:
        st.caption(f"Showing {shown:,} of {networks.height:,} networks; use the SQL page for more.")


overview()
