"""The fit pool: results in task order, the longest task first, worker counts checked."""

import os

import pytest

from analytics.regressors.fit_pool import FitTask, resolve_workers, run_tasks


def test_serial_runs_the_costliest_first_and_returns_results_in_task_order():
    calls = []
    tasks = [FitTask(calls.append, (name,), cost=cost) for name, cost in
             [("a", 1.0), ("b", 5.0), ("c", 1.0), ("d", 3.0)]]  # fmt: skip
    progress = []
    results = run_tasks(tasks, workers=1, progress=lambda done, total: progress.append(done))
    assert calls == ["b", "d", "a", "c"]  # by cost, ties in submission order
    assert results == [None] * 4 and progress == [1, 2, 3, 4]


def test_worker_processes_return_each_result_at_its_task():
    tasks = [FitTask(pow, (base, 2), cost=base % 3) for base in range(7)]
    assert run_tasks(tasks, workers=2) == [base**2 for base in range(7)]


def test_a_failing_task_raises_its_own_error():
    tasks = [FitTask(int, ("1",)), FitTask(int, ("not a number",))]
    with pytest.raises(ValueError, match="not a number"):
        run_tasks(tasks, workers=2)


def test_worker_counts():
    assert resolve_workers(3) == 3
    assert resolve_workers(-1) == len(os.sched_getaffinity(0))
    with pytest.raises(ValueError, match="'n_jobs' parameter must be -1 or >= 1. Got 0"):
        resolve_workers(0)


def _worker_settings():
    from sklearn.base import BaseEstimator
    from threadpoolctl import threadpool_info

    lookup = BaseEstimator.__dict__["_get_param_names"].__func__
    threads = sorted({pool["num_threads"] for pool in threadpool_info()})
    return lookup.__module__, threads


def test_workers_fit_on_one_thread_with_cached_parameter_names():
    tasks = [FitTask(_worker_settings)] * 2
    expected = ("analytics.regressors.param_names", [1])
    for settings in run_tasks(tasks, workers=2, modules=[__name__]):
        assert settings == expected
    assert run_tasks(tasks, workers=1) == [expected] * 2  # the serial path too
