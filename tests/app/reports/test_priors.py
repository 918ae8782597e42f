"""The priors report: Table 1 values against scipy on the stored data, the paper's values, files."""

from __future__ import annotations

import math

import matplotlib.image
import polars as pl
import pytest
from scipy import stats

from app.reports import create_report
from app.reports.paper_values import PAPER_TABLE1
from app.reports.priors import table1_frame
from tests.app.conftest import PRIORS_STUDY


@pytest.fixture(scope="module")
def report(priors_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("docs")
    return create_report("priors", priors_db.path, out=out), out


def test_writes_png_figures_and_a_markdown_table(report):
    result, out = report
    folder = out / "figures" / "priors"
    assert sorted(p.name for p in result.files) == [
        "accuracy_by_generator.png", "regressors.md", "table1.md", "table1.png"
    ]  # fmt: skip
    for name in ("accuracy_by_generator.png", "table1.png"):
        image = matplotlib.image.imread(folder / name)
        assert image.shape[0] > 200 and image.shape[1] > 300  # a real picture, not an empty file
        assert image[..., :3].std() > 0.05  # and not a blank one
    assert result.summary[0] == f"study {PRIORS_STUDY.id}: 24 networks with test_acc"


def test_the_newest_priors_study_is_the_default(report):
    result, out = report
    text = (out / "figures" / "priors" / "table1.md").read_text()
    assert f"study `{PRIORS_STUDY.id}`" in text
    assert "tanh (n = 12)" in text and "gru (n = 12)" in text


def test_table1_r_is_pearson_r_of_the_stored_rows(priors_db):
    records = [r for r in priors_db.records[PRIORS_STUDY.id] if r.cell == "tanh"]
    accuracy = [
        m.value for r in records for m in r.metrics if (m.split, m.metric) == ("test", "acc")
    ]
    nodes = [r.graph.number_of_nodes() for r in records]
    expected = stats.pearsonr(nodes, accuracy).statistic

    from analytics.meta_dataset import load_meta_dataset

    frame = load_meta_dataset(priors_db.path, study=PRIORS_STUDY.id).frame
    table = table1_frame(frame, features=["nodes", "source_nodes"])
    row = table.filter((pl.col("cell") == "tanh") & (pl.col("feature") == "nodes")).row(
        0, named=True
    )
    assert row["n"] == 12
    assert math.isclose(row["pearson_r"], expected, rel_tol=1e-9)
    assert row["paper_r"] == 0.40  # the paper's Table 1, RNN Tanh, nodes
    gru = table.filter((pl.col("cell") == "gru") & (pl.col("feature") == "source_nodes"))
    assert gru["paper_r"][0] == 0.74


def test_markdown_rows_show_ours_then_the_papers(report, priors_db):
    _, out = report
    lines = (out / "figures" / "priors" / "table1.md").read_text().splitlines()
    nodes = next(line for line in lines if line.startswith("| nodes |"))
    ours_tanh, ours_gru = nodes.split("|")[2:4]
    assert ours_tanh.strip().endswith("/ +0.40") and ours_gru.strip().endswith("/ +0.49")
    # the synthetic study gives tanh a positive, gru a negative slope in the vertex count
    assert ours_tanh.strip().startswith("+") and ours_gru.strip().startswith("-")


def test_paper_table1_has_twelve_properties_for_four_cells():
    assert len(PAPER_TABLE1) == 12
    assert all(set(by_cell) == {"tanh", "relu", "lstm", "gru"} for by_cell in PAPER_TABLE1.values())


def _cell_rows(priors_db, cell):
    """The stored rows of one cell type (features chosen as the CLI chooses them), in order."""
    from analytics.meta_dataset import load_meta_dataset

    meta = load_meta_dataset(priors_db.path, study=PRIORS_STUDY.id)
    features = meta.choose_features("test_acc").features
    frame = meta.frame.filter(pl.col("test_acc").is_finite())
    part = frame.filter(pl.col("cell") == cell)
    return frame, features, part.select(features).to_numpy(), part["test_acc"].to_numpy()


@pytest.mark.parametrize("cell", ["tanh", "gru"])
def test_regressor_r2_is_scikit_learns_on_the_stored_rows(priors_db, cell):
    import numpy as np
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import BayesianRidge
    from sklearn.metrics import r2_score
    from sklearn.model_selection import RepeatedKFold, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    from app.reports.priors_regressors import regressor_scores

    frame, features, x, y = _cell_rows(priors_db, cell)
    scores = regressor_scores(frame, features=features, n_jobs=1)
    row = scores.filter((pl.col("cell") == cell) & (pl.col("regressor") == "bayesian_ridge"))
    row = row.row(0, named=True)
    # the paper's script: min-max scaling on all rows, one 90/10 split, random_state 7
    x_train, x_test, y_train, y_test = train_test_split(
        MinMaxScaler().fit_transform(x), y, test_size=0.1, random_state=7
    )
    model = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                          BayesianRidge())  # fmt: skip
    paper_protocol = r2_score(y_test, model.fit(x_train, y_train).predict(x_test))
    folds = []
    for train, test in RepeatedKFold(n_splits=5, n_repeats=3, random_state=0).split(x):
        fold_model = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True),
                                   MinMaxScaler(), BayesianRidge())  # fmt: skip
        folds.append(r2_score(y[test], fold_model.fit(x[train], y[train]).predict(x[test])))
    assert row["n"] == 12
    assert math.isclose(row["paper_r2"], paper_protocol, rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(row["cv_r2_mean"], float(np.mean(folds)), rel_tol=1e-9)
    assert row["paper_reported"] == {"tanh": 0.47919, "gru": 0.67224}[cell]
    assert set(scores["regressor"]) == {"bayesian_ridge", "random_forest", "adaboost", "xgboost"}
    xgb = scores.filter((pl.col("cell") == cell) & (pl.col("regressor") == "xgboost"))
    assert math.isnan(xgb["paper_reported"][0])  # the paper fitted no XGBoost


def test_regressor_markdown_shows_ours_beside_the_papers_and_the_small_split_note(report):
    _, out = report
    lines = (out / "figures" / "priors" / "regressors.md").read_text().splitlines()
    gru_forest = next(line for line in lines if line.startswith("| gru | random forest |"))
    assert gru_forest.rstrip().endswith("| 0.876 |")  # the paper's GRU random forest R²
    assert "±" in gru_forest.split("|")[4]
    assert "- tanh: paper split tests only 2 rows" in lines  # 12 rows: a 90/10 split tests 2
