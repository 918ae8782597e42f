import os

import pytest

from ingest.executors import list_executors, run_jobs


def square_or_fail(x: int) -> int:
    if x == 3:
        raise ValueError("three is bad")
    return x * x


def worker_threads(_: int) -> tuple[int, int]:
    import torch

    return os.getpid(), torch.get_num_threads()


@pytest.mark.parametrize("workers", [1, 2])
def test_local_executor_runs_every_job_and_reports_failures(workers):
    results = dict(run_jobs(square_or_fail, [1, 2, 3, 4], executor="local", workers=workers))
    assert {k: v for k, v in results.items() if k != 3} == {1: 1, 2: 4, 4: 16}
    assert isinstance(results[3], ValueError)


def test_local_workers_use_one_torch_thread_each():
    results = dict(run_jobs(worker_threads, list(range(4)), executor="local", workers=2))
    assert {threads for _, threads in results.values()} == {1}


def test_ray_executor_runs_the_same_jobs_on_a_local_ray(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    results = dict(run_jobs(square_or_fail, [1, 2, 3, 4], executor="ray", workers=2))
    assert {k: v for k, v in results.items() if k != 3} == {1: 1, 2: 4, 4: 16}
    assert isinstance(results[3], ValueError)


def test_unknown_executor_and_bad_worker_counts():
    with pytest.raises(ValueError, match=str(list_executors())):
        run_jobs(square_or_fail, [1], executor="slurm")
    with pytest.raises(ValueError, match="'workers'"):
        run_jobs(square_or_fail, [1], workers=0)
