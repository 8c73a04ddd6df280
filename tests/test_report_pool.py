"""The report runner's pool: queue order, follow-up jobs, and what a failure stops."""

from __future__ import annotations

import threading
import time

import pytest

from analysis.report.pool import Job, run_jobs


def test_jobs_start_in_queue_order_and_followers_join_the_queue():
    started, lock = [], threading.Lock()

    def work(key, seconds=0.0):
        def run():
            with lock:
                started.append(key)
            time.sleep(seconds)
            return key.upper()

        return run

    def followers(result):
        assert result == "TABLE"  # the producer's result, once it succeeded
        return [Job(f"seg{i}", work(f"seg{i}")) for i in (1, 2)]

    jobs = [
        Job("table", work("table", 0.05), followers),
        Job("a", work("a", 0.2)),
        Job("b", work("b")),
    ]
    results = run_jobs(jobs, workers=2)
    assert started[:2] == ["table", "a"]  # two at a time, in queue order
    assert started.index("b") < started.index("seg1") < started.index("seg2")  # queued behind b
    assert list(results) == ["table", "a", "b", "seg1", "seg2"]
    assert results["seg2"] == "SEG2"


def test_one_worker_runs_one_job_at_a_time():
    running, most, lock = [0], [0], threading.Lock()

    def run():
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    run_jobs([Job(str(i), run) for i in range(4)], workers=1)
    assert most[0] == 1


def test_after_a_failure_no_job_starts_and_the_first_queued_failure_is_raised():
    started = []

    def slow_failure():
        started.append("first")
        time.sleep(0.2)
        raise ValueError("first in the queue")

    def quick_failure():
        started.append("second")
        raise KeyError("second")

    def never():
        started.append("third")

    jobs = [Job("1", slow_failure), Job("2", quick_failure), Job("3", never)]
    with pytest.raises(ValueError, match="first in the queue"):
        run_jobs(jobs, workers=2)
    assert sorted(started) == ["first", "second"]  # the running one finished, none started


def test_a_follow_up_that_cannot_be_planned_is_the_producer_s_failure():
    def plan(_result):
        raise RuntimeError("no customer table")

    with pytest.raises(RuntimeError, match="no customer table"):
        run_jobs([Job("table", lambda: 1, plan)], workers=2)
    with pytest.raises(ValueError, match="two jobs are named 'a'"):
        run_jobs([Job("a", lambda: 1), Job("a", lambda: 2)])
