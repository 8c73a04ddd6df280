"""Work spread over threads gives the same values as one thread, and leaves no state behind."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import threads
from analysis.clv.choice import choose_count_model
from analysis.clv.intervals import customer_intervals
from analysis.customers import customer_table
from analysis.models import BetaGeo, GammaGamma, ParetoNBD
from analysis.models.uncertainty import ParetoNBDDraws, parameter_draws


def test_workers_reads_the_environment(monkeypatch):
    monkeypatch.setenv("ANALYSIS_THREADS", "3")
    assert threads.workers() == 3
    monkeypatch.delenv("ANALYSIS_THREADS")
    assert 1 <= threads.workers() <= threads.MAX_WORKERS
    for bad in ("0", "two", "-1"):
        monkeypatch.setenv("ANALYSIS_THREADS", bad)
        with pytest.raises(ValueError, match="ANALYSIS_THREADS"):
            threads.workers()


@pytest.mark.parametrize("n_threads", ["1", "2", "4"])
def test_each_block_fills_every_slice_once(monkeypatch, n_threads):
    monkeypatch.setenv("ANALYSIS_THREADS", n_threads)
    values = np.random.default_rng(0).normal(size=(1_003, 50))
    out = np.zeros(len(values))
    calls = np.zeros(len(values), dtype=int)

    def work(sl):
        out[sl] = np.sort(values[sl], axis=1)[:, 7]
        calls[sl] += 1

    threads.each_block(work, len(values), 100)
    np.testing.assert_array_equal(out, np.sort(values, axis=1)[:, 7])
    assert (calls == 1).all()


def test_each_block_raises_the_error_of_a_block(monkeypatch):
    monkeypatch.setenv("ANALYSIS_THREADS", "2")

    def work(sl):
        if sl.start == 30:
            raise KeyError("block 30")

    with pytest.raises(KeyError, match="block 30"):
        threads.each_block(work, 100, 10)
    with pytest.raises(ValueError, match="size"):
        threads.each_block(work, 100, 0)


def _in_threads(monkeypatch, n: str, fn):
    monkeypatch.setenv("ANALYSIS_THREADS", n)
    return fn()


def test_intervals_are_the_same_in_one_thread_and_in_two(monkeypatch, cdnow_sample_summary):
    summary = cdnow_sample_summary
    model = ParetoNBD().fit(summary)
    buyers = summary[summary["frequency"] > 0]
    gg = GammaGamma().fit(buyers)
    spend = gg.expected_spend(summary)

    def run():
        return customer_intervals(model, spend, summary, spend_model=gg, n_draws=60, seed=4)

    one = _in_threads(monkeypatch, "1", run)
    two = _in_threads(monkeypatch, "2", run)
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_pareto_draws_are_the_same_in_one_thread_and_in_two(monkeypatch, cdnow_sample_summary):
    s = cdnow_sample_summary
    params = parameter_draws(ParetoNBD().fit(s), 60, seed=2).to_numpy()
    x, tx, t = (s[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    one = _in_threads(monkeypatch, "1", lambda: ParetoNBDDraws(params, x, tx, t).p_alive())
    two = _in_threads(monkeypatch, "2", lambda: ParetoNBDDraws(params, x, tx, t).p_alive())
    np.testing.assert_array_equal(one, two)


def test_the_model_choice_fits_together_as_alone(monkeypatch, cdnow_sample_summary):
    """The six fits of the choice, run together, give each fit's own result."""
    summary = cdnow_sample_summary
    one = _in_threads(monkeypatch, "1", lambda: choose_count_model(summary))
    two = _in_threads(monkeypatch, "2", lambda: choose_count_model(summary))
    assert one.name == two.name
    pd.testing.assert_frame_equal(one.table, two.table, check_exact=True)
    alone = BetaGeo().fit(summary)
    np.testing.assert_array_equal(
        two.table.loc["BG/NBD", "log_likelihood"], np.float64(alone.loglik)
    )


def test_the_customer_table_leaves_the_warning_filters_as_they_were(monkeypatch):
    from analysis.data import load_cdnow

    log = load_cdnow(sample=True)
    monkeypatch.setenv("ANALYSIS_THREADS", "2")
    before = list(warnings.filters)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        inside = list(warnings.filters)
        table = customer_table(log, interval=None)
        assert list(warnings.filters) == inside
    assert list(warnings.filters) == before
    monkeypatch.setenv("ANALYSIS_THREADS", "1")
    pd.testing.assert_frame_equal(table, customer_table(log, interval=None), check_exact=True)


def test_release_freed_memory_keeps_the_arrays_in_use():
    kept = np.arange(1_000_000, dtype=float)
    threads.each_block(lambda sl: np.sqrt(kept[sl]).sum(), len(kept), 100_000)
    threads.release_freed_memory()
    assert kept[-1] == 999_999.0 and kept.sum() == 999_999 * 1_000_000 / 2


def test_executor_runs_in_the_calling_thread_with_one_worker(monkeypatch):
    import threading

    monkeypatch.setenv("ANALYSIS_THREADS", "1")
    seen = []
    with threads.executor(2) as pool:
        first = pool.submit(lambda: seen.append(threading.current_thread()) or 1)
        assert seen == [threading.current_thread()]  # ran at submit
        failed = pool.submit(lambda: 1 / 0)
    assert first.result() == 1
    with pytest.raises(ZeroDivisionError):
        failed.result()
    monkeypatch.setenv("ANALYSIS_THREADS", "2")
    with threads.executor(2) as pool:
        other = pool.submit(threading.current_thread).result()
    assert other is not threading.current_thread()


def test_each_block_keeps_to_the_threads_it_is_given(monkeypatch):
    import threading

    monkeypatch.setenv("ANALYSIS_THREADS", "4")
    seen = []
    threads.each_block(lambda sl: seen.append((sl.start, threading.current_thread())), 50, 10, 1)
    assert [start for start, _ in seen] == [0, 10, 20, 30, 40]  # in order, in this thread
    assert {t for _, t in seen} == {threading.current_thread()}
