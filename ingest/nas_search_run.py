"""One job of the search study: one seeded search run of one strategy, every candidate a record.

A job runs in a worker and never touches the warehouse. It runs its strategy
(:mod:`models.nas.search`) with a training budget of :attr:`NasConfig.budget` candidates —
each measured candidate trained by :func:`ingest.nas_training.train_candidate` — and returns
one record per scored candidate plus one record of the run itself:

* a candidate ``<strategy>/seed<k>/<index>`` (family ``nas_cnn``; ``index`` is its place in
  the run's history) carries its genotype graph (vertex ``op`` and output ``channels``), its
  ``nas_cnn`` features, labels ``strategy`` and ``scored_by`` (``measured`` / ``predicted``),
  attributes ``generation`` and ``query`` (trainings spent when its score was known) and its
  metrics: a *measured* one ``validation_acc``, ``test_acc``, ``train_loss``, ``wall_time``; a
  *predicted* one only ``validation_predicted_acc`` — it was never trained, so it has no
  accuracy and can never be mistaken for a measured one;
* the run ``<strategy>/seed<k>`` (family ``nas_search_run``, no graph) carries
  ``best_validation_acc``, the ``test_acc`` of that best candidate as ``best_test_acc``,
  ``trainings``, ``predicted`` and ``wall_time``. Its name is the job's name: the driver skips
  a run already stored.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ingest.nas_config import NasConfig
from ingest.nas_predictor import GenotypePredictor, genotype_features
from ingest.nas_training import CandidateScore, load_search_data, train_candidate
from ingest.study_driver import JobResult
from models.nas.compile import feature_graph
from models.nas.genotype import Genotype, SearchSpaceConfig
from models.nas.search import (
    GeneticConfig,
    SearchHistory,
    genetic_search,
    random_search,
    regularized_evolution,
)
from models.nas.space import GenotypeSpace
from warehouse.queries_nas import CANDIDATE_FAMILY, RUN_FAMILY
from warehouse.records import Metric, NetworkRecord, StudyRecord, records_to_frames

__all__ = ["CANDIDATE_FAMILY", "RUN_FAMILY", "NasRunJob", "run_nas_job", "search_records"]

REGULARIZED_SAMPLE = 10  # parents sampled per step of regularized evolution (Real et al.)


@dataclass(frozen=True)
class NasRunJob:
    """What a worker needs for one search run (the result travels back to the driver)."""

    strategy: str
    seed: int
    config: NasConfig
    study: StudyRecord

    @property
    def name(self) -> str:
        """The run's record name, e.g. ``genetic_predictor/seed0``."""
        return f"{self.strategy}/seed{self.seed}"


def run_nas_job(job: NasRunJob) -> JobResult:
    """Run the job's search and return its records' tables (see the module docstring)."""
    config = job.config
    data = load_search_data(config.dataset, config.data_dir, config.validation_fraction,
                            config.data_seed)  # fmt: skip
    scores: dict[str, CandidateScore] = {}

    def evaluate(candidates: list[Genotype]) -> list[float]:
        for genotype in candidates:
            if genotype.key() not in scores:  # a re-drawn duplicate keeps its first score
                scores[genotype.key()] = train_candidate(
                    genotype, data, epochs=config.epochs, batch_size=config.batch_size,
                    learning_rate=config.learning_rate, seed=job.seed, device=config.device,
                )  # fmt: skip
        return [scores[g.key()].validation_acc for g in candidates]

    start = time.perf_counter()
    history = _search(job, evaluate, in_channels=data.channels)
    records = search_records(job, history, scores, in_channels=data.channels,
                             seconds=time.perf_counter() - start)  # fmt: skip
    best = history.best_measured()
    return JobResult(
        name=job.name,
        tables={k: v.to_arrow() for k, v in records_to_frames(job.study.id, records).items()},
        summary={
            "best_validation_acc": best.score,
            "trainings": history.queries,
            "seconds": time.perf_counter() - start,
        },  # fmt: skip
    )


def search_records(
    job: NasRunJob,
    history: SearchHistory[Genotype],
    scores: dict[str, CandidateScore],
    *,
    in_channels: int,
    seconds: float,
) -> list[NetworkRecord]:
    """The records of a finished run: one per scored candidate, then the run's own."""
    evaluations = history.evaluations
    features = genotype_features([e.candidate for e in evaluations], in_channels=in_channels)
    names = [c for c in features.columns if c != "key"]
    records = []
    for index, (evaluation, row) in enumerate(zip(evaluations, features.iter_rows(), strict=True)):
        genotype = evaluation.candidate
        if evaluation.measured:
            score = scores[genotype.key()]
            epoch = job.config.epochs
            metrics = [Metric(epoch, "validation", "acc", score.validation_acc),
                       Metric(epoch, "test", "acc", score.test_acc),
                       Metric(epoch, "train", "loss", score.train_loss),
                       Metric(epoch, "", "wall_time", score.seconds)]  # fmt: skip
        else:
            metrics = [Metric(0, "validation", "predicted_acc", evaluation.score)]
        records.append(NetworkRecord(
            name=f"{job.name}/{index:04d}",
            graph=feature_graph(genotype, in_channels=in_channels),
            family=CANDIDATE_FAMILY,
            generator=job.strategy,
            seed=job.seed,
            metrics=metrics,
            features=dict(zip(names, row[1:], strict=True)),
            labels={"strategy": job.strategy,
                    "scored_by": "measured" if evaluation.measured else "predicted"},
            attributes={"generation": evaluation.generation, "query": evaluation.query,
                        "search_run": job.name, "genotype_key": genotype.key()},
        ))  # fmt: skip
    best = history.best_measured()
    records.append(NetworkRecord(
        name=job.name,
        family=RUN_FAMILY,
        generator=job.strategy,
        seed=job.seed,
        metrics=[Metric(0, "", "best_validation_acc", best.score),
                 Metric(0, "", "best_test_acc", scores[best.candidate.key()].test_acc),
                 Metric(0, "", "trainings", history.queries),
                 Metric(0, "", "predicted", len(evaluations) - history.queries),
                 Metric(0, "", "wall_time", seconds)],
        labels={"strategy": job.strategy},
    ))  # fmt: skip
    return records


def _search(job: NasRunJob, evaluate, *, in_channels: int) -> SearchHistory[Genotype]:
    config, strategy = job.config, job.strategy
    predictor = None
    if strategy.endswith("_predictor"):
        predictor = GenotypePredictor(regressor=config.predictor, in_channels=in_channels,
                                      seed=job.seed)  # fmt: skip
    if strategy == "random":
        space = GenotypeSpace(SearchSpaceConfig(min_depth=config.random_min_depth,
                                                max_depth=config.random_max_depth))  # fmt: skip
        return random_search(space, evaluate, budget=config.budget, seed=job.seed,
                             batch=config.population)  # fmt: skip
    space = GenotypeSpace(SearchSpaceConfig(min_depth=config.min_depth,
                                            max_depth=config.max_depth))  # fmt: skip
    if strategy.startswith("regularized_evolution"):
        return regularized_evolution(
            space, evaluate, budget=config.budget, population=config.population,
            sample_size=min(REGULARIZED_SAMPLE, config.population), seed=job.seed,
            predictor=predictor, estimation_fraction=config.estimation_fraction,
            min_train=config.predictor_min_train,
        )  # fmt: skip
    genetic = GeneticConfig(
        population=config.population, mutation_probability=config.mutation_probability,
        crossover_probability=config.crossover_probability,
        removal_fraction=config.removal_fraction, estimation_fraction=config.estimation_fraction,
        min_train=config.predictor_min_train,
    )  # fmt: skip
    return genetic_search(space, evaluate, budget=config.budget, config=genetic,
                          predictor=predictor, seed=job.seed)  # fmt: skip
