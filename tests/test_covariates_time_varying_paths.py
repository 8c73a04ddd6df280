"""Time-varying covariates that differ by customer (paths): identity, brute force, errors, recovery."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.models.dynamic_calendar import dynamic_summary
from analysis.models.dynamic_paths import extend_paths
from analysis.models.pareto_nbd_dynamic import ParetoNBDDynamic
from analysis.simulate.seasonal import simulate_paretonbd_seasonal
from analysis.validate import DataValidationError
from test_covariates_time_varying import TRUTH, model_at_truth, small_case
from test_covariates_time_varying_brute import _brute


@pytest.fixture(scope="module")
def small():
    return small_case()


def _paths_from(calendar, ids, cols, shift=None):
    """Each customer's path: the calendar's columns, optionally rolled by a per-customer shift."""
    rows = []
    for k, cid in enumerate(ids):
        vals = calendar[cols].to_numpy(float)
        if shift is not None:
            vals = np.roll(vals, shift[k], axis=0)
        part = pd.DataFrame(vals, columns=cols)
        part.insert(0, "period_start", calendar.index)
        part.insert(0, "customer_id", cid)
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def _path_model(calendar, paths, cal_cols, path_cols, **kw):
    return ParetoNBDDynamic(
        calendar[cal_cols],
        calendar_covariates=cal_cols,
        purchase_covariates=["channel"],
        dropout_covariates=["channel"],
        paths=paths,
        path_covariates=path_cols,
        **kw,
    ).with_params(TRUTH)


@pytest.mark.parametrize("cal_cols", [[], ["season"]])
def test_same_path_for_everyone_equals_the_shared_calendar(small, cal_cols):
    """The calendar's columns given as every customer's own path: the same model, to 1e-12."""
    calendar, log, frame = small
    path_cols = [c for c in ["season", "promo"] if c not in cal_cols]
    paths = _paths_from(calendar, frame.index, path_cols)
    attrs = frame[["channel"]]
    own = dynamic_summary(
        log,
        calendar[cal_cols],
        observation_end="2020-06-20",
        attributes=attrs,
        paths=paths,
        path_covariates=path_cols,
    )
    for c in ["season", "promo"]:
        np.testing.assert_array_equal(own[f"sum:{c}"], frame[f"sum:{c}"])
    shared = model_at_truth(calendar)
    model = _path_model(calendar, paths, cal_cols, path_cols)
    np.testing.assert_allclose(
        model.loglik_per_customer(own), shared.loglik_per_customer(frame), rtol=1e-12
    )
    np.testing.assert_allclose(model.p_alive(own), shared.p_alive(frame), rtol=1e-12)
    for t in (1.0, 10.5, 30.0):
        np.testing.assert_allclose(
            model.expected_purchases(own, t=t), shared.expected_purchases(frame, t=t), rtol=1e-12
        )


def _different_paths(calendar, frame):
    """Season shared; promo each customer's own (the calendar's, rolled 0, 5, 11, 23 weeks)."""
    return _paths_from(calendar, frame.index, ["promo"], shift=[0, 5, 11, 23])


def test_different_paths_match_brute_force(small):
    """Two customers with different promo paths: log L, P(alive), E[purchases in 10.5 weeks]
    against nested quadrature on each one's own calendar, within 1e-6 relative."""
    calendar, log, frame = small
    paths = _different_paths(calendar, frame)
    own = dynamic_summary(
        log,
        calendar[["season"]],
        observation_end="2020-06-20",
        attributes=frame[["channel"]],
        paths=paths,
        path_covariates=["promo"],
    )
    model = _path_model(calendar, paths, ["season"], ["promo"])
    ll = model.loglik_per_customer(own)
    p = model.p_alive(own)
    e = model.expected_purchases(own, t=10.5)
    for cid in (1, 4):  # the customers with repeat purchases and different shifts
        mine = paths.loc[paths["customer_id"] == cid].set_index("period_start")[["promo"]]
        cal_i = calendar[["season"]].join(mine)
        b_ll, b_e, b_p = _brute(cal_i, log, own.loc[[cid]], TRUTH, t_ahead=10.5)
        np.testing.assert_allclose(ll[cid], b_ll[0], rtol=1e-6)
        np.testing.assert_allclose(e[cid], b_e[0], rtol=1e-6)
        np.testing.assert_allclose(p[cid], b_p[0], rtol=1e-6)
    # the shift matters: customer 4 under her own promo path is not customer 4 under the calendar's
    assert abs(ll[4] - model_at_truth(calendar).loglik_per_customer(frame)[4]) > 1e-3


def test_gradient_with_paths_matches_finite_differences(small):
    calendar, log, frame = small
    paths = _different_paths(calendar, frame)
    own = dynamic_summary(
        log,
        calendar[["season"]],
        observation_end="2020-06-20",
        attributes=frame[["channel"]],
        paths=paths,
        path_covariates=["promo"],
    )
    model = _path_model(calendar, paths, ["season"], ["promo"])
    arr = model._compressed(model._arrays(own))
    theta = model._theta(TRUTH)
    _, grad = model._total_grad(theta, arr)
    num = np.empty_like(theta)
    for k in range(theta.size):
        e = np.zeros_like(theta)
        e[k] = 1e-6
        num[k] = (
            model._total_grad(theta + e, arr)[0] - model._total_grad(theta - e, arr)[0]
        ) / 2e-6
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-7)


def test_missing_path_values_name_customers_and_dates(small):
    calendar, log, frame = small
    paths = _different_paths(calendar, frame)
    cut = paths.loc[paths["period_start"] < "2020-05-03"]  # stops before customer 4's window ends
    with pytest.raises(DataValidationError, match="customer 4.*2020-06-07"):
        dynamic_summary(
            log,
            calendar[["season"]],
            observation_end="2020-06-20",
            paths=cut,
            path_covariates=["promo"],
        )
    own = dynamic_summary(
        log,
        calendar[["season"]],
        observation_end="2020-06-20",
        attributes=frame[["channel"]],
        paths=paths,
        path_covariates=["promo"],
    )
    short = paths.loc[paths["period_start"] < "2020-07-05"]
    model = _path_model(calendar, short, ["season"], ["promo"])
    model.p_alive(own)  # the observation is covered
    with pytest.raises(DataValidationError, match="prediction window.*customer 1: 2020-07-05"):
        model.expected_purchases(own, t=10.0)
    with pytest.raises(DataValidationError, match=r"no path rows, e\.g\. \[3\]"):
        _path_model(calendar, short.loc[short["customer_id"] != 3], ["season"], ["promo"]).p_alive(
            own
        )
    filled = _path_model(calendar, short, ["season"], ["promo"], path_fill=0.0)
    assert np.all(filled.expected_purchases(own, t=10.0) > 0)


def test_extend_paths_repeats_each_customers_last_year():
    starts = pd.date_range("2021-01-03", periods=60, freq="W-SUN")
    paths = pd.DataFrame(
        {
            "customer_id": np.repeat([7, 8], 60),
            "period_start": np.tile(starts, 2),
            "campaign": np.r_[np.arange(60) % 3 == 0, np.arange(60) % 5 == 0].astype(float),
        }
    ).loc[lambda d: ~((d["customer_id"] == 8) & (d["period_start"] == starts[10]))]
    out = extend_paths(paths, until=starts[-1] + pd.Timedelta(weeks=60))
    new = out.loc[out["period_start"] > starts[-1]]
    assert new["period_start"].max() == starts[-1] + pd.Timedelta(weeks=60)
    for cid in (7, 8):
        mine = out.loc[out["customer_id"] == cid].set_index("period_start")["campaign"]
        fresh = new.loc[new["customer_id"] == cid, "period_start"]
        for t in fresh:
            assert mine[t] == mine[t - pd.Timedelta(weeks=52)]
    # a campaign frame listing only the weeks reached (irregular): the calendar gives the grid
    sparse = paths.loc[paths["campaign"] == 1.0]
    calendar = pd.DataFrame(index=starts)
    with pytest.raises(DataValidationError, match="not regular"):
        extend_paths(sparse, until=starts[-1] + pd.Timedelta(weeks=8))
    grown = extend_paths(sparse, until=starts[-1] + pd.Timedelta(weeks=8), calendar=calendar)
    later = grown.loc[grown["period_start"] > starts[-1]]
    for cid, t in zip(later["customer_id"], later["period_start"], strict=True):
        back = t - pd.Timedelta(weeks=52)
        assert ((sparse["customer_id"] == cid) & (sparse["period_start"] == back)).any()
    assert len(later) == sum(
        (sparse["period_start"] > starts[-1] - pd.Timedelta(weeks=52))
        & (sparse["period_start"] <= starts[-1] - pd.Timedelta(weeks=44))
    )
    # customer 8 had no row in week 10; a year later she has none either
    assert (starts[10] + pd.Timedelta(weeks=52)) not in set(
        new.loc[new["customer_id"] == 8, "period_start"]
    )


START = pd.Timestamp("2005-01-02")
TRUE = {"r": 0.8, "alpha": 12.0, "s": 0.9, "beta": 40.0}
COEF_P = {"high_season": 0.8, "campaign": 0.6}
COEF_D = {"high_season": -0.6, "campaign": -0.5}


def _campaign_log(n, seed):
    """A weekly high-season flag for everyone and a campaign flag by customer: each customer is
    targeted (probability 0.5) and then reached in each week with probability 0.2."""
    weeks = 260
    starts = pd.date_range(START, periods=weeks, freq="W-SUN")
    wk = np.arange(weeks) % 52
    flag = ((wk >= 21) & (wk <= 23)) | ((wk >= 39) & (wk <= 48))
    cal = pd.DataFrame({"high_season": flag.astype(float)}, index=starts)
    rng = np.random.default_rng(seed + 1000)
    targeted = rng.random(n) < 0.5
    reached = (rng.random((n, weeks)) < 0.2) & targeted[:, None]
    who, when = np.nonzero(reached)
    paths = pd.DataFrame(
        {"customer_id": who + 1, "period_start": starts[when], "campaign": 1.0}
    )  # only the weeks reached: the others are 0 (path_fill)
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
        paths=paths,
    )
    return sim, cal, paths


def _fit(cal, paths, frame):
    return ParetoNBDDynamic(
        cal, ["high_season"], paths=paths, path_covariates=["campaign"], path_fill=0.0
    ).fit(frame)


@pytest.mark.slow
def test_recovery_of_a_campaign_by_customer_is_stable():
    """Seed 21: 1,000 customers acquired over a year, observed three years, a campaign flag
        reaching half of them in a fifth of the weeks; every estimate within 3 standard errors, and
        the fit unchanged (1e-6 relative) under a 1e-12 perturbation of the times and a row
        permutation. The summary built from the log has the simulator's campaign sums (customers
    without two purchases on one day, which the summary counts once)."""
    sim, cal, paths = _campaign_log(1000, seed=21)
    built = dynamic_summary(
        sim.transactions,
        cal,
        observation_end=START + pd.Timedelta(weeks=156),
        paths=paths,
        path_covariates=["campaign"],
        path_fill=0.0,
    )
    same = built["frequency"].to_numpy() == sim.summary["frequency"].to_numpy()  # one a day
    assert same.mean() > 0.8
    np.testing.assert_array_equal(built["sum:campaign"][same], sim.summary["sum:campaign"][same])
    model = _fit(cal, paths, sim.summary)
    truth = pd.Series(sim.params).reindex(model.params.index)
    z = (model.params - truth) / model.standard_errors
    assert np.all(np.isfinite(z)) and np.all(np.abs(z) < 3), z
    frame = sim.summary
    rng = np.random.default_rng(0)
    shaken = frame.assign(
        recency=frame["recency"] * (1 + 1e-12 * rng.uniform(-1, 1, len(frame))),
        T=frame["T"] * (1 + 1e-12),
    ).sample(frac=1.0, random_state=1)
    again = _fit(cal, paths.sample(frac=1.0, random_state=2), shaken)
    np.testing.assert_allclose(again.params, model.params, rtol=1e-6)
    np.testing.assert_allclose(again.standard_errors, model.standard_errors, rtol=1e-3)
