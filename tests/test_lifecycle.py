"""Lifecycle stages: hand-built customers with known stage sequences, the order rule, the chain, curves, cohorts."""

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

E, F, S, D = lc.STAGES
END = "2020-12-31"


def _log(customer, dates, amount=10.0):
    return pd.DataFrame(
        {"customer_id": customer, "date": pd.to_datetime(list(dates)), "amount": amount, "quantity": 1}
    )


def _monthly(counts, year=2020, day=3):
    """``counts[m]`` purchases in month m + 1, spread over the month from ``day`` on."""
    dates = []
    for month, count in enumerate(counts, start=1):
        for k in range(count):
            dates.append(pd.Timestamp(year, month, day) + pd.Timedelta(days=int(k * 27 / count)))
    return dates


@pytest.fixture(scope="module")
def hand_built() -> pd.DataFrame:
    """Five customers whose stage sequence is known exactly under the default thresholds."""
    return pd.concat(
        [
            _log("trial", ["2020-01-15"]),  # buys once, never again
            _log("steady", pd.date_range("2020-01-06", END, freq="7D")),  # every week all year
            _log("growing", _monthly([1, 1, 2, 4, 8, 8, 8, 8, 8, 8, 8, 8])),  # pace doubles, then holds
            _log("fading", _monthly([1, 8, 8, 8, 8, 8, 8, 3, 3, 3, 3, 3])),  # holds, then buys less
            _log("stopping", _monthly([1, 8, 8, 8, 8, 8, 8, 3, 1, 1, 0, 0])),  # holds, then stops
        ],
        ignore_index=True,
    )


@pytest.fixture(scope="module")
def hand_stages(hand_built) -> pd.DataFrame:
    return lc.assign_stages(hand_built, observation_end=END)


def _sequence(stages, customer):
    return stages.loc[stages["customer_id"] == customer, "stage"].astype(str).tolist()


# --------------------------------------------------------------------------- thresholds


def test_thresholds_table_lists_every_threshold_with_a_reason():
    table = lc.thresholds_table()
    assert list(table.index) == list(lc.THRESHOLDS)
    assert table["reason"].str.len().min() > 20
    assert table.loc["formation_repeats", "default"] == 3
    assert table.loc["window_months", "unit"] == "months"


def test_unknown_or_invalid_thresholds_raise(hand_built):
    with pytest.raises(TypeError, match="unknown threshold"):
        lc.assign_stages(hand_built, window=3)
    with pytest.raises(ValueError, match="formation_repeats"):
        lc.assign_stages(hand_built, formation_repeats=1.5)
    with pytest.raises(ValueError, match="alpha_fall"):
        lc.assign_stages(hand_built, alpha_fall=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        lc.assign_stages(hand_built, gap_factor=-1)


# --------------------------------------------------------------------------- hand-built customers


def test_trial_buyer_who_never_returns(hand_stages):
    # first purchase on 15 January; at the end of March the silence (2.5 months) exceeds trial_months=2
    assert _sequence(hand_stages, "trial") == [E, E] + [D] * 10
    reasons = hand_stages.loc[hand_stages["customer_id"] == "trial", "reason"].astype(str).tolist()
    assert reasons[:3] == ["first purchase", "trial", "silent"]


def test_steady_buyer_passes_through_formation(hand_stages):
    # weekly all year: past the trial at age 4 (exploration_months), a plateau after formation_months=4
    assert _sequence(hand_stages, "steady") == [E] * 4 + [F] * 4 + [S] * 4
    rows = hand_stages.loc[hand_stages["customer_id"] == "steady"]
    assert rows["reason"].astype(str).iloc[4] == "repeat buyer past the trial"
    assert rows["reason"].astype(str).iloc[8] == "plateau"


def test_growing_buyer_enters_formation_on_a_rising_pace(hand_stages):
    assert _sequence(hand_stages, "growing") == [E] * 3 + [F] * 4 + [S] * 5
    rows = hand_stages.loc[hand_stages["customer_id"] == "growing"].reset_index(drop=True)
    assert rows.loc[3, "reason"] == "rising pace"
    assert rows.loc[3, "p_rising"] < 0.10


def test_fading_buyer_declines_on_a_falling_pace(hand_stages):
    # 8 purchases a month, then 3: the fall is significant at 1% in the third month at the lower pace
    assert _sequence(hand_stages, "fading") == [E] + [F] * 4 + [S] * 4 + [D] * 3
    rows = hand_stages.loc[hand_stages["customer_id"] == "fading"].reset_index(drop=True)
    assert rows.loc[8, "p_falling"] > 0.01 and rows.loc[8, "reason"] == "steady"
    assert rows.loc[9, "reason"] == "pace falling" and rows.loc[9, "p_falling"] < 0.01
    assert rows.loc[9, "periods_since_purchase"] < 3 * rows.loc[9, "purchase_cycle"]  # not silent
    assert rows.loc[10, "reason"] == "still low"


def test_stopping_buyer_declines_when_silent(hand_stages):
    # a buyer every 4 days or so who then buys once in a month is silent for six of its cycles
    assert _sequence(hand_stages, "stopping") == [E] + [F] * 4 + [S] * 3 + [D] * 4
    rows = hand_stages.loc[hand_stages["customer_id"] == "stopping"].reset_index(drop=True)
    assert rows.loc[8, "reason"] == "silent"
    assert rows.loc[8, "periods_since_purchase"] > 3 * rows.loc[8, "purchase_cycle"]


def test_trial_buyer_exact_frame(hand_stages):
    got = hand_stages.loc[
        hand_stages["customer_id"] == "trial",
        ["customer_id", "period", "age", "purchases", "spend", "repeat_purchases", "stage"],
    ].reset_index(drop=True)
    expected = pd.DataFrame(
        {
            "customer_id": ["trial"] * 12,
            "period": pd.period_range("2020-01", periods=12, freq="M"),
            "age": np.arange(12, dtype=np.int64),
            "purchases": np.array([1] + [0] * 11, dtype=np.int64),
            "spend": [10.0] + [0.0] * 11,
            "repeat_purchases": np.zeros(12, dtype=np.int64),
            "stage": pd.Categorical([E, E] + [D] * 10, categories=list(lc.STAGES), ordered=True),
        }
    )
    assert_frame_equal(got, expected)


def test_rows_run_from_first_purchase_to_observation_end(hand_built, hand_stages):
    counts = hand_stages.groupby("customer_id").size()
    assert counts.to_dict() == {"fading": 12, "growing": 12, "steady": 12, "stopping": 12, "trial": 12}
    late = _log("late", ["2020-11-20"])
    stages = lc.assign_stages(pd.concat([hand_built, late]), observation_end=END)
    late_periods = stages.loc[stages["customer_id"] == "late", "period"].astype(str).tolist()
    assert late_periods == ["2020-11", "2020-12"]


def test_same_day_orders_are_one_purchase():
    log = _log("a", ["2020-01-05", "2020-01-05", "2020-01-20"], amount=5.0)
    stages = lc.assign_stages(log, observation_end="2020-01-31")
    assert stages["purchases"].tolist() == [2]
    assert stages["spend"].tolist() == [15.0]
    assert stages["repeat_purchases"].tolist() == [1]


def test_purchases_after_observation_end_raise(hand_built):
    with pytest.raises(DataValidationError, match="after observation_end"):
        lc.assign_stages(hand_built, observation_end="2020-06-30")


def test_missing_columns_raise():
    with pytest.raises(DataValidationError, match="missing column"):
        lc.assign_stages(pd.DataFrame({"customer_id": [1], "date": pd.to_datetime(["2020-01-01"])}))


def test_thresholds_are_in_months_whatever_the_period():
    # a trial buyer declines after trial_months=2 months, counted in weeks on a weekly grid
    stages = lc.assign_stages(_log("t", ["2020-01-01"]), period="W", observation_end="2020-04-30")
    first_decline = stages.loc[stages["stage"] == D, "age"].min()
    assert first_decline == 9  # 9 weeks > 2 months (8.7 weeks)
    with pytest.raises(ValueError, match="period must be one of"):
        lc.assign_stages(_log("t", ["2020-01-01"]), period="fortnight")


def test_current_stage_is_the_last_period(hand_stages):
    now = lc.current_stage(hand_stages)
    expected = {"fading": D, "growing": S, "steady": S, "stopping": D, "trial": D}
    assert now["stage"].astype(str).to_dict() == expected
    assert (now["period"].astype(str) == "2020-12").all()


def test_p_alive_series_can_send_a_customer_to_decline(hand_built):
    p_alive = pd.Series({"steady": 0.05, "growing": 0.9})
    stages = lc.assign_stages(hand_built, observation_end=END, p_alive=p_alive)
    now = lc.current_stage(stages)
    assert now.loc["steady", "stage"] == D and now.loc["steady", "reason"] == "p_alive low"
    assert now.loc["growing", "stage"] == S
    assert np.isnan(now.loc["trial", "p_alive"])
    with pytest.raises(ValueError, match="outside"):
        lc.assign_stages(hand_built, observation_end=END, p_alive=pd.Series({"steady": 1.5}))


def test_p_alive_from_bgnbd_runs_on_cdnow_sample(cdnow_sample):
    stages = lc.assign_stages(cdnow_sample, p_alive="bgnbd")
    assert stages["p_alive"].between(0, 1).all()
    # BG/NBD puts customers without repeat purchases at P(alive) = 1
    no_repeat = stages["repeat_purchases"] == 0
    assert np.allclose(stages.loc[no_repeat, "p_alive"], 1.0)


# --------------------------------------------------------------------------- the order rule


def _assert_order(stages):
    a, b = lc._pairs(stages)
    names = np.array(lc.STAGES)
    pairs = set(zip(names[a], names[b]))
    assert (E, S) not in pairs, "exploration jumped straight to stability"
    assert {frm for frm, to in pairs if to == S} <= {F, S}, "stability entered from outside formation"
    assert {to for frm, to in pairs if frm == E} <= {E, F, D}
    first = stages.sort_values(["customer_id", "period"]).groupby("customer_id")["stage"].first()
    assert (first.astype(str) == E).all()


def test_order_rule_on_cdnow_sample(cdnow_sample):
    stages = lc.assign_stages(cdnow_sample)
    _assert_order(stages)
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
    _assert_order(stages)


@pytest.mark.slow
def test_order_rule_on_cdnow_master():
    from analysis import data

    _assert_order(lc.assign_stages(data.load_cdnow()))


# --------------------------------------------------------------------------- the Markov chain


@pytest.fixture
def tiny_stages() -> pd.DataFrame:
    """Two customers, hand-written stages (no classifier involved)."""
    per = pd.period_range("2020-01", periods=4, freq="M")
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 2],
            "period": list(per) + list(per[1:]),
            "age": [0, 1, 2, 3, 0, 1, 2],
            "stage": [E, F, S, D, E, D, D],
            "purchases": [1, 2, 3, 0, 1, 0, 0],
            "spend": [10.0, 20.0, 30.0, 0.0, 10.0, 0.0, 0.0],
        }
    )


def test_transition_counts_exact(tiny_stages):
    got = lc.transition_counts(tiny_stages)
    expected = pd.DataFrame(
        [[0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 1]],
        index=pd.Index(list(lc.STAGES), name="from"),
        columns=pd.Index(list(lc.STAGES), name="to"),
        dtype=np.int64,
    )
    assert_frame_equal(got, expected)


def test_transition_matrix_rows_sum_to_one(tiny_stages, cdnow_sample):
    P = lc.transition_matrix(tiny_stages)
    assert P.loc[E, F] == 0.5 and P.loc[E, D] == 0.5 and P.loc[D, D] == 1.0
    assert np.allclose(P.sum(axis=1), 1.0)
    P = lc.transition_matrix(lc.assign_stages(cdnow_sample))
    assert np.allclose(P.sum(axis=1), 1.0)
    assert (P.to_numpy() >= 0).all()


def test_transition_matrix_makes_unseen_stages_absorbing(tiny_stages):
    only_decline = tiny_stages.loc[tiny_stages["customer_id"] == 2]
    with pytest.warns(UserWarning, match="absorbing"):
        P = lc.transition_matrix(only_decline)
    assert P.loc[S, S] == 1.0 and P.loc[F, F] == 1.0
    assert np.allclose(P.sum(axis=1), 1.0)


def test_gaps_in_periods_are_not_transitions(tiny_stages):
    gapped = tiny_stages.drop(index=1)  # customer 1 loses February: Jan -> Mar is no transition
    counts = lc.transition_counts(gapped)
    assert counts.loc[E, F] == 0 and counts.loc[F, S] == 0 and counts.to_numpy().sum() == 3


def test_project_stage_mix_exact(tiny_stages):
    P = lc.transition_matrix(tiny_stages)
    mix = lc.project_stage_mix(P, pd.Series({E: 2, F: 0, S: 0, D: 0}), periods=2)
    assert mix.loc[0].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert mix.loc[1].tolist() == [0.0, 0.5, 0.0, 0.5]
    assert mix.loc[2].tolist() == [0.0, 0.0, 0.5, 0.5]
    assert np.allclose(mix.sum(axis=1), 1.0)
    # from a stages frame: the latest stage of each customer (both in decline)
    assert lc.project_stage_mix(P, tiny_stages, 1).loc[0, D] == 1.0


def test_stage_rewards_exact(tiny_stages):
    got = lc.stage_rewards(tiny_stages, margin=0.5, cost_per_purchase=1.0)
    # profit = 0.5 * spend - 1 * purchases
    assert got.loc[E, "profit"] == pytest.approx(4.0)
    assert got.loc[F, "profit"] == pytest.approx(8.0)
    assert got.loc[S, "profit"] == pytest.approx(12.0)
    assert got.loc[D, "profit"] == pytest.approx(0.0)
    assert got["customer_periods"].tolist() == [2, 1, 1, 3]


def test_stage_clv_discounts_the_next_three_years():
    # one customer stable for 3 periods (absorbing stability) and one in decline
    per = pd.period_range("2020-01", periods=3, freq="M")
    stages = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 2],
            "period": list(per) * 2,
            "stage": [S, S, S, D, D, D],
            "purchases": [1] * 3 + [0] * 3,
            "spend": [100.0] * 3 + [0.0] * 3,
        }
    )
    with pytest.warns(UserWarning, match="absorbing"):
        got = lc.stage_clv(stages, margin=0.3, annual_discount_rate=0.10, horizon_years=3)
    d = 1.1 ** (1 / 12) - 1
    expected = sum(30.0 / (1 + d) ** t for t in range(1, 37))
    assert got.loc[S, "clv"] == pytest.approx(expected)
    assert got.loc[D, "clv"] == pytest.approx(0.0)
    assert got.loc[S, "customers"] == 1 and got.loc[S, "total_clv"] == pytest.approx(expected)


def test_stage_clv_on_cdnow_sample_orders_the_stages(cdnow_sample):
    clv = lc.stage_clv(lc.assign_stages(cdnow_sample), margin=0.3)
    assert (clv["clv"] >= 0).all()
    # a customer forming or stable now is worth more than one in decline
    assert clv.loc[F, "clv"] > clv.loc[D, "clv"] and clv.loc[S, "clv"] > clv.loc[D, "clv"]
    assert clv["customers"].sum() == cdnow_sample["customer_id"].nunique()


# --------------------------------------------------------------------------- curves and cohorts


def test_lifecycle_curve_by_age_exact(tiny_stages):
    got = lc.lifecycle_curve(stages=tiny_stages, margin=0.5)
    assert got["customers"].tolist() == [2, 2, 2, 1]
    assert got["purchases"].tolist() == [1.0, 1.0, 1.5, 0.0]
    assert got["profit"].tolist() == [5.0, 5.0, 7.5, 0.0]
    assert got.loc[1, "share_formation"] == 0.5 and got.loc[1, "share_decline"] == 0.5
    shares = got[[f"share_{s}" for s in lc.STAGES]].sum(axis=1)
    assert np.allclose(shares, 1.0)


def test_lifecycle_curve_by_stage(tiny_stages):
    got = lc.lifecycle_curve(stages=tiny_stages, align="stage", max_periods=2, min_customer_periods=1)
    assert got["stage"].astype(str).tolist() == [E, F, S, D, D]
    assert got["label"].tolist() == ["0", "0", "0", "0", "1+"]
    assert got["customer_periods"].tolist() == [2, 1, 1, 2, 1]
    with pytest.raises(ValueError, match="align"):
        lc.lifecycle_curve(stages=tiny_stages, align="calendar")


def test_cohort_retention_exact():
    log = pd.concat(
        [
            _log(1, ["2020-01-05", "2020-02-05"]),
            _log(2, ["2020-01-20"]),
            _log(3, ["2020-02-10", "2020-03-01"]),
        ]
    )
    got = lc.cohort_retention(log, observation_end="2020-03-31")
    expected = pd.DataFrame(
        {"customers": np.array([2, 1], dtype=np.int64), 0: [1.0, 1.0], 1: [0.5, 1.0], 2: [0.0, np.nan]},
        index=pd.PeriodIndex(["2020-01", "2020-02"], freq="M", name="cohort"),
    )
    expected.columns = pd.Index(["customers", 0, 1, 2], dtype=object)
    got.columns = pd.Index(list(got.columns), dtype=object)
    assert_frame_equal(got, expected, check_names=False)


def test_relationship_survival_kaplan_meier(tiny_stages):
    # customer 1 reaches decline at age 3, customer 2 at age 1: no censoring
    got = lc.relationship_survival(tiny_stages)
    assert got["time"].tolist() == [0.0, 1.0, 3.0]
    assert got["survival"].tolist() == [1.0, 0.5, 0.0]
    assert got["at_risk"].tolist() == [2, 2, 1]
    censored = tiny_stages.loc[~((tiny_stages["customer_id"] == 1) & (tiny_stages["stage"] == D))]
    got = lc.relationship_survival(censored)  # customer 1 now censored after 3 periods
    assert got["survival"].tolist() == [1.0, 0.5]


def test_survival_by_cohort_and_logrank(cdnow_sample):
    stages = lc.assign_stages(cdnow_sample)
    surv = lc.relationship_survival(stages, by="cohort")
    assert sorted(surv["group"].unique()) == ["1997-01", "1997-02", "1997-03"]
    assert surv.groupby("group")["survival"].apply(lambda s: s.is_monotonic_decreasing).all()
    assert (surv["lower"] <= surv["survival"]).all() and (surv["survival"] <= surv["upper"]).all()
    test = lc.survival_logrank(stages, by="cohort")
    assert test["df"] == 2 and 0 <= test["pvalue"] <= 1
    segment = pd.Series("a", index=stages["customer_id"].unique())
    with pytest.raises(ValueError, match="two groups"):
        lc.survival_logrank(stages, by=segment)


# --------------------------------------------------------------------------- sensitivity and accuracy


def test_threshold_sensitivity_moves_each_threshold(cdnow_sample):
    table = lc.threshold_sensitivity(cdnow_sample, names=["formation_repeats", "gap_factor"])
    assert table["threshold"].tolist() == ["(defaults)"] + ["formation_repeats"] * 2 + ["gap_factor"] * 2
    assert table["value"].tolist()[1:] == [2.0, 4.0, 2.25, 3.75]  # whole numbers move by one at least
    assert np.allclose(table[list(lc.STAGES)].sum(axis=1), 1.0)
    assert (table.loc[0, [f"d_{s}" for s in lc.STAGES]] == 0).all()
    # a longer silence before decline leaves fewer customers in decline
    assert table.loc[4, D] < table.loc[3, D]


def test_stage_scores_exact():
    confusion = pd.DataFrame(
        [[8, 2, 0, 0], [2, 6, 2, 0], [0, 0, 10, 0], [0, 0, 0, 10]],
        index=pd.Index(list(lc.STAGES), name="true"),
        columns=pd.Index(list(lc.STAGES), name="assigned"),
    )
    scores = lc.stage_scores(confusion)
    assert scores.loc[E, "precision"] == pytest.approx(0.8) and scores.loc[E, "recall"] == pytest.approx(0.8)
    assert scores.loc[F, "precision"] == pytest.approx(0.75) and scores.loc[F, "recall"] == pytest.approx(0.6)
    assert scores.loc[F, "f1"] == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert scores.loc[S, "f1"] == pytest.approx(2 * (10 / 12) / (10 / 12 + 1))
    assert scores.loc["macro", "f1"] == pytest.approx(scores["f1"].iloc[:4].mean())
    assert scores.loc["macro", "support"] == 40


def test_accuracy_against_the_simulator_truth():
    """Macro-F1 at the default thresholds on the evaluation seed (tuned on seed 1, measured on seed 2).

    Measured on seed 2: macro-F1 0.768 (exploration 0.784, formation 0.593, stability 0.784,
    decline 0.910); seeds 1..8 give 0.767 +- 0.003, so each bar is the measurement less about
    three standard deviations.
    """
    sim = simulate_lifecycle(2000, 24, seed=2)
    stages = lc.assign_stages(sim.transactions)
    scores = lc.stage_scores(lc.stage_confusion(sim.stages, stages))
    assert scores.loc["macro", "f1"] >= 0.758
    # the weakest stage is formation (short, and its start is hard to see in Poisson noise)
    assert scores.loc[F, "f1"] >= 0.57
    assert scores.loc[D, "f1"] >= 0.895
    assert scores.loc[E, "f1"] >= 0.765 and scores.loc[S, "f1"] >= 0.765


def test_accuracy_rises_with_the_purchase_rate():
    table = lc.simulation_accuracy("peak_rate_mean", [1.0, 8.0], n_customers=800)
    assert table.loc[8.0, "macro_f1"] > table.loc[1.0, "macro_f1"] + 0.1


def test_stage_confusion_needs_matching_rows(tiny_stages):
    other = tiny_stages.assign(customer_id=tiny_stages["customer_id"] + 100)
    with pytest.raises(DataValidationError, match="share no"):
        lc.stage_confusion(tiny_stages, other)


@pytest.mark.slow
def test_tune_thresholds_improves_or_keeps_the_start():
    sim = simulate_lifecycle(600, 18, seed=1)
    best, history = lc.tune_thresholds(
        sim.transactions, sim.stages, grid={"gap_factor": [2.0, 4.0], "formation_months": [3.0]}, passes=1
    )
    assert history["macro_f1"].max() == pytest.approx(history["macro_f1"].iloc[0]) or best != {}
    assert history["macro_f1"].iloc[0] <= history["macro_f1"].max()
    assert set(best) == set(lc.THRESHOLDS)


def test_stage_mix_rows_sum_to_one(hand_stages):
    mix = lc.stage_mix(hand_stages)
    assert list(mix.columns) == list(lc.STAGES)
    assert np.allclose(mix.sum(axis=1), 1.0)
    counts = lc.stage_mix(hand_stages, normalize=False)
    assert_series_equal(counts.sum(axis=1), pd.Series(5, index=counts.index), check_names=False,
                        check_dtype=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lc.stage_mix(hand_stages, by="age")
