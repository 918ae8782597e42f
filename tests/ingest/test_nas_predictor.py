"""The genotype predictor: a registry regressor on nas_cnn features, checked against
scikit-learn fitted directly on features computed from the genotypes' labelled graphs."""

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from analytics.features.nas import labelled_features
from ingest.nas_predictor import GenotypePredictor
from models.nas.compile import feature_graph
from models.nas.genotype import random_genotype


def test_predictions_match_scikit_learn_on_the_same_features():
    genotypes = [random_genotype(seed=i) for i in range(14)]
    scores = np.linspace(0.2, 0.9, 10)
    predictor = GenotypePredictor(regressor="bayesian_ridge", in_channels=3)
    predictor.fit(genotypes[:10], scores)
    graphs = {i: feature_graph(g, in_channels=3) for i, g in enumerate(genotypes)}
    x = labelled_features(graphs, group="nas_cnn").drop("key").to_numpy()
    keep = ~np.all(np.isnan(x[:10]), axis=0)  # the imputer drops never-observed features
    direct = make_pipeline(SimpleImputer(strategy="median"), MinMaxScaler(), BayesianRidge())
    expected = direct.fit(x[:10][:, keep], scores).predict(x[10:][:, keep])
    assert predictor.predict(genotypes[10:]) == pytest.approx(expected.tolist())
    assert predictor.fits_ == 1
