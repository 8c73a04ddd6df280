"""Tables of the CLV report (analysis.clv_report) and the cohort tracking table (models.validation.tracking_table).

Exact expected frames on hand-built inputs; the published CDNOW results for the real data.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from analysis import clv_report as cr
from analysis.clv import DAYS_PER_YEAR
from analysis.models import BetaGeo, holdout_errors
from analysis.models.validation import tracking_table
from analysis.validate import DataValidationError


class PerPurchase:
    """A fake model: expected holdout purchases = slope * (frequency + 1) * duration; new customer: slope * t."""

    def __init__(self, slope=0.1):
        self.slope = slope

    def expected_purchases(self, t, data=None):
        if data is None:
            return self.slope * np.asarray(t, dtype=float)
        return pd.Series(self.slope * (data["frequency"] + 1) * t, index=data.index)


@pytest.fixture
def summary():
    return pd.DataFrame(
        {
            "frequency": [0, 0, 1, 3, 7, 9],
            "frequency_holdout": [0, 1, 1, 2, 5, 3],
            "duration_holdout": 10.0,
        },
        index=pd.Index(list("abcdef"), name="customer_id"),
    )


# ----- published comparison and fit table -------------------------------------------------------
def _fake_model(params, se, loglik, n=100):
    params = pd.Series(params, dtype=float)
    k = len(params)
    return SimpleNamespace(
        params=params, standard_errors=pd.Series(se, index=params.index, dtype=float), loglik=loglik,
        n_customers=n, aic=2 * k - 2 * loglik, bic=k * np.log(n) - 2 * loglik,
    )


def test_compare_published_puts_estimates_next_to_published_values():
    models = {
        "m1": _fake_model({"r": 1.0, "alpha": 2.0}, [0.1, 0.2], -10.0),
        "m2": _fake_model({"s": 3.0}, [0.3], -20.0),
    }
    table = cr.compare_published(models, {"m1": {"r": 0.8, "loglik": -12.5}})
    expected = pd.DataFrame(
        {
            "estimate": [1.0, 2.0, -10.0, 3.0, -20.0],
            "std_error": [0.1, 0.2, np.nan, 0.3, np.nan],
            "published": [0.8, np.nan, -12.5, np.nan, np.nan],
            "difference_pct": [25.0, np.nan, 20.0, np.nan, np.nan],
        },
        index=pd.MultiIndex.from_tuples(
            [("m1", "r"), ("m1", "alpha"), ("m1", "loglik"), ("m2", "s"), ("m2", "loglik")],
            names=["model", "parameter"],
        ),
    )
    pd.testing.assert_frame_equal(table, expected)
    # without published values every comparison is missing
    assert cr.compare_published(models)["published"].isna().all()


def test_fit_table():
    table = cr.fit_table({"m1": _fake_model({"r": 1.0, "alpha": 2.0}, [0.1, 0.2], -10.0, n=50)})
    expected = pd.DataFrame(
        {"customers": [50], "parameters": [2], "loglik": [-10.0], "aic": [24.0], "bic": [2 * np.log(50) + 20.0]},
        index=pd.Index(["m1"], name="model"),
    )
    pd.testing.assert_frame_equal(table, expected)
    with pytest.raises(TypeError, match="mapping"):
        cr.fit_table([1, 2])


def test_published_cdnow_values_are_the_papers():
    assert cr.PUBLISHED_CDNOW["BG/NBD"] == {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426, "loglik": -9582.4}
    assert cr.PUBLISHED_CDNOW["Gamma-Gamma"] == {"p": 6.25, "q": 3.74, "gamma": 15.44}


# ----- holdout tables --------------------------------------------------------------------------
def test_holdout_comparison_has_one_prediction_column_per_model(summary):
    table = cr.holdout_comparison({"slow": PerPurchase(0.1), "fast": PerPurchase(0.2)}, summary, max_frequency=3)
    expected = pd.DataFrame(
        {
            "customers": np.array([2, 1, 3], dtype=np.int64),
            "actual": [0.5, 1.0, 10 / 3],
            "slow": [1.0, 2.0, 22 / 3],
            "fast": [2.0, 4.0, 44 / 3],
        },
        index=pd.Index(["0", "1", "3+"], name="frequency"),
    )
    pd.testing.assert_frame_equal(table, expected)


def test_holdout_error_table_stacks_the_errors(summary):
    table = cr.holdout_error_table({"slow": PerPurchase(0.1), "fast": PerPurchase(0.2)}, summary)
    assert list(table.index) == ["slow", "fast"] and table.index.name == "model"
    pd.testing.assert_series_equal(table.loc["fast"], holdout_errors(PerPurchase(0.2), summary), check_names=False)


def test_value_errors():
    actual = pd.Series([0.0, 10.0, 30.0], index=[1, 2, 3])
    predicted = pd.DataFrame({"a": [5.0, 10.0, 25.0], "b": [0.0, 20.0, 40.0]}, index=[1, 2, 3])
    table = cr.value_errors(predicted, actual)
    expected = pd.DataFrame(
        {
            "total_predicted": [40.0, 60.0],
            "total_actual": [40.0, 40.0],
            "total_relative_error": [0.0, 0.5],
            "mae": [10 / 3, 20 / 3],
            "spearman": [1.0, 1.0],
        },
        index=pd.Index(["a", "b"], name="method"),
    )
    pd.testing.assert_frame_equal(table, expected)
    with pytest.raises(DataValidationError, match="no actual value"):
        cr.value_errors(predicted, actual.iloc[:2])


# ----- concentration and summaries ----------------------------------------------------------------
def test_concentration_curve():
    curve = cr.concentration(pd.Series([1.0, 3.0, 0.0, 4.0]))
    expected = pd.DataFrame(
        {"share_of_customers": [0.0, 0.25, 0.5, 0.75, 1.0], "share_of_value": [0.0, 0.5, 0.875, 1.0, 1.0]}
    )
    pd.testing.assert_frame_equal(curve, expected)
    with pytest.raises(ValueError, match="sum to 0"):
        cr.concentration(pd.Series([0.0, 0.0]))


def test_method_summary():
    values = pd.DataFrame({"a": np.arange(1.0, 11.0), "b": np.full(10, 2.0)})
    table = cr.method_summary(values)
    expected = pd.DataFrame(
        {
            "customers": [10, 10],
            "total": [55.0, 20.0],
            "mean": [5.5, 2.0],
            "median": [5.5, 2.0],
            "top_10%": [10 / 55, 0.1],
            "top_20%": [19 / 55, 0.2],
        },
        index=pd.Index(["a", "b"], name="method"),
    )
    pd.testing.assert_frame_equal(table, expected)


def test_mean_by_frequency_recency():
    summary = pd.DataFrame(
        {"frequency": [0, 1, 1, 5], "recency": [0.0, 1.0, 4.0, 3.5], "T": [4.0, 4.0, 4.0, 4.0]},
        index=[10, 11, 12, 13],
    )
    values = pd.Series([1.0, 2.0, 4.0, 8.0], index=[13, 12, 11, 10])  # any order: aligned by customer
    grid = cr.mean_by_frequency_recency(summary, values, max_frequency=2, recency_bins=2)
    expected = pd.DataFrame(
        {"0-2": [8.0, 4.0, np.nan], "2-4": [np.nan, 2.0, 1.0]},
        index=pd.CategoricalIndex(["0", "1", "2+"], categories=["0", "1", "2+"], ordered=True, name="frequency"),
    )
    expected.columns = pd.Index(["0-2", "2-4"], name="recency")
    pd.testing.assert_frame_equal(grid, expected)


# ----- the seeds' simpler methods ---------------------------------------------------------------
def test_yearly_spend_rate_counts_repeat_spend_per_year():
    one_year = DAYS_PER_YEAR / 7  # weeks
    summary = pd.DataFrame(
        {"frequency": [2, 0, 1], "monetary_value": [10.0, 0.0, 30.0], "T": [one_year, one_year, 0.0]},
        index=["a", "b", "c"],
    )
    rate = cr.yearly_spend_rate(summary, "W")
    pd.testing.assert_series_equal(rate, pd.Series([20.0, 0.0, 0.0], index=["a", "b", "c"], name="yearly_spend"))
    monthly = summary.assign(T=summary["T"] / one_year * 6)  # half a year in months
    assert cr.yearly_spend_rate(monthly, "M")["a"] == pytest.approx(40.0)


def test_holdout_retention():
    half_year = DAYS_PER_YEAR / 7 / 2
    summary = pd.DataFrame({"frequency_holdout": [0, 2, 0, 0], "duration_holdout": half_year})
    got = cr.holdout_retention(summary, "W")
    pd.testing.assert_series_equal(
        got,
        pd.Series({"customers": 4.0, "active_in_holdout": 0.25, "holdout_years": 0.5, "yearly_retention": 0.0625},
                  name="retention"),
    )
    with pytest.raises(DataValidationError, match="calibration_end"):
        cr.holdout_retention(summary.drop(columns=["duration_holdout"]))


def test_retention_value_is_the_finite_sum():
    assert cr.retention_value(100.0, 0.5, 0.0, 2) == pytest.approx(75.0)
    assert cr.retention_value(100.0, 0.5, 0.1, 2) == pytest.approx(100 * (0.5 / 1.1 + 0.25 / 1.21))
    # a long horizon tends to the seeds' perpetuity m rho / (1 + d - rho)
    assert cr.retention_value(100.0, 0.5, 0.1, 500) == pytest.approx(100 * 0.5 / 0.6)
    got = cr.retention_value(pd.Series([100.0, 0.0], index=["a", "b"]), 0.5, 0.0, 2)
    pd.testing.assert_series_equal(got, pd.Series([75.0, 0.0], index=["a", "b"], name="clv"))


@pytest.fixture
def monthly_log():
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c"],
            "date": pd.to_datetime(["2020-01-05", "2020-03-02", "2020-03-20", "2020-02-10", "2020-05-01"]),
            "amount": [50.0, 10.0, 30.0, 20.0, 99.0],  # c buys after the observation end: ignored
        }
    )


def test_recency_states(monthly_log):
    states = cr.recency_states(monthly_log, "M", observation_end="2020-04-30", max_recency=5)
    labels = ["0", "1", "2+"]  # 4 months observed: the cap is lowered to 4 - 2
    expected = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b", "b"],
            "period": pd.PeriodIndex(["2020-01", "2020-02", "2020-03", "2020-04", "2020-02", "2020-03", "2020-04"],
                                     freq="M"),
            "state": pd.Categorical(["0", "1", "0", "1", "0", "1", "2+"], categories=labels, ordered=True),
            "spend": [50.0, 0.0, 40.0, 0.0, 20.0, 0.0, 0.0],
            "acquisition": [True, False, False, False, True, False, False],
        }
    )
    pd.testing.assert_frame_equal(states, expected)
    with pytest.raises(DataValidationError, match="amount"):
        cr.recency_states(monthly_log.drop(columns=["amount"]))


def test_recency_chain_and_markov_clv(monthly_log):
    states = cr.recency_states(monthly_log, "M", observation_end="2020-04-30", max_recency=5)
    P, R = cr.recency_chain(states, margin=0.5)
    labels = pd.Index(["0", "1", "2+"])
    # from 0: always to 1; from 1: half back to 0, half to 2+; 2+ is never left in the data: absorbing
    expected_P = pd.DataFrame([[0, 1, 0], [0.5, 0, 0.5], [0, 0, 1]], index=labels.rename("state"),
                              columns=labels, dtype=float)
    pd.testing.assert_frame_equal(P, expected_P)
    # reward: margin x mean spend of non-acquisition months in the state (a's March: 40)
    pd.testing.assert_series_equal(R, pd.Series([20.0, 0.0, 0.0], index=labels.rename("state"), name="reward"))
    # three months ahead, undiscounted: from state 1, P R = [0, 10, 0], P^2 R = [10, 0, 0], P^3 R = [0, 5, 0]
    values = cr.markov_customer_clv(states, P, R, annual_discount_rate=0.0, horizon_years=0.25, period="M")
    expected = pd.Series([15.0, 0.0], index=pd.Index(["a", "b"], name="customer_id"), name="clv")
    pd.testing.assert_series_equal(values, expected)
    # discounting lowers the value
    assert cr.markov_customer_clv(states, P, R, 0.10, 0.25, "M")["a"] < 15.0


# ----- tracking table (analysis.models.validation) ---------------------------------------------------
@pytest.fixture
def daily_log():
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b", "c", "c"],
            "date": pd.to_datetime(["2020-01-01", "2020-01-03", "2020-01-03", "2020-01-06",
                                    "2020-01-02", "2020-01-05",
                                    "2020-01-05", "2020-01-06"]),  # c starts after calibration: not in the cohort
        }
    )


def test_tracking_table_exact(daily_log):
    table = tracking_table({"slow": PerPurchase(0.1)}, daily_log, "2020-01-04", "2020-01-06", time_unit="D")
    expected = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-04", "2020-01-05", "2020-01-06"]),
            "time": [1.0, 2.0, 3.0, 4.0, 5.0],
            "calibration": [True, True, True, False, False],
            "actual": np.array([0, 1, 1, 2, 3], dtype=np.int64),
            # a starts at day 0, b at day 1: 0.1 t + 0.1 (t - 1)+
            "slow": [0.1, 0.3, 0.5, 0.7, 0.9],
        },
        index=pd.RangeIndex(1, 6, name="period"),
    )
    pd.testing.assert_frame_equal(table, expected)
    single = tracking_table(PerPurchase(0.1), daily_log, "2020-01-04", "2020-01-06", time_unit="D")
    assert list(single.columns) == ["date", "time", "calibration", "actual", "predicted"]
    with pytest.raises(DataValidationError, match="calibration end"):
        tracking_table(PerPurchase(), daily_log, "2019-12-01", time_unit="D")


def test_tracking_table_on_cdnow_matches_the_summary(cdnow_sample, cdnow_sample_summary):
    bg = BetaGeo.from_params(cr.PUBLISHED_CDNOW["BG/NBD"])
    table = tracking_table(bg, cdnow_sample, "1997-09-30", "1998-06-30", time_unit="W")
    assert len(table) == 78 and table["calibration"].sum() == 39
    # a period ends at the calibration end: the count there is the calibration repeat purchases
    assert table.loc[table["calibration"], "actual"].iloc[-1] == cdnow_sample_summary["frequency"].sum() == 2457
    total = cdnow_sample_summary["frequency"].sum() + cdnow_sample_summary["frequency_holdout"].sum()
    assert table["actual"].iloc[-1] == total == 4339
    # the published BG/NBD forecast of the cumulative repeat purchases at week 78 is a few percent low
    assert table["predicted"].iloc[-1] == pytest.approx(4160, rel=0.01)
    assert table["predicted"].is_monotonic_increasing
