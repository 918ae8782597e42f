"""Regressors: how well graph features predict a network's performance, and which matter."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.regressors import default_regressors, list_regressors
from app.dashboard import data, regressor_panel, widgets

_LAST_RUN = "regressors_last_run"
_TOP = 15  # features shown in the importance chart

st.title("Structural performance regressors")
st.caption(
    "CV R² (repeated K-fold), rank agreement of out-of-fold predictions, the paper's 90/10 "
    "split (`paper_r2`, scaled on all rows as the paper did), importances on request."
)
meta = widgets.require_meta_dataset()
study = widgets.current_study()
widgets.pooling_warning(study)

left, right = st.columns(2)
with left:
    target = widgets.target_picker(meta, key="regressors_target", measured_only=True)
    chosen = st.multiselect(
        "Regressors", list_regressors(), default=default_regressors(), key="regressors_names"
    )
with right:
    by = widgets.group_picker(meta, key="regressors_by")
    folds, repeats = st.columns(2)
    n_splits = folds.number_input("Folds", 2, 10, 5, key="regressors_folds")
    n_repeats = repeats.number_input("Repeats", 1, 10, 3, key="regressors_repeats")
    importance, bootstrap = st.columns(2)
    want_importances = importance.checkbox(
        "Permutation importances (slow)", key="regressors_importances"
    )
    want_bootstrap = bootstrap.checkbox("Bootstrap 95% intervals", key="regressors_bootstrap")
run = st.button("Run", type="primary")

args = {
    "target": target, "by": by, "regressors": tuple(chosen), "n_splits": int(n_splits),
    "n_repeats": int(n_repeats), "study": study, "importances": bool(want_importances),
    "bootstrap": bool(want_bootstrap),
}  # fmt: skip
shown = regressor_panel.last_run(
    run, args, key=_LAST_RUN,
    hint="Choose a target and regressors, then press **Run** (results are cached).",
)  # fmt: skip
fitted_meta = meta if shown["study"] == study else data.meta_dataset(shown["study"])
result = regressor_panel.fit_with_progress(fitted_meta, shown)
mean, std = pl.col("cv_r2_mean").round(3), pl.col("cv_r2_std").round(3)
scores = result.scores.with_columns(  # null, not "NaN ± NaN", for groups too small to fit
    cv_r2=pl.when(mean.is_not_nan()).then(pl.format("{} ± {}", mean, std))
)
intervals = [c for c in scores.columns if c.endswith(("_low", "_high"))]
st.subheader(f"R² predicting {shown['target']}")
st.dataframe(
    scores.select(
        "group", "regressor", "n", "cv_r2", "cv_r2_mean", "cv_r2_std", *intervals[:2],
        "paper_r2", "kendall_tau", "spearman_pred", "precision_at_10pct", *intervals[2:], "note",
    ),
    hide_index=True,
    column_config={
        "cv_r2": "CV R² (mean ± std)",
        "cv_r2_mean": st.column_config.NumberColumn("CV R² mean", format="%.3f"),
        "cv_r2_std": st.column_config.NumberColumn("CV R² std", format="%.3f"),
        "cv_r2_low": st.column_config.NumberColumn("CV R² 95% low", format="%.3f"),
        "cv_r2_high": st.column_config.NumberColumn("CV R² 95% high", format="%.3f"),
        "paper_r2": st.column_config.NumberColumn("Paper split R²", format="%.3f"),
        "kendall_tau": st.column_config.NumberColumn("Kendall τ", format="%.3f"),
        "spearman_pred": st.column_config.NumberColumn("Spearman ρ (pred)", format="%.3f"),
        "precision_at_10pct": st.column_config.NumberColumn("Precision@10%", format="%.2f"),
    },
)  # fmt: skip
if intervals:
    st.caption(
        f"95% percentile bootstrap intervals over {regressor_panel.BOOTSTRAP_RESAMPLES} "
        "resamples of the evaluated networks (models not refitted)."
    )

importances = result.importances
if not shown["importances"]:
    st.stop()
if importances.height == 0:
    st.info("No importances: no group had enough rows to fit a regressor.")
    st.stop()
st.subheader("Permutation importances")
if shown["by"] is not None:
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
