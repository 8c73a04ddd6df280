"""BTYD simulators: shape of the outputs, consistency of log and summary, and the laws they draw from."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.rfm import summarize
from analysis.simulate import Simulation, simulate_bgnbd, simulate_mbgnbd, simulate_paretonbd

WINDOW = dict(
    acquisition_start="2024-01-01", acquisition_end="2024-03-31", observation_end="2024-12-31"
)


@pytest.fixture(scope="module")
def bg_sim():
    return simulate_bgnbd(5_000, 0.4, 20.0, 0.8, 2.5, seed=1, holdout_end="2025-03-31", **WINDOW)


def test_outputs_and_columns(bg_sim):
    assert isinstance(bg_sim, Simulation) and bg_sim.stages is None
    log, summary, params, truth = bg_sim.transactions, bg_sim.summary, bg_sim.params, bg_sim.truth
    assert list(log.columns) == ["customer_id", "date", "amount", "quantity"]
    assert np.issubdtype(log["date"].dtype, np.datetime64)
    assert (log["date"] == log["date"].dt.normalize()).all()  # floored to days
    assert (log["amount"] > 0).all() and (log["quantity"] >= 1).all()
    assert list(summary.columns[:4]) == ["frequency", "recency", "T", "monetary_value"]
    assert {"frequency_holdout", "monetary_value_holdout", "duration_holdout"} <= set(
        summary.columns
    )
    assert summary.index.equals(truth.index) and len(summary) == 5_000
    assert {"lambda", "p", "alive", "nu", "mean_spend", "acquired"} <= set(truth.columns)
    assert params["r"] == 0.4 and params["time_unit"] == "D"
    assert (summary["recency"] <= summary["T"]).all()
    assert (summary.loc[summary["frequency"] == 0, "recency"] == 0).all()
    # first purchases fall in the acquisition window, none after the holdout end
    first = log.groupby("customer_id")["date"].min()
    assert first.min() >= pd.Timestamp("2024-01-01") and first.max() <= pd.Timestamp("2024-03-31")
    assert log["date"].max() <= pd.Timestamp("2025-03-31")


def test_seeded_and_reproducible():
    a = simulate_paretonbd(500, 0.5, 10.0, 0.6, 12.0, seed=9, time_unit="W", **WINDOW)
    b = simulate_paretonbd(500, 0.5, 10.0, 0.6, 12.0, seed=9, time_unit="W", **WINDOW)
    c = simulate_paretonbd(500, 0.5, 10.0, 0.6, 12.0, seed=10, time_unit="W", **WINDOW)
    pd.testing.assert_frame_equal(a.transactions, b.transactions)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert not a.summary.equals(c.summary)


def test_log_and_exact_summary_agree_up_to_day_rounding(bg_sim):
    log, summary = bg_sim.transactions, bg_sim.summary
    # every purchase is a row of the log: calibration rows minus the first = frequency
    in_cal = log["date"] <= pd.Timestamp("2024-12-31")
    rows_cal = in_cal.groupby(log["customer_id"]).sum().reindex(summary.index)
    rows_hold = (~in_cal).groupby(log["customer_id"]).sum().reindex(summary.index)
    assert (rows_cal - 1 == summary["frequency"]).all()
    assert (rows_hold == summary["frequency_holdout"]).all()
    # the summary of the (day-floored) log: same-day purchases merge, times move < 1 day
    from_log = summarize(log, "D", observation_end="2025-03-31", calibration_end="2024-12-31")
    from_log = from_log.reindex(summary.index)
    assert (from_log["frequency"] <= summary["frequency"]).all()
    same = from_log["frequency"] == summary["frequency"]
    assert same.mean() > 0.9
    assert np.allclose(from_log.loc[same, "T"], summary.loc[same, "T"], atol=1.0)
    assert np.allclose(from_log.loc[same, "recency"], summary.loc[same, "recency"], atol=1.0)


def test_time_unit_scales_the_summary():
    d = simulate_bgnbd(
        300, 0.4, 20.0, 0.8, 2.5, seed=4, time_unit="D", transactions=False, **WINDOW
    )
    w = simulate_bgnbd(
        300, 0.4, 20.0 / 7, 0.8, 2.5, seed=4, time_unit="W", transactions=False, **WINDOW
    )
    np.testing.assert_allclose(w.summary["T"] * 7, d.summary["T"])


def test_bg_nbd_laws():
    sim = simulate_bgnbd(200_000, 0.4, 20.0, 0.8, 2.5, seed=2, transactions=False, **WINDOW)
    truth, summary = sim.truth, sim.summary
    # lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b)
    assert truth["lambda"].mean() == pytest.approx(0.4 / 20.0, rel=0.02)
    assert truth["p"].mean() == pytest.approx(0.8 / 3.3, rel=0.01)
    # a customer with no repeat purchase has had no chance to drop out
    assert truth.loc[summary["frequency"] == 0, "alive"].all()
    # among customers with lambda tiny, nobody buys
    assert summary.loc[truth["lambda"] < 1e-6, "frequency"].sum() == 0


def test_mbg_nbd_drops_out_at_time_zero():
    sim = simulate_mbgnbd(100_000, 0.4, 20.0, 0.8, 2.5, seed=3, transactions=False, **WINDOW)
    # P(dropped out at the first purchase) = E[p] = a / (a + b)
    dead_at_zero = (~sim.truth["alive"]) & (sim.summary["frequency"] == 0)
    assert dead_at_zero.mean() == pytest.approx(0.8 / 3.3, abs=4 * np.sqrt(0.25 / 100_000))


def test_pareto_nbd_laws():
    sim = simulate_paretonbd(
        200_000, 0.5, 10.0, 0.6, 12.0, seed=5, time_unit="W", transactions=False, **WINDOW
    )
    truth, summary = sim.truth, sim.summary
    assert truth["mu"].mean() == pytest.approx(0.6 / 12.0, rel=0.02)
    # P(alive at T | mu) = exp(-mu T): averaged, (beta / (beta + T))^s
    expected_alive = np.mean((12.0 / (12.0 + summary["T"])) ** 0.6)
    assert truth["alive"].mean() == pytest.approx(
        expected_alive, abs=4 * np.sqrt(0.25 / len(truth))
    )


def test_gamma_gamma_spend():
    sim = simulate_bgnbd(100_000, 2.0, 20.0, 0.5, 5.0, seed=6, p=6.0, q=4.0, gamma=15.0, **WINDOW)
    log, truth = sim.transactions, sim.truth
    # E[value] = p gamma / (q - 1) over customers and purchases
    per_customer = log.groupby("customer_id")["amount"].mean()
    assert per_customer.mean() == pytest.approx(6.0 * 15.0 / 3.0, rel=0.03)
    assert truth["mean_spend"].mean() == pytest.approx(6.0 * 15.0 / 3.0, rel=0.03)


def test_bad_arguments():
    with pytest.raises(ValueError, match="positive"):
        simulate_bgnbd(10, -1.0, 1.0, 1.0, 1.0, **WINDOW)
    with pytest.raises(ValueError, match="n_customers"):
        simulate_paretonbd(0, 1.0, 1.0, 1.0, 1.0, **WINDOW)
    with pytest.raises(ValueError, match="observation_end"):
        simulate_bgnbd(
            10, 1.0, 1.0, 1.0, 1.0, acquisition_end="2025-01-01", observation_end="2024-12-31"
        )
    with pytest.raises(TypeError, match="unknown"):
        simulate_mbgnbd(10, 1.0, 1.0, 1.0, 1.0, colour="blue")


def test_covariates_default_off_and_drawn_with_the_seed():
    kw = dict(n_customers=2_000, r=0.5, alpha=5.0, a=0.8, b=3.0, seed=3, transactions=False)
    plain = simulate_bgnbd(**kw)
    off = simulate_bgnbd(**kw, purchase_coefficients=None, dropout_coefficients={})
    pd.testing.assert_frame_equal(plain.summary, off.summary)
    sim = simulate_bgnbd(**kw, purchase_coefficients={"binary": 1.0, "normal": 0.0})
    assert {"binary", "normal"} <= set(sim.summary.columns)
    assert set(np.unique(sim.summary["binary"])) == {0.0, 1.0}
    assert sim.params["purchase:binary"] == 1.0 and sim.params["purchase:normal"] == 0.0
    again = simulate_bgnbd(**kw, purchase_coefficients={"binary": 1.0, "normal": 0.0})
    pd.testing.assert_frame_equal(sim.summary, again.summary)


def test_covariates_scale_the_rates_as_the_models_say():
    n = 40_000
    z = pd.DataFrame({"vip": np.r_[np.zeros(n // 2), np.ones(n // 2)]})
    kw = dict(seed=5, transactions=False, attributes=z)
    # purchase rate x e for vip (alpha_i = alpha exp(-1)): mean lambda r / alpha_i
    sim = simulate_paretonbd(n, 0.8, 4.0, 1.0, 10.0, purchase_coefficients={"vip": 1.0}, **kw)
    lam = sim.truth["lambda"].to_numpy()
    ratio = lam[n // 2 :].mean() / lam[: n // 2].mean()
    assert ratio == pytest.approx(np.e, rel=0.05)
    # Pareto/NBD dropout rate x 2 for vip (beta_i = beta / 2)
    sim = simulate_paretonbd(n, 0.8, 4.0, 1.0, 10.0, dropout_coefficients={"vip": np.log(2)}, **kw)
    mu = sim.truth["mu"].to_numpy()
    assert mu[n // 2 :].mean() / mu[: n // 2].mean() == pytest.approx(2.0, rel=0.05)
    # BG/NBD: a_i = a exp(g), so the mean odds a / (b - 1) of dropping out double for vip
    sim = simulate_bgnbd(n, 0.8, 4.0, 0.5, 4.0, dropout_coefficients={"vip": np.log(2)}, **kw)
    p = sim.truth["p"].to_numpy()
    odds = p / (1 - p)
    assert odds[n // 2 :].mean() / odds[: n // 2].mean() == pytest.approx(2.0, rel=0.1)
    assert (sim.summary["vip"].to_numpy() == z["vip"].to_numpy()).all()


def test_covariate_arguments_are_checked():
    with pytest.raises(ValueError, match="need their values"):
        simulate_bgnbd(100, 0.5, 5.0, 0.8, 3.0, purchase_coefficients={"age": 0.1})
    with pytest.raises(ValueError, match="one per customer"):
        simulate_bgnbd(
            100,
            0.5,
            5.0,
            0.8,
            3.0,
            purchase_coefficients={"age": 0.1},
            attributes=pd.DataFrame({"age": [1.0, 2.0]}),
        )
