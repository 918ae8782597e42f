import networkx as nx
import pytest
import torch

from ingest.model_store import load_model, model_record, store_model
from models.dag_network import MaskedDAGNetwork
from models.feedforward import MaskedFeedForward
from models.sparsity import parameter_counts
from models.to_graph import model_to_graph
from warehouse import queries
from warehouse.records import Metric, StudyRecord
from warehouse.store import store_records

STUDY = StudyRecord(id="models", kind="test")


def _sparse_feedforward() -> MaskedFeedForward:
    torch.manual_seed(0)
    model = MaskedFeedForward(6, [5, 4], 3)
    generator = torch.Generator().manual_seed(1)
    masks = [torch.rand(m.shape, generator=generator) > 0.5 for m in model.masks()]
    model.set_masks(masks)
    return model


@pytest.mark.parametrize(
    "make_model",
    [
        _sparse_feedforward,
        lambda: MaskedDAGNetwork(nx.watts_strogatz_graph(12, 4, 0.3, seed=2), 5, 2),
    ],
)
def test_a_stored_model_is_rebuilt_computing_the_same_function(tmp_path, make_model):
    db = tmp_path / "w.duckdb"
    model = make_model()
    network_id = store_model(db, STUDY, "m", model, metrics=[Metric(1, "test", "acc", 0.9)])
    rebuilt = load_model(db, network_id)
    x = torch.randn(7, _inputs(model))
    torch.testing.assert_close(rebuilt(x), model(x))
    assert nx.utils.graphs_equal(model_to_graph(rebuilt), model_to_graph(model))
    meta = queries.meta_dataset(db).to_dicts()[0]
    assert meta["test_acc"] == 0.9
    counts = parameter_counts(model)
    assert meta["sparsity"] == pytest.approx(1 - counts.nonzero / counts.total)


def _inputs(model) -> int:
    graph = model_to_graph(model)
    return sum(1 for _, role in graph.nodes(data="role") if role == "input")


def test_lineage_links_a_pruned_model_to_its_parent(tmp_path):
    db = tmp_path / "w.duckdb"
    parent = _sparse_feedforward()
    parent_id = store_model(db, STUDY, "parent", parent)
    child = _sparse_feedforward()
    first = child.masks()[0].clone()
    first[:, :3] = False
    child.set_masks([first, *child.masks()[1:]])
    child_id = store_model(db, STUDY, "pruned", child, parent_id=parent_id)
    rows = {r["network_id"]: r for r in queries.networks(db).to_dicts()}
    assert rows[child_id]["parent_id"] == parent_id
    assert rows[child_id]["sparsity"] > rows[parent_id]["sparsity"]


def test_a_plain_graph_cannot_be_rebuilt_as_a_model(tmp_path):
    db = tmp_path / "w.duckdb"
    record = model_record("m", _sparse_feedforward())
    record.attributes = {}
    store_records(db, STUDY, [record])
    (network_id,) = queries.networks(db)["network_id"].to_list()
    with pytest.raises(ValueError, match="not stored from a model"):
        load_model(db, network_id)
    with pytest.raises(KeyError, match="nope"):
        load_model(db, "nope")


def test_recurrent_models_are_stored_as_their_neuron_graph(tmp_path):
    from models.sequence_classifier import SequenceClassifier
    from models.structured_rnn import StructuredRNN

    db = tmp_path / "w.duckdb"
    model = SequenceClassifier(StructuredRNN(nx.path_graph(4), "gru", 3), 8, 3, 2)
    network_id = store_model(db, STUDY, "rnn", model)
    stored = queries.load_graph(db, network_id=network_id)
    expected = model_to_graph(model)
    graph_attributes = dict(expected.graph)
    expected.graph.clear()  # graph-level facts live in the network's attributes
    assert nx.utils.graphs_equal(stored, expected)  # recurrent edges keep their flag
    assert any(data.get("recurrent") for _, _, data in stored.edges(data=True))
    assert queries.network_attributes(db, network_id=network_id)["graph"] == graph_attributes
