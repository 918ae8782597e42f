"""Numbers published in the paper, for side-by-side comparison with our own runs.

J. Stier, H. Darji, M. Granitzer, *Experiments on Properties of Hidden Structures of Sparse Neural
Networks*, LOD 2021. Only values printed in the paper are here; nothing is inferred.
"""

from __future__ import annotations

__all__ = [
    "PAPER_PRIORS_R2",
    "PAPER_RNN_BASE_ACCURACY",
    "PAPER_RNN_RECOVERS_AT_100",
    "PAPER_RNN_SAFE_PERCENT",
    "PAPER_TABLE1",
    "PAPER_TABLE1_FEATURES",
]

# Table 1 (§4.3): Pearson r between test accuracy and a graph property, per cell type, over
# 200 networks (100 Barabási–Albert + 100 Watts–Strogatz) per cell. The paper's property names
# map onto sparsescope's feature columns as below; "degree var" is read as the variance of the
# degree centrality (networkx's normalised degree), the paper's code used networkx's centralities.
PAPER_TABLE1_FEATURES: dict[str, str] = {
    "layers": "layers",
    "nodes": "nodes",
    "edges": "edges",
    "source nodes": "source_nodes",
    "diameter": "diameter",
    "density": "density",
    "average shortest path length": "average_shortest_path_length",
    "eccentricity var": "eccentricity_var",
    "degree var": "degree_centrality_var",
    "closeness var": "closeness_centrality_var",
    "nodes betweenness var": "node_betweenness_var",
    "edge betweenness var": "edge_betweenness_var",
}

# feature column -> {cell: r}
PAPER_TABLE1: dict[str, dict[str, float]] = {
    "layers": {"tanh": 0.25, "relu": 0.30, "lstm": 0.28, "gru": 0.34},
    "nodes": {"tanh": 0.40, "relu": 0.44, "lstm": 0.44, "gru": 0.49},
    "edges": {"tanh": 0.38, "relu": 0.43, "lstm": 0.42, "gru": 0.49},
    "source_nodes": {"tanh": 0.35, "relu": 0.47, "lstm": 0.57, "gru": 0.74},
    "diameter": {"tanh": -0.23, "relu": -0.27, "lstm": -0.32, "gru": -0.20},
    "density": {"tanh": 0.29, "relu": 0.15, "lstm": 0.29, "gru": 0.34},
    "average_shortest_path_length": {"tanh": -0.27, "relu": -0.25, "lstm": -0.36, "gru": -0.23},
    "eccentricity_var": {"tanh": -0.22, "relu": -0.24, "lstm": -0.30, "gru": -0.21},
    "degree_centrality_var": {"tanh": -0.28, "relu": -0.26, "lstm": -0.39, "gru": -0.58},
    "closeness_centrality_var": {"tanh": -0.46, "relu": -0.39, "lstm": -0.51, "gru": -0.67},
    "node_betweenness_var": {"tanh": -0.49, "relu": -0.41, "lstm": -0.56, "gru": -0.52},
    "edge_betweenness_var": {"tanh": -0.34, "relu": -0.30, "lstm": -0.44, "gru": -0.26},
}

# §4.3: R² of the structural performance regressors per cell type (one 90/10 split).
PAPER_PRIORS_R2: dict[str, dict[str, float]] = {
    "tanh": {"bayesian_ridge": 0.47919, "random_forest": 0.43163, "adaboost": 0.35698},
    "relu": {"bayesian_ridge": 0.36075, "random_forest": 0.61504, "adaboost": 0.53469},
    "lstm": {"bayesian_ridge": 0.37206, "random_forest": 0.57933, "adaboost": 0.59514},
    "gru": {"bayesian_ridge": 0.67224, "random_forest": 0.87635, "adaboost": 0.78313},
}

# §4.2, text beside Figures 2b and 5: "safe" pruning per target, in percent of the weights
# pruned (p) with no re-training, the paper's "about" values; target -> {cell: p}.
PAPER_RNN_SAFE_PERCENT: dict[str, dict[str, float]] = {
    "both": {"tanh": 80, "relu": 70, "lstm": 60, "gru": 80},
    "i2h": {"tanh": 70, "relu": 70, "lstm": 70, "gru": 80},
    "h2h": {"tanh": 80, "relu": 70, "lstm": 70, "gru": 80},
}

# §4.2: whether a model pruned at p = 100 regains the base accuracy within one re-training
# epoch ("Pruning 100% weights, the model never recovers" for both and for i2h; for h2h "RNN
# Tanh and RNN ReLU never recover, but GRU and LSTM still retain the original performance
# with just one re-training epoch"); target -> {cell: recovers}.
PAPER_RNN_RECOVERS_AT_100: dict[str, dict[str, bool]] = {
    "both": {"tanh": False, "relu": False, "lstm": False, "gru": False},
    "i2h": {"tanh": False, "relu": False, "lstm": False, "gru": False},
    "h2h": {"tanh": False, "relu": False, "lstm": True, "gru": True},
}

# §4.2: base models' test accuracy ("RNN ReLU, LSTM, and GRU achieve perfect accuracies of
# 100% on the test set within the first two epochs. RNN TanH achieved 90% after six epochs").
PAPER_RNN_BASE_ACCURACY: dict[str, float] = {"tanh": 0.90, "relu": 1.0, "lstm": 1.0, "gru": 1.0}
