"""Network viewer: one stored network drawn by layers, its details and training curves."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app.dashboard import browse, charts, data, widgets
from models.dag import GraphStructureError

# Larger graphs are not drawn: the browser would choke on the chart's data.
_MAX_EDGES = 20_000

st.title("Network viewer")
widgets.require_warehouse()
networks = data.networks(widgets.current_study()).filter(pl.col("num_nodes").is_not_null())
if networks.height == 0:
    st.info("No network here has a stored graph (rows of an imported meta-dataset have none).")
    st.stop()

names = dict(zip(networks["network_id"], networks["study_id"] + " / " + networks["name"],
                 strict=True))  # fmt: skip
selected = [n for n in widgets.selected_networks() if n in names]  # from the Runs table
options = selected + [n for n in names if n not in selected]
opened = st.session_state.pop(widgets.OPEN_NETWORK, None)  # from the Scatter page
if opened in names:
    st.session_state["network_id"] = opened
network_id = st.selectbox("Network", options, format_func=names.get, key="network_id")
if selected:
    st.caption(f"The {widgets.count_noun(len(selected), 'network')} selected in Runs come first.")
summary = networks.filter(pl.col("network_id") == network_id).row(0, named=True)
if (summary["num_edges"] or 0) > _MAX_EDGES:
    st.info(f"{summary['num_edges']:,} edges are too many to draw (limit {_MAX_EDGES:,}).")
    st.stop()
try:
    drawing = browse.network_drawing(network_id)
except GraphStructureError as exc:  # e.g. a graph without vertices
    st.warning(f"This graph cannot be drawn: {exc}")
    st.stop()
layout, directed = drawing.layout, drawing.directed
if drawing.note:
    st.warning(drawing.note)
    how = "force-directed layout"
else:
    source = "stored" if layout.layers_stored else "computed from the DAG orientation"
    how = f"{layout.depth} layers ({source}); x = layer, y = position within the layer"
arrows = "; arrow heads point from source to target" if directed else " (undirected)"
st.caption(f"{layout.nodes.height:,} vertices, {layout.edges.height:,} edges, {how}{arrows}.")
chart = charts.network_chart(layout, directed=directed, layered=drawing.note is None)
st.altair_chart(chart.interactive(), width="stretch")

details = browse.network_details(network_id, summary["study_id"])
features, about = st.columns(2)
with features:
    st.subheader("Features")
    rows = pl.DataFrame({"feature": list(details.features),
                         "value": list(details.features.values())},
                        schema={"feature": pl.String, "value": pl.Float64})  # fmt: skip
    if rows.height:
        st.dataframe(rows, hide_index=True)
    else:
        st.caption("No feature stored.")
with about:
    st.subheader("Generator")
    st.write(f"`{summary['generator'] or 'none'}`, cell `{summary['cell'] or 'none'}`")
    st.json(details.generator_params or {}, expanded=True)
    st.subheader("Lineage")
    if details.lineage.height > 1:
        st.dataframe(details.lineage, hide_index=True)
    else:
        st.caption("No parent: this network was not derived from another.")

metrics = data.network_metrics(network_id)
curves = metrics.filter(pl.col("metric").str.contains("acc|loss"))  # shared 0-1-ish axis
others = metrics.filter(~pl.col("metric").str.contains("acc|loss"))  # wall_time, ...
if curves.height:
    st.subheader("Accuracy and loss")
    series = pl.when(pl.col("split") == "").then(pl.col("metric"))
    curves = curves.with_columns(series=series.otherwise(pl.col("split") + "_" + pl.col("metric")))
    st.altair_chart(alt.Chart(curves).mark_line(point=True).encode(
        x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")), y="value:Q",
        color=alt.Color("series:N", scale=alt.Scale(scheme="tableau10")),
        tooltip=["series", "epoch", "value"],
    ), width="stretch")  # fmt: skip
if others.height:
    st.subheader("Other metrics")
    st.dataframe(others, hide_index=True)
