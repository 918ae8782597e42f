"""Configuration of the feed-forward pruning study (paper, section 4.1) and its presets.

The paper: MNIST, ReLU feed-forward nets with hidden layers 100 and 300-100, cross-entropy,
batch 64, learning rates 0.01 and 0.0001, up to 200 epochs, five pruning methods, iterative
fixed-size and relative (percentage) pruning with re-training. What the paper does not give
and is chosen here: the optimiser (Adam: at 0.0001 plain SGD barely moves in a demo's epochs),
the re-training budget between steps and the step sizes.

* ``paper`` — the paper's grid: both architectures, both learning rates, the five methods,
  one-shot / fixed-size / percentage schemes, 200 base epochs, 2 re-training epochs per step,
  5% of the weights per fixed-size step, 10% of the remaining per percentage step, to 95%
  sparsity. It runs on the embedded 5,000-sample MNIST unless ``data_dir`` points at the
  full IDX files, which is what the paper means.
* ``demo`` — the same grid on small settings (3 base epochs, 1 re-training epoch, 20% / 40%
  steps to 90%), minutes on two cores.

Amounts are fractions in [0, 1] here; the command line takes the target compression in
percent, the paper's unit, and converts it at its boundary (:mod:`app.cli_prune_ffn`).
``bucket`` and ``gradual_cubic`` are available for a user's own grid (``--config``): a bucket
is filled with saliency, whose scale depends on the method, so it has no sensible default.

Example
-------
>>> make_ffn_pruning_config("demo").architectures
((100,), (300, 100))
>>> make_ffn_pruning_config("demo", repeats=2).seeds
(0, 1)
"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from ingest.datasets import list_datasets
from ingest.devices import parse_device
from models.pruning import list_granularities, list_pruning_methods, list_pruning_schemes

__all__ = [
    "FFN_PRUNING_PRESETS",
    "PAPER_METHODS",
    "FFNPruningConfig",
    "load_ffn_pruning_config",
    "make_ffn_pruning_config",
]

# The paper's five selection methods.
PAPER_METHODS: tuple[str, ...] = (
    "random",
    "magnitude_class_blinded",
    "magnitude_class_uniform",
    "magnitude_class_distributed",
    "obd",
)


@dataclass(frozen=True)
class FFNPruningConfig:
    """Everything that decides what one feed-forward pruning study trains and prunes."""

    preset: str = "paper"
    dataset: str = "mnist"  # "mnist" (embedded 5,000, or IDX files in data_dir) or "digits"
    data_dir: str | None = None  # full MNIST as IDX files (plain or .gz)
    test_fraction: float = 0.2  # split of the embedded set (IDX files come split)
    architectures: tuple[tuple[int, ...], ...] = ((100,), (300, 100))  # hidden widths
    learning_rates: tuple[float, ...] = (0.01, 0.0001)  # Adam
    methods: tuple[str, ...] = PAPER_METHODS
    schemes: tuple[str, ...] = ("one_shot", "fixed_size", "percentage")
    granularity: str = "weight"  # or "neuron"
    target_sparsity: float = 0.95  # stop once this fraction of the weights is pruned
    max_steps: int | None = None  # stop after this many steps
    fixed_size_amount: float = 0.05  # fraction of ALL weights removed per fixed-size step
    percentage_amount: float = 0.1  # fraction of the REMAINING weights per percentage step
    bucket_size: float | None = None  # summed saliency per bucket step (scheme "bucket")
    cubic_steps: int = 10  # steps of the gradual cubic schedule (to target_sparsity)
    base_epochs: int = 200  # paper: up to 200 epochs
    retrain_epochs: int = 2  # between pruning steps (paper: "few epochs")
    batch_size: int = 64  # paper: 64
    obd_hessian: str = "gauss-newton"  # LeCun et al.'s diagonal; or "exact"
    obd_max_batches: int | None = 16  # batches of training data for OBD's Hessian diagonal
    seed: int = 0  # first seed; repeats use seed, seed + 1, ...
    repeats: int = 1  # seeds per grid cell
    expensive_every: int = 5  # path / betweenness features every k-th step (cheap ones: all)
    device: str = "cpu"  # torch device of training and pruning; stored, not in the study id
    rewind_epoch: int | None = None  # lottery-ticket rewinding: after each step the surviving
    # weights go back to the base's weights after this many epochs (0: at initialisation)

    def __post_init__(self) -> None:
        where = "FFNPruningConfig"
        _one_of(self.dataset, list_datasets(), "dataset", where)
        _one_of(self.granularity, list_granularities(), "granularity", where)
        _one_of(self.obd_hessian, ["gauss-newton", "exact"], "obd_hessian", where)
        for method in self.methods:
            _one_of(method, list_pruning_methods(), "methods", where)
        for scheme in self.schemes:
            _one_of(scheme, list_pruning_schemes(), "schemes", where)
        if not self.methods or not self.schemes or not self.architectures:
            raise ValueError(
                f"The 'methods', 'schemes' and 'architectures' parameters of {where} must not "
                "be empty."
            )
        for widths in self.architectures:
            if not widths or any(_bad_int(w) for w in widths):
                raise ValueError(
                    f"The 'architectures' parameter of {where} must hold non-empty tuples of "
                    f"positive hidden widths. Got {widths!r} instead."
                )
        if not self.learning_rates or any(not lr > 0 for lr in self.learning_rates):
            raise ValueError(
                f"The 'learning_rates' parameter of {where} must be positive numbers. "
                f"Got {self.learning_rates!r} instead."
            )
        for name in ("target_sparsity", "fixed_size_amount", "percentage_amount",
                     "test_fraction"):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(
                    f"The '{name}' parameter of {where} must be a fraction in [0, 1]. "
                    f"Got {value!r} instead."
                )
        if not 0 < self.target_sparsity < 1:
            raise ValueError(
                f"The 'target_sparsity' parameter of {where} must be in (0, 1): some weights "
                f"must go and some stay. Got {self.target_sparsity!r} instead."
            )
        for name in ("base_epochs", "batch_size", "repeats", "expensive_every", "cubic_steps"):
            if _bad_int(getattr(self, name)):
                raise ValueError(
                    f"The '{name}' parameter of {where} must be a positive integer. "
                    f"Got {getattr(self, name)!r} instead."
                )
        for name in ("retrain_epochs", "seed"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"The '{name}' parameter of {where} must be a non-negative integer. "
                    f"Got {value!r} instead."
                )
        for name in ("max_steps", "obd_max_batches"):
            value = getattr(self, name)
            if value is not None and _bad_int(value):
                raise ValueError(
                    f"The '{name}' parameter of {where} must be a positive integer or None. "
                    f"Got {value!r} instead."
                )
        parse_device(self.device, where=where)
        if self.rewind_epoch is not None and (
            isinstance(self.rewind_epoch, bool)
            or not isinstance(self.rewind_epoch, int)
            or not 0 <= self.rewind_epoch <= self.base_epochs
        ):
            raise ValueError(
                f"The 'rewind_epoch' parameter of {where} must be an epoch of the base "
                f"training, 0 (initialisation) to base_epochs = {self.base_epochs}, or None. "
                f"Got {self.rewind_epoch!r} instead."
            )
        if "bucket" in self.schemes and not (self.bucket_size or 0) > 0:
            raise ValueError(
                f"The 'bucket' scheme of {where} needs a positive 'bucket_size' (summed "
                f"saliency per step). Got {self.bucket_size!r} instead."
            )
        if self.data_dir is not None and self.dataset != "mnist":
            raise ValueError(
                f"The 'data_dir' parameter of {where} holds MNIST IDX files; it needs dataset "
                f"'mnist', not {self.dataset!r}."
            )

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of every grid cell: ``seed, seed + 1, …`` (``repeats`` of them)."""
        return tuple(range(self.seed, self.seed + self.repeats))

    def scheme_options(self, scheme: str) -> dict[str, Any]:
        """Keyword options of :func:`models.pruning.create_pruning_scheme` for ``scheme``."""
        return {
            "one_shot": {"amount": self.target_sparsity},
            "fixed_size": {"amount": self.fixed_size_amount},
            "percentage": {"amount": self.percentage_amount},
            "bucket": {"size": self.bucket_size},
            "gradual_cubic": {"final": self.target_sparsity, "steps": self.cubic_steps},
        }[scheme]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values (the study's stored config)."""
        return asdict(self)

    def identity(self) -> dict[str, Any]:
        """What names the study: everything but ``repeats`` (more repeats extend a study) and
        ``device`` (the same study on CPU or GPU), and ``rewind_epoch`` only when set (so
        studies made before it existed keep their ids)."""
        values = {k: v for k, v in self.to_dict().items() if k not in ("repeats", "device")}
        if values["rewind_epoch"] is None:
            del values["rewind_epoch"]
        return values


def make_ffn_pruning_config(preset: str = "demo", **overrides: Any) -> FFNPruningConfig:
    """A preset with some fields replaced (``None`` values are ignored; lists become tuples).

    Raises
    ------
    ValueError
        On an unknown preset (the message lists the valid ones), field or field value.
    """
    if preset not in FFN_PRUNING_PRESETS:
        raise ValueError(
            f"Unknown preset {preset!r} of the feed-forward pruning study; valid presets: "
            f"{sorted(FFN_PRUNING_PRESETS)}."
        )
    known = {f.name for f in fields(FFNPruningConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ValueError(
            f"Unknown field(s) {unknown} of the feed-forward pruning study config; fields: "
            f"{sorted(known)}."
        )
    chosen = {k: _tuples(k, v) for k, v in overrides.items() if v is not None}
    return replace(FFN_PRUNING_PRESETS[preset], **chosen)


def load_ffn_pruning_config(path: str | Path, **overrides: Any) -> FFNPruningConfig:
    """A whole grid from a TOML file: its keys are :class:`FFNPruningConfig` fields
    (``preset`` picks the defaults, ``demo`` unless given); ``overrides`` win over the file.

    Raises
    ------
    ValueError
        The file is missing or not TOML, or holds an unknown field or a bad value (the
        message names the file).
    """
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"The config file {path} does not exist.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"The config file {path} is not valid TOML: {exc}") from None
    preset = values.pop("preset", overrides.pop("preset", None) or "demo")
    try:
        return make_ffn_pruning_config(str(preset), **(values | _not_none(overrides)))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"The config file {path}: {exc}") from None


def _tuples(name: str, value: Any) -> Any:
    if name == "architectures" and isinstance(value, list | tuple):
        return tuple(tuple(w) if isinstance(w, list | tuple) else (w,) for w in value)
    return tuple(value) if isinstance(value, list) else value


def _not_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _one_of(value: Any, valid: list[str], name: str, where: str) -> None:
    if value not in valid:
        raise ValueError(
            f"The '{name}' parameter of {where} holds {value!r}; valid values: {sorted(valid)}."
        )


def _bad_int(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, int) or value < 1


# Defined last: building them runs the validation, which uses the helpers above.
FFN_PRUNING_PRESETS: dict[str, FFNPruningConfig] = {
    "paper": FFNPruningConfig(),
    "demo": FFNPruningConfig(
        preset="demo",
        target_sparsity=0.9,
        fixed_size_amount=0.2,
        percentage_amount=0.4,
        base_epochs=3,
        retrain_epochs=1,
        obd_max_batches=4,
        expensive_every=5,
    ),
}
