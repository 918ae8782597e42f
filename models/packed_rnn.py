"""Train K structured-RNN classifiers as one model (a *pack*).

Networks of the priors study are tiny (10–50 vertices), so a training step is dominated by
fixed per-step cost (dispatch, autograd bookkeeping, clipping, the optimiser), not arithmetic.
:class:`PackedClassifiers` runs K :class:`~models.sequence_classifier.SequenceClassifier`
networks with :class:`~models.structured_rnn.StructuredRNN` bodies of *different* graphs (same
cell) in one forward/backward/optimiser step:

* the K wavefront plans become one block-structured plan (disjoint neuron blocks, no weight
  shared): neuron ``v`` of network ``k`` is merged neuron ``offset[k] + v``;
* a leading network dimension: tokens ``(K, batch, time)`` and lengths ``(K, batch)``, each
  network reading its own batch through its own embedding (input columns
  ``k * E .. (k + 1) * E`` of the merged ``weight_ih`` feed network ``k`` only) and its own
  sequences' last steps;
* compact weights: the merged dense ``weight_ih``/``weight_hh`` of a pack of K networks would be
  almost all masked (99% for 12 paper-preset networks), and every step would allocate,
  clip and optimise all of it; the pack keeps only the input weights of the input rows
  (``input_weight``) and the connected entries (``connection_weight``, in the merged plan's
  order) and runs :func:`~models.wavefront.wavefront_states_compact`;
* per-network readouts (a block-diagonal masked weight) and per-network mean losses; their sum
  is backpropagated, so each network's gradients are exactly those it gets alone;
* per-network gradient clipping (:meth:`PackedClassifiers.clip_grad_norms_`: one norm per
  network, never one global norm), then one Adam step over all parameters
  (:func:`models.packed_steps.train_pack_step`). Adam is element-wise, so one fused step over
  the merged tensors is each network's own update.

:meth:`PackedClassifiers.unpack_into` writes the trained values back into the K original
classifiers, so each network lands as its own network.

Example
-------
>>> import networkx as nx
>>> from models.sequence_classifier import SequenceClassifier
>>> nets = [SequenceClassifier(StructuredRNN(g, "gru", 4), 10, 4, 2)
...         for g in (nx.path_graph(3), nx.star_graph(4))]
>>> pack = PackedClassifiers(nets)
>>> pack(torch.randint(0, 10, (2, 5, 7)), torch.full((2, 5), 7)).shape
torch.Size([2, 5, 2])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.recurrent_cells import get_cell
from models.sequence_classifier import SequenceClassifier
from models.structured_rnn import StructuredRNN
from models.wavefront import WavefrontPlan, wavefront_states_compact

__all__ = ["PRODUCT_MODES", "PackedClassifiers"]

# Product modes of the merged plan (see models.wavefront.products); None lets the plan choose.
PRODUCT_MODES = ("sparse", "dense", "window")


class PackedClassifiers(nn.Module):
    """K structured-RNN sequence classifiers trained as one model.

    Parameters
    ----------
    classifiers:
        :class:`SequenceClassifier` networks with :class:`StructuredRNN` bodies of the same
        cell, embedding size, bias setting, vocabulary, padding id and number of classes (the
        graphs may differ). Their current parameters become the pack's; the originals are
        not modified until :meth:`unpack_into`.
    products:
        Force the merged plan's product mode (``"sparse"``, ``"dense"`` or ``"window"``);
        None keeps the mode :meth:`WavefrontPlan.build` chooses for the merged network.

    Raises
    ------
    ValueError
        If ``classifiers`` is empty, a body is not a StructuredRNN, the networks disagree on
        any of the settings above, or ``products`` is not a known mode.

    Attributes
    ----------
    size:
        K, the number of networks.
    offsets:
        ``(K + 1,)`` first merged neuron of every network (and the total).
    """

    def __init__(self, classifiers: Sequence[SequenceClassifier], *, products: str | None = None):
        super().__init__()
        where = "PackedClassifiers"
        nets = list(classifiers)
        _check_compatible(nets, where)
        if products is not None and products not in PRODUCT_MODES:
            raise ValueError(
                f"The 'products' parameter of {where} must be one of {list(PRODUCT_MODES)} or "
                f"None. Got {products!r} instead."
            )
        first = nets[0]
        bodies: list[StructuredRNN] = [net.body for net in nets]
        self.size = k_nets = len(nets)
        self.cell = bodies[0].cell
        self.gates = gates = get_cell(self.cell).gates
        self.input_size = e = bodies[0].input_size
        self.num_classes = c = first.num_classes
        self.vocab_size = first.embedding.num_embeddings
        self.padding_idx = first.embedding.padding_idx
        self.has_bias = bodies[0].bias
        counts = [b.num_neurons for b in bodies]
        self.offsets = [0]
        for count in counts:
            self.offsets.append(self.offsets[-1] + count)
        n = self.offsets[-1]
        self.num_neurons = n
        inputs = k_nets * e

        # Where every network's entries sit in the merged tensors.
        self._rows: list[torch.Tensor] = []  # (gates * n_k,) merged gate rows
        self._ih_cols: list[torch.Tensor] = []  # (E + n_k,) merged weight_ih columns
        self._hh_cols: list[torch.Tensor] = []  # (n_k,) merged weight_hh columns
        for k, (body, offset) in enumerate(zip(bodies, self.offsets, strict=False)):
            local = torch.arange(body.num_neurons)
            self._rows.append(
                torch.cat([g * n + offset + local for g in range(gates)])
            )  # gate g, neuron v -> row g * N + offset + v
            self._ih_cols.append(torch.cat([k * e + torch.arange(e), inputs + offset + local]))
            self._hh_cols.append(offset + local)

        layer = torch.cat([b.neuron_layer.cpu() for b in bodies])
        network = torch.repeat_interleave(torch.arange(k_nets), torch.tensor(counts))
        sinks = torch.cat(
            [b.sink_neurons.cpu() + o for b, o in zip(bodies, self.offsets[:-1], strict=True)]
        )
        self.register_buffer("neuron_layer", layer, persistent=False)
        self.register_buffer("sink_neurons", sinks, persistent=False)
        self.register_buffer("sink_network", network[sinks], persistent=False)
        self.register_buffer("_sink_layer", layer[sinks][None, :], persistent=False)
        self.depth = int(layer.max()) + 1

        ih_mask = torch.zeros(gates * n, inputs + n, dtype=torch.bool)
        hh_mask = torch.zeros(gates * n, n, dtype=torch.bool)
        weight_ih = torch.zeros(gates * n, inputs + n)  # merged, dense (only while building)
        weight_hh = torch.zeros(gates * n, n)
        self.bias_ih = nn.Parameter(torch.zeros(gates * n)) if self.has_bias else None
        self.bias_hh = nn.Parameter(torch.zeros(gates * n)) if self.has_bias else None
        features = [b.output_size for b in bodies]
        feature_offsets = [0]
        for count in features:
            feature_offsets.append(feature_offsets[-1] + count)
        self._feature_offsets = feature_offsets
        readout_mask = torch.zeros(k_nets * c, feature_offsets[-1], dtype=torch.bool)
        self.readout_weight = nn.Parameter(torch.zeros(k_nets * c, feature_offsets[-1]))
        self.readout_bias = nn.Parameter(torch.zeros(k_nets * c))
        self.embedding = nn.Parameter(torch.zeros(k_nets, self.vocab_size, e))
        with torch.no_grad():
            for k, (net, body) in enumerate(zip(nets, bodies, strict=True)):
                rows, ih_cols, hh_cols = self._rows[k], self._ih_cols[k], self._hh_cols[k]
                ih_mask[rows[:, None], ih_cols] = body.weight_ih_mask.cpu()
                hh_mask[rows[:, None], hh_cols] = body.weight_hh_mask.cpu()
                weight_ih[rows[:, None], ih_cols] = body.weight_ih.detach().cpu()
                weight_hh[rows[:, None], hh_cols] = body.weight_hh.detach().cpu()
                if self.has_bias:
                    self.bias_ih[rows] = body.bias_ih.detach().cpu()
                    self.bias_hh[rows] = body.bias_hh.detach().cpu()
                block = (slice(k * c, (k + 1) * c), self._feature_slice(k))
                readout_mask[block] = True
                self.readout_weight[block] = net.readout.weight.detach().cpu()
                self.readout_bias[k * c : (k + 1) * c] = net.readout.bias.detach().cpu()
                self.embedding[k] = net.embedding.weight.detach().cpu()
        self.register_buffer("readout_mask", readout_mask, persistent=False)
        # Network of every row of every parameter, for per-network gradient norms.
        row_network = network.repeat(gates)
        self.register_buffer("_row_network", row_network, persistent=False)
        self.register_buffer(
            "_readout_network", torch.arange(k_nets).repeat_interleave(c), persistent=False
        )
        if self.padding_idx is not None:  # nn.Embedding never updates the padding row
            pad = self.padding_idx
            self.embedding.register_hook(lambda grad: grad.index_fill(1, _index(grad, pad), 0.0))

        plan = WavefrontPlan.build(self.cell, layer, ih_mask, hh_mask, num_inputs=inputs)
        if products is not None:
            plan = dataclasses.replace(
                plan, sparse=products == "sparse", window=products == "window"
            )
        self.plan = plan
        # Compact weights (see the module docstring): every input row's weights on its own
        # network's E inputs, (input rows, E), and the connections, (connections,).
        input_network = network[plan.input_rows % n]
        own = (torch.arange(len(input_network)), input_network)  # (input row, network) pairs
        by_network = (len(input_network), k_nets, e)
        input_weight = weight_ih[plan.input_rows, :inputs].view(by_network)[own]
        self.input_weight = nn.Parameter(input_weight.clone())
        self.register_buffer("_input_mask", plan.input_mask.view(by_network)[own], persistent=False)
        flat = torch.cat([weight_ih.reshape(-1), weight_hh.reshape(-1)])
        self.connection_weight = nn.Parameter(flat[plan.parameter_index].clone())
        self._dense_shapes = (tuple(weight_ih.shape), tuple(weight_hh.shape))
        self.register_buffer("_input_network", input_network, persistent=False)
        self.register_buffer("_connection_network", network[plan.rows % n], persistent=False)
        self.to(first.embedding.weight.device)

    @property
    def products(self) -> str:
        """The merged plan's product mode: ``"sparse"``, ``"dense"`` or ``"window"``."""
        if self.plan.sparse:
            return "sparse"
        return "window" if self.plan.window else "dense"

    def _apply(self, fn, recurse=True):
        """Move the merged plan with the module (``.to(device)``)."""
        result = super()._apply(fn, recurse)
        if hasattr(self, "plan"):
            self.plan = self.plan.to(self.connection_weight.device)
        return result

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Class scores ``(K, batch, num_classes)``: network ``k`` scores its own batch.

        Parameters
        ----------
        tokens:
            ``(K, batch, time)`` token ids; ``tokens[k]`` is network ``k``'s padded batch.
        lengths:
            ``(K, batch)`` sequence lengths in ``[1, time]`` (any device; read on the CPU).

        Raises
        ------
        ValueError
            On shapes that do not match the pack, or lengths outside ``[1, time]``.
        """
        k_nets = self.size
        if not isinstance(tokens, torch.Tensor) or tokens.dim() != 3 or tokens.shape[0] != k_nets:
            shape = tuple(tokens.shape) if isinstance(tokens, torch.Tensor) else type(tokens)
            raise ValueError(
                "The 'tokens' parameter of PackedClassifiers.forward must have shape "
                f"({k_nets}, batch, time). Got {shape} instead."
            )
        _, batch, time = tokens.shape
        lengths = torch.as_tensor(lengths).to("cpu", torch.int64)
        if tuple(lengths.shape) != (k_nets, batch):
            raise ValueError(
                "The 'lengths' parameter of PackedClassifiers.forward must have shape "
                f"({k_nets}, {batch}). Got {tuple(lengths.shape)} instead."
            )
        if bool((lengths < 1).any()) or bool((lengths > time).any()):
            raise ValueError(
                f"The 'lengths' parameter of PackedClassifiers.forward must lie in [1, {time}]. "
                f"Got values from {int(lengths.min())} to {int(lengths.max())} instead."
            )
        longest = int(lengths.max())
        device = self.connection_weight.device
        # The input projection through a table: row r of network k adds
        # weight_r . embedding_k[token] for a token, so table[r, u] = embedding_k[u] . weight_r
        # ((input rows, U) for the U tokens the batch holds: a product of E = 8 terms per
        # entry) is looked up per token. A merged (input rows, K * E) @ (K * E, batch * time)
        # product would be 1 - 1/K zeros, and a table over the whole vocabulary (128 ASCII
        # codes for the Reber strings' 7 letters) mostly rows no batch reads.
        ids = tokens[:, :, :longest].to(device)
        present = torch.zeros(self.vocab_size, dtype=torch.bool, device=device)
        present[ids.reshape(-1)] = True
        used = present.nonzero().squeeze(1)  # (U,) the batch's token ids, ascending
        local = torch.cumsum(present, 0) - 1  # token id -> its place in ``used``
        weight = (self.input_weight * self._input_mask).unsqueeze(1)  # (rows, 1, E)
        embedding = self.embedding.index_select(1, used).index_select(0, self._input_network)
        table = (embedding * weight).sum(2)  # (rows, U, E) -> (rows, U)
        ids = local[ids].index_select(0, self._input_network)  # (rows, B, T) places in used
        rows = table.shape[0]
        # table[r, ids[r, b, t]] -> (rows, B, T) (gather: 3x faster than take with offsets)
        projection = table.gather(1, ids.view(rows, -1)).view(rows, batch, longest)
        # sink f of network k reads its sequence's last step: sweep step length - 1 + layer(f)
        read_steps = lengths.to(device).index_select(0, self.sink_network).t() - 1
        features = wavefront_states_compact(
            self.plan,
            projection,
            self.connection_weight,
            self.bias_ih,
            self.bias_hh,
            steps=longest + self.depth - 1,
            read_steps=read_steps + self._sink_layer,
            read_neurons=self.sink_neurons,
        )
        logits = F.linear(features, self.readout_weight * self.readout_mask, self.readout_bias)
        # (B, K * C) -> (K, B, C)
        return logits.view(batch, k_nets, self.num_classes).transpose(0, 1)

    def losses(self, logits: torch.Tensor, labels: torch.Tensor, reduction: str = "mean"):
        """Per-network cross-entropy ``(K,)`` of ``(K, batch, C)`` logits against ``(K, batch)``
        labels (``reduction`` ``"mean"`` or ``"sum"`` over each network's batch)."""
        k_nets, batch, c = logits.shape
        each = F.cross_entropy(logits.reshape(-1, c), labels.reshape(-1), reduction="none")
        each = each.view(k_nets, batch)
        return each.mean(1) if reduction == "mean" else each.sum(1)

    @torch.no_grad()
    def clip_grad_norms_(self, max_norm: float) -> torch.Tensor:
        """Clip every network's gradient norm at ``max_norm`` separately; returns the ``(K,)``
        norms before clipping.

        Network ``k``'s gradients are scaled exactly as
        ``torch.nn.utils.clip_grad_norm_(network_k.parameters(), max_norm)`` scales them
        (coefficient ``max_norm / (norm + 1e-6)``, capped at 1); the norms are sums over the
        network's rows, so they differ from torch's only by float summation order.
        """
        squares = self.connection_weight.new_zeros(self.size)
        grouped = self._grouped_parameters()
        for parameter, network in grouped:
            if parameter.grad is not None:
                rows = parameter.grad.reshape(parameter.shape[0], -1).pow(2).sum(1)
                squares.index_add_(0, network, rows)
        embedding = self.embedding.grad
        if embedding is not None:
            squares += embedding.pow(2).sum((1, 2))
        norms = squares.sqrt()
        coefficients = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        for parameter, network in grouped:
            if parameter.grad is not None:
                scale = coefficients.index_select(0, network)
                parameter.grad.mul_(scale.view(-1, *[1] * (parameter.dim() - 1)))
        if embedding is not None:
            embedding.mul_(coefficients[:, None, None])
        return norms

    @torch.no_grad()
    def unpack_into(self, classifiers: Sequence[SequenceClassifier]) -> None:
        """Write the pack's current values into the K classifiers it was built from (in order).

        Raises
        ------
        ValueError
            If the number of classifiers differs from the pack's size.
        """
        nets = list(classifiers)
        if len(nets) != self.size:
            raise ValueError(
                "The 'classifiers' parameter of PackedClassifiers.unpack_into must hold "
                f"{self.size} networks. Got {len(nets)} instead."
            )
        c = self.num_classes
        weight_ih, weight_hh = self._dense_weights()
        for k, net in enumerate(nets):
            body = net.body
            rows, ih_cols, hh_cols = (
                t.to(weight_ih.device) for t in (self._rows[k], self._ih_cols[k], self._hh_cols[k])
            )
            body.weight_ih.copy_(weight_ih[rows[:, None], ih_cols])
            body.weight_hh.copy_(weight_hh[rows[:, None], hh_cols])
            if self.has_bias:
                body.bias_ih.copy_(self.bias_ih[rows])
                body.bias_hh.copy_(self.bias_hh[rows])
            net.readout.weight.copy_(
                self.readout_weight[k * c : (k + 1) * c, self._feature_slice(k)]
            )
            net.readout.bias.copy_(self.readout_bias[k * c : (k + 1) * c])
            net.embedding.weight.copy_(self.embedding[k])

    def _dense_weights(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The merged dense ``weight_ih`` and ``weight_hh`` (zeros where nothing connects)."""
        ih_shape, hh_shape = self._dense_shapes
        plan = self.plan
        flat = self.connection_weight.new_zeros(
            ih_shape[0] * ih_shape[1] + hh_shape[0] * hh_shape[1]
        )
        flat.index_copy_(0, plan.parameter_index, self.connection_weight)
        ih_size = ih_shape[0] * ih_shape[1]
        weight_ih, weight_hh = flat[:ih_size].view(ih_shape), flat[ih_size:].view(hh_shape)
        rows = torch.arange(len(self._input_network), device=flat.device)
        by_network = flat.new_zeros(len(rows), self.size, self.input_size)
        by_network[rows, self._input_network] = self.input_weight * self._input_mask
        weight_ih[:, : plan.num_inputs].index_copy_(0, plan.input_rows, by_network.flatten(1))
        return weight_ih, weight_hh

    def _feature_slice(self, k: int) -> slice:
        return slice(self._feature_offsets[k], self._feature_offsets[k + 1])

    def _grouped_parameters(self) -> list[tuple[nn.Parameter, torch.Tensor]]:
        """Row-indexed parameters and the network of each row (the embedding is by network)."""
        grouped = [
            (self.input_weight, self._input_network),
            (self.connection_weight, self._connection_network),
        ]
        if self.has_bias:
            grouped += [(self.bias_ih, self._row_network), (self.bias_hh, self._row_network)]
        grouped += [
            (self.readout_weight, self._readout_network),
            (self.readout_bias, self._readout_network),
        ]
        return grouped


def _index(like: torch.Tensor, value: int) -> torch.Tensor:
    return torch.tensor([value], device=like.device)


def _check_compatible(nets: list, where: str) -> None:
    """Refuse networks that cannot share one pack, naming the first disagreement."""
    if not nets:
        raise ValueError(f"The 'classifiers' parameter of {where} must hold at least one network.")
    for k, net in enumerate(nets):
        if not isinstance(net, SequenceClassifier) or not isinstance(net.body, StructuredRNN):
            raise ValueError(
                f"The 'classifiers' parameter of {where} must hold SequenceClassifier networks "
                f"with StructuredRNN bodies; network {k} is {type(net).__name__} with body "
                f"{type(getattr(net, 'body', None)).__name__}."
            )

    def settings(net):
        return {
            "cell": net.body.cell,
            "input_size": net.body.input_size,
            "bias": net.body.bias,
            "vocab_size": net.embedding.num_embeddings,
            "padding_idx": net.embedding.padding_idx,
            "num_classes": net.num_classes,
            "device": net.embedding.weight.device,
        }

    reference = settings(nets[0])
    for k, net in enumerate(nets[1:], start=1):
        for name, value in settings(net).items():
            if value != reference[name]:
                raise ValueError(
                    f"The 'classifiers' parameter of {where} must hold networks that agree on "
                    f"{name}: network 0 has {reference[name]!r}, network {k} has {value!r}."
                )
