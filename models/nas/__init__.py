"""Neural architecture search over CNN genotypes (the paper's § 4.4).

* :mod:`models.nas.genotype` — labelled DAGs of operations, validation, random genotypes;
* :mod:`models.nas.compile` — a genotype as a runnable PyTorch CNN;
* :mod:`models.nas.operators` — the registry of mutations and crossovers;
* :mod:`models.nas.space` — the genotype space the strategies search;
* :mod:`models.nas.search` — genetic search, regularized evolution, random search (any space);
* :mod:`models.nas.guided_search` — predictor-guided evolution (the predictor filters mutants);
* :mod:`models.nas.global_search` — predictor-ranked search over a whole enumerable space.
"""

from models.nas.compile import GenotypeNetwork, compile_genotype, vertex_channels
from models.nas.genotype import (
    OPERATIONS,
    Genotype,
    GenotypeError,
    SearchSpaceConfig,
    random_genotype,
    validate_graph,
)
from models.nas.global_search import GlobalConfig, predictor_global_search
from models.nas.guided_search import GuidedConfig, predictor_guided_evolution
from models.nas.operators import apply_operator, get_operator, list_operators, register_operator
from models.nas.search import (
    EnumerableSpace,
    GeneticConfig,
    SearchHistory,
    genetic_search,
    random_search,
    regularized_evolution,
)
from models.nas.space import GenotypeSpace

__all__ = [
    "OPERATIONS",
    "EnumerableSpace",
    "GeneticConfig",
    "Genotype",
    "GenotypeError",
    "GenotypeNetwork",
    "GenotypeSpace",
    "GlobalConfig",
    "GuidedConfig",
    "SearchHistory",
    "SearchSpaceConfig",
    "apply_operator",
    "compile_genotype",
    "genetic_search",
    "get_operator",
    "list_operators",
    "predictor_global_search",
    "predictor_guided_evolution",
    "random_genotype",
    "random_search",
    "register_operator",
    "regularized_evolution",
    "validate_graph",
    "vertex_channels",
]
