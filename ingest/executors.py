"""Where study jobs run: a local process pool (default) or a Ray cluster.

Both executors take a picklable top-level function and a list of jobs and yield
``(job, result)`` pairs as jobs finish, in completion order; a job that raised yields its
exception as the result, so one bad network does not stop a study. Every worker uses one torch
thread: two workers on two cores beat two workers fighting over four threads.

Results travel back through the executor (pickled by the process pool, through the object
store on Ray), so a job never needs the driver's disk: that is what lets Ray run jobs on other
machines. Local workers die with their driver: on Linux the kernel kills them when it dies
(``PR_SET_PDEATHSIG``), and everywhere a watchdog thread ends a worker whose parent is gone. A
worker that dies (OOM, ``kill``) breaks the pool; its unfinished jobs run again on a fresh pool
(at most :data:`POOL_RESTARTS` times per run, then they are reported as failed).
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["POOL_RESTARTS", "WorkerLostError", "list_executors", "run_jobs"]

POOL_RESTARTS = 3  # fresh pools per run after a worker died; then the lost jobs fail
_PARENT_POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class WorkerLostError(RuntimeError):
    """A job's worker process died (killed, out of memory) more often than the pool restarts."""


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
    """One BLAS/OpenMP thread; torch reads the variables when a job first imports it."""
    for variable in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[variable] = "1"
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


def _init_worker(parent: int) -> None:
    """Pool initializer: one thread, and never outlive the driver process ``parent``."""
    _one_thread()
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent:  # the driver died before the line above
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)  # re-parented: the driver is gone, and so is anyone to report to


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
    remaining, restarts = list(jobs), 0
    while remaining:
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker,
            initargs=(os.getpid(),),
        )  # fmt: skip
        lost = []
        try:
            pending = {pool.submit(_call, fn, job): job for job in remaining}
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    job = pending.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        lost.append(job)
                        continue
                    yield job, result
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if lost and restarts == POOL_RESTARTS:
            for job in lost:
                yield (
                    job,
                    WorkerLostError(
                        f"The worker running this job died {POOL_RESTARTS + 1} times (killed or "
                        "out of memory); it is retried on the next run."
                    ),
                )
            return
        remaining, restarts = lost, restarts + 1


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
