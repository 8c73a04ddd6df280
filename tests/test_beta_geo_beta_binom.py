"""Tests of the BG/BB model: the published donations fit, predictions against independent sums, robustness."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from analysis.data import load_donations
from analysis.models import BetaGeoBetaBinom, ConvergenceError
from analysis.models.published import BGBB_DONATIONS
from analysis.simulate import simulate_bgbb
from analysis.validate import DataValidationError
from count_model_checks import check_against_monte_carlo, check_conditional_distribution


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def donations():
    return load_donations()


@pytest.fixture(scope="module")
def fitted(donations):
    return BetaGeoBetaBinom().fit(donations)


def model_with(params) -> BetaGeoBetaBinom:
    m = BetaGeoBetaBinom()
    m.params = pd.Series(params, index=list(m.param_names), dtype=float)
    return m


def test_donations_published_estimates(fitted, donations):
    assert donations["weight"].sum() == 11_104
    # Fader, Hardie & Shang (2010), Table 2 (analysis.models.published)
    assert list(BGBB_DONATIONS.params) == list(fitted.params.index)
    for name, value in BGBB_DONATIONS.params.items():
        assert sig3(fitted.params[name]) == sig3(value), (name, fitted.params[name])
    assert fitted.loglik == pytest.approx(BGBB_DONATIONS.values["loglik"], abs=0.05)
    assert fitted.convergence.success
    assert fitted.n_customers == 11_104
    assert fitted.bic == pytest.approx(4 * np.log(11_104) - 2 * fitted.loglik)
    assert (fitted.standard_errors > 0).all()


def test_compression_gives_identical_estimates(donations, fitted):
    expanded = donations.loc[donations.index.repeat(donations["weight"])].drop(columns="weight")
    assert len(expanded) == 11_104
    again = BetaGeoBetaBinom().fit(expanded.reset_index(drop=True))
    np.testing.assert_allclose(again.params, fitted.params, rtol=1e-6)
    assert again.loglik == pytest.approx(fitted.loglik, rel=1e-10)


def test_gradient_matches_numerical(donations):
    model = BetaGeoBetaBinom()
    arrays = model._prepare(donations)
    point = np.array([0.9, 1.3, 0.5, 4.0])

    def total(params):
        return float(np.dot(arrays["weight"], model._loglik_rows(params, arrays)))

    numeric = optimize.approx_fprime(point, total, 1e-7)
    analytic = arrays["weight"] @ model._loglik_grad_rows(point, arrays)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4)


def test_likelihood_by_hand_for_one_customer():
    # x=1, t_x=2, n=3: alive through 3 with one purchase, or died before 3 (i = 0).
    a, b, g, d = 1.2, 0.8, 0.6, 2.5
    from scipy.special import beta as B

    expected = B(a + 1, b + 2) / B(a, b) * B(g, d + 3) / B(g, d) + B(a + 1, b + 1) / B(a, b) * B(
        g + 1, d + 2
    ) / B(g, d)
    model = BetaGeoBetaBinom()
    arrays = {
        "frequency": np.array([1.0]),
        "recency": np.array([2.0]),
        "n_periods": np.array([3.0]),
    }
    assert np.exp(model._loglik_rows(np.array([a, b, g, d]), arrays))[0] == pytest.approx(
        expected, rel=1e-12
    )


def test_probability_of_purchases_sums_to_one_and_matches_mean(fitted):
    probs = fitted.probability_of_purchases_new_customer(n=np.arange(7), t=6)
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert np.dot(np.arange(7), probs) == pytest.approx(
        fitted.expected_purchases_new_customer(t=6), rel=1e-10
    )
    assert fitted.probability_of_purchases_new_customer(n=7, t=6) == 0.0
    # the fitted model reproduces the observed frequency distribution of the donations closely
    don = load_donations()
    observed = don.groupby("frequency")["weight"].sum().reindex(range(7)).to_numpy() / 11_104
    np.testing.assert_allclose(probs, observed, atol=0.01)


@pytest.mark.parametrize("gamma", [0.657, 1.0, 1.0 + 1e-9, 3.0])
def test_unconditional_expectation_equals_explicit_sum(gamma):
    model = model_with([1.2, 0.75, gamma, 2.78])
    from scipy.special import betaln

    t = np.arange(1, 41)
    alive = np.exp(betaln(gamma, 2.78 + t) - betaln(gamma, 2.78))
    expected = 1.2 / 1.95 * np.cumsum(alive)
    got = model.expected_purchases_new_customer(t=t)
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    assert model.expected_purchases_new_customer(t=0) == 0.0


def test_conditional_expectation_equals_sum_of_alive_probabilities(fitted, donations):
    # E[X(n*) | history] = (alpha + x)/(alpha + beta + n) * sum_s P(alive at n + s | history)
    a, b = fitted.params[["alpha", "beta"]]
    x, n = donations["frequency"], donations["n_periods"]
    alive = sum(fitted.p_alive(donations, t=s) for s in range(1, 6))
    expected = (a + x) / (a + b + n) * alive
    got = fitted.expected_purchases(donations, t=5)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    assert got.index.equals(donations.index)
    # more past transactions and more recent ones mean more future ones
    pa = fitted.p_alive(donations, t=1)
    assert ((pa >= 0) & (pa <= 1)).all()
    # customers active at the last opportunity (t_x = n) are alive for sure at n (t = 0) ...
    recent = donations["recency"] == donations["n_periods"]
    np.testing.assert_allclose(fitted.p_alive(donations)[recent], 1.0, rtol=1e-12)
    assert (fitted.p_alive(donations)[~recent] < 1).all()
    # ... and at the next opportunity have the highest p_alive,
    # B(gamma, delta+n+1)/B(gamma, delta+n) = (delta+n)/(gamma+delta+n), whatever their frequency
    g, d = fitted.params[["gamma", "delta"]]
    np.testing.assert_allclose(pa[recent], (d + 6) / (g + d + 6), rtol=1e-12)
    assert (pa[~recent] < pa[recent].min()).all()
    with pytest.raises(ValueError, match="opportunities"):
        fitted.p_alive(donations, t=0.5)


def test_conditional_expectation_matches_simulated_holdout():
    params = (1.2, 0.75, 0.66, 2.78)
    sim = simulate_bgbb(200_000, *params, n_periods=6, seed=3, n_holdout=5)
    model = model_with(list(params))
    predicted = model.expected_purchases(sim.summary, t=5)
    by_group = pd.DataFrame(
        {"f": sim.summary["frequency"], "act": sim.summary["frequency_holdout"], "pred": predicted}
    )
    means = by_group.groupby("f")[["act", "pred"]].mean()
    np.testing.assert_allclose(means["pred"], means["act"], rtol=0.03, atol=0.005)


def test_dert_closed_form_matches_numerical_sum(fitted, donations):
    a, b = fitted.params[["alpha", "beta"]]
    x, n = donations["frequency"], donations["n_periods"]
    d = 0.10
    s = np.arange(1, 450)  # 1.1**-450 < 1e-18
    numeric = sum((1 + d) ** -k * (a + x) / (a + b + n) * fitted.p_alive(donations, t=k) for k in s)
    # yearly opportunities: the rate per opportunity is the yearly rate itself
    dert = fitted.dert(donations, annual_discount_rate=d, time_unit="Y")
    np.testing.assert_allclose(dert, numeric, rtol=1e-8)
    # quarterly opportunities: the same yearly rate is a smaller rate per opportunity
    quarterly = sum(
        (1 + d) ** -(k / 4) * (a + x) / (a + b + n) * fitted.p_alive(donations, t=k)
        for k in np.arange(1, 1800)
    )
    np.testing.assert_allclose(
        fitted.dert(donations, annual_discount_rate=d, time_unit="Q"), quarterly, rtol=1e-8
    )
    # a higher discount rate lowers the value
    assert (fitted.dert(donations, annual_discount_rate=0.2, time_unit="Y") < dert).all()
    with pytest.raises(ValueError, match="discount_rate"):
        fitted.dert(donations, annual_discount_rate=0.0, time_unit="Y")
    # the donations carry no time unit: without one the model says so
    assert fitted.time_unit is None
    with pytest.raises(ValueError, match="time unit"):
        fitted.dert(donations, annual_discount_rate=d)


def test_invalid_histories_raise():
    good = dict(frequency=[2], recency=[4], n_periods=[6])
    for bad, match in [
        (dict(good, frequency=[5]), "frequency > recency"),
        (dict(good, recency=[7]), "recency > n_periods"),
        (dict(frequency=[0], recency=[3], n_periods=[6]), "recency != 0"),
        (dict(good, frequency=[1.5]), "whole numbers"),
    ]:
        with pytest.raises(DataValidationError, match=match):
            BetaGeoBetaBinom().fit(pd.DataFrame(bad))


def test_recovers_simulated_truth_100k():
    sim = simulate_bgbb(100_000, 1.204, 0.750, 0.657, 2.783, n_periods=6, seed=21)
    model = BetaGeoBetaBinom().fit(sim.summary)
    truth = pd.Series(sim.params)
    z = (model.params - truth) / model.standard_errors
    assert (z.abs() < 3).all(), model.summary().assign(truth=truth, z=z)


def test_varying_number_of_opportunities():
    # customers acquired at different times have different n; a long history is handled in chunks
    sim = simulate_bgbb(9_000, 0.8, 2.0, 0.5, 8.0, n_periods=np.tile([5, 20, 60], 3000), seed=8)
    model = BetaGeoBetaBinom().fit(sim.summary)
    truth = pd.Series(sim.params)
    z = (model.params - truth) / model.standard_errors
    assert (z.abs() < 3).all(), model.summary().assign(truth=truth, z=z)


def test_chunked_likelihood_equals_one_pass(monkeypatch):
    import analysis.models.beta_geo_beta_binom as module

    sim = simulate_bgbb(500, 0.8, 2.0, 0.5, 8.0, n_periods=40, seed=9)
    model = BetaGeoBetaBinom()
    arrays = model._prepare(sim.summary)
    point = np.array([0.8, 2.0, 0.5, 8.0])
    whole = model._loglik_rows(point, arrays), model._loglik_grad_rows(point, arrays)
    monkeypatch.setattr(module, "_MAX_GRID", 100)  # a few rows per chunk
    assert len(list(model._chunks(arrays))) > 5
    np.testing.assert_allclose(model._loglik_rows(point, arrays), whole[0], rtol=1e-13)
    np.testing.assert_allclose(model._loglik_grad_rows(point, arrays), whole[1], rtol=1e-13)


def test_everyone_always_buying_raises_convergence_error():
    data = pd.DataFrame({"frequency": [6] * 50 + [5], "recency": [6] * 50 + [6], "n_periods": 6})
    with pytest.raises(ConvergenceError):
        BetaGeoBetaBinom().fit(data)


def test_extreme_inputs_are_finite_without_warnings():
    data = pd.DataFrame(
        {
            "frequency": [0, 4000, 5000, 1, 0],
            "recency": [0, 4999, 5000, 1, 0],
            "n_periods": [5000, 5000, 5000, 5000, 1],
        }
    )
    arrays = {c: data[c].to_numpy(dtype=float) for c in ("frequency", "recency", "n_periods")}
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for params in (
            [1.2, 0.75, 0.66, 2.78],
            [1e-8, 1e-8, 1e-8, 1e-8],
            [1e8, 1e8, 1e8, 1e8],
            [50, 0.01, 1.0, 1e6],
        ):
            model = model_with(params)
            ll = model._loglik_rows(np.array(params, dtype=float), arrays)
            grad = model._loglik_grad_rows(np.array(params, dtype=float), arrays)
            assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad)), params
            for values in (
                model.expected_purchases(data, t=10_000),
                model.p_alive(data),
                model.dert(data, annual_discount_rate=0.01, time_unit="Y"),
                model.probability_of_purchases(data, n=3, t=10),
                model.expected_purchases_new_customer(t=np.array([1e6])),
            ):
                assert np.all(np.isfinite(values)), params
        prob = model_with([1.2, 0.75, 0.66, 2.78]).probability_of_purchases_new_customer(
            n=np.arange(301), t=300
        )
    assert prob.sum() == pytest.approx(1.0, abs=1e-10)


@pytest.mark.parametrize(
    "b, c, d",
    [
        (0.5, 100.5, 0.1),  # scipy's hyp2f1 returns inf here
        (1e3, 1e3 + 0.7, 0.001),  # and nan here (long histories)
        (1e6, 1e6 + 4.0, 0.01),
        (1e8, 1e8 + 1e-3, 0.1),
        (3.5, 4.2, 0.1),  # a regular case scipy handles
    ],
)
def test_hypergeometric_series_against_direct_sum(b, c, d):
    from scipy.special import logsumexp

    from analysis.models.hypergeometric import hyp2f1_one

    z = 1 / (1 + d)
    k = np.arange(int(60 / d) + 1000, dtype=float)
    log_terms = np.concatenate([[0.0], np.cumsum(np.log((b + k) / (c + k)))])[:-1] + k * np.log(z)
    reference = np.exp(logsumexp(log_terms))
    assert hyp2f1_one(np.array([b]), np.array([c]), z)[0] == pytest.approx(reference, rel=1e-9)


# ----- grids and the conditional distribution ---------------------------------------------------


def test_grids_equal_one_horizon_at_a_time(fitted, donations):
    ts = np.array([0, 1, 2, 5, 30])
    purchases = fitted.expected_purchases_grid(donations, ts=ts)
    alive = fitted.p_alive_grid(donations, ts=ts)
    for j, t in enumerate(ts):
        np.testing.assert_allclose(
            purchases.at(j), fitted.expected_purchases(donations, t=t), rtol=1e-12
        )
        np.testing.assert_allclose(alive.at(j), fitted.p_alive(donations, t=t), rtol=1e-12)
    assert purchases.to_frame().index.equals(donations.index)
    with pytest.raises(ValueError, match="opportunities"):
        fitted.expected_purchases_grid(donations, ts=[1.0, 2.5])


def test_conditional_distribution_sums_to_one_and_has_the_expected_mean(fitted, donations):
    check_conditional_distribution(fitted, donations, 5, 5)
    # at most one transaction per opportunity
    assert (fitted.probability_of_purchases(donations, n=6, t=5) == 0).all()
    # long histories and many opportunities ahead
    long = pd.DataFrame(
        {"frequency": [0, 30, 120], "recency": [0, 40, 200], "n_periods": [50, 200, 200]}
    )
    check_conditional_distribution(fitted, long, 60, 60)


def _bgbb_monte_carlo(params, x, tx, n, t, n_draws=400_000, seed=0):
    """Future transactions in the next t opportunities from prior draws of (p, theta).

    Weighted by the likelihood of the history (FHS 2010, eq. 3 for one draw): alive
    through n, or died at the start of opportunity t_x + i + 1, i = 0..n - t_x - 1.
    An alive customer dies at the start of each later opportunity with probability
    theta and otherwise transacts with probability p.
    """
    a, b, g, d = params
    rng = np.random.default_rng(seed)
    p = rng.beta(a, b, n_draws)
    theta = rng.beta(g, d, n_draws)
    lp, lq, lth, l1th = np.log(p), np.log1p(-p), np.log(theta), np.log1p(-theta)
    log_alive = x * lp + (n - x) * lq + n * l1th
    terms = [log_alive] + [
        x * lp + (tx - x + i) * lq + lth + (tx + i) * l1th for i in range(int(n - tx))
    ]
    log_w = np.logaddexp.reduce(np.column_stack(terms), axis=1)
    log_alive_share = log_alive - log_w
    # the likelihood splits into alive (then simulate) and died before n (then nothing)
    death = rng.geometric(theta)  # first opportunity (1, 2, ...) at whose start she dies
    future = rng.binomial(np.minimum(t, death - 1), p)
    top = log_w.max()
    w_alive = np.exp(log_w - top + log_alive_share)
    w_dead = np.exp(log_w - top) - w_alive
    return np.r_[future, np.zeros(n_draws)], np.r_[w_alive, np.maximum(w_dead, 0.0)]


@pytest.mark.parametrize("x,tx,n", [(0, 0, 6), (2, 3, 6), (5, 6, 6)])
def test_conditional_distribution_matches_monte_carlo_of_the_process(fitted, x, tx, n):
    customer = pd.DataFrame({"frequency": [x], "recency": [tx], "n_periods": [n]})
    probs = [fitted.probability_of_purchases(customer, n=k, t=4).iloc[0] for k in range(5)]
    counts, weights = _bgbb_monte_carlo(fitted.params.to_numpy(), x, tx, n, 4, seed=30 + x)
    check_against_monte_carlo(probs, counts, weights, 4)
