"""Recurrent pruning (paper §4.2): accuracy vs percent pruned per cell type and target, and the
surviving recurrent structure of a chosen step."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app.dashboard import charts, data, widgets
from app.dashboard import data_pruning_rnn as rnn
from app.reports.paper_values import PAPER_RNN_SAFE_PERCENT

st.title("Recurrent pruning")
st.caption(
    "Base RNNs (tanh, relu, LSTM, GRU) pruned input-to-hidden (i2h), hidden-to-hidden (h2h) or "
    "both at p % of each layer's weights (every p applied to the base model), then re-trained."
)
widgets.require_warehouse()
studies = rnn.studies()
if not studies:
    st.info("No recurrent pruning study yet: run `sparsescope study prune-rnn --preset demo`.")
    st.stop()
study = st.selectbox("Study", studies, key="rnn_study")
steps = rnn.steps(study)
cell = st.radio("Cell type", sorted(steps["cell"].unique().to_list()), horizontal=True,
                key="rnn_cell")  # fmt: skip
curves = rnn.curves(study).filter(pl.col("cell") == cell)
seeds = steps.filter(pl.col("cell") == cell)["seed"].n_unique()

st.subheader("Test accuracy vs percent pruned")
x = alt.X("percent:Q", title="p (% of the target's weights)")
color = alt.Color("retrain_epochs:O", title="Re-training epochs")
line = alt.Chart().mark_line(point=True).encode(
    x, alt.Y("acc_mean:Q", title="Test accuracy"), color,
    tooltip=["target", "percent", "retrain_epochs", "acc_mean", "acc_std", "n"],
)  # fmt: skip
band = alt.Chart().mark_area(opacity=0.2).encode(x, y="low:Q", y2="high:Q", color=color)
chart = alt.layer(band, line, data=curves).properties(width=240, height=240)
st.altair_chart(chart.facet(column=alt.Column("target:N", title="Target")))
st.caption(f"Mean over {widgets.count_noun(seeds, 'seed')}; band: ± one standard deviation.")

st.subheader("Safe compression")
tolerance = st.number_input("Tolerance (accuracy points)", 0.0, 20.0, 1.0, 0.5, key="rnn_tol")
safe = rnn.safe(study, tolerance / 100).filter(pl.col("cell") == cell)
paper = [PAPER_RNN_SAFE_PERCENT.get(t, {}).get(cell) for t in safe["target"]]
st.dataframe(
    safe.select("target", "safe_percent_mean", "safe_percent_std", "safe_percent_min",
                "safe_percent_max", "n").with_columns(paper=pl.Series(paper, dtype=pl.Float64)),
    hide_index=True,
)  # fmt: skip
st.caption(
    "Largest p whose accuracy without re-training — and that of every smaller p — stays "
    "within the tolerance of the base model, per seed; paper: §4.2's values."
)

st.subheader("Surviving recurrent structure")
left, middle, right = st.columns(3)
target = left.selectbox("Target", sorted(steps["target"].unique().to_list()), key="rnn_target")
seed = middle.selectbox("Seed", sorted(steps["seed"].unique().to_list()), key="rnn_seed")
chosen = steps.filter((pl.col("cell") == cell) & (pl.col("target") == target)
                      & (pl.col("seed") == seed) & (pl.col("retrain_epochs") == 0))  # fmt: skip
percent = right.selectbox("p", chosen["percent"].to_list(), key="rnn_percent")
step = chosen.filter(pl.col("percent") == percent).row(0, named=True)
st.dataframe(rnn.structure(step["network_id"]), hide_index=True)
st.caption(
    f"{step['name']}: {step['sparsity']:.1%} of the run's unit-pair connections pruned "
    f"({step['weight_sparsity']:.1%} of the target's weights); accuracy {step['acc_before']:.3f} "
    f"(base {step['base_acc']:.3f}). Hidden-to-hidden edges are the recurrent ones."
)
layout = data.network_layout(step["network_id"])
st.altair_chart(charts.network_chart(layout, directed=True, layered=True), width="stretch")
