"""Tests of analysis.clv.model: CLV from a count model, by hand with fake models and on real fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.clv import customer_lifetime_value
from analysis.models import BetaGeo, BetaGeoBetaBinom, GammaGamma
from analysis.models.protocol import CountModel
from analysis.models.rows import CustomerGrid


def _grid_from_calls(data, ts, one_horizon) -> CustomerGrid:
    """A CustomerGrid holding the full customers x times table of one-horizon calls."""
    ts = np.asarray(ts, dtype=float)
    values = np.column_stack([np.asarray(one_horizon(t), dtype=float) for t in ts])
    return CustomerGrid(data.index, ts, np.ones(len(data)), values, np.arange(len(data)))


class ConstantRate:
    """A fake count model: every customer buys at a constant rate per time unit, never dies.

    It implements the CountModel protocol, its grids built from one-horizon calls.
    """

    discrete_time = False

    def __init__(self, rate: pd.Series | float, alive: float = 1.0, time_unit: str | None = "W"):
        self.rate = rate
        self.alive = alive
        self.time_unit = time_unit

    def _rate(self, data):
        if isinstance(self.rate, pd.Series):
            return self.rate.reindex(data.index).to_numpy()
        return np.full(len(data), float(self.rate))

    def expected_purchases(self, data, *, t):
        return pd.Series(self._rate(data) * t, index=data.index)

    def expected_purchases_new_customer(self, *, t):
        return float(np.mean(np.atleast_1d(self.rate))) * np.asarray(t, dtype=float)

    def p_alive(self, data, *, t=0.0):
        return pd.Series(self.alive, index=data.index)

    def expected_purchases_grid(self, data, *, ts):
        return _grid_from_calls(data, ts, lambda t: self.expected_purchases(data, t=t))

    def p_alive_grid(self, data, *, ts):
        return _grid_from_calls(data, ts, lambda t: self.p_alive(data, t=t))

    def dert(self, data, *, annual_discount_rate, time_unit=None):
        raise NotImplementedError


@pytest.fixture
def three_customers():
    return pd.DataFrame(
        {
            "frequency": [0, 2, 5],
            "recency": [0.0, 10.0, 30.0],
            "T": [20.0, 30.0, 40.0],
            "monetary_value": [0.0, 20.0, 50.0],
        },
        index=pd.Index(["a", "b", "c"], name="customer_id"),
    )


def test_clv_constant_rate_equals_hand_computed_sum(three_customers):
    # 0.5 purchases a week, spend 40, margin 0.25: 5 per week of profit; 1 year, 10%, monthly steps
    model = ConstantRate(0.5)
    out = customer_lifetime_value(
        model,
        40.0,
        three_customers,
        horizon_years=1,
        annual_discount_rate=0.10,
        margin=0.25,
        time_unit="W",
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
    gg = GammaGamma.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    out = customer_lifetime_value(model, gg, three_customers, horizon_years=1)
    # Gamma-Gamma: p (gamma + x z) / (p x + q - 1), the population mean for x = 0
    x, z = three_customers["frequency"], three_customers["monetary_value"]
    np.testing.assert_allclose(out["expected_spend"], 6.25 * (15.44 + x * z) / (6.25 * x + 2.74))
    # spend and purchases multiply: one purchase a week for a year
    np.testing.assert_allclose(
        out["discounted_margin"], out["discounted_purchases"] * out["expected_spend"]
    )
    with pytest.raises(TypeError, match="spend_model"):
        customer_lifetime_value(model, "forty", three_customers)


def test_clv_needs_a_count_model_and_a_time_unit(three_customers):
    assert isinstance(ConstantRate(1.0), CountModel)

    class OnlyExpectations:  # no p_alive, no grids: not a CountModel
        time_unit = "W"

        def expected_purchases(self, data, *, t):
            return pd.Series(1.0 * t, index=data.index)

    with pytest.raises(TypeError, match="CountModel"):
        customer_lifetime_value(OnlyExpectations(), 10.0, three_customers)
    # the time unit: the model's own, or given; neither is an error
    no_unit = ConstantRate(1.0, time_unit=None)
    with pytest.raises(ValueError, match="time unit"):
        customer_lifetime_value(no_unit, 10.0, three_customers)
    given = customer_lifetime_value(no_unit, 10.0, three_customers, time_unit="W")
    pd.testing.assert_frame_equal(
        given, customer_lifetime_value(ConstantRate(1.0), 10.0, three_customers)
    )


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
    model = BetaGeoBetaBinom(time_unit="Y").fit(donations)  # one opportunity a year
    out = customer_lifetime_value(
        model, 50.0, donations, horizon_years=400, annual_discount_rate=0.10, margin=0.5
    )
    dert = model.dert(donations, annual_discount_rate=0.10, time_unit="Y")
    np.testing.assert_allclose(out["clv"], 25.0 * dert, rtol=1e-10)
    # five annual opportunities: the undiscounted purchases are the model's 5-year expectation
    five = customer_lifetime_value(
        model, 50.0, donations, horizon_years=5, time_unit="Y", cost_per_period=2.0
    )
    np.testing.assert_allclose(five["expected_purchases"], model.expected_purchases(donations, t=5))
    expected_cost = sum(2.0 * model.p_alive(donations, t=s) * 1.1**-s for s in range(1, 6))
    np.testing.assert_allclose(five["discounted_cost"], expected_cost)
    # quarterly opportunities: 400 years are 1,600 opportunities, the DERT at the quarterly rate
    quarterly = BetaGeoBetaBinom.from_params(model.params, time_unit="Q")
    out = customer_lifetime_value(quarterly, 1.0, donations, horizon_years=400)
    np.testing.assert_allclose(
        out["clv"], quarterly.dert(donations, annual_discount_rate=0.10), rtol=1e-10
    )
    # less than one opportunity in the horizon: nothing to value
    assert (customer_lifetime_value(model, 1.0, donations, horizon_years=0.5)["clv"] == 0).all()


@pytest.fixture(scope="module")
def cdnow_weekly_daily(cdnow_sample):
    from analysis import rfm

    kwargs = dict(observation_end="1998-06-30", calibration_end="1997-09-30")
    return rfm.summarize(cdnow_sample, "W", **kwargs), rfm.summarize(cdnow_sample, "D", **kwargs)


def test_clv_weekly_and_daily_summaries_agree(cdnow_weekly_daily):
    weekly, daily = cdnow_weekly_daily
    results = []
    for summary, unit in ((weekly, "W"), (daily, "D")):
        transactions = BetaGeo().fit(summary)
        spend = GammaGamma().fit(summary[summary["frequency"] > 0])
        assert transactions.time_unit == unit  # recorded from the summary's attrs
        results.append(customer_lifetime_value(transactions, spend, summary, margin=0.3)["clv"])
    w, d = results
    assert w.index.equals(d.index)
    assert d.sum() == pytest.approx(w.sum(), rel=0.01)
    np.testing.assert_allclose(d, w, rtol=0.01, atol=0.01)
    # the unit matters: a weekly model read as daily (an explicit override) stretches the
    # 3 years over 3 * 7 years
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
    alive = (
        model.p_alive(stacked, t=np.tile(mids, len(data))).to_numpy().reshape(len(data), n_steps)
    )
    discount = (1.0 + rate) ** -(mids / WEEKS_PER_YEAR)
    return pd.Series(alive @ discount * horizon / n_steps, index=data.index)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow_sample_summary):
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


def test_clv_does_not_hide_errors_inside_the_model(three_customers):
    class Broken(ConstantRate):
        def p_alive_grid(self, data, *, ts):
            raise TypeError("a bug inside the model")

    with pytest.raises(TypeError, match="a bug inside the model"):
        customer_lifetime_value(Broken(1.0), 10.0, three_customers, cost_per_period=1.0)


class _OneHorizonAtATime:
    """A count model whose grids are built from one-horizon calls: the reference for the grid path.

    The models' own grids are factored (P(alive now) times values on the distinct
    (x, T) rows); this one asks ``expected_purchases(data, t=t)`` and
    ``p_alive(data, t=t)`` once per time.
    """

    discrete_time = False

    def __init__(self, model):
        self.model = model
        self.time_unit = model.time_unit

    def expected_purchases(self, data, *, t):
        return self.model.expected_purchases(data, t=t)

    def expected_purchases_new_customer(self, *, t):
        return self.model.expected_purchases_new_customer(t=t)

    def p_alive(self, data, *, t=0.0):
        return self.model.p_alive(data, t=t)

    def expected_purchases_grid(self, data, *, ts):
        return _grid_from_calls(data, ts, lambda t: self.expected_purchases(data, t=t))

    def p_alive_grid(self, data, *, ts):
        return _grid_from_calls(data, ts, lambda t: self.p_alive(data, t=t))

    def dert(self, data, *, annual_discount_rate, time_unit=None):
        return self.model.dert(data, annual_discount_rate=annual_discount_rate, time_unit=time_unit)


@pytest.mark.parametrize("name", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"])
def test_clv_grid_path_equals_one_horizon_at_a_time(name, cdnow_sample_summary):
    from analysis import models

    data = cdnow_sample_summary
    model = getattr(models, name)().fit(data)
    spend = GammaGamma().fit(data[data["frequency"] > 0])
    reference = _OneHorizonAtATime(model)
    assert isinstance(reference, CountModel)
    kwargs = dict(margin=0.3, cost_per_period=0.05, cost_per_purchase=0.5, horizon_years=2.5)
    fast = customer_lifetime_value(model, spend, data, **kwargs)
    slow = customer_lifetime_value(reference, spend, data, **kwargs)
    assert fast.index.equals(slow.index) and list(fast.columns) == list(slow.columns)
    assert (fast["discounted_cost"] > 0).all()
    for col in fast.columns:
        np.testing.assert_allclose(fast[col], slow[col], rtol=1e-12, atol=1e-13, err_msg=col)
