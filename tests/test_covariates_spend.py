"""Tests of the Gamma-Gamma spend model with covariates on the spend scale (issue 22, item 3)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from analysis import config, rfm
from analysis.models import GammaGamma, rate_ratios
from analysis.models.covariates import likelihood_ratio_test
from analysis.simulate import simulate_gamma_gamma
from analysis.simulate.spend import simulate_spend
from analysis.validate import DataValidationError

#: a random covariate joined to the CDNOW sample (seed named so the draw is the same everywhere)
RANDOM_COVARIATE_SEED = 20221
#: the recovery test's seeds and size
RECOVERY_SEEDS = (3, 17, 29)
RECOVERY_SIZE = 20_000
RECOVERY_TRUTH = {"p": 6.25, "q": 3.74, "gamma": 15.44}
RECOVERY_COEFS = {"channel": 0.3, "gender": -0.15, "tenure": 0.1}


@pytest.fixture(scope="module")
def repeat_with_covariate(cdnow_sample_summary):
    repeat = cdnow_sample_summary[cdnow_sample_summary["frequency"] > 0]
    rng = np.random.default_rng(RANDOM_COVARIATE_SEED)
    return repeat.assign(
        flag=rng.integers(0, 2, len(repeat)).astype(float), score=rng.normal(0, 1, len(repeat))
    )


def _covariate_sim(seed: int, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cov = pd.DataFrame({"channel": rng.integers(0, 2, n), "tenure": rng.normal(0, 1.5, n)})
    sim = simulate_spend(
        n, 6.0, 4.0, 15.0, {"channel": 0.4, "tenure": -0.2}, covariates=cov, seed=seed
    )
    return sim.summary


def test_coefficients_are_named_and_reported():
    data = _covariate_sim(1)
    model = GammaGamma(spend_covariates=["channel", "tenure"]).fit(data)
    assert list(model.params.index) == ["p", "q", "gamma", "spend:channel", "spend:tenure"]
    table = model.summary()
    assert (table["std_error"] > 0).all()
    # a coefficient's interval is symmetric on its own scale (it may include 0 or be negative)
    coef = table.loc["spend:tenure"]
    assert coef["estimate"] < 0
    assert coef["upper_95"] - coef["estimate"] == pytest.approx(coef["estimate"] - coef["lower_95"])
    ratios = rate_ratios(model)
    assert list(ratios.index) == ["spend:channel", "spend:tenure"]
    assert list(ratios["process"]) == ["spend", "spend"]
    assert list(ratios["covariate"]) == ["channel", "tenure"]
    np.testing.assert_allclose(ratios["ratio"], np.exp(model.params.iloc[3:]))
    np.testing.assert_allclose(
        ratios["lower"], np.exp(table["lower_95"].iloc[3:].to_numpy()), rtol=1e-12
    )
    # read as a ratio of spend per purchase, not of a rate
    ratio = ratios.loc["spend:channel", "ratio"]
    assert ratios.loc["spend:channel", "meaning"] == (
        f"spend per purchase x{ratio:.2f} per unit of channel"
    )
    assert model.aic == pytest.approx(2 * 5 - 2 * model.loglik)
    assert model.convergence.success and not model.boundary


def test_gradient_matches_finite_differences(repeat_with_covariate):
    for data, cols, point in [
        (repeat_with_covariate, ["flag", "score"], [3.0, 2.5, 20.0, 0.3, -0.4]),
        (_covariate_sim(2), ["channel", "tenure"], [5.0, 4.5, 12.0, 0.2, -0.1]),
    ]:
        model = GammaGamma(spend_covariates=cols)
        arrays = model._prepare(data)
        point = np.array(point)

        def total(params, model=model, arrays=arrays):
            return float(np.dot(arrays["weight"], model._loglik_rows(params, arrays)))

        numeric = optimize.approx_fprime(point, total, 1e-7)
        analytic = arrays["weight"] @ model._loglik_grad_rows(point, arrays)
        np.testing.assert_allclose(analytic, numeric, rtol=2e-5)


def test_zero_coefficients_equal_the_plain_model(repeat_with_covariate):
    # CDNOW sample repeat buyers with a random 0/1 flag and a normal score
    data = repeat_with_covariate.assign(weight=1.0)  # same rows in both models
    plain = GammaGamma()
    covar = GammaGamma(spend_covariates=["flag", "score"])
    a0, a1 = plain._prepare(data), covar._prepare(data)
    for p, q, g in [(6.25, 3.74, 15.44), (3.0, 2.5, 20.0), (0.5, 9.0, 2.0)]:
        ll0 = plain._loglik_rows(np.array([p, q, g]), a0)
        ll1 = covar._loglik_rows(np.array([p, q, g, 0.0, 0.0]), a1)
        np.testing.assert_allclose(ll1, ll0, rtol=1e-12, atol=0)
        g0 = plain._loglik_grad_rows(np.array([p, q, g]), a0)
        g1 = covar._loglik_grad_rows(np.array([p, q, g, 0.0, 0.0]), a1)
        np.testing.assert_allclose(g1[:, :3], g0, rtol=1e-12, atol=0)
    fitted = GammaGamma().fit(repeat_with_covariate)
    zero = GammaGamma.from_params(
        {**fitted.params, "spend:flag": 0.0, "spend:score": 0.0},
        spend_covariates=["flag", "score"],
    )
    everyone = repeat_with_covariate  # frequency > 0; the frequency-0 case below
    np.testing.assert_allclose(
        zero.expected_spend(everyone), fitted.expected_spend(everyone), rtol=1e-12, atol=0
    )
    new = everyone.assign(frequency=0, monetary_value=0.0)
    np.testing.assert_allclose(zero.expected_spend(new), fitted.population_mean_spend, rtol=1e-12)


def test_expected_spend_uses_each_customers_scale():
    model = GammaGamma.from_params(
        {"p": 6.0, "q": 4.0, "gamma": 15.0, "spend:channel": 0.5}, spend_covariates=["channel"]
    )
    data = pd.DataFrame(
        {
            "frequency": [0, 0, 3, 3],
            "monetary_value": [0.0, 0.0, 20.0, 20.0],
            "channel": [0, 1, 0, 1],
        }
    )
    spend = model.expected_spend(data)
    base = 6.0 * 15.0 / 3.0
    assert spend.iloc[0] == pytest.approx(base)
    assert spend.iloc[1] == pytest.approx(base * np.exp(0.5))
    gi = 15.0 * np.exp(0.5)
    assert spend.iloc[3] == pytest.approx((gi + 3 * 20.0) * 6.0 / (6.0 * 3 + 4.0 - 1))
    assert model.population_mean_spend == pytest.approx(base)
    with pytest.raises(DataValidationError, match=r"covariate\(s\) \['channel'\], not columns"):
        model.expected_spend(data.drop(columns="channel"))


def test_fit_stable_under_perturbation_and_row_permutation():
    data = _covariate_sim(5)
    cols = ["channel", "tenure"]
    base = GammaGamma(spend_covariates=cols).fit(data)
    nudged = GammaGamma(spend_covariates=cols).fit(
        data.assign(monetary_value=data["monetary_value"] * (1 + 1e-12))
    )
    shuffled = GammaGamma(spend_covariates=cols).fit(
        data.sample(frac=1.0, random_state=np.random.RandomState(8))
    )
    for other in (nudged, shuffled):
        np.testing.assert_allclose(other.params, base.params, rtol=1e-7, atol=1e-9)
        assert other.loglik == pytest.approx(base.loglik, rel=1e-11)
        np.testing.assert_allclose(other.standard_errors, base.standard_errors, rtol=1e-4)


def test_coefficients_do_not_depend_on_the_currency():
    # spend in cents instead of dollars: gamma scales by 100, p, q and d stay
    data = _covariate_sim(6)
    cols = ["channel", "tenure"]
    dollars = GammaGamma(spend_covariates=cols).fit(data)
    cents = GammaGamma(spend_covariates=cols).fit(
        data.assign(monetary_value=data["monetary_value"] * 100)
    )
    expected = dollars.params.copy()
    expected["gamma"] *= 100
    np.testing.assert_allclose(cents.params, expected, rtol=1e-6, atol=1e-8)


def test_a_covariate_in_days_fits_as_one_in_thousands_of_days():
    # the optimiser searches each coefficient in units of its covariate's spread, centred:
    # without that, a covariate spread over 2,000 days stopped L-BFGS-B at its start
    rng = np.random.default_rng(4)
    cov = pd.DataFrame({"days": rng.uniform(0, 2000, 5000), "flag": rng.integers(0, 2, 5000)})
    sim = simulate_spend(
        5000, 6.0, 4.0, 15.0, {"days": 0.0004, "flag": 0.2}, covariates=cov, seed=4
    )
    cols = ["days", "flag"]
    days = GammaGamma(spend_covariates=cols).fit(sim.summary)
    thousands = GammaGamma(spend_covariates=cols).fit(
        sim.summary.assign(days=sim.summary["days"] / 1000)
    )
    assert days.convergence.success and days.convergence.gradient_norm < 1e-3
    assert days.loglik == pytest.approx(thousands.loglik, rel=1e-10)
    assert days.params["spend:days"] * 1000 == pytest.approx(
        thousands.params["spend:days"], rel=1e-6
    )
    z = (days.params["spend:days"] - 0.0004) / days.standard_errors["spend:days"]
    assert abs(z) < 3


@pytest.mark.parametrize("seed", RECOVERY_SEEDS)
def test_recovers_simulated_coefficients(seed):
    n = RECOVERY_SIZE
    rng = np.random.default_rng(seed + 1000)
    cov = pd.DataFrame(
        {
            "channel": rng.integers(0, 2, n),
            "gender": rng.integers(0, 2, n),
            "tenure": rng.normal(0.0, 2.0, n),
        }
    )
    sim = simulate_spend(
        n, **RECOVERY_TRUTH, coefficients=RECOVERY_COEFS, covariates=cov, seed=seed
    )
    model = GammaGamma(spend_covariates=list(RECOVERY_COEFS)).fit(sim.summary)
    truth = pd.Series(sim.params)[model.params.index]
    z = (model.params - truth) / model.standard_errors
    assert (z.abs() < 3).all(), model.summary().assign(truth=truth, z=z)
    # the plain model on the same data is worse by a likelihood-ratio test (3 coefficients)
    plain = GammaGamma().fit(sim.summary)
    assert 2 * (model.loglik - plain.loglik) > 16.27  # chi-square(3) 0.999 quantile


def test_simulator_without_covariates_matches_the_plain_simulator_in_law():
    # no coefficients: the plain model's truth is recovered from simulate_spend's draws
    sim = simulate_spend(20_000, 6.25, 3.74, 15.44, {}, seed=12)
    assert list(sim.summary.columns) == ["frequency", "monetary_value"]
    model = GammaGamma().fit(sim.summary)
    z = (model.params - pd.Series(sim.params)) / model.standard_errors
    assert (z.abs() < 3).all(), model.summary()
    plain = simulate_gamma_gamma(20_000, 6.25, 3.74, 15.44, seed=12).summary
    ratio = sim.summary["monetary_value"].mean() / plain["monetary_value"].mean()
    assert abs(ratio - 1) < 0.03  # two draws of the same population mean spend


def test_bad_covariates_raise_naming_the_column():
    data = _covariate_sim(7, n=200)
    with pytest.raises(DataValidationError, match=r"\['region'\], not columns of the data"):
        GammaGamma(spend_covariates=["region"]).fit(data)
    with pytest.raises(DataValidationError, match=r"covariate 'channel': 1 missing"):
        bad = data.astype({"channel": float})
        bad.iloc[3, bad.columns.get_loc("channel")] = np.nan
        GammaGamma(spend_covariates=["channel"]).fit(bad)
    with pytest.raises(DataValidationError, match="'channel' is constant"):
        GammaGamma(spend_covariates=["channel"]).fit(data.assign(channel=1))
    with pytest.raises(ValueError, match="distinct columns other than"):
        GammaGamma(spend_covariates=["frequency"])
    with pytest.raises(ValueError, match="distinct columns"):
        GammaGamma(spend_covariates=["a", "a"])


def test_initial_params_and_compression():
    data = _covariate_sim(9, n=3000)
    data = data.assign(monetary_value=data["monetary_value"].round(0).clip(lower=1))
    data = data.assign(tenure=np.round(data["tenure"]))
    cols = ["channel", "tenure"]
    assert data.duplicated().sum() > 300  # compression merges rows, covariates included
    compressed = GammaGamma(spend_covariates=cols).fit(data)
    uncompressed = GammaGamma(spend_covariates=cols).fit(data.assign(weight=1.0))
    np.testing.assert_allclose(compressed.params, uncompressed.params, rtol=1e-6, atol=1e-9)
    started = GammaGamma(spend_covariates=cols).fit(
        data, initial_params={"p": 3.0, "q": 3.0, "gamma": 10.0, "spend:channel": 0.1}
    )
    np.testing.assert_allclose(started.params, compressed.params, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="positive p, q, gamma"):
        GammaGamma(spend_covariates=cols).fit(data, initial_params=[1.0, -1.0, 1.0, 0.0, 0.0])


#: the coverage test's seeds: 100 simulated bases of 1,000 repeat buyers each
COVERAGE_SEEDS = range(5000, 5100)


@pytest.mark.slow  # 100 fits: 1 s on an idle machine, 20 s on a busy one
def test_coefficient_intervals_cover_the_truth():
    # the standard errors are right, not only small: 95% intervals cover the truth about 95%
    # of the time (binomial sd 2.2 points over 100 bases); measured 94-97% on 200 bases
    truth = {"channel": 0.3, "tenure": 0.1}
    covered = []
    for seed in COVERAGE_SEEDS:
        rng = np.random.default_rng(seed)
        cov = pd.DataFrame({"channel": rng.integers(0, 2, 1000), "tenure": rng.normal(0, 2, 1000)})
        sim = simulate_spend(1000, **RECOVERY_TRUTH, coefficients=truth, covariates=cov, seed=seed)
        model = GammaGamma(spend_covariates=list(truth)).fit(sim.summary)
        table = model.summary()
        true = pd.Series(sim.params)[table.index]
        covered.append(((table["lower_95"] <= true) & (true <= table["upper_95"])).to_numpy())
    share = np.mean(covered, axis=0)
    assert np.all((share >= 0.88) & (share <= 0.995)), dict(zip(table.index, share, strict=True))


# ----- apparel: the comparison in docs/covariates_spend.md ------------------------------------------
APPAREL = config.RAW_DIR / "apparel"
#: calibration: the first three years (2005-01-02 to 2007-12-31); holdout to the log's end
APPAREL_CALIBRATION_END = "2007-12-31"
APPAREL_END = "2010-12-20"


@pytest.fixture(scope="module")
def apparel():
    log = pd.read_csv(APPAREL / "transactions.csv", parse_dates=["date"])
    assert int((log["amount"] <= 0).sum()) == 4  # the four zero amounts the docs drop
    log = log[log["amount"] > 0]
    attributes = pd.read_csv(APPAREL / "customers.csv", index_col="customer_id")
    summary = rfm.summarize(
        log, time_unit="W", observation_end=APPAREL_END, calibration_end=APPAREL_CALIBRATION_END
    ).join(attributes)
    repeat = summary[summary["frequency"] > 0]
    plain = GammaGamma().fit(repeat)
    full = GammaGamma(spend_covariates=["gender", "channel"]).fit(repeat)
    return summary, repeat, plain, full


def test_apparel_fit_is_stable(apparel):
    _, repeat, _, full = apparel
    cols = ["gender", "channel"]
    nudged = GammaGamma(spend_covariates=cols).fit(
        repeat.assign(monetary_value=repeat["monetary_value"] * (1 + 1e-12))
    )
    shuffled = GammaGamma(spend_covariates=cols).fit(
        repeat.sample(frac=1.0, random_state=np.random.RandomState(3))
    )
    for other in (nudged, shuffled):
        np.testing.assert_allclose(other.params, full.params, rtol=1e-6, atol=1e-8)
    assert full.convergence.success and not full.boundary


def test_apparel_comparison_as_documented(apparel):
    # the numbers of docs/covariates_spend.md, at the precision shown there
    summary, repeat, plain, full = apparel
    assert len(repeat) == 408
    lr = likelihood_ratio_test(plain, full)
    assert (round(lr.statistic, 2), lr.df, round(lr.p_value, 2)) == (0.09, 2, 0.96)
    assert round(full.aic - plain.aic, 1) == 3.9
    ratios = rate_ratios(full)[["ratio", "lower", "upper"]].round(2)
    assert ratios.loc["spend:gender"].tolist() == [1.0, 0.9, 1.11]
    assert ratios.loc["spend:channel"].tolist() == [1.02, 0.91, 1.13]
    held = repeat[repeat["frequency_holdout"] > 0]
    actual = held["monetary_value_holdout"]
    mae = {
        name: float(np.mean(np.abs(m.expected_spend(held) - actual)))
        for name, m in (("plain", plain), ("full", full))
    }
    assert len(held) == 185
    assert (round(mae["plain"], 2), round(mae["full"], 2)) == (20.17, 20.19)
    assert mae["full"] > mae["plain"]  # the covariates do not improve the holdout prediction
