"""The feed-forward pruning study on a tiny grid (digits, one hidden layer of 8)."""

import networkx as nx
import polars as pl
import pytest
import torch

from ingest import ffn_pruning_training
from ingest.datasets import DatasetFileError
from ingest.ffn_pruning_config import make_ffn_pruning_config
from ingest.ffn_pruning_study import define_ffn_pruning_study, run_ffn_pruning_study
from ingest.ffn_pruning_training import (
    build_model,
    connection_frame,
    load_data,
    run_ffn_pruning_job,
)
from models.pruning import PruningRun, create_pruning_scheme
from models.to_graph import model_to_graph
from warehouse import queries
from warehouse.connection import reader

TABLES = ("networks", "nodes", "edges", "metrics", "features", "pruning_runs", "run_connections")


def _config(**overrides):
    values = dict(
        dataset="digits", architectures=((8,),), learning_rates=(0.01,),
        methods=("random", "magnitude_class_blinded"), schemes=("percentage",),
        target_sparsity=0.7, percentage_amount=0.5, base_epochs=1, retrain_epochs=1,
        expensive_every=2,
    )  # fmt: skip
    return make_ffn_pruning_config("demo", **(values | overrides))


def _rows(db) -> dict:
    with reader(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """The tiny study with two seeds, run once for the tests that only read it."""
    db = tmp_path_factory.mktemp("ffn") / "w.duckdb"
    summary = run_ffn_pruning_study(_config(repeats=2), db=db, workers=1, load_every=0)
    return db, summary


def test_every_step_is_the_base_graph_minus_the_weights_pruned_so_far(stored):
    db, summary = stored
    assert (summary.trained, summary.failed) == (4, {})
    with reader(db) as con:
        steps = con.execute(
            "SELECT network_id, base_network_id, run_id, step FROM pruning_steps ORDER BY ALL"
        ).fetchall()
        pruned = pl.DataFrame(
            con.execute("SELECT run_id, source, target, pruned_at_step FROM run_connections")
            .fetchall(),
            schema=["run_id", "source", "target", "pruned_at_step"], orient="row",
        )  # fmt: skip
    assert len(steps) >= 4
    for network_id, base_id, run_id, step in steps:
        base = queries.load_graph(db, network_id=base_id)
        gone = pruned.filter(
            (pl.col("run_id") == run_id) & (pl.col("pruned_at_step") <= step)
        ).select("source", "target")
        expected = base.copy()
        expected.remove_edges_from(gone.rows())
        assert nx.utils.graphs_equal(queries.load_graph(db, network_id=network_id), expected)


def test_a_base_per_architecture_lr_and_seed_shared_by_its_runs_and_a_seed_column(stored):
    db, _ = stored
    with reader(db) as con:
        bases = con.execute(
            "SELECT n.name, n.seed, count(DISTINCT r.run_id) FROM networks n"
            " JOIN pruning_runs r ON r.base_network_id = n.id GROUP BY ALL ORDER BY 2"
        ).fetchall()
        seeds = con.execute("SELECT DISTINCT seed FROM pruning_steps ORDER BY 1").fetchall()
        chain = con.execute(
            "SELECT s.step, s.parent_id, p.network_id, r.base_network_id FROM pruning_steps s"
            " JOIN pruning_runs r USING (run_id)"
            " LEFT JOIN pruning_steps p ON p.run_id = s.run_id AND p.step = s.step - 1"
        ).fetchall()
    assert bases == [("base/h8/lr0.01/seed0", 0, 2), ("base/h8/lr0.01/seed1", 1, 2)]
    assert seeds == [(0,), (1,)]
    for step, parent, previous, base in chain:
        assert parent == (base if step == 1 else previous)


def test_sparsity_rises_to_the_target_and_features_follow_the_schedule(stored):
    db, _ = stored
    steps = queries.meta_dataset(db).join(
        pl.DataFrame(
            _steps_frame(db), schema=["network_id", "step", "sparsity", "run_id"], orient="row"
        ),
        on="network_id",
    )
    for _, run in steps.sort("step").group_by("run_id"):
        sparsity = run.get_column("sparsity_right").to_list()
        assert sparsity == sorted(sparsity) and sparsity[-1] == pytest.approx(0.7, abs=0.01)
        last = run.get_column("step").max()
        for row in run.iter_rows(named=True):
            expensive = row["step"] % 2 == 0 or row["step"] == last
            assert (row["edge_betweenness_mean"] is not None) == expensive
            assert row["edges"] is not None


def _steps_frame(db):
    with reader(db) as con:
        return con.execute(
            "SELECT network_id, step, sparsity, run_id FROM pruning_steps"
        ).fetchall()


def test_a_rerun_trains_and_stores_nothing(stored):
    db, _ = stored
    before = _rows(db)
    again = run_ffn_pruning_study(_config(repeats=2), db=db, workers=1, load_every=0)
    assert (again.trained, again.already_done) == (0, 4)
    assert _rows(db) == before


def test_a_run_that_failed_is_run_again_whole_and_its_base_is_not_retrained(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    config = _config(methods=("random",))
    real = ffn_pruning_training.PruningRun

    class Killed(real):
        def __iter__(self):
            for record in super().__iter__():
                if record.step == 2:
                    raise RuntimeError("killed at step 2")
                yield record

    monkeypatch.setattr(ffn_pruning_training, "PruningRun", Killed)
    first = run_ffn_pruning_study(config, db=db, workers=1, load_every=0)
    assert list(first.failed) == ["h8/lr0.01/seed0/random/percentage/step-1"]
    assert not db.exists() or _rows(db)["pruning_runs"] == 0  # nothing half-stored
    monkeypatch.setattr(ffn_pruning_training, "PruningRun", real)
    trained = []
    original = ffn_pruning_training._train_epoch
    monkeypatch.setattr(
        ffn_pruning_training, "_train_epoch",
        lambda *a, **k: trained.append(a[-1]) or original(*a, **k),
    )  # fmt: skip
    second = run_ffn_pruning_study(config, db=db, workers=1, load_every=0)
    assert (second.trained, second.failed) == (1, {})
    # only re-training epochs ran: the base (1 epoch) was loaded, not trained again
    with reader(db) as con:
        steps = con.execute("SELECT count(*) FROM pruning_steps").fetchall()[0][0]
    assert len(trained) == steps * config.retrain_epochs


def test_connection_frame_lists_the_base_graph_edges_with_their_weights():
    data = load_data(_config())
    model = build_model((5, 4), data, seed=3)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    run = PruningRun(model, "random", create_pruning_scheme("one_shot", amount=0.5))
    list(run)
    base = build_model((5, 4), data, seed=3)
    graph = model_to_graph(base)
    frame = connection_frame(model, weights, run.pruned_at)
    edges = {(u, v): d["weight"] for u, v, d in graph.edges(data=True)}
    assert sorted(zip(frame["source"], frame["target"], strict=True)) == sorted(edges)
    for source, target, weight in frame.select("source", "target", "weight").iter_rows():
        assert weight == pytest.approx(edges[(source, target)], rel=1e-6)
    pruned = frame.filter(pl.col("pruned_at_step") == 1)
    layer = model.layers[0]
    assert pruned.height == sum(int((~t.bool()).sum()) for t in _masks(model))
    # an input->hidden connection pruned in the model is marked pruned in the frame
    zero_rows, zero_cols = torch.nonzero(layer.weight_mask == 0, as_tuple=True)
    first = (int(zero_cols[0]), int(zero_rows[0]) + data.in_features)
    assert first in set(pruned.select("source", "target").rows())


def _masks(model):
    return [layer.weight_mask for layer in model.layers]


def test_jobs_cover_the_grid_and_name_their_first_step(tmp_path):
    config = _config(repeats=2, learning_rates=(0.01, 0.0001), schemes=("one_shot", "percentage"))
    definition = define_ffn_pruning_study(config, base_dir=tmp_path)
    assert len(definition.jobs) == 2 * 2 * 2 * 2
    assert len({job.name for job in definition.jobs}) == len(definition.jobs)
    assert definition.jobs[0].name.endswith("/step-1")
    assert run_ffn_pruning_job is definition.run_job


def test_a_missing_idx_file_fails_before_anything_is_written(tmp_path):
    db = tmp_path / "w.duckdb"
    (tmp_path / "mnist").mkdir()
    config = make_ffn_pruning_config("demo", data_dir=str(tmp_path / "mnist"))
    with pytest.raises(DatasetFileError, match="train-images-idx3-ubyte"):
        run_ffn_pruning_study(config, db=db, workers=1)
    assert not db.exists()


def _step_accuracies(db) -> list[tuple]:
    with reader(db) as con:
        return con.execute(
            "SELECT s.network_id, s.step, s.sparsity, m.value FROM pruning_steps s"
            " JOIN metrics m ON m.network_id = s.network_id"
            " WHERE m.split = 'test' AND m.metric = 'acc' ORDER BY ALL"
        ).fetchall()


@pytest.mark.slow
def test_the_study_on_ray_stores_what_the_local_pool_stores(tmp_path, monkeypatch):
    """``executor="ray"`` (a local Ray of 2 CPUs) runs the same runs: same network ids, same
    sparsities and accuracies step by step (same seeds) as the local pool."""
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    on_ray = run_ffn_pruning_study(_config(), db=tmp_path / "ray.duckdb", executor="ray",
                                   workers=2, load_every=0)  # fmt: skip
    local = run_ffn_pruning_study(_config(), db=tmp_path / "local.duckdb", workers=1, load_every=0)
    assert (on_ray.trained, on_ray.failed) == (local.trained, local.failed) == (2, {})
    ray_steps = _step_accuracies(tmp_path / "ray.duckdb")
    assert len(ray_steps) >= 4
    local_steps = _step_accuracies(tmp_path / "local.duckdb")
    assert [row[:3] for row in ray_steps] == [row[:3] for row in local_steps]
    assert [row[3] for row in ray_steps] == pytest.approx([row[3] for row in local_steps])


# --- lottery-ticket rewinding ----------------------------------------------------------------


def _job(tmp_path, **overrides):
    config = _config(**overrides)
    (job,) = [
        j for j in define_ffn_pruning_study(config, base_dir=tmp_path / "bases").jobs
        if j.method == "magnitude_class_blinded"
    ]  # fmt: skip
    return job


def test_rewinding_to_epoch_k_uses_the_base_weights_after_k_epochs(tmp_path):
    """The snapshot saved with a 3-epoch base at epoch 2 equals a 2-epoch base trained on its
    own (seeded per epoch); at epoch 0 it is the freshly initialised model."""
    snapshot = ffn_pruning_training.rewind_snapshot(
        _job(tmp_path / "a", base_epochs=3, rewind_epoch=2)
    )
    two_epochs, _ = ffn_pruning_training.ensure_base_model(_job(tmp_path / "b", base_epochs=2))
    assert snapshot.keys() == {k for k in two_epochs if not k.endswith("_mask")}
    for name, value in snapshot.items():
        assert torch.equal(value, two_epochs[name]), name
    job = _job(tmp_path / "c", base_epochs=2, rewind_epoch=0)
    data = ffn_pruning_training.load_data(job.config)
    fresh = ffn_pruning_training.build_model(
        job.hidden, data, ffn_pruning_training._seed(job.seed, job.base_name, "init")
    )
    initial = ffn_pruning_training.rewind_snapshot(job)
    assert all(torch.equal(p, initial[n]) for n, p in fresh.named_parameters())
    trained, _ = ffn_pruning_training.ensure_base_model(job)
    assert not torch.equal(trained["layers.0.weight"], initial["layers.0.weight"])
    assert ffn_pruning_training.rewind_snapshot(_job(tmp_path / "d")) is None


def test_a_rewinding_study_rewinds_every_step_and_is_a_study_of_its_own(tmp_path, monkeypatch):
    """Without re-training, a rewound step is the initial weights under the step's mask: its
    stored accuracy is that model's, and the run records its rewind epoch."""
    config = _config(rewind_epoch=0, retrain_epochs=0)
    assert define_ffn_pruning_study(config, base_dir=tmp_path).study.id != (
        define_ffn_pruning_study(_config(retrain_epochs=0), base_dir=tmp_path).study.id
    )
    seen = []
    original = ffn_pruning_training.PruningRun

    class Recording(original):
        def __iter__(self):
            for record in super().__iter__():
                if record.step:
                    weights = {n: p.detach().clone() for n, p in self.model.named_parameters()}
                    seen.append((record, weights))
                yield record

    monkeypatch.setattr(ffn_pruning_training, "PruningRun", Recording)
    db = tmp_path / "w.duckdb"
    summary = run_ffn_pruning_study(config, db=db, workers=1, load_every=0)
    assert summary.failed == {}
    job = _job(tmp_path / "check", rewind_epoch=0, retrain_epochs=0)
    data = ffn_pruning_training.load_data(job.config)
    initial = ffn_pruning_training.build_model(
        job.hidden, data, ffn_pruning_training._seed(job.seed, job.base_name, "init")
    )
    assert seen
    for record, weights in seen:
        for name, parameter in initial.named_parameters():
            mask = record.masks.get(name)
            expected = parameter.detach() * mask if mask is not None else parameter.detach()
            assert torch.equal(weights[name], expected), (record.step, name)
    with reader(db) as con:
        rewinds = con.execute(
            "SELECT DISTINCT json_extract(attributes, '$.rewind_epoch') FROM pruning_runs"
        ).fetchall()
    assert rewinds == [("0",)]


def test_an_unavailable_device_is_refused_before_anything_is_written(tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="Device 'meta' holds no data"):
        run_ffn_pruning_study(_config(device="meta"), db=db, workers=1)
    assert not db.exists() and not (tmp_path / "w.duckdb.staging").exists()
