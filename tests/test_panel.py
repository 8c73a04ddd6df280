"""The customer x period panel: a small hand-built log with every array written out."""

from __future__ import annotations

import doctest

import numpy as np
import pandas as pd
import pytest

from analysis import panel as panel_module
from analysis.panel import Panel, build_panel, check_period
from analysis.validate import DataValidationError

MONTH = 365.25 / 12


def _day(date: str) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))


@pytest.fixture
def log() -> pd.DataFrame:
    """a: two orders on 5 January (one purchase), one on 20 January, one on 2 March; b, c: one each."""
    return pd.DataFrame(
        {
            "customer_id": ["c", "a", "a", "b", "a", "a"],
            "date": pd.to_datetime(
                ["2020-03-31", "2020-01-05", "2020-01-05", "2020-02-10", "2020-01-20", "2020-03-02"]
            ),
            "amount": [3.0, 10.0, 5.0, 8.0, 7.0, 4.0],
        }
    )


@pytest.fixture
def panel(log) -> Panel:
    return build_panel(log, "M", observation_end="2020-04-15")


def test_rows_columns_and_dates(panel):
    assert panel.customer_ids.tolist() == ["a", "b", "c"]
    assert panel.periods.astype(str).tolist() == ["2020-01", "2020-02", "2020-03", "2020-04"]
    assert panel.period == "M" and panel.days_per_period == pytest.approx(MONTH)
    assert panel.shape == (3, 4)
    assert panel.first_column.tolist() == [0, 1, 2]
    assert panel.first_day.tolist() == [_day("2020-01-05"), _day("2020-02-10"), _day("2020-03-31")]
    starts = ["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"]
    assert panel.period_start.tolist() == [_day(d) for d in starts]
    # the last period is cut short by observation_end
    ends = ["2020-01-31", "2020-02-29", "2020-03-31", "2020-04-15"]
    assert panel.period_end.tolist() == [_day(d) for d in ends]


def test_purchases_and_spend_per_cell(panel):
    # same-day orders are one purchase; their amounts add up
    np.testing.assert_array_equal(panel.purchases, [[2, 0, 1, 0], [0, 1, 0, 0], [0, 0, 1, 0]])
    np.testing.assert_array_equal(panel.spend, [[22.0, 0, 4.0, 0], [0, 8.0, 0, 0], [0, 0, 3.0, 0]])
    np.testing.assert_array_equal(
        panel.last_purchase_day,
        [
            [_day("2020-01-20"), -1, _day("2020-03-02"), -1],
            [-1, _day("2020-02-10"), -1, -1],
            [-1, -1, _day("2020-03-31"), -1],
        ],
    )


def test_age_activity_and_running_counts(panel):
    np.testing.assert_array_equal(panel.age, [[0, 1, 2, 3], [-1, 0, 1, 2], [-1, -1, 0, 1]])
    np.testing.assert_array_equal(
        panel.active,
        [[True, True, True, True], [False, True, True, True], [False, False, True, True]],
    )
    np.testing.assert_array_equal(
        panel.purchases_to_date, [[2, 2, 3, 3], [0, 1, 1, 1], [0, 0, 1, 1]]
    )
    np.testing.assert_array_equal(
        panel.latest_purchase_day[0],
        [_day("2020-01-20"), _day("2020-01-20"), _day("2020-03-02"), _day("2020-03-02")],
    )


def test_periods_since_purchase(panel):
    # days from the latest purchase to the (observed) end of each period, in months
    days = np.array([[11, 40, 29, 44], [np.nan, 19, 50, 65], [np.nan, np.nan, 0, 15]], dtype=float)
    np.testing.assert_allclose(panel.periods_since_purchase, days / MONTH)


def test_to_frame_holds_the_active_cells(panel):
    frame = panel.to_frame()
    assert frame["customer_id"].tolist() == ["a"] * 4 + ["b"] * 3 + ["c"] * 2
    assert frame["period"].astype(str).tolist() == [
        "2020-01", "2020-02", "2020-03", "2020-04", "2020-02", "2020-03", "2020-04",
        "2020-03", "2020-04",
    ]  # fmt: skip
    assert frame["age"].tolist() == [0, 1, 2, 3, 0, 1, 2, 0, 1]
    assert frame["purchases"].tolist() == [2, 0, 1, 0, 1, 0, 0, 1, 0]
    assert frame["spend"].tolist() == [22.0, 0.0, 4.0, 0.0, 8.0, 0.0, 0.0, 3.0, 0.0]
    assert frame["periods_since_purchase"].iloc[-1] == pytest.approx(15 / MONTH)
    assert not frame["periods_since_purchase"].isna().any()


def test_observation_end_defaults_to_the_last_purchase(log):
    panel = build_panel(log, "M")
    assert panel.periods.astype(str).tolist() == ["2020-01", "2020-02", "2020-03"]
    assert panel.period_end[-1] == _day("2020-03-31")


def test_weekly_panel(log):
    panel = build_panel(log, "W", observation_end="2020-04-15")
    assert panel.days_per_period == 7.0
    # 2020-01-05 is a Sunday, the last day of the week starting Monday 2019-12-30
    assert str(panel.periods[0]) == "2019-12-30/2020-01-05"
    assert panel.purchases.sum() == 5 and panel.purchases[0, 0] == 1
    assert panel.purchases[0, 3] == 1  # 20 January: the fourth week, 20-26 January


def test_bad_input_raises(log):
    with pytest.raises(ValueError, match="period must be one of"):
        build_panel(log, "fortnight")
    with pytest.raises(ValueError, match="period must be one of"):
        check_period(None)
    assert check_period("Q") == "Q"
    with pytest.raises(DataValidationError, match="empty"):
        build_panel(log.iloc[:0], "M")
    with pytest.raises(DataValidationError, match="after observation_end"):
        build_panel(log, "M", observation_end="2020-02-28")
    with pytest.raises(DataValidationError, match="datetime64"):
        build_panel(log.assign(date=log["date"].astype(str)), "M")
    with pytest.raises(DataValidationError, match="missing column"):
        build_panel(log.drop(columns="amount"), "M")


def test_docstring_example_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for test in finder.find(panel_module.build_panel, globs={"pd": pd, "build_panel": build_panel}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert runner.summarize(verbose=False).attempted >= 3


def test_purchase_days_build_the_panel_of_any_block_of_customers(log):
    days = panel_module.purchase_days(log, "M", observation_end="2020-04-15")
    whole = build_panel(log, "M", observation_end="2020-04-15")
    assert days.counts.tolist() == [3, 1, 1]  # a: 5 and 20 January, 2 March (same day once)
    rows = [2, 0]
    part = days.panel(rows)
    assert part.customer_ids.tolist() == ["c", "a"]
    for name in ("purchases", "spend", "last_purchase_day"):
        np.testing.assert_array_equal(getattr(part, name), getattr(whole, name)[rows])
    np.testing.assert_array_equal(part.first_column, whole.first_column[rows])
    np.testing.assert_array_equal(part.first_day, whole.first_day[rows])


def test_distinct_sequences_group_equal_histories():
    offsets = np.array([0, 2, 3, 5, 7, 7, 8])  # [1, 5], [4], [1, 5], [1, 6], [], [4]
    values = np.array([1, 5, 4, 1, 5, 1, 6, 4])
    first, group = panel_module.distinct_sequences(offsets, values)
    assert len(first) == 4
    assert group[0] == group[2] and group[1] == group[5]
    assert len({group[0], group[1], group[3], group[4]}) == 4
    np.testing.assert_array_equal(group[first], np.arange(4))
    # values too wide for one word per sequence still group exactly
    wide = np.array([0, 2**40, 7, 2**40, 0, 2**40, 8, 2**40])
    first, group = panel_module.distinct_sequences(np.array([0, 4, 8]), wide)
    assert group[0] != group[1]
    first, group = panel_module.distinct_sequences(np.array([0, 4, 8]), np.r_[wide[:4], wide[:4]])
    assert group[0] == group[1]
