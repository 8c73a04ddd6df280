"""Pareto/NBD with time-varying covariates: the summary, the zero identity, calendar checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models import ParetoNBD
from analysis.models.dynamic_calendar import check_calendar, dynamic_summary, extend_calendar
from analysis.models.pareto_nbd_dynamic import ParetoNBDDynamic
from analysis.validate import DataValidationError

TRUTH = {
    "r": 0.9,
    "alpha": 6.0,
    "s": 1.3,
    "beta": 9.0,
    "purchase:season": 0.6,
    "dropout:season": -0.4,
    "purchase:promo": -0.3,
    "dropout:promo": 0.5,
    "purchase:channel": 0.35,
    "dropout:channel": -0.25,
}


def small_case():
    """A 60-week calendar with two irregular covariates and four customers' logs."""
    rng = np.random.default_rng(7)
    starts = pd.date_range("2020-01-05", periods=60, freq="W-SUN")
    season = np.zeros(60)
    season[[3, 4, 5, 11, 12, 20, 21, 22, 23, 26, 27, 33, 34, 35]] = 1.0
    calendar = pd.DataFrame({"season": season, "promo": rng.normal(0, 0.8, 60)}, index=starts)
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 3, 4, 4, 4],
            "date": pd.to_datetime(
                [
                    "2020-01-08",
                    "2020-01-29",
                    "2020-02-12",
                    "2020-03-20",
                    "2020-02-03",
                    "2020-01-06",
                    "2020-05-01",
                    "2020-03-03",
                    "2020-03-04",
                    "2020-06-09",
                ]
            ),
        }
    )
    attributes = pd.DataFrame({"channel": [0.0, 1.0, 1.0, 0.0]}, index=[1, 2, 3, 4])
    frame = dynamic_summary(
        log, calendar, observation_end="2020-06-20", time_unit="W", attributes=attributes
    )
    return calendar, log, frame


@pytest.fixture(scope="module")
def small():
    return small_case()


def model_at_truth(calendar):
    return ParetoNBDDynamic(
        calendar,
        calendar_covariates=["season", "promo"],
        purchase_covariates=["channel"],
        dropout_covariates=["channel"],
    ).with_params(TRUTH)


def test_summary_columns_by_hand(small):
    calendar, _, frame = small
    assert list(frame["frequency"]) == [3, 0, 1, 2]  # customer 4's two March days are two purchases
    assert frame.loc[1, "T"] == pytest.approx(
        (pd.Timestamp("2020-06-20") - pd.Timestamp("2020-01-08")).days / 7
    )
    # customer 1 buys again in the weeks of 2020-01-26, 2020-02-09 and 2020-03-15
    want = calendar.loc[["2020-01-26", "2020-02-09", "2020-03-15"], "promo"].sum()
    assert frame.loc[1, "sum:promo"] == pytest.approx(want, rel=1e-15)
    assert (
        frame.loc[1, "sum:season"]
        == calendar.loc[["2020-01-26", "2020-02-09", "2020-03-15"], "season"].sum()
    )


def test_zero_coefficients_equal_the_plain_pareto_nbd(small):
    calendar = small[0]
    rng = np.random.default_rng(3)
    n = 200
    T = rng.uniform(5, 20, n)
    frame = pd.DataFrame(
        {
            "frequency": rng.poisson(2, n).astype(float),
            "T": T,
            "first_purchase": pd.Timestamp("2020-06-27") - pd.to_timedelta(T * 7, unit="D"),
            "sum:season": rng.integers(0, 3, n).astype(float),
            "sum:promo": rng.normal(0, 1, n),
        }
    )
    frame["recency"] = np.where(frame["frequency"] > 0, rng.uniform(0, 1, n) * T, 0.0)
    base = {"r": 0.9, "alpha": 6.0, "s": 1.3, "beta": 9.0}
    zeros = {k: 0.0 for k in TRUTH if ":" in k and "channel" not in k}
    model = ParetoNBDDynamic(calendar, ["season", "promo"]).with_params({**base, **zeros})
    plain = ParetoNBD.from_params(base)
    plain_fit = ParetoNBD().fit(frame[["frequency", "recency", "T"]])
    np.testing.assert_allclose(
        model.with_params({**dict(plain_fit.params), **zeros}).loglik_per_customer(frame).sum(),
        plain_fit.loglik,
        rtol=1e-10,
    )
    model.with_params({**base, **zeros})
    np.testing.assert_allclose(model.p_alive(frame), plain.p_alive(frame), rtol=1e-10)
    cal = extend_calendar(calendar, until="2021-06-30")
    model = ParetoNBDDynamic(cal, ["season", "promo"]).with_params({**base, **zeros})
    for t in (1.0, 13.0, 40.0):
        np.testing.assert_allclose(
            model.expected_purchases(frame, t=t), plain.expected_purchases(frame, t=t), rtol=1e-10
        )


def test_calendar_errors_say_what_and_where(small):
    calendar, log, frame = small
    with pytest.raises(DataValidationError, match="not regular"):
        check_calendar(calendar.drop(calendar.index[[5, 6]]), ["season"])
    bad = calendar.astype({"promo": object})
    bad.iloc[4, 1] = "n/a"
    with pytest.raises(DataValidationError, match=r"promo.*2020-02-02"):
        check_calendar(bad, ["season", "promo"])
    with pytest.raises(DataValidationError, match="extend"):
        dynamic_summary(log, calendar.iloc[:10], observation_end="2020-06-20")
    model = model_at_truth(calendar.iloc[:30])
    with pytest.raises(DataValidationError, match=r"2020-08-02 to .*extend_calendar"):
        model.expected_purchases(frame, t=10.0)


def test_extend_calendar_repeats_last_year():
    starts = pd.date_range("2019-01-06", periods=60, freq="W-SUN")
    cal = pd.DataFrame({"high_season": (np.arange(60) % 7 == 0).astype(int)}, index=starts)
    out = extend_calendar(cal, until="2020-06-30")
    assert out.index[-1] <= pd.Timestamp("2020-06-30") < out.index[-1] + pd.Timedelta(days=7)
    pd.testing.assert_frame_equal(out.iloc[:60], cal, check_freq=False)
    new = out.iloc[60:]
    np.testing.assert_array_equal(
        new["high_season"].to_numpy(), out["high_season"].to_numpy()[8:-52]
    )
    assert out["high_season"].dtype == cal["high_season"].dtype


def test_analytic_gradient_matches_finite_differences(small):
    """The gradient the fit uses (chain rule through 2F1's derivatives) against central differences."""
    calendar, _, frame = small
    model = model_at_truth(calendar)
    arr = model._prepare(model._arrays(frame))
    theta = model._theta(TRUTH)
    grad = model._pieces(theta, arr, grad=True)["grad"]
    step = 1e-6
    for k in range(theta.size):
        e = np.zeros(theta.size)
        e[k] = step
        num = (model._pieces(theta + e, arr)["ll"] - model._pieces(theta - e, arr)["ll"]) / (
            2 * step
        )
        np.testing.assert_allclose(grad[:, k], num, rtol=1e-6, atol=1e-8)
