"""Compare studies and Parallel coordinates, driven with AppTest.

Per-study values and correlations are checked against correlation_table run on each study on
its own; the parallel axes' scaling against numpy.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from analytics.correlation import correlation_table
from analytics.meta_dataset import load_meta_dataset

MAIN = Path(__file__).resolve().parents[2] / "app" / "dashboard" / "main.py"
RANDOM, DAGS = "random-graphs", "layered-dags"


def open_page(monkeypatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("SPARSESCOPE_DB", str(db))
    app = AppTest.from_file(MAIN, default_timeout=60).run()
    app.switch_page(page).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def datasets(app: AppTest, index: int = 0) -> list[pa.Table]:
    chart = app.get("vega_lite_chart")[index]
    return [pa.ipc.open_stream(d.data.data).read_all() for d in chart.proto.datasets]


def test_compare_shows_differing_keys_results_and_per_study_correlations(monkeypatch, dashboard_db):
    app = open_page(monkeypatch, dashboard_db.path, "views/compare.py")
    assert set(app.multiselect(key="compare_studies").value) == {RANDOM, DAGS}
    configs = app.dataframe[0].value.set_index("key")
    assert configs.to_dict("index") == {
        "layers": {RANDOM: "–", DAGS: "3"},
        "seed": {RANDOM: "0", DAGS: "–"},
    }
    (runs,) = datasets(app)
    shown = dict(zip(runs["name"].to_pylist(), runs["value"].to_pylist(), strict=True))
    meta = {s: load_meta_dataset(dashboard_db.path, study=s) for s in (RANDOM, DAGS)}
    for m in meta.values():
        for name, value in zip(m.frame["name"], m.frame["test_acc"], strict=True):
            assert shown[name] == pytest.approx(value)
    sizes = app.dataframe[1].value.set_index("study_id")
    assert sizes["n"].to_dict() == {RANDOM: 24, DAGS: 6}

    matrix = app.dataframe[2].value.set_index("feature")
    assert set(matrix.columns) == {RANDOM, DAGS}
    for study, m in meta.items():
        own = correlation_table(m.frame, target="test_acc", features=m.features_for("test_acc"))
        for feature, r in zip(own["feature"], own["pearson_r"], strict=True):
            if feature in matrix.index and not math.isnan(r):
                assert matrix.loc[feature, study] == pytest.approx(r, rel=1e-9), (study, feature)


def test_compare_needs_two_studies(monkeypatch, dashboard_db):
    app = open_page(monkeypatch, dashboard_db.path, "views/compare.py")
    app.multiselect(key="compare_studies").set_value([RANDOM]).run()
    assert any("two or more" in i.value for i in app.info) and not app.dataframe


def test_parallel_axes_are_scaled_and_a_brush_selects_networks(monkeypatch, dashboard_db):
    app = open_page(monkeypatch, dashboard_db.path, "views/parallel.py")
    app.multiselect(key="parallel_features").set_value(["density", "degree.mean"]).run()
    (long,) = datasets(app)
    meta = load_meta_dataset(dashboard_db.path).frame
    assert long.num_rows == 3 * meta.height
    rows = long.to_pylist()
    for axis in ("density", "degree.mean", "test_acc"):
        values = np.array(meta[axis])
        expected = (values - values.min()) / (values.max() - values.min())
        by_id = dict(zip(meta["network_id"], expected, strict=True))
        for row in (r for r in rows if r["axis"] == axis):
            assert row["scaled"] == pytest.approx(by_id[row["network_id"]])
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    (brush,) = spec["params"]
    assert brush["name"] == "brush" and brush["views"] == [spec["vconcat"][0]["name"]]  # strip
    assert spec["vconcat"][1]["encoding"]["color"]["condition"]["param"] == "brush"
    app.session_state["parallel_chart"] = {"selection": {"brush": {"target_value": [0.62, 0.7]}}}
    app.run()
    assert not app.exception
    inside = meta.filter((meta["test_acc"] >= 0.62) & (meta["test_acc"] <= 0.7))
    assert set(app.session_state["selected_network_ids"]) == set(inside["network_id"])
    assert inside.height > 0 and app.success[0].value.startswith(f"{inside.height} network")
