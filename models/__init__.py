"""Sparse torch models: masked layers and networks, their graphs, sparsity and sparse inference.

Everything public is importable from ``models`` directly (loaded on first use, so that
importing one light module such as :mod:`models.dag` does not import torch); each name lives
in one module:

* :mod:`models.dag` — graphs to layered DAGs (orientation, layers, sources, sinks);
* :mod:`models.masking` — the one mask mechanism (``MaskedModule``);
* :mod:`models.masked_linear`, :mod:`models.feedforward`, :mod:`models.dag_network` — masked
  layers and networks; :mod:`models.masked_recurrent`, :mod:`models.structured_rnn` — masked
  recurrent networks; :mod:`models.recurrent_cells` — the one cell registry (fused kernel
  and wavefront sweep step of every cell); :mod:`models.wavefront` — the structured RNN's
  sweep (plan, cell math, buffers, products, autograd function); :mod:`models.packed_rnn` —
  K structured-RNN classifiers trained as one block-structured model;
* :mod:`models.to_graph` — model <-> neuron graph;
* :mod:`models.sparsity` — the paper's ξ and parameter counts;
* :mod:`models.sparse_inference` — CSR / shrunk dense inference;
* :mod:`models.prune_interop` — masks to and from ``torch.nn.utils.prune``.
"""

import importlib
from typing import Any

# public name -> the module that defines it
_EXPORTS = {
    "Activation": "models.activations",
    "ArchitectureMismatchError": "models.state_dict",
    "CyclicGraphError": "models.dag",
    "EmptyGraphError": "models.dag",
    "GraphStructureError": "models.dag",
    "InferenceReport": "models.sparse_inference",
    "LayerChoice": "models.sparse_inference",
    "LayerPlan": "models.dag_network",
    "LayeredDAG": "models.dag",
    "MaskError": "models.masking",
    "MaskedDAGNetwork": "models.dag_network",
    "MaskedFeedForward": "models.feedforward",
    "MaskedLinear": "models.masked_linear",
    "MaskedModule": "models.masking",
    "MaskedRecurrent": "models.masked_recurrent",
    "MaskedRecurrentLayer": "models.masked_recurrent",
    "PackedClassifiers": "models.packed_rnn",
    "ParameterCounts": "models.sparsity",
    "SparseInferenceNetwork": "models.sparse_inference",
    "StructuredRNN": "models.structured_rnn",
    "UnreachableVertexError": "models.dag",
    "check_mask": "models.masking",
    "check_state_dict": "models.state_dict",
    "compare_inference": "models.sparse_inference",
    "create_activation": "models.activations",
    "effective_parameters": "models.sparsity",
    "export_prune_masks": "models.prune_interop",
    "import_prune_masks": "models.prune_interop",
    "layer_counts": "models.sparsity",
    "layered_dag": "models.dag",
    "list_activations": "models.activations",
    "masked_linear_from_pruned": "models.prune_interop",
    "memory_bytes": "models.sparse_inference",
    "model_from_graph": "models.to_graph",
    "model_to_graph": "models.to_graph",
    "network_xi": "models.sparsity",
    "parameter_counts": "models.sparsity",
    "pruned_linear_from_masked": "models.prune_interop",
    "register_graph_extractor": "models.to_graph",
    "tensor_xi": "models.sparsity",
    "to_dag": "models.dag",
    "to_sparse_inference": "models.sparse_inference",
    "weight_groups": "models.sparsity",
}

__all__ = [
    "Activation",
    "ArchitectureMismatchError",
    "CyclicGraphError",
    "EmptyGraphError",
    "GraphStructureError",
    "InferenceReport",
    "LayerChoice",
    "LayerPlan",
    "LayeredDAG",
    "MaskError",
    "MaskedDAGNetwork",
    "MaskedFeedForward",
    "MaskedLinear",
    "MaskedModule",
    "MaskedRecurrent",
    "MaskedRecurrentLayer",
    "PackedClassifiers",
    "ParameterCounts",
    "SparseInferenceNetwork",
    "StructuredRNN",
    "UnreachableVertexError",
    "check_mask",
    "check_state_dict",
    "compare_inference",
    "create_activation",
    "effective_parameters",
    "export_prune_masks",
    "import_prune_masks",
    "layer_counts",
    "layered_dag",
    "list_activations",
    "masked_linear_from_pruned",
    "memory_bytes",
    "model_from_graph",
    "model_to_graph",
    "network_xi",
    "parameter_counts",
    "pruned_linear_from_masked",
    "register_graph_extractor",
    "tensor_xi",
    "to_dag",
    "to_sparse_inference",
    "weight_groups",
]


def __getattr__(name: str) -> Any:
    """Import the defining module of a public name (or a submodule) on first access."""
    module = _EXPORTS.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value
        return value
    if not name.startswith("_"):
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
