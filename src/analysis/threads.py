"""Large array work split across the machine's cores, with results that do not depend on it.

numpy releases the GIL inside its array loops (arithmetic, ``take``,
``partition``, the ufuncs), so independent blocks of a large computation run
in two threads overlap on two cores. Every block writes only its own slice
of arrays allocated before the work starts, and a block's values are
computed exactly as they would be alone, so the output is the same bit for
bit whatever the number of threads or the order in which they run.

The number of threads is :func:`workers`: the machine's cores, at most
:data:`MAX_WORKERS`, or the environment variable ``ANALYSIS_THREADS``
(``ANALYSIS_THREADS=1`` runs everything in the calling thread).
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

__all__ = ["MAX_WORKERS", "each_block", "executor", "one_blas_thread", "release_freed_memory"]
__all__ += ["workers"]

#: threads used at most (each holds its own block's temporaries in memory)
MAX_WORKERS: int = 4


def workers() -> int:
    """Threads to use: ``ANALYSIS_THREADS`` when set (>= 1), else the cores, at most :data:`MAX_WORKERS`."""
    text = os.environ.get("ANALYSIS_THREADS", "").strip()
    if text:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(
                f"ANALYSIS_THREADS must be a whole number of threads >= 1, got {text!r}"
            ) from None
        if value < 1:
            raise ValueError(
                f"ANALYSIS_THREADS must be a whole number of threads >= 1, got {value}"
            )
        return value
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, cores or 1))


def each_block(
    work: Callable[[slice], None], n: int, size: int, threads: int | None = None
) -> None:
    """Call ``work(slice)`` on each block of ``size`` of ``range(n)``, the blocks spread over threads.

    ``work`` must write its results only into its own slice of arrays that
    exist before the call (nothing it returns is kept). An exception in any
    block is raised here once the running blocks have finished. ``threads``
    caps the threads (by default :func:`workers`); 1 runs the blocks in
    order in the calling thread.
    """
    if int(size) < 1:
        raise ValueError(f"size must be a whole number >= 1, got {size!r}")
    blocks = [slice(lo, min(lo + int(size), n)) for lo in range(0, n, int(size))]
    threads = min(workers() if threads is None else int(threads), len(blocks))
    if threads <= 1:
        for sl in blocks:
            work(sl)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="analysis") as pool:
        for job in [pool.submit(work, sl) for sl in blocks]:
            job.result()


class _InOrder:
    """An executor that runs each call at once in the calling thread (``ANALYSIS_THREADS=1``)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, /, *args, **kwargs) -> Future:
        job = Future()
        try:
            job.set_result(fn(*args, **kwargs))
        except Exception as err:  # raised by job.result(), as a thread's would be
            job.set_exception(err)
        return job


def executor(max_workers: int):
    """A pool of up to ``max_workers`` threads for independent calls (``with executor(2) as pool``).

    With :func:`workers` at 1 (``ANALYSIS_THREADS=1``), the calls run at once
    in the calling thread, in the order submitted.
    """
    if workers() <= 1:
        return _InOrder()
    return ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="analysis")


@contextmanager
def one_blas_thread():
    """Within the block, BLAS (numpy's matrix products) uses one thread.

    The package's matrix products are small (rows x a handful of
    parameters); OpenBLAS's own threads then mostly wait and spin, which on
    a two-core machine takes the core another block of work could use. A
    no-op when ``threadpoolctl`` is not installed.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency; be lenient anyway
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def release_freed_memory() -> None:
    """Give the memory that worker threads freed back to the system (glibc's ``malloc_trim``).

    glibc keeps what a thread frees in that thread's own arena, resident: after
    the threaded work of the customer table or the hindsight stages at a
    million customers, 200-300 MiB that the next large arrays would sit on
    top of. A no-op without glibc.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # pragma: no cover - not glibc
        pass
