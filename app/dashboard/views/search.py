"""Search: the CNN architecture search (paper §4.4) — best accuracy found per training spent."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.nas_search import best_so_far, curve_summary
from app.dashboard import data, widgets
from warehouse.queries_nas import nas_studies, search_candidates

st.title("Architecture search")
st.caption(
    "Genetic search with and without a structural predictor, regularized evolution and random "
    "search, on the same budget of trained candidates. Only measured candidates count as found; "
    "predicted scores are shown apart, as predictions."
)
widgets.require_warehouse()
studies = nas_studies(data.db_path())
if not studies:
    st.info("No search study in this warehouse yet. Run `sparsescope study nas --preset demo`.")
    st.stop()
study = st.selectbox("Search study", studies, key="search_study")
candidates = search_candidates(data.db_path(), study=study)
curves = best_so_far(candidates)
summary = curve_summary(curves)

st.subheader("Best validation accuracy found vs trained candidates")
x = alt.X("query:Q", title="Trained candidates")
band = alt.Chart(summary).mark_area(opacity=0.15).encode(
    x, alt.Y("low:Q", scale=alt.Scale(zero=False)), alt.Y2("high:Q"), color="strategy:N"
)  # fmt: skip
line = alt.Chart(summary).mark_line().encode(
    x, alt.Y("mean:Q", title="Best measured validation accuracy (mean over seeds)"),
    color="strategy:N", tooltip=["strategy", "query", "mean", "low", "high", "runs"],
)  # fmt: skip
st.altair_chart(band + line, width="stretch")
st.caption("Line: mean over seeds; band: lowest to highest seed.")

st.subheader("Every candidate: measured vs predicted")
scored = candidates.with_columns(
    score=pl.coalesce("validation_acc", "validation_predicted_acc")
).select("name", "strategy", "scored_by", "query", "score", "test_acc")
points = alt.Chart(scored).mark_point(filled=True, size=30).encode(
    x, alt.Y("score:Q", title="Validation accuracy (measured) or prediction",
             scale=alt.Scale(zero=False)),
    color="strategy:N",
    shape=alt.Shape("scored_by:N", title="Scored by"),
    opacity=alt.condition("datum.scored_by == 'measured'", alt.value(0.9), alt.value(0.35)),
    tooltip=["name", "strategy", "scored_by", "query", "score", "test_acc"],
)  # fmt: skip
st.altair_chart(points, width="stretch")

st.subheader("Best measured candidate per run")
best = (
    curves.group_by("strategy", "seed").agg(pl.all().sort_by("query").last())
    .join(candidates.group_by("strategy", "seed").agg(
        (pl.col("scored_by") == "predicted").sum().alias("predicted")), on=["strategy", "seed"])
    .sort("strategy", "seed")
)  # fmt: skip
st.dataframe(
    best.select("strategy", "seed", pl.col("query").alias("trainings"), "predicted",
                "best_validation_acc", "best_test_acc"),
    hide_index=True,
)  # fmt: skip
