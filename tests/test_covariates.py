"""Time-invariant covariates of BG/NBD, MBG/NBD and Pareto/NBD: identity, gradients, API, reading."""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
import pytest

from analysis.clv.model import customer_lifetime_value
from analysis.models import (
    BetaGeo,
    LikelihoodRatioTest,
    ModifiedBetaGeo,
    ParetoNBD,
    likelihood_ratio_test,
    load_model,
    rate_ratios,
    save_model,
)
from analysis.validate import DataValidationError

MODELS = [BetaGeo, ModifiedBetaGeo, ParetoNBD]
COLS = ["frequency", "recency", "T"]
#: seed of the random 0/1 covariate added to CDNOW's sample summary
COVARIATE_SEED = 22


def rel(a, b) -> float:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.fixture(scope="module")
def summary(cdnow_sample_summary) -> pd.DataFrame:
    s = cdnow_sample_summary[COLS].copy()
    s["z"] = np.random.default_rng(COVARIATE_SEED).integers(0, 2, len(s)).astype(float)
    return s


@pytest.fixture(scope="module")
def bg_full(summary):
    """BG/NBD with z on purchase and dropout, fitted once for the tests that only read it."""
    return BetaGeo(purchase_covariates=["z"], dropout_covariates=["z"]).fit(summary)


@pytest.fixture(scope="module", params=MODELS, ids=lambda c: c.__name__)
def pair(request, summary):
    """A plain fit and the same parameters with zero coefficients on z (purchase and dropout)."""
    cls = request.param
    plain = cls().fit(summary[COLS])
    zero = cls.from_params(
        {**plain.params, "purchase:z": 0.0, "dropout:z": 0.0},
        purchase_covariates=["z"],
        dropout_covariates=["z"],
        time_unit="W",
    )
    return plain, zero


def per_customer(model, frame):
    arrays = model._prepare(frame.assign(weight=1.0))  # a weight column: no compression
    return arrays


def test_zero_coefficients_give_the_plain_likelihood_and_gradient(pair, summary):
    plain, zero = pair
    a_plain = per_customer(plain, summary[COLS])
    a_zero = per_customer(zero, summary)
    ll_plain = plain._loglik_rows(plain.params.to_numpy(), a_plain)
    ll_zero = zero._loglik_rows(zero.params.to_numpy(), a_zero)
    assert ll_plain.shape == ll_zero.shape == (len(summary),)
    assert rel(ll_zero, ll_plain) < 1e-12
    assert rel(ll_zero.sum(), ll_plain.sum()) < 1e-12
    # the gradient away from the optimum (where its total is not ~0)
    away = plain.params.to_numpy() * np.array([1.1, 0.9, 1.2, 0.8])
    g_plain = plain._loglik_grad_rows(away, a_plain)
    g_zero = zero._loglik_grad_rows(np.r_[away, 0.0, 0.0], a_zero)
    assert rel(g_zero[:, :4], g_plain) < 1e-12
    assert rel(g_zero[:, :4].sum(axis=0), g_plain.sum(axis=0)) < 1e-12


def test_zero_coefficients_give_the_plain_predictions(pair, summary):
    plain, zero = pair
    pairs = [
        (plain.p_alive(summary[COLS]), zero.p_alive(summary)),
        (plain.p_alive(summary[COLS], t=13.0), zero.p_alive(summary, t=13.0)),
        (plain.expected_purchases(summary[COLS], t=39), zero.expected_purchases(summary, t=39)),
        (
            plain.probability_of_purchases(summary[COLS], n=2, t=39),
            zero.probability_of_purchases(summary, n=2, t=39),
        ),
        (  # the BG/NBD DERT is a quadrature per distinct row: 300 customers keep this test short
            plain.dert(summary[COLS].iloc[:300], annual_discount_rate=0.1),
            zero.dert(summary.iloc[:300], annual_discount_rate=0.1),
        ),
        (
            plain.expected_purchases_grid(summary[COLS], ts=[4, 13, 52]).to_frame(),
            zero.expected_purchases_grid(summary, ts=[4, 13, 52]).to_frame(),
        ),
        (
            plain.p_alive_grid(summary[COLS], ts=[4, 52]).to_frame(),
            zero.p_alive_grid(summary, ts=[4, 52]).to_frame(),
        ),
    ]
    for a, b in pairs:
        assert rel(b, a) < 1e-12
    t = np.array([1.0, 10.0, 52.0])
    assert (
        rel(
            zero.expected_purchases_new_customer(t=t, covariates={"z": 1.0}),
            plain.expected_purchases_new_customer(t=t),
        )
        < 1e-12
    )
    assert (
        rel(
            zero.probability_of_purchases_new_customer(n=[0, 1, 3], t=20.0, covariates={"z": 0.0}),
            plain.probability_of_purchases_new_customer(n=[0, 1, 3], t=20.0),
        )
        < 1e-12
    )


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
def test_analytic_gradient_matches_finite_differences(cls, summary):
    frame = summary.iloc[:400].copy()
    frame["u"] = np.random.default_rng(7).normal(size=len(frame))
    model = cls(purchase_covariates=["z", "u"], dropout_covariates=["u"])
    arrays = model._prepare(frame)
    base = [0.4, 6.0, 0.8, 2.5] if cls is not ParetoNBD else [0.5, 9.0, 0.7, 11.0]
    params = np.array(base + [0.3, -0.2, 0.25])
    grad = model._loglik_grad_rows(params, arrays).T @ arrays["weight"]
    for k in range(len(params)):
        h = 1e-6 * max(abs(params[k]), 1.0)
        up, down = params.copy(), params.copy()
        up[k] += h
        down[k] -= h
        fd = (
            model._loglik_rows(up, arrays) @ arrays["weight"]
            - model._loglik_rows(down, arrays) @ arrays["weight"]
        ) / (2 * h)
        assert grad[k] == pytest.approx(fd, rel=1e-5, abs=1e-5), model.param_names[k]


def test_params_names_and_counts(summary, bg_full):
    model = bg_full
    assert list(model.params.index) == ["r", "alpha", "a", "b", "purchase:z", "dropout:z"]
    assert model.n_params == 6
    assert list(model.standard_errors.index) == list(model.params.index)
    table = model.summary()
    coef, se = model.params["purchase:z"], model.standard_errors["purchase:z"]
    assert table.loc["purchase:z", "lower_95"] == pytest.approx(coef - 1.959964 * se, rel=1e-6)
    assert model.aic == pytest.approx(2 * 6 - 2 * model.loglik)
    assert model.bic == pytest.approx(6 * np.log(model.n_customers) - 2 * model.loglik)
    plain = BetaGeo().fit(summary[COLS])
    assert model.loglik >= plain.loglik - 1e-6
    # the plain model ignores extra columns: the same fit with or without them
    assert np.allclose(BetaGeo().fit(summary).params, plain.params, rtol=1e-12)


@pytest.mark.parametrize(
    "column, value, words",
    [
        ("z", np.nan, "missing, non-numeric or infinite"),
        ("z", "x", "missing, non-numeric or infinite"),
        ("z", np.inf, "missing, non-numeric or infinite"),
    ],
)
def test_bad_covariate_values_are_refused_with_column_and_rows(summary, column, value, words):
    frame = summary.iloc[:50].copy()
    frame[column] = frame[column].astype(object)
    frame.loc[frame.index[3], column] = value
    with pytest.raises(DataValidationError, match=words) as err:
        BetaGeo(purchase_covariates=[column]).fit(frame)
    assert repr(column) in str(err.value) and str(frame.index[3]) in str(err.value)


def test_missing_and_constant_covariates_are_refused(summary):
    with pytest.raises(DataValidationError, match="'channel'"):
        ParetoNBD(dropout_covariates=["channel"]).fit(summary)
    with pytest.raises(DataValidationError, match="constant"):
        BetaGeo(purchase_covariates=["one"]).fit(summary.assign(one=1.0))
    with pytest.raises(ValueError, match="reserved"):
        BetaGeo(purchase_covariates=["T"])
    fitted = BetaGeo(purchase_covariates=["z"]).fit(summary)
    with pytest.raises(DataValidationError, match="'z'"):
        fitted.p_alive(summary[COLS])
    with pytest.raises(ValueError, match="needs their values"):
        fitted.expected_purchases_new_customer(t=10)


def test_rows_are_compressed_on_the_covariates_too(summary):
    model = BetaGeo(purchase_covariates=["z"])
    arrays = model._prepare(summary)
    distinct = summary.drop_duplicates(subset=COLS + ["z"])
    assert arrays["weight"].shape == (len(distinct),)
    assert arrays["weight"].sum() == len(summary)


def test_new_customers_by_profile(summary):
    model = ParetoNBD(purchase_covariates=["z"]).fit(summary)
    profiles = pd.DataFrame({"z": [0.0, 1.0]})
    both = model.expected_purchases_new_customer(t=52.0, covariates=profiles)
    one = model.expected_purchases_new_customer(t=52.0, covariates={"z": 1.0})
    assert both.shape == (2,) and both[1] == pytest.approx(one, rel=1e-14)
    # a higher purchase rate for z = 1 when its coefficient is positive, and conversely
    assert (both[1] > both[0]) == (model.params["purchase:z"] > 0)


def test_persistence_round_trip(summary, tmp_path):
    model = ModifiedBetaGeo(purchase_covariates=["z"], dropout_covariates=["z"]).fit(summary)
    path = save_model(model, tmp_path / "mbg.json")
    loaded = load_model(path)
    assert loaded.purchase_covariates == ("z",) and loaded.dropout_covariates == ("z",)
    pd.testing.assert_series_equal(loaded.params, model.params)
    pd.testing.assert_frame_equal(loaded.summary(), model.summary())
    pd.testing.assert_series_equal(
        loaded.expected_purchases(summary, t=20), model.expected_purchases(summary, t=20)
    )


def test_likelihood_ratio_test_and_rate_ratios(summary, bg_full):
    plain = ParetoNBD().fit(summary[COLS])
    full = ParetoNBD(purchase_covariates=["z"], dropout_covariates=["z"]).fit(summary)
    test = likelihood_ratio_test(plain, full)
    assert isinstance(test, LikelihoodRatioTest)
    assert test.df == 2
    assert test.statistic == pytest.approx(2 * (full.loglik - plain.loglik))
    assert 0 <= test.p_value <= 1 and "LR =" in test.text
    # a random covariate: no real effect
    assert test.p_value > 0.001
    with pytest.raises(ValueError, match="different customers"):
        likelihood_ratio_test(ParetoNBD().fit(summary[COLS].iloc[:1000]), full)
    table = rate_ratios(full)
    assert list(table.index) == ["purchase:z", "dropout:z"]
    assert list(table.columns) == [
        "process",
        "covariate",
        "coefficient",
        "se",
        "ratio",
        "lower",
        "upper",
        "meaning",
    ]
    row = table.loc["purchase:z"]
    assert row["ratio"] == pytest.approx(np.exp(full.params["purchase:z"]))
    assert row["lower"] < row["ratio"] < row["upper"]
    assert row["meaning"].startswith("purchase rate x")
    assert table.loc["dropout:z", "meaning"].startswith("dropout rate x")
    # BG/NBD's dropout coefficient scales a: read as odds of dropping out at a purchase
    bg_table = rate_ratios(bg_full)
    assert bg_table.loc["dropout:z", "meaning"].startswith("odds of dropping out at a purchase x")
    assert bg_table.loc["purchase:z", "meaning"].startswith("purchase rate x")


def test_clv_with_a_covariate_model(summary, bg_full):
    from analysis.models import GammaGamma

    summary_m = summary.assign(monetary_value=20.0 + 5.0 * summary["z"])
    model = bg_full
    spend = pd.Series(summary_m["monetary_value"].to_numpy(), index=summary.index)
    value = customer_lifetime_value(model, spend, summary, horizon_years=1.0, time_unit="W")
    assert np.all(np.isfinite(value["clv"])) and len(value) == len(summary)
    assert GammaGamma is not None


def test_parameter_draws_keep_the_coefficients_sign(summary, bg_full):
    from analysis.models.uncertainty import draw_models, parameter_draws

    model = bg_full
    draws = parameter_draws(model, n_draws=2_000, seed=0)
    assert list(draws.columns) == list(model.params.index)
    assert (draws[["r", "alpha", "a", "b"]] > 0).all().all()
    assert draws["purchase:z"].std() == pytest.approx(model.standard_errors["purchase:z"], rel=0.1)
    assert (draws["purchase:z"] < 0).any() and (draws["purchase:z"] > 0).any()
    twin = draw_models(model, n_draws=1, seed=0)[0]
    assert np.all(np.isfinite(twin.p_alive(summary)))


def test_period_transactions_with_covariates(summary, bg_full):
    from analysis.models import period_transactions

    plain = BetaGeo().fit(summary[COLS])
    zero = BetaGeo.from_params(
        {**plain.params, "purchase:z": 0.0}, purchase_covariates=["z"], time_unit="W"
    )
    table = period_transactions({"plain": plain, "zero": zero}, summary)
    assert np.allclose(table["zero"], table["plain"], rtol=1e-10)
    full = bg_full
    table = period_transactions(full, summary)
    assert table["predicted"].sum() == pytest.approx(len(summary))


def test_tracking_table_with_covariates(cdnow_sample, summary):
    from analysis.models import tracking_table

    plain = BetaGeo().fit(summary[COLS])
    zero = BetaGeo.from_params(
        {**plain.params, "dropout:z": 0.0}, dropout_covariates=["z"], time_unit="W"
    )
    table = tracking_table(
        {"plain": plain, "zero": zero},
        cdnow_sample,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        attributes=summary[["z"]],
    )
    assert np.allclose(table["zero"], table["plain"], rtol=1e-10)
    with pytest.raises(DataValidationError, match="attributes"):
        tracking_table(zero, cdnow_sample, calibration_end="1997-09-30")


def test_individual_params_and_starting_values(summary, bg_full):
    start = {"r": 0.3, "alpha": 5.0, "a": 0.8, "b": 2.5}  # coefficients start at 0
    model = BetaGeo(purchase_covariates=["z"], dropout_covariates=["z"])
    model.fit(summary, initial_params=start)
    again = bg_full
    assert np.allclose(model.params, again.params, rtol=1e-6)
    own = model.individual_params(summary)
    assert list(own.columns) == ["r", "alpha", "a", "b"]
    gp, gd = model.params["purchase:z"], model.params["dropout:z"]
    z = summary["z"].to_numpy()
    assert np.allclose(own["alpha"], model.params["alpha"] * np.exp(-gp * z), rtol=1e-14)
    assert np.allclose(own["a"], model.params["a"] * np.exp(gd * z), rtol=1e-14)
    assert (own["b"] == model.params["b"]).all()


def test_tracking_band_with_covariates(cdnow_sample, summary):
    from analysis.models import tracking_band

    base = {"r": 0.24, "alpha": 4.4, "a": 0.8, "b": 2.4}
    plain = BetaGeo.from_params(base, time_unit="W")  # no covariance: every draw the estimate
    zero = BetaGeo.from_params(
        {**base, "purchase:z": 0.0}, purchase_covariates=["z"], time_unit="W"
    )
    kw = dict(calibration_end="1997-09-30", observation_end="1998-06-30", n_draws=5)
    want = tracking_band(plain, cdnow_sample, **kw)
    got = tracking_band(zero, cdnow_sample, attributes=summary[["z"]], **kw)
    cols = ["predicted", "low", "high", "predictive_low", "predictive_high"]
    assert np.allclose(got[cols], want[cols], rtol=1e-9)
    with pytest.raises(DataValidationError, match="attributes"):
        tracking_band(zero, cdnow_sample, **kw)


def test_the_protocol_documents_the_new_customer_covariates_keyword(bg_full):
    from analysis.models.protocol import CountModel, PurchaseCountDistribution

    assert isinstance(bg_full, CountModel) and isinstance(bg_full, PurchaseCountDistribution)
    for method in ("expected_purchases_new_customer", "probability_of_purchases_new_customer"):
        assert "covariates" in inspect.signature(getattr(bg_full, method)).parameters
    assert "covariates=" in CountModel.expected_purchases_new_customer.__doc__
    assert "covariates=" in PurchaseCountDistribution.probability_of_purchases_new_customer.__doc__
    with pytest.raises(ValueError, match="needs their values"):
        bg_full.expected_purchases_new_customer(t=10)
    one = bg_full.expected_purchases_new_customer(t=10, covariates={"z": 1})
    two = bg_full.expected_purchases_new_customer(t=10, covariates=pd.DataFrame({"z": [0, 1]}))
    assert two[1] == pytest.approx(one, rel=1e-12)
