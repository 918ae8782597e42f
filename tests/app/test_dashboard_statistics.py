"""Honest statistics on the Correlations and priors pages, driven with AppTest.

Significance marks are checked against correlation_table's own adjusted p-values, n per cell
against counts of the stored records, and the notes against the data the fixture built
(a constant feature, a cell with no target, a study without the target, runs at chance).
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import polars as pl
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset
from tests.app.conftest import PRIORS_STUDY
from warehouse.records import Metric, NetworkRecord, StudyRecord
from warehouse.store import store_records

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"


def open_page(monkeypatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def shown_text(app: AppTest, index: int = 0):
    """The formatted text of the ``index``-th dataframe (what the browser displays)."""
    proto = app.dataframe[index].proto
    return dataframe_util.convert_arrow_bytes_to_pandas_df(proto.arrow_data.styler.display_values)


@pytest.fixture(scope="module")
def honest_db(tmp_path_factory) -> Path:
    """Study "tricky": cells gru / tanh, "lstm" networks without any metric, a feature constant
    for gru, three tanh networks at chance; study "losses": only a train loss, no test_acc."""
    rng = np.random.default_rng(2)
    records = []
    for i in range(16):
        cell = ("gru", "tanh")[i % 2]
        accuracy = 0.6 + 0.02 * i + rng.normal(0, 0.01)
        if cell == "tanh" and i < 6:
            accuracy = 0.5 + (i - 3) / 200  # 0.485, 0.495, 0.505: at chance
        records.append(NetworkRecord(
            name=f"n{i}", graph=nx.path_graph(3 + i), cell=cell,
            metrics=[Metric(1, "test", "acc", accuracy)],
            features={"width": float(i), "fixed": 1.0 if cell == "gru" else float(i % 3)},
        ))  # fmt: skip
    records += [
        NetworkRecord(name=f"lstm{i}", graph=nx.path_graph(4), cell="lstm", features={"width": 1.0})
        for i in range(3)
    ]
    db = tmp_path_factory.mktemp("honest") / "honest.duckdb"
    store_records(db, StudyRecord(id="tricky", kind="test", config={"epochs": 1}), records)
    losses = [NetworkRecord(name=f"l{i}", graph=nx.path_graph(3 + i),
                            metrics=[Metric(1, "train", "loss", 1.0 / (i + 1))],
                            features={"width": float(i)}) for i in range(5)]  # fmt: skip
    store_records(db, StudyRecord(id="losses", kind="test", config={"epochs": 5}), losses)
    return db


def test_marks_notes_and_hidden_groups_on_the_correlations_page(monkeypatch, honest_db):
    app = open_page(monkeypatch, honest_db, "views/correlations.py")
    app.selectbox(key="study").set_value("tricky").run()
    app.selectbox(key="correlations_by").set_value("cell").run()
    assert not app.exception
    shown = app.dataframe[0].value
    assert set(shown["group"]) == {"gru", "tanh"}  # lstm has no test_acc: n = 0, hidden
    meta = load_meta_dataset(honest_db, study="tricky")
    expected = correlation_table(meta.frame, target="test_acc",
                                 features=meta.features_for("test_acc"), by="cell")  # fmt: skip
    for row in expected.filter(pl.col("group") != "lstm").iter_rows(named=True):
        line = shown[(shown["group"] == row["group"]) & (shown["feature"] == row["feature"])]
        significant = row["pearson_p_adj"] < 0.05  # NaN compares False
        assert line["significant"].iloc[0] == ("*" if significant else ""), row
    fixed = shown[(shown["group"] == "gru") & (shown["feature"] == "fixed")].iloc[0]
    assert fixed["note"] == "constant in this group" and np.isnan(fixed["pearson_r"])
    width = shown[(shown["group"] == "gru") & (shown["feature"] == "width")].iloc[0]
    assert width["significant"] == "*" and width["note"] == ""  # accuracy grows with i
    assert "`*` marks an adjusted p < 0.05" in app.caption[0].value
    (chance,) = [w.value for w in app.warning if "chance" in w.value]
    assert chance.startswith("3 networks of 19") and "|test_acc − 0.5| ≤ 0.02" in chance


def test_a_study_without_the_target_says_so(monkeypatch, honest_db):
    app = open_page(monkeypatch, honest_db, "views/correlations.py")
    app.selectbox(key="study").set_value("losses").run()
    app.selectbox(key="correlations_target").set_value("test_acc").run()
    assert not app.exception and not app.dataframe
    assert any("No network of study losses has `test_acc`" in i.value for i in app.info)
    app.selectbox(key="correlations_target").set_value("train_loss").run()
    assert app.dataframe[0].value["n"].tolist() == [5]


def test_pooling_studies_with_different_configs_warns(monkeypatch, honest_db, dashboard_db):
    app = open_page(monkeypatch, honest_db, "views/correlations.py")
    (pooled,) = [w.value for w in app.warning if "pooled" in w.value]
    assert "`epochs`" in pooled
    app.selectbox(key="study").set_value("tricky").run()
    assert not [w for w in app.warning if "pooled" in w.value]
    app = open_page(monkeypatch, dashboard_db.path, "views/correlations.py")
    (pooled,) = [w.value for w in app.warning if "pooled" in w.value]
    assert "`layers`, `seed`" in pooled  # {"seed": 0} and {"layers": 3}
    name = app.get("download_button")[0].proto.id
    assert name.endswith("download_correlations_all-studies_test_acc_pearson.csv")


def test_table_1_marks_significance_and_gives_n(monkeypatch, priors_db):
    app = open_page(monkeypatch, priors_db.path, "views/priors.py")
    meta = load_meta_dataset(priors_db.path, study=PRIORS_STUDY.id)
    expected = correlation_table(meta.frame, target="test_acc",
                                 features=meta.features_for("test_acc"), by="cell")  # fmt: skip
    text = shown_text(app).set_index("feature")
    values = app.dataframe[0].value.set_index("feature")
    marked = 0
    for row in expected.iter_rows(named=True):
        cell = text.loc[row["feature"], row["group"]]
        if row["pearson_p_adj"] < 0.05:
            assert cell == f"{row['pearson_r']:.2f}*", row
            marked += 1
        elif np.isnan(row["pearson_r"]):
            assert cell != "–" and np.isnan(values.loc[row["feature"], row["group"]]), row
        else:
            assert cell == f"{row['pearson_r']:.2f}", row
    assert marked >= 2  # the fixture's accuracy follows the vertex count in both cells
    cells = meta.frame["cell"].value_counts().sort("cell").iter_rows()
    caption = next(c.value for c in app.caption if "n per cell type" in c.value)
    assert "n per cell type: " + ", ".join(f"{c} {n}" for c, n in cells) in caption
