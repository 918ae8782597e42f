"""Configuration of the CNN architecture-search study (paper, § 4.4) and its presets.

``paper`` is the paper's set-up: CIFAR-10, population 30, mutation probability 0.5, crossover
probability 0, removal of the worst 0.1, estimation fraction 0.5, genotype depths 6–12, and a
budget of 2,472 trained candidates (its meta-dataset's size) per search run. It cannot run on
two cores in reasonable time; ``demo`` is the same study shrunk to the embedded 8×8 digits, a
small population and few training epochs, to finish in minutes.

The *budget* of every search run is a number of trained candidates, the same for every
strategy: ``population + generations × offspring``, where ``offspring`` is how many
candidates one generation of the genetic loop replaces (``⌊removal_fraction × population⌋``,
at least one). A predictor-assisted run spends the same trainings over more generations: the
candidates it only predicts cost no training.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

from ingest.datasets import list_datasets
from ingest.devices import parse_device

__all__ = ["PRESETS", "PREDICTOR_STRATEGIES", "STRATEGIES", "NasConfig", "make_nas_config"]

# Search strategies a run may use; the *_predictor ones consult ``NasConfig.predictor``.
STRATEGIES = ("genetic", "genetic_predictor", "regularized_evolution",
              "regularized_evolution_predictor", "random")  # fmt: skip
PREDICTOR_STRATEGIES = tuple(s for s in STRATEGIES if s.endswith("_predictor"))


@dataclass(frozen=True)
class NasConfig:
    """Everything that decides what the search study trains; stored with the study."""

    preset: str = "demo"
    dataset: str = "digits"  # a name of ingest.datasets (digits, mnist, cifar10)
    data_dir: str | None = None  # mnist IDX files or cifar10 python batches (None: embedded)
    strategies: tuple[str, ...] = ("genetic", "genetic_predictor", "regularized_evolution",
                                   "random")  # fmt: skip
    seeds: tuple[int, ...] = (0,)  # one search run per (strategy, seed)
    population: int = 30  # candidates alive at once (paper: 30)
    generations: int = 814  # generations of the predictor-free genetic loop the budget buys
    mutation_probability: float = 0.5  # paper: 0.5
    crossover_probability: float = 0.0  # paper: 0
    removal_fraction: float = 0.1  # worst fraction replaced every generation (paper: 0.1)
    predictor: str = "random_forest"  # a regressor of analytics.regressors ("none": no predictor)
    estimation_fraction: float = 0.5  # offspring only predicted (paper: 0.5)
    min_train: int | None = None  # measured candidates before predicting (None: population)
    min_depth: int = 6  # genotype depths of the genetic search (paper: 6–12)
    max_depth: int = 12
    random_min_depth: int = 10  # depths of the random-search baseline (paper: 10–36)
    random_max_depth: int = 36
    epochs: int = 10  # training epochs per candidate
    batch_size: int = 64
    learning_rate: float = 1e-3  # Adam
    validation_fraction: float = 0.2  # of the training split: what the search sees
    data_seed: int = 0  # train/test split of the embedded sets, and the validation split
    device: str = "cpu"  # torch device candidates train on; stored, not in the study id

    def __post_init__(self) -> None:
        parse_device(self.device, where="NasConfig")
        if self.dataset not in list_datasets():
            raise ValueError(f"Unknown dataset {self.dataset!r}; valid names: {list_datasets()}.")
        for strategy in self.strategies:
            if strategy not in STRATEGIES:
                raise ValueError(
                    f"Unknown search strategy {strategy!r}; valid strategies: {list(STRATEGIES)}."
                )
        if not self.strategies or not self.seeds:
            raise ValueError("The study needs at least one strategy and one seed.")
        uses_predictor = any(s in PREDICTOR_STRATEGIES for s in self.strategies)
        if uses_predictor:
            from analytics.regressors import list_regressors

            if self.predictor not in list_regressors():
                raise ValueError(
                    f"Unknown predictor {self.predictor!r}; valid predictors: "
                    f"{list_regressors()} (or 'none' to run without prediction)."
                )
        for name, low in (("population", 2), ("generations", 0), ("epochs", 1),
                          ("batch_size", 1)):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(
                    f"The {name!r} parameter of the nas study must be an int >= {low}. "
                    f"Got {value!r} instead."
                )
        if not 0.0 <= self.estimation_fraction < 1.0:
            raise ValueError(
                "The 'estimation_fraction' parameter of the nas study must be a float in [0, 1). "
                f"Got {self.estimation_fraction!r} instead."
            )
        if not 0.0 < self.validation_fraction < 1.0:
            raise ValueError(
                "The 'validation_fraction' parameter of the nas study must be a float in (0, 1). "
                f"Got {self.validation_fraction!r} instead."
            )

    @property
    def offspring(self) -> int:
        """Candidates one generation of the genetic loop replaces."""
        return max(1, math.floor(self.removal_fraction * self.population))

    @property
    def budget(self) -> int:
        """Trained candidates per search run, equal for every strategy."""
        return self.population + self.generations * self.offspring

    @property
    def predictor_min_train(self) -> int:
        """Measured candidates before the predictor is first used."""
        return max(2, self.min_train if self.min_train is not None else self.population)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, stored as the study's configuration (and hashed into its id)."""
        values = asdict(self)
        values["strategies"], values["seeds"] = list(self.strategies), list(self.seeds)
        values["budget"] = self.budget
        return values

    def identity(self) -> dict[str, Any]:
        """What names the study: :meth:`to_dict` without ``device`` (the same search on CPU
        or GPU is the same study)."""
        return {k: v for k, v in self.to_dict().items() if k != "device"}


PRESETS: dict[str, NasConfig] = {
    "paper": NasConfig(
        preset="paper", dataset="cifar10", seeds=(0,), population=30, generations=814, epochs=10
    ),  # fmt: skip  # 30 + 814 × 3 = 2,472
    "demo": NasConfig(
        preset="demo",
        dataset="digits",
        seeds=(0, 1, 2),
        population=20,
        generations=25,
        epochs=3,
        batch_size=64,
        learning_rate=1e-2,
    ),  # fmt: skip
}


def make_nas_config(preset: str = "demo", **overrides: Any) -> NasConfig:
    """A preset with some fields replaced (``None`` values are ignored).

    ``predictor="none"`` drops the predictor strategies; a ``*_predictor`` strategy named
    explicitly with ``predictor="none"`` is refused.

    Raises
    ------
    ValueError
        Unknown preset, strategy, dataset or predictor, or a value out of range.
    """
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; valid presets: {sorted(PRESETS)}.")
    chosen = {k: v for k, v in overrides.items() if v is not None}
    for key in ("strategies", "seeds"):
        if key in chosen:
            chosen[key] = tuple(chosen[key])
    if "data_dir" in chosen:
        chosen["data_dir"] = str(chosen["data_dir"])
    if chosen.get("predictor") == "none":
        asked = chosen.get("strategies")
        if asked and any(s in PREDICTOR_STRATEGIES for s in asked):
            raise ValueError(
                "--predictor none cannot run the predictor strategies "
                f"{[s for s in asked if s in PREDICTOR_STRATEGIES]}."
            )
        base = asked or PRESETS[preset].strategies
        chosen["strategies"] = tuple(s for s in base if s not in PREDICTOR_STRATEGIES)
        chosen["predictor"] = "none"
    return replace(PRESETS[preset], **chosen)
