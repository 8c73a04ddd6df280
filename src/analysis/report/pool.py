"""Running the study's notebooks a few at a time, a notebook's followers queued when it is done.

The segment studies read the customer table that ``04_segments`` writes, and
how many there are depends on that table; so a job may name follow-up jobs
(:attr:`Job.then`), computed from its result once it has succeeded and
queued behind the jobs already waiting. The pool starts jobs in queue order,
at most ``workers`` at a time. At the first failure it starts no further job,
lets those running finish (a kernel is never killed half-way through a
write) and raises the failure of the job queued first, so a run fails on the
same notebook whatever the timing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Job", "run_jobs"]


@dataclass
class Job:
    """One unit of work of the pool.

    Attributes
    ----------
    key : str
        Names the job in the results; unique within a run.
    run : callable
        Does the work, without arguments; its return value is the job's result.
    then : callable, optional
        Called with the result, in the job's thread, once ``run`` succeeded;
        returns the jobs that can start now (queued at the end). An error
        here is the job's failure.
    """

    key: str
    run: Callable[[], Any]
    then: Callable[[Any], Sequence[Job]] | None = field(default=None)

    def _work(self) -> tuple[Any, list[Job]]:
        result = self.run()
        return result, list(self.then(result)) if self.then else []


def run_jobs(jobs: Sequence[Job], workers: int = 1) -> dict[str, Any]:
    """Run ``jobs`` and their follow-ups, at most ``workers`` at a time, in queue order.

    Parameters
    ----------
    jobs : sequence of Job
        The first jobs, in the order they start.
    workers : int
        Jobs running at the same time (threads; each job starts its own kernel).

    Returns
    -------
    dict
        Key to result of every job, follow-ups included, in the order they were queued.

    Raises
    ------
    Exception
        The failure of the first-queued job that failed, once the jobs
        running beside it have ended; no job starts after a failure.
    ValueError
        When two jobs share a key.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    queue = list(jobs)
    order: dict[str, int] = {}

    def enqueue(new: Sequence[Job]) -> None:
        for job in new:
            if job.key in order:
                raise ValueError(f"two jobs are named {job.key!r}; a job's key must be unique")
            order[job.key] = len(order)

    enqueue(queue)
    results: dict[str, Any] = {}
    failures: list[tuple[int, BaseException]] = []
    running: dict[Future, Job] = {}
    with _quiet_kernel_channels(), ThreadPoolExecutor(max_workers=workers) as pool:
        while running or (queue and not failures):
            while queue and not failures and len(running) < workers:
                job = queue.pop(0)
                running[pool.submit(job._work)] = job
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                error = future.exception()
                if error is not None:
                    failures.append((order[job.key], error))
                    continue
                results[job.key], follow = future.result()
                try:
                    enqueue(follow)
                except ValueError as exc:
                    failures.append((order[job.key], exc))
                    continue
                queue.extend(follow)
    if failures:
        raise min(failures, key=lambda failure: failure[0])[1]
    return {key: results[key] for key in sorted(results, key=order.__getitem__)}


#: loggers of the kernel channels: two kernels shut down from two threads can make tornado
#: log "Uncaught exception in ZMQStream callback", noise beside the runner's own message
_KERNEL_CHANNEL_LOGGERS = ("tornado.general", "tornado.application")


@contextmanager
def _quiet_kernel_channels() -> Iterator[None]:
    """Only critical messages from the kernels' channel loggers while the pool runs."""
    loggers = [logging.getLogger(name) for name in _KERNEL_CHANNEL_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
