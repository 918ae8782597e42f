"""Compare studies: what differs in their configurations, their results and correlations."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.correlation_notes import SIGNIFICANCE_LEVEL, annotate_correlations
from app.dashboard import browse, data, widgets

st.title("Compare studies")
widgets.require_warehouse()
ids = data.studies()["id"].to_list()  # newest first
labels = data.study_labels()
chosen = st.multiselect("Studies", ids, default=ids[:2], key="compare_studies",
                        format_func=lambda study: labels.get(study, study))  # fmt: skip
if len(chosen) < 2:
    st.info("Pick two or more studies to compare.")
    st.stop()

st.subheader("Configuration: only what differs")
differing = browse.config_differences(chosen)
if differing:
    rows = [{"key": key, **{s: widgets.config_text(values[s]) for s in chosen}}
            for key, values in differing.items()]  # fmt: skip
    st.dataframe(pl.DataFrame(rows), hide_index=True)
else:
    st.success("Their configurations are identical.")

meta = widgets.require_meta_dataset(study=None)
target = widgets.target_picker(meta, key="compare_target")
runs = meta.frame.filter(pl.col("study_id").is_in(chosen)).select(
    "study_id", "name", pl.col(target).cast(pl.Float64).alias("value")
).filter(pl.col("value").is_finite())  # fmt: skip
missing = [s for s in chosen if s not in set(runs["study_id"])]
if missing:
    st.warning(f"Without `{target}`: {', '.join(missing)}.")
if runs.height == 0:
    st.stop()

st.subheader(f"{target} per study")
base = alt.Chart(runs).encode(
    x=alt.X("value:Q", title=target, scale=alt.Scale(zero=False)),
    color=alt.Color("study_id:N", title="Study", scale=alt.Scale(scheme="tableau10")),
)
density = (
    base.transform_density("value", groupby=["study_id"], as_=["value", "density"])
    .mark_area(opacity=0.35)
    .encode(y=alt.Y("density:Q", title="Density"))
)
ticks = base.mark_tick(thickness=2, size=14, opacity=0.8).encode(
    y=alt.value(0), tooltip=["study_id", "name", "value"]
)  # fmt: skip
st.altair_chart(density + ticks, width="stretch")
sizes = runs.group_by("study_id", maintain_order=True).agg(
    pl.len().alias("n"), pl.col("value").mean().alias("mean"), pl.col("value").std().alias("std")
)
st.dataframe(sizes, hide_index=True)

st.subheader(f"Correlation with {target}, per study")
table = data.correlations(target=target, by="study_id")
table = annotate_correlations(table.filter(pl.col("group").is_in(chosen)), meta.frame,
                              target=target, by="study_id")  # fmt: skip
st.dataframe(widgets.correlation_matrix(table), hide_index=True)
st.caption(f"Pearson r within each study (columns); `*`: Benjamini–Hochberg adjusted p < "
           f"{SIGNIFICANCE_LEVEL} within the study.")  # fmt: skip
widgets.download_csv(table, "compare", *chosen, target)
