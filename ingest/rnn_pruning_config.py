"""Configuration of the recurrent pruning study (paper, section 4.2) and its presets.

``paper`` is the paper's set-up: per cell type (tanh, relu, lstm, gru) a base model —
character embedding → 3 recurrent layers of 50 → linear — trained with Adam (1e-3), batch 32,
on 25,000 distinct Reber sequences split 75/25, for 50 epochs or until it reaches the paper's
base accuracy (100% on the training split); then each ``p = 10, 20, …, 100`` applied to that
base model with 0, 1 and 2 re-training epochs, for the i2h, h2h and both targets.

``demo`` is the same pipeline shrunk to finish in minutes on two cores: 3 layers of 16 units,
1,000 sequences with random (not near-miss) negatives, learning rate 1e-2, 3 base epochs, the
paper's ``p = 10, 20, …, 100`` and 3 repeats (seeds) per cell.

The base-accuracy stop looks at the *training* split: the test split decides nothing and is
only measured (the accuracies reported before and after re-training are test accuracies).

Example
-------
>>> make_rnn_pruning_config("demo", cells=("gru",)).hidden_sizes
(16, 16, 16)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ingest.devices import parse_device
from ingest.reber import MIN_LENGTH
from models.pruning.percentile import SCOPES, check_percent
from models.pruning.recurrent import RECURRENT_TARGETS
from models.recurrent_cells import list_cells

__all__ = ["RNN_PRUNING_PRESETS", "RNNPruningConfig", "make_rnn_pruning_config"]


@dataclass(frozen=True)
class RNNPruningConfig:
    """Everything that decides what one recurrent pruning study trains and prunes."""

    preset: str = "paper"
    cells: tuple[str, ...] = ("tanh", "relu", "lstm", "gru")  # one base model per cell
    targets: tuple[str, ...] = ("i2h", "h2h", "both")  # recurrent pruning targets
    percents: tuple[float, ...] = (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)  # p, increasing
    retrain_epochs: tuple[int, ...] = (0, 1, 2)  # re-training budgets recorded per p
    scope: str = "layer"  # one threshold per layer (paper's text); "network": its code
    hidden_sizes: tuple[int, ...] = (50, 50, 50)  # paper: three recurrent layers of 50
    embedding_dim: int = 8  # character embedding size (the paper does not give it)
    sequences: int = 25_000  # Reber sequences, half true, all distinct
    test_fraction: float = 0.25  # paper: 75/25 split
    negatives: str = "near-miss"  # how false sequences are made (ingest.reber)
    min_length: int = MIN_LENGTH
    max_length: int | None = None
    base_epochs: int = 50  # paper: 50 epochs at most
    base_train_accuracy: float | None = 1.0  # stop once the training split reaches this
    batch_size: int = 32  # paper: 32
    learning_rate: float = 1e-3  # Adam, paper's setting
    clip: float = 5.0  # gradient-norm clipping, as in the other recurrent study
    eval_batch_size: int = 512  # evaluation only; does not change results
    device: str = "cpu"
    seed: int = 0  # data seed; repeat r trains its base model with seed + r
    repeats: int = 1  # base models per cell (seeds seed .. seed + repeats - 1)
    reber_csv: str | None = None  # a user's Reber CSV instead of generated data (workers read it)
    reber_csv_digest: str | None = None  # SHA-256 of that file's rows (set by the study)

    def __post_init__(self) -> None:
        where = "RNNPruningConfig"
        parse_device(self.device, where=where)
        cells = list_cells()
        for cell in self.cells:
            if cell not in cells:
                raise ValueError(
                    f"The 'cells' parameter of {where} holds {cell!r}; valid cells: {cells}."
                )
        for target in self.targets:
            if target not in RECURRENT_TARGETS:
                raise ValueError(
                    f"The 'targets' parameter of {where} holds {target!r}; valid targets: "
                    f"{list(RECURRENT_TARGETS)}."
                )
        percents = [check_percent(p, name="percents", where=where) for p in self.percents]
        if not percents or any(b <= a for a, b in zip(percents, percents[1:], strict=False)):
            raise ValueError(
                f"The 'percents' parameter of {where} must be a non-empty, strictly increasing "
                f"sequence of percents. Got {self.percents!r} instead."
            )
        if not self.retrain_epochs or any(
            not isinstance(e, int) or isinstance(e, bool) or e < 0 for e in self.retrain_epochs
        ):
            raise ValueError(
                f"The 'retrain_epochs' parameter of {where} must be non-negative integers. "
                f"Got {self.retrain_epochs!r} instead."
            )
        if self.scope not in SCOPES:
            raise ValueError(
                f"The 'scope' parameter of {where} must be one of {list(SCOPES)}. "
                f"Got {self.scope!r} instead."
            )
        for name in (
            "embedding_dim", "sequences", "base_epochs", "batch_size", "eval_batch_size",
            "repeats",
        ):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"The '{name}' parameter of {where} must be a positive integer. "
                    f"Got {value!r} instead."
                )
        if not self.hidden_sizes or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in self.hidden_sizes
        ):
            raise ValueError(
                f"The 'hidden_sizes' parameter of {where} must be positive integers. "
                f"Got {self.hidden_sizes!r} instead."
            )
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(
                f"The 'seed' parameter of {where} must be a non-negative integer. "
                f"Got {self.seed!r} instead."
            )
        accuracy = self.base_train_accuracy
        if accuracy is not None and not 0.0 < accuracy <= 1.0:
            raise ValueError(
                f"The 'base_train_accuracy' parameter of {where} must be in (0, 1] or None. "
                f"Got {accuracy!r} instead."
            )
        if not self.learning_rate > 0 or not self.clip > 0:
            raise ValueError(
                f"The 'learning_rate' and 'clip' parameters of {where} must be positive. "
                f"Got {self.learning_rate!r} and {self.clip!r} instead."
            )

    @property
    def seeds(self) -> tuple[int, ...]:
        """The base models' seeds, one per repeat."""
        return tuple(range(self.seed, self.seed + self.repeats))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stored as the study's config."""
        return asdict(self)

    def identity(self) -> dict[str, Any]:
        """What decides the study's results, to name it: :meth:`to_dict` without the device,
        the CSV's path (its rows enter through the digest) and ``repeats`` (more repeats
        extend the same study with more seeds)."""
        return {
            k: v for k, v in self.to_dict().items() if k not in ("device", "reber_csv", "repeats")
        }


RNN_PRUNING_PRESETS: dict[str, RNNPruningConfig] = {
    "paper": RNNPruningConfig(),
    "demo": RNNPruningConfig(
        preset="demo",
        hidden_sizes=(16, 16, 16),
        repeats=3,  # a single run per cell is not a finding
        sequences=1000,
        base_epochs=3,
        base_train_accuracy=None,
        # tiny models, 3 epochs: near-miss negatives stay at chance (measured 0.44-0.53 test
        # accuracy); random negatives and a larger step reach 0.97-0.98 (2026-12 machine)
        negatives="random",
        learning_rate=1e-2,
    ),
}


def make_rnn_pruning_config(preset: str = "demo", **overrides: Any) -> RNNPruningConfig:
    """A preset with some fields replaced (``None`` values are ignored; lists become tuples).

    Raises
    ------
    ValueError
        On an unknown preset, field or field value.
    """
    if preset not in RNN_PRUNING_PRESETS:
        raise ValueError(
            f"Unknown preset {preset!r} of the recurrent pruning study; valid presets: "
            f"{sorted(RNN_PRUNING_PRESETS)}."
        )
    known = {f.name for f in fields(RNNPruningConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(f"Unknown field(s) {unknown} of the recurrent pruning study config.")
    chosen = {
        k: tuple(v) if isinstance(v, list) else v for k, v in overrides.items() if v is not None
    }
    return replace(RNN_PRUNING_PRESETS[preset], **chosen)
