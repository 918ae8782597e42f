"""Run the independent fits of an evaluation: the longest first, on worker processes.

An evaluation is a list of :class:`FitTask` (one fold of one regressor on one group, the
paper's split, an importance fold). Each task builds and seeds its own model, and every model
runs on one thread, so the results are the same for any number of workers and any order; this
module only decides *where* and *when* each task runs:

* **Processes, not threads.** Much of a fit is Python holding the GIL (scikit-learn's
  per-tree bookkeeping in a random forest, AdaBoost's boosting loop); on two cores a thread
  pool ran AdaBoost slower than one thread and the random forest only 1.4x faster.
* **From a forkserver**, with scikit-learn's ensembles and XGBoost preloaded: workers are
  forked from a clean single-threaded process in milliseconds instead of each importing the
  libraries (this process may run polars', DuckDB's or torch's threads, whose locks a plain
  fork would copy mid-use). :func:`start_workers` starts that server early, so its imports
  overlap with the caller's own start-up (reading the warehouse).
* **Longest first** (by :attr:`FitTask.cost`), so no core idles at the end waiting for the
  last random forest: on the paper-sized benchmark both workers were busy 99% of the pool's
  time and finished within 10 ms of each other (so random forests are not split into chunks
  of trees: there is no tail to shorten).
* **One thread per worker** for BLAS and OpenMP (:mod:`threadpoolctl`) and scikit-learn's
  parameter names looked up once per class (:mod:`analytics.regressors.param_names`), in the
  workers and in the serial path alike (both leave every number as it was). XGBoost with
  ``n_jobs=1`` otherwise still sets up its data on one OpenMP thread per core: 72 → 45 ms
  CPU per paper-sized fit, and no spinning OpenMP threads taking the other worker's core.
* **A clear error instead of a broken pool** when a script asks for workers from its
  unguarded top level (:mod:`analytics.regressors.main_guard`).

Regressors registered in ``__main__`` (unknown to a worker) are fitted in this process.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from threadpoolctl import threadpool_limits

from analytics.regressors.main_guard import require_main_guard
from analytics.regressors.param_names import cached_param_names

__all__ = ["FitTask", "resolve_workers", "run_tasks", "start_workers"]

Progress = Callable[[int, int], None]  # (tasks done, tasks in total)

# Modules every worker needs: the task functions, and the libraries the built-in regressors
# fit with (XGBoost alone takes a few tenths of a second to import).
WORKER_MODULES = ("analytics.regressors.evaluation", "sklearn.ensemble", "xgboost")


@dataclass(frozen=True)
class FitTask:
    """One call ``function(*args, **kwargs)``; ``cost`` (any unit) only orders the work."""

    function: Callable[..., Any]
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    cost: float = 0.0


def resolve_workers(n_jobs: int) -> int:
    """Worker processes for ``n_jobs`` (-1: one per core this process may use).

    Raises
    ------
    ValueError
        ``n_jobs`` is 0 or below -1.
    """
    if n_jobs == -1:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if n_jobs < 1:
        raise ValueError(f"The 'n_jobs' parameter must be -1 or >= 1. Got {n_jobs}.")
    return n_jobs


def start_workers(modules: Iterable[str] = ()) -> None:
    """Start the forkserver (if there is one) with the worker modules preloaded; returns at once.

    Calling it is optional (:func:`run_tasks` starts it when needed); calling it before slow
    start-up work lets the server's imports run beside that work on another core. If this
    process already runs a forkserver, it is reused as it is (workers then import what the
    server lacks on their first task: slower, same results).
    """
    context = _worker_context(modules)
    if context.get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


def run_tasks(
    tasks: Sequence[FitTask],
    *,
    workers: int,
    progress: Progress | None = None,
    modules: Iterable[str] = (),
) -> list:
    """Every task's result, in the order of ``tasks``.

    Tasks run with one BLAS/OpenMP thread, cached parameter names and the tree shortcuts,
    here as in a worker.

    Parameters
    ----------
    workers:
        Processes to run the tasks on; 1 runs them here, one after another (same results).
        Workers re-import the main script: called from a script's top level outside
        ``if __name__ == "__main__":``, this raises ``RuntimeError`` naming the fix
        (:func:`~analytics.regressors.main_guard.require_main_guard`) instead of letting the
        pool break.
    progress:
        Called as ``progress(done, total)`` after each finished task.
    modules:
        Modules the workers import before their first task besides :data:`WORKER_MODULES`
        (e.g. where custom regressors are registered).
    """
    order = sorted(range(len(tasks)), key=lambda i: -tasks[i].cost)  # stable: ties keep order
    results: list = [None] * len(tasks)
    workers = min(workers, len(tasks))
    if workers <= 1:
        # as in a worker: one BLAS/OpenMP thread, parameter names looked up once per class
        with threadpool_limits(limits=1), cached_param_names():
            for done, i in enumerate(order, start=1):
                results[i] = tasks[i].function(*tasks[i].args, **tasks[i].kwargs)
                if progress is not None:
                    progress(done, len(tasks))
        return results
    require_main_guard(workers)
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_worker_context(modules),
        initializer=_init_worker,
        initargs=(tuple(modules),),
    )
    try:
        # A process pool hands out its pending work first in, first out: submitted in cost
        # order, the longest fits start first.
        pending = {
            pool.submit(tasks[i].function, *tasks[i].args, **tasks[i].kwargs): i for i in order
        }
        for done, future in enumerate(as_completed(pending), start=1):
            results[pending[future]] = future.result()
            if progress is not None:
                progress(done, len(tasks))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return results


def _worker_context(modules: Iterable[str]) -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([*WORKER_MODULES, *modules])
    return context


def _init_worker(modules: tuple[str, ...]) -> None:
    for module in (*WORKER_MODULES, *modules):
        importlib.import_module(module)
    # One thread per worker process for OpenMP and BLAS too: XGBoost's n_jobs=1 still runs
    # its data set-up and prediction on an OpenMP pool of one thread per core, which on two
    # workers oversubscribes the cores (and costs a single fit a third more CPU time).
    # Both stay in force for the life of the worker (kept here: a dropped context manager
    # would be closed, and undone, by the garbage collector).
    _WORKER_SETTINGS.enter_context(threadpool_limits(limits=1))
    _WORKER_SETTINGS.enter_context(cached_param_names())


_WORKER_SETTINGS = ExitStack()  # a worker's thread limits and name cache
