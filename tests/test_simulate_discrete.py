"""Tests of the BG/BB, sBG and Gamma-Gamma simulators: reproducibility, shape, and the model's own moments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import BetaGeoBetaBinom, ShiftedBetaGeo
from analysis.simulate import Simulation, simulate_bgbb, simulate_gamma_gamma, simulate_sbg


def with_params(cls, values):
    model = cls()
    model.params = pd.Series(values, index=list(cls.param_names), dtype=float)
    return model


@pytest.mark.parametrize(
    "simulate, args",
    [
        (simulate_bgbb, (1000, 1.2, 0.75, 0.66, 2.78)),
        (simulate_sbg, (1000, 0.7, 1.2)),
        (simulate_gamma_gamma, (1000, 6.0, 4.0, 15.0)),
    ],
)
def test_seeded_and_reproducible(simulate, args):
    a = simulate(*args, seed=7)
    b = simulate(*args, seed=7)
    c = simulate(*args, seed=8)
    assert isinstance(a, Simulation)
    pd.testing.assert_frame_equal(a.summary, b.summary)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert not a.summary.equals(c.summary)
    data, latent = a.summary, a.truth
    assert isinstance(a.params, dict)
    assert a.transactions is None and a.stages is None
    assert len(data) == len(latent) == 1000
    assert data.index.name == "customer_id"


def test_bgbb_summary_is_consistent():
    sim = simulate_bgbb(20_000, 1.2, 0.75, 0.66, 2.78, n_periods=6, seed=1, n_holdout=4)
    d = sim.summary
    assert list(sim.params) == ["alpha", "beta", "gamma", "delta"]
    assert (d["frequency"] <= d["recency"]).all()
    assert (d["recency"] <= d["n_periods"]).all()
    assert ((d["frequency"] == 0) == (d["recency"] == 0)).all()
    assert (d["frequency_holdout"] <= 4).all() and (d["duration_holdout"] == 4).all()
    # nobody dead within the calibration buys in the holdout
    dead = sim.truth["lifetime"] < 6
    assert (d.loc[dead, "frequency_holdout"] == 0).all()
    # the recency of a customer alive throughout and buying at the last opportunity is n
    assert ((d["recency"] == 6) <= (sim.truth["lifetime"] >= 6)).all()


def test_bgbb_matches_the_model_distribution():
    params = [1.2, 0.75, 0.66, 2.78]
    sim = simulate_bgbb(400_000, *params, n_periods=6, seed=2)
    model = with_params(BetaGeoBetaBinom, params)
    expected = model.probability_of_purchases_new_customer(n=np.arange(7), t=6)
    observed = np.bincount(sim.summary["frequency"], minlength=7) / 400_000
    se = np.sqrt(expected * (1 - expected) / 400_000)
    assert np.all(np.abs(observed - expected) < 4 * se)
    # recency of one-time repeaters: P(x=1, t_x) from the model's likelihood structure
    # (x = 1 at opportunity t_x, then nothing: alive-through-n term plus died-after-t_x terms)
    from scipy.special import betaln, logsumexp

    a, b, g, d = params
    for tx in (1, 3, 6):
        terms = [betaln(a + 1, b + 5) - betaln(a, b) + betaln(g, d + 6) - betaln(g, d)]
        terms += [
            betaln(a + 1, b + tx - 1 + i) - betaln(a, b) + betaln(g + 1, d + tx + i) - betaln(g, d)
            for i in range(6 - tx)
        ]
        prob = np.exp(logsumexp(terms))
        obs = np.mean((sim.summary["frequency"] == 1) & (sim.summary["recency"] == tx))
        assert obs == pytest.approx(prob, abs=4 * np.sqrt(prob / 400_000))


def test_bgbb_varying_periods_and_errors():
    sim = simulate_bgbb(3000, 1.0, 1.0, 1.0, 1.0, n_periods=np.repeat([2, 10, 50], 1000), seed=3)
    assert (sim.summary["recency"] <= sim.summary["n_periods"]).all()
    assert set(sim.summary["n_periods"]) == {2, 10, 50}
    with pytest.raises(ValueError, match="alpha"):
        simulate_bgbb(10, -1.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="n_periods"):
        simulate_bgbb(10, 1.0, 1.0, 1.0, 1.0, n_periods=0)


def test_sbg_matches_the_model_survival():
    sim = simulate_sbg(200_000, 0.704, 1.182, n_periods=12, seed=4)
    d = sim.summary
    assert (d["T"] >= 1).all() and (d["T"] <= 12).all()
    assert (d.loc[~d["churned"], "T"] == 12).all()
    model = with_params(ShiftedBetaGeo, [0.704, 1.182])
    t = np.arange(1, 13)
    survivors = np.array([(sim.truth["lifetime"] > k).mean() for k in t])
    se = np.sqrt(model.survival(t) * (1 - model.survival(t)) / 200_000)
    assert np.all(np.abs(survivors - model.survival(t)) < 4 * se)
    # the frame fits directly
    fit = ShiftedBetaGeo().fit(d.iloc[:5000])
    assert fit.convergence.success


def test_gamma_gamma_moments():
    p, q, g = 6.25, 3.74, 15.44
    sim = simulate_gamma_gamma(300_000, p, q, g, frequency=3, seed=5)
    d = sim.summary
    assert (d["frequency"] == 3).all() and (d["monetary_value"] > 0).all()
    # E[z-bar] = E[p / nu] = p gamma / (q - 1)
    assert d["monetary_value"].mean() == pytest.approx(p * g / (q - 1), rel=0.01)
    assert sim.truth["mean_spend"].mean() == pytest.approx(p * g / (q - 1), rel=0.01)
    default = simulate_gamma_gamma(1000, p, q, g, seed=6)
    assert (default.summary["frequency"] >= 1).all()
    with pytest.raises(ValueError, match="repeat buyers"):
        simulate_gamma_gamma(10, p, q, g, frequency=0)


@pytest.mark.filterwarnings("error")
def test_extreme_parameters_do_not_break():
    # near-deterministic or degenerate mixing distributions
    sim = simulate_bgbb(1000, 1e-3, 1e3, 1e-3, 1e3, n_periods=20, seed=9)
    assert np.isfinite(sim.summary.to_numpy(dtype=float)).all()
    sim = simulate_sbg(1000, 1e-3, 1e3, n_periods=20, seed=9)
    assert (sim.summary["T"] <= 20).all()
    sim = simulate_gamma_gamma(1000, 1e-2, 1e-2, 1e-2, seed=9)
    assert np.isfinite(sim.summary["monetary_value"]).all()
