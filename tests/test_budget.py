"""The budget per playbook cell and the randomised holdout group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.errors import DataValidationError
from analysis.strategy import BUDGET_COLUMNS, budget_by_cell, holdout_split

IDS = pd.Index(["a", "b", "c", "d"], name="customer_id")


@pytest.fixture
def loss() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "expected_loss": [60.0, 40.0, 20.0, 10.0],
            "expected_loss_low": [50.0, 30.0, 15.0, 5.0],
            "expected_loss_high": [70.0, 50.0, 25.0, 15.0],
            "break_even_spend": [18.0, 12.0, 6.0, 3.0],
        },
        index=IDS,
    )
    frame.attrs = {"save_rate": 0.3, "save_rate_range": (0.15, 0.48)}
    return frame


@pytest.fixture
def decisions() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "playbook_cell": ["decline/medium", "decline/high", "decline/high", "decline/low"],
            "investment_priority": ["maintain", "invest", "invest", "reduce"],
        },
        index=pd.Index(["a", "b", "c", "d", "z"][:4], name="customer_id"),
    )


def test_the_budget_sums_the_list_per_cell_in_the_playbook_order(loss, decisions):
    got = budget_by_cell(loss, decisions)
    assert list(got.columns) == list(BUDGET_COLUMNS)
    assert got.index.tolist() == ["decline/high", "decline/medium", "decline/low", "total"]
    assert got["customers"].tolist() == [2, 1, 1, 4]
    assert got["expected_loss"].tolist() == [60.0, 60.0, 10.0, 130.0]
    assert got["expected_loss_high"].tolist() == [75.0, 70.0, 15.0, 160.0]
    assert got["break_even_spend"].tolist() == [18.0, 18.0, 3.0, 39.0]
    # the reduce cell gets no retention budget, whatever its break-even spend
    assert got["budget"].tolist() == [18.0, 18.0, 0.0, 36.0]
    assert got["share_of_budget"].tolist() == [0.5, 0.5, 0.0, 1.0]
    assert got.loc["decline/high", "investment_priority"] == "invest"


def test_a_customer_without_a_cell_is_refused(loss, decisions):
    with pytest.raises(DataValidationError, match="1 customer\\(s\\) of the loss list"):
        budget_by_cell(loss, decisions.drop(index="d"))


def test_the_decisions_can_be_computed_from_the_customer_table(loss):
    from analysis.strategy import decision_columns

    rng = np.random.default_rng(0)
    n = 40
    table = pd.DataFrame(
        {
            "stage": pd.Categorical(rng.choice(["formation", "decline"], n)),
            "periods_in_stage": rng.integers(1, 4, n),
            "clv_net": rng.gamma(2.0, 50.0, n),
            "p_alive": rng.uniform(0, 1, n),
            "days_since_last": rng.uniform(0, 300, n),
            "purchase_cycle_days": rng.uniform(10, 60, n),
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )
    sub = loss.set_axis(table.index[:4])
    got = budget_by_cell(sub, table)
    assert got.equals(budget_by_cell(sub, decision_columns(table)))
    assert got.loc["total", "customers"] == 4


def test_the_holdout_is_random_reproducible_and_of_the_asked_size():
    ids = [f"c{i}" for i in range(1000)]
    first = holdout_split(ids, share=0.1, seed=7)
    assert first.dtype == bool and int(first.sum()) == 100
    assert first.equals(holdout_split(ids[::-1], share=0.1, seed=7))
    assert not first.equals(holdout_split(ids, share=0.1, seed=8))
    # spread over the ids, not a block
    positions = np.flatnonzero(first.to_numpy())
    assert positions.min() < 100 and positions.max() > 900
    with pytest.raises(DataValidationError, match="repeat"):
        holdout_split(["a", "a", "b"], share=0.5)


def test_the_budget_reading_says_where_the_money_goes(loss, decisions):
    from analysis import readings

    text = readings.budget_reading(budget_by_cell(loss, decisions))
    assert text == (
        "The list's 4 customers fall in 3 playbook cells; their break-even spend sums to $39, of "
        "which $36 in the cells whose priority spends to keep customers. The most goes to "
        "decline/high (invest, 2 customers, $18, 50.0%) and decline/medium (maintain, 1 customer, "
        "$18, 50.0%). decline/low (reduce) gets no retention budget: the playbook spends no more "
        "than standard service there."
    )
    assert readings.budget_reading(budget_by_cell(loss.iloc[:0], decisions)).startswith(
        "No customer"
    )
