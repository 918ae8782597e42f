"""Sparse torch models: masked layers and networks, their graphs, sparsity and sparse inference.

Everything public is importable from ``models`` directly; each name lives in one module:

* :mod:`models.dag` — graphs to layered DAGs (orientation, layers, sources, sinks);
* :mod:`models.masking` — the one mask mechanism (``MaskedModule``);
* :mod:`models.masked_linear`, :mod:`models.feedforward`, :mod:`models.dag_network` — masked
  layers and networks; :mod:`models.masked_recurrent`, :mod:`models.structured_rnn` — masked
  recurrent networks; :mod:`models.recurrent_cells` — the one cell registry (fused kernel
  and wavefront sweep step of every cell); :mod:`models.wavefront` — the structured RNN's
  sweep (plan, cell math, buffers, products, autograd function);
* :mod:`models.to_graph` — model <-> neuron graph;
* :mod:`models.sparsity` — the paper's ξ and parameter counts;
* :mod:`models.sparse_inference` — CSR / shrunk dense inference;
* :mod:`models.prune_interop` — masks to and from ``torch.nn.utils.prune``.
"""

from models.activations import Activation, create_activation, list_activations
from models.dag import (
    CyclicGraphError,
    EmptyGraphError,
    GraphStructureError,
    LayeredDAG,
    UnreachableVertexError,
    layered_dag,
    to_dag,
)
from models.dag_network import LayerPlan, MaskedDAGNetwork
from models.feedforward import MaskedFeedForward
from models.masked_linear import MaskedLinear
from models.masked_recurrent import MaskedRecurrent, MaskedRecurrentLayer
from models.masking import MaskedModule, MaskError, check_mask
from models.prune_interop import (
    export_prune_masks,
    import_prune_masks,
    masked_linear_from_pruned,
    pruned_linear_from_masked,
)
from models.sparse_inference import (
    InferenceReport,
    LayerChoice,
    SparseInferenceNetwork,
    compare_inference,
    memory_bytes,
    to_sparse_inference,
)
from models.sparsity import (
    ParameterCounts,
    effective_parameters,
    layer_counts,
    network_xi,
    parameter_counts,
    tensor_xi,
    weight_groups,
)
from models.state_dict import ArchitectureMismatchError, check_state_dict
from models.structured_rnn import StructuredRNN
from models.to_graph import model_from_graph, model_to_graph, register_graph_extractor

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
