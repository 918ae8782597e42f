"""Correlations: every structural feature against a performance metric, per group."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.correlation import CORRELATION_METHODS
from app.dashboard import data, widgets

# method -> (coefficient, p-value, adjusted p-value) columns of correlation_table
_COLUMNS = {
    "pearson": ("pearson_r", "pearson_p", "pearson_p_adj"),
    "spearman": ("spearman_rho", "spearman_p", "spearman_p_adj"),
}
_ALL_GROUPS = "All groups"

st.title("Correlations")
meta = widgets.require_meta_dataset()

left, middle, right = st.columns(3)
with left:
    target = widgets.target_picker(meta, key="correlations_target")
with middle:
    by = widgets.group_picker(meta, key="correlations_by")
with right:
    method = st.radio("Method", CORRELATION_METHODS, horizontal=True, key="correlations_method")

table = data.correlations(target=target, by=by, study=widgets.current_study())
if by is not None:
    groups = table["group"].unique(maintain_order=True).to_list()
    shown = st.selectbox("Show group", [_ALL_GROUPS, *groups], key="correlations_group")
    if shown != _ALL_GROUPS:
        table = table.filter(pl.col("group") == shown)

coefficient, p_value, p_adjusted = _COLUMNS[method]
view = table.select("group", "feature", "n", coefficient, p_value, p_adjusted)

styled = (
    view.to_pandas()
    .style.map(widgets.correlation_heat, subset=[coefficient])
    .format("{:.3f}", subset=[coefficient], na_rep="–")
    .format("{:.2e}", subset=[p_value, p_adjusted], na_rep="–")
)
st.caption(
    f"{method.capitalize()} correlation of each feature with **{target}**; p-values adjusted "
    "for the features of a group with Benjamini–Hochberg."
)
st.dataframe(styled, hide_index=True)

points = view.rename({coefficient: "coefficient"}).drop_nans("coefficient")
colour = alt.Color(
    "coefficient:Q",
    title=coefficient,
    scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True),
)
tooltip = ["group", "feature", "n", alt.Tooltip("coefficient:Q", title=coefficient, format=".3f")]
if by is None:  # one group: diverging bars
    chart = (
        alt.Chart(points)
        .mark_bar()
        .encode(
            x=alt.X("coefficient:Q", title=coefficient, scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("feature:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            color=colour,
            tooltip=tooltip,
        )
    )
else:  # feature x group heatmap
    cells = alt.Chart(points).encode(
        x=alt.X("group:N", title=by, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("feature:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
    )
    chart = cells.mark_rect().encode(color=colour, tooltip=tooltip) + cells.mark_text(
        fontSize=11
    ).encode(text=alt.Text("coefficient:Q", format=".2f"))
st.altair_chart(chart, width="stretch")
