"""The prune-rnn study end to end on a tiny set-up: stored graphs and accuracies against the
base model pruned directly, base models trained once, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
import torch

import ingest.rnn_pruning_study as study_module
from ingest.reber_encoding import sequence_batches
from ingest.rnn_pruning import build_model, load_base_model
from ingest.rnn_pruning_records import base_name, step_name
from ingest.rnn_pruning_study import (
    base_model_for,
    make_study_config,
    plan_rnn_pruning_jobs,
    run_rnn_pruning_job,
    run_rnn_pruning_study,
    study_data,
    study_id_for,
    study_of,
)
from models.pruning.percentile import prune_by_percentile
from models.to_graph import model_to_graph
from models.training import evaluate
from warehouse import queries
from warehouse.staging import stage_frames

TINY = dict(
    cells=("lstm",), targets=("h2h", "i2h"), sequences=200, hidden_sizes=(4, 4),
    embedding_dim=3, base_epochs=1, percents=(50, 100), retrain_epochs=(0, 1), repeats=1,
)  # fmt: skip


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    folder = tmp_path_factory.mktemp("prune-rnn")
    config = make_study_config("demo", **TINY)
    db = folder / "w.duckdb"
    summary = run_rnn_pruning_study(config, db=db, workers=1, load_every=0.0)
    return config, db, summary


def _network_id(db, name: str) -> str:
    frame = queries.networks(db)
    return frame.filter(frame["name"] == name)["network_id"][0]


def _base_file(db, config):
    (job,) = [
        j for j in plan_rnn_pruning_jobs(config, study_of(config), f"{db}.staging")
        if j.target == "h2h"
    ]  # fmt: skip
    return job


def test_every_run_lands_with_its_steps_and_one_shared_base(study):
    config, db, summary = study
    assert (summary.planned, summary.trained, summary.failed) == (2, 2, {})
    names = set(queries.networks(db)["name"].to_list())
    steps = {
        step_name("lstm", 0, t, p, e) for t in ("h2h", "i2h") for p in (50, 100) for e in (0, 1)
    }
    assert names == steps | {base_name("lstm", 0)}
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.sql(
            "SELECT target, base_network_id FROM pruning_runs ORDER BY target"
        ).fetchall()
    assert [r[0] for r in runs] == ["h2h", "i2h"]
    assert runs[0][1] == runs[1][1] == _network_id(db, base_name("lstm", 0))


@pytest.mark.parametrize(("target", "percent"), [("h2h", 50), ("i2h", 50), ("h2h", 100)])
def test_a_step_graph_is_the_base_model_pruned_at_p_and_its_accuracy_before(study, target, percent):
    config, db, _ = study
    base = load_base_model(_base_file(db, config).base_path, config)
    model = build_model("lstm", config)
    model.load_state_dict(base.state)
    prune_by_percentile(model, percent, target=target, scope=config.scope)
    expected = {(u, v) for u, v in model_to_graph(model).edges}
    for budget in (0, 1):
        network_id = _network_id(db, step_name("lstm", 0, target, percent, budget))
        stored = queries.load_graph(db, network_id=network_id)
        assert {(int(u), int(v)) for u, v in stored.edges} == expected
    data = study_data(config)
    _, accuracy = evaluate(model, sequence_batches(data.test, config.eval_batch_size))
    metrics = queries.metrics_of(db, network_id=network_id)
    (before,) = metrics.filter(metrics["metric"] == "acc_before")["value"].to_list()
    assert before == pytest.approx(accuracy)


def test_an_lstm_pair_is_pruned_at_the_step_of_its_last_gate(study):
    _, db, _ = study
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "SELECT c.pruned_at_step, CAST(c.attributes AS VARCHAR) FROM run_connections c"
            " JOIN pruning_runs r USING (run_id) WHERE r.target = 'h2h'"
        ).fetchall()
    assert len(rows) == 2 * 4 * 4  # two layers of 4 units: every unit pair once
    for step, attributes in rows:
        gates = json.loads(attributes)["gates"]
        assert sorted(gates) == ["f", "g", "i", "o"]
        steps = list(gates.values())
        assert step == (None if None in steps else max(steps))


def test_a_second_run_trains_nothing_and_keeps_the_base_file(study):
    config, db, _ = study
    base_file = _base_file(db, config).base_path
    before = torch.load(base_file, weights_only=True)["state"]
    stamp = __import__("os").stat(base_file).st_mtime_ns
    again = run_rnn_pruning_study(config, db=db, workers=1)
    assert (again.trained, again.already_done) == (0, 2)
    assert __import__("os").stat(base_file).st_mtime_ns == stamp
    after = torch.load(base_file, weights_only=True)["state"]
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_a_second_job_loads_the_saved_base_instead_of_training(tmp_path, monkeypatch):
    config = make_study_config("demo", **TINY)
    first, second = plan_rnn_pruning_jobs(config, study_of(config), tmp_path)
    trained = base_model_for(first)

    def refuse(*args, **kwargs):
        raise AssertionError("the base model was trained again")

    monkeypatch.setattr(study_module, "train_base_model", refuse)
    loaded = base_model_for(second)
    assert all(torch.equal(trained.state[k], loaded.state[k]) for k in trained.state)
    assert loaded.history == trained.history


def test_runs_staged_before_an_interruption_land_without_training_their_base(tmp_path, monkeypatch):
    """A run staged but not ingested (the driver was killed) is done: its base, even when its
    file is gone, is not trained again; the staged run lands as it was."""
    config = make_study_config("demo", **TINY)
    db = tmp_path / "w.duckdb"
    study = study_of(config)
    jobs = plan_rnn_pruning_jobs(config, study, f"{db}.staging")
    for job in jobs:
        stage_frames(tmp_path / "w.duckdb.staging" / study.id, study,
                     run_rnn_pruning_job(job).tables)  # fmt: skip
    Path(jobs[0].base_path).unlink()

    def refuse(*args, **kwargs):
        raise AssertionError("the base model was trained again")

    monkeypatch.setattr(study_module, "train_base_model", refuse)
    summary = run_rnn_pruning_study(config, db=db, workers=1)
    assert (summary.trained, summary.already_done) == (0, len(jobs))
    names = set(queries.networks(db)["name"])
    assert {step_name(job.cell, job.seed, job.target, 100, 1) for job in jobs} <= names


def test_more_repeats_extend_the_same_study_with_new_seeds(tmp_path):
    one = make_study_config("demo", **TINY)
    three = make_study_config("demo", **(TINY | {"repeats": 3}))
    assert study_id_for(one) == study_id_for(three)
    jobs = plan_rnn_pruning_jobs(three, study_of(three), tmp_path)
    assert sorted({(j.seed, j.base_path) for j in jobs}) == [
        (s, str(tmp_path / f"{study_id_for(three)}.bases" / f"lstm-s{s}.pt")) for s in (0, 1, 2)
    ]


def test_a_reber_csv_without_the_valid_column_is_refused_naming_it(tmp_path):
    path = tmp_path / "reber.csv"
    path.write_text("string,label\nBTSSXXTVVE,1\n")
    with pytest.raises(ValueError, match="valid"):
        make_study_config("demo", reber_csv=path)


def test_a_reber_csv_that_changed_since_the_study_began_is_refused(tmp_path):
    path = tmp_path / "reber.csv"
    rows = ["BTSSXXTVVE,1", "BPVVE,1", "BTXXVPSE,1", "BTTTTE,0", "BPPE,0", "BXSE,0"] * 2
    path.write_text("string,valid\n" + "\n".join(rows) + "\n")
    config = make_study_config("demo", reber_csv=path, **TINY)
    path.write_text("string,valid\n" + "\n".join(rows[:-1]) + "\n")
    db = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="changed since the study started"):
        run_rnn_pruning_study(config, db=db)
    assert not db.exists()


def _accuracies(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.sql(
            "SELECT n.name, n.id, m.metric, m.value FROM networks n"
            " JOIN metrics m ON m.network_id = n.id WHERE m.split = 'test' ORDER BY ALL"
        ).fetchall()


@pytest.mark.slow
def test_the_study_on_ray_stores_what_the_local_pool_stores(study, tmp_path, monkeypatch):
    """``executor="ray"`` (a local Ray of 2 CPUs): the base is trained once, and every step
    network lands with the id and test accuracies of the local run (same seeds)."""
    config, local_db, _ = study
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    db = tmp_path / "ray.duckdb"
    summary = run_rnn_pruning_study(config, db=db, executor="ray", workers=2, load_every=0.0)
    assert (summary.trained, summary.failed) == (2, {})
    on_ray = _accuracies(db)
    assert len(on_ray) >= 2 * 2 * 2 * 2  # targets x percents x budgets, acc before and after
    local = _accuracies(local_db)
    assert [row[:3] for row in on_ray] == [row[:3] for row in local]
    assert [row[3] for row in on_ray] == pytest.approx([row[3] for row in local])
