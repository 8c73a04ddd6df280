"""Descriptive tables of a log, on the hand-built log with exact values."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis import describe
from analysis.validate import DataValidationError


def test_log_overview(small_log):
    o = describe.log_overview(small_log)
    assert o["customers"] == 3
    assert o["transactions"] == 7
    assert o["purchase days (customer x day)"] == 6
    assert o["first date"] == "2020-01-01" and o["last date"] == "2020-01-29"
    assert o["span (days)"] == 29
    assert o["revenue"] == 125.0
    assert o["share of customers who return"] == pytest.approx(2 / 3, abs=1e-4)


def test_purchases_per_customer_caps_the_tail(small_log):
    t = describe.purchases_per_customer(small_log, cap=2)
    assert t.index.tolist() == ["1", "2+"]
    assert t["customers"].tolist() == [1, 2]
    assert t["share"].sum() == pytest.approx(1.0)


def test_spend_summary(small_log):
    t = describe.spend_summary(small_log)
    assert t.loc["mean", "per transaction"] == pytest.approx(125 / 7, abs=0.005)
    assert t.loc["max", "per customer"] == 100.0
    assert t.loc["min", "per customer"] == 5.0


def test_repeat_transactions_weekly(small_log):
    t = describe.repeat_transactions(small_log, freq="W")
    assert t["first"].sum() == 3
    assert t["repeat"].sum() == 3
    assert t["cumulative_repeat"].iloc[-1] == 3
    assert t.index.is_monotonic_increasing
    # no gaps: consecutive weeks
    assert (pd.Series(t.index).diff().dropna() == pd.Timedelta(days=7)).all()


def test_cohorts(small_log):
    t = describe.cohorts(small_log, freq="M")
    assert t.index.tolist() == ["2020-01"]
    assert t.loc["2020-01", "customers"] == 3
    assert t.loc["2020-01", "returned"] == pytest.approx(0.6667)


def test_empty_log_is_an_error(small_log):
    with pytest.raises(DataValidationError, match="empty"):
        describe.log_overview(small_log.iloc[:0])
