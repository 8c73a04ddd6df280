"""Readings of the data report: every direction word follows the numbers, both ways.

Hand-built logs go through :mod:`analysis.describe` (or hand-built tables of
the same shape) and each claim is checked where it holds and where it does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import describe, readings


def _log(rows):
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).assign(
        date=lambda d: pd.to_datetime(d["date"])
    )


def test_overview_reading_most_are_trials_or_most_return():
    trials = _log([("a", "2020-01-01", 10), ("a", "2020-02-01", 10), ("b", "2020-01-02", 5),
                   ("c", "2020-01-03", 5)])  # fmt: skip
    text = readings.overview_reading(describe.log_overview(trials))
    assert "transactions" not in text  # the scale is the overview table's, not restated
    assert "33% of the customers come back" in text and "67% never do" in text
    assert "most are trial buyers" in text
    returners = _log([("a", "2020-01-01", 10), ("a", "2020-02-01", 10), ("b", "2020-01-02", 5),
                      ("b", "2020-03-02", 5), ("c", "2020-01-03", 5)])  # fmt: skip
    text = readings.overview_reading(describe.log_overview(returners))
    assert "most customers go beyond a trial" in text and "trial buyers" not in text
    even = _log([("a", "2020-01-01", 1), ("a", "2020-01-05", 1), ("b", "2020-01-02", 1)])
    overview = describe.log_overview(even)
    overview["share of customers who return"] = 0.5
    assert "splits evenly" in readings.overview_reading(overview)


def _per_customer(shares):
    index = [str(i) for i in range(1, len(shares))] + [f"{len(shares)}+"]
    return pd.DataFrame(
        {"customers": np.round(np.array(shares) * 100), "share": shares}, index=index
    )


def test_frequency_reading_falling_or_not():
    text = readings.frequency_reading(_per_customer([0.5, 0.3, 0.15, 0.05]))
    assert "50% of the customers bought on one day only and 5.0% on 4+ days" in text
    assert "falls with every extra purchase day up to 3" in text
    text = readings.frequency_reading(_per_customer([0.2, 0.1, 0.15, 0.55]))
    assert "does not fall steadily from one purchase day to 3 (the largest bin is 4+)" in text


def _spend(tx, cust):
    index = ["mean", "min", "10%", "25%", "50%", "75%", "90%", "99%", "max"]
    return pd.DataFrame({"per transaction": tx, "per customer": cust}, index=index)


def test_spend_reading_skew_and_the_wider_spread_both_ways():
    skewed = _spend(
        [30, 1, 10, 15, 20, 35, 60, 100, 200], [100, 1, 10, 20, 40, 100, 300, 900, 2000]
    )
    text = readings.spend_distribution_reading(skewed)
    assert "Per transaction the mean is 1.50 times the median (skewed to the right)" in text
    assert "per customer the mean is 2.50 times the median (skewed to the right)" in text
    assert "6.0 times the 10% quantile per transaction and 30.0 per customer" in text
    assert "spread wider than the order" in text
    flat = _spend([20, 1, 10, 15, 20, 25, 60, 80, 90], [21, 1, 10, 15, 20, 25, 30, 40, 50])
    text = readings.spend_distribution_reading(flat)
    assert text.count("roughly symmetric") == 2 and "skewed" not in text
    assert "spread no wider than the order" in text
    zero = _spend([20, 0, 0, 15, 20, 25, 60, 80, 90], [21, 0, 0, 15, 20, 25, 30, 40, 50])
    assert "unbounded" in readings.spend_distribution_reading(zero)


def _weekly(first, repeat):
    index = pd.date_range("2020-01-06", periods=len(first), freq="W-MON")
    table = pd.DataFrame({"first": first, "repeat": repeat}, index=index)
    return table.assign(cumulative_repeat=table["repeat"].cumsum())


def test_weekly_reading_closed_cohort_falls_rises_or_stays():
    falling = readings.weekly_reading(
        _weekly([5, 5] + [0] * 10, [0, 2] + [100] * 3 + [60] * 3 + [50] * 3 + [1])
    )
    assert "All first purchases fall in the 2 weeks from the week of 2020-01-06" in falling
    assert "Weekly repeat purchases fall: 100 a week" in falling and "50 in the last 3" in falling
    assert "built into the base" in falling
    rising = readings.weekly_reading(
        _weekly([5, 5] + [0] * 10, [0, 2] + [50] * 3 + [60] * 3 + [100] * 3 + [1])
    )
    assert "Weekly repeat purchases rise" in rising and "built into" not in rising
    level = readings.weekly_reading(
        _weekly([5, 5] + [0] * 10, [0, 2] + [100] * 3 + [60] * 3 + [95] * 3 + [1])
    )
    assert "stay about level" in level


def test_weekly_reading_open_acquisition():
    text = readings.weekly_reading(_weekly([5] * 10, [10] * 10))
    assert "New customers arrive from the week of 2020-01-06" in text
    assert "stay about level" in text and "of the log" in text


def _cohorts(returned):
    n = len(returned)
    index = [f"2020-0{i + 1}" for i in range(n)]
    return pd.DataFrame(
        {"customers": [100 + 10 * i for i in range(n)], "returned": returned,
         "revenue_per_customer": [50.0 + i for i in range(n)]}, index=index)  # fmt: skip


def test_cohort_reading_similar_or_different():
    text = readings.cohort_reading(_cohorts([0.48, 0.50, 0.49]))
    assert "3 cohorts of 100 to 120 customers; between 48% and 50%" in text
    assert "similar (within 2.0 points)" in text
    text = readings.cohort_reading(_cohorts([0.60, 0.50, 0.40]))
    assert "differ by 20.0 points (lowest: 2020-03)" in text and "similar" not in text
    assert "One cohort (2020-01): 100 customers, 60%" in readings.cohort_reading(_cohorts([0.6]))


def test_model_inputs_reading_with_and_without_holdout():
    counts = pd.Series({
        "customers in the calibration summary": 100, "repeat purchases in calibration": 250,
        "customers with no repeat purchase": 40, "repeat buyers (for the spend model)": 60,
        "purchases in the holdout": 90,
    })  # fmt: skip
    text = readings.model_inputs_reading(counts)
    assert "40% of the customers have no repeat purchase in calibration" in text
    assert "the repeat buyers feed the spend model, the holdout purchases check the fits" in text
    text = readings.model_inputs_reading(counts.drop("purchases in the holdout"))
    assert "holdout" not in text
    assert "holdout" not in readings.model_inputs_reading(counts.replace({90: None}))
    assert "CDNOW" not in text


def test_model_inputs_counts_the_summary():
    summary = pd.DataFrame({"frequency": [0, 2, 3, 0], "frequency_holdout": [1, 0, 4, 0]})
    counts = describe.model_inputs(summary)
    assert counts.tolist() == [4, 5, 2, 2, 5]
    assert pd.isna(describe.model_inputs(summary.drop(columns="frequency_holdout")).iloc[-1])
