"""The pruning engine: selection methods, schemes, granularities and pruning runs.

* :mod:`~models.pruning.targets` — what may be pruned (masked parameters, grouped in classes);
* :mod:`~models.pruning.methods` — the saliency functions (``random``, magnitude
  class-blinded / -uniform / -distributed, ``obd``, ``snip``, ``synflow``), a registry;
* :mod:`~models.pruning.hessian` — exact and Gauss–Newton Hessian diagonals for OBD;
* :mod:`~models.pruning.schemes` — how many go per step (one-shot, fixed-size, percentage,
  bucket, gradual cubic), a registry;
* :mod:`~models.pruning.granularity` — single weights or whole neurons;
* :mod:`~models.pruning.step` — one all-or-nothing pruning step (:func:`prune`);
* :mod:`~models.pruning.run` — :class:`PruningRun`: the scheme's steps with re-training and
  lottery-ticket rewinding, one record per step;
* :mod:`~models.pruning.recurrent` — the i2h / h2h / both targets of recurrent layers
  (gate-stacked, one class per layer), usable as ``targets=`` everywhere;
* :mod:`~models.pruning.percentile` — the paper's percentile rule for recurrent pruning.

Methods on recurrent layers (:class:`~models.masked_recurrent.MaskedRecurrentLayer`): the
magnitude variants, ``random``, ``snip`` and ``obd`` (Gauss–Newton by a per-sample loop, as
packed sequences and torch's fused RNN kernels have no ``vmap`` rule; or ``hessian="exact"``)
work; ``synflow`` refuses them (its all-ones input and flow conservation assume a positively
homogeneous feed-forward network, not gates and a token embedding).

Masks are the project's one mechanism (:mod:`models.masking`); amounts are fractions in
[0, 1]; *sparsity* is the fraction of prunable weights that are zero.

Example
-------
>>> from models.feedforward import MaskedFeedForward
>>> net = MaskedFeedForward(6, [4], 4)  # 40 weights
>>> scheme = create_pruning_scheme("fixed_size", amount=0.25)
>>> [r.pruned_fraction for r in prune_iteratively(net, "random", scheme, target_sparsity=0.6)]
[0.0, 0.25, 0.5, 0.6]
"""

from models.pruning.context import PruningContext
from models.pruning.errors import PruningError
from models.pruning.granularity import create_granularity, list_granularities
from models.pruning.hessian import exact_hessian_diagonal, gauss_newton_diagonal
from models.pruning.methods import (
    PruningMethod,
    create_pruning_method,
    list_pruning_methods,
    register_pruning_method,
)
from models.pruning.percentile import percentile_threshold, prune_by_percentile
from models.pruning.recurrent import (
    RECURRENT_TARGETS,
    gate_blocks,
    gate_sparsity,
    recurrent_targets,
)
from models.pruning.run import PruningRecord, PruningRun, parameter_snapshot, prune_iteratively
from models.pruning.schemes import (
    PruningScheme,
    create_pruning_scheme,
    list_pruning_schemes,
    register_pruning_scheme,
)
from models.pruning.step import prune, prune_step
from models.pruning.targets import PrunableParameter, prunable_parameters, to_masked

__all__ = [
    "RECURRENT_TARGETS",
    "PrunableParameter",
    "PruningContext",
    "PruningError",
    "PruningMethod",
    "PruningRecord",
    "PruningRun",
    "PruningScheme",
    "create_granularity",
    "create_pruning_method",
    "create_pruning_scheme",
    "exact_hessian_diagonal",
    "gate_blocks",
    "gate_sparsity",
    "gauss_newton_diagonal",
    "list_granularities",
    "list_pruning_methods",
    "list_pruning_schemes",
    "parameter_snapshot",
    "percentile_threshold",
    "prunable_parameters",
    "prune",
    "prune_by_percentile",
    "prune_iteratively",
    "prune_step",
    "recurrent_targets",
    "register_pruning_method",
    "register_pruning_scheme",
    "to_masked",
]
