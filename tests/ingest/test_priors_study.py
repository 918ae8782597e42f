"""The priors study end to end on a tiny configuration: stored, featured, resumable, validated."""

import json
import os
import signal
import subprocess
import sys
import time

import duckdb
import networkx as nx
import polars as pl
import pytest
import torch

from ingest import priors_config, study_driver
from ingest.priors_config import PriorsConfig, make_config
from ingest.priors_study import plan_priors_study, run_priors_study, study_id_for
from ingest.priors_training import build_classifier
from ingest.reber_encoding import VOCAB_SIZE
from warehouse import queries

NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


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
    real_run_jobs = study_driver.run_jobs

    def interrupted_after_three(fn, jobs, **kwargs):
        for count, item in enumerate(real_run_jobs(fn, jobs, **kwargs), start=1):
            yield item
            if count == 3:
                raise KeyboardInterrupt

    monkeypatch.setattr(study_driver, "run_jobs", interrupted_after_three)
    with pytest.raises(KeyboardInterrupt):
        run_priors_study(config, db=db, workers=1, pack=1)
    assert queries.counts(db)["networks"] == 3  # finished work was kept
    monkeypatch.setattr(study_driver, "run_jobs", real_run_jobs)
    summary = run_priors_study(config, db=db, workers=1, pack=1)
    assert (summary.already_done, summary.trained) == (3, 5)
    names = queries.networks(db)["name"].to_list()
    assert len(names) == len(set(names)) == 8


def test_pack_3_stores_the_records_of_pack_1_even_across_an_interrupted_run(tmp_path, monkeypatch):
    """The study's identity does not depend on packing: same study id, same network ids, same
    metrics (up to float summation order), whether networks train alone or in packs of 3 — and
    a resumed packed run packs only the networks not stored yet."""
    config = tiny(graphs_per_generator=2)  # 2 cells x 4 graphs
    alone = run_priors_study(config, db=tmp_path / "alone.duckdb", workers=1, pack=1)
    db = tmp_path / "packed.duckdb"
    real_run_jobs, units = study_driver.run_jobs, []

    def interrupted_after_the_first_pack(fn, jobs, **kwargs):
        units.append([len(unit.jobs) for unit in jobs])
        for item in real_run_jobs(fn, jobs, **kwargs):
            yield item
            if len(units) == 1:
                raise KeyboardInterrupt

    monkeypatch.setattr(study_driver, "run_jobs", interrupted_after_the_first_pack)
    with pytest.raises(KeyboardInterrupt):
        run_priors_study(config, db=db, workers=1, pack=3)
    assert queries.counts(db)["networks"] == 3  # the first pack (3 gru networks) landed whole
    packed = run_priors_study(config, db=db, workers=1, pack=3)
    assert units == [[3, 1, 3, 1], [1, 3, 1]]  # the resume packed only the 5 missing networks
    assert packed.study_id == alone.study_id
    assert (packed.already_done, packed.trained, packed.failed) == (3, 5, {})
    a = queries.meta_dataset(tmp_path / "alone.duckdb").sort("name")
    b = queries.meta_dataset(db).sort("name")
    assert a["network_id"].to_list() == b["network_id"].to_list()
    assert a["name"].to_list() == b["name"].to_list()
    with duckdb.connect(str(db), read_only=True) as con:
        attributes = [row[0] for row in con.execute("SELECT attributes FROM networks").fetchall()]
    sizes = [json.loads(text).get("pack_size", 1) for text in attributes]
    assert sorted(sizes) == [1, 1, 3, 3, 3, 3, 3, 3]  # really trained in packs
    for column in ("train_loss", "train_acc", "test_loss", "test_acc"):
        assert b[column].to_list() == pytest.approx(a[column].to_list(), rel=1e-5, abs=1e-6)
    for network_a, network_b in zip(a["network_id"], b["network_id"], strict=True):
        per_epoch = [
            queries.metrics_of(d, network_id=n).filter(pl.col("metric") != "wall_time")
            .sort("epoch", "split", "metric")["value"].to_list()
            for d, n in ((tmp_path / "alone.duckdb", network_a), (db, network_b))
        ]  # fmt: skip
        assert per_epoch[1] == pytest.approx(per_epoch[0], rel=1e-5, abs=1e-6)


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


@pytest.mark.slow
def test_the_study_runs_on_a_two_node_ray_cluster_without_a_shared_disk(tmp_path, monkeypatch):
    """Jobs run on a second Ray node (the head has no CPU for them) and get no staging path:
    their results can only come back through Ray's object store."""
    import ray
    from ray.cluster_utils import Cluster

    from ingest.priors_training import PriorsJob

    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert "staging_dir" not in PriorsJob.__dataclass_fields__  # nothing to write to
    config = tiny(cells=("gru",), generators=("ba",))
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    cluster.add_node(num_cpus=2)
    ray.init(address=cluster.address, log_to_driver=False)
    try:
        head = ray.get_runtime_context().get_node_id()
        summary = run_priors_study(config, db=tmp_path / "w.duckdb", executor="ray", workers=2)
        nodes = {n["NodeID"] for n in ray.nodes() if n["Alive"]}
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert (summary.trained, summary.failed) == (2, {})
    assert len(nodes - {head}) == 1  # the jobs' only possible node was not the driver's
    local = run_priors_study(config, db=tmp_path / "local.duckdb", workers=1)
    ray_rows = queries.meta_dataset(tmp_path / "w.duckdb").sort("name")
    local_rows = queries.meta_dataset(tmp_path / "local.duckdb").sort("name")
    assert local.trained == 2
    assert ray_rows["test_acc"].to_list() == local_rows["test_acc"].to_list()  # same seeds
    assert ray_rows["network_id"].to_list() == local_rows["network_id"].to_list()  # same ids
    assert ray_rows["density"].null_count() == 0  # features landed with them


# --- data identity, user CSVs and devices ---------------------------------------------------


def test_study_id_changes_with_the_data_version(monkeypatch):
    current = study_id_for(tiny())
    monkeypatch.setattr(priors_config, "DATA_VERSION", priors_config.DATA_VERSION + 1)
    assert study_id_for(tiny(data_version=priors_config.DATA_VERSION)) != current
    # A config claiming data this code does not make is refused.
    monkeypatch.undo()
    with pytest.raises(ValueError, match="'data_version' parameter.*must be 2"):
        tiny(data_version=1)


def test_old_memorised_data_studies_are_not_resumed():
    # The ids the previous code (data version 1, repeated strings) gave the two presets.
    assert study_id_for(make_config("demo")) != "priors-demo-a020bb7d"
    assert study_id_for(make_config("paper")) != "priors-paper-3b72878f"
    assert make_config("demo").identity()["data_version"] == 2


def test_device_is_stored_but_not_part_of_the_study_id():
    on_gpu = tiny(device="cuda:1")  # a valid device string; availability is checked on run
    assert study_id_for(on_gpu) == study_id_for(tiny())
    assert on_gpu.to_dict()["device"] == "cuda:1" and "device" not in on_gpu.identity()
    assert study_id_for(tiny(min_length=7)) != study_id_for(tiny())


def test_every_network_is_built_on_the_configured_device():
    # meta holds no data (a study refuses it) but shows where building puts parameters.
    model = build_classifier(nx.path_graph(4), "gru", tiny(device="meta"))
    assert {p.device.type for p in model.parameters()} == {"meta"}
    assert model.embedding.num_embeddings == VOCAB_SIZE == 128


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory):
    """A warehouse holding one tiny study, to show that refused runs leave it intact."""
    db = tmp_path_factory.mktemp("stored") / "w.duckdb"
    run_priors_study(tiny(cells=("gru",), generators=("ba",), epochs=1), db=db, workers=1)
    return db


@NO_CUDA
def test_an_unavailable_device_is_refused_up_front_and_the_warehouse_is_intact(stored_db):
    db = stored_db
    before = queries.counts(db)
    with pytest.raises(ValueError, match=r"Device 'cuda' is not available.*--device cpu"):
        run_priors_study(tiny(device="cuda"), db=db, workers=1)
    assert queries.counts(db) == before
    with pytest.raises(ValueError, match="Device 'cuda:0' is not available"):
        make_config("demo", device="cuda:0")
    with pytest.raises(ValueError, match="'meta' holds no data"):
        make_config("demo", device="meta")
    with pytest.raises(ValueError, match="'device' parameter of the priors study.*'gpu0'"):
        tiny(device="gpu0")


def _write_csv(path, rows, header="string,valid"):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return path


# True strings, near misses and the paper's other capitals; 12 rows with a split column.
CSV_ROWS = [
    ("BPTVPXTTVVE", 1, "train"), ("BCILHJJJJILGE", 0, "train"), ("BTSSXXTVVE", 1, "train"),
    ("BTTVPXTVPSE", 0, "train"), ("BPVPSE", 1, "train"), ("BQZWKLE", 0, "train"),
    ("BTXXVPSE", 1, "train"), ("BCILHE", 0, "train"), ("BTXSE", 1, "test"),
    ("BJJILGE", 0, "test"), ("BPVVE", 1, "test"), ("BTXXE", 0, "test"),
]  # fmt: skip


def _csv_config(path, **overrides):
    settings = dict(cells=["gru"], generators=["ba"], graphs_per_generator=2, epochs=1,
                    n_range=(5, 8), batch_size=4)  # fmt: skip
    return make_config("demo", reber_csv=path, **{**settings, **overrides})


def test_a_study_trains_on_a_users_csv_with_its_split_column(tmp_path):
    path = _write_csv(tmp_path / "mine.csv", CSV_ROWS, header="string,valid,split")
    config = _csv_config(path)
    summary = run_priors_study(config, db=tmp_path / "w.duckdb", workers=1)
    assert (summary.trained, summary.failed) == (2, {})
    meta = queries.meta_dataset(tmp_path / "w.duckdb", study=summary.study_id)
    assert all(round(acc * 4, 9).is_integer() for acc in meta["test_acc"])  # 4 test rows
    assert all(round(acc * 8, 9).is_integer() for acc in meta["train_acc"])  # 8 train rows
    for network_id in meta["network_id"]:
        attributes = queries.network_attributes(tmp_path / "w.duckdb", network_id=network_id)
        assert attributes["sequences"] == 12


def test_a_users_csv_without_split_gets_a_seeded_75_25_split(tmp_path):
    rows = [(s, v) for s, v, _ in CSV_ROWS] + [("BTSXSE", 1), ("BTSXXE", 0), ("BPTVVE", 1),
                                                ("BPTQVE", 0)]  # fmt: skip
    path = _write_csv(tmp_path / "plain.csv", rows)
    summary = run_priors_study(_csv_config(path), db=tmp_path / "w.duckdb", workers=1)
    assert summary.failed == {}
    meta = queries.meta_dataset(tmp_path / "w.duckdb", study=summary.study_id)
    assert all(round(acc * 4, 9).is_integer() for acc in meta["test_acc"])  # 2 + 2 of 16
    assert all(round(acc * 12, 9).is_integer() for acc in meta["train_acc"])
    for network_id in meta["network_id"]:
        attributes = queries.network_attributes(tmp_path / "w.duckdb", network_id=network_id)
        assert attributes["sequences"] == 16


def test_the_csv_rows_enter_the_study_id_and_its_path_does_not(tmp_path):
    a = _write_csv(tmp_path / "a.csv", [(s, v) for s, v, _ in CSV_ROWS])
    (tmp_path / "elsewhere").mkdir()
    b = _write_csv(tmp_path / "elsewhere" / "a.csv", [(s, v) for s, v, _ in CSV_ROWS])
    changed = _write_csv(tmp_path / "c.csv", [(s, 1 - v) for s, v, _ in CSV_ROWS])
    ids = [study_id_for(_csv_config(p)) for p in (a, b, changed)]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0] != study_id_for(make_config("demo", cells=["gru"], generators=["ba"],
                                              graphs_per_generator=2, epochs=1,
                                              n_range=(5, 8), batch_size=4))  # fmt: skip


def test_a_csv_changed_after_the_config_was_made_is_refused(tmp_path, stored_db):
    path = _write_csv(tmp_path / "mine.csv", [(s, v) for s, v, _ in CSV_ROWS])
    config = _csv_config(path)
    _write_csv(path, [(s, v) for s, v, _ in CSV_ROWS[:-1]])
    before = queries.networks(stored_db)
    with pytest.raises(ValueError, match="mine.csv.*changed since the study started"):
        run_priors_study(config, db=stored_db, workers=1)
    assert queries.networks(stored_db).equals(before)


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("string,valid\nBTXSE,1\n,0\n", "row 2 has an empty value"),
        ("string,valid\nBTXSE,1\nbpvve,1\n", "lowercase letters.*row 2 has 'bpvve'"),
        ("string,valid\nBTXSE,yes\n", "column 'valid'.*row 1 has 'yes'"),
        ("string\nBTXSE\n", r"missing column\(s\) \['valid'\]"),
        ("string,valid,split\nBTXSE,1,train\nBPVVE,0,train\n", "0 for testing"),
    ],
)
def test_a_bad_csv_is_refused_before_anything_is_written(tmp_path, stored_db, content, match):
    before = queries.networks(stored_db)
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(ValueError, match=match):
        _csv_config(path)
    assert queries.networks(stored_db).equals(before)


def test_more_sequences_than_the_grammar_holds_is_refused():
    with pytest.raises(ValueError, match=r"asks for 100 distinct.*only 67 of length 5 to 11"):
        tiny(sequences=200, max_length=11)


def test_a_network_trained_twice_is_stored_once_and_the_study_goes_on(tmp_path):
    from ingest.priors_study import define_priors_study
    from ingest.priors_training import run_priors_job
    from warehouse.staging import complete_bundles, stage_frames

    config = tiny(cells=("gru",), generators=("ba",), epochs=1)
    db = tmp_path / "w.duckdb"
    run_priors_study(config, db=db, workers=1)
    stored = queries.networks(db)
    definition = define_priors_study(config)
    again = run_priors_job(definition.jobs[0])  # e.g. an orphaned worker of a killed driver
    staging = tmp_path / "w.duckdb.staging" / definition.study.id
    stage_frames(staging, definition.study, again.tables)
    rerun = run_priors_study(config, db=db, workers=1)
    assert (rerun.trained, rerun.already_done) == (0, 2)
    assert queries.networks(db)["network_id"].to_list() == stored["network_id"].to_list()
    assert complete_bundles(staging) == []
