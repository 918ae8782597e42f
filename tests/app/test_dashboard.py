"""The dashboard, driven with Streamlit's AppTest on warehouses built in a temporary directory.

Every value a page shows is checked against the backend called directly (correlation_table,
evaluate_regressors, queries.counts) or against networkx (the network viewer's layers).
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset
from analytics.regressors import evaluate_regressors
from app.dashboard.graph_layout import layered_positions
from models.dag import CyclicGraphError, EmptyGraphError
from warehouse import queries
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

RANDOM, DAGS = "random-graphs", "layered-dags"  # the study ids of tests/app/conftest.py
MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
PAGES = [
    "views/overview.py",
    "views/runs.py",
    "views/compare.py",
    "views/parallel.py",
    "views/correlations.py",
    "views/regressors.py",
    "views/scatter.py",
    "views/network.py",
    "views/search.py",
    "views/sql.py",
]


def open_app(monkeypatch, db: Path, page: str | None = None) -> AppTest:
    """Run the dashboard on ``db`` (and switch to ``page``); fail on any exception."""
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    if page is not None:
        app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def chart_datasets(app: AppTest, index: int = 0) -> list[pa.Table]:
    """The data tables of the ``index``-th Altair chart on the page."""
    chart = app.get("vega_lite_chart")[index]
    return [pa.ipc.open_stream(d.data.data).read_all() for d in chart.proto.datasets]


def network_datasets(app: AppTest) -> dict[str, pa.Table]:
    """The network chart's tables by role: ``edges``, ``nodes`` and (directed) ``heads``."""
    roles = {}
    for table in chart_datasets(app):
        names = set(table.column_names)
        roles["heads" if "angle" in names else "edges" if "x2" in names else "nodes"] = table
    return roles


def row_of(frame, **where):
    """The one row of a pandas frame matching all ``column=value`` pairs."""
    mask = True
    for column, value in where.items():
        mask = mask & (frame[column] == value)
    rows = frame[mask]
    assert len(rows) == 1, (where, rows)
    return rows.iloc[0]


def test_overview_counts_and_studies_match_the_warehouse(monkeypatch, dashboard_db):
    app = open_app(monkeypatch, dashboard_db.path)
    shown = {m.label.lower(): int(m.value.replace(",", "")) for m in app.metric}
    assert shown == queries.counts(dashboard_db.path)
    assert shown["networks"] == 30
    studies = app.dataframe[0].value
    assert dict(zip(studies["id"], studies["networks"], strict=True)) == {
        RANDOM: 24,
        DAGS: 6,
    }
    assert len(app.dataframe[1].value) == 30


def test_correlation_table_shows_the_values_of_correlation_table(monkeypatch, dashboard_db):
    app = open_app(monkeypatch, dashboard_db.path, "views/correlations.py")
    assert app.selectbox(key="correlations_target").value == "test_acc"
    meta = load_meta_dataset(dashboard_db.path)
    expected = correlation_table(
        meta.frame, target="test_acc", features=meta.features_for("test_acc")
    )
    shown = app.dataframe[0].value
    assert list(shown.columns) == [
        "group", "feature", "n", "pearson_r", "pearson_p", "pearson_p_adj", "significant", "note",
    ]  # fmt: skip
    assert sorted(shown["feature"]) == sorted(expected["feature"])
    for feature in ("density", "degree.mean", "nodes"):
        row = row_of(shown, feature=feature)
        reference = expected.row(by_predicate=pl.col("feature") == feature, named=True)
        assert row["n"] == reference["n"] == 30
        assert row["pearson_r"] == pytest.approx(reference["pearson_r"], rel=1e-12)
        assert row["pearson_p_adj"] == pytest.approx(reference["pearson_p_adj"], rel=1e-12)
    assert row_of(shown, feature="density")["pearson_r"] > 0.5  # built in by the fixture


def test_switching_target_group_method_and_shown_group(monkeypatch, dashboard_db):
    app = open_app(monkeypatch, dashboard_db.path, "views/correlations.py")
    app.selectbox(key="correlations_target").set_value("train_loss").run()
    app.selectbox(key="correlations_by").set_value("cell").run()
    app.radio(key="correlations_method").set_value("spearman").run()
    assert not app.exception
    meta = load_meta_dataset(dashboard_db.path)
    expected = correlation_table(
        meta.frame, target="train_loss", features=meta.features_for("train_loss"), by="cell"
    )
    shown = app.dataframe[0].value
    assert {"spearman_rho", "spearman_p_adj"} <= set(shown.columns)
    assert "pearson_r" not in shown.columns
    assert set(shown["group"]) == {"gru", "tanh"}
    for group in ("gru", "tanh"):
        row = row_of(shown, group=group, feature="density")
        reference = expected.filter(
            (expected["group"] == group) & (expected["feature"] == "density")
        ).row(0, named=True)
        assert row["spearman_rho"] == pytest.approx(reference["spearman_rho"], rel=1e-12)
        assert row["n"] == reference["n"]
    app.selectbox(key="correlations_group").set_value("gru").run()
    assert set(app.dataframe[0].value["group"]) == {"gru"}


def test_the_sidebar_study_filters_the_pages(monkeypatch, dashboard_db):
    app = open_app(monkeypatch, dashboard_db.path, "views/correlations.py")
    app.selectbox(key="study").set_value(DAGS).run()
    assert not app.exception
    assert set(app.dataframe[0].value["n"]) == {6}
    app.switch_page("views/network.py").run()
    assert len(app.selectbox(key="network_id").options) == 6


def test_network_viewer_draws_stored_layers(monkeypatch, dashboard_db):
    record = dashboard_db.records[DAGS][2]
    network_id = dashboard_db.network_id(DAGS, 2)
    app = open_app(monkeypatch, dashboard_db.path, "views/network.py")
    app.selectbox(key="network_id").set_value(network_id).run()
    assert not app.exception
    tables = network_datasets(app)
    edges, nodes, heads = tables["edges"], tables["nodes"], tables["heads"]
    assert edges.num_rows == heads.num_rows == record.graph.number_of_edges()
    layers = dict(zip(nodes["node"].to_pylist(), nodes["x"].to_pylist(), strict=True))
    assert layers == {str(v): layer for v, layer in record.graph.nodes(data="layer")}
    # One arrow head per directed edge, 3/4 of the way from the source's layer to the target's.
    columns = (heads[c].to_pylist() for c in ("source", "target", "x"))
    drawn = {(s, t): x for s, t, x in zip(*columns, strict=True)}
    assert set(drawn) == {(str(u), str(v)) for u, v in record.graph.edges}
    for (u, v), x in drawn.items():
        lu, lv = record.graph.nodes[int(u)]["layer"], record.graph.nodes[int(v)]["layer"]
        assert x == pytest.approx(lu + 0.75 * (lv - lu))
    assert "(stored)" in app.caption[0].value
    assert app.get("vega_lite_chart")[1]  # the metrics curve


def test_network_viewer_computes_layers_of_an_imported_graph(monkeypatch, dashboard_db):
    record = dashboard_db.records[RANDOM][5]
    network_id = dashboard_db.network_id(RANDOM, 5)
    app = open_app(monkeypatch, dashboard_db.path, "views/network.py")
    app.selectbox(key="network_id").set_value(network_id).run()
    assert not app.exception
    tables = network_datasets(app)
    edges, nodes = tables["edges"], tables["nodes"]
    assert "heads" not in tables  # an undirected graph has no arrow heads
    assert edges.num_rows == record.graph.number_of_edges()
    layers = dict(zip(nodes["node"].to_pylist(), nodes["x"].to_pylist(), strict=True))
    assert layers == {str(v): layer for v, layer in longest_path_layers(record.graph).items()}
    assert "computed" in app.caption[0].value


def longest_path_layers(graph: nx.Graph) -> dict[int, int]:
    """Reference: orient edges from smaller to larger id, layer = longest path from a source."""
    dag = nx.DiGraph()
    dag.add_nodes_from(graph)
    dag.add_edges_from((min(u, v), max(u, v)) for u, v in graph.edges)
    layer: dict[int, int] = {}
    for v in nx.topological_sort(dag):
        layer[v] = max((layer[u] + 1 for u in dag.predecessors(v)), default=0)
    return layer


def test_layered_positions_centres_each_layer():
    graph = nx.DiGraph([("a", "c"), ("b", "c"), ("c", "d")])
    layout = layered_positions(graph)
    positions = {row["node"]: (row["x"], row["y"]) for row in layout.nodes.iter_rows(named=True)}
    assert positions == {"a": (0, -0.5), "b": (0, 0.5), "c": (1, 0.0), "d": (2, 0.0)}
    assert layout.depth == 3 and not layout.layers_stored
    edge = layout.edges.filter(layout.edges["source"] == "c").row(0, named=True)
    assert (edge["x"], edge["y"], edge["x2"], edge["y2"]) == (1, 0.0, 2, 0.0)


def test_layered_positions_refuses_cycles_and_empty_graphs():
    with pytest.raises(CyclicGraphError):
        layered_positions(nx.DiGraph([(0, 1), (1, 0)]))
    with pytest.raises(EmptyGraphError):
        layered_positions(nx.Graph())


def test_sql_page_refuses_a_drop_and_runs_a_select(monkeypatch, dashboard_db):
    before = queries.counts(dashboard_db.path)
    app = open_app(monkeypatch, dashboard_db.path, "views/sql.py")
    app.text_area(key="sql_query").set_value("DROP TABLE networks")
    app.button[0].click().run()
    assert not app.exception
    assert len(app.error) == 1 and "Only SELECT" in app.error[0].value
    assert queries.counts(dashboard_db.path) == before
    app.text_area(key="sql_query").set_value("SELECT count(*) AS n FROM networks")
    app.button[0].click().run()
    assert not app.error and not app.exception
    assert app.dataframe[0].value["n"].tolist() == [30]
    app.text_area(key="sql_query").set_value("SELECT * FROM no_such_table")
    app.button[0].click().run()
    assert not app.exception and "no_such_table" in app.error[0].value


def test_regressors_page_runs_on_the_button_and_matches_evaluate_regressors(
    monkeypatch, dashboard_db
):
    app = open_app(monkeypatch, dashboard_db.path, "views/regressors.py")
    assert not app.dataframe  # nothing is fitted before Run
    app.multiselect(key="regressors_names").set_value(["bayesian_ridge"])
    app.number_input(key="regressors_folds").set_value(3)
    app.number_input(key="regressors_repeats").set_value(1)
    app.button[0].click().run()
    assert not app.exception and not app.get("vega_lite_chart")  # importances: opt-in
    app.checkbox(key="regressors_importances").check()
    app.button[0].click().run()
    assert not app.exception
    meta = load_meta_dataset(dashboard_db.path)
    expected = evaluate_regressors(
        meta.frame, target="test_acc", features=meta.features_for("test_acc"),
        regressors=["bayesian_ridge"], n_splits=3, n_repeats=1, importances=True,
    )  # fmt: skip
    shown = app.dataframe[0].value
    reference = expected.scores.row(0, named=True)
    assert shown["regressor"].tolist() == ["bayesian_ridge"]
    assert shown["cv_r2_mean"][0] == pytest.approx(reference["cv_r2_mean"], rel=1e-9)
    assert shown["paper_r2"][0] == pytest.approx(reference["paper_r2"], rel=1e-9)
    assert shown["cv_r2"][0].startswith(f"{round(reference['cv_r2_mean'], 3)} ± ")
    (importances,) = chart_datasets(app)
    top = expected.importances.sort("importance_mean", descending=True)["feature"][:15]
    assert sorted(importances["feature"].to_pylist()) == sorted(top)

    app.selectbox(key="regressors_by").set_value("study_id")
    app.button[0].click().run()
    assert not app.exception
    shown = app.dataframe[0].value.set_index("group")
    assert shown.loc[DAGS, "note"] == "only 6 rows" and pd.isna(shown.loc[DAGS, "cv_r2"])
    assert shown.loc[RANDOM, "n"] == 24
    assert app.selectbox(key="regressors_group").options == [RANDOM]


def test_scatter_plots_the_chosen_feature_against_the_target(monkeypatch, dashboard_db):
    app = open_app(monkeypatch, dashboard_db.path, "views/scatter.py")
    app.selectbox(key="scatter_feature").set_value("degree.mean").run()
    app.selectbox(key="scatter_colour").set_value("generator").run()
    assert not app.exception
    points, line = sorted(chart_datasets(app), key=lambda t: -t.num_rows)
    meta = load_meta_dataset(dashboard_db.path).frame
    expected = dict(zip(meta["name"], zip(meta["degree.mean"], meta["test_acc"], strict=True),
                        strict=True))  # fmt: skip
    shown = {
        name: (x, y)
        for name, x, y in zip(*(points[c].to_pylist() for c in ("name", "x", "y")), strict=True)
    }
    assert shown == expected
    assert set(points["group"].to_pylist()) == {"ba", "ws", "(missing)"}
    # The trend line is the least-squares fit (numpy) and the caption gives its r (numpy).
    x, y = np.array(points["x"].to_pylist()), np.array(points["y"].to_pylist())
    slope, intercept = np.polyfit(x, y, 1)
    assert line["y"].to_pylist() == pytest.approx([slope * x.min() + intercept,
                                                   slope * x.max() + intercept])  # fmt: skip
    assert f"r = {np.corrcoef(x, y)[0, 1]:.3f}" in app.caption[0].value
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    layer = spec["layer"][0]["encoding"]
    assert layer["color"]["scale"]["scheme"] == "tableau10"  # a categorical scheme
    low, high = layer["x"]["scale"]["domain"]
    assert low < x.min() and high > x.max()  # padded: no point sits on the axis limit
    assert high - x.max() == pytest.approx(0.05 * (x.max() - x.min()))


def test_scatter_marks_the_runs_selection_and_opens_a_network(monkeypatch, dashboard_db):
    chosen = [dashboard_db.network_id(RANDOM, 3), dashboard_db.network_id(RANDOM, 8)]
    app = open_app(monkeypatch, dashboard_db.path, "views/scatter.py")
    app.session_state["selected_network_ids"] = chosen
    app.run()
    points, _ = sorted(chart_datasets(app), key=lambda t: -t.num_rows)
    flagged = {n for n, s in zip(points["network_id"].to_pylist(), points["selected"].to_pylist(),
                                 strict=True) if s}  # fmt: skip
    assert flagged == set(chosen)
    assert "2 selected" in app.caption[0].value
    app.selectbox(key="scatter_open").set_value(chosen[1])
    app.button(key="scatter_open_button").click().run()
    assert not app.exception
    assert app.selectbox(key="network_id").value == chosen[1]
    assert app.selectbox(key="network_id").options[:2] == [  # the selection comes first
        f"{RANDOM} / {dashboard_db.records[RANDOM][i].name}" for i in (3, 8)
    ]


@pytest.mark.parametrize("page", PAGES)
def test_a_missing_warehouse_gives_a_friendly_message(monkeypatch, tmp_path, page):
    db = tmp_path / "nowhere.duckdb"
    app = open_app(monkeypatch, db, page)
    assert any("No warehouse" in i.value and "sparsescope demo" in i.value for i in app.info)
    assert not app.error
    assert not db.exists()  # the dashboard never creates a warehouse


@pytest.mark.parametrize("page", PAGES)
def test_an_empty_warehouse_gives_a_friendly_message(monkeypatch, empty_db, page):
    app = open_app(monkeypatch, empty_db, page)
    if page == "views/sql.py":  # querying an empty warehouse is fine
        app.button[0].click().run()
        assert not app.exception and not app.error
    else:
        (hint,) = [info.value for info in app.info if "empty" in info.value]
        assert "`sparsescope demo`" in hint and "`sparsescope study priors" in hint


def test_new_data_shows_up_on_the_next_rerun(monkeypatch, tmp_path, make_warehouse):
    db = make_warehouse(tmp_path / "growing.duckdb", studies=[RANDOM], count=12).path
    app = open_app(monkeypatch, db)
    assert {m.label: m.value for m in app.metric}["Networks"] == "12"
    make_warehouse(db, studies=[DAGS])
    app.run()
    assert {m.label: m.value for m in app.metric}["Networks"] == "18"
    options = app.selectbox(key="study").options  # readable labels ending in [study id]
    assert options[0] == "All studies" and {o.rsplit(" [", 1)[-1] for o in options[1:]} == {
        f"{RANDOM}]",
        f"{DAGS}]",
    }


def test_imported_rows_without_graphs_and_a_cyclic_graph(monkeypatch, tmp_path):
    db = tmp_path / "imported.duckdb"
    rows = [
        NetworkRecord(
            name=f"row-{i}",
            features={"density": i / 10, "diameter": float(i % 4)},
            labels={"rnn_type": ("lstm", "gru")[i % 2]},
            metrics=[Metric(0, "", "accuracy", 0.5 + i / 40)],
        )
        for i in range(10)
    ]
    store_records(db, StudyRecord(id="imported", kind="import"), rows)
    app = open_app(monkeypatch, db, "views/correlations.py")
    assert app.selectbox(key="correlations_target").value == "accuracy"
    assert "rnn_type" in app.selectbox(key="correlations_by").options
    app.selectbox(key="correlations_by").set_value("rnn_type").run()
    assert set(app.dataframe[0].value["group"]) == {"lstm", "gru"}
    app.switch_page("views/network.py").run()
    assert any("has a stored graph" in info.value for info in app.info)

    cycle = NetworkRecord(name="cycle", graph=nx.DiGraph([(0, 1), (1, 2), (2, 0)]))
    store_records(db, StudyRecord(id="cyclic", kind="import"), [cycle])
    app.run()  # the new study shows up in the sidebar
    app.selectbox(key="study").set_value("cyclic").run()
    assert not app.exception
    assert "cycle" in app.warning[0].value and "force-directed" in app.warning[0].value
    tables = network_datasets(app)  # drawn anyway, every vertex and edge, with arrow heads
    assert sorted(tables["nodes"]["node"].to_pylist()) == ["0", "1", "2"]
    assert tables["edges"].num_rows == tables["heads"].num_rows == 3


def test_a_file_that_is_not_a_warehouse_shows_an_error(monkeypatch, tmp_path):
    db = tmp_path / "garbage.duckdb"
    db.write_bytes(b"this is not a database" * 100)
    for page in PAGES:
        app = open_app(monkeypatch, db, page)
        assert len(app.error) == 1 and str(db) in app.error[0].value
