"""Networks that landed without their graph features say "features pending" (AppTest).

The warehouse gets a second study stored without :func:`ingest.feature_landing` (as an import
or an interrupted feature run leaves it); its networks lack the features the first study has.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.features import FEATURE_NAMES
from tests.app.conftest import RANDOM_STUDY, random_graph_records
from warehouse.records import StudyRecord
from warehouse.store import store_records

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
LANDED = StudyRecord(id="just-landed", kind="random-graphs", config={"seed": 1})


@pytest.fixture(scope="module")
def pending_db(tmp_path_factory) -> Path:
    from tests.app.conftest import build_warehouse

    db = build_warehouse(tmp_path_factory.mktemp("pending") / "w.duckdb",
                         studies=[RANDOM_STUDY.id], count=12).path  # fmt: skip
    store_records(db, LANDED, random_graph_records(5))  # features not computed
    return db


def open_page(monkeypatch, db: Path, script: str, study: str | None) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60)
    if study:
        app.query_params["study"] = study
    app.run()
    app.switch_page(script).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def pending_notes(app: AppTest) -> list[str]:
    return [i.value for i in app.info if i.value.startswith("Features pending")]


def test_the_runs_table_marks_networks_whose_features_are_pending(monkeypatch, pending_db):
    app = open_page(monkeypatch, pending_db, "views/runs.py", None)
    (note,) = pending_notes(app)
    assert note.startswith("Features pending for 5 networks:")
    runs = app.dataframe[0].value
    status = dict(zip(runs["name"] + "@" + runs["study_id"], runs["features"], strict=True))
    assert {k for k, v in status.items() if v == "pending"} == {
        f"{r.name}@{LANDED.id}" for r in random_graph_records(5)
    }
    assert sum(v == "computed" for v in status.values()) == 12
    pending = runs[runs["features"] == "pending"]
    assert pending[list(FEATURE_NAMES)[0]].isna().all()  # the blanks the note explains


def test_a_just_landed_study_says_its_features_are_pending(monkeypatch, pending_db):
    app = open_page(monkeypatch, pending_db, "views/correlations.py", LANDED.id)
    assert pending_notes(app) == [
        f"Features pending for 5 networks of study {LANDED.id}: their graph features are not "
        "computed yet, so they show `pending` in the runs table and are left out of "
        "correlations and regressors. `sparsescope features` computes them now."
    ]
    shown = set(app.dataframe[0].value["feature"])  # only what its records brought along
    assert shown == {"transitivity", "max_degree", "degree.mean"}
    assert not shown & set(FEATURE_NAMES)
    finished = open_page(monkeypatch, pending_db, "views/correlations.py", RANDOM_STUDY.id)
    assert pending_notes(finished) == [] and finished.dataframe  # a complete study: no note


def test_the_overview_networks_table_marks_pending_features(monkeypatch, pending_db):
    app = open_page(monkeypatch, pending_db, "views/overview.py", None)
    (note,) = pending_notes(app)
    assert note.startswith("Features pending for 5 networks:")
    networks = app.dataframe[-1].value
    pending = networks[networks["features"] == "pending"]
    assert set(pending["name"]) == {r.name for r in random_graph_records(5)}
    assert set(pending["study_id"]) == {LANDED.id}
    assert (networks["features"] == "computed").sum() == 12
    finished = open_page(monkeypatch, pending_db, "views/overview.py", RANDOM_STUDY.id)
    assert pending_notes(finished) == []  # a complete study: no note and no column
    assert "features" not in finished.dataframe[-1].value.columns
