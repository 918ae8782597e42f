"""Tests for ingest.packed_training: a pack's records equal each network's record alone."""

from __future__ import annotations

import networkx as nx
import pytest

from ingest.generators import GraphSpec
from ingest.packed_training import (
    PACK_MAX_NETWORKS,
    eval_batch_size,
    network_depth,
    plan_packs,
    train_pack,
)
from ingest.priors_config import make_config
from ingest.priors_training import PriorsJob, train_priors_network
from warehouse.records import StudyRecord

STUDY = StudyRecord(id="test", kind="priors")
SPECS = (GraphSpec("ba", 12, {}, 1), GraphSpec("ws", 15, {}, 2), GraphSpec("ba", 10, {}, 3))


def jobs_for(cell: str, config, specs=SPECS) -> list[PriorsJob]:
    return [PriorsJob(spec, cell, config, STUDY) for spec in specs]


@pytest.mark.parametrize("cell", ["lstm"])
def test_pack_records_equal_each_network_trained_alone(cell):
    config = make_config("demo", sequences=96, epochs=2, batch_size=16)
    jobs = jobs_for(cell, config)
    packed = train_pack(jobs)
    for job, record in zip(jobs, packed, strict=True):
        alone = train_priors_network(job)
        assert record.name == alone.name == job.name
        assert record.attributes == {**alone.attributes, "pack_size": 3}
        assert (record.num_parameters, record.num_nonzero) == (
            alone.num_parameters,
            alone.num_nonzero,
        )
        assert sorted(record.graph.nodes(data="layer")) == sorted(alone.graph.nodes(data="layer"))
        assert sorted(record.graph.edges) == sorted(alone.graph.edges)
        keys = [(m.epoch, m.split, m.metric) for m in alone.metrics]
        assert [(m.epoch, m.split, m.metric) for m in record.metrics] == keys
        for mine, theirs in zip(record.metrics[:-1], alone.metrics[:-1], strict=True):
            assert mine.value == pytest.approx(theirs.value, rel=1e-5, abs=1e-6), mine


def test_a_pack_of_one_is_todays_path():
    config = make_config("demo", sequences=64, epochs=1)
    job = jobs_for("gru", config, SPECS[:1])[0]
    (record,) = train_pack([job])
    assert record.attributes == train_priors_network(job).attributes  # no pack_size


def _longest_path_vertices(spec: GraphSpec) -> int:
    """Independent depth: vertices on the longest path, edges oriented smaller -> larger id."""
    graph = spec.build()
    dag = nx.DiGraph([(min(u, v), max(u, v)) for u, v in graph.edges])
    dag.add_nodes_from(graph)
    return nx.dag_longest_path_length(dag) + 1


def test_network_depth_is_the_longest_input_to_output_path():
    for spec in (*SPECS, GraphSpec("ws", 20, {}, 5)):
        assert network_depth(spec) == _longest_path_vertices(spec)


def test_plan_packs_groups_by_cell_depth_and_vertex_budget():
    config = make_config("demo")
    specs = [GraphSpec("ws", n, {}, seed) for seed, n in enumerate((30, 30, 25, 40, 10))]
    depths = [_longest_path_vertices(spec) for spec in specs]
    assert len(set(depths)) > 1  # the order below is really by depth
    jobs = jobs_for("gru", config, specs) + jobs_for("tanh", config, specs[:2])
    packs = plan_packs(jobs, vertex_budget=60)
    gru_order = sorted(range(5), key=lambda i: depths[i])  # stable: ties keep their order
    expected, current = [], []
    for i in gru_order:  # the budget rule by hand, over the depth order
        if current and sum(specs[j].n for j in current) + specs[i].n > 60:
            expected.append(current)
            current = []
        current.append(i)
    expected.append(current)
    gru_packs = [[specs.index(j.spec) for j in p] for p in packs if p[0].cell == "gru"]
    assert gru_packs == expected
    assert [{j.cell for j in p} for p in packs] == [{"gru"}] * len(expected) + [{"tanh"}]
    assert [len(p) for p in plan_packs(jobs, pack=2)] == [2, 2, 1, 2]
    assert [len(p) for p in plan_packs(jobs, pack=1)] == [1] * 7
    many = jobs_for("gru", config, [GraphSpec("ba", 10, {}, s) for s in range(40)])
    assert max(len(p) for p in plan_packs(many, vertex_budget=10_000)) == PACK_MAX_NETWORKS
    with pytest.raises(ValueError, match="'pack' parameter of plan_packs"):
        plan_packs(jobs, pack=0)


def test_eval_batch_keeps_about_eval_states_per_batch_within_32_to_512():
    assert [eval_batch_size(n) for n in (10, 50, 64, 100, 346, 800, 5000)] == [
        512, 128, 128, 64, 32, 32, 32,
    ]  # fmt: skip  # 8192 / n to the nearest power of two: 163.8 -> 128, 81.9 -> 64


def test_train_pack_refuses_mixed_cells_and_empty_packs():
    config = make_config("demo")
    with pytest.raises(ValueError, match="one cell and one config"):
        train_pack(jobs_for("gru", config, SPECS[:1]) + jobs_for("tanh", config, SPECS[:1]))
    with pytest.raises(ValueError, match="at least one job"):
        train_pack([])
