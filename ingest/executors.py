"""Where study jobs run: a local process pool (default) or a Ray cluster.

Both executors take a picklable top-level function and a list of jobs and yield
``(job, result)`` pairs as jobs finish, in completion order; a job that raised yields its
exception as the result, so one bad network does not stop a study. Every worker uses one torch
thread: two workers on two cores beat two workers fighting over four threads.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any, TypeVar

__all__ = ["list_executors", "run_jobs"]

Job = TypeVar("Job")
Runner = Callable[[Callable[[Any], Any], Sequence[Any], int], Iterator[tuple[Any, Any]]]
_EXECUTORS: dict[str, Runner] = {}


def _register(name: str) -> Callable[[Runner], Runner]:
    def decorator(runner: Runner) -> Runner:
        _EXECUTORS[name] = runner
        return runner

    return decorator


def list_executors() -> list[str]:
    """Names of the available executors."""
    return sorted(_EXECUTORS)


def run_jobs(
    fn: Callable[[Job], Any], jobs: Sequence[Job], *, executor: str = "local", workers: int = 2
) -> Iterator[tuple[Job, Any]]:
    """Run ``fn`` on every job, yielding ``(job, result or exception)`` as they finish."""
    if executor not in _EXECUTORS:
        raise ValueError(f"Unknown executor {executor!r}; valid executors: {list_executors()}.")
    if workers < 1:
        raise ValueError(f"The 'workers' parameter of run_jobs must be >= 1. Got {workers}.")
    if not jobs:
        return iter(())
    return _EXECUTORS[executor](fn, jobs, workers)


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"


def _call(fn: Callable[[Any], Any], job: Any) -> Any:
    try:
        return fn(job)
    except Exception as exc:  # noqa: BLE001 - reported per job by the driver
        return exc


@_register("local")
def _local(fn, jobs, workers) -> Iterator[tuple[Any, Any]]:
    if workers == 1:
        _one_thread()
        for job in jobs:
            yield job, _call(fn, job)
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_one_thread)
    try:
        pending = {pool.submit(_call, fn, job): job for job in jobs}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@_register("ray")
def _ray(fn, jobs, workers) -> Iterator[tuple[Any, Any]]:
    try:
        import ray
    except ImportError as exc:
        raise RuntimeError(
            "The ray executor needs Ray: pip install 'sparsescope[ray]' (or pip install ray)."
        ) from exc
    started_here = not ray.is_initialized()
    if started_here:
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)

    @ray.remote(num_cpus=1)
    def remote_call(job):
        _one_thread()
        return _call(fn, job)

    try:
        pending = {remote_call.remote(job): job for job in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        for ref in list(locals().get("pending", {})):
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()
