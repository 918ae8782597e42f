"""Scatter: one structural feature against a performance metric, coloured by a group."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.trend import linear_trend
from app.dashboard import charts, widgets
from app.dashboard.auto_refresh import auto_refresh

st.title("Feature vs performance")
widgets.require_warehouse()
auto_refresh("scatter")
meta = widgets.require_meta_dataset()

left, middle, right = st.columns(3)
with left:
    feature = st.selectbox("Feature", meta.features, key="scatter_feature")
with middle:
    target = widgets.target_picker(meta, key="scatter_target")
with right:
    colour = widgets.group_picker(meta, key="scatter_colour", label="Colour by")

group = pl.col(colour).cast(pl.String).fill_null("(missing)") if colour else pl.lit("all")
selected = widgets.selected_networks()
# Fixed column names: feature names may hold '.', which Altair would read as nesting.
points = meta.frame.select(
    "network_id", "name", "study_id",
    pl.col(feature).cast(pl.Float64).alias("x"), pl.col(target).cast(pl.Float64).alias("y"),
    group.alias("group"), pl.col("network_id").is_in(selected).alias("selected"),
).filter(pl.col("x").is_finite() & pl.col("y").is_finite())  # fmt: skip
if points.height == 0:
    st.info(f"No network has both {feature!r} and {target!r}.")
    st.stop()

tooltip = ["name", "study_id", "group", alt.Tooltip("x:Q", title=feature),
           alt.Tooltip("y:Q", title=target)]  # fmt: skip
x = alt.X("x:Q", title=feature, scale=alt.Scale(domain=charts.padded(points["x"])))
y = alt.Y("y:Q", title=target, scale=alt.Scale(domain=charts.padded(points["y"])))
chart = (
    alt.Chart(points)
    .mark_circle(opacity=0.75)
    .encode(
        x,
        y,
        color=alt.Color(
            "group:N",
            title=colour or "",
            scale=alt.Scale(scheme="tableau10"),
            legend=alt.Legend() if colour else None,
        ),
        size=alt.condition("datum.selected", alt.value(160), alt.value(60)),
        stroke=alt.condition("datum.selected", alt.value("black"), alt.value(None)),
        tooltip=tooltip,
    )  # fmt: skip
)
trend = linear_trend(points["x"], points["y"])
if trend is not None:
    lo, hi = points["x"].min(), points["x"].max()
    line = pl.DataFrame({"x": [lo, hi], "y": [trend.slope * lo + trend.intercept,
                                               trend.slope * hi + trend.intercept]})  # fmt: skip
    chart += alt.Chart(line).mark_line(color="gray", strokeDash=[6, 3]).encode(x, y)
st.altair_chart(chart.interactive(), width="stretch")
summary = f"{widgets.count_noun(points.height, 'network')} with both values"
if trend is not None:
    summary += f"; dashed: least-squares line, Pearson r = {trend.r:.3f} (p = {trend.p:.2g})"
if selected:
    summary += f"; {points['selected'].sum()} selected in the Runs table drawn large, outlined"
st.caption(summary + ".")

names = dict(zip(points["network_id"], points["study_id"] + " / " + points["name"], strict=True))
pick, go = st.columns([3, 1], vertical_alignment="bottom")
chosen = pick.selectbox("Open a point's network", list(names), format_func=names.get,
                        key="scatter_open")  # fmt: skip
if go.button("Open in the network viewer", key="scatter_open_button"):
    st.session_state[widgets.OPEN_NETWORK] = chosen
    st.switch_page("views/network.py")
