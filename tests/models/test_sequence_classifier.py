"""Tests for models.sequence_classifier: embedding -> recurrent body -> readout."""

from __future__ import annotations

import networkx as nx
import pytest
import torch
from torch import nn

from models.masked_recurrent import MaskedRecurrent
from models.sequence_classifier import SequenceClassifier
from models.structured_rnn import StructuredRNN


def bodies():
    return [
        MaskedRecurrent("gru", 4, [5, 3]),
        StructuredRNN(nx.barabasi_albert_graph(6, 2, seed=0), "lstm", 4),
    ]


@pytest.mark.parametrize("body", bodies(), ids=["masked_recurrent", "structured_rnn"])
def test_forward_is_readout_of_body_of_embedding(body):
    torch.manual_seed(0)
    model = SequenceClassifier(body, vocab_size=10, embedding_dim=4, num_classes=3)
    tokens = torch.randint(0, 10, (5, 7))
    lengths = torch.tensor([7, 3, 1, 6, 7])
    expected = model.readout(body(model.embedding(tokens), lengths))
    logits = model(tokens, lengths)
    assert logits.shape == (5, 3)
    assert torch.allclose(logits, expected)
    labels = torch.tensor([0, 1, 2, 0, 1])
    assert torch.allclose(model.loss(logits, labels), nn.functional.cross_entropy(logits, labels))


@pytest.mark.parametrize("body", bodies(), ids=["masked_recurrent", "structured_rnn"])
def test_padding_tokens_never_matter(body):
    model = SequenceClassifier(body, vocab_size=10, embedding_dim=4, num_classes=2)
    tokens = torch.randint(1, 10, (3, 6))
    lengths = torch.tensor([6, 2, 4])
    noisy = tokens.clone()
    noisy[torch.arange(6)[None, :] >= lengths[:, None]] = 7
    assert torch.allclose(model(tokens, lengths), model(noisy, lengths))


def test_padding_idx_embedding_is_zero():
    model = SequenceClassifier(MaskedRecurrent("tanh", 4, [3]), 10, 4, 2, padding_idx=0)
    assert torch.count_nonzero(model.embedding.weight[0]) == 0


@pytest.mark.parametrize("body", bodies(), ids=["masked_recurrent", "structured_rnn"])
def test_neuron_graph_adds_outputs_fed_by_feature_neurons(body):
    model = SequenceClassifier(body, vocab_size=10, embedding_dim=4, num_classes=2)
    with torch.no_grad():
        model.readout.weight[1, 0] = 0.0
    body_graph = body.neuron_graph()
    graph = model.neuron_graph()
    outputs = [v for v, d in graph.nodes(data=True) if d["role"] == "output"]
    assert len(outputs) == 2
    assert graph.number_of_nodes() == body_graph.number_of_nodes() + 2
    deepest = max(d["layer"] for _, d in body_graph.nodes(data=True))
    assert all(graph.nodes[o]["layer"] == deepest + 1 for o in outputs)
    assert graph.nodes[outputs[1]]["bias"] == pytest.approx(float(model.readout.bias.detach()[1]))
    features = body.feature_neurons()
    readout_edges = {(u, v) for u, v in graph.edges if v in outputs}
    expected = {
        (features[i], outputs[k])
        for k in range(2)
        for i in range(len(features))
        if model.readout.weight[k, i] != 0
    }
    assert readout_edges == expected
    assert (features[0], outputs[1]) not in readout_edges
    assert graph.edges[features[1], outputs[0]]["weight"] == pytest.approx(
        float(model.readout.weight.detach()[0, 1])
    )


def test_validation_errors():
    body = MaskedRecurrent("tanh", 4, [3])
    with pytest.raises(ValueError, match="'embedding_dim'.*input_size \\(4\\).*Got 5"):
        SequenceClassifier(body, 10, 5, 2)
    with pytest.raises(ValueError, match="'num_classes'.*Got 0"):
        SequenceClassifier(body, 10, 4, 0)
    with pytest.raises(ValueError, match="'vocab_size'"):
        SequenceClassifier(body, -1, 4, 2)
    with pytest.raises(ValueError, match="'body'.*Linear"):
        SequenceClassifier(nn.Linear(4, 4), 10, 4, 2)
    model = SequenceClassifier(body, 10, 4, 2)
    with pytest.raises(ValueError, match="'tokens'.*integer"):
        model(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="'tokens'"):
        model(torch.zeros(2, 3, 4, dtype=torch.long))
    # Ids the embedding has no row for: ASCII 'B' (66) with only 10 rows, or a negative id.
    with pytest.raises(ValueError, match=r"ids in \[0, vocab_size=10\). Got ids from 0 to 66"):
        model(torch.tensor([[0, 66]]))
    with pytest.raises(ValueError, match="Got ids from -1 to 3"):
        model(torch.tensor([[-1, 3]]))
    assert model(torch.tensor([[0, 9]])).shape == (1, 2)  # the last row is fine


def test_neuron_graph_needs_a_graph_capable_body():
    class MeanBody(nn.Module):
        input_size, output_size = 4, 4

        def forward(self, x, lengths=None):
            return x.mean(1)

    model = SequenceClassifier(MeanBody(), 10, 4, 2)
    assert model(torch.randint(0, 10, (2, 3))).shape == (2, 2)
    with pytest.raises(TypeError, match="MeanBody has no neuron_graph"):
        model.neuron_graph()
