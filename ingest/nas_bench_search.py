"""Architecture search on NAS-Bench-Graph, where a "training" is a table look-up.

A candidate is an architecture hash of the table. Strategies (:mod:`models.nas.search`) see
only ``valid_perf`` — what a real search sees — and each look-up costs one query; the best
architecture found is then reported by its test ``perf``.

The space is the benchmark's fixed macro graph, so its operators are its own
(:class:`TableSpace`): mutate one operation, mutate the link pattern (one of the 9), and
cross over by taking each operation position from either parent. A varied architecture is
canonicalised with the package's own ``Arch.valid_hash`` (isomorphic variants share one
entry); a variant the table does not hold (e.g. all skips) is drawn again.

:class:`TablePredictor` is the structural performance predictor: any regressor of
:func:`analytics.regressors.create_regressor`, trained on the measured candidates' structural
features (the plain graph features per link pattern plus the ``nas_gnn`` and ``nas_gnn_ops``
labelled features) and refitted as data grows — every time the measured set has grown by
``refit_growth`` since the last fit. It serves the predictor variants of the genetic loop and
of regularized evolution, ``predictor_guided`` (:mod:`models.nas.guided_search`), where it
filters hundreds of mutants per step and only its top-ranked few are looked up, and
``predictor_global`` (:mod:`models.nas.global_search`), where it ranks every unmeasured
architecture of the table each step (the table lists its space: :meth:`TableSpace.candidates`).
Its predictions are memoised per fit — the model does not change between refits, so each
architecture is predicted at most once per fit, whichever strategy asks.
:func:`queries_to_reach` runs many seeds of one strategy and counts the queries each needed to
first measure an architecture in the top fraction by validation.
"""

from __future__ import annotations

import math
import random
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from ingest.nas_bench_graph import (
    LABELLED_GROUPS,
    LINK_PATTERNS,
    architecture_graph,
    bench_table,
    decode_hash,
)
from models.nas.global_search import GlobalConfig, predictor_global_search
from models.nas.guided_search import predictor_guided_evolution
from models.nas.search import (
    GeneticConfig,
    SearchHistory,
    genetic_search,
    random_search,
    regularized_evolution,
)

__all__ = [
    "STRATEGIES",
    "BenchTable",
    "SearchOutcome",
    "TablePredictor",
    "TableSpace",
    "improvement_curve",
    "outcome_of",
    "queries_to_reach",
    "run_strategy",
    "structural_features",
]

STRATEGIES = ("random", "regularized_evolution", "regularized_evolution_predictor", "genetic",
              "genetic_predictor", "predictor_guided", "predictor_global")  # fmt: skip


@dataclass(frozen=True, eq=False)
class BenchTable:
    """One data set's table, indexed for look-ups: ``row[hash]`` is the row of an architecture."""

    dataset: str
    frame: pl.DataFrame
    row: dict[int, int] = field(repr=False)
    valid: np.ndarray = field(repr=False)
    test: np.ndarray = field(repr=False)
    operations: tuple[str, ...]

    @classmethod
    def load(cls, dataset: str) -> BenchTable:
        """The installed package's table of ``dataset``."""
        frame = bench_table(dataset)
        hashes = frame.get_column("hash").to_list()
        ops = sorted({op for i in range(4) for op in frame.get_column(f"op{i}").unique()})
        return cls(
            dataset=dataset,
            frame=frame,
            row={h: i for i, h in enumerate(hashes)},
            valid=frame.get_column("valid_perf").to_numpy(),
            test=frame.get_column("perf").to_numpy(),
            operations=tuple(ops),
        )

    @property
    def hashes(self) -> list[int]:
        """Architecture hashes, in row order."""
        return list(self.row)

    def threshold(self, top_fraction: float) -> float:
        """The lowest validation score inside the best ``top_fraction`` (at least one arch)."""
        k = max(1, math.ceil(top_fraction * self.valid.size))
        return float(np.sort(self.valid)[::-1][k - 1])

    def evaluate(self, hashes: Sequence[int]) -> list[float]:
        """Validation scores of ``hashes``: the only thing a search may see."""
        return [float(self.valid[self.row[h]]) for h in hashes]


@dataclass(frozen=True, eq=False)
class TableSpace:
    """NAS-Bench-Graph's space with its own operators (see the module docstring)."""

    table: BenchTable
    tries: int = 50  # draws before a variation gives up and returns a random architecture

    def sample(self, rng: random.Random) -> int:
        """A uniformly random architecture of the table."""
        return self.table.hashes[rng.randrange(len(self.table.row))]

    def mutate(self, candidate: int, rng: random.Random) -> int:
        """Change one operation, or (one time in five) the link pattern."""
        link, ops = decode_hash(candidate)
        for _ in range(self.tries):
            new_link, new_ops = list(link), list(ops)
            if rng.random() < 0.2:
                new_link = list(rng.choice([p for p in LINK_PATTERNS if list(p) != new_link]))
            else:
                i = rng.randrange(4)
                new_ops[i] = rng.choice([o for o in self.table.operations if o != ops[i]])
            key = self._canonical(new_link, new_ops)
            if key is not None and key != candidate:
                return key
        return self.sample(rng)

    def crossover(self, first: int, second: int, rng: random.Random) -> int:
        """The first parent's links with each operation position taken from either parent."""
        link, ops_a = decode_hash(first)
        _, ops_b = decode_hash(second)
        for _ in range(self.tries):
            ops = [a if rng.random() < 0.5 else b for a, b in zip(ops_a, ops_b, strict=True)]
            key = self._canonical(list(link), ops)
            if key is not None:
                return key
        return first

    def key(self, candidate: int) -> int:
        """The hash is already canonical."""
        return candidate

    def candidates(self) -> list[int]:
        """Every architecture of the table, in row order (the space is enumerable)."""
        return self.table.hashes

    def _canonical(self, link: list[int], ops: list[str]) -> int | None:
        from nas_bench_graph.architecture import Arch

        key = Arch(link, ops).valid_hash()
        return key if key in self.table.row else None


def structural_features(table: BenchTable) -> np.ndarray:
    """``(architectures, features)`` matrix in row order: plain + labelled features
    (:data:`ingest.nas_bench_graph.LABELLED_GROUPS`).

    Plain graph features read structure only, so they are computed once per link pattern.
    """
    from analytics.features import bulk_features
    from analytics.features.nas import LabelledDAG, labelled_features

    patterns = {i: architecture_graph(link, ["skip"] * 4) for i, link in enumerate(LINK_PATTERNS)}
    plain = bulk_features(patterns, n_jobs=1).drop("key").to_numpy()
    arcs = [list(architecture_graph(link, ["skip"] * 4).edges) for link in LINK_PATTERNS]
    rows = table.frame.select("link", "op0", "op1", "op2", "op3").rows()
    dags = {i: LabelledDAG(("input", *ops, "output"), [1.0] * 6, arcs[link])
            for i, (link, *ops) in enumerate(rows)}  # fmt: skip
    labelled = [labelled_features(dags, group=group).drop("key").to_numpy()
                for group in LABELLED_GROUPS]  # fmt: skip
    links = table.frame.get_column("link").to_numpy()
    matrix = np.hstack([plain[links], *labelled])
    keep = ~np.all(np.isnan(matrix), axis=0)  # columns undefined everywhere carry nothing
    return matrix[:, keep]


class TablePredictor:
    """A registry regressor on structural features, refitted as measurements grow.

    Parameters
    ----------
    regressor:
        Name in :func:`analytics.regressors.list_regressors`.
    refit_growth:
        Refit once the measured set is this much larger (relative) than at the last fit.
    """

    def __init__(
        self, table: BenchTable, features: np.ndarray, *, regressor: str = "xgboost",
        seed: int = 0, refit_growth: float = 0.25,
    ) -> None:  # fmt: skip
        from analytics.regressors import create_regressor

        self.table, self.features, self.regressor = table, features, regressor
        self.model_ = create_regressor(regressor, seed=seed)
        self.refit_growth = refit_growth
        self.fitted_on_ = 0
        self.fits_ = 0
        self.predicted_rows_ = 0  # rows the model actually predicted (memo misses), all fits
        self._memo = np.full(len(features), np.nan)  # this fit's prediction per row (NaN: none)

    def fit(self, candidates: Sequence[int], scores: Sequence[float]) -> None:
        """Refit on all measured candidates if they grew enough since the last fit."""
        if self.fitted_on_ and len(candidates) < self.fitted_on_ * (1 + self.refit_growth):
            return
        rows = [self.table.row[h] for h in candidates]
        with warnings.catch_warnings():  # a feature absent from every row so far: dropped
            warnings.filterwarnings("ignore", "Skipping features without any observed values")
            self.model_.fit(self.features[rows], np.asarray(scores))
        self.fitted_on_, self.fits_ = len(candidates), self.fits_ + 1
        self._memo[:] = np.nan

    def predict(self, candidates: Sequence[int]) -> list[float]:
        """Predicted validation scores (never stored or reported as measured).

        Rows already predicted since the last fit are read from the memo; the rest are
        predicted in one call (a row's prediction does not depend on the other rows).
        """
        rows = np.fromiter((self.table.row[h] for h in candidates), dtype=np.int64,
                           count=len(candidates))  # fmt: skip
        missing = np.unique(rows[np.isnan(self._memo[rows])])
        if missing.size:
            self._memo[missing] = self.model_.predict(self.features[missing])
            self.predicted_rows_ += int(missing.size)
        return self._memo[rows].tolist()


@dataclass(frozen=True)
class SearchOutcome:
    """One seeded run: queries to reach the target (None: not within budget), best found."""

    strategy: str
    seed: int
    queries_to_target: int | None
    queries: int
    best_valid: float
    best_test: float  # test perf of the best-by-validation architecture measured
    predicted: int  # candidates scored by the predictor only
    # (query, best measured valid_perf so far) at every query that improved it, in order
    curve: tuple[tuple[int, float], ...] = ()


def run_strategy(
    strategy: str,
    table: BenchTable,
    *,
    seed: int,
    budget: int,
    until: float | None = None,
    features: np.ndarray | None = None,
    regressor: str = "xgboost",
    config: GeneticConfig | None = None,
    estimation_fraction: float = 0.5,
    global_config: GlobalConfig | None = None,
) -> SearchHistory[int]:
    """One seeded run of ``strategy`` (one of :data:`STRATEGIES`) on ``table``.

    ``estimation_fraction`` is regularized evolution's with a predictor: each step proposes
    ``1 / (1 - estimation_fraction)`` children and looks up only the one ranked first (the
    genetic loop takes its own from ``config``); ``global_config`` is ``predictor_global``'s
    (default :class:`~models.nas.global_search.GlobalConfig`).
    """
    space = TableSpace(table)
    if strategy == "random":
        return random_search(space, table.evaluate, budget=budget, seed=seed, until=until)
    predictor = None
    if strategy.endswith("_predictor") or strategy.startswith("predictor_"):
        features = structural_features(table) if features is None else features
        predictor = TablePredictor(table, features, regressor=regressor, seed=seed)
    if strategy in ("regularized_evolution", "regularized_evolution_predictor"):
        return regularized_evolution(space, table.evaluate, budget=budget, seed=seed, until=until,
                                     predictor=predictor,
                                     estimation_fraction=estimation_fraction)  # fmt: skip
    if strategy == "predictor_guided":
        return predictor_guided_evolution(space, table.evaluate, predictor, budget=budget,
                                          seed=seed, until=until)  # fmt: skip
    if strategy == "predictor_global":
        return predictor_global_search(space, table.evaluate, predictor, budget=budget,
                                       config=global_config, seed=seed, until=until)  # fmt: skip
    if strategy in ("genetic", "genetic_predictor"):
        return genetic_search(space, table.evaluate, budget=budget, seed=seed, until=until,
                              config=config, predictor=predictor)  # fmt: skip
    raise ValueError(
        f"The 'strategy' parameter of run_strategy must be one of {list(STRATEGIES)}. "
        f"Got {strategy!r} instead."
    )


def improvement_curve(history: SearchHistory) -> tuple[tuple[int, float], ...]:
    """``(query, best measured score so far)`` at each measured query that raised the best:
    the best-found step curve of a run, without its flat stretches."""
    points, best = [], -np.inf
    for evaluation in history.measured():
        if evaluation.score > best:
            best = evaluation.score
            points.append((evaluation.query, float(best)))
    return tuple(points)


def queries_to_reach(
    strategy: str,
    table: BenchTable,
    *,
    top_fraction: float,
    seeds: Sequence[int],
    budget: int,
    **options,
) -> list[SearchOutcome]:
    """Run ``strategy`` once per seed, stopping each run at the top-``top_fraction`` target."""
    target = table.threshold(top_fraction)
    outcomes = []
    for seed in seeds:
        history = run_strategy(strategy, table, seed=seed, budget=budget, until=target, **options)
        outcomes.append(outcome_of(strategy, table, seed, history, target))
    return outcomes


def outcome_of(
    strategy: str, table: BenchTable, seed: int, history: SearchHistory[int], target: float
) -> SearchOutcome:
    """The :class:`SearchOutcome` of one finished run, measured against ``target``."""
    best = history.best_measured()
    return SearchOutcome(
        strategy=strategy, seed=seed, queries_to_target=history.queries_to_reach(target),
        queries=history.queries, best_valid=best.score,
        best_test=float(table.test[table.row[best.candidate]]),
        predicted=len(history.evaluations) - history.queries + history.scored_only,
        curve=improvement_curve(history),
    )  # fmt: skip
