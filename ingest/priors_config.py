"""Configuration of the structural-priors study (paper, section 4.3) and its presets.

``paper`` is the paper's set-up: per cell type 100 Barabási–Albert and 100 connected
Watts–Strogatz graphs with n in [10, 50], 25,000 Reber sequences (75/25 split) and 15 epochs.
``demo`` is the same study shrunk to finish in a few minutes on two cores while still giving a
correlation table with something in it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from ingest.generators import list_generators
from models.recurrent_cells import list_cells

__all__ = ["PRESETS", "PriorsConfig", "make_config"]


@dataclass(frozen=True)
class PriorsConfig:
    """Everything that decides what the priors study trains; stored with the study."""

    preset: str = "demo"
    cells: tuple[str, ...] = ("tanh", "relu", "lstm", "gru")  # recurrent cell types
    generators: tuple[str, ...] = ("ba", "ws")  # random-graph generators (ingest.generators)
    graphs_per_generator: int = 100  # graphs drawn per generator; each is trained per cell
    n_range: tuple[int, int] = (10, 50)  # vertex counts are drawn uniformly from this range
    sequences: int = 25_000  # Reber sequences, half true; split 75/25
    negatives: str = "near-miss"  # how false sequences are made
    epochs: int = 15
    batch_size: int = 32  # paper: 32
    learning_rate: float = 1e-3  # Adam, paper's setting
    clip: float = 5.0  # gradient-norm clipping, paper's setting
    embedding_dim: int = 8  # character embedding size
    seed: int = 0  # one seed decides graphs, data, initialisation and batch order

    def __post_init__(self) -> None:
        valid_cells = list_cells()
        for cell in self.cells:
            if cell not in valid_cells:
                raise ValueError(f"Unknown cell type {cell!r}; valid cell types: {valid_cells}.")
        valid_generators = list_generators()
        for generator in self.generators:
            if generator not in valid_generators:
                raise ValueError(
                    f"Unknown generator {generator!r}; valid generators: {valid_generators}."
                )
        if not self.cells:
            raise ValueError("The 'cells' parameter of the priors study must name a cell type.")
        if not self.generators:
            raise ValueError("The 'generators' parameter of the priors study must name one.")
        for name in ("graphs_per_generator", "sequences", "epochs", "batch_size", "embedding_dim"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"The '{name}' parameter of the priors study must be a positive integer. "
                    f"Got {value!r} instead."
                )
        if self.sequences % 2 or self.sequences < 8:
            raise ValueError(
                "The 'sequences' parameter of the priors study must be an even number >= 8 "
                f"(half true, half false). Got {self.sequences}."
            )
        low, high = self.n_range
        if not (1 <= low <= high):
            raise ValueError(
                f"The 'n_range' parameter of the priors study must satisfy 1 <= low <= high. "
                f"Got {self.n_range}."
            )
        if self.learning_rate <= 0 or self.clip <= 0:
            raise ValueError("The learning rate and the clipping norm must be positive.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored as the study's config."""
        return asdict(self)


PRESETS: dict[str, PriorsConfig] = {
    "paper": PriorsConfig(preset="paper"),
    # 40 small networks per cell on 3,000 sequences: a few minutes on two cores. The learning
    # rate is raised from the paper's 1e-3 so that such tiny networks learn within 5 epochs.
    "demo": PriorsConfig(
        preset="demo",
        cells=("tanh", "gru"),
        graphs_per_generator=20,
        n_range=(10, 30),
        sequences=3000,
        epochs=5,
        learning_rate=1e-2,
    ),
}


def make_config(preset: str = "demo", **overrides: Any) -> PriorsConfig:
    """A preset with some fields replaced (``None`` values are ignored)."""
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; valid presets: {sorted(PRESETS)}.")
    chosen = {k: v for k, v in overrides.items() if v is not None}
    for key in ("cells", "generators"):
        if key in chosen:
            chosen[key] = tuple(chosen[key])
    return replace(PRESETS[preset], **chosen)
