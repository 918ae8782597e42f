"""Overview: what the warehouse holds — table counts, studies and their networks."""

from __future__ import annotations

import streamlit as st

from app.dashboard import data, widgets

st.title("sparsescope")
st.caption("The structure of sparse neural networks, and how it relates to their performance.")

counts = widgets.require_warehouse(networks=False)
for column, (table, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(table.capitalize(), f"{count:,}")

if counts["networks"] == 0:
    st.info(f"The warehouse is empty. {widgets.empty_warehouse_hint()}")
    st.stop()

st.subheader("Studies")
st.dataframe(
    data.studies(),
    hide_index=True,
    column_config={
        "id": "Study",
        "kind": "Kind",
        "created": st.column_config.DatetimeColumn("Created", format="YYYY-MM-DD HH:mm"),
        "config": st.column_config.TextColumn("Configuration", width="large"),
        "networks": st.column_config.NumberColumn("Networks"),
    },
)

study = widgets.current_study()
networks = data.networks(study)
st.subheader(f"Networks of {study}" if study else "Networks")
shown = 1000
st.dataframe(networks.head(shown), hide_index=True)
if networks.height > shown:
    st.caption(f"Showing {shown:,} of {networks.height:,} networks; use the SQL page for the rest.")
