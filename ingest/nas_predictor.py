"""The structural performance predictor of the CNN search: a regressor on genotype features.

:class:`GenotypePredictor` follows :class:`models.nas.search.Predictor`: any regressor of
:func:`analytics.regressors.create_regressor` (median imputation and min-max scaling inside),
fitted on the ``nas_cnn`` labelled features (:mod:`analytics.features.nas`) of the measured
genotypes and refitted every time the search asks — every generation, as in the paper. The
features of a genotype are computed once and cached under its fingerprint.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from models.nas.compile import feature_graph
from models.nas.genotype import Genotype

__all__ = ["GenotypePredictor", "genotype_features"]

FEATURE_GROUP = "nas_cnn"


def genotype_features(genotypes: Sequence[Genotype], *, in_channels: int):
    """``nas_cnn`` feature frame (a ``key`` column = index, then the features) of ``genotypes``
    as :func:`~models.nas.compile.feature_graph` labels them for ``in_channels`` inputs."""
    from analytics.features.nas import labelled_features

    graphs = {i: feature_graph(g, in_channels=in_channels) for i, g in enumerate(genotypes)}
    return labelled_features(graphs, group=FEATURE_GROUP)


class GenotypePredictor:
    """A registry regressor predicting a genotype's validation accuracy from its structure.

    Parameters
    ----------
    regressor:
        Name in :func:`analytics.regressors.list_regressors`.
    in_channels:
        Input channels of the data (layer masses depend on them).
    """

    def __init__(self, *, regressor: str, in_channels: int, seed: int = 0) -> None:
        self.regressor, self.in_channels, self.seed = regressor, in_channels, seed
        self.fits_ = 0
        self._features: dict[str, np.ndarray] = {}

    def fit(self, candidates: Sequence[Genotype], scores: Sequence[float]) -> None:
        """Fit a fresh regressor on all measured ``candidates`` and their ``scores``."""
        from analytics.regressors import create_regressor

        self.model_ = create_regressor(self.regressor, seed=self.seed)
        with warnings.catch_warnings():  # a feature absent from every genotype so far: dropped
            warnings.filterwarnings("ignore", "Skipping features without any observed values")
            self.model_.fit(self._matrix(candidates), np.asarray(scores, dtype=float))
        self.fits_ += 1

    def predict(self, candidates: Sequence[Genotype]) -> list[float]:
        """Predicted validation accuracies (stored as predicted, never as measured)."""
        return self.model_.predict(self._matrix(candidates)).tolist()

    def _matrix(self, candidates: Sequence[Genotype]) -> np.ndarray:
        new = [g for g in candidates if g.key() not in self._features]
        if new:
            rows = genotype_features(new, in_channels=self.in_channels).drop("key").to_numpy()
            for genotype, row in zip(new, rows, strict=True):
                self._features[genotype.key()] = row
        return np.vstack([self._features[g.key()] for g in candidates])
