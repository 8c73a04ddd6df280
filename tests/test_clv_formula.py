"""Tests of analysis.clv.formula: the seeds' annuity and retention CLV and their inputs, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.clv import (
    formula_clv,
    holdout_retention,
    retention_clv,
    retention_value,
    yearly_spend_rate,
)
from analysis.units import DAYS_PER_YEAR
from analysis.validate import DataValidationError


def test_formula_clv_hand_computed():
    # 80 a year for 3 years at 10%: 80/1.1 + 80/1.21 + 80/1.331
    expected = 80 / 1.1 + 80 / 1.21 + 80 / 1.331
    assert formula_clv(100, 20, 0.10, 3) == pytest.approx(expected, rel=1e-12)


def test_formula_clv_zero_rate_is_the_limit():
    assert formula_clv(100, 20, 0.0, 3) == pytest.approx(240.0)
    # continuity: a tiny rate is close to the limit
    assert formula_clv(100, 20, 1e-12, 3) == pytest.approx(240.0, rel=1e-9)


def test_formula_clv_vectorised_and_keeps_series_index():
    profit = pd.Series([100.0, 50.0, 10.0], index=["a", "b", "c"])
    out = formula_clv(profit, 10.0, np.array([0.0, 0.1, 0.2]), 2)
    assert isinstance(out, pd.Series)
    assert list(out.index) == ["a", "b", "c"]
    assert out["a"] == pytest.approx(180.0)
    assert out["b"] == pytest.approx(40 / 1.1 + 40 / 1.21)
    assert out["c"] == pytest.approx(0.0)
    assert formula_clv(10, 30, 0.1, 1) == pytest.approx(-20 / 1.1)  # negative value customers


def test_formula_clv_rejects_bad_input():
    with pytest.raises(ValueError, match="rate"):
        formula_clv(100, 0, -1.0, 3)
    with pytest.raises(ValueError, match="years"):
        formula_clv(100, 0, 0.1, -1)


def test_retention_clv_hand_computed_and_limits():
    assert retention_clv(100, 0.8, 0.1) == pytest.approx(80 / 0.3)
    # equals the geometric sum of retained, discounted margins
    t = np.arange(1, 2000)
    assert retention_clv(100, 0.8, 0.1) == pytest.approx(np.sum(100 * 0.8**t / 1.1**t))
    assert retention_clv(100, 0.0, 0.1) == 0.0
    assert retention_clv(100, 1.0, 0.1) == pytest.approx(1000.0)  # perpetuity m / d
    assert retention_clv(100, 0.5, 0.0) == pytest.approx(100.0)  # m rho / (1 - rho)
    out = retention_clv(pd.Series([1.0, 2.0], index=[7, 8]), 0.5, 0.0)
    assert list(out.index) == [7, 8] and out[8] == pytest.approx(2.0)


def test_retention_clv_errors():
    with pytest.raises(ValueError, match="infinite"):
        retention_clv(100, 1.0, 0.0)
    with pytest.raises(ValueError, match="retention"):
        retention_clv(100, 1.2, 0.1)


def test_yearly_spend_rate_counts_repeat_spend_per_year():
    one_year = DAYS_PER_YEAR / 7  # weeks
    summary = pd.DataFrame(
        {
            "frequency": [2, 0, 1],
            "monetary_value": [10.0, 0.0, 30.0],
            "T": [one_year, one_year, 0.0],
        },
        index=["a", "b", "c"],
    )
    rate = yearly_spend_rate(summary, "W")
    pd.testing.assert_series_equal(
        rate, pd.Series([20.0, 0.0, 0.0], index=["a", "b", "c"], name="yearly_spend")
    )
    monthly = summary.assign(T=summary["T"] / one_year * 6)  # half a year in months
    assert yearly_spend_rate(monthly, "M")["a"] == pytest.approx(40.0)


def test_holdout_retention():
    half_year = DAYS_PER_YEAR / 7 / 2
    summary = pd.DataFrame({"frequency_holdout": [0, 2, 0, 0], "duration_holdout": half_year})
    got = holdout_retention(summary, "W")
    pd.testing.assert_series_equal(
        got,
        pd.Series(
            {
                "customers": 4.0,
                "active_in_holdout": 0.25,
                "holdout_years": 0.5,
                "yearly_retention": 0.0625,
            },
            name="retention",
        ),
    )
    with pytest.raises(DataValidationError, match="calibration_end"):
        holdout_retention(summary.drop(columns=["duration_holdout"]))


def test_retention_value_is_the_finite_sum():
    assert retention_value(100.0, 0.5, 0.0, 2) == pytest.approx(75.0)
    assert retention_value(100.0, 0.5, 0.1, 2) == pytest.approx(100 * (0.5 / 1.1 + 0.25 / 1.21))
    # a long horizon tends to the seeds' perpetuity m rho / (1 + d - rho)
    assert retention_value(100.0, 0.5, 0.1, 500) == pytest.approx(100 * 0.5 / 0.6)
    got = retention_value(pd.Series([100.0, 0.0], index=["a", "b"]), 0.5, 0.0, 2)
    pd.testing.assert_series_equal(got, pd.Series([75.0, 0.0], index=["a", "b"], name="clv"))
