"""Tests of the shifted-beta-geometric model: Fader & Hardie (2007) example, DERL, simulated truth."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

from analysis.models import ConvergenceError, ShiftedBetaGeo
from analysis.models.published import SBG_HIGH_END, SBG_REGULAR
from analysis.models.shifted_beta_geo import RETENTION_EXAMPLE
from analysis.simulate import simulate_sbg
from analysis.validate import DataValidationError

# Fader & Hardie (2007), fitted to years 1-7 (survivors at t = 0..7): analysis.models.published
PUBLISHED = {
    "regular": (SBG_REGULAR.values["alpha"], SBG_REGULAR.values["beta"]),
    "high_end": (SBG_HIGH_END.values["alpha"], SBG_HIGH_END.values["beta"]),
}


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def fits():
    return {
        cohort: ShiftedBetaGeo().fit(
            ShiftedBetaGeo.data_from_survival(RETENTION_EXAMPLE[cohort].iloc[:8])
        )
        for cohort in PUBLISHED
    }


def model_with(alpha, beta) -> ShiftedBetaGeo:
    m = ShiftedBetaGeo()
    m.params = pd.Series([alpha, beta], index=["alpha", "beta"], dtype=float)
    return m


def test_data_from_survival_by_hand():
    frame = ShiftedBetaGeo.data_from_survival([1000, 631, 468, 382])
    expected = pd.DataFrame(
        {"T": [1, 2, 3, 3], "churned": [True, True, True, False], "weight": [369, 163, 86, 382]}
    )
    pd.testing.assert_frame_equal(frame, expected, check_dtype=False)
    assert frame["weight"].sum() == 1000


def test_data_from_survival_of_a_percentage_curve(fits):
    percent = RETENTION_EXAMPLE["regular"].iloc[:8] / 10  # 100, 63.1, 46.8, ...
    frame = ShiftedBetaGeo.data_from_survival(percent, cohort_size=1000)
    np.testing.assert_allclose(
        frame["weight"],
        ShiftedBetaGeo.data_from_survival(RETENTION_EXAMPLE["regular"].iloc[:8])["weight"],
    )
    fit = ShiftedBetaGeo().fit(ShiftedBetaGeo.data_from_survival(percent, cohort_size=100))
    # same estimates, larger standard errors for a ten times smaller cohort
    np.testing.assert_allclose(fit.params, fits["regular"].params, rtol=1e-5)
    np.testing.assert_allclose(
        fit.standard_errors, fits["regular"].standard_errors * np.sqrt(10), rtol=1e-3
    )


def test_data_from_survival_rejects_bad_curves():
    with pytest.raises(DataValidationError, match="rise from 600 to 650 at period 2"):
        ShiftedBetaGeo.data_from_survival([1000, 600, 650])
    with pytest.raises(DataValidationError, match="cohort_size"):
        ShiftedBetaGeo.data_from_survival([100, 50.5])
    with pytest.raises(DataValidationError, match="at least"):
        ShiftedBetaGeo.data_from_survival([1000])


@pytest.mark.parametrize("cohort", list(PUBLISHED))
def test_published_estimates(fits, cohort):
    alpha, beta = PUBLISHED[cohort]
    fit = fits[cohort]
    assert sig3(fit.params["alpha"]) == alpha
    assert sig3(fit.params["beta"]) == sig3(beta)
    assert fit.params["beta"] == pytest.approx(beta, abs=0.0015)
    assert fit.convergence.success
    assert fit.n_customers == 1000


def test_published_loglik_values(fits):
    # our log-likelihoods at the published optimum (years 1-7)
    assert fits["regular"].loglik == pytest.approx(-1680.27, abs=0.01)
    assert fits["high_end"].loglik == pytest.approx(-1611.16, abs=0.01)


@pytest.mark.parametrize("cohort", list(PUBLISHED))
def test_projection_of_years_8_to_12(fits, cohort):
    # the paper's point: fitted on 7 years, the sBG projects years 8-12 closely
    actual = RETENTION_EXAMPLE[cohort].iloc[8:].to_numpy()
    projected = 1000 * fits[cohort].survival(np.arange(8, 13))
    np.testing.assert_allclose(projected, actual, rtol=0.05)


def test_survival_churn_and_retention_are_consistent(fits):
    m = fits["regular"]
    t = np.arange(1, 30)
    np.testing.assert_allclose(
        m.survival(t - 1) - m.survival(t), m.churn_probability(t), rtol=1e-12
    )
    np.testing.assert_allclose(m.survival(t) / m.survival(t - 1), m.retention_rate(t), rtol=1e-12)
    a, b = m.params
    assert m.retention_rate(1) == pytest.approx(b / (a + b))
    assert np.all(np.diff(m.retention_rate(t)) > 0)  # retention rises: the cohort sorts itself
    assert m.survival(0) == 1.0


def test_derl_closed_form_matches_numerical_sum(fits):
    m = fits["high_end"]
    a, b = m.params
    d = 0.10
    t = np.arange(0, 3000)
    for renewals in (0, 1, 4, 10):
        n = renewals + 1
        # alive after n-1 renewals; future payments at renewals n, n+1, ..., the first undiscounted
        numeric = np.sum(m.survival(n + t) / m.survival(n - 1) / (1 + d) ** t)
        assert m.derl(discount_rate=d, renewals=renewals) == pytest.approx(numeric, rel=1e-10)
    np.testing.assert_allclose(
        m.derl(discount_rate=d, renewals=[0, 1, 4]),
        [
            m.derl(discount_rate=d, renewals=0),
            m.derl(discount_rate=d, renewals=1),
            m.derl(discount_rate=d, renewals=4),
        ],
    )
    # a customer who has renewed more often is worth more (she is more likely a low-churn type)
    assert (
        m.derl(discount_rate=d, renewals=10)
        > m.derl(discount_rate=d, renewals=4)
        > m.derl(discount_rate=d, renewals=0)
    )
    # DERT from a yearly rate: for yearly periods the same rate, for monthly ones its monthly equivalent
    assert m.dert(annual_discount_rate=d, renewals=2, time_unit="Y") == m.derl(
        discount_rate=d, renewals=2
    )
    monthly = m.dert(annual_discount_rate=d, renewals=2, time_unit="M")
    assert monthly == pytest.approx(
        m.derl(discount_rate=1.1 ** (1 / 12) - 1, renewals=2), rel=1e-12
    )
    with pytest.raises(ValueError, match="time unit"):
        m.dert(annual_discount_rate=d)  # the survival curve carries no unit
    assert ShiftedBetaGeo.from_params(m.params, time_unit="Y").dert(annual_discount_rate=d) == (
        m.derl(discount_rate=d)
    )
    with pytest.raises(TypeError):
        m.derl(d)  # keyword only
    # the expected discounted lifetime of a new customer: first payment + discounted residual
    new = 1 + m.derl(discount_rate=d, renewals=0) / (1 + d)
    assert new == pytest.approx(np.sum(m.survival(t) / (1 + d) ** t), rel=1e-10)


def test_expected_lifetime():
    m = model_with(3.0, 2.0)  # alpha > 1: finite mean (alpha + beta - 1)/(alpha - 1) = 2
    assert m.expected_lifetime() == pytest.approx(2.0)
    assert m.expected_lifetime(horizon=100_000) == pytest.approx(2.0, rel=1e-3)
    assert m.expected_lifetime(horizon=1) == 1.0
    assert m.expected_lifetime(horizon=3) == pytest.approx(float(np.sum(m.survival(np.arange(3)))))
    assert model_with(0.7, 1.2).expected_lifetime() == float("inf")


def test_compression_gives_identical_estimates():
    survival = ShiftedBetaGeo.data_from_survival(RETENTION_EXAMPLE["regular"].iloc[:8])
    individual = survival.loc[survival.index.repeat(survival["weight"])].drop(columns="weight")
    assert len(individual) == 1000
    a = ShiftedBetaGeo().fit(survival)
    b = ShiftedBetaGeo().fit(individual.reset_index(drop=True))
    np.testing.assert_allclose(a.params, b.params, rtol=1e-6)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-10)


def test_gradient_matches_numerical():
    model = ShiftedBetaGeo()
    arrays = model._prepare(
        ShiftedBetaGeo.data_from_survival(RETENTION_EXAMPLE["high_end"].iloc[:8])
    )
    point = np.array([0.5, 2.0])

    def total(params):
        return float(np.dot(arrays["weight"], model._loglik_rows(params, arrays)))

    np.testing.assert_allclose(
        arrays["weight"] @ model._loglik_grad_rows(point, arrays),
        optimize.approx_fprime(point, total, 1e-7),
        rtol=1e-5,
    )


def test_invalid_data_raise():
    with pytest.raises(DataValidationError, match="T < 1"):
        ShiftedBetaGeo().fit(pd.DataFrame({"T": [0, 2], "churned": [True, False]}))
    with pytest.raises(DataValidationError, match="churned"):
        ShiftedBetaGeo().fit(pd.DataFrame({"T": [1, 2], "churned": [2, 0]}))


def test_recovers_simulated_truth_100k():
    sim = simulate_sbg(100_000, 0.704, 1.182, n_periods=8, seed=31)
    model = ShiftedBetaGeo().fit(sim.summary)
    truth = pd.Series(sim.params)
    z = (model.params - truth) / model.standard_errors
    assert (z.abs() < 3).all(), model.summary().assign(truth=truth, z=z)


def test_nobody_churns_raises_convergence_error():
    with pytest.raises(ConvergenceError):
        ShiftedBetaGeo().fit(pd.DataFrame({"T": [5] * 100, "churned": False}))


def test_extreme_inputs_are_finite_without_warnings():
    t = np.array([1, 10, 1e4, 1e7])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for a, b in ((0.7, 1.2), (1e-8, 1e-8), (1e8, 1e8), (1e-8, 1e8), (1e8, 1e-8)):
            m = model_with(a, b)
            for values in (
                m.survival(t),
                m.churn_probability(t),
                m.retention_rate(t),
                m.derl(discount_rate=0.01, renewals=[0, 10, 10**6]),
                m.derl(discount_rate=1e-4, renewals=3),
            ):
                assert np.all(np.isfinite(values)), (a, b)
            arrays = {"T": t, "churned": np.array([1.0, 0.0, 1.0, 0.0])}
            assert np.all(np.isfinite(m._loglik_rows(np.array([a, b]), arrays)))
            assert np.all(np.isfinite(m._loglik_grad_rows(np.array([a, b]), arrays)))
