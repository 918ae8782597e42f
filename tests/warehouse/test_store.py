import random

import networkx as nx
import pytest

from warehouse import queries
from warehouse.connection import writer
from warehouse.errors import WarehouseError
from warehouse.records import Metric, NetworkRecord, records_to_frames
from warehouse.store import store_frames, store_records


def test_store_then_read_back_graphs_metrics_and_the_meta_dataset(db, study, make_records):
    records = make_records(6)
    report = store_records(db, study, records)
    assert (report.inserted, report.already_stored) == (6, 0)
    counts = queries.counts(db)
    assert counts["networks"] == 6
    assert counts["nodes"] == sum(r.graph.number_of_nodes() for r in records)
    assert counts["edges"] == sum(r.graph.number_of_edges() for r in records)
    graph = queries.load_graph(db, network_id=records[3].network_id(study.id))
    assert nx.utils.graphs_equal(graph, records[3].graph)
    meta = queries.meta_dataset(db).sort("name")
    row = meta.filter(meta["name"] == "net-3").to_dicts()[0]
    assert row["test_acc"] == pytest.approx(0.503)  # the last epoch's value, not the first
    assert row["nodes"] == records[3].graph.number_of_nodes()
    assert row["cell"] == "tanh"


def test_reingesting_the_same_records_is_a_no_op(db, study, make_records):
    store_records(db, study, make_records(5))
    before = queries.counts(db)
    report = store_records(db, study, make_records(5))
    assert (report.inserted, report.already_stored) == (0, 5)
    assert queries.counts(db) == before


def test_a_batch_with_the_same_record_twice_stores_it_once(db, study, make_records):
    record = make_records(1)[0]
    report = store_records(db, study, [record, record])
    assert report.inserted == 1
    assert queries.counts(db)["metrics"] == 2


def test_different_content_under_an_existing_name_is_refused_then_replaced(db, study, make_records):
    store_records(db, study, make_records(3))
    before = queries.counts(db)
    changed = make_records(1)[0]
    changed.metrics = [Metric(0, "test", "acc", 0.9)]
    with pytest.raises(WarehouseError, match="net-0"):
        store_records(db, study, [changed])
    assert queries.counts(db) == before
    report = store_records(db, study, [changed], replace=True)
    assert (report.inserted, report.replaced) == (1, 1)
    meta = queries.meta_dataset(db)
    assert meta.filter(meta["name"] == "net-0")["test_acc"].to_list() == [0.9]
    assert queries.counts(db)["networks"] == 3


def test_a_failing_ingest_leaves_the_warehouse_untouched(db, study, make_records):
    store_records(db, study, make_records(3))
    before = queries.counts(db)
    bad = make_records(2, offset=10)
    bad[1].features = {"bad;name": 1.0}
    with pytest.raises(WarehouseError, match="bad;name"):
        store_records(db, study, bad)
    assert queries.counts(db) == before


def test_feature_names_that_clash_with_metrics_get_a_prefix(db, study):
    record = NetworkRecord(
        name="clash", graph=nx.path_graph(3), features={"test_acc": 3.0, "name": 1.0},
        metrics=[Metric(0, "test", "acc", 0.7)],
    )  # fmt: skip
    store_records(db, study, [record])
    row = queries.meta_dataset(db).to_dicts()[0]
    assert row["test_acc"] == 0.7
    assert row["feature_test_acc"] == 3.0
    assert row["name"] == "clash" and row["feature_name"] == 1.0


def test_directed_graphs_and_weights_survive_the_round_trip(db, study):
    graph = nx.DiGraph()
    graph.add_edge("a", "b", weight=0.25)
    graph.add_edge("b", "c", weight=-1.5)
    graph.nodes["a"]["layer"] = 0
    store_records(db, study, [NetworkRecord(name="d", graph=graph)])
    (network_id,) = queries.networks(db)["network_id"].to_list()
    back = queries.load_graph(db, network_id=network_id)
    assert back.is_directed()
    assert nx.utils.graphs_equal(back, graph)
    assert back.nodes["a"]["layer"] == 0


def test_one_job_trained_twice_is_one_network_kept_or_refused_never_a_crash(db, study):
    def trained(wall_time: float) -> NetworkRecord:
        return NetworkRecord(
            "gru/ba", graph=nx.path_graph(4), cell="gru", seed=1,
            metrics=[Metric(1, "test", "acc", 0.5), Metric(1, "", "wall_time", wall_time)],
        )  # fmt: skip

    first, second = trained(1.0), trained(2.0)
    assert first.network_id(study.id) == second.network_id(study.id)
    store_records(db, study, [first])
    frames = records_to_frames(study.id, [second])
    with writer(db) as con:
        report = store_frames(con, study, frames, keep_stored=True)
    assert (report.inserted, report.skipped, report.already_stored) == (0, 1, 0)
    assert queries.metrics_of(db, network_id=first.network_id(study.id))["value"].to_list() == [
        1.0,
        0.5,
    ]  # fmt: skip  - the first result was kept
    with pytest.raises(WarehouseError, match="already holds different networks named 'gru/ba'"):
        store_records(db, study, [second])
    assert store_records(db, study, [first]).already_stored == 1


def test_a_failed_insert_reports_its_own_cause_not_the_aborted_transaction(db, study):
    twice = NetworkRecord(  # the same metric twice: the metrics primary key refuses it
        "dup", graph=nx.path_graph(3), metrics=[Metric(1, "test", "acc", 0.5)] * 2
    )
    with pytest.raises(WarehouseError) as caught:
        store_records(db, study, [twice])
    assert "Duplicate key" in str(caught.value) or "Constraint" in str(caught.value)
    assert "aborted" not in str(caught.value)
    assert queries.counts(db)["networks"] == 0


def test_the_meta_dataset_view_holds_every_features_labels_and_last_metrics_value(db, study):
    """Many names, each network with a random subset (the rest must read back as null),
    labels and metrics over epochs: every cell of the view against the records themselves."""
    rng = random.Random(3)
    names = [f"f{i:02d}" for i in range(40)]
    records = []
    for i in range(30):
        epochs = rng.randint(1, 4)
        records.append(
            NetworkRecord(
                name=f"net-{i}",
                graph=nx.path_graph(3 + i % 4),
                features={n: rng.random() for n in names if rng.random() < 0.7},
                labels={"kind": rng.choice(["a", "b"])} if i % 3 else {},
                metrics=[
                    Metric(e, s, "acc", rng.random())
                    for e in range(epochs)
                    for s in ("train", "test")
                ],
            )  # fmt: skip
        )
    store_records(db, study, records)
    rows = {row["name"]: row for row in queries.meta_dataset(db).to_dicts()}
    assert len(rows) == len(records)
    for record in records:
        row = rows[record.name]
        for name in names:
            assert row[name] == record.features.get(name), (record.name, name)
        assert row["kind"] == record.labels.get("kind")
        last = max(m.epoch for m in record.metrics)
        for split in ("train", "test"):
            (value,) = [m.value for m in record.metrics if m.epoch == last and m.split == split]
            assert row[f"{split}_acc"] == value
