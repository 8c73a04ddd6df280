"""BG/NBD: published CDNOW estimates, simulated truth, predictions and numerical robustness."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad
from scipy.special import betaln, hyp2f1

from analysis.models import BetaGeo, ConvergenceError
from analysis.models._special import bg_h, bg_laplace_h
from analysis.models.published import BGNBD_CDNOW
from analysis.rfm import compress
from analysis.simulate import simulate_bgnbd
from analysis.units import to_discrete, units_per_year
from analysis.validate import DataValidationError
from count_model_checks import (
    bg_monte_carlo,
    check_against_monte_carlo,
    check_conditional_distribution,
    check_grids_equal_one_horizon_at_a_time,
)

COLS = ["frequency", "recency", "T"]
TRUTH = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
SIM_WINDOW = dict(
    acquisition_start="2024-01-01",
    acquisition_end="2024-03-31",
    observation_end="2024-12-31",
    time_unit="W",
    transactions=False,
)


@pytest.fixture(scope="module")
def cdnow_fit(cdnow_sample_summary):
    return BetaGeo().fit(cdnow_sample_summary[COLS])


def agrees_to_3_significant_figures(estimate: float, published: float) -> bool:
    """Within half a unit of the third significant figure of the published value."""
    unit = 10.0 ** (np.floor(np.log10(abs(published))) - 2)
    return abs(estimate - published) <= 0.5 * unit


# ----- published results ------------------------------------------------------------------------


def test_cdnow_estimates_match_fader_hardie_lee_2005(cdnow_fit):
    # Fader, Hardie & Lee (2005), CDNOW 1/10 sample, weeks 1-39 calibration
    for name, value in BGNBD_CDNOW.params.items():
        assert agrees_to_3_significant_figures(cdnow_fit.params[name], value), name
    assert list(BGNBD_CDNOW.params) == list(cdnow_fit.params.index)
    assert cdnow_fit.loglik == pytest.approx(BGNBD_CDNOW.values["loglik"], abs=0.05)
    se = cdnow_fit.standard_errors
    assert np.all(np.isfinite(se)) and np.all(se > 0)
    # standard errors are small next to the estimates, but not absurdly so
    assert np.all(se / cdnow_fit.params < 0.5)
    assert cdnow_fit.convergence.success
    assert cdnow_fit.aic == pytest.approx(2 * 4 + 2 * 9582.43, abs=0.1)
    assert cdnow_fit.bic == pytest.approx(4 * np.log(2357) + 2 * 9582.43, abs=0.1)
    table = cdnow_fit.summary()
    assert list(table.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert (table["lower_95"] < table["estimate"]).all() and (
        table["estimate"] < table["upper_95"]
    ).all()


def test_cdnow_holdout_forecast(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    assert data["frequency_holdout"].sum() == 1882  # the actual weeks 40-78 repeat purchases
    predicted = cdnow_fit.expected_purchases(data, t=39)
    assert predicted.index.equals(data.index)
    # each customer's expectation equals FHL 2005 eq. (10) evaluated with scipy's hyp2f1
    # (reliable for these arguments)
    x, tx, T = (data[c].to_numpy() for c in COLS)
    r, alpha, a, b = cdnow_fit.params
    w = 39 / (alpha + T + 39)
    num = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - ((alpha + T) / (alpha + T + 39)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, w))
    )
    den = 1 + (x > 0) * a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + tx)) ** (r + x)
    np.testing.assert_allclose(predicted, num / den, rtol=1e-9)
    # The BG/NBD under-forecasts the CDNOW holdout total of 1,882 (FHL 2005)
    total = predicted.sum()
    assert 0.85 * 1882 < total < 1882
    # per calibration-frequency group, the forecast follows the actual holdout means
    grouped = data.assign(pred=predicted).groupby(np.minimum(data["frequency"], 7))
    means = grouped[["frequency_holdout", "pred"]].mean()
    assert np.corrcoef(means["frequency_holdout"], means["pred"])[0, 1] > 0.98


def test_weights_give_the_same_estimates(cdnow_sample_summary, cdnow_fit):
    compressed = compress(cdnow_sample_summary[COLS])
    assert len(compressed) < len(cdnow_sample_summary)
    weighted = BetaGeo().fit(compressed)
    np.testing.assert_allclose(weighted.params, cdnow_fit.params, rtol=1e-6)
    assert weighted.loglik == pytest.approx(cdnow_fit.loglik, abs=1e-6)
    np.testing.assert_allclose(weighted.standard_errors, cdnow_fit.standard_errors, rtol=1e-4)


def test_gradient_matches_finite_differences(cdnow_sample_summary):
    model = BetaGeo()
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


# ----- simulated truth ----------------------------------------------------------------------------


def _recovers(n, seed):
    sim = simulate_bgnbd(n, **TRUTH, seed=seed, **SIM_WINDOW)
    model = BetaGeo().fit(sim.summary)
    z = (model.params - pd.Series(TRUTH)) / model.standard_errors
    assert np.all(np.abs(z) < 3), z.to_dict()


def test_recovers_parameters_20k():
    _recovers(20_000, seed=11)


def test_recovers_parameters_100k():  # ~2 s
    _recovers(100_000, seed=12)


def test_new_customer_expectation_matches_simulation():
    # one acquisition day, so every customer has nearly the same T; compare
    # the mean of the model's E[X(T_i)] with the simulated mean frequency
    sim = simulate_bgnbd(
        100_000,
        **TRUTH,
        seed=3,
        acquisition_start="2024-01-01",
        acquisition_end="2024-01-01",
        observation_end="2024-12-31",
        time_unit="W",
        transactions=False,
    )
    model = BetaGeo.from_params(TRUTH)
    T = sim.summary["T"].to_numpy()
    expected = model.expected_purchases_new_customer(t=T).mean()
    x = sim.summary["frequency"]
    assert x.mean() == pytest.approx(expected, abs=4 * x.std() / np.sqrt(len(x)))
    # distribution of the count: P(X(T) = n) against the simulated shares
    for n in range(4):
        share = (x == n).mean()
        prob = model.probability_of_purchases_new_customer(n=n, t=T).mean()
        assert share == pytest.approx(prob, abs=4 * np.sqrt(prob * (1 - prob) / len(x)))


def test_conditional_expectation_matches_simulated_holdout():
    sim = simulate_bgnbd(100_000, **TRUTH, seed=5, holdout_end="2025-06-30", **SIM_WINDOW)
    data = sim.summary
    model = BetaGeo.from_params(TRUTH)
    predicted = model.expected_purchases(data, t=data["duration_holdout"].iloc[0])
    actual = data["frequency_holdout"]
    assert predicted.sum() == pytest.approx(
        actual.sum(), abs=4 * actual.std() * np.sqrt(len(actual))
    )
    # p_alive is calibrated: average P(alive) equals the share truly alive
    p = model.p_alive(data)
    alive = sim.truth["alive"]
    assert p.mean() == pytest.approx(alive.mean(), abs=4 * np.sqrt(0.25 / len(p)))


# ----- predictions --------------------------------------------------------------------------------


def test_predictions_basic_properties(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    p = cdnow_fit.p_alive(data)
    assert p.index.equals(data.index)
    assert ((p >= 0) & (p <= 1)).all()
    assert (p[data["frequency"] == 0] == 1).all()
    t = np.array([0.0, 1, 5, 39, 52, 200, 1000])
    e = cdnow_fit.expected_purchases_new_customer(t=t)
    assert e[0] == 0 and np.all(np.diff(e) > 0)
    assert isinstance(cdnow_fit.expected_purchases_new_customer(t=39.0), float)
    cond = np.column_stack([cdnow_fit.expected_purchases(data, t=tt) for tt in t[1:]])
    assert np.all(np.diff(cond, axis=1) > 0)
    probs = cdnow_fit.probability_of_purchases_new_customer(n=np.arange(400), t=39)
    assert probs.sum() == pytest.approx(1.0, abs=1e-10)
    assert np.sum(np.arange(400) * probs) == pytest.approx(
        cdnow_fit.expected_purchases_new_customer(t=39), rel=1e-8
    )


def test_new_customer_expectation_equals_published_closed_form(cdnow_fit):
    r, alpha, a, b = cdnow_fit.params
    for t in [1.0, 10.0, 39.0, 78.0]:
        z = t / (alpha + t)
        closed = (
            (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
        )
        assert cdnow_fit.expected_purchases_new_customer(t=t) == pytest.approx(closed, rel=1e-10)


def test_dert_matches_direct_integration(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary.iloc[:2]
    delta = np.log(1.15) / 52  # continuously compounded per week
    # the same discounting as a yearly effective rate (the model converts it back with units)
    annual = to_discrete(delta * units_per_year("W"))
    assert cdnow_fit.time_unit == "W"  # taken from the summary's attrs at fit
    dert = cdnow_fit.dert(data, annual_discount_rate=annual)
    np.testing.assert_array_equal(
        dert, cdnow_fit.dert(data, annual_discount_rate=annual, time_unit="W")
    )
    r, alpha, a, b = cdnow_fit.params
    p_alive = cdnow_fit.p_alive(data)
    for cid, row in data.iterrows():
        x, T = row["frequency"], row["T"]
        # DERT = delta * int_0^inf exp(-delta t) E[Y(t)] dt, E[Y(t)] = P(alive) h(t / (alpha + T))
        f = lambda t: np.exp(-delta * t) * bg_h(a, b + x, r + x, t / (alpha + T))  # noqa: E731, B023
        ref = p_alive[cid] * delta * quad(f, 0, np.inf, epsrel=1e-10, limit=200)[0]
        assert dert[cid] == pytest.approx(ref, rel=1e-7)
    assert (dert > cdnow_fit.expected_purchases(data, t=52)).all()


# ----- the special function h -------------------------------------------------------------------


def _h_reference(A, B, R, z):
    """Adaptive quadrature: over log p on (0, 1/2], over p on [1/2, 1)."""
    lb = betaln(A, B)

    def in_log_p(y):
        p = np.exp(y)
        return np.exp((A - 1) * y + (B - 1) * np.log1p(-p) - lb) * -np.expm1(-R * np.log1p(p * z))

    def in_p(p):  # the factor (1-p)^(B-1) is quad's algebraic weight
        return np.exp((A - 2) * np.log(p) - lb) * -np.expm1(-R * np.log1p(p * z))

    kink = -np.log(z * R)
    cuts = sorted(
        {-400.0, -np.log(2.0)} | {c for c in (kink - 3, kink + 3) if -400 < c < -np.log(2.0)}
    )
    total = sum(
        quad(in_log_p, lo, hi, epsabs=0, epsrel=1e-12, limit=500)[0]
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
    )
    upper = quad(
        in_p, 0.5, 1.0, weight="alg", wvar=(0.0, B - 1.0), epsabs=0, epsrel=1e-12, limit=500
    )
    return total + upper[0]


@pytest.mark.parametrize(
    "A,B,R,z",
    [
        (0.793, 2.426, 0.243, 10.0),
        (0.793, 30.4, 30.2, 3.0),
        (1.0, 2.0, 1.5, 5.0),  # a = 1: removable singularity of the closed form
        (0.3, 0.4, 0.5, 2.0),  # a + b < 1
        (0.5, 2.4, 3.0, 1e4),  # long horizon
        (2.5, 0.3, 300.0, 1.0),  # many purchases, strong cancellation in the series
        (0.05, 300.0, 300.2, 1e8),
    ],
)
def test_h_matches_direct_integration(A, B, R, z):
    assert bg_h(A, B, R, z) == pytest.approx(_h_reference(A, B, R, z), rel=1e-8)


def test_laplace_of_h_matches_direct_integration():
    A, B, R, kappa = 0.8, 3.4, 1.24, 0.05
    ref = (
        kappa
        * quad(lambda z: np.exp(-kappa * z) * bg_h(A, B, R, z), 0, np.inf, epsrel=1e-11, limit=400)[
            0
        ]
    )
    assert bg_laplace_h(A, B, R, kappa) == pytest.approx(ref, rel=1e-9)


# ----- robustness ---------------------------------------------------------------------------------


def _all_predictions(model, data):
    out = [
        model.p_alive(data).to_numpy(),
        model.expected_purchases(data, t=39).to_numpy(),
        model.expected_purchases(data, t=1e4).to_numpy(),
        model.dert(data, annual_discount_rate=0.1, time_unit="W").to_numpy(),
        np.atleast_1d(model.expected_purchases_new_customer(t=np.array([0.1, 39, 1e5]))),
        model.probability_of_purchases_new_customer(n=np.arange(5), t=39.0),
    ]
    for arr in out:
        assert np.all(np.isfinite(arr)), arr
        assert np.all(arr >= 0)
    return out


def test_heavy_buyers_and_long_T():
    data = pd.DataFrame(
        {
            "frequency": [0, 1, 5, 300, 450, 1000],
            "recency": [0.0, 2.0, 30.0, 520.0, 9000.0, 9999.0],
            "T": [39.0, 39.0, 39.0, 520.0, 1e4, 1e4],
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = BetaGeo.from_params(TRUTH)
        ll = model._loglik_rows(model.params.to_numpy(), model._prepare(data))
        assert np.all(np.isfinite(ll))
        _all_predictions(model, data)
        p = model.p_alive(data)
        assert p.iloc[0] == 1.0 and p.iloc[-1] > 0.9  # a very recent heavy buyer is alive


def test_a_plus_b_below_one():
    data = pd.DataFrame({"frequency": [0, 2, 10], "recency": [0.0, 10.0, 30.0], "T": [40.0] * 3})
    model = BetaGeo.from_params({"r": 0.5, "alpha": 5.0, "a": 0.3, "b": 0.4})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        preds = _all_predictions(model, data)
    e = model.expected_purchases_new_customer(t=np.array([1.0, 10, 100, 1000]))
    assert np.all(np.diff(e) > 0)
    # a < 1: E[X(t)] grows without bound, like t^(1-a)
    assert model.expected_purchases_new_customer(
        t=1e6
    ) > 10 * model.expected_purchases_new_customer(t=1e3)
    assert preds[5].sum() < 1


@pytest.mark.parametrize(
    "params",
    [
        {"r": 1e-9, "alpha": 1e9, "a": 1e-9, "b": 1e9},
        {"r": 1e9, "alpha": 1e-9, "a": 1e9, "b": 1e-9},
        {"r": 1e-9, "alpha": 1e-9, "a": 1e9, "b": 1e9},
        {"r": 5e3, "alpha": 1e3, "a": 1e-6, "b": 1e-6},
    ],
)
def test_extreme_parameters_give_finite_predictions(params):
    data = pd.DataFrame({"frequency": [0, 3, 300], "recency": [0.0, 20.0, 38.0], "T": [39.0] * 3})
    model = BetaGeo.from_params(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ll = model._loglik_rows(model.params.to_numpy(), model._prepare(data))
        assert np.all(np.isfinite(ll))
        _all_predictions(model, data)


def test_unfittable_data_raises_convergence_error():
    # nobody ever comes back: the likelihood keeps rising as r -> 0
    data = pd.DataFrame(
        {"frequency": [0] * 50, "recency": [0.0] * 50, "T": np.linspace(10, 40, 50)}
    )
    with pytest.raises(ConvergenceError, match="bound|converge"):
        BetaGeo().fit(data)


def test_invalid_data_is_rejected():
    with pytest.raises(DataValidationError, match="recency exceeds T"):
        BetaGeo().fit(pd.DataFrame({"frequency": [1], "recency": [5.0], "T": [4.0]}))
    with pytest.raises(DataValidationError, match="frequency 0"):
        BetaGeo().fit(pd.DataFrame({"frequency": [0], "recency": [5.0], "T": [6.0]}))
    with pytest.raises(DataValidationError, match="needs column"):
        BetaGeo().fit(pd.DataFrame({"frequency": [0], "T": [6.0]}))
    with pytest.raises(RuntimeError, match="not fitted"):
        BetaGeo().p_alive(pd.DataFrame({"frequency": [0], "recency": [0.0], "T": [6.0]}))


# ----- P(alive) beyond the observation end ------------------------------------------------------


def _p_alive_reference(params, x, tx, T, t, extra_dropout=0):
    """P(alive at T + t | x, t_x, T) by direct integration over p, lambda integrated analytically.

    Alive at T + t: no dropout after the x repeat purchases (nor at time 0 for the
    MBG/NBD) and no dropout purchase in (T, T + t]; given lambda and p that has
    probability (1-p)^(x+d) exp(-lambda p t), which with the history's
    lambda^x e^(-lambda T) and lambda ~ Gamma(r, alpha) integrates over lambda to
    (alpha + T + p t)^-(r+x). Normalised by the whole likelihood (alive at T, or
    dropped out right after the last purchase).
    """
    r, alpha, a, b = params
    d = extra_dropout
    lb = betaln(a, b)

    def alive(p, tt):
        return np.exp(
            (a - 1) * np.log(p)
            + (b + x + d - 1) * np.log1p(-p)
            - lb
            - (r + x) * np.log((alpha + T + p * tt) / (alpha + T))
        )

    def dead(p):
        return np.exp(
            a * np.log(p)
            + (b + x + d - 2) * np.log1p(-p)
            - lb
            - (r + x) * np.log((alpha + tx) / (alpha + T))
        )

    kw = dict(epsabs=0, epsrel=1e-12, limit=400, points=[1e-6, 1e-4, 1e-2])
    num = quad(alive, 0, 1, args=(t,), **kw)[0]
    den = quad(alive, 0, 1, args=(0.0,), **kw)[0]
    if x + d > 0:
        den += quad(dead, 0, 1, **kw)[0]
    return num / den


def test_p_alive_at_zero_is_todays_p_alive(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    today = cdnow_fit.p_alive(data)
    np.testing.assert_array_equal(cdnow_fit.p_alive(data, t=0), today)
    np.testing.assert_array_equal(cdnow_fit.p_alive(data, t=np.zeros(len(data))), today)
    # the returned Series is the caller's: changing it leaves later results alone
    today.iloc[:] = -1.0
    assert (cdnow_fit.p_alive(data) >= 0).all()


def test_p_alive_decreases_with_time_ahead(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary
    t = [0.0, 0.5, 1.0, 5.0, 39.0, 52.0, 156.0, 1e3, 1e5]
    p = np.column_stack([cdnow_fit.p_alive(data, t=tt).to_numpy() for tt in t])
    assert np.all(np.diff(p, axis=1) < 0)
    assert np.all(p > 0) and np.all(p <= 1)
    # a customer without repeat purchases is alive today but may drop out after her next ones
    zero = (data["frequency"] == 0).to_numpy()
    assert np.all(p[zero, 0] == 1) and np.all(p[zero, 6] < 1)
    # one value per customer gives each customer's own horizon
    horizons = np.resize(t, len(data))
    mixed = cdnow_fit.p_alive(data, t=horizons).to_numpy()
    column = np.resize(np.arange(len(t)), len(data))
    np.testing.assert_allclose(mixed, p[np.arange(len(data)), column], rtol=1e-14)
    with pytest.raises(ValueError, match="non-negative"):
        cdnow_fit.p_alive(data, t=-1.0)


def test_p_alive_ahead_matches_direct_integration(cdnow_fit, cdnow_sample_summary):
    data = cdnow_sample_summary[COLS]
    picked = data.loc[[data.index[data["frequency"] == k][0] for k in (0, 1, 5, 29)]]
    for t in (1.0, 52.0, 1000.0):
        p = cdnow_fit.p_alive(picked, t=t).to_numpy()
        params = cdnow_fit.params.to_numpy()
        ref = [_p_alive_reference(params, *row, t) for row in picked.to_numpy()]
        np.testing.assert_allclose(p, ref, rtol=1e-10)


def test_p_alive_ahead_matches_simulated_survival():
    # Given the simulated truth, a customer alive at T with rates lambda, p survives
    # t more time units with probability exp(-lambda p t): summed over customers that
    # is what the model predicts from the histories alone (both estimate the same total).
    sim = simulate_bgnbd(20_000, **TRUTH, seed=41, **SIM_WINDOW)
    model = BetaGeo.from_params(TRUTH)
    truth = sim.truth
    for t in (52.0, 260.0):
        predicted = model.p_alive(sim.summary, t=t).to_numpy()
        rate = truth["lambda"].to_numpy() * truth["p"].to_numpy()  # of dropout purchases
        survived = truth["alive"].to_numpy() * np.exp(-rate * t)
        diff = survived - predicted
        # 4 standard errors; the posterior Beta(a, b) instead of Beta(a, b+x) is off by ~15
        assert abs(diff.sum()) < 4 * diff.std() * np.sqrt(len(diff)), (t, diff.sum())


def test_p_alive_ahead_heavy_buyers_long_T_large_t():
    data = pd.DataFrame(
        {
            "frequency": [0, 1, 5, 300, 450, 1000],
            "recency": [0.0, 2.0, 30.0, 520.0, 9000.0, 9999.0],
            "T": [39.0, 39.0, 39.0, 520.0, 1e4, 1e4],
        }
    )
    model = BetaGeo.from_params(TRUTH)
    t = [0.0, 1.0, 52.0, 1e3, 1e6, 1e9]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = np.column_stack([model.p_alive(data, t=tt).to_numpy() for tt in t])
    assert np.all(np.isfinite(p)) and np.all(p > 0) and np.all(p <= 1)
    assert np.all(np.diff(p, axis=1) < 0)
    for row, values in zip(data.to_numpy()[3:], p[3:], strict=True):
        ref = [_p_alive_reference(model.params.to_numpy(), *row, tt) for tt in (52.0, 1e3)]
        np.testing.assert_allclose(values[2:4], ref, rtol=1e-8)


@pytest.mark.parametrize(
    "params",
    [
        {"r": 0.5, "alpha": 5.0, "a": 0.3, "b": 0.4},  # a + b < 1
        {"r": 0.25, "alpha": 4.0, "a": 2000.0, "b": 4000.0},  # sharply peaked Beta
        {"r": 1e-9, "alpha": 1e9, "a": 1e-9, "b": 1e9},
        {"r": 1e9, "alpha": 1e-9, "a": 1e9, "b": 1e-9},
        {"r": 1e-9, "alpha": 1e-9, "a": 1e9, "b": 1e9},
        {"r": 5e3, "alpha": 1e3, "a": 1e-6, "b": 1e-6},
    ],
)
def test_p_alive_ahead_extreme_parameters(params):
    data = pd.DataFrame({"frequency": [0, 3, 300], "recency": [0.0, 20.0, 38.0], "T": [39.0] * 3})
    model = BetaGeo.from_params(params)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = np.column_stack([model.p_alive(data, t=tt).to_numpy() for tt in (0.0, 1.0, 52.0, 1e4)])
    assert np.all(np.isfinite(p)) and np.all(p >= 0) and np.all(p <= 1)
    assert np.all(np.diff(p, axis=1) <= 0)


def test_p_alive_ahead_sharply_peaked_dropout_probability():
    # a, b in the thousands: nearly the same p for everyone, a regime where
    # scipy's hyp2f1 returns NaN and series in the hypergeometric argument lose digits
    model = BetaGeo.from_params({"r": 0.25, "alpha": 4.0, "a": 2000.0, "b": 4000.0})
    data = pd.DataFrame({"frequency": [0, 3, 30], "recency": [0.0, 20.0, 38.0], "T": [39.0] * 3})
    for t in (52.0, 1e4):
        p = model.p_alive(data, t=t).to_numpy()
        ref = [_p_alive_reference(model.params.to_numpy(), *row, t) for row in data.to_numpy()]
        np.testing.assert_allclose(p, ref, rtol=1e-9)


def test_grids_equal_one_horizon_at_a_time(cdnow_fit, cdnow_sample_summary):
    check_grids_equal_one_horizon_at_a_time(cdnow_fit, cdnow_sample_summary)


# ----- h for a sharply peaked dropout probability (a, b in the thousands) ------------------------


def _peaked_quad(log_f, A, B):
    """quad of exp(log_f(p)) over p within 40 sd of the mode of Beta(A, B) (A, B > 1), in pieces."""
    m = (A - 1.0) / (A + B - 2.0)
    sd = np.sqrt(m * (1.0 - m) / (A + B + 1.0))
    cuts = [min(max(m + k * sd, 1e-300), 1.0 - 1e-16) for k in (-40, -10, -3, -1, 0, 1, 3, 10, 40)]
    return sum(
        quad(lambda p: np.exp(log_f(p)), lo, hi, epsabs=0, epsrel=1e-13, limit=200)[0]
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True)
        if hi > lo
    )


def _h_reference_peaked(A, B, R, z):
    """The defining integral of h by quad, for a Beta sharply peaked inside (0, 1)."""
    lb = betaln(A, B)

    def log_f(p):
        return (
            (A - 2) * np.log(p)
            + (B - 1) * np.log1p(-p)
            - lb
            + np.log(-np.expm1(-R * np.log1p(p * z)))
        )

    return _peaked_quad(log_f, A, B)


@pytest.mark.parametrize("z", [0.01, 1.0, 10.0, 19.5, 100.0, 1e4, 1e6])
@pytest.mark.parametrize(
    "A,B,R",
    [
        (2000.0, 4000.0, 0.25),
        (2000.0, 4000.0, 30.0),
        (2000.0, 4300.0, 300.25),
        (40.0, 60.0, 5.0),
        (3e4, 2e3, 1000.0),
        (1e5, 1e5, 0.25),
    ],
)
def test_h_sharply_peaked_beta_matches_direct_integration(A, B, R, z):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = bg_h(A, B, R, z)
    assert h == pytest.approx(_h_reference_peaked(A, B, R, z), rel=1e-9)


def test_h_sharply_peaked_vectorised_and_finite():
    z = np.array([0.0, 1e-3, 10.0, 100.0, 1e4, 1e6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = bg_h(2000.0, 4000.0, 3.0, z)
    assert np.all(np.isfinite(h)) and h[0] == 0.0 and np.all(np.diff(h) > 0)
    np.testing.assert_allclose(h[1:], [bg_h(2000.0, 4000.0, 3.0, v) for v in z[1:]], rtol=1e-14)


def test_expected_purchases_sharply_peaked_matches_direct_integration():
    r, alpha, a, b = 0.25, 4.0, 2000.0, 4000.0
    model = BetaGeo.from_params({"r": r, "alpha": alpha, "a": a, "b": b})
    data = pd.DataFrame({"frequency": [0, 3, 300], "recency": [0.0, 20.0, 38.0], "T": [39.0] * 3})
    for t in (52.0, 520.0, 4e4):  # z = t / (alpha + T) from ~1.2 to ~930
        got = model.expected_purchases(data, t=t).to_numpy()
        for i, (x, tx, T) in enumerate(data.to_numpy()):
            z = t / (alpha + T)
            lb = betaln(a, b)

            def alive(
                p,
            ):  # Beta prior times the likelihood of the history if alive at T (up to a constant)
                return (a - 1) * np.log(p) + (b + x - 1) * np.log1p(-p) - lb

            def dead(p):  # ... if she dropped out right after her last purchase
                return (
                    a * np.log(p)
                    + (b + x - 2) * np.log1p(-p)
                    - lb
                    - (r + x) * np.log((alpha + tx) / (alpha + T))
                )

            def purchases(
                p,
            ):  # alive: E over the posterior Gamma(r + x, alpha + T) rate of (1 - e^(-lambda p t)) / p
                return alive(p) + np.log(-np.expm1(-(r + x) * np.log1p(p * z))) - np.log(p)

            norm = _peaked_quad(alive, a, b + x) + (
                _peaked_quad(dead, a + 1, b + x - 1) if x > 0 else 0.0
            )
            ref = _peaked_quad(purchases, a - 1, b + x) / norm
            assert got[i] == pytest.approx(ref, rel=1e-9), (x, t)


# ----- the conditional distribution of future purchases ------------------------------------------


def test_conditional_distribution_sums_to_one_and_has_the_expected_mean(
    cdnow_fit, cdnow_sample_summary
):
    data = cdnow_sample_summary[COLS]
    picked = data.iloc[::60]
    heavy = pd.DataFrame({"frequency": [300, 40], "recency": [520.0, 30.0], "T": [520.0, 39.0]})
    check_conditional_distribution(cdnow_fit, picked, 39.0, 250)
    check_conditional_distribution(cdnow_fit, heavy, 10.0, 400)
    # t = 0: no purchase for sure
    np.testing.assert_allclose(cdnow_fit.probability_of_purchases(picked, n=0, t=0.0), 1.0)


@pytest.mark.parametrize("x,tx,T", [(0, 0.0, 39.0), (2, 30.0, 39.0), (6, 12.0, 39.0)])
def test_conditional_distribution_matches_monte_carlo_of_the_process(cdnow_fit, x, tx, T):
    params = cdnow_fit.params.to_numpy()
    customer = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    probs = [cdnow_fit.probability_of_purchases(customer, n=n, t=52.0).iloc[0] for n in range(6)]
    counts, weights = bg_monte_carlo(params, x, tx, T, 52.0, seed=x)
    check_against_monte_carlo(probs, counts, weights, 5)
