"""The loss list: expected loss = risk x value, the base-rate rule, the cut, break-even spend, precision."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.churn import (
    DEFAULT_SAVE_RATE,
    LOSS_COLUMNS,
    SAVE_RATE_RANGE,
    flag_precision,
    loss_list,
)
from analysis.errors import DataValidationError

IDS = pd.Index(["a", "b", "c", "d", "e"], name="customer_id")


@pytest.fixture
def table() -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "stage": ["decline", "stability", "decline", "formation", "decline"],
            "periods_in_stage": [1, 4, 3, 2, 2],
            "clv": [100.0, 400.0, 50.0, 200.0, 10.0],
            "clv_net": [90.0, 400.0, 50.0, 200.0, 10.0],  # a costs 10 to serve
            "clv_low": [80.0, 300.0, 40.0, 150.0, 5.0],
            "clv_high": [130.0, 500.0, 70.0, 260.0, 20.0],
            "p_alive": [0.3, 0.99, 0.2, 0.6, 0.1],
            "days_since_last": [200.0, 5.0, 300.0, 60.0, 250.0],
            "purchase_cycle_days": [30.0, 20.0, np.nan, 40.0, 50.0],
        },
        index=IDS,
    )
    t["stage"] = t["stage"].astype("category")
    return t


TIERS = pd.Series(["high", "high", "medium", "medium", "low"], index=IDS, name="tier")
RISK = pd.Series([0.7, 0.01, 0.8, 0.5, 0.9], index=IDS)  # mean 0.582


def test_the_list_ranks_by_expected_loss_above_the_base_rate(table):
    got = loss_list(table, RISK, tiers=TIERS)
    assert list(got.columns) == list(LOSS_COLUMNS)
    # b (risk 0.01, the most valuable) and d (0.5) are under the base rate; e is low tier
    assert got.index.tolist() == ["a", "c"]  # 0.7 x 90 = 63 before 0.8 x 50 = 40
    assert got.attrs["base_rate"] == pytest.approx(0.582)
    assert got["expected_loss"].tolist() == pytest.approx([63.0, 40.0])
    # the interval: clv bounds shifted by the cost to serve (clv - clv_net = 10 for a)
    assert got.loc["a", ["expected_loss_low", "expected_loss_high"]].tolist() == pytest.approx(
        [0.7 * 70, 0.7 * 120]
    )
    assert got["break_even_spend"].tolist() == pytest.approx([63 * 0.3, 40 * 0.3])
    assert got["cumulative_spend"].tolist() == pytest.approx([18.9, 30.9])
    assert got.loc["a", "risk_ratio"] == pytest.approx(0.7 / 0.582)
    assert got.loc["a", "reasons"].startswith("risk 0.70, 1.2x the base rate 0.58; entered decline")
    assert got.loc["c", "reasons"] == (
        "risk 0.80, 1.4x the base rate 0.58; in decline for 3 periods; P(alive) 0.20 < 0.5"
    )
    assert got.attrs["valuable"] == 4 and got.attrs["valuable_below_base"] == 2


def test_no_customer_below_the_base_rate_is_flagged(table):
    got = loss_list(table, RISK, tiers=TIERS, base_rate=0.75)
    assert got.index.tolist() == ["c"]
    everyone = loss_list(table, RISK, tiers=TIERS, top_tiers=None, base_rate=0.0)
    assert everyone.index.tolist() == ["d", "a", "c", "e", "b"]  # 100, 63, 40, 9, 4
    assert (everyone["risk"] > 0.0).all()


def test_the_list_is_cut_by_top_n_or_by_budget(table):
    kw = dict(tiers=TIERS, top_tiers=None, base_rate=0.0, save_rate=0.5)
    # break-even: d 50, a 31.5, c 20, e 4.5, b 2
    assert loss_list(table, RISK, top_n=2, **kw).index.tolist() == ["d", "a"]
    assert loss_list(table, RISK, budget=81.5, **kw).index.tolist() == ["d", "a"]
    assert loss_list(table, RISK, budget=81.4, **kw).index.tolist() == ["d"]
    got = loss_list(table, RISK, budget=100, top_n=4, **kw)
    assert got.index.tolist() == ["d", "a"] and got.attrs["eligible"] == 5
    assert loss_list(table, RISK, budget=0, **kw).empty


def test_without_an_interval_the_bounds_are_missing(table):
    got = loss_list(table.drop(columns=["clv_low", "clv_high"]), RISK, tiers=TIERS)
    assert got["expected_loss_low"].isna().all() and not got.attrs["has_interval"]


def test_the_save_rate_is_a_stated_assumption():
    assert SAVE_RATE_RANGE[0] < DEFAULT_SAVE_RATE < SAVE_RATE_RANGE[1]
    from analysis.churn import SAVE_RATE_SOURCE

    assert "Verbraken" in SAVE_RATE_SOURCE and "assumption" in SAVE_RATE_SOURCE


def test_bad_risk_is_refused_naming_the_customers(table):
    with pytest.raises(DataValidationError, match="no value for 1 customer"):
        loss_list(table, RISK.drop("c"), tiers=TIERS)
    with pytest.raises(DataValidationError, match="in \\[0, 1\\]"):
        loss_list(table, RISK * 2, tiers=TIERS)
    with pytest.raises(TypeError, match="Series indexed by customer_id"):
        loss_list(table, RISK.to_numpy(), tiers=TIERS)
    with pytest.raises(ValueError, match="save_rate"):
        loss_list(table, RISK, tiers=TIERS, save_rate=1.5)


def test_precision_counts_who_went_quiet_after_the_earlier_date(table):
    then = pd.Timestamp("2020-06-30")
    rows = [("a", "2020-07-15"), ("b", "2020-07-01"), ("d", "2020-08-01"), ("e", "2020-12-01")]
    log = pd.DataFrame(rows, columns=["customer_id", "date"]).assign(amount=1.0)
    log["date"] = pd.to_datetime(log["date"])
    got = flag_precision(log, table, RISK, horizon=90, observation_end=then, tiers=TIERS)
    # flagged a (bought in July) and c (quiet); valuable a, b, c, d: c quiet
    assert got.loc["flagged", ["customers", "went_quiet"]].tolist() == [2, 1]
    assert got.loc["valuable, not flagged", ["customers", "went_quiet"]].tolist() == [2, 0]
    assert got.loc["all customers", ["customers", "went_quiet"]].tolist() == [5, 2]  # c, e
    assert got.attrs["precision"] == 0.5 and got.attrs["lift"] == pytest.approx(0.5 / 0.4)
    assert got.attrs["lift_valuable"] == pytest.approx(0.5 / 0.25)
    assert got.loc["flagged", "share_low"] < 0.5 < got.loc["flagged", "share_high"]
    assert got.attrs["through"] == "2020-09-28"
    with pytest.raises(ValueError, match="before the horizon's end"):
        flag_precision(log, table, RISK, horizon=400, observation_end=then, tiers=TIERS)
    with pytest.raises(ValueError, match="pass observation_end"):
        flag_precision(log, table, RISK, horizon=90, tiers=TIERS)


def test_the_base_rate_can_be_that_of_the_valuable_customers(table):
    # valuable a, b, c, d: mean risk (0.7 + 0.01 + 0.8 + 0.5) / 4 = 0.5025, so d (0.5) stays out
    got = loss_list(table, RISK, tiers=TIERS, base_rate="valuable")
    assert got.attrs["base_rate"] == pytest.approx(0.5025)
    assert got.attrs["base_rate_from"] == "mean risk of the valuable customers"
    assert got.index.tolist() == ["a", "c"]
    with pytest.raises(ValueError, match="'table', 'valuable' or a probability"):
        loss_list(table, RISK, tiers=TIERS, base_rate="mean")


def test_the_readings_say_what_the_list_and_its_precision_show(table):
    from analysis import readings

    got = loss_list(table, RISK, tiers=TIERS)
    text = readings.loss_reading(got)
    assert text.startswith(
        "Of the 4 valuable customers, 2 have a risk of going quiet above the base rate of 58.2% "
        "(mean risk of all customers); the other 2 are not flagged, however valuable. "
        "Their expected loss, risk x value, is $103 (from the value's interval, $81 to $140); at "
        "a save rate of 30% it is worth at most $31 in all to try to keep them, $15.45 per "
        "customer on average."
    )
    cut = readings.loss_reading(loss_list(table, RISK, tiers=TIERS, top_n=1))
    assert (
        "sums to $103; cut to the first 1, the list keeps 1 customer with $63 of it (61.2%)" in cut
    )
    assert "assumption" in readings.save_rate_note(0.3)
    log = pd.DataFrame(
        {"customer_id": ["a", "b"], "date": pd.to_datetime(["2020-07-15", "2020-12-01"])}
    )
    text = readings.precision_reading(
        flag_precision(log, table, RISK, horizon=90, observation_end="2020-06-30", tiers=TIERS)
    )
    assert text.startswith(
        "The same rule applied at 2020-06-30 flags 2 customers; 1 of them (50.0%, 95% interval "
    )
    assert "no more often, beyond chance, than the valuable customers as a whole (75.0%" in text


def test_a_base_rate_given_as_text_is_read_as_a_number(table):
    from analysis.churn.loss import base_rate_of

    assert base_rate_of(RISK, "0.6") == (0.6, "given")
    got = loss_list(table, RISK, tiers=TIERS, base_rate="0.75")
    assert got.index.tolist() == ["c"] and got.attrs["base_rate"] == 0.75
    with pytest.raises(ValueError, match="'table', 'valuable' or a probability"):
        base_rate_of(RISK, "most")
