"""Sequence classifier: character embedding -> recurrent body -> linear readout.

The pruning study (masked stacked RNNs) and the priors study (structured RNNs) train the same
model around different bodies (paper, sections 4.2 and 4.3): an embedding of the characters
of a sequence, a recurrent body that returns one feature vector per sequence (read at the
sequence's own last step), and a linear layer that scores the classes.

Example
-------
>>> from models.masked_recurrent import MaskedRecurrent
>>> model = SequenceClassifier(MaskedRecurrent("tanh", 8, [16]), 128, 8, 2)
>>> tokens = torch.randint(0, 128, (3, 6))
>>> model(tokens, torch.tensor([6, 4, 2])).shape
torch.Size([3, 2])
"""

from __future__ import annotations

from typing import Protocol

import networkx as nx
import torch
import torch.nn.functional as F
from torch import nn

from models.recurrent_cells import add_unit_edges, check_size

__all__ = ["RecurrentBody", "SequenceClassifier"]


class RecurrentBody(Protocol):
    """What :class:`SequenceClassifier` needs from a body.

    :class:`models.masked_recurrent.MaskedRecurrent` and
    :class:`models.structured_rnn.StructuredRNN` both qualify. ``input_size``,
    ``output_size`` and the call are required; ``neuron_graph`` and ``feature_neurons`` only
    for :meth:`SequenceClassifier.neuron_graph`.
    """

    input_size: int

    @property
    def output_size(self) -> int: ...

    def __call__(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """``(batch, time, input_size)`` padded batch -> ``(batch, output_size)`` features."""
        ...

    def neuron_graph(self) -> nx.DiGraph: ...

    def feature_neurons(self) -> list[int]: ...


class SequenceClassifier(nn.Module):
    """Embedding, recurrent body and linear readout; trained with cross-entropy.

    Parameters
    ----------
    body:
        A :class:`RecurrentBody` whose ``input_size`` equals ``embedding_dim``.
    vocab_size:
        Number of token ids, i.e. embedding rows; every id fed to :meth:`forward` must be
        below it (e.g. 128 for the ASCII codes of :mod:`ingest.reber_encoding`).
    embedding_dim:
        Size of a token's embedding.
    num_classes:
        Number of classes scored by the readout.
    padding_idx:
        Optional token id used for padding (its embedding stays zero). Padding is never read
        either way: bodies stop at each sequence's own length.

    Raises
    ------
    ValueError
        On non-positive sizes, a body that is not a :class:`RecurrentBody`, or a body whose
        ``input_size`` differs from ``embedding_dim``.
    """

    def __init__(
        self,
        body: nn.Module,
        vocab_size: int,
        embedding_dim: int,
        num_classes: int,
        *,
        padding_idx: int | None = None,
    ):
        super().__init__()
        where = "SequenceClassifier"
        check_size(vocab_size, name="vocab_size", where=where)
        check_size(embedding_dim, name="embedding_dim", where=where)
        check_size(num_classes, name="num_classes", where=where)
        if not isinstance(body, nn.Module) or not all(
            hasattr(body, name) for name in ("input_size", "output_size")
        ):
            raise ValueError(
                f"The 'body' parameter of {where} must be a recurrent body module with "
                f"input_size and output_size. Got {type(body).__name__} instead."
            )
        if body.input_size != embedding_dim:
            raise ValueError(
                f"The 'embedding_dim' parameter of {where} must equal the body's input_size "
                f"({body.input_size}). Got {embedding_dim} instead."
            )
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.body = body
        self.readout = nn.Linear(body.output_size, num_classes)

    @property
    def num_classes(self) -> int:
        """Number of scored classes."""
        return self.readout.out_features

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Class scores (logits) ``(batch, num_classes)`` of a padded batch of token ids.

        Parameters
        ----------
        tokens:
            ``(batch, time)`` integer token ids; sequence ``b`` occupies ``0 .. lengths[b]-1``.
        lengths:
            ``(batch,)`` sequence lengths; None means every sequence fills ``time``.

        Raises
        ------
        ValueError
            If ``tokens`` is not a 2-d integer tensor or holds an id outside
            ``[0, vocab_size)`` (the embedding has no row for it).
        """
        if not isinstance(tokens, torch.Tensor) or tokens.dim() != 2 or tokens.is_floating_point():
            shape = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens)
            raise ValueError(
                "The 'tokens' parameter of SequenceClassifier.forward must be an integer tensor "
                f"of shape (batch, time). Got {shape} instead."
            )
        vocab = self.embedding.num_embeddings
        if tokens.numel() and not (int(tokens.min()) >= 0 and int(tokens.max()) < vocab):
            raise ValueError(
                "The 'tokens' parameter of SequenceClassifier.forward must hold ids in "
                f"[0, vocab_size={vocab}). Got ids from {int(tokens.min())} to "
                f"{int(tokens.max())} instead."
            )
        return self.readout(self.body(self.embedding(tokens), lengths))

    def loss(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy of ``logits`` against integer ``labels``."""
        return F.cross_entropy(logits, labels)

    def neuron_graph(self) -> nx.DiGraph:
        """The body's neuron graph plus the readout.

        Output neurons get the next free integer ids, ``layer`` one above the deepest body
        neuron, ``role`` ``"output"``, ``name`` ``"y<k>"`` and the readout ``bias``; readout
        weights become edges from the body's feature neurons (see
        ``body.feature_neurons()``). The embedding is not part of the graph: the body's input
        neurons are the embedding dimensions.
        """
        if not all(hasattr(self.body, n) for n in ("neuron_graph", "feature_neurons")):
            raise TypeError(
                f"SequenceClassifier.neuron_graph: the body {type(self.body).__name__} has no "
                "neuron_graph() / feature_neurons()."
            )
        graph = self.body.neuron_graph()
        layer = 1 + max((d["layer"] for _, d in graph.nodes(data=True)), default=-1)
        start = 1 + max(graph.nodes, default=-1)
        outputs = list(range(start, start + self.num_classes))
        biases = self.readout.bias.detach().tolist()
        graph.add_nodes_from(
            (o, {"layer": layer, "role": "output", "name": f"y{k}", "bias": biases[k]})
            for k, o in enumerate(outputs)
        )
        add_unit_edges(
            graph,
            self.readout.weight,
            gates=1,
            sources=self.body.feature_neurons(),
            targets=outputs,
        )
        return graph
