"""Tests of analysis.clv.markov: Markov-chain CLV by hand, the transition estimator, the recency chain."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis.clv import (
    AbsorbingStateWarning,
    brand_switching_clv,
    markov_clv,
    markov_customer_clv,
    project_shares,
    recency_chain,
    recency_states,
    retention_clv,
    transition_matrix_from_counts,
)
from analysis.validate import DataValidationError


def test_markov_two_state_retention_chain_by_hand():
    P = [[0.8, 0.2], [0.0, 1.0]]  # active, lost (absorbing)
    v = markov_clv(P, [100, 0], 0.10)
    assert v.iloc[0] == pytest.approx(100 / (1 - 0.8 / 1.1))
    assert v.iloc[1] == 0.0
    # finite horizon 2 counts periods 0, 1, 2
    v2 = markov_clv(P, [100, 0], 0.10, horizon=2)
    assert v2.iloc[0] == pytest.approx(100 * (1 + 0.8 / 1.1 + 0.64 / 1.21))
    # only future periods
    v_future = markov_clv(P, [100, 0], 0.10, first_period=1)
    assert v_future.iloc[0] == pytest.approx(100 / (1 - 0.8 / 1.1) - 100)
    # the chain agrees with the seeds' retention formula for future periods
    assert v_future.iloc[0] == pytest.approx(retention_clv(100, 0.8, 0.10))


def test_markov_two_state_migration_chain_by_hand():
    # M = P / 1.25; (I - M)^-1 = [[.44, .32], [.24, .52]] / 0.152
    P = [[0.6, 0.4], [0.3, 0.7]]
    v = markov_clv(P, [50, 10], 0.25)
    assert v.to_numpy() == pytest.approx([25.2 / 0.152, 17.2 / 0.152], rel=1e-12)
    # horizon 1: R + M R = [50 + (.6*50 + .4*10)/1.25, 10 + (.3*50 + .7*10)/1.25]
    v1 = markov_clv(P, [50, 10], 0.25, horizon=1)
    assert v1.to_numpy() == pytest.approx([50 + 34 / 1.25, 10 + 22 / 1.25])


def test_markov_infinite_equals_long_finite_horizon():
    rng = np.random.default_rng(1)
    P = rng.random((5, 5))
    P /= P.sum(axis=1, keepdims=True)
    R = rng.normal(size=5) * 10
    inf = markov_clv(P, R, 0.05)
    fin = markov_clv(P, R, 0.05, horizon=2000)
    np.testing.assert_allclose(fin.to_numpy(), inf.to_numpy(), rtol=1e-10)
    # the closed form used for very long horizons agrees with the summation
    long = markov_clv(P, R, 0.05, horizon=6000)
    np.testing.assert_allclose(long.to_numpy(), inf.to_numpy(), rtol=1e-10)
    mid_sum = markov_clv(P, R, 0.05, horizon=4999, first_period=3)
    mid_closed = markov_clv(P, R, 0.05, horizon=10002, first_period=3) - markov_clv(
        P, R, 0.05, horizon=10002, first_period=5000
    )
    np.testing.assert_allclose(mid_sum.to_numpy(), mid_closed.to_numpy(), rtol=1e-9)


def test_markov_keeps_labels_and_aligns_reward():
    states = ["exploration", "formation", "stability", "decline", "lost"]
    P = pd.DataFrame(
        [
            [0.5, 0.3, 0.0, 0.1, 0.1],
            [0.0, 0.5, 0.3, 0.1, 0.1],
            [0.0, 0.0, 0.8, 0.15, 0.05],
            [0.0, 0.0, 0.0, 0.6, 0.4],
            [0.0, 0.0, 0.0, 0.0, 1.0],
        ],
        index=states,
        columns=states,
    )
    R = pd.Series(
        {"lost": 0.0, "decline": 5.0, "stability": 50.0, "formation": 30.0, "exploration": -5.0}
    )
    v = markov_clv(P, R, 0.1, horizon=3)
    assert list(v.index) == states
    assert v["lost"] == 0.0
    # column order differing from the rows is aligned by label
    v_perm = markov_clv(P[states[::-1]], R, 0.1, horizon=3)
    pd.testing.assert_series_equal(v, v_perm)
    # several reward columns valued at once
    both = markov_clv(P, pd.DataFrame({"margin": R, "double": 2 * R}), 0.1)
    np.testing.assert_allclose(both["double"], 2 * both["margin"])
    assert list(both.index) == states


def test_markov_validation_messages():
    with pytest.raises(ValueError, match=r"row 'b' sums to 0\.9"):
        markov_clv(
            pd.DataFrame([[1.0, 0.0], [0.5, 0.4]], index=["a", "b"], columns=["a", "b"]),
            [1, 2],
            0.1,
        )
    with pytest.raises(ValueError, match="square"):
        markov_clv(np.ones((2, 3)) / 3, [1, 2], 0.1)
    with pytest.raises(ValueError, match="one reward per state"):
        markov_clv(np.eye(3), [1, 2], 0.1)
    with pytest.raises(ValueError, match="negative"):
        markov_clv([[1.2, -0.2], [0, 1]], [1, 2], 0.1)
    with pytest.raises(ValueError, match="positive discount"):
        markov_clv(np.eye(2), [1, 2], 0.0)
    with pytest.raises(ValueError, match="missing"):
        markov_clv(
            pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"]),
            pd.Series({"a": 1.0}),
            0.1,
        )
    # undiscounted finite horizon is allowed: 3 periods in state 0 of the identity chain
    assert markov_clv(np.eye(2), [1, 2], 0.0, horizon=2).tolist() == [3.0, 6.0]


def test_brand_switching_hand_computed():
    brands = list("ABC")
    P = pd.DataFrame(
        [[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]], index=brands, columns=brands
    )
    shares = pd.Series([0.6, 0.3, 0.1], index=brands)
    proj = project_shares(shares, P, 1)
    np.testing.assert_allclose(proj.loc[1].to_numpy(), [0.55, 0.28, 0.17])
    v = brand_switching_clv(shares, P, category_spend=100, margin=0.2, discount=0.1, horizon=1)
    np.testing.assert_allclose(
        v.to_numpy(), [20 * (0.6 + 0.55 / 1.1), 20 * (0.3 + 0.28 / 1.1), 20 * (0.1 + 0.17 / 1.1)]
    )
    # the brands' values add up to the whole category's margin
    total = brand_switching_clv(shares, P, 100, 0.2, 0.1)
    assert total.sum() == pytest.approx(20 * 1.1 / 0.1)
    # infinite horizon: the long-run share (stationary distribution) dominates
    stationary = np.linalg.matrix_power(P.to_numpy(), 500)[0]
    far = brand_switching_clv(shares, P, 100, 0.2, 0.1, horizon=60, first_period=60)
    np.testing.assert_allclose(far.to_numpy(), 20 * stationary / 1.1**60, rtol=1e-8)
    with pytest.raises(ValueError, match="sum to 1"):
        brand_switching_clv([0.6, 0.3, 0.2], P.to_numpy(), 100, 0.2, 0.1)


@pytest.fixture
def monthly_log():
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b", "c"],
            "date": pd.to_datetime(
                ["2020-01-05", "2020-03-02", "2020-03-20", "2020-02-10", "2020-05-01"]
            ),
            "amount": [50.0, 10.0, 30.0, 20.0, 99.0],  # c buys after the observation end: ignored
        }
    )


def test_recency_states(monthly_log):
    states = recency_states(monthly_log, "M", observation_end="2020-04-30", max_recency=5)
    labels = ["0", "1", "2+"]  # 4 months observed: the cap is lowered to 4 - 2
    expected = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b", "b"],
            "period": pd.PeriodIndex(
                ["2020-01", "2020-02", "2020-03", "2020-04", "2020-02", "2020-03", "2020-04"],
                freq="M",
            ),
            "state": pd.Categorical(
                ["0", "1", "0", "1", "0", "1", "2+"], categories=labels, ordered=True
            ),
            "spend": [50.0, 0.0, 40.0, 0.0, 20.0, 0.0, 0.0],
            "acquisition": [True, False, False, False, True, False, False],
        }
    )
    pd.testing.assert_frame_equal(states, expected)
    with pytest.raises(DataValidationError, match="amount"):
        recency_states(monthly_log.drop(columns=["amount"]))


def test_recency_chain_and_markov_clv(monthly_log):
    states = recency_states(monthly_log, "M", observation_end="2020-04-30", max_recency=5)
    with pytest.warns(AbsorbingStateWarning, match=r"\['2\+'\]"):
        P, R = recency_chain(states, margin=0.5)
    labels = pd.Index(["0", "1", "2+"])
    # from 0: always to 1; from 1: half back to 0, half to 2+; 2+ is never left in the data: absorbing
    expected_P = pd.DataFrame(
        [[0, 1, 0], [0.5, 0, 0.5], [0, 0, 1]],
        index=labels.rename("state"),
        columns=labels,
        dtype=float,
    )
    pd.testing.assert_frame_equal(P, expected_P)
    # reward: margin x mean spend of non-acquisition months in the state (a's March: 40)
    pd.testing.assert_series_equal(
        R, pd.Series([20.0, 0.0, 0.0], index=labels.rename("state"), name="reward")
    )
    # three months ahead, undiscounted: from state 1, P R = [0, 10, 0], P^2 R = [10, 0, 0], P^3 R = [0, 5, 0]
    values = markov_customer_clv(
        states, P, R, annual_discount_rate=0.0, horizon_years=0.25, period="M"
    )
    expected = pd.Series([15.0, 0.0], index=pd.Index(["a", "b"], name="customer_id"), name="clv")
    pd.testing.assert_series_equal(values, expected)
    # discounting lowers the value
    assert markov_customer_clv(states, P, R, 0.10, 0.25, "M")["a"] < 15.0


# ----- the one transition estimator ------------------------------------------------------------
def test_transition_matrix_from_counts_divides_each_row_by_its_total():
    counts = pd.DataFrame(
        [[6, 2, 2], [1, 3, 0], [0, 0, 5]],
        index=pd.Index(["a", "b", "lost"], name="from"),
        columns=pd.Index(["a", "b", "lost"], name="to"),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every state is left (or stays by observation): no warning
        P = transition_matrix_from_counts(counts)
    expected = pd.DataFrame(
        [[0.6, 0.2, 0.2], [0.25, 0.75, 0.0], [0.0, 0.0, 1.0]],
        index=counts.index,
        columns=counts.columns,
    )
    pd.testing.assert_frame_equal(P, expected)
    # columns in another order are aligned to the rows' states
    pd.testing.assert_frame_equal(
        transition_matrix_from_counts(counts[["lost", "a", "b"]]), expected
    )
    # the result is a valid chain for markov_clv
    assert markov_clv(P, [10.0, 5.0, 0.0], 0.1).loc["lost"] == 0.0


def test_states_never_left_are_absorbing_and_named_in_a_warning():
    # "c" has a row of zeros; "lost" appears only as a destination
    counts = pd.DataFrame(
        {"a": [1.0, 2.0, 0.0], "c": [1.0, 0.0, 0.0], "lost": [2.0, 0.0, 0.0]}, index=["a", "b", "c"]
    )
    with pytest.warns(AbsorbingStateWarning, match=r"\['c', 'lost'\]") as caught:
        P = transition_matrix_from_counts(counts)
    assert issubclass(caught[0].category, UserWarning)
    assert list(P.index) == ["a", "b", "c", "lost"] and list(P.columns) == ["a", "b", "c", "lost"]
    np.testing.assert_allclose(P.loc["a"], [0.25, 0.0, 0.25, 0.5])
    np.testing.assert_allclose(P.loc["b"], [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(P.loc["c"], [0.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(P.loc["lost"], [0.0, 0.0, 0.0, 1.0])


def test_transition_matrix_from_counts_rejects_bad_counts():
    with pytest.raises(ValueError, match="non-negative"):
        transition_matrix_from_counts(pd.DataFrame([[1.0, -1.0], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="non-negative"):
        transition_matrix_from_counts(pd.DataFrame([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="DataFrame"):
        transition_matrix_from_counts(np.eye(2))
    with pytest.raises(ValueError, match="one row"):
        transition_matrix_from_counts(pd.DataFrame(np.eye(2), index=["a", "a"], columns=["a", "b"]))


def test_markov_customer_clv_discounts_at_the_per_period_rate(monthly_log):
    # one state, always kept, reward 1 a month: the value is the annuity at the monthly rate
    states = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "state": pd.Categorical(["0", "0"], categories=["0"], ordered=True),
            "spend": [1.0, 1.0],
            "acquisition": [True, False],
        }
    )
    P = pd.DataFrame([[1.0]], index=pd.Index(["0"], name="state"), columns=["0"])
    R = pd.Series([1.0], index=P.index, name="reward")
    value = markov_customer_clv(
        states, P, R, annual_discount_rate=0.10, horizon_years=1.0, period="M"
    )
    monthly = 1.1 ** (1 / 12) - 1
    assert value["a"] == pytest.approx(sum((1 + monthly) ** -k for k in range(1, 13)), rel=1e-12)
