"""The priors study end to end on a tiny configuration: stored, featured, resumable, validated."""

import os
import signal
import subprocess
import sys
import time

import pytest

from ingest import priors_study
from ingest.priors_config import PriorsConfig, make_config
from ingest.priors_study import plan_priors_study, run_priors_study, study_id_for
from warehouse import queries


def tiny(**overrides) -> PriorsConfig:
    settings = dict(
        preset="test", cells=("gru", "tanh"), generators=("ba", "ws"), graphs_per_generator=2,
        n_range=(5, 8), sequences=40, epochs=2, batch_size=8,
    )  # fmt: skip
    return PriorsConfig(**{**settings, **overrides})


def test_a_tiny_study_lands_in_the_warehouse_with_features(tmp_path):
    db = tmp_path / "w.duckdb"
    summary = run_priors_study(tiny(), db=db, workers=1)
    assert (summary.planned, summary.trained, summary.failed) == (8, 8, {})
    meta = queries.meta_dataset(db, study=summary.study_id)
    assert meta.height == 8
    assert set(meta["cell"]) == {"gru", "tanh"} and set(meta["generator"]) == {"ba", "ws"}
    assert meta["test_acc"].is_between(0, 1).all()
    assert meta["nodes"].to_list() == meta["num_nodes"].cast(float).to_list()
    network_id = meta["network_id"][0]
    epochs = queries.metrics_of(db, network_id=network_id)
    assert sorted(set(epochs["epoch"])) == [1, 2]
    assert {"train_acc", "test_loss", "wall_time"} <= set(meta.columns)
    graph = queries.load_graph(db, network_id=network_id)
    assert all("layer" in data for _, data in graph.nodes(data=True))
    assert not list((tmp_path / "w.duckdb.staging" / summary.study_id).iterdir())


def test_same_seed_same_results_and_rerun_trains_nothing(tmp_path):
    config = tiny(cells=("gru",), generators=("ba",))
    first = run_priors_study(config, db=tmp_path / "a.duckdb", workers=1)
    again = run_priors_study(config, db=tmp_path / "a.duckdb", workers=1)
    assert (again.trained, again.already_done) == (0, first.planned)
    other = run_priors_study(config, db=tmp_path / "b.duckdb", workers=1)
    a = queries.meta_dataset(tmp_path / "a.duckdb").sort("name")
    b = queries.meta_dataset(tmp_path / "b.duckdb").sort("name")
    assert other.trained == 2
    assert a["test_acc"].to_list() == b["test_acc"].to_list()  # same seed, same training
    assert a["test_loss"].to_list() == b["test_loss"].to_list()


def test_an_interrupted_run_resumes_without_duplicates(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    config = tiny()
    real_run_jobs = priors_study.run_jobs

    def interrupted_after_three(fn, jobs, **kwargs):
        for count, item in enumerate(real_run_jobs(fn, jobs, **kwargs), start=1):
            yield item
            if count == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(priors_study, "run_jobs", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        run_priors_study(config, db=db, workers=1)
    assert queries.counts(db)["networks"] == 3  # finished work was kept
    monkeypatch.setattr(priors_study, "run_jobs", real_run_jobs)
    summary = run_priors_study(config, db=db, workers=1)
    assert (summary.already_done, summary.trained) == (3, 5)
    names = queries.networks(db)["name"].to_list()
    assert len(names) == len(set(names)) == 8


def test_a_killed_command_resumes_on_the_next_run(tmp_path):
    db = tmp_path / "w.duckdb"
    command = [
        sys.executable, "-m", "app.cli", "study", "priors", "--preset", "demo", "--cells", "gru",
        "--generators", "ba", "--graphs", "6", "--epochs", "1", "--sequences", "60",
        "--workers", "1", "--db", str(db),
    ]  # fmt: skip
    staging = tmp_path / "w.duckdb.staging"
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        staged = list(staging.glob("*/*")) if staging.exists() else []
        if staged or db.exists() and process.poll() is None and _stored(db) > 0:
            break
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    names = queries.networks(db)["name"].to_list()
    assert len(names) == len(set(names)) == 6
    assert "already stored" in finished.stdout


def _stored(db) -> int:
    try:
        return queries.counts(db)["networks"]
    except Exception:  # noqa: BLE001 - the writer may hold the file right now
        return 0


@pytest.mark.parametrize(
    ("overrides", "match"),
    [
        ({"cells": ("tanh", "lstmm")}, "Unknown cell type 'lstmm'"),
        ({"generators": ("ba", "smallworld")}, "Unknown generator 'smallworld'"),
        ({"graphs_per_generator": 0}, "'graphs_per_generator'"),
        ({"epochs": -1}, "'epochs'"),
        ({"sequences": 7}, "'sequences'"),
        ({"n_range": (0, 5)}, "'n_range'"),
    ],
)
def test_bad_configuration_is_refused_before_anything_is_written(tmp_path, overrides, match):
    with pytest.raises(ValueError, match=match):
        run_priors_study(tiny(**overrides), db=tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_unknown_preset_lists_the_valid_ones():
    with pytest.raises(ValueError, match="demo"):
        make_config("huge")


def test_paper_preset_is_the_papers_setup():
    config = make_config("paper")
    plan = plan_priors_study(make_config("paper", cells=["gru"], graphs_per_generator=3))
    assert (config.graphs_per_generator, config.sequences, config.epochs) == (100, 25_000, 15)
    assert set(config.cells) == {"tanh", "relu", "lstm", "gru"}
    assert {spec.generator for spec, _ in plan} == {"ba", "ws"}
    assert all(10 <= spec.n <= 50 for spec, _ in plan)
    assert study_id_for(config) != study_id_for(make_config("paper", epochs=14))


def test_a_graph_without_a_path_stops_the_study_before_training(tmp_path, monkeypatch):
    import networkx as nx

    from ingest.generators import GraphSpec

    monkeypatch.setattr(GraphSpec, "build", lambda self: nx.Graph())
    with pytest.raises(ValueError, match="cannot become a network.*empty"):
        run_priors_study(tiny(), db=tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()


def test_the_study_runs_on_a_local_ray(tmp_path, monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    config = tiny(cells=("gru",), generators=("ba",))
    summary = run_priors_study(config, db=tmp_path / "w.duckdb", executor="ray", workers=2)
    assert (summary.trained, summary.failed) == (2, {})
    local = run_priors_study(config, db=tmp_path / "local.duckdb", workers=1)
    ray_rows = queries.meta_dataset(tmp_path / "w.duckdb").sort("name")
    local_rows = queries.meta_dataset(tmp_path / "local.duckdb").sort("name")
    assert local.trained == 2
    assert ray_rows["test_acc"].to_list() == local_rows["test_acc"].to_list()  # same seeds
