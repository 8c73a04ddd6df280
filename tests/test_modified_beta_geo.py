"""MBG/NBD: closed forms of Batislam et al. (2007), simulated truth, predictions and robustness."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import betaln, gammaln, hyp2f1

from analysis.models import BetaGeo, ConvergenceError, ModifiedBetaGeo
from analysis.rfm import compress
from analysis.simulate import simulate_mbgnbd

COLS = ["frequency", "recency", "T"]
TRUTH = {"r": 0.5, "alpha": 6.0, "a": 0.9, "b": 1.6}
SIM_WINDOW = dict(
    acquisition_start="2024-01-01",
    acquisition_end="2024-03-31",
    observation_end="2024-12-31",
    time_unit="W",
    transactions=False,
)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_sample_summary):
    return ModifiedBetaGeo().fit(cdnow_sample_summary[COLS])


def test_likelihood_matches_the_published_form(cdnow_sample_summary):
    x, tx, T = (cdnow_sample_summary[c].to_numpy() for c in COLS)
    r, alpha, a, b = 0.4, 5.0, 0.7, 2.0
    nb = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    ref = np.log(
        np.exp(betaln(a, b + x + 1) - betaln(a, b) + nb - (r + x) * np.log(alpha + T))
        + np.exp(betaln(a + 1, b + x) - betaln(a, b) + nb - (r + x) * np.log(alpha + tx))
    )
    model = ModifiedBetaGeo()
    ll = model._loglik_rows(np.array([r, alpha, a, b]), model._precompute({"frequency": x, "recency": tx, "T": T}))
    np.testing.assert_allclose(ll, ref, rtol=1e-12)


def test_cdnow_fit(cdnow_fit, cdnow_sample_summary):
    # No published MBG/NBD estimates exist for CDNOW; the fit must converge with
    # sensible errors, and it nests no other model, so only its likelihood is compared:
    # the extra dropout at time 0 fits CDNOW about as well as the BG/NBD (-9582.4).
    assert cdnow_fit.convergence.success
    se = cdnow_fit.standard_errors
    assert np.all(np.isfinite(se)) and np.all(se > 0)
    assert cdnow_fit.loglik == pytest.approx(-9582.4, abs=2.0)
    weighted = ModifiedBetaGeo().fit(compress(cdnow_sample_summary[COLS]))
    np.testing.assert_allclose(weighted.params, cdnow_fit.params, rtol=1e-6)


def test_gradient_matches_finite_differences(cdnow_sample_summary):
    model = ModifiedBetaGeo()
    arrays = model._prepare(cdnow_sample_summary[COLS])
    p0 = np.array([0.3, 5.0, 0.6, 3.0])
    w = arrays["weight"]
    grad = w @ model._loglik_grad_rows(p0, arrays)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * p0[i]
        fd = (w @ model._loglik_rows(p0 + step, arrays) - w @ model._loglik_rows(p0 - step, arrays)) / (
            2 * step[i]
        )
        assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-4)


def test_predictions_match_batislam_closed_forms(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    r, alpha, a, b = cdnow_fit.params
    for t in (1.0, 39.0, 78.0):
        closed = b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))
        assert cdnow_fit.expected_purchases(t) == pytest.approx(closed, rel=1e-10)
    x, tx, T = (data[c].to_numpy() for c in COLS)
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    np.testing.assert_allclose(cdnow_fit.p_alive(data), alive, rtol=1e-12)
    w = 39 / (alpha + T + 39)
    cond = (a + b + x) / (a - 1) * (
        1 - ((alpha + T) / (alpha + T + 39)) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, w)
    )
    np.testing.assert_allclose(cdnow_fit.expected_purchases(39, data), alive * cond, rtol=1e-9)
    assert (cdnow_fit.p_alive(data)[data["frequency"] == 0] < 1).all()
    probs = cdnow_fit.probability_of_purchases(np.arange(400), 39.0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-10)
    assert np.sum(np.arange(400) * probs) == pytest.approx(cdnow_fit.expected_purchases(39.0), rel=1e-8)


def test_p_alive_below_bg_nbd_for_non_repeaters(cdnow_fit, cdnow_sample_summary):
    bg = BetaGeo.from_params(cdnow_fit.params)
    zero = cdnow_sample_summary[cdnow_sample_summary["frequency"] == 0]
    assert (cdnow_fit.p_alive(zero) < bg.p_alive(zero)).all()


def _recovers(n, seed):
    sim = simulate_mbgnbd(n, **TRUTH, seed=seed, **SIM_WINDOW)
    model = ModifiedBetaGeo().fit(sim.summary)
    z = (model.params - pd.Series(TRUTH)) / model.standard_errors
    assert np.all(np.abs(z) < 3), z.to_dict()


def test_recovers_parameters_20k():
    _recovers(20_000, seed=31)


def test_recovers_parameters_100k():  # ~2 s
    _recovers(100_000, seed=32)


def test_predictions_match_simulation():
    model = ModifiedBetaGeo.from_params(TRUTH)
    sim = simulate_mbgnbd(50_000, **TRUTH, seed=33, holdout_end="2025-06-30", **SIM_WINDOW)
    data = sim.summary
    x = data["frequency"]
    T = data["T"].to_numpy()
    assert x.mean() == pytest.approx(model.expected_purchases(T).mean(), abs=4 * x.std() / np.sqrt(len(x)))
    for n in range(3):
        prob = model.probability_of_purchases(n, T).mean()
        assert (x == n).mean() == pytest.approx(prob, abs=4 * np.sqrt(prob * (1 - prob) / len(x)))
    predicted = model.expected_purchases(data["duration_holdout"].iloc[0], data)
    actual = data["frequency_holdout"]
    assert predicted.sum() == pytest.approx(actual.sum(), abs=4 * actual.std() * np.sqrt(len(actual)))
    p = model.p_alive(data)
    assert p.mean() == pytest.approx(sim.truth["alive"].mean(), abs=4 * np.sqrt(0.25 / len(p)))


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.5, "alpha": 5.0, "a": 0.3, "b": 0.4},  # a + b < 1
        {"r": 1e-9, "alpha": 1e9, "a": 1e-9, "b": 1e9},
        {"r": 1e9, "alpha": 1e-9, "a": 1e9, "b": 1e-9},
        {"r": 5e3, "alpha": 1e3, "a": 1e-6, "b": 1e-6},
    ],
)
def test_robust_predictions(params):
    data = pd.DataFrame(
        {
            "frequency": [0, 3, 300, 1000],
            "recency": [0.0, 20.0, 38.0, 9999.0],
            "T": [39.0, 39.0, 39.0, 1e4],
        }
    )
    model = ModifiedBetaGeo.from_params(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = model._loglik_rows(model.params.to_numpy(), model._prepare(data))
        assert np.all(np.isfinite(ll))
        outputs = [
            model.p_alive(data).to_numpy(),
            model.expected_purchases(39, data).to_numpy(),
            model.expected_purchases(1e4, data).to_numpy(),
            model.dert(data, 0.002).to_numpy(),
            np.atleast_1d(model.expected_purchases(np.array([0.1, 39, 1e5]))),
            model.probability_of_purchases(np.arange(5), 39.0),
        ]
    for arr in outputs:
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0), arr
    assert np.all(outputs[0] <= 1)


def test_unfittable_data_raises_convergence_error():
    data = pd.DataFrame({"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(10, 40, 50)})
    with pytest.raises(ConvergenceError, match="bound|converge"):
        ModifiedBetaGeo().fit(data)
