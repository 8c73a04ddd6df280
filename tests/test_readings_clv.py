"""Readings of the CLV report: every verdict word follows the numbers, both ways.

Hand-built tables in the shapes of the report's (holdout comparison and
errors, tracking, method summary, rank correlations, backtest) stand in for
the fitted ones; each claim is checked where it holds and where it does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import readings, tables


def _holdout(actual, a, b, customers=(100, 50, 20)):
    index = pd.Index(["0", "1", "2+"][: len(actual)], name="frequency")
    return pd.DataFrame(
        {"customers": customers[: len(actual)], "actual": actual, "A": a, "B": b}, index=index
    )


def _errors(rel, mae=(0.8, 0.7), corr=(0.6, 0.65), total=1000.0):
    return pd.DataFrame(
        {
            "customers": 170,
            "mae": mae,
            "rmse": 1.0,
            "total_actual": total,
            "total_predicted": [total * (1 + r) for r in rel],
            "total_relative_error": rel,
            "correlation": corr,
        },
        index=pd.Index(["A", "B"], name="model"),
    )


def _tracking(actual_end, a_end, b_end):
    return pd.DataFrame(
        {
            "date": pd.to_datetime(["1997-09-30", "1998-06-30"]),
            "time": [39.0, 78.0],
            "calibration": [True, False],
            "actual": [500, actual_end],
            "A": [490.0, a_end],
            "B": [510.0, b_end],
        },
        index=pd.RangeIndex(1, 3, name="period"),
    )


# ------------------------------------------------------------------ holdout


def test_holdout_reading_rising_shape_low_level_and_the_best_model():
    text = readings.holdout_reading(
        _holdout([0.2, 0.7, 2.0], [0.19, 0.5, 1.9], [0.1, 0.69, 1.95]),
        _errors([-0.12, -0.05]),
        _tracking(1000, 950, 900),
    )
    assert "rise with the number of calibration purchases in every group" in text
    assert "B is closest in 2 of the 3 groups" in text
    assert "without a repeat purchase in calibration (100 customers, 0.20 holdout" in text
    assert "A is closest (A 0.19 and B 0.10)" in text
    assert "All 2 models predict fewer purchases" in text
    assert "5.0% below (B) and 12% below (A)" in text
    # the error per customer and the correlation: the table beside it shows them
    assert "smallest error per customer" not in text and "0.60 to 0.65" not in text
    assert "ends 5.0% below (A, 950) and 10% below (B, 900) the actual 1,000" in text
    assert "moderately conservative in level (5.0% to 12% below)" in text
    assert "have the right shape" in text


def test_holdout_reading_the_other_way():
    text = readings.holdout_reading(
        _holdout([0.2, 0.1, 2.0], [0.3, 0.1, 2.0], [0.21, 0.5, 1.0]),
        _errors([0.03, 0.08], mae=(0.5, 0.7), corr=(0.6, 0.6)),
    )
    assert "do not rise steadily" in text and "do not all follow a rising shape" in text
    assert "B is closest" in text and "for the customers without" in text
    assert "All 2 models predict more purchases" in text
    assert "smallest error per customer" not in text and "0.60" not in text
    assert "slightly optimistic in level (3.0% to 8.0% above)" in text
    assert "forecast for" not in text  # no tracking given
    mixed = readings.holdout_reading(
        _holdout([0.2, 0.7, 2.0], [0.3, 0.8, 2.1], [0.1, 0.6, 1.9]), _errors([0.3, -0.3])
    )
    assert "The models disagree on the level" in mixed and "without a common bias" in mixed


def test_holdout_reading_far_bias():
    text = readings.holdout_reading(
        _holdout([0.2, 0.7, 2.0], [0.1, 0.3, 1.0], [0.1, 0.3, 1.0]), _errors([-0.4, -0.5])
    )
    assert "strongly conservative in level (40% to 50% below)" in text


def test_tracking_reading_above_and_below():
    text = readings.tracking_reading(_tracking(1000, 1020, 900))
    assert "the cohort had made 500 repeat purchases" in text
    assert "2.0% above (A, 1,020) and 10% below (B, 900)" in text


# ------------------------------------------------------------------ value per customer


def _value_case(one_time_p_alive):
    value = pd.Series([100.0, 50, 10, 2, 2, 2], index=list("abcdef"))
    freq = pd.Series([9, 5, 1, 0, 0, 0], index=value.index)
    p_alive = pd.Series([0.95, 0.9, 0.5, one_time_p_alive, 1.0, 1.0], index=value.index)
    summary = tables.method_summary(value.to_frame("BG/NBD"))
    return summary, value, freq, p_alive


def test_customer_value_reading_states_the_values_and_the_blind_spot():
    summary, value, freq, p_alive = _value_case(1.0)
    text = readings.customer_value_reading(
        summary, value, freq, p_alive, margin=0.3, horizon_years=3, top=2
    )
    assert "the 6 customers are worth $166" in text and "next 3 years" in text
    assert "50% of the customers never bought again" in text
    assert "valued at $2.00 on average, against $53.33 for the repeat buyers" in text
    assert "The 2 most valuable customers made 5 to 9 repeat purchases" in text
    assert "P(alive) of at least 0.90" in text
    assert "BG/NBD cannot lose a customer who never bought again" in text


def test_customer_value_reading_without_the_blind_spot():
    summary, value, freq, p_alive = _value_case(0.4)
    text = readings.customer_value_reading(
        summary, value, freq, p_alive, margin=0.3, horizon_years=3, top=2
    )
    assert "cannot lose" not in text
    text = readings.customer_value_reading(
        summary, value, freq + 1, p_alive, margin=0.3, horizon_years=3
    )
    assert "never bought again" not in text and "sees no dropout" not in text


def test_customer_value_reading_when_the_fit_sees_no_dropout():
    summary, value, freq, _ = _value_case(1.0)
    text = readings.customer_value_reading(
        summary, value, freq, pd.Series(1.0, index=value.index), margin=0.3, horizon_years=3
    )
    assert "BG/NBD gives every customer P(alive) of at least 0.99" in text
    assert "an upper bound" in text and "cannot lose" not in text


# ------------------------------------------------------------------ the simple methods


def _methods(values):
    frame = pd.DataFrame(values)
    return tables.method_summary(frame), frame.corr(method="spearman")


def test_methods_reading_totals_identical_ranks_and_the_models_agreement():
    rng = np.random.default_rng(0)
    base = rng.gamma(1.0, 10.0, 50)
    summary, corr = _methods(
        {
            "formula": 2 * base,
            "retention": 0.2 * base,
            "markov": np.full(50, 5.0) + rng.normal(0, 0.1, 50),
            "M1": base,
            "M2": base * 1.1 + rng.normal(0, 0.5, 50),
        }
    )
    text = readings.methods_reading(summary, corr, ["M1", "M2"], yearly_retention=0.19)
    totals = summary["total"]
    factor = totals.max() / totals.min()
    assert f"differ by a factor of {factor:.1f}" in text
    assert "(retention) to" in text and "(formula)." in text
    assert "**formula**" in text and "above the models' mean total" in text
    assert "below the models' mean total" in text  # retention
    assert "ranks the customers exactly as retention (correlation 1)" in text
    assert "exactly as formula" not in text  # the pair named once
    assert "top 10%" not in text  # the table's column
    assert "(one yearly retention rate of 19% for everyone)" in text
    assert "exactly as" not in text.split("**markov**")[1].split("\n")[0]
    assert "**The probabilistic models** (M1 and M2)" in text


def test_methods_reading_without_models_or_identical_ranks():
    summary, corr = _methods({"formula": [1.0, 2, 3, 4], "markov": [4.0, 3, 2, 1]})
    text = readings.methods_reading(summary, corr, [])
    assert "exactly as" not in text and "probabilistic models" not in text
    assert "models' mean total" not in text


# ------------------------------------------------------------------ backtest


def _backtest(rel, mae, spearman, names=("A", "B", "formula")):
    return pd.DataFrame(
        {
            "total_predicted": [100 * (1 + r) for r in rel],
            "total_actual": 100.0,
            "total_relative_error": rel,
            "mae": mae,
            "spearman": spearman,
        },
        index=pd.Index(list(names), name="method"),
    )


def test_backtest_reading_names_the_best_method_per_criterion():
    # the annuity formula ranks best while a model is closest in level: the words follow
    text = readings.backtest_reading(
        _backtest([-0.15, -0.2, 0.6], [30, 29, 43], [0.44, 0.43, 0.48])
    )
    assert "A is closest in total and formula furthest from it" in text
    assert "B has the smallest error per customer" in text
    assert (
        "formula ranks the customers best (rank correlation 0.480, against 0.440 for the next, A)"
        in text
    )
    assert "trust A for the level of value, B per customer, and formula for the ranking" in text


def test_backtest_reading_one_method_best_on_all_counts():
    text = readings.backtest_reading(_backtest([-0.05, -0.2, 0.6], [20, 29, 43], [0.5, 0.43, 0.48]))
    assert "names one method to trust, A, on all three counts" in text
    text = readings.backtest_reading(_backtest([-0.05, -0.2, 0.6], [20, 29, 43], [0.4, 0.43, 0.48]))
    assert "trust A for the level of value and per customer, and formula for the ranking" in text


def test_takeaways_follow_the_tables():
    summary = tables.method_summary(pd.DataFrame({"BG/NBD": [10.0, 5, 1, 1, 1]}))
    text = readings.clv_takeaways(
        summary,
        _errors([-0.12, -0.16]),
        _backtest([-0.15, -0.2, 0.6], [30, 29, 43], [0.44, 0.43, 0.48]),
        margin=0.3,
        horizon_years=3,
        models=["A", "B"],
    )
    assert text.count("\n- ") == 2 and text.startswith("- Over 3 years")
    assert "$18.00 of discounted profit at an assumed 30% margin (BG/NBD)" in text
    assert "12% to 16% below the actual count" in text
    assert "revenue forecasts 15% to 20% below" in text
    assert "A comes closest to the total revenue and formula ranks the customers best" in text
    assert "Formula is 60% above the actual total" in text
    other = readings.clv_takeaways(
        summary,
        _errors([0.05, -0.1]),
        _backtest([0.1, -0.2, 0.05], [30, 29, 43], [0.5, 0.43, 0.48]),
        margin=0.3,
        horizon_years=3,
        models=["A", "B"],
    )
    assert "from 10% below to 5.0% above the actual count" in other
    assert "formula comes closest to the total revenue and A ranks the customers best" in other
    assert "Formula is 5.0% above" in other


def test_ties_are_named_together():
    # three models that reduce to the same fit: no single best is named
    text = readings.holdout_reading(
        _holdout([0.2, 0.7, 2.0], [0.19, 0.5, 1.9], [0.19, 0.5, 1.9]),
        _errors([0.009, 0.009], mae=(1.608, 1.608), corr=(0.83, 0.83)),
    )
    assert "the models' forecasts tie" in text
    assert "A and B are equally close (A 0.19 and B 0.19)" in text
    partly = readings.holdout_reading(
        _holdout([0.2, 0.7, 2.0], [0.19, 0.5, 1.9], [0.19, 0.6, 1.9]), _errors([-0.1, -0.1])
    )
    assert "B is closest in 1 of the 3 groups (in 2 the models tie)" in partly
    bt = _backtest([0.006, 0.006, 0.0063], [71.594, 71.594, 73.8], [0.766, 0.766, 0.76])
    text = readings.backtest_reading(bt)
    assert "A, B and formula are equally close in total" in text
    assert "A and B have the same, smallest error per customer" in text
    assert "A and B rank the customers equally best (rank correlation 0.766, against 0.760" in text
    summary = tables.method_summary(pd.DataFrame({"A": [10.0, 5, 1, 1, 1]}))
    bullets = readings.clv_takeaways(
        summary, _errors([0.009, 0.009]), bt, margin=0.3, horizon_years=3, models=["A", "B"]
    )
    assert "A, B and formula come equally closest" not in bullets
    assert "A, B and formula come equally close to the total revenue" in bullets
    assert "A and B rank the customers equally best" in bullets


def test_customer_value_reading_never_rounds_a_floor_up():
    # a top customer at P(alive) 0.9996 is "at least 0.99", not "at least 1.00"
    summary, value, freq, p_alive = _value_case(1.0)
    p_alive = p_alive.replace({0.9: 0.9996, 0.95: 0.9999})
    text = readings.customer_value_reading(
        summary, value, freq, p_alive, margin=0.3, horizon_years=3, top=2
    )
    assert "P(alive) of at least 0.99" in text and "at least 1.00" not in text
