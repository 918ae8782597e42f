"""Structural priors: RNNs shaped by random graphs (paper §4.3 — Figure 7 and Table 1)."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.correlation_notes import SIGNIFICANCE_LEVEL, annotate_correlations
from analytics.regressors import default_regressors, list_regressors
from app.dashboard import data, regressor_panel, widgets
from app.dashboard.auto_refresh import auto_refresh
from app.dashboard.study_picker import pick_study

_TARGET, _BY = "test_acc", "cell"  # the paper relates test accuracy to structure per cell type
_LAST_RUN = "priors_last_run"

st.title("Structural priors")
st.caption("Sparse RNNs whose structure is a random graph, trained on the Reber grammar.")
widgets.require_warehouse()
auto_refresh("priors")
studies = data.studies().filter(pl.col("kind") == "priors")["id"].to_list()  # newest first
if not studies:
    st.info(
        "No priors study in this warehouse yet. Run one with "
        "`sparsescope study priors --preset demo`, then reload this page."
    )
    st.stop()
study = pick_study("Priors study", studies, key="priors_study", param="priors_study")
meta = data.meta_dataset(study)
widgets.features_pending_note(study)
if _TARGET not in meta.metrics or not meta.features_for(_TARGET):
    st.info(f"Study {study} has no `{_TARGET}` or no graph features yet (`sparsescope features`).")
    st.stop()

st.subheader("Test accuracy by generator and cell type")
runs = meta.frame.select(  # fixed names: Altair reads '.' in a column name as nesting
    "name", *(pl.col(c).fill_null("(missing)") for c in (_BY, "generator")), pl.col(_TARGET)
).filter(pl.col(_TARGET).is_finite())
base = alt.Chart().encode(x=alt.X("generator:N", title=None), color=alt.Color("generator:N"))
boxes = base.mark_boxplot(opacity=0.4, outliers=False, size=36).encode(
    y=alt.Y(f"{_TARGET}:Q", title="Test accuracy", scale=alt.Scale(zero=False))
)
points = base.mark_circle(size=30, opacity=0.8).encode(  # a strip, jittered within the band
    y=f"{_TARGET}:Q", xOffset="jitter:Q", tooltip=["name", _BY, "generator", _TARGET]
).transform_calculate(jitter="random()")  # fmt: skip
boxplot = alt.layer(boxes, points, data=runs).properties(width=160, height=300)
st.altair_chart(boxplot.facet(column=alt.Column(f"{_BY}:N", title="Cell type")))

st.subheader("Pearson correlation with test accuracy (Table 1)")
table = annotate_correlations(  # cell types without a measured network are left out
    data.correlations(target=_TARGET, by=_BY, study=study), meta.frame, target=_TARGET, by=_BY
)
st.dataframe(widgets.correlation_matrix(table), hide_index=True, height="content")
st.caption(
    f"Features as rows, cell types as columns; {runs.height} networks of study {study}, n per "
    f"cell type: {widgets.group_sizes(table)}. `*`: Benjamini–Hochberg adjusted p < "
    f"{SIGNIFICANCE_LEVEL} within the cell type; a missing r says why (e.g. constant)."
)
widgets.download_csv(table, "table1", study, _TARGET, _BY, "pearson")
if st.checkbox("Bootstrap 95% intervals of r", key="priors_r_bootstrap"):
    bounds = data.correlation_intervals(target=_TARGET, by=_BY, study=study)
    intervals = table.select("group", "feature", "n", "pearson_r").join(
        bounds.select("group", "feature", "low", "high"), on=["group", "feature"], how="left",
        maintain_order="left",
    ).rename({"group": _BY})  # fmt: skip
    st.dataframe(
        intervals,
        hide_index=True,
        column_config={
            "pearson_r": st.column_config.NumberColumn("r", format="%.3f"),
            "low": st.column_config.NumberColumn("r 95% low", format="%.3f"),
            "high": st.column_config.NumberColumn("r 95% high", format="%.3f"),
        },
    )
    st.caption(
        f"Percentile bootstrap over {data.BOOTSTRAP_RESAMPLES} resamples of the networks of "
        "each cell type (seed 0); no interval where r is undefined."
    )
    widgets.download_csv(intervals, "table1-intervals", study, _TARGET, _BY, "pearson")

st.subheader("Predicting test accuracy from structure")
left, folds, repeats, bootstrap = st.columns([3, 1, 1, 1])
chosen = left.multiselect(
    "Regressors", list_regressors(), default=default_regressors(), key="priors_regressors"
)
n_splits = folds.number_input("Folds", 2, 10, 5, key="priors_folds")
n_repeats = repeats.number_input("Repeats", 1, 10, 3, key="priors_repeats")
want_bootstrap = bootstrap.checkbox("Bootstrap 95% intervals of R²", key="priors_r2_bootstrap")
run = st.button("Run", type="primary")
args = {
    "target": _TARGET, "by": _BY, "regressors": tuple(chosen), "n_splits": int(n_splits),
    "n_repeats": int(n_repeats), "study": study, "bootstrap": bool(want_bootstrap),
}  # fmt: skip
shown = regressor_panel.last_run(
    run, args, key=_LAST_RUN,
    hint="Choose regressors, then press **Run** (one model per cell type; results are cached).",
)  # fmt: skip
fitted = meta if shown["study"] == study else data.meta_dataset(shown["study"])
scores = regressor_panel.fit_with_progress(fitted, shown).scores.rename({"group": _BY})
r2_bounds = [c for c in ("cv_r2_low", "cv_r2_high") if c in scores.columns]
st.dataframe(
    scores.select(_BY, "regressor", "n", "cv_r2_mean", "cv_r2_std", *r2_bounds, "paper_r2", "note"),
    hide_index=True,
    column_config={
        "cv_r2_mean": st.column_config.NumberColumn("CV R² mean", format="%.3f"),
        "cv_r2_std": st.column_config.NumberColumn("± std", format="%.3f"),
        "cv_r2_low": st.column_config.NumberColumn("CV R² 95% low", format="%.3f"),
        "cv_r2_high": st.column_config.NumberColumn("CV R² 95% high", format="%.3f"),
        "paper_r2": st.column_config.NumberColumn("Paper split R²", format="%.3f"),
    },
)
if r2_bounds:
    st.caption(
        f"CV R² 95% intervals: percentile bootstrap over {regressor_panel.BOOTSTRAP_RESAMPLES} "
        "resamples of the out-of-fold predictions of each cell type (models not refitted)."
    )

regressor = st.selectbox(
    "Predicted vs actual, out of fold, for", shown["regressors"], key="priors_regressor"
)
fits = data.predictions(
    target=_TARGET, regressor=regressor, by=_BY, n_splits=shown["n_splits"], study=shown["study"]
).select("name", _BY, pl.col(_TARGET).alias("actual"), "predicted")
if fits.height == 0:
    st.info(
        f"No cell type has the {shown['n_splits']} networks needed for out-of-fold predictions."
    )
    st.stop()
span = pl.concat([fits["actual"], fits["predicted"]])
x = alt.X("actual:Q", title="Actual test accuracy", scale=alt.Scale(zero=False))
scatter = alt.Chart(fits).mark_circle(size=50, opacity=0.7).encode(
    x, alt.Y("predicted:Q", title="Predicted", scale=alt.Scale(zero=False)),
    color=f"{_BY}:N", tooltip=["name", _BY, "actual", "predicted"],
)  # fmt: skip
diagonal = alt.Chart(pl.DataFrame({"actual": [span.min(), span.max()]})).mark_line(
    color="gray", strokeDash=[4, 4]).encode(x, alt.Y("actual:Q", title="Predicted"))  # fmt: skip
st.altair_chart(scatter + diagonal, width="stretch")  # the dashed line is y = x
