"""Parallel coordinates: chosen features against the target, one line per network, brushable."""

from __future__ import annotations

import polars as pl
import streamlit as st

from app.dashboard import charts, widgets

st.title("Parallel coordinates")
meta = widgets.require_meta_dataset()
left, right = st.columns([1, 3])
with left:
    target = widgets.target_picker(meta, key="parallel_target")
candidates = meta.features_for(target)
with right:
    features = st.multiselect("Features", candidates, default=candidates[:5],
                              key="parallel_features")  # fmt: skip
if not features:
    st.info("Choose at least one feature.")
    st.stop()

axes = [*features, target]
frame = meta.frame.select("network_id", "name", *axes).filter(
    pl.all_horizontal(pl.col(a).cast(pl.Float64).is_finite() for a in axes)
)
if frame.height == 0:
    st.info(f"No network has {target!r} and all chosen features.")
    st.stop()
long = charts.parallel_coordinates(frame, axes=axes, target=target)
event = st.altair_chart(charts.parallel_chart(long, axes=axes, target=target),
                        width="stretch", on_select="rerun", key="parallel_chart")  # fmt: skip
st.caption(
    f"{widgets.count_noun(frame.height, 'network')} with every value; each axis scaled to "
    f"[0, 1] by its own range, {target} last. Drag over the top strip to brush a range."
)
brushed = ((event.get("selection") or {}).get("brush") or {}).get("target_value")
if brushed:
    low, high = min(brushed), max(brushed)
    inside = frame.filter(pl.col(target).cast(pl.Float64).is_between(low, high))
    st.session_state[widgets.SELECTED_NETWORKS] = inside["network_id"].to_list()
    st.success(
        f"{widgets.count_noun(inside.height, 'network')} with {target} in [{low:.3g}, {high:.3g}] "
        "selected: the Scatter page highlights them and the Network viewer lists them first."
    )
    st.dataframe(inside, hide_index=True)
