"""Regressors: how well graph features predict a network's performance, and which matter."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.regressors import list_regressors
from app.dashboard import data, widgets

_LAST_RUN = "regressors_last_run"
_TOP = 15  # features shown in the importance chart

st.title("Structural performance regressors")
st.caption(
    "CV R² (repeated K-fold), rank agreement of out-of-fold predictions, the paper's 90/10 "
    "split (`paper_r2`, scaled on all rows as the paper did), importances on request."
)
meta = widgets.require_meta_dataset()

with st.form("regressors_form"):
    left, right = st.columns(2)
    with left:
        target = widgets.target_picker(meta, key="regressors_target")
        chosen = st.multiselect(
            "Regressors", list_regressors(), default=list_regressors(), key="regressors_names"
        )
    with right:
        by = widgets.group_picker(meta, key="regressors_by")
        folds, repeats = st.columns(2)
        n_splits = folds.number_input("Folds", 2, 10, 5, key="regressors_folds")
        n_repeats = repeats.number_input("Repeats", 1, 10, 3, key="regressors_repeats")
        want_importances = st.checkbox(
            "Permutation importances (slow)", value=False, key="regressors_importances"
        )
    run = st.form_submit_button("Run", type="primary")

args = {
    "target": target, "by": by, "regressors": tuple(chosen), "n_splits": int(n_splits),
    "n_repeats": int(n_repeats), "study": widgets.current_study(),
    "importances": bool(want_importances),
}  # fmt: skip
widgets.require_run(
    run, args, key=_LAST_RUN,
    hint="Choose a target and regressors, then press **Run** (results are cached).",
)  # fmt: skip

result = data.regressors(**args)
mean, std = pl.col("cv_r2_mean").round(3), pl.col("cv_r2_std").round(3)
scores = result.scores.with_columns(  # null, not "NaN ± NaN", for groups too small to fit
    cv_r2=pl.when(mean.is_not_nan()).then(pl.format("{} ± {}", mean, std))
)
st.subheader(f"R² predicting {target}")
st.dataframe(
    scores.select(
        "group",
        "regressor",
        "n",
        "cv_r2",
        "cv_r2_mean",
        "cv_r2_std",
        "paper_r2",
        "kendall_tau",
        "spearman_pred",
        "precision_at_10pct",
        "note",
    ),
    hide_index=True,
    column_config={
        "cv_r2": "CV R² (mean ± std)",
        "cv_r2_mean": st.column_config.NumberColumn("CV R² mean", format="%.3f"),
        "cv_r2_std": st.column_config.NumberColumn("CV R² std", format="%.3f"),
        "paper_r2": st.column_config.NumberColumn("Paper split R²", format="%.3f"),
        "kendall_tau": st.column_config.NumberColumn("Kendall τ", format="%.3f"),
        "spearman_pred": st.column_config.NumberColumn("Spearman ρ (pred)", format="%.3f"),
        "precision_at_10pct": st.column_config.NumberColumn("Precision@10%", format="%.2f"),
    },
)

importances = result.importances
if not args["importances"]:
    st.stop()
if importances.height == 0:
    st.info("No importances: no group had enough rows to fit a regressor.")
    st.stop()
st.subheader("Permutation importances")
if by is not None:
    groups = importances["group"].unique(maintain_order=True).to_list()
    group = st.selectbox("Group", groups, key="regressors_group")
    importances = importances.filter(pl.col("group") == group)
top = (
    importances.group_by("feature").agg(pl.col("importance_mean").max())
    .sort("importance_mean", descending=True).head(_TOP)["feature"]
)  # fmt: skip
importances = importances.filter(pl.col("feature").is_in(top.implode())).with_columns(
    low=pl.col("importance_mean") - pl.col("importance_std"),
    high=pl.col("importance_mean") + pl.col("importance_std"),
)
st.caption(
    f"The {top.len()} most important features (of {result.importances['feature'].n_unique()})."
)
base = alt.Chart(importances).encode(
    y=alt.Y("feature:N", sort=top.to_list(), title=None, axis=alt.Axis(labelLimit=260)),
    yOffset="regressor:N",
)
bars = base.mark_bar().encode(
    x=alt.X("importance_mean:Q", title="Drop in R² when permuted"),
    color="regressor:N",
    tooltip=["regressor", "feature", alt.Tooltip("importance_mean:Q", format=".4f"),
             alt.Tooltip("importance_std:Q", format=".4f")],
)  # fmt: skip
errors = base.mark_rule().encode(x="low:Q", x2="high:Q")
st.altair_chart((bars + errors).properties(height={"step": 9, "for": "offset"}), width="stretch")
