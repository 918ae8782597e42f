"""Search: the CNN architecture search (paper §4.4) — best accuracy found per training spent,
per generation, the predictor's held-out quality, the best genotypes, and the NAS-Bench-Graph
table-search curves."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from analytics.nas_search import best_so_far, curve_summary, generation_summary
from analytics.nas_table_curves import curve_bands
from analytics.regressors.rank_metrics import kendall_tau
from app.dashboard import data, regressor_panel, widgets
from app.dashboard.genotype_chart import genotype_chart
from warehouse.queries import load_graph
from warehouse.queries_nas import (
    CANDIDATE_FAMILY,
    nas_studies,
    search_candidates,
    table_search_runs,
)

_TARGET = "validation_acc"
_BEST_SHOWN = 3


def table_search_section() -> None:
    """Queries vs best found on NAS-Bench-Graph, per strategy, with bootstrap CI bands."""
    st.header("NAS-Bench-Graph: queries vs best found")
    runs = table_search_runs(data.db_path())
    if runs.is_empty():
        st.info("No table-search runs stored. Run `benchmarks/bench_nas_table_search.py "
                "--store <warehouse>`.")  # fmt: skip
        return
    dataset = st.selectbox("Data set", sorted(set(runs["dataset"])), key="table_dataset")
    runs = runs.filter(pl.col("dataset") == dataset)
    tops = sorted(set(runs["top_fraction"]))
    top = st.selectbox("Runs stopped at the top fraction", tops, key="table_top",
                       format_func=lambda t: f"top-{t:.1%}")  # fmt: skip
    bands = curve_bands(runs.filter(pl.col("top_fraction") == top))
    x = alt.X("query:Q", title="Queries (table look-ups)", scale=alt.Scale(type="log"))
    band = alt.Chart(bands).mark_area(opacity=0.15).encode(
        x, alt.Y("low:Q", scale=alt.Scale(zero=False)), alt.Y2("high:Q"), color="strategy:N"
    )  # fmt: skip
    line = alt.Chart(bands).mark_line().encode(
        x, alt.Y("mean:Q", title="Best valid_perf found (mean over seeds)"), color="strategy:N",
        tooltip=["strategy", "query", "mean", "low", "high", "runs"],
    )  # fmt: skip
    st.altair_chart(band + line, width="stretch")
    st.caption("Line: mean over seeded runs; band: 95% percentile-bootstrap interval over "
               "runs. Each run stops once it measures a top-fraction architecture and keeps "
               "that best afterwards. Predictor strategies count only measured look-ups as "
               "queries.")  # fmt: skip


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
    table_search_section()
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

st.subheader("Best and median per generation")
generations = generation_summary(candidates).unpivot(
    index=["strategy", "generation", "scored_by", "candidates"], on=["best", "median"],
    variable_name="statistic", value_name="score",
)  # fmt: skip
per_generation = alt.Chart(generations).mark_line(point=True).encode(
    alt.X("generation:Q", title="Generation", axis=alt.Axis(tickMinStep=1, format="d")),
    alt.Y("score:Q", title="Validation accuracy (measured) or prediction",
          scale=alt.Scale(zero=False)),
    color="strategy:N", strokeDash=alt.StrokeDash("scored_by:N", title="Scored by"),
    shape=alt.Shape("statistic:N", title="Statistic"),
    detail="statistic:N",
    tooltip=["strategy", "generation", "scored_by", "statistic", "score", "candidates"],
)  # fmt: skip
st.altair_chart(per_generation, width="stretch")
st.caption("Pooled over seeds. Solid: measured accuracies; dashed: the predictor's scores of "
           "candidates that were never trained (predictions, not accuracies).")  # fmt: skip

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

st.subheader("Predicted vs measured on held-out trained candidates")
st.caption("A predicted candidate was never trained, so its prediction has no accuracy to "
           "compare with. Instead every trained candidate is predicted by a regressor fitted on "
           "the other folds (5-fold, structural features only) — how well the predictor ranks "
           "architectures it has not seen.")  # fmt: skip
regressor = st.selectbox("Regressor", ["random_forest", "xgboost", "bayesian_ridge", "adaboost"],
                         key="search_regressor")  # fmt: skip
measured = candidates.filter(pl.col("scored_by") == "measured")
has_features = bool(data.meta_dataset(study).features_for(_TARGET))
if measured.height < 5 or not has_features:
    st.info(f"{measured.height} trained candidates"
            f"{'' if has_features else ' and no structural features'}: 5-fold held-out "
            "predictions need at least 5 trained candidates with features.")  # fmt: skip
else:
    held_out = data.predictions(target=_TARGET, regressor=regressor, study=study).filter(
        pl.col("family") == CANDIDATE_FAMILY
    )
    tau = kendall_tau(held_out[_TARGET].to_numpy(), held_out["predicted"].to_numpy())
    st.metric("Kendall τ (held-out)", f"{tau:.3f}", help=f"{held_out.height} trained candidates")
    scatter = alt.Chart(held_out.select("name", _TARGET, "predicted")).mark_point(filled=True)
    st.altair_chart(scatter.encode(
        alt.X(f"{_TARGET}:Q", title="Measured validation accuracy", scale=alt.Scale(zero=False)),
        alt.Y("predicted:Q", title="Predicted (out of fold)", scale=alt.Scale(zero=False)),
        tooltip=["name", _TARGET, "predicted"],
    ), width="stretch")  # fmt: skip

    if st.button("Compute permutation importances (slow)", key="search_importances"):
        result = regressor_panel.fit_with_progress(data.meta_dataset(study), {
            "target": _TARGET, "by": None, "regressors": (regressor,), "n_splits": 5,
            "n_repeats": 1, "study": study, "importances": True,
        })  # fmt: skip
        top = result.importances.sort("importance_mean", descending=True).head(15)
        if top.is_empty():
            st.info("No importances: the regressors need at least 10 trained candidates.")
        else:
            st.altair_chart(alt.Chart(top).mark_bar().encode(
                alt.X("importance_mean:Q", title="Drop in held-out R² when shuffled"),
                alt.Y("feature:N", sort="-x", title=None),
                tooltip=["feature", "importance_mean", "importance_std"],
            ), width="stretch")  # fmt: skip

st.subheader(f"The {_BEST_SHOWN} best trained genotypes")
for row in measured.sort(_TARGET, descending=True).head(_BEST_SHOWN).iter_rows(named=True):
    graph = load_graph(data.db_path(), network_id=row["network_id"])
    title = f"{row['name']}: validation {row[_TARGET]:.4f}, test {row['test_acc']:.4f}"
    st.altair_chart(genotype_chart(graph, title=title), width="stretch")

table_search_section()
