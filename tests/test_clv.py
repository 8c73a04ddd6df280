"""Tests of analysis.clv: hand-computed values for the seed formulas, Markov CLV and model CLV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.clv import (
    brand_switching_clv,
    formula_clv,
    markov_clv,
    project_shares,
    retention_clv,
)


# ----------------------------------------------------------------------------------------------
# formula_clv
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# retention_clv
# ----------------------------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------------------------
# markov_clv
# ----------------------------------------------------------------------------------------------
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
    R = pd.Series({"lost": 0.0, "decline": 5.0, "stability": 50.0, "formation": 30.0, "exploration": -5.0})
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
        markov_clv(pd.DataFrame([[1.0, 0.0], [0.5, 0.4]], index=["a", "b"], columns=["a", "b"]), [1, 2], 0.1)
    with pytest.raises(ValueError, match="square"):
        markov_clv(np.ones((2, 3)) / 3, [1, 2], 0.1)
    with pytest.raises(ValueError, match="one reward per state"):
        markov_clv(np.eye(3), [1, 2], 0.1)
    with pytest.raises(ValueError, match="negative"):
        markov_clv([[1.2, -0.2], [0, 1]], [1, 2], 0.1)
    with pytest.raises(ValueError, match="positive discount"):
        markov_clv(np.eye(2), [1, 2], 0.0)
    with pytest.raises(ValueError, match="missing"):
        markov_clv(pd.DataFrame(np.eye(2), index=["a", "b"], columns=["a", "b"]), pd.Series({"a": 1.0}), 0.1)
    # undiscounted finite horizon is allowed: 3 periods in state 0 of the identity chain
    assert markov_clv(np.eye(2), [1, 2], 0.0, horizon=2).tolist() == [3.0, 6.0]


def test_brand_switching_hand_computed():
    brands = list("ABC")
    P = pd.DataFrame([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8]], index=brands, columns=brands)
    shares = pd.Series([0.6, 0.3, 0.1], index=brands)
    proj = project_shares(shares, P, 1)
    np.testing.assert_allclose(proj.loc[1].to_numpy(), [0.55, 0.28, 0.17])
    v = brand_switching_clv(shares, P, category_spend=100, margin=0.2, discount=0.1, horizon=1)
    np.testing.assert_allclose(v.to_numpy(), [20 * (0.6 + 0.55 / 1.1), 20 * (0.3 + 0.28 / 1.1), 20 * (0.1 + 0.17 / 1.1)])
    # the brands' values add up to the whole category's margin
    total = brand_switching_clv(shares, P, 100, 0.2, 0.1)
    assert total.sum() == pytest.approx(20 * 1.1 / 0.1)
    # infinite horizon: the long-run share (stationary distribution) dominates
    stationary = np.linalg.matrix_power(P.to_numpy(), 500)[0]
    far = brand_switching_clv(shares, P, 100, 0.2, 0.1, horizon=60, first_period=60)
    np.testing.assert_allclose(far.to_numpy(), 20 * stationary / 1.1**60, rtol=1e-8)
    with pytest.raises(ValueError, match="sum to 1"):
        brand_switching_clv([0.6, 0.3, 0.2], P.to_numpy(), 100, 0.2, 0.1)


# ----------------------------------------------------------------------------------------------
# customer_lifetime_value
# ----------------------------------------------------------------------------------------------
from analysis.clv import customer_lifetime_value  # noqa: E402
from analysis.models import BetaGeoBetaBinom, GammaGamma  # noqa: E402


class ConstantRate:
    """A fake transaction model: every customer buys at a constant rate per time unit, never dies."""

    def __init__(self, rate: pd.Series | float, alive: float = 1.0):
        self.rate = rate
        self.alive = alive

    def _rate(self, data):
        if isinstance(self.rate, pd.Series):
            return self.rate.reindex(data.index).to_numpy()
        return np.full(len(data), float(self.rate))

    def expected_purchases(self, t, data):
        return pd.Series(self._rate(data) * t, index=data.index)

    def p_alive(self, data, t=0.0):
        return pd.Series(self.alive, index=data.index)


class NoFutureSurvival(ConstantRate):
    def p_alive(self, data):
        return pd.Series(1.0, index=data.index)


@pytest.fixture
def three_customers():
    return pd.DataFrame(
        {"frequency": [0, 2, 5], "recency": [0.0, 10.0, 30.0], "T": [20.0, 30.0, 40.0], "monetary_value": [0.0, 20.0, 50.0]},
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )


def test_clv_constant_rate_equals_hand_computed_sum(three_customers):
    # 0.5 purchases a week, spend 40, margin 0.25: 5 per week of profit; 1 year, 10%, monthly steps
    model = ConstantRate(0.5)
    out = customer_lifetime_value(
        model, 40.0, three_customers, horizon_years=1, annual_discount_rate=0.10, margin=0.25, time_unit="W"
    )
    weeks = 365.25 / 7
    h = weeks / 12
    expected = sum(0.5 * h * 40 * 0.25 * 1.1 ** -((k - 0.5) / 12) for k in range(1, 13))
    np.testing.assert_allclose(out["clv"], expected, rtol=1e-12)
    np.testing.assert_allclose(out["expected_purchases"], 0.5 * weeks)
    np.testing.assert_allclose(out["expected_spend"], 40.0)
    assert list(out.columns) == [
        "expected_purchases",
        "discounted_purchases",
        "expected_spend",
        "discounted_margin",
        "discounted_cost",
        "clv",
    ]
    assert out.index.equals(three_customers.index)
    # the midpoint rule is close to the continuous discounted integral 5 * weeks * (1 - 1.1^-1) / ln 1.1
    integral = 0.5 * 40 * 0.25 * weeks * (1 - 1 / 1.1) / np.log(1.1)
    np.testing.assert_allclose(out["clv"], integral, rtol=1e-4)


def test_clv_cost_per_period_and_per_purchase(three_customers):
    model = ConstantRate(pd.Series({"a": 0.0, "b": 1.0, "c": 2.0}), alive=0.5)
    out = customer_lifetime_value(
        model,
        10.0,
        three_customers,
        horizon_years=2,
        annual_discount_rate=0.0,
        cost_per_period=3.0,
        cost_per_purchase=1.0,
        time_unit="D",
    )
    days = 2 * 365.25
    # undiscounted: cost 3 a day while alive (probability 0.5) plus 1 per purchase
    np.testing.assert_allclose(out["discounted_cost"], 3 * 0.5 * days + np.array([0, 1, 2]) * days)
    np.testing.assert_allclose(out["clv"], np.array([0, 1, 2]) * days * 10 - out["discounted_cost"])
    assert out.loc["a", "clv"] < 0  # a customer who costs more than she brings: negative value


def test_clv_spend_models(three_customers):
    model = ConstantRate(1.0)
    spend = pd.Series({"c": 5.0, "b": 3.0, "a": 1.0})
    out = customer_lifetime_value(model, spend, three_customers, horizon_years=1)
    np.testing.assert_allclose(out["expected_spend"], [1.0, 3.0, 5.0])
    with pytest.raises(ValueError, match=r"no spend for 1 customer"):
        customer_lifetime_value(model, spend.drop("a"), three_customers)
    gg = GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44}) if hasattr(GammaGamma, "from_params") else None
    if gg is None:
        gg = GammaGamma()
        gg.params = pd.Series([6.25, 3.74, 15.44], index=["p", "q", "gamma"])
    out = customer_lifetime_value(model, gg, three_customers, horizon_years=1)
    np.testing.assert_allclose(out["expected_spend"], gg.expected_spend(three_customers))
    with pytest.raises(TypeError, match="spend_model"):
        customer_lifetime_value(model, "forty", three_customers)


def test_clv_cost_needs_future_survival(three_customers):
    with pytest.raises(ValueError, match=r"p_alive\(data, t\)"):
        customer_lifetime_value(NoFutureSurvival(1.0), 10.0, three_customers, cost_per_period=1.0)
    # without a cost per period the model's p_alive is not needed
    customer_lifetime_value(NoFutureSurvival(1.0), 10.0, three_customers)


def test_clv_argument_checks(three_customers):
    with pytest.raises(ValueError, match="time_unit"):
        customer_lifetime_value(ConstantRate(1.0), 1.0, three_customers, time_unit="weeks")
    with pytest.raises(ValueError, match="horizon_years"):
        customer_lifetime_value(ConstantRate(1.0), 1.0, three_customers, horizon_years=-1)
    zero = customer_lifetime_value(ConstantRate(1.0), 1.0, three_customers, horizon_years=0)
    # a zero horizon still takes one (empty) step and values nothing
    assert (zero["clv"] == 0).all()


def test_clv_discrete_model_long_horizon_equals_dert():
    from analysis.data import load_donations

    donations = load_donations()
    model = BetaGeoBetaBinom().fit(donations)
    out = customer_lifetime_value(
        model, 50.0, donations, horizon_years=400, annual_discount_rate=0.10, margin=0.5, time_unit="Y"
    )
    np.testing.assert_allclose(out["clv"], 25.0 * model.dert(donations, 0.10), rtol=1e-10)
    # five annual opportunities: the undiscounted purchases are the model's 5-year expectation
    five = customer_lifetime_value(model, 50.0, donations, horizon_years=5, time_unit="Y", cost_per_period=2.0)
    np.testing.assert_allclose(five["expected_purchases"], model.expected_purchases(5, donations))
    expected_cost = sum(2.0 * model.p_alive(donations, s) * 1.1**-s for s in range(1, 6))
    np.testing.assert_allclose(five["discounted_cost"], expected_cost)


@pytest.fixture(scope="module")
def cdnow_weekly_daily(cdnow_sample):
    from analysis import rfm

    kwargs = dict(observation_end="1998-06-30", calibration_end="1997-09-30")
    return rfm.summarize(cdnow_sample, "W", **kwargs), rfm.summarize(cdnow_sample, "D", **kwargs)


def test_clv_weekly_and_daily_summaries_agree(cdnow_weekly_daily):
    models = pytest.importorskip("analysis.models")
    BetaGeo = getattr(models, "BetaGeo", None)
    if BetaGeo is None:
        pytest.skip("BetaGeo not available yet")
    weekly, daily = cdnow_weekly_daily
    results = []
    for summary, unit in ((weekly, "W"), (daily, "D")):
        transactions = BetaGeo().fit(summary)
        spend = GammaGamma().fit(summary[summary["frequency"] > 0])
        results.append(
            customer_lifetime_value(transactions, spend, summary, time_unit=unit, margin=0.3)["clv"]
        )
    w, d = results
    assert w.index.equals(d.index)
    assert d.sum() == pytest.approx(w.sum(), rel=0.01)
    np.testing.assert_allclose(d, w, rtol=0.01, atol=0.01)
    # the unit matters: a weekly model read as daily stretches the 3 years over 3 * 7 years
    transactions = BetaGeo().fit(weekly)
    wrong = customer_lifetime_value(transactions, 30.0, weekly, time_unit="D")["clv"].sum()
    right = customer_lifetime_value(transactions, 30.0, weekly, time_unit="W")["clv"].sum()
    assert wrong > 2 * right


# ----------------------------------------------------------------------------------------------
# costs while alive with the continuous-time models
# ----------------------------------------------------------------------------------------------
WEEKS_PER_YEAR = 365.25 / 7


def _discounted_alive_weeks(model, data, years=3.0, rate=0.10, n_steps=2000):
    """Integral over the horizon of P(alive at T + t) (1 + rate)^-(t in years) dt, fine midpoints.

    All steps in one call: each customer repeated once per step, with her own t.
    """
    horizon = years * WEEKS_PER_YEAR
    mids = (np.arange(n_steps) + 0.5) * horizon / n_steps
    stacked = data.iloc[np.repeat(np.arange(len(data)), n_steps)].reset_index(drop=True)
    alive = model.p_alive(stacked, np.tile(mids, len(data))).to_numpy().reshape(len(data), n_steps)
    discount = (1.0 + rate) ** -(mids / WEEKS_PER_YEAR)
    return pd.Series(alive @ discount * horizon / n_steps, index=data.index)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow_sample_summary):
    from analysis.models import BetaGeo

    return BetaGeo().fit(cdnow_sample_summary)


def test_clv_cost_per_period_is_the_discounted_alive_time(cdnow_bgnbd, cdnow_sample_summary):
    data = cdnow_sample_summary
    cost = 0.05  # per week alive
    base = customer_lifetime_value(cdnow_bgnbd, 30.0, data, margin=0.3)
    costed = customer_lifetime_value(cdnow_bgnbd, 30.0, data, margin=0.3, cost_per_period=cost)
    # the cost leaves the margin alone and comes off the value, for every customer
    np.testing.assert_array_equal(costed["discounted_margin"], base["discounted_margin"])
    assert (base["discounted_cost"] == 0).all() and (costed["discounted_cost"] > 0).all()
    np.testing.assert_allclose(base["clv"] - costed["clv"], costed["discounted_cost"], rtol=1e-12)
    # ... and equals the cost times the discounted expected weeks alive, computed independently
    picked = data.iloc[::120]
    weeks = _discounted_alive_weeks(cdnow_bgnbd, picked)
    assert weeks.min() > 0.5 and weeks.max() < 3 * WEEKS_PER_YEAR
    drop = (base["clv"] - costed["clv"]).loc[picked.index]
    np.testing.assert_allclose(drop, cost * weeks, rtol=1e-3)  # monthly midpoint steps
    weekly = customer_lifetime_value(
        cdnow_bgnbd, 30.0, picked, margin=0.3, cost_per_period=cost, steps_per_year=52
    )
    np.testing.assert_allclose(weekly["discounted_cost"], cost * weeks, rtol=5e-5)


def test_clv_with_cost_weekly_and_daily_summaries_agree(cdnow_weekly_daily):
    from analysis.models import BetaGeo

    weekly, daily = cdnow_weekly_daily
    results = []
    for summary, unit, cost in ((weekly, "W", 0.05), (daily, "D", 0.05 / 7)):
        transactions = BetaGeo().fit(summary)
        spend = GammaGamma().fit(summary[summary["frequency"] > 0])
        results.append(
            customer_lifetime_value(
                transactions, spend, summary, time_unit=unit, margin=0.3, cost_per_period=cost
            )
        )
    w, d = results
    assert w.index.equals(d.index)
    assert (w["discounted_cost"] > 0).all()
    assert d["discounted_cost"].sum() == pytest.approx(w["discounted_cost"].sum(), rel=0.01)
    assert d["clv"].sum() == pytest.approx(w["clv"].sum(), rel=0.01)
    np.testing.assert_allclose(d["clv"], w["clv"], rtol=0.01, atol=0.01)


@pytest.mark.parametrize("name", ["ModifiedBetaGeo", "ParetoNBD"])
def test_clv_cost_per_period_with_other_count_models(name, cdnow_sample_summary):
    from analysis import models

    data = cdnow_sample_summary
    model = getattr(models, name)().fit(data)
    picked = data.iloc[::200]
    out = customer_lifetime_value(model, 30.0, picked, margin=0.3, cost_per_period=0.05)
    weeks = _discounted_alive_weeks(model, picked)
    np.testing.assert_allclose(out["discounted_cost"], 0.05 * weeks, rtol=1e-3)


def test_clv_does_not_hide_errors_inside_p_alive(three_customers):
    class Broken(ConstantRate):
        def p_alive(self, data, t=0.0):
            raise TypeError("a bug inside the model")

    with pytest.raises(TypeError, match="a bug inside the model"):
        customer_lifetime_value(Broken(1.0), 10.0, three_customers, cost_per_period=1.0)


class _OneHorizonAtATime:
    """A count model seen through ``expected_purchases(t)`` and ``p_alive(data, t)`` only.

    Hides the models' grid methods, so that customer_lifetime_value takes its
    step-by-step path: the reference for the grid path.
    """

    def __init__(self, model):
        self.model = model

    def expected_purchases(self, t, data):
        return self.model.expected_purchases(t, data)

    def p_alive(self, data, t=0.0):
        return self.model.p_alive(data, t)


@pytest.mark.parametrize("name", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"])
def test_clv_grid_path_equals_one_horizon_at_a_time(name, cdnow_sample_summary):
    from analysis import models

    data = cdnow_sample_summary
    model = getattr(models, name)().fit(data)
    spend = GammaGamma().fit(data[data["frequency"] > 0])
    assert hasattr(model, "expected_purchases_grid") and hasattr(model, "p_alive_grid")
    kwargs = dict(margin=0.3, cost_per_period=0.05, cost_per_purchase=0.5, horizon_years=2.5)
    fast = customer_lifetime_value(model, spend, data, **kwargs)
    slow = customer_lifetime_value(_OneHorizonAtATime(model), spend, data, **kwargs)
    assert fast.index.equals(slow.index) and list(fast.columns) == list(slow.columns)
    assert (fast["discounted_cost"] > 0).all()
    np.testing.assert_array_equal(fast["expected_purchases"], slow["expected_purchases"])
    for col in fast.columns:
        np.testing.assert_allclose(fast[col], slow[col], rtol=1e-12, atol=1e-13, err_msg=col)
