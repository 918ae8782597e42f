"""Pruning selection methods: one saliency function each, in a registry.

Importing this package registers ``random``, the three magnitude variants, ``obd``,
``snip`` and ``synflow``.
"""

from models.pruning.methods import magnitude, obd, random_selection, snip, synflow  # noqa: F401
from models.pruning.methods.base import (
    PruningMethod,
    create_pruning_method,
    list_pruning_methods,
    pruning_method_class,
    register_pruning_method,
)
from models.pruning.methods.magnitude import (
    MagnitudeClassBlinded,
    MagnitudeClassDistributed,
    MagnitudeClassUniform,
)
from models.pruning.methods.obd import OptimalBrainDamage
from models.pruning.methods.random_selection import RandomPruning
from models.pruning.methods.snip import SNIP
from models.pruning.methods.synflow import SynFlow

__all__ = [
    "SNIP",
    "MagnitudeClassBlinded",
    "MagnitudeClassDistributed",
    "MagnitudeClassUniform",
    "OptimalBrainDamage",
    "PruningMethod",
    "RandomPruning",
    "SynFlow",
    "create_pruning_method",
    "list_pruning_methods",
    "pruning_method_class",
    "register_pruning_method",
]
