"""Network viewer: one stored network drawn by layers, and its training curves."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app.dashboard import data, widgets
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
network_id = st.selectbox("Network", list(names), format_func=names.get, key="network_id")
summary = networks.filter(pl.col("network_id") == network_id).row(0, named=True)
if (summary["num_edges"] or 0) > _MAX_EDGES:
    st.info(f"{summary['num_edges']:,} edges are too many to draw (limit {_MAX_EDGES:,}).")
    st.stop()
try:
    layout = data.network_layout(network_id)
except GraphStructureError as exc:
    st.warning(f"This graph cannot be drawn by layers: {exc}")
    st.stop()

source = "stored" if layout.layers_stored else "computed from the DAG orientation"
st.caption(
    f"{layout.nodes.height:,} vertices, {layout.edges.height:,} edges, {layout.depth} layers "
    f"({source}); x = layer, y = position within the layer."
)
widest = layout.nodes.group_by("layer").len()["len"].max()
reach = (widest - 1) / 2 + 0.5
x = alt.X("x:Q", title="Layer", scale=alt.Scale(domain=[-0.5, layout.depth - 0.5]),
          axis=alt.Axis(tickMinStep=1, format="d"))  # fmt: skip
y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=[-reach, reach]))
edges = alt.Chart(layout.edges).mark_rule(opacity=0.35, color="#888").encode(x, y, x2="x2", y2="y2")
nodes = (
    alt.Chart(layout.nodes)
    .mark_circle(size=90, opacity=1.0)
    .encode(
        x,
        y,
        color=alt.Color("degree:Q", scale=alt.Scale(scheme="viridis")),
        tooltip=["node", "layer", "degree"],
    )
)
height = int(min(800, max(300, 22 * widest)))
st.altair_chart((edges + nodes).properties(height=height).interactive(), width="stretch")

metrics = data.network_metrics(network_id)
if metrics.height:
    st.subheader("Metrics")
    curves = metrics.with_columns(
        series=pl.when(pl.col("split") == "")
        .then(pl.col("metric"))
        .otherwise(pl.col("split") + "_" + pl.col("metric"))
    )
    chart = (
        alt.Chart(curves)
        .mark_line(point=True)
        .encode(
            x=alt.X("epoch:Q", axis=alt.Axis(tickMinStep=1, format="d")),
            y="value:Q",
            color="series:N",
            tooltip=["series", "epoch", "value"],
        )
    )
    st.altair_chart(chart, width="stretch")
