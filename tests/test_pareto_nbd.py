"""Pareto/NBD: published CDNOW estimates, simulated truth, predictions and numerical robustness."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.special import gammaln, hyp2f1

from analysis.models import ConvergenceError, ParetoNBD
from analysis.models._special import pnbd_dert_factor, pnbd_log_j
from analysis.models.published import PARETO_NBD_CDNOW
from analysis.rfm import compress
from analysis.simulate import simulate_paretonbd
from analysis.units import to_discrete, units_per_year
from count_model_checks import (
    check_against_monte_carlo,
    check_conditional_distribution,
    check_grids_equal_one_horizon_at_a_time,
)

COLS = ["frequency", "recency", "T"]
TRUTH = {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 11.7}
SIM_WINDOW = dict(
    acquisition_start="2024-01-01",
    acquisition_end="2024-03-31",
    observation_end="2024-12-31",
    time_unit="W",
    transactions=False,
)


def agrees_to_3_significant_figures(estimate: float, published: float) -> bool:
    """Within half a unit of the third significant figure of the published value."""
    unit = 10.0 ** (np.floor(np.log10(abs(published))) - 2)
    return abs(estimate - published) <= 0.5 * unit


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_sample_summary):
    return ParetoNBD().fit(cdnow_sample_summary[COLS])


def _published_loglik_rows(params, x, tx, T):
    """The likelihood as printed (Fader & Hardie 2005 note), with scipy's hyp2f1: a reference."""
    r, alpha, s, beta = params
    k = r + s + x
    if alpha >= beta:
        f1 = hyp2f1(k, s + 1, k + 1, (alpha - beta) / (alpha + tx)) / (alpha + tx) ** k
        f2 = hyp2f1(k, s + 1, k + 1, (alpha - beta) / (alpha + T)) / (alpha + T) ** k
    else:
        f1 = hyp2f1(k, r + x, k + 1, (beta - alpha) / (beta + tx)) / (beta + tx) ** k
        f2 = hyp2f1(k, r + x, k + 1, (beta - alpha) / (beta + T)) / (beta + T) ** k
    term1 = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s)
    const = np.exp(gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta))
    return np.log(const * (term1 + s / k * (f1 - f2))), term1 / (term1 + s / k * (f1 - f2))


# ----- published results ------------------------------------------------------------------------


def test_cdnow_estimates_match_published(cdnow_fit):
    # Fader, Hardie & Lee (2005): Pareto/NBD on the CDNOW 1/10 sample, weeks 1-39
    for name, value in PARETO_NBD_CDNOW.params.items():
        assert agrees_to_3_significant_figures(cdnow_fit.params[name], value), name
    assert list(PARETO_NBD_CDNOW.params) == list(cdnow_fit.params.index)
    assert cdnow_fit.loglik == pytest.approx(PARETO_NBD_CDNOW.values["loglik"], abs=0.05)
    se = cdnow_fit.standard_errors
    assert np.all(np.isfinite(se)) and np.all(se > 0)
    assert cdnow_fit.convergence.success


def test_likelihood_and_p_alive_match_the_hyp2f1_closed_form(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    x, tx, T = (data[c].to_numpy() for c in COLS)
    for params in (cdnow_fit.params.to_numpy(), np.array([0.5, 8.0, 0.7, 30.0])):
        model = ParetoNBD.from_params(params)
        ref_ll, ref_alive = _published_loglik_rows(params, x, tx, T)
        ll = model._loglik_rows(params, model._precompute({"frequency": x, "recency": tx, "T": T}))
        np.testing.assert_allclose(ll, ref_ll, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(model.p_alive(data), ref_alive, rtol=1e-9)


def test_weights_give_the_same_estimates(cdnow_sample_summary, cdnow_fit):
    weighted = ParetoNBD().fit(compress(cdnow_sample_summary[COLS]))
    np.testing.assert_allclose(weighted.params, cdnow_fit.params, rtol=1e-6)
    assert weighted.loglik == pytest.approx(cdnow_fit.loglik, abs=1e-6)


def test_gradient_matches_finite_differences(cdnow_sample_summary):
    model = ParetoNBD()
    arrays = model._prepare(cdnow_sample_summary[COLS])
    w = arrays["weight"]
    for p0 in (np.array([0.6, 9.0, 0.8, 14.0]), np.array([0.6, 14.0, 0.8, 0.9])):  # both branches
        grad = w @ model._loglik_grad_rows(p0, arrays)
        for i in range(4):
            step = np.zeros(4)
            step[i] = 1e-6 * p0[i]
            fd = (
                w @ model._loglik_rows(p0 + step, arrays)
                - w @ model._loglik_rows(p0 - step, arrays)
            ) / (2 * step[i])
            assert grad[i] == pytest.approx(fd, rel=1e-6, abs=1e-4)


def test_cdnow_holdout_forecast(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    predicted = cdnow_fit.expected_purchases(data, t=39)
    # checked against the closed form with scipy's hyp2f1 (P(alive) from the likelihood)
    x, tx, T = (data[c].to_numpy() for c in COLS)
    r, alpha, s, beta = cdnow_fit.params
    _, alive = _published_loglik_rows(cdnow_fit.params.to_numpy(), x, tx, T)
    ref = (
        alive
        * (r + x)
        * (beta + T)
        / ((alpha + T) * (s - 1))
        * (1 - ((beta + T) / (beta + T + 39)) ** (s - 1))
    )
    np.testing.assert_allclose(predicted, ref, rtol=1e-9)
    # like the BG/NBD, the Pareto/NBD under-forecasts the 1,882 holdout purchases (FHL 2005)
    assert 0.85 * 1882 < predicted.sum() < 1882


# ----- simulated truth ----------------------------------------------------------------------------


def _recovers(n, seed):
    sim = simulate_paretonbd(n, **TRUTH, seed=seed, **SIM_WINDOW)
    model = ParetoNBD().fit(sim.summary)
    z = (model.params - pd.Series(TRUTH)) / model.standard_errors
    assert np.all(np.abs(z) < 3), z.to_dict()


def test_recovers_parameters_20k():
    _recovers(20_000, seed=21)


@pytest.mark.slow
def test_recovers_parameters_100k():
    _recovers(100_000, seed=22)


def test_predictions_match_simulation():
    model = ParetoNBD.from_params(TRUTH)
    # new customers acquired on one day (T within a seventh of a week of each other):
    # E[X(T_i)] and P(X(T_i) = n) against the simulated counts; T is rounded to 1e-3
    # weeks for the probabilities, which moves them by less than 1e-5
    one_day = {**SIM_WINDOW, "acquisition_end": SIM_WINDOW["acquisition_start"]}
    new = simulate_paretonbd(50_000, **TRUTH, seed=24, **one_day).summary
    x = new["frequency"]
    T = new["T"].to_numpy()
    assert x.mean() == pytest.approx(
        model.expected_purchases_new_customer(t=T).mean(), abs=4 * x.std() / np.sqrt(len(x))
    )
    t_grid, counts = np.unique(np.round(T, 3), return_counts=True)
    for n in range(4):
        prob = np.average(
            model.probability_of_purchases_new_customer(n=n, t=t_grid), weights=counts
        )
        assert (x == n).mean() == pytest.approx(prob, abs=4 * np.sqrt(prob * (1 - prob) / len(x)))
    # conditional on the history: holdout purchases and the share alive
    sim = simulate_paretonbd(50_000, **TRUTH, seed=23, holdout_end="2025-06-30", **SIM_WINDOW)
    data = sim.summary
    predicted = model.expected_purchases(data, t=data["duration_holdout"].iloc[0])
    actual = data["frequency_holdout"]
    assert predicted.sum() == pytest.approx(
        actual.sum(), abs=4 * actual.std() * np.sqrt(len(actual))
    )
    p = model.p_alive(data)
    assert p.mean() == pytest.approx(sim.truth["alive"].mean(), abs=4 * np.sqrt(0.25 / len(p)))


# ----- predictions --------------------------------------------------------------------------------


def test_prediction_properties(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    p = cdnow_fit.p_alive(data)
    assert ((p > 0) & (p <= 1)).all() and p.index.equals(data.index)
    t = np.array([0.0, 1, 5, 39, 52, 200, 1000])
    e = cdnow_fit.expected_purchases_new_customer(t=t)
    assert e[0] == 0 and np.all(np.diff(e) > 0)
    r, alpha, s, beta = cdnow_fit.params
    closed = r * beta / (alpha * (s - 1)) * (1 - (beta / (beta + 39.0)) ** (s - 1))
    assert cdnow_fit.expected_purchases_new_customer(t=39.0) == pytest.approx(closed, rel=1e-12)
    cond = np.column_stack([cdnow_fit.expected_purchases(data, t=tt) for tt in t[1:]])
    assert np.all(np.diff(cond, axis=1) > 0)
    probs = cdnow_fit.probability_of_purchases_new_customer(n=np.arange(600), t=39.0)
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.sum(np.arange(600) * probs) == pytest.approx(
        cdnow_fit.expected_purchases_new_customer(t=39.0), rel=1e-7
    )


def test_s_equal_one_is_the_limit():
    data = pd.DataFrame({"frequency": [0, 4], "recency": [0.0, 20.0], "T": [39.0, 39.0]})
    near = [
        ParetoNBD.from_params({"r": 0.5, "alpha": 10, "s": s, "beta": 12})
        for s in (1 - 1e-7, 1.0, 1 + 1e-7)
    ]
    values = [m.expected_purchases(data, t=52).to_numpy() for m in near]
    np.testing.assert_allclose(values[1], values[0], rtol=1e-6)
    np.testing.assert_allclose(values[1], values[2], rtol=1e-6)


def test_dert_matches_direct_integration(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary.iloc[:4]
    delta = np.log(1.15) / 52  # FHL 2005: 15% a year, continuously compounded weekly
    # the same discounting as a yearly effective rate (the model converts it back with units)
    dert = cdnow_fit.dert(data, annual_discount_rate=to_discrete(delta * units_per_year("W")))
    r, alpha, s, beta = cdnow_fit.params
    p_alive = cdnow_fit.p_alive(data)
    for cid, row in data.iterrows():
        x, T = row["frequency"], row["T"]

        def expected(t):  # E[Y(t) | alive] (Schmittlein, Morrison & Colombo 1987)
            return (
                (r + x)
                * (beta + T)
                / ((alpha + T) * (s - 1))
                * (1 - ((beta + T) / (beta + T + t)) ** (s - 1))
            )

        f = lambda t: np.exp(-delta * t) * expected(t)  # noqa: E731
        ref = p_alive[cid] * delta * quad(f, 0, np.inf, epsrel=1e-11, limit=400)[0]
        assert dert[cid] == pytest.approx(ref, rel=1e-8)


def test_dert_factor_fallback_matches_hyperu_region():
    s = np.array([0.6, 2.5, 20.0, 20.0])
    y = np.array([0.05, 3.0, 5.0, 1e-3])

    def reference(ss, yy):  # G = y int_0^inf exp(-y v) (1+v)^-s dv, split where it bends
        f = lambda v: yy * np.exp(-yy * v) * (1 + v) ** -ss  # noqa: E731
        cuts = [0.0, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, np.inf]
        return sum(
            quad(f, a, b, epsabs=0, epsrel=1e-12, limit=200)[0]
            for a, b in zip(cuts[:-1], cuts[1:], strict=True)
        )

    ref = [reference(ss, yy) for ss, yy in zip(s, y, strict=True)]
    np.testing.assert_allclose(pnbd_dert_factor(s, y), ref, rtol=1e-9)


# ----- the special function J ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "k,e,eps",
    [
        (1.2, 1.6, 0.5),
        (300.5, 1.6, 0.3),
        (301.0, 300.2, 0.2),
        (0.3, 0.6, 0.05),
        (5.0, 2.0, 1e-9),
        (1.2, 0.02, 1e-13),
    ],
)
def test_j_matches_reference(k, e, eps):
    u = 1 - eps
    lj = pnbd_log_j(k, e, u, np.log(eps))[0]
    shift = -e * np.log(eps)  # the integrand's maximum, at rho = 1
    f = lambda y: np.exp(-k * y - e * np.log(eps + u * -np.expm1(-y)) - shift)  # noqa: E731  (y = -log rho)
    edges = np.r_[0.0, np.logspace(-16, 3, 60)]
    ref = sum(
        quad(f, a, b, epsabs=0, epsrel=1e-13, limit=200)[0]
        for a, b in zip(edges[:-1], edges[1:], strict=True)
    )
    ref = np.log(ref + quad(f, 1e3, np.inf)[0]) + shift
    assert lj == pytest.approx(ref, abs=1e-9 * max(1.0, abs(ref)))
    if eps > 0.1:  # where scipy's hyp2f1 is reliable
        assert lj == pytest.approx(np.log(hyp2f1(k, e, k + 1, u) / k), rel=1e-10)


# ----- robustness ---------------------------------------------------------------------------------


def _check_all_predictions(model, data):
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
    p = outputs[0]
    assert np.all(p <= 1)


def test_heavy_buyers_and_long_T():
    data = pd.DataFrame(
        {
            "frequency": [0, 1, 5, 300, 450, 1000],
            "recency": [0.0, 2.0, 30.0, 520.0, 9000.0, 9999.0],
            "T": [39.0, 39.0, 39.0, 520.0, 1e4, 1e4],
        }
    )
    for params in (TRUTH, {"r": 0.55, "alpha": 10.5, "s": 0.6, "beta": 0.5}):
        model = ParetoNBD.from_params(params)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ll = model._loglik_rows(model.params.to_numpy(), model._prepare(data))
            assert np.all(np.isfinite(ll))
            _check_all_predictions(model, data)


@pytest.mark.parametrize(
    "params",
    [
        {"r": 1e-9, "alpha": 1e9, "s": 1e-9, "beta": 1e9},
        {"r": 1e9, "alpha": 1e-9, "s": 1e9, "beta": 1e-9},
        {"r": 0.5, "alpha": 1e8, "s": 0.5, "beta": 1e-8},  # alpha >> beta: argument near 1
        {"r": 0.5, "alpha": 1e-8, "s": 0.5, "beta": 1e8},  # beta >> alpha
        {"r": 5e3, "alpha": 1e3, "s": 1e-6, "beta": 1e-6},
    ],
)
def test_extreme_parameters_give_finite_predictions(params):
    data = pd.DataFrame({"frequency": [0, 3, 300], "recency": [0.0, 20.0, 38.0], "T": [39.0] * 3})
    model = ParetoNBD.from_params(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = model._loglik_rows(model.params.to_numpy(), model._prepare(data))
        assert np.all(np.isfinite(ll))
        _check_all_predictions(model, data)


def test_unfittable_data_raises_convergence_error():
    data = pd.DataFrame(
        {"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(10, 40, 50)}
    )
    with pytest.raises(ConvergenceError, match="bound|converge"):
        ParetoNBD().fit(data)


# ----- P(alive) beyond the observation end ------------------------------------------------------


def _p_alive_reference(params, x, tx, T, t):
    """P(alive at T + t | x, t_x, T) by direct integration over mu (and the dropout time).

    lambda is integrated analytically: alive at T + t contributes
    (alpha+T)^-(r+x) E[exp(-mu (T+t))], dropout at tau in (t_x, T] contributes
    (alpha+tau)^-(r+x) E[mu exp(-mu tau)], with mu ~ Gamma(s, beta). In v = mu^s the
    Gamma density is smooth (no mu^(s-1) singularity at 0).
    """
    r, alpha, s, beta = params
    const = s * np.log(beta) - gammaln(s) - np.log(s)  # mu^(s-1) d mu = dv / s
    kw = dict(epsabs=0, epsrel=1e-12, limit=400)

    def mean_over_mu(power, rate):  # E[mu^power exp(-mu rate)]
        f = lambda v: v ** (power / s) * np.exp(const - (beta + rate) * v ** (1 / s))  # noqa: E731
        return quad(f, 0, np.inf, **kw)[0]

    def alive(tt):
        return (alpha + T) ** -(r + x) * mean_over_mu(0, T + tt)

    def dead_at(tau):
        return (alpha + tau) ** -(r + x) * mean_over_mu(1, tau)

    dead = quad(dead_at, tx, T, **kw)[0] if T > tx else 0.0
    return alive(t) / (alive(0.0) + dead)


def test_p_alive_at_zero_is_todays_p_alive_and_decreases(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    np.testing.assert_array_equal(cdnow_fit.p_alive(data, t=0), cdnow_fit.p_alive(data))
    t = [0.0, 0.5, 5.0, 52.0, 156.0, 1e3, 1e5]
    p = np.column_stack([cdnow_fit.p_alive(data, t=tt).to_numpy() for tt in t])
    assert np.all(np.diff(p, axis=1) < 0) and np.all(p > 0) and np.all(p <= 1)
    # the ratio to today's P(alive) depends on T only: ((beta+T)/(beta+T+t))^s
    r, alpha, s, beta = cdnow_fit.params
    T = data["T"].to_numpy()
    np.testing.assert_allclose(p[:, 3] / p[:, 0], ((beta + T) / (beta + T + 52.0)) ** s, rtol=1e-13)
    with pytest.raises(ValueError, match="non-negative"):
        cdnow_fit.p_alive(data, t=-0.5)


def test_p_alive_ahead_matches_direct_integration(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary[COLS]
    picked = data.loc[[data.index[data["frequency"] == k][0] for k in (0, 1, 5, 29)]]
    for t in (1.0, 52.0, 1000.0):
        p = cdnow_fit.p_alive(picked, t=t).to_numpy()
        params = cdnow_fit.params.to_numpy()
        ref = [_p_alive_reference(params, *row, t) for row in picked.to_numpy()]
        np.testing.assert_allclose(p, ref, rtol=1e-9)


def test_p_alive_ahead_matches_simulated_survival():
    # a customer alive at T with dropout rate mu survives t more with probability
    # exp(-mu t) (memoryless lifetimes); summed over customers, what the model predicts.
    # Forgetting that survival to T updates mu (Gamma(s, beta) for Gamma(s, beta+T)) is
    # off by more than 50 standard errors.
    sim = simulate_paretonbd(50_000, **TRUTH, seed=25, **SIM_WINDOW)
    model = ParetoNBD.from_params(TRUTH)
    truth = sim.truth
    for t in (52.0, 260.0):
        predicted = model.p_alive(sim.summary, t=t).to_numpy()
        survived = truth["alive"].to_numpy() * np.exp(-truth["mu"].to_numpy() * t)
        diff = survived - predicted
        assert abs(diff.sum()) < 4 * diff.std() * np.sqrt(len(diff)), (t, diff.sum())


def test_p_alive_ahead_heavy_buyers_long_T_large_t():
    data = pd.DataFrame(
        {
            "frequency": [0, 1, 5, 300, 450, 1000],
            "recency": [0.0, 2.0, 30.0, 520.0, 9000.0, 9999.0],
            "T": [39.0, 39.0, 39.0, 520.0, 1e4, 1e4],
        }
    )
    extremes = [
        {"r": 1e-9, "alpha": 1e9, "s": 1e-9, "beta": 1e9},
        {"r": 1e9, "alpha": 1e-9, "s": 1e9, "beta": 1e-9},
    ]
    for params in [TRUTH, *extremes]:
        model = ParetoNBD.from_params(params)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            t = (0.0, 1.0, 52.0, 1e6, 1e12)
            p = np.column_stack([model.p_alive(data, t=tt).to_numpy() for tt in t])
        assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p <= 1)
        assert np.all(np.diff(p, axis=1) <= 0)


def test_grids_equal_one_horizon_at_a_time(cdnow_fit, cdnow_sample_summary):
    check_grids_equal_one_horizon_at_a_time(cdnow_fit, cdnow_sample_summary)


# ----- the conditional distribution of future purchases ------------------------------------------


def _pareto_monte_carlo(params, x, tx, T, t, n_draws=400_000, seed=0):
    """Future purchase counts in (T, T+t] from prior draws of (lambda, mu), weighted by the history.

    The history's likelihood given (lambda, mu): alive at T, lambda^x e^-(lambda+mu) T, or dead
    at some tau in (t_x, T], lambda^x mu/(lambda+mu) (e^-(lambda+mu) t_x - e^-(lambda+mu) T).
    An alive customer lives on for an Exp(mu) time (memoryless) and buys at rate lambda.
    """
    r, alpha, s, beta = params
    rng = np.random.default_rng(seed)
    lam = rng.gamma(r, 1.0 / alpha, n_draws)
    mu = rng.gamma(s, 1.0 / beta, n_draws)
    k = lam + mu
    log_alive = x * np.log(lam) - k * T
    with np.errstate(divide="ignore"):
        log_dead = x * np.log(lam) + np.log(mu / k) - k * tx + np.log(-np.expm1(-k * (T - tx)))
    top = max(log_alive.max(), log_dead.max())
    life = rng.exponential(1.0 / mu)
    future = rng.poisson(lam * np.minimum(t, life))
    return np.r_[future, np.zeros(n_draws)], np.exp(np.r_[log_alive, log_dead] - top)


def test_conditional_distribution_sums_to_one_and_has_the_expected_mean(
    cdnow_fit, cdnow_sample_summary
):
    picked = cdnow_sample_summary[COLS].iloc[::60]
    check_conditional_distribution(cdnow_fit, picked, 39.0, 250)


@pytest.mark.parametrize("x,tx,T", [(0, 0.0, 39.0), (2, 30.0, 39.0), (6, 12.0, 39.0)])
def test_conditional_distribution_matches_monte_carlo_of_the_process(cdnow_fit, x, tx, T):
    customer = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    probs = [cdnow_fit.probability_of_purchases(customer, n=n, t=52.0).iloc[0] for n in range(6)]
    counts, weights = _pareto_monte_carlo(cdnow_fit.params.to_numpy(), x, tx, T, 52.0, seed=20 + x)
    check_against_monte_carlo(probs, counts, weights, 5)
