"""The stage rules: thresholds, hand-built customers with known stage sequences, P(alive), the order rule."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal, assert_series_equal

from analysis import lifecycle as lc
from analysis.simulate import simulate_lifecycle
from analysis.validate import DataValidationError
from lifecycle_cases import END, assert_order, hand_built, log, monthly, sequence

E, F, S, D = lc.STAGES


@pytest.fixture(scope="module")
def hand_log() -> pd.DataFrame:
    return hand_built()


@pytest.fixture(scope="module")
def hand_stages(hand_log) -> pd.DataFrame:
    return lc.assign_stages(hand_log, observation_end=END)


# --------------------------------------------------------------------------- thresholds


def test_thresholds_table_lists_every_threshold_with_a_reason():
    table = lc.thresholds_table()
    assert list(table.index) == list(lc.THRESHOLDS)
    assert table["reason"].str.len().min() > 20
    assert table.loc["formation_repeats", "default"] == 4
    assert table.loc["past_trial_repeats", "default"] == 1
    assert table.loc["window_months", "unit"] == "months"
    assert [name for name, t in lc.THRESHOLDS.items() if t.whole] == [
        "formation_repeats",
        "past_trial_repeats",
    ]


def test_unknown_or_invalid_thresholds_raise(hand_log):
    with pytest.raises(TypeError, match="unknown threshold"):
        lc.assign_stages(hand_log, window=3)
    with pytest.raises(ValueError, match="formation_repeats"):
        lc.assign_stages(hand_log, formation_repeats=1.5)
    with pytest.raises(ValueError, match="past_trial_repeats"):
        lc.assign_stages(hand_log, past_trial_repeats=0)
    with pytest.raises(ValueError, match="alpha_fall"):
        lc.assign_stages(hand_log, alpha_fall=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        lc.assign_stages(hand_log, gap_factor=-1)


# --------------------------------------------------------------------------- hand-built customers


def test_trial_buyer_who_never_returns(hand_stages):
    # first purchase on 15 January; at the end of April the silence (3.5 months) exceeds
    # trial_months=2.5 (at the end of March it is 2.5 months, not more)
    assert sequence(hand_stages, "trial") == [E, E, E] + [D] * 9
    reasons = hand_stages.loc[hand_stages["customer_id"] == "trial", "reason"].astype(str).tolist()
    assert reasons[:4] == ["first purchase", "trial", "trial", "silent"]


def test_steady_buyer_passes_through_formation(hand_stages):
    # weekly all year: past the trial at age 3 (exploration_months), a plateau after five
    # months of formation (formation_months)
    assert sequence(hand_stages, "steady") == [E] * 3 + [F] * 5 + [S] * 4
    rows = hand_stages.loc[hand_stages["customer_id"] == "steady"]
    assert rows["reason"].astype(str).iloc[3] == "repeat buyer past the trial"
    assert rows["reason"].astype(str).iloc[8] == "plateau"


def test_growing_buyer_enters_formation_on_a_rising_pace(hand_stages):
    # 1, 1, 2, 4, then 8 purchases a month: four repeat purchases and a doubling pace in April
    assert sequence(hand_stages, "growing") == [E] * 3 + [F] * 5 + [S] * 4
    rows = hand_stages.loc[hand_stages["customer_id"] == "growing"].reset_index(drop=True)
    assert rows.loc[2, "repeat_purchases"] == 3 and rows.loc[2, "reason"] == "trial"
    assert rows.loc[3, "reason"] == "rising pace"
    assert rows.loc[3, "p_rising"] < 0.10
    # the plateau: five months of formation, and September no rise over August
    assert rows.loc[8, "reason"] == "plateau" and rows.loc[8, "p_rising_last"] == 1
    # the last period alone is one of the scales p_rising takes the smallest p-value of
    assert (hand_stages["p_rising_last"] >= hand_stages["p_rising"]).all()


def test_fading_buyer_declines_on_a_falling_pace(hand_stages):
    # 8 purchases a month, then 3: the fall is significant at 1% in the third month at the lower pace
    assert sequence(hand_stages, "fading") == [E] + [F] * 5 + [S] * 3 + [D] * 3
    rows = hand_stages.loc[hand_stages["customer_id"] == "fading"].reset_index(drop=True)
    assert rows.loc[8, "p_falling"] > 0.01 and rows.loc[8, "reason"] == "steady"
    assert rows.loc[9, "reason"] == "pace falling" and rows.loc[9, "p_falling"] < 0.01
    assert (
        rows.loc[9, "periods_since_purchase"] < 3 * rows.loc[9, "mean_cycle_periods"]
    )  # not silent
    assert rows.loc[10, "reason"] == "still low"


def test_stopping_buyer_declines_when_silent(hand_stages):
    # a buyer every 4 days or so who then buys once in a month is silent for six of its cycles
    assert sequence(hand_stages, "stopping") == [E] + [F] * 5 + [S] * 2 + [D] * 4
    rows = hand_stages.loc[hand_stages["customer_id"] == "stopping"].reset_index(drop=True)
    assert rows.loc[8, "reason"] == "silent"
    assert rows.loc[8, "periods_since_purchase"] > 3 * rows.loc[8, "mean_cycle_periods"]


def test_formation_length_counts_every_period_in_formation():
    # four months of formation, a silent June (decline), back in July at the old pace: July's
    # rise returns it to formation, and with five months of formation in all, August's pace
    # (no rise over July) is the plateau; formation does not start again after the decline
    stages = lc.assign_stages(
        log("back", monthly([1, 8, 8, 8, 8, 0] + [8] * 6)), observation_end=END
    )
    assert stages["stage"].astype(str).tolist() == [E] + [F] * 4 + [D, F] + [S] * 5
    reasons = stages["reason"].astype(str).tolist()
    assert reasons[5:8] == ["silent", "recovered", "plateau"]
    # without the decline, five months of formation end in June
    steady = lc.assign_stages(log("on", monthly([1] + [8] * 11)), observation_end=END)
    assert steady["stage"].astype(str).tolist() == [E] + [F] * 5 + [S] * 6


def test_one_repeat_purchase_past_the_trial_months_is_formation():
    # one repeat purchase in March, still within trial_months of it at the end of April (age 3)
    dates = ["2020-01-10", "2020-03-20"]
    stages = lc.assign_stages(log("once", dates), observation_end="2020-06-30")
    assert stages["stage"].astype(str).tolist() == [E, E, E, F, F, D]
    assert stages["reason"].astype(str).iloc[3] == "repeat buyer past the trial"
    # asking for two repeat purchases keeps it on trial until the silence ends it
    two = lc.assign_stages(log("once", dates), observation_end="2020-06-30", past_trial_repeats=2)
    assert two["stage"].astype(str).tolist() == [E] * 5 + [D]


def test_trial_buyer_exact_frame(hand_stages):
    got = hand_stages.loc[
        hand_stages["customer_id"] == "trial",
        ["customer_id", "period", "age", "purchases", "spend", "repeat_purchases", "stage"],
    ].reset_index(drop=True)
    expected = pd.DataFrame(
        {
            "customer_id": ["trial"] * 12,
            "period": pd.period_range("2020-01", periods=12, freq="M"),
            "age": np.arange(12, dtype=np.int32),
            "purchases": np.array([1] + [0] * 11, dtype=np.int32),
            "spend": [10.0] + [0.0] * 11,
            "repeat_purchases": np.zeros(12, dtype=np.int32),
            "stage": pd.Categorical([E] * 3 + [D] * 9, categories=list(lc.STAGES), ordered=True),
        }
    )
    assert_frame_equal(got, expected)


def test_rows_run_from_first_purchase_to_observation_end(hand_log, hand_stages):
    counts = hand_stages.groupby("customer_id").size()
    assert counts.to_dict() == {
        "fading": 12,
        "growing": 12,
        "steady": 12,
        "stopping": 12,
        "trial": 12,
    }
    late = log("late", ["2020-11-20"])
    stages = lc.assign_stages(pd.concat([hand_log, late]), observation_end=END)
    late_periods = stages.loc[stages["customer_id"] == "late", "period"].astype(str).tolist()
    assert late_periods == ["2020-11", "2020-12"]


def test_same_day_orders_are_one_purchase():
    one = log("a", ["2020-01-05", "2020-01-05", "2020-01-20"], amount=5.0)
    stages = lc.assign_stages(one, observation_end="2020-01-31")
    assert stages["purchases"].tolist() == [2]
    assert stages["spend"].tolist() == [15.0]
    assert stages["repeat_purchases"].tolist() == [1]


def test_purchases_after_observation_end_raise(hand_log):
    with pytest.raises(DataValidationError, match="after observation_end"):
        lc.assign_stages(hand_log, observation_end="2020-06-30")


def test_missing_columns_raise():
    with pytest.raises(DataValidationError, match="missing column"):
        lc.assign_stages(pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2020-01-01"])}))


def test_thresholds_are_in_months_whatever_the_period():
    # a trial buyer declines after trial_months=2.5 months, counted in weeks on a weekly grid
    stages = lc.assign_stages(log("t", ["2020-01-01"]), period="W", observation_end="2020-04-30")
    first_decline = stages.loc[stages["stage"] == D, "age"].min()
    assert first_decline == 11  # 11 weeks > 2.5 months (10.9 weeks)
    with pytest.raises(ValueError, match="period must be one of"):
        lc.assign_stages(log("t", ["2020-01-01"]), period="fortnight")


def test_current_stage_is_the_last_period(hand_stages):
    now = lc.current_stage(hand_stages)
    expected = {"fading": D, "growing": S, "steady": S, "stopping": D, "trial": D}
    assert now["stage"].astype(str).to_dict() == expected
    assert (now["period"].astype(str) == "2020-12").all()


def test_stage_mix_rows_sum_to_one(hand_stages):
    mix = lc.stage_mix(hand_stages)
    assert list(mix.columns) == list(lc.STAGES)
    assert np.allclose(mix.sum(axis=1), 1.0)
    counts = lc.stage_mix(hand_stages, normalize=False)
    assert_series_equal(counts.sum(axis=1), pd.Series(5, index=counts.index), check_names=False,
                        check_dtype=False)  # fmt: skip
    # December: fading, stopping and trial in decline, growing and steady stable
    assert counts.loc[pd.Period("2020-12", "M")].tolist() == [0, 0, 2, 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lc.stage_mix(hand_stages, by="age")


# --------------------------------------------------------------------------- P(alive) values


def test_p_alive_series_can_send_a_customer_to_decline(hand_log):
    p_alive = pd.Series({"steady": 0.05, "growing": 0.9})
    stages = lc.assign_stages(hand_log, observation_end=END, p_alive=p_alive)
    now = lc.current_stage(stages)
    assert now.loc["steady", "stage"] == D and now.loc["steady", "reason"] == "p_alive low"
    assert now.loc["growing", "stage"] == S
    assert np.isnan(now.loc["trial", "p_alive"])
    with pytest.raises(ValueError, match="outside"):
        lc.assign_stages(hand_log, observation_end=END, p_alive=pd.Series({"steady": 1.5}))


def test_p_alive_per_period_acts_in_its_period_only(hand_log, hand_stages):
    # steady looks gone in June only: decline from June; its pace never rises, so it stays there,
    # "still low" rather than "p_alive low" in the months without a value
    index = pd.MultiIndex.from_tuples([("steady", pd.Period("2020-06", "M"))])
    stages = lc.assign_stages(hand_log, observation_end=END, p_alive=pd.Series([0.1], index=index))
    rows = stages.loc[stages["customer_id"] == "steady"].reset_index(drop=True)
    assert rows.loc[5, "stage"] == D and rows.loc[5, "reason"] == "p_alive low"
    assert (rows["stage"].iloc[5:] == D).all() and rows.loc[6, "reason"] == "still low"
    assert rows["p_alive"].notna().sum() == 1
    before = hand_stages.loc[hand_stages["customer_id"] == "steady", "stage"].iloc[:5]
    assert rows["stage"].iloc[:5].tolist() == before.tolist()


def test_the_classifier_takes_values_not_a_model_name(hand_log):
    with pytest.raises(TypeError, match="bgnbd_p_alive"):
        lc.assign_stages(hand_log, p_alive="bgnbd")
    with pytest.raises(TypeError, match="pandas Series"):
        lc.assign_stages(hand_log, p_alive=[0.5])


# --------------------------------------------------------------------------- the order rule


def test_order_rule_on_cdnow_sample(cdnow_sample):
    stages = lc.assign_stages(cdnow_sample)
    assert_order(stages)
    # decline follows every stage, exploration included (the trial that disappoints)
    counts = lc.transition_counts(stages)
    assert counts.loc[E, D] > 0 and counts.loc[F, D] > 0 and counts.loc[S, D] > 0
    assert counts.loc[E, S] == 0


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    peak=st.sampled_from([0.5, 2.0, 8.0]),
    window=st.sampled_from([1.0, 2.0, 3.0]),
    period=st.sampled_from(["M", "W"]),
)
def test_order_rule_holds_on_simulated_logs(seed, peak, window, period):
    sim = simulate_lifecycle(150, 12, seed=seed, peak_rate_mean=peak, period=period)
    stages = lc.assign_stages(sim.transactions, period=period, window_months=window)
    assert_order(stages)


def test_the_rules_use_nothing_after_the_period():
    # every period's stage and reason are the same whether the log ends there or goes on
    sim = simulate_lifecycle(400, 18, seed=12)
    full = lc.assign_stages(sim.transactions)
    for end in ("2020-06-30", "2020-11-30"):
        cut = sim.transactions[sim.transactions["date"] <= end]
        part = lc.assign_stages(cut, observation_end=end)
        same = full[full["period"] <= pd.Period(end, "M")].reset_index(drop=True)
        assert len(part) == len(same) > 0
        for col in ("customer_id", "period", "stage", "reason", "p_rising_last"):
            assert part[col].tolist() == same[col].tolist()


@pytest.mark.slow
def test_order_rule_on_cdnow_master():
    from analysis import data

    assert_order(lc.assign_stages(data.load_cdnow()))
