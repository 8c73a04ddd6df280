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
from count_model_checks import (
    bg_monte_carlo,
    check_against_monte_carlo,
    check_conditional_distribution,
    check_grids_equal_one_horizon_at_a_time,
)

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
    ll = model._loglik_rows(
        np.array([r, alpha, a, b]), model._precompute({"frequency": x, "recency": tx, "T": T})
    )
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
        fd = (
            w @ model._loglik_rows(p0 + step, arrays) - w @ model._loglik_rows(p0 - step, arrays)
        ) / (2 * step[i])
        assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-4)


def test_predictions_match_batislam_closed_forms(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    r, alpha, a, b = cdnow_fit.params
    for t in (1.0, 39.0, 78.0):
        closed = (
            b
            / (a - 1)
            * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))
        )
        assert cdnow_fit.expected_purchases_new_customer(t=t) == pytest.approx(closed, rel=1e-10)
    x, tx, T = (data[c].to_numpy() for c in COLS)
    alive = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + tx)) ** (r + x))
    np.testing.assert_allclose(cdnow_fit.p_alive(data), alive, rtol=1e-12)
    w = 39 / (alpha + T + 39)
    cond = (
        (a + b + x)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + 39)) ** (r + x) * hyp2f1(r + x, b + x + 1, a + b + x, w))
    )
    np.testing.assert_allclose(cdnow_fit.expected_purchases(data, t=39), alive * cond, rtol=1e-9)
    assert (cdnow_fit.p_alive(data)[data["frequency"] == 0] < 1).all()
    probs = cdnow_fit.probability_of_purchases_new_customer(n=np.arange(400), t=39.0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-10)
    assert np.sum(np.arange(400) * probs) == pytest.approx(
        cdnow_fit.expected_purchases_new_customer(t=39.0), rel=1e-8
    )


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
    assert x.mean() == pytest.approx(
        model.expected_purchases_new_customer(t=T).mean(), abs=4 * x.std() / np.sqrt(len(x))
    )
    for n in range(3):
        prob = model.probability_of_purchases_new_customer(n=n, t=T).mean()
        assert (x == n).mean() == pytest.approx(prob, abs=4 * np.sqrt(prob * (1 - prob) / len(x)))
    predicted = model.expected_purchases(data, t=data["duration_holdout"].iloc[0])
    actual = data["frequency_holdout"]
    assert predicted.sum() == pytest.approx(
        actual.sum(), abs=4 * actual.std() * np.sqrt(len(actual))
    )
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
            model.expected_purchases(data, t=39).to_numpy(),
            model.expected_purchases(data, t=1e4).to_numpy(),
            model.dert(data, annual_discount_rate=0.1, time_unit="W").to_numpy(),
            model.probability_of_purchases(data, n=1, t=39.0).to_numpy(),
            np.atleast_1d(model.expected_purchases_new_customer(t=np.array([0.1, 39, 1e5]))),
            model.probability_of_purchases_new_customer(n=np.arange(5), t=39.0),
        ]
    for arr in outputs:
        assert np.all(np.isfinite(arr)) and np.all(arr >= 0), arr
    assert np.all(outputs[0] <= 1)


def test_unfittable_data_raises_convergence_error():
    data = pd.DataFrame(
        {"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(10, 40, 50)}
    )
    with pytest.raises(ConvergenceError, match="bound|converge"):
        ModifiedBetaGeo().fit(data)


# ----- P(alive) beyond the observation end ------------------------------------------------------


def _p_alive_reference(params, x, tx, T, t):
    """P(alive at T + t | x, t_x, T) by direct integration over p, lambda integrated analytically.

    Alive at T + t: no dropout at time 0 nor after the x repeat purchases, and no
    dropout purchase in (T, T + t]: (1-p)^(x+1) exp(-lambda p t) given lambda and p,
    which with the history's lambda^x e^(-lambda T) and lambda ~ Gamma(r, alpha)
    integrates over lambda to (alpha + T + p t)^-(r+x). Normalised by the whole
    likelihood (alive at T, or dropped out right after the last purchase).
    """
    from scipy.integrate import quad

    r, alpha, a, b = params
    lb = betaln(a, b)

    def alive(p, tt):
        return np.exp(
            (a - 1) * np.log(p)
            + (b + x) * np.log1p(-p)
            - lb
            - (r + x) * np.log((alpha + T + p * tt) / (alpha + T))
        )

    def dead(p):
        return np.exp(
            a * np.log(p)
            + (b + x - 1) * np.log1p(-p)
            - lb
            - (r + x) * np.log((alpha + tx) / (alpha + T))
        )

    kw = dict(epsabs=0, epsrel=1e-12, limit=400, points=[1e-6, 1e-4, 1e-2])
    num = quad(alive, 0, 1, args=(t,), **kw)[0]
    return num / (quad(alive, 0, 1, args=(0.0,), **kw)[0] + quad(dead, 0, 1, **kw)[0])


def test_p_alive_at_zero_is_todays_p_alive_and_decreases(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    np.testing.assert_array_equal(cdnow_fit.p_alive(data, t=0.0), cdnow_fit.p_alive(data))
    t = [0.0, 0.5, 5.0, 52.0, 156.0, 1e3, 1e5]
    p = np.column_stack([cdnow_fit.p_alive(data, t=tt).to_numpy() for tt in t])
    assert np.all(np.diff(p, axis=1) < 0) and np.all(p > 0) and np.all(p <= 1)
    with pytest.raises(ValueError, match="non-negative"):
        cdnow_fit.p_alive(data, t=np.nan)


def test_p_alive_ahead_matches_direct_integration(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary[COLS]
    picked = data.loc[[data.index[data["frequency"] == k][0] for k in (0, 1, 5, 29)]]
    for t in (1.0, 52.0, 1000.0):
        p = cdnow_fit.p_alive(picked, t=t).to_numpy()
        params = cdnow_fit.params.to_numpy()
        ref = [_p_alive_reference(params, *row, t) for row in picked.to_numpy()]
        np.testing.assert_allclose(p, ref, rtol=1e-10)


def test_p_alive_ahead_matches_simulated_survival():
    # a customer alive at T with rates lambda, p survives t more with probability
    # exp(-lambda p t); summed over customers, what the model predicts from the histories.
    # The BG/NBD posterior Beta(a, b+x) instead of Beta(a, b+x+1) is off by ~8-14 errors.
    sim = simulate_mbgnbd(20_000, **TRUTH, seed=34, **SIM_WINDOW)
    model = ModifiedBetaGeo.from_params(TRUTH)
    truth = sim.truth
    for t in (52.0, 260.0):
        predicted = model.p_alive(sim.summary, t=t).to_numpy()
        rate = truth["lambda"].to_numpy() * truth["p"].to_numpy()  # of dropout purchases
        survived = truth["alive"].to_numpy() * np.exp(-rate * t)
        diff = survived - predicted
        assert abs(diff.sum()) < 4 * diff.std() * np.sqrt(len(diff)), (t, diff.sum())


@pytest.mark.parametrize(
    "params",
    [
        TRUTH,
        {"r": 0.5, "alpha": 5.0, "a": 0.3, "b": 0.4},
        {"r": 1e-9, "alpha": 1e9, "a": 1e-9, "b": 1e9},
        {"r": 1e9, "alpha": 1e-9, "a": 1e9, "b": 1e-9},
        {"r": 5e3, "alpha": 1e3, "a": 1e-6, "b": 1e-6},
    ],
)
def test_p_alive_ahead_robust(params):
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
        t = (0.0, 1.0, 52.0, 1e4, 1e8)
        p = np.column_stack([model.p_alive(data, t=tt).to_numpy() for tt in t])
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p <= 1)
    assert np.all(np.diff(p, axis=1) <= 0)
    if params is TRUTH:  # heavy buyers against the reference
        for row, values in zip(data.to_numpy()[2:], p[2:], strict=True):
            ref = _p_alive_reference(model.params.to_numpy(), *row, 52.0)
            assert values[2] == pytest.approx(ref, rel=1e-8)


def test_grids_equal_one_horizon_at_a_time(cdnow_fit, cdnow_sample_summary):
    check_grids_equal_one_horizon_at_a_time(cdnow_fit, cdnow_sample_summary)


# ----- the conditional distribution of future purchases ------------------------------------------


def test_conditional_distribution_sums_to_one_and_has_the_expected_mean(
    cdnow_fit, cdnow_sample_summary
):
    picked = cdnow_sample_summary[COLS].iloc[::60]
    check_conditional_distribution(cdnow_fit, picked, 39.0, 250)


@pytest.mark.parametrize("x,tx,T", [(0, 0.0, 39.0), (2, 30.0, 39.0), (6, 12.0, 39.0)])
def test_conditional_distribution_matches_monte_carlo_of_the_process(cdnow_fit, x, tx, T):
    # the MBG/NBD customer may also have dropped out at time 0: x = 0 is not certainly alive
    customer = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    probs = [cdnow_fit.probability_of_purchases(customer, n=n, t=52.0).iloc[0] for n in range(6)]
    counts, weights = bg_monte_carlo(cdnow_fit.params.to_numpy(), x, tx, T, 52.0, 1, seed=10 + x)
    check_against_monte_carlo(probs, counts, weights, 5)
