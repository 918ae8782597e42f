"""The CNN genotype space as a :class:`~models.nas.search.SearchSpace` for the strategies.

Sampling draws :func:`~models.nas.genotype.random_genotype` from a
:class:`~models.nas.genotype.SearchSpaceConfig` (the paper's depths 6–12; its random-search
baseline uses ``SearchSpaceConfig(min_depth=10, max_depth=36)``). Mutation and crossover pick
one registered operator of that kind uniformly (or the names given) and keep one child.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.nas.genotype import Genotype, SearchSpaceConfig, random_genotype
from models.nas.operators import apply_operator, get_operator, list_operators

__all__ = ["GenotypeSpace"]


@dataclass(frozen=True)
class GenotypeSpace:
    """Random genotypes of ``config``, varied by the registered genetic operators."""

    config: SearchSpaceConfig = field(default_factory=SearchSpaceConfig)
    mutations: Sequence[str] = field(default_factory=lambda: list_operators("mutation"))
    crossovers: Sequence[str] = field(default_factory=lambda: list_operators("crossover"))

    def __post_init__(self) -> None:
        for kind, names in (("mutation", self.mutations), ("crossover", self.crossovers)):
            for name in names:
                if get_operator(name).kind != kind:
                    raise ValueError(f"Operator {name!r} is not a {kind}.")

    def sample(self, rng: random.Random) -> Genotype:
        """A random genotype of the configured depth range."""
        return random_genotype(config=self.config, seed=rng)

    def mutate(self, candidate: Genotype, rng: random.Random) -> Genotype:
        """One child of a randomly chosen mutation."""
        return apply_operator(rng.choice(list(self.mutations)), [candidate], rng)[0]

    def crossover(self, first: Genotype, second: Genotype, rng: random.Random) -> Genotype:
        """One of the two children of a randomly chosen crossover."""
        children = apply_operator(rng.choice(list(self.crossovers)), [first, second], rng)
        return rng.choice(children)

    def key(self, candidate: Genotype) -> str:
        """The genotype's structural fingerprint."""
        return candidate.key()
