"""Scatter: one structural feature against a performance metric, coloured by a group."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app.dashboard import widgets

st.title("Feature vs performance")
meta = widgets.require_meta_dataset()

left, middle, right = st.columns(3)
with left:
    feature = st.selectbox("Feature", meta.features, key="scatter_feature")
with middle:
    target = widgets.target_picker(meta, key="scatter_target")
with right:
    colour = widgets.group_picker(meta, key="scatter_colour", label="Colour by")

group = pl.col(colour).cast(pl.String).fill_null("(missing)") if colour else pl.lit("all")
# Fixed column names: feature names may hold '.', which Altair would read as nesting.
points = meta.frame.select(
    pl.col("name"),
    pl.col("study_id"),
    pl.col(feature).cast(pl.Float64).alias("x"),
    pl.col(target).cast(pl.Float64).alias("y"),
    group.alias("group"),
).filter(pl.col("x").is_finite() & pl.col("y").is_finite())
if points.height == 0:
    st.info(f"No network has both {feature!r} and {target!r}.")
    st.stop()

chart = (
    alt.Chart(points)
    .mark_circle(size=60, opacity=0.7)
    .encode(
        x=alt.X("x:Q", title=feature, scale=alt.Scale(zero=False)),
        y=alt.Y("y:Q", title=target, scale=alt.Scale(zero=False)),
        color=alt.Color("group:N", title=colour or "", legend=alt.Legend() if colour else None),
        tooltip=[
            "name",
            "study_id",
            "group",
            alt.Tooltip("x:Q", title=feature),
            alt.Tooltip("y:Q", title=target),
        ],
    )  # fmt: skip
    .interactive()
)
st.altair_chart(chart, width="stretch")
st.caption(f"{points.height:,} networks with both values.")
