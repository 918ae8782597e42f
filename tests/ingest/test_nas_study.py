"""The CNN search study end to end on a tiny configuration: every candidate stored, predicted
ones never passed off as measured, reruns train nothing, bad data refused before writing."""

import networkx as nx
import polars as pl
import pytest

from ingest.datasets import DatasetFileError
from ingest.nas_config import NasConfig, make_nas_config
from ingest.nas_study import nas_study_id, run_nas_study
from models.nas.genotype import validate_graph
from warehouse import queries
from warehouse.queries_nas import search_candidates


def tiny(**overrides) -> NasConfig:
    # population 4 with removal 0.5: two offspring per generation, one of them only predicted
    settings = dict(preset="demo", strategies=("genetic_predictor", "random"), seeds=(0,),
                    population=4, generations=2, removal_fraction=0.5, epochs=1,
                    predictor="bayesian_ridge", min_depth=2, max_depth=3, random_min_depth=2,
                    random_max_depth=3)  # fmt: skip
    return make_nas_config(**{**settings, **overrides})


def test_every_candidate_lands_measured_or_predicted_and_reruns_train_nothing(tmp_path):
    db, config = tmp_path / "w.duckdb", tiny()
    summary = run_nas_study(config, db=db, workers=1)
    assert (summary.planned, summary.trained, summary.failed) == (2, 2, {})
    candidates = search_candidates(db, study=summary.study_id)
    measured = candidates.filter(pl.col("scored_by") == "measured")
    predicted = candidates.filter(pl.col("scored_by") == "predicted")
    # same budget of trainings for every strategy: population + generations × offspring
    assert measured.group_by("strategy").len().sort("strategy")["len"].to_list() == [8, 8]
    assert predicted.height >= 1 and set(predicted["strategy"]) == {"genetic_predictor"}
    assert measured["validation_acc"].is_between(0, 1).all()
    assert predicted["validation_acc"].is_null().all() and predicted["test_acc"].is_null().all()
    assert predicted["validation_predicted_acc"].is_not_null().all()
    assert measured["validation_predicted_acc"].is_null().all()
    # the run's best is the best *measured* candidate, and its test accuracy that candidate's
    meta = queries.meta_dataset(db, study=summary.study_id)
    run = meta.filter(pl.col("name") == "genetic_predictor/seed0").row(0, named=True)
    mine = measured.filter(pl.col("strategy") == "genetic_predictor").sort("query")
    best = mine.row(int(mine["validation_acc"].arg_max()), named=True)
    assert run["best_validation_acc"] == best["validation_acc"]
    assert run["best_test_acc"] == best["test_acc"]
    # every candidate's stored graph is a valid genotype with features of both kinds
    for network_id in candidates["network_id"].head(3):
        graph = queries.load_graph(db, network_id=network_id)
        assert isinstance(graph, nx.DiGraph) and validate_graph(graph) is None
    featured = meta.filter(pl.col("family") == "nas_cnn")
    assert featured["path_longest"].is_not_null().all() and featured["density"].is_not_null().all()
    again = run_nas_study(config, db=db, workers=1)
    assert (again.trained, again.already_done) == (0, 2)
    assert search_candidates(db, study=summary.study_id).height == candidates.height


def test_bad_data_and_options_are_refused_before_anything_is_written(tmp_path):
    db = tmp_path / "w.duckdb"
    with pytest.raises(DatasetFileError, match="lacks data_batch_1"):
        run_nas_study(tiny(dataset="cifar10", data_dir=tmp_path), db=db, workers=1)
    assert not db.exists()
    with pytest.raises(ValueError, match="Unknown predictor 'svm'; valid predictors"):
        tiny(predictor="svm")
    with pytest.raises(ValueError, match="Unknown search strategy 'hill_climb'"):
        tiny(strategies=["hill_climb"])
    with pytest.raises(ValueError, match="--predictor none cannot run the predictor strategies"):
        tiny(predictor="none")
    assert tiny(predictor="none", strategies=None).strategies == ("genetic",
        "regularized_evolution", "random")  # fmt: skip
    assert make_nas_config("paper").budget == 2472
    assert nas_study_id(tiny()) != nas_study_id(tiny(seeds=[1]))


def test_the_device_is_stored_not_hashed_and_an_unavailable_one_is_refused_up_front(tmp_path):
    import torch

    on_gpu = tiny(device="cuda:1")
    assert on_gpu.to_dict()["device"] == "cuda:1" and tiny().device == "cpu"
    assert nas_study_id(on_gpu) == nas_study_id(tiny())
    assert nas_study_id(make_nas_config("demo")) == "nas-demo-digits-edbcaec1"  # as before
    with pytest.raises(ValueError, match="'device' parameter of NasConfig .* 'gpu0'"):
        tiny(device="gpu0")
    db = tmp_path / "w.duckdb"
    with pytest.raises(ValueError, match="Device 'meta' holds no data"):
        run_nas_study(tiny(device="meta"), db=db, workers=1)
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="Device 'cuda' is not available"):
            run_nas_study(tiny(device="cuda"), db=db, workers=1)
    assert not db.exists() and not (tmp_path / "w.duckdb.staging").exists()
