"""Pareto/NBD with time-varying covariates: Monte Carlo, recovery, and the apparel retailer's log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.models import ParetoNBD
from analysis.models.dynamic_calendar import dynamic_summary
from analysis.models.pareto_nbd_dynamic import ParetoNBDDynamic
from analysis.simulate.seasonal import simulate_paretonbd_seasonal

START = pd.Timestamp("2005-01-02")


def _calendar(weeks: int = 260) -> pd.DataFrame:
    """A weekly high-season flag: weeks 21-23 and 40-49 of each 52 (like the apparel retailer's)."""
    starts = pd.date_range(START, periods=weeks, freq="W-SUN")
    week = np.arange(weeks) % 52
    flag = ((week >= 21) & (week <= 23)) | ((week >= 39) & (week <= 48))
    return pd.DataFrame({"high_season": flag.astype(float)}, index=starts)


TRUE = {"r": 0.8, "alpha": 12.0, "s": 0.9, "beta": 40.0}
COEF_P, COEF_D = {"high_season": 0.8}, {"high_season": -0.6}


def _model(calendar):
    truth = {**TRUE, "purchase:high_season": 0.8, "dropout:high_season": -0.6}
    return ParetoNBDDynamic(calendar, ["high_season"]).with_params(truth)


def test_expected_purchases_match_monte_carlo():
    """Seed 20221: 200,000 customers acquired on one day; purchases in (T, T + t] given x = 0 by T.

    The conditional mean over the simulated customers with no repeat purchase by T (about
    two thirds) and the unconditional mean over all agree with the model within 4 standard errors.
    """
    cal = _calendar()
    T, t = 30.0, 26.0
    sim = simulate_paretonbd_seasonal(
        200_000,
        cal,
        **TRUE,
        purchase_coefficients=COEF_P,
        dropout_coefficients=COEF_D,
        observation_end=START + pd.Timedelta(weeks=T + t),
        seed=20221,
    )
    log = sim.transactions
    u = (log["date"] - START).dt.total_seconds() / (7 * 86400)
    repeat = log.assign(u=u.to_numpy()).loc[u.to_numpy() > 0]
    before = repeat.loc[repeat["u"] <= T].groupby("customer_id").size()
    after = repeat.loc[repeat["u"] > T].groupby("customer_id").size()
    ids = sim.summary.index
    n_before = before.reindex(ids, fill_value=0)
    n_after = after.reindex(ids, fill_value=0).to_numpy(dtype=float)
    frame = pd.DataFrame(
        {"frequency": [0.0], "recency": [0.0], "T": [T], "first_purchase": [START]},
    ).assign(**{"sum:high_season": 0.0})
    model = _model(cal)
    want = float(model.expected_purchases(frame, t=t).iloc[0])
    sel = n_after[(n_before == 0).to_numpy()]
    se = sel.std(ddof=1) / np.sqrt(sel.size)
    assert abs(sel.mean() - want) < 4 * se, (sel.mean(), want, se)
    new = frame.assign(T=0.0)
    want_all = float(model.expected_purchases(new, t=T + t).iloc[0])
    total = n_before.to_numpy() + n_after
    se_all = total.std(ddof=1) / np.sqrt(total.size)
    assert abs(total.mean() - want_all) < 4 * se_all, (total.mean(), want_all, se_all)


def _recovery(n, seed, static=False):
    cal = _calendar()
    extra = (
        {"static_purchase": {"channel": 0.4}, "static_dropout": {"channel": -0.3}} if static else {}
    )
    sim = simulate_paretonbd_seasonal(
        n,
        cal,
        **TRUE,
        purchase_coefficients=COEF_P,
        dropout_coefficients=COEF_D,
        acquisition_start=START,
        acquisition_end=START + pd.Timedelta(weeks=52),
        observation_end=START + pd.Timedelta(weeks=156),
        seed=seed,
        **extra,
    )
    covs = ["channel"] if static else []
    model = ParetoNBDDynamic(cal, ["high_season"], covs, covs).fit(sim.summary)
    return sim, model, cal, covs


def _assert_recovered(sim, model):
    truth = pd.Series(sim.params).reindex(model.params.index)
    z = (model.params - truth) / model.standard_errors
    assert np.all(np.isfinite(z)) and np.all(np.abs(z) < 3), z


def test_recovery_of_the_seasonal_coefficients():
    """Seed 11: 500 customers acquired over a year, observed three years; within 3 standard errors."""
    sim, model, _, _ = _recovery(500, seed=11)
    _assert_recovered(sim, model)


@pytest.mark.slow
def test_recovery_with_static_covariates_is_stable():
    """Seeds 5 and 6: 1,000 customers with a channel on both rates; within 3 standard errors.

    Each fit is also stable under a 1e-12 relative perturbation of the times and a row permutation.
    """
    for seed in (5, 6):
        sim, model, cal, covs = _recovery(1000, seed=seed, static=True)
        _assert_recovered(sim, model)
    frame = sim.summary
    rng = np.random.default_rng(0)
    shaken = frame.assign(
        recency=frame["recency"] * (1 + 1e-12 * rng.uniform(-1, 1, len(frame))),
        T=frame["T"] * (1 + 1e-12),
    ).sample(frac=1.0, random_state=1)
    again = ParetoNBDDynamic(cal, ["high_season"], covs, covs).fit(shaken)
    np.testing.assert_allclose(again.params, model.params, rtol=1e-6)
    np.testing.assert_allclose(again.standard_errors, model.standard_errors, rtol=1e-3)


def _apparel_frame():
    raw = Path(__file__).resolve().parents[1] / "data" / "raw" / "apparel"
    cal = pd.read_csv(raw / "season_weeks.csv", parse_dates=["week_start"]).set_index("week_start")
    log = pd.read_csv(raw / "transactions.csv", parse_dates=["date"])
    return cal, log, dynamic_summary(log, cal, observation_end="2007-12-29", time_unit="W")


def test_apparel_high_season_and_holiday_quarter():
    """Apparel, calibration 2005-01-02 to 2007-12-29: the high season doubles the purchase rate.

    The fit is first checked stable under a 1e-12 perturbation of T and a row permutation; the
    seasonal model beats the plain one on AIC and misses the 2008 holiday quarter by less.
    """
    cal, log, frame = _apparel_frame()
    model = ParetoNBDDynamic(cal, ["high_season"]).fit(frame)
    shaken = frame.assign(T=frame["T"] * (1 + 1e-12)).sample(frac=1.0, random_state=3)
    again = ParetoNBDDynamic(cal, ["high_season"]).fit(shaken)
    np.testing.assert_allclose(again.params, model.params, rtol=1e-6)
    plain = ParetoNBD().fit(frame[["frequency", "recency", "T"]])
    assert model.aic < plain.aic - 100
    lo, hi = model.summary().loc["purchase:high_season", ["lower_95", "upper_95"]]
    assert 0.5 < lo and hi < 0.9  # rate ratio 1.8 to 2.2
    # the 2008 holiday quarter: from week 39.4 to week 52.4 after the cut
    start = pd.Timestamp("2007-12-30")
    a = (pd.Timestamp("2008-10-01") - start).days / 7
    b = (pd.Timestamp("2009-01-01") - start).days / 7
    days = log.assign(day=log["date"].dt.normalize()).drop_duplicates(["customer_id", "day"])
    actual = int(days["day"].between("2008-10-01", "2008-12-31").sum())
    seasonal = (model.expected_purchases(frame, t=b) - model.expected_purchases(frame, t=a)).sum()
    flat = (plain.expected_purchases(frame, t=b) - plain.expected_purchases(frame, t=a)).sum()
    assert abs(seasonal - actual) < abs(flat - actual) / 2, (actual, seasonal, flat)
