"""Tests of the Gamma-Gamma spend model: published CDNOW estimates, simulated truth, robustness."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from analysis.models import ConvergenceError, GammaGamma
from analysis.models.published import GAMMA_GAMMA_CDNOW
from analysis.simulate import simulate_gamma_gamma
from analysis.validate import DataValidationError


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def repeat_buyers(cdnow_sample_summary):
    return cdnow_sample_summary[cdnow_sample_summary["frequency"] > 0]


@pytest.fixture(scope="module")
def cdnow_fit(repeat_buyers):
    return GammaGamma().fit(repeat_buyers)


def test_cdnow_sample_has_946_repeat_buyers(cdnow_sample_summary, repeat_buyers):
    assert len(cdnow_sample_summary) == 2357
    assert len(repeat_buyers) == 946


def test_cdnow_published_estimates(cdnow_fit):
    # Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74, gamma = 15.44
    published = GAMMA_GAMMA_CDNOW.params
    est = cdnow_fit.params
    assert sig3(est["p"]) == published["p"]
    assert sig3(est["q"]) == published["q"]
    assert sig3(est["gamma"]) == sig3(published["gamma"])  # 15.44 to 3 significant figures
    assert est["gamma"] == pytest.approx(published["gamma"], abs=0.005)
    assert cdnow_fit.convergence.success
    summary = cdnow_fit.summary()
    assert list(summary.columns) == ["estimate", "std_error", "lower_95", "upper_95"]
    assert (summary["std_error"] > 0).all()
    assert cdnow_fit.aic == pytest.approx(6 - 2 * cdnow_fit.loglik)


def test_cdnow_expected_spend(cdnow_fit, cdnow_sample_summary, repeat_buyers):
    p, q, g = cdnow_fit.params
    spend = cdnow_fit.expected_spend(cdnow_sample_summary)
    assert spend.index.equals(cdnow_sample_summary.index)
    # frequency 0: the population mean p gamma / (q - 1)
    zero = cdnow_sample_summary["frequency"] == 0
    assert np.allclose(spend[zero], p * g / (q - 1))
    assert cdnow_fit.population_mean_spend == pytest.approx(p * g / (q - 1))
    # repeat buyers: hand formula, a weighted average of population mean and own mean
    x = repeat_buyers["frequency"]
    z = repeat_buyers["monetary_value"]
    expected = (g + x * z) * p / (p * x + q - 1)
    np.testing.assert_allclose(spend[repeat_buyers.index], expected)
    w = (q - 1) / (p * x + q - 1)
    np.testing.assert_allclose(expected, w * p * g / (q - 1) + (1 - w) * z * p * x / (p * x))
    assert spend.notna().all()


def test_compression_gives_identical_estimates():
    sim = simulate_gamma_gamma(3000, 6.0, 4.0, 15.0, frequency=np.tile([1, 2, 3], 1000), seed=4)
    data = sim.summary.assign(monetary_value=sim.summary["monetary_value"].round(0).clip(lower=1))
    assert data.duplicated().sum() > 1000  # compression actually merges rows
    compressed = GammaGamma().fit(data)
    uncompressed = GammaGamma().fit(data.assign(weight=1.0))
    np.testing.assert_allclose(compressed.params, uncompressed.params, rtol=1e-6)
    assert compressed.loglik == pytest.approx(uncompressed.loglik, rel=1e-10)
    assert compressed.n_customers == uncompressed.n_customers == 3000


def test_gradient_matches_numerical(repeat_buyers):
    model = GammaGamma()
    arrays = model._prepare(repeat_buyers)
    point = np.array([3.0, 2.5, 20.0])

    def total(params):
        return float(np.dot(arrays["weight"], model._loglik_rows(params, arrays)))

    numeric = optimize.approx_fprime(point, total, 1e-6)
    analytic = arrays["weight"] @ model._loglik_grad_rows(point, arrays)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4)


def test_frequency_zero_rows_raise_naming_them(cdnow_sample_summary):
    with pytest.raises(
        DataValidationError, match=r"1411 row\(s\) have frequency 0 \(rows \[3, 4, 5"
    ):
        GammaGamma().fit(cdnow_sample_summary)


def test_nonpositive_spend_raises():
    data = pd.DataFrame(
        {"frequency": [1, 2, 3], "monetary_value": [10.0, 0.0, 0.0]}, index=["a", "b", "c"]
    )
    with pytest.raises(
        DataValidationError, match=r"2 repeat buyer\(s\) with a mean spend <= 0 \(rows \['b', 'c'\]"
    ):
        GammaGamma().fit(data)
    with pytest.raises(DataValidationError, match=r"negative value\(s\) \(rows \['b'\]"):
        GammaGamma().fit(data.assign(monetary_value=[10.0, -5.0, 3.0]))


def test_missing_column_raises():
    with pytest.raises(DataValidationError, match="monetary_value"):
        GammaGamma().fit(pd.DataFrame({"frequency": [1, 2]}))


def test_recovers_simulated_truth_100k():
    sim = simulate_gamma_gamma(100_000, 6.25, 3.74, 15.44, seed=11)
    model = GammaGamma().fit(sim.summary)
    truth = pd.Series(sim.params)
    z = (model.params - truth) / model.standard_errors
    assert (z.abs() < 3).all(), model.summary().assign(truth=truth, z=z)


def test_identical_spend_everywhere_raises_convergence_error():
    # No spread between customers: q and gamma run off to infinity together.
    data = pd.DataFrame({"frequency": [1, 2, 3, 4] * 50, "monetary_value": 20.0})
    with pytest.raises(ConvergenceError, match="Try|try"):
        GammaGamma().fit(data)


def test_extreme_inputs_are_finite_without_warnings():
    model = GammaGamma()
    model.params = pd.Series([6.25, 3.74, 15.44], index=list(model.param_names))
    data = pd.DataFrame(
        {
            "frequency": [1, 10**6, 10**9, 0, 3],
            "monetary_value": [1e-8, 1e6, 35.0, 0.0, 1e12],
        }
    )
    arrays = {c: data[c].to_numpy(dtype=float) for c in ("frequency", "monetary_value")}
    pos = arrays["frequency"] > 0
    arrays = {k: v[pos] for k, v in arrays.items()}
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        spend = model.expected_spend(data)
        for params in (
            [6.25, 3.74, 15.44],
            [1e-10, 1e-10, 1e-10],
            [1e10, 1e10, 1e10],
            [1e-10, 1e10, 1.0],
        ):
            ll = model._loglik_rows(np.array(params), arrays)
            grad = model._loglik_grad_rows(np.array(params), arrays)
            assert np.all(np.isfinite(ll)) and np.all(np.isfinite(grad)), params
    assert np.all(np.isfinite(spend))
    assert spend.iloc[1] == pytest.approx(1e6, rel=1e-5)  # many transactions: own mean dominates


def test_likelihood_rows_equal_the_published_density(repeat_buyers):
    # Fader & Hardie (2013), eq. of the mean spend z-bar of x transactions, row by row,
    # at several parameter points (the one-pass cache must follow the parameters)
    from scipy.special import gammaln

    model = GammaGamma()
    arrays = model._prepare(repeat_buyers)
    x, z = arrays["frequency"], arrays["monetary_value"]
    for p, q, g in [(3.0, 2.5, 20.0), (6.25, 3.74, 15.44), (0.5, 9.0, 2.0)]:
        published = (
            gammaln(p * x + q)
            - gammaln(p * x)
            - gammaln(q)
            + q * np.log(g)
            + (p * x - 1) * np.log(z)
            + p * x * np.log(x)
            - (p * x + q) * np.log(g + x * z)
        )
        point = np.array([p, q, g])
        np.testing.assert_allclose(model._loglik_rows(point, arrays), published, rtol=1e-12)
        # raw columns without the precomputed helpers give the same rows
        raw = {"frequency": x, "monetary_value": z, "weight": arrays["weight"]}
        np.testing.assert_allclose(model._loglik_rows(point, raw), published, rtol=1e-12)
        grad = model._loglik_grad_rows(point, arrays)
        assert grad.shape == (len(x), 3)
