"""Altair charts shared by the dashboard pages (pure: data in, chart out)."""

from __future__ import annotations

import altair as alt
import polars as pl

from app.dashboard.graph_layout import GraphLayout, arrow_heads

__all__ = [
    "ASSUMED_WIDTH",
    "correlation_chart",
    "network_chart",
    "padded",
    "parallel_chart",
    "parallel_coordinates",
]

# Pixels the network chart is assumed to span: Altair cannot know a stretched chart's width,
# and arrow heads are rotated for it.
ASSUMED_WIDTH = 900


def padded(values: pl.Series, *, fraction: float = 0.05) -> list[float]:
    """An axis domain around ``values`` with ``fraction`` of their span added on each side.

    Points on the extremes are then drawn whole instead of half clipped; a constant series gets
    ±0.5 (or ±5 % of its magnitude when larger).

    >>> padded(pl.Series([0.0, 10.0]))
    [-0.5, 10.5]
    """
    low, high = float(values.min()), float(values.max())
    span = high - low
    pad = fraction * span if span > 0 else max(0.5, abs(low) * fraction)
    return [low - pad, high + pad]


def network_chart(layout: GraphLayout, *, directed: bool, layered: bool) -> alt.LayerChart:
    """Edges as lines, vertices coloured by degree, and arrow heads when ``directed``.

    ``layered``: x is the layer (integer ticks); otherwise both axes are free coordinates.
    """
    nodes = layout.nodes
    widest = nodes.group_by("layer").len()["len"].max() if layered else 0
    height = int(min(800, max(300, 22 * widest))) if layered else 500
    if layered:
        reach = (widest - 1) / 2 + 0.5
        x_domain, y_domain = [-0.5, layout.depth - 0.5], [-reach, reach]
        axis = alt.Axis(tickMinStep=1, format="d")
        x = alt.X("x:Q", title="Layer", scale=alt.Scale(domain=x_domain), axis=axis)
    else:
        x_domain, y_domain = padded(nodes["x"]), padded(nodes["y"])
        x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=x_domain))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=y_domain))
    edges = alt.Chart(layout.edges).mark_rule(opacity=0.35, color="#888").encode(
        x, y, x2="x2", y2="y2"
    )  # fmt: skip
    vertices = alt.Chart(nodes).mark_circle(size=90, opacity=1.0).encode(
        x, y, color=alt.Color("degree:Q", scale=alt.Scale(scheme="viridis")),
        tooltip=["node", "layer", "degree"],
    )  # fmt: skip
    chart = edges + vertices
    if directed and layout.edges.height:
        heads = arrow_heads(
            layout.edges,
            x_pixels=ASSUMED_WIDTH / (x_domain[1] - x_domain[0]),
            y_pixels=height / (y_domain[1] - y_domain[0]),
        )
        chart += alt.Chart(heads).mark_point(
            shape="triangle-right", filled=True, size=70, color="#555", opacity=0.8
        ).encode(x, y, angle=alt.Angle("angle:Q", scale=None),
                 tooltip=["source", "target"])  # fmt: skip
    return chart.properties(height=height)


def correlation_chart(points: pl.DataFrame, *, coefficient: str, by: str | None) -> alt.Chart:
    """Diverging bars (one group) or a feature × group heatmap of ``points``' coefficients.

    ``points`` has ``group, feature, n, coefficient`` and ``mark`` ("*" when significant); the
    heatmap's cell text is the coefficient followed by its mark.
    """
    colour = alt.Color(
        "coefficient:Q",
        title=coefficient,
        scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True),
    )
    tooltip = ["group", "feature", "n", alt.Tooltip("coefficient:Q", title=coefficient,
               format=".3f"), "mark"]  # fmt: skip
    if by is None:
        return alt.Chart(points).mark_bar().encode(
            x=alt.X("coefficient:Q", title=coefficient, scale=alt.Scale(domain=[-1, 1])),
            y=alt.Y("feature:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
            color=colour, tooltip=tooltip,
        )  # fmt: skip
    labelled = points.with_columns(
        label=pl.col("coefficient").round(2).cast(pl.String) + pl.col("mark")
    )
    cells = alt.Chart(labelled).encode(
        x=alt.X("group:N", title=by, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("feature:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
    )
    return cells.mark_rect().encode(color=colour, tooltip=tooltip) + cells.mark_text(
        fontSize=11
    ).encode(text="label:N")


def parallel_coordinates(frame: pl.DataFrame, *, axes: list[str], target: str) -> pl.DataFrame:
    """``frame``'s rows folded to one row per (network, axis) for a parallel-coordinates chart.

    Each axis is scaled to [0, 1] by its own min and max (a constant axis sits at 0.5); the
    target's raw value rides along on every row as ``target_value`` so a brush on it can
    highlight whole lines. Columns: ``network_id, name, axis, value, scaled, target_value``.
    """
    parts = []
    for order, axis in enumerate(axes):
        values = frame.get_column(axis).cast(pl.Float64)
        low, high = values.min(), values.max()
        scaled = (values - low) / (high - low) if high > low else values * 0 + 0.5
        parts.append(frame.select(
            "network_id", "name", pl.lit(axis).alias("axis"), pl.lit(order).alias("order"),
            values.alias("value"), scaled.alias("scaled"),
            pl.col(target).cast(pl.Float64).alias("target_value"),
        ))  # fmt: skip
    return pl.concat(parts)


def parallel_chart(long: pl.DataFrame, *, axes: list[str], target: str) -> alt.VConcatChart:
    """A brushable strip of the target above parallel coordinates of ``long``'s axes.

    Dragging over the strip (selection ``brush``) keeps the lines of networks whose target lies
    in the brushed range coloured and greys out the rest.
    """
    brush = alt.selection_interval(name="brush", encodings=["x"], fields=["target_value"])
    colour = alt.Color("target_value:Q", title=target, scale=alt.Scale(scheme="viridis"))
    strip = (
        alt.Chart(long).transform_filter(alt.datum.axis == target)
        .mark_tick(thickness=2).encode(
            x=alt.X("target_value:Q", title=f"{target} (drag to brush)",
                    scale=alt.Scale(zero=False)),
            color=colour,
        ).add_params(brush).properties(height=60)
    )  # fmt: skip
    lines = alt.Chart(long).mark_line(opacity=0.5).encode(
        x=alt.X("axis:N", sort=axes, title=None, axis=alt.Axis(labelAngle=0, labelLimit=160)),
        y=alt.Y("scaled:Q", title="scaled to [0, 1] per axis"),
        detail="network_id:N",
        color=alt.condition(brush, colour, alt.value("lightgray")),
        tooltip=["name", "axis", "value", alt.Tooltip("target_value:Q", title=target)],
    ).properties(height=360)  # fmt: skip
    return alt.vconcat(strip, lines)
