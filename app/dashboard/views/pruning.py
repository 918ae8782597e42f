"""Pruning: accuracy vs compression per method, structure along the path (paper §4.1)."""

from __future__ import annotations

import altair as alt
import polars as pl
import streamlit as st

from app.dashboard import pruning_data, widgets

st.title("Pruning")
st.caption("Every step of every pruning run is a network: its accuracy and its structure.")
widgets.require_warehouse()
studies = pruning_data.pruning_studies()["id"].to_list()
if not studies:
    st.info("No pruning study yet. Run `sparsescope study prune-ffn --preset demo`, then reload.")
    st.stop()
study = st.selectbox("Pruning study", studies, key="pruning_study")
steps = pruning_data.pruning_steps(study)
left, right = st.columns(2)
setting = left.selectbox("Architecture · learning rate", sorted(steps["setting"].unique()),
                         key="pruning_setting")  # fmt: skip
scheme = right.selectbox("Scheme", sorted(steps.filter(pl.col("step") > 0)["scheme"].unique()),
                         key="pruning_scheme")  # fmt: skip
chosen = steps.filter((pl.col("setting") == setting) & (pl.col("scheme") == scheme))

st.subheader("Accuracy vs compression")
curves = pruning_data.accuracy_curves(chosen)
x = alt.X("sparsity:Q", title="Sparsity (fraction of weights pruned)")
colour = alt.Color("method:N", title="Method")
dash = alt.StrokeDash("when:N", title="Re-training", sort=["after", "before"])
lines = alt.Chart().mark_line(point=True).encode(
    x=x, y=alt.Y("mean:Q", title="Test accuracy"), color=colour, strokeDash=dash,
    tooltip=["method", "when", "step", "sparsity", "mean", "low", "high", "seeds"],
)  # fmt: skip
bands = alt.Chart().mark_area(opacity=0.15).encode(x=x, y="low:Q", y2="high:Q", color=colour)
st.altair_chart(alt.layer(bands, lines, data=curves).properties(height=340))
st.caption(f"Mean over seeds; band: min–max over {chosen['seed'].n_unique()} seed(s).")

st.subheader("Structure of the surviving network")
features = [c for c in ("source_nodes", "sink_nodes", "degree_centrality_std", "edges",
                        "layers", "edge_betweenness_mean") if c in chosen.columns]  # fmt: skip
if not features:
    st.info("No graph features yet: run `sparsescope features`.")
else:
    feature = st.selectbox("Feature", features, key="pruning_feature")
    path = chosen.group_by("method", "step").agg(pl.col("sparsity").mean(), pl.col(feature).mean())
    st.altair_chart(
        alt.Chart(path.drop_nulls(feature))
        .mark_line(point=True)
        .encode(
            x=x,
            y=alt.Y(f"{feature}:Q", title=feature),
            color=colour,
            tooltip=["method", "step", "sparsity", feature],
        )
        .properties(height=300)  # fmt: skip
    )

st.subheader("Before and after: which layers lost the most")
runs = chosen.filter(pl.col("step") > 0).sort("method", "seed", "step")
labels = [f"{r['method']} · seed {r['seed']} · step {r['step']} ({r['sparsity']:.0%})"
          for r in runs.iter_rows(named=True)]  # fmt: skip
picked = st.selectbox("Step network", range(len(labels)), format_func=labels.__getitem__,
                      index=len(labels) - 1, key="pruning_network")  # fmt: skip
layers = pruning_data.layer_connections(runs["network_id"][picked])
st.dataframe(
    layers.with_columns(
        pl.format("{} → {}", "source_layer", "target_layer").alias("layers")
    ).select("layers", "base", "kept", "lost_fraction"),
    hide_index=True,
    column_config={
        "lost_fraction": st.column_config.ProgressColumn("lost", min_value=0, max_value=1)
    },
)
