"""Correlations: every structural feature against a performance metric, per group."""

from __future__ import annotations

import polars as pl
import streamlit as st

from analytics.chance import at_chance, chance_rule
from analytics.correlation import CORRELATION_METHODS
from analytics.correlation_notes import SIGNIFICANCE_LEVEL, annotate_correlations
from app.dashboard import charts, data, widgets

# method -> (coefficient, p-value, adjusted p-value) columns of correlation_table
_COLUMNS = {
    "pearson": ("pearson_r", "pearson_p", "pearson_p_adj"),
    "spearman": ("spearman_rho", "spearman_p", "spearman_p_adj"),
}
_ALL_GROUPS = "All groups"

st.title("Correlations")
meta = widgets.require_meta_dataset()
study = widgets.current_study()
widgets.pooling_warning(study)

left, middle, right = st.columns(3)
with left:
    target = widgets.target_picker(meta, key="correlations_target")
with middle:
    by = widgets.group_picker(meta, key="correlations_by")
with right:
    widgets.bind_query_param("correlations_method", "method", CORRELATION_METHODS)
    method = st.radio("Method", CORRELATION_METHODS, horizontal=True, key="correlations_method")
    st.query_params["method"] = method

measured = meta.frame.filter(pl.col(target).cast(pl.Float64).is_finite())
if measured.height == 0:
    where = f"study {study}" if study else "this warehouse"
    st.info(f"No network of {where} has `{target}`; choose another target metric.")
    st.stop()
chance = at_chance(meta.frame, target=target).sum()
if chance:
    st.warning(
        f"{widgets.count_noun(chance, 'network')} of {meta.frame.height:,} look stuck at "
        f"chance ({chance_rule(target)}); they are included below."
    )

table = data.correlations(target=target, by=by, study=study)
table = annotate_correlations(table, meta.frame, target=target, by=by)  # no n = 0 groups
if by is not None:
    groups = table["group"].unique(maintain_order=True).to_list()
    shown = st.selectbox("Show group", [_ALL_GROUPS, *groups], key="correlations_group")
    if shown != _ALL_GROUPS:
        table = table.filter(pl.col("group") == shown)

coefficient, p_value, p_adjusted = _COLUMNS[method]
view = table.select(
    "group", "feature", "n", coefficient, p_value, p_adjusted,
    pl.when(pl.col(f"{method}_significant")).then(pl.lit("*")).otherwise(pl.lit(""))
    .alias("significant"),
    "note",
)  # fmt: skip
intervals = []
if st.checkbox("Bootstrap 95% intervals", key="correlations_bootstrap"):
    bounds = data.correlation_intervals(target=target, by=by, study=study, method=method)
    view = view.join(bounds.select("group", "feature", ci_low="low", ci_high="high"),
                     on=["group", "feature"], how="left", maintain_order="left")  # fmt: skip
    view = view.select(*view.columns[:4], "ci_low", "ci_high", *view.columns[4:-2])
    intervals = ["ci_low", "ci_high"]
    st.caption(f"Percentile bootstrap over {data.BOOTSTRAP_RESAMPLES} resamples of the pairs.")
styled = (
    view.to_pandas()
    .style.map(widgets.correlation_heat, subset=[coefficient])
    .format("{:.3f}", subset=[coefficient, *intervals], na_rep="–")
    .format("{:.2e}", subset=[p_value, p_adjusted], na_rep="–")
)
st.caption(
    f"{method.capitalize()} correlation of each feature with **{target}**; n = networks with "
    "both values. p-values adjusted for the features of a group with Benjamini–Hochberg; "
    f"`*` marks an adjusted p < {SIGNIFICANCE_LEVEL}. A missing coefficient says why in `note`."
)
st.dataframe(styled, hide_index=True)
widgets.download_csv(view, "correlations", study or "all-studies", target, by, method)

points = view.rename({coefficient: "coefficient", "significant": "mark"}).drop_nans("coefficient")
chart = charts.correlation_chart(points, coefficient=coefficient, by=by)
st.altair_chart(chart, width="stretch")
