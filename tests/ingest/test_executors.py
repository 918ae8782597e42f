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


def die_once(marker_dir: str) -> int:
    """Kills its own worker the first time it runs (like the OOM killer would)."""
    import signal
    from pathlib import Path

    marker = Path(marker_dir, "died")
    if not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return os.getpid()


def always_die(_: str) -> int:
    import signal

    os.kill(os.getpid(), signal.SIGKILL)
    return 0


def test_a_dead_worker_breaks_no_study_its_jobs_run_again(tmp_path):
    results = list(run_jobs(die_once, [str(tmp_path)] * 3, executor="local", workers=2))
    assert len(results) == 3 and all(isinstance(pid, int) for _, pid in results)
    assert (tmp_path / "died").exists()


def test_a_job_that_always_kills_its_worker_is_reported_after_the_restarts(monkeypatch):
    from ingest import executors

    monkeypatch.setattr(executors, "POOL_RESTARTS", 1)  # two pools instead of four
    results = list(run_jobs(always_die, ["x"], executor="local", workers=2))
    assert len(results) == 1 and isinstance(results[0][1], executors.WorkerLostError)
    assert "died 2 times" in str(results[0][1])
