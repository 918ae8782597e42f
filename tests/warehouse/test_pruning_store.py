"""Pruning runs in the warehouse: step graphs derived from the base, one transaction, idempotent."""

import networkx as nx
import polars as pl
import pytest

from ingest.feature_landing import features_of_frames, land_missing_features
from warehouse import queries
from warehouse.connection import reader
from warehouse.deletion import delete_study_rows
from warehouse.errors import WarehouseError
from warehouse.pruning_store import PruningRunRecord, pruning_frames, store_pruning_run
from warehouse.records import Metric, NetworkRecord, StudyRecord, pruning_run_id
from warehouse.staging import load_staged, stage_frames
from warehouse.store import store_records

TABLES = ("studies", "networks", "nodes", "edges", "metrics", "features", "pruning_runs",
          "run_connections")  # fmt: skip


def _base_graph() -> nx.DiGraph:
    """A 3-3-2 layered net with weights: vertices 0..7, 15 edges."""
    graph = nx.DiGraph()
    for v in range(8):
        graph.add_node(v, layer=0 if v < 3 else 1 if v < 6 else 2)
    weight = 0.1
    for u in range(3):
        for v in range(3, 6):
            graph.add_edge(u, v, weight=weight)
            weight += 0.1
    for u in range(3, 6):
        for v in (6, 7):
            graph.add_edge(u, v, weight=-weight)
            weight += 0.1
    return graph


# (source, target) -> step at which the run prunes it (missing: never)
PRUNED = {(0, 3): 1, (1, 4): 1, (2, 5): 2, (3, 6): 2, (4, 7): 3, (0, 5): 3}


def _run(key="m/one_shot", pruned=PRUNED, base="base", method="magnitude"):
    graph = _base_graph()
    rows = [(u, v, d["weight"], pruned.get((u, v))) for u, v, d in graph.edges(data=True)]
    frame = pl.DataFrame(
        rows, schema=["source", "target", "weight", "pruned_at_step"], orient="row"
    )
    base_record = NetworkRecord(
        name=base,
        graph=graph,
        family="feedforward",
        seed=0,
        metrics=[Metric(1, "test", "acc", 0.9)],
    )
    run = PruningRunRecord(
        run_key=key, base_name=base, method=method, scheme="one_shot", granularity="weights",
        seed=0, attributes={"expensive_every": 2}, connections=frame,
    )  # fmt: skip
    steps = []
    parent = base_record.network_id("unit")
    for step in (1, 2, 3):
        record = NetworkRecord(
            name=f"{key}/{step}", family="feedforward", seed=0, parent_id=parent,
            pruning_step=step,
            metrics=[Metric(0, "test", "acc_before", 0.5 + step / 100),
                     Metric(2, "test", "acc", 0.8 + step / 100)],
        )  # fmt: skip
        parent = record.network_id("unit")
        steps.append(record)
    return base_record, run, steps


def _expected_graph(step: int) -> nx.DiGraph:
    graph = _base_graph()
    graph.remove_edges_from([e for e, at in PRUNED.items() if at <= step])
    return graph


def _rows(db) -> dict:
    with reader(db) as con:
        return {t: sorted(map(str, con.execute(f"SELECT * FROM {t}").fetchall())) for t in TABLES}


def test_a_step_graph_is_the_base_minus_the_connections_pruned_so_far(db, study):
    base, run, steps = _run()
    report = store_pruning_run(db, study, base, run, steps)
    assert report.inserted == 4
    for record in steps:
        loaded = queries.load_graph(db, network_id=record.network_id(study.id))
        expected = _expected_graph(record.pruning_step)
        assert nx.utils.graphs_equal(loaded, expected)
        assert sorted(loaded.edges) == sorted(expected.edges)
    arrays = queries.graph_edge_arrays(db, [steps[2].network_id(study.id)])
    num_nodes, directed, edges = arrays[steps[2].network_id(study.id)]
    assert (num_nodes, directed) == (8, True)
    assert sorted(edges.select("source", "target").rows()) == sorted(_expected_graph(3).edges)
    base_graph = queries.load_graph(db, network_id=base.network_id(study.id))
    assert nx.utils.graphs_equal(base_graph, _base_graph())


def test_the_pruning_steps_view_has_one_row_per_step(db, study):
    base, run, steps = _run()
    store_pruning_run(db, study, base, run, steps)
    with reader(db) as con:
        rows = con.execute(
            "SELECT step, sparsity, acc_before, acc_after, method, scheme, seed, parent_id,"
            " run_id FROM pruning_steps ORDER BY step"
        ).fetchall()
        networks = con.execute(
            "SELECT num_edges, sparsity FROM networks WHERE pruning_step IS NOT NULL"
            " ORDER BY pruning_step"
        ).fetchall()
    total = 15
    pruned = {s: sum(at <= s for at in PRUNED.values()) for s in (1, 2, 3)}
    assert [r[0] for r in rows] == [1, 2, 3]
    assert [r[1] for r in rows] == pytest.approx([pruned[s] / total for s in (1, 2, 3)])
    assert [r[2] for r in rows] == pytest.approx([0.51, 0.52, 0.53])
    assert [r[3] for r in rows] == pytest.approx([0.81, 0.82, 0.83])
    assert {r[4:7] for r in rows} == {("magnitude", "one_shot", 0)}
    assert rows[0][7] == base.network_id(study.id)
    assert rows[1][7] == steps[0].network_id(study.id)
    assert {r[8] for r in rows} == {pruning_run_id(study.id, "m/one_shot")}
    assert networks == [(total - pruned[s], pytest.approx(pruned[s] / total)) for s in (1, 2, 3)]


def test_the_same_run_twice_is_stored_once(db, study):
    store_pruning_run(db, study, *_run())
    before = _rows(db)
    again = store_pruning_run(db, study, *_run())
    assert (again.inserted, again.already_stored) == (0, 4)
    assert _rows(db) == before


def test_a_second_run_from_the_same_base_shares_it(db, study):
    store_pruning_run(db, study, *_run())
    store_pruning_run(db, study, *_run(key="r/one_shot", method="random", pruned={(0, 3): 1}))
    with reader(db) as con:
        assert con.execute("SELECT count(*) FROM networks WHERE name = 'base'").fetchall() == [(1,)]
        assert con.execute("SELECT count(*) FROM nodes").fetchall() == [(8,)]
        assert con.execute(
            "SELECT method, count(*) FROM pruning_steps GROUP BY 1 ORDER BY 1"
        ).fetchall() == [("magnitude", 3), ("random", 3)]


@pytest.mark.parametrize(
    ("pruned", "message"),
    [
        ({(0, 7): 1}, "not an edge of the run's base"),  # 0 -> 7 is not in the base
        ({(0, 3): 0}, "pruned_at_step must be >= 1"),
    ],
)
def test_a_failing_ingest_leaves_the_warehouse_unchanged(db, study, pruned, message):
    store_pruning_run(db, study, *_run())
    before = _rows(db)
    base, run, steps = _run(key="bad/one_shot", pruned=pruned)
    if (0, 7) in pruned:  # a connection that is not an edge of the base
        extra = pl.DataFrame({"source": [0], "target": [7], "weight": [1.0], "pruned_at_step": [1]})
        run = PruningRunRecord(**{**run.__dict__, "connections": pl.concat(
            [run.connections, extra], how="vertical_relaxed")})  # fmt: skip
    with pytest.raises(WarehouseError, match=message):
        store_pruning_run(db, study, base, run, steps)
    assert _rows(db) == before


def test_a_step_network_without_its_run_is_refused(db, study):
    orphan = NetworkRecord(name="lost", pruning_run_key="nowhere", pruning_step=1)
    with pytest.raises(WarehouseError, match="neither stored nor in the batch"):
        store_records(db, study, [orphan])
    assert not db.exists() or _rows(db)["networks"] == []


def test_pruning_frames_refuse_a_step_with_a_graph(study):
    base, run, steps = _run()
    steps[0] = NetworkRecord(name="x", graph=nx.DiGraph([(0, 1)]))
    with pytest.raises(ValueError, match="has a graph"):
        pruning_frames(study.id, base, run, steps)


def test_deleting_a_study_removes_its_pruning_rows(db, study):
    store_pruning_run(db, study, *_run())
    other = StudyRecord(id="other", kind="test")
    store_pruning_run(db, other, *_run())
    deleted = delete_study_rows(db, study.id)
    assert deleted["pruning_runs"] == 1 and deleted["run_connections"] == 15
    with reader(db) as con:
        assert con.execute("SELECT DISTINCT study_id FROM pruning_runs").fetchall() == [("other",)]
        assert con.execute("SELECT count(*) FROM run_connections").fetchall() == [(15,)]


def test_staged_runs_land_with_cheap_features_every_step_and_full_ones_every_k_th(
    db, study, tmp_path
):
    base, run, steps = _run()  # expensive_every = 2
    frames = pruning_frames(study.id, base, run, steps)
    staging = tmp_path / "staging"
    stage_frames(staging, study, frames)
    stage_frames(staging, study, frames)  # the job re-run: staged twice, stored once
    report = load_staged(db, staging, keep_stored=True, derive=features_of_frames)
    assert report.inserted == 4
    with reader(db) as con:
        assert con.execute("SELECT count(*) FROM run_connections").fetchall() == [(15,)]
    table = queries.meta_dataset(db, study=study.id)
    by_name = {row["name"]: row for row in table.iter_rows(named=True)}
    for record in steps:
        row = by_name[record.name]
        expected = _expected_graph(record.pruning_step)
        assert row["edges"] == expected.number_of_edges()
        assert row["density"] == pytest.approx(nx.density(expected))
        degree = nx.degree_centrality(expected.to_undirected())
        assert row["degree_centrality_mean"] == pytest.approx(sum(degree.values()) / 8)
        assert row["sink_nodes"] == sum(1 for v in expected if expected.out_degree(v) == 0)
        between = nx.edge_betweenness_centrality(expected.to_undirected())
        if record.pruning_step % 2 == 0 or record.pruning_step == 3:  # k-th or last
            mean = sum(between.values()) / len(between)
            assert row["edge_betweenness_mean"] == pytest.approx(mean)
        else:
            assert row["edge_betweenness_mean"] is None
    assert land_missing_features(db, study=study.id, n_jobs=1) == 0  # cheap steps are complete
