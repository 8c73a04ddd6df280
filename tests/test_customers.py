"""Tests of analysis.customers: the customer table on a hand-built log and on the CDNOW sample."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from analysis import customers, rfm
from analysis.clv import customer_lifetime_value
from analysis.customers import (
    COLUMNS,
    check_costs,
    customer_table,
    resolve_model,
    stage_durations,
)
from analysis.lifecycle import assign_stages
from analysis.models import (
    BetaGeo,
    BoundaryFitWarning,
    ConvergenceError,
    DegenerateDataError,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
)
from analysis.units import STAGES

END = "2021-06-30"
WEEKS_PER_YEAR = 365.25 / 7
ALWAYS_PRESENT = [c for c in COLUMNS if c not in ("purchase_cycle_days", "interpurchase_cv")]


def _hand_log() -> pd.DataFrame:
    """Five customers with known purchase days and amounts, observed to 2021-06-30.

    a: four purchase days (two orders on 2020-03-10), gaps 60, 180, 180 days;
    b: one purchase on the last day; c: a purchase exactly 365 days before the
    end (outside the current-value window) and one the next day; d: gaps
    10, 20 (2020 is a leap year); e: gaps 3, 10, 30, all more than a year ago.
    """
    rows = [
        ("a", "2020-01-10", 20.0),
        ("a", "2020-03-10", 30.0),
        ("a", "2020-03-10", 10.0),
        ("a", "2020-09-06", 40.0),
        ("a", "2021-03-05", 25.0),
        ("b", "2021-06-30", 15.0),
        ("c", "2020-06-30", 50.0),
        ("c", "2020-07-01", 5.0),
        ("d", "2020-02-01", 12.0),
        ("d", "2020-02-11", 12.0),
        ("d", "2020-03-02", 12.0),
        ("e", "2020-05-01", 100.0),
        ("e", "2020-05-04", 100.0),
        ("e", "2020-05-14", 100.0),
        ("e", "2020-06-13", 100.0),
    ]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    return log.assign(date=pd.to_datetime(log["date"]))


@pytest.fixture(scope="module")
def hand_table() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        return customer_table(_hand_log(), observation_end=END)


@pytest.fixture(scope="module")
def cdnow_table(cdnow_sample) -> pd.DataFrame:
    return customer_table(cdnow_sample)


@pytest.fixture(scope="module")
def cdnow_summary(cdnow_sample) -> pd.DataFrame:
    return rfm.summarize(cdnow_sample, "W")


# ---------------------------------------------------------------- history, exact values


def test_purchase_history_columns_exact(hand_table):
    t = hand_table
    assert list(t.index) == ["a", "b", "c", "d", "e"]
    assert t["purchases"].tolist() == [4, 1, 2, 3, 4]
    assert t["purchases"].dtype == np.int64
    assert t["revenue"].tolist() == [125.0, 15.0, 55.0, 36.0, 400.0]
    first = ["2020-01-10", "2021-06-30", "2020-06-30", "2020-02-01", "2020-05-01"]
    last = ["2021-03-05", "2021-06-30", "2020-07-01", "2020-03-02", "2020-06-13"]
    assert t["first_purchase"].tolist() == [pd.Timestamp(d) for d in first]
    assert t["last_purchase"].tolist() == [pd.Timestamp(d) for d in last]
    # 2021-03-05 -> 2021-06-30: 26 + 30 + 31 + 30 days
    assert t["days_since_last"].tolist() == [117.0, 0.0, 364.0, 485.0, 382.0]
    np.testing.assert_array_equal(t["purchase_cycle_days"], [180.0, np.nan, 1.0, 15.0, 10.0])
    # sample standard deviation over the mean of the gaps; NaN with fewer than two gaps
    cv_a = np.sqrt(((60 - 140) ** 2 + 2 * (180 - 140) ** 2) / 2) / 140
    cv_d = np.sqrt((5**2 + 5**2) / 1) / 15  # gaps 10, 20
    cv_e = np.sqrt(1767) / 43  # gaps 3, 10, 30: mean 43/3, sum of squares 3534/9
    np.testing.assert_allclose(
        t["interpurchase_cv"], [cv_a, np.nan, np.nan, cv_d, cv_e], rtol=1e-12
    )


def test_summary_columns_are_rfm_summarize(hand_table):
    expected = rfm.summarize(_hand_log(), "W", observation_end=END)
    pd.testing.assert_frame_equal(hand_table[rfm.SUMMARY_COLUMNS], expected[rfm.SUMMARY_COLUMNS])
    assert (hand_table["purchases"] == hand_table["frequency"] + 1).all()


def test_current_value_counts_only_the_last_365_days(hand_table):
    # a: 40 (2020-09-06) + 25; b: 15; c: only the 5 of 2020-07-01 (2020-06-30 is 365 days back)
    np.testing.assert_allclose(hand_table["current_value"], [19.5, 4.5, 1.5, 0.0, 0.0])


def test_stage_and_periods_in_stage_match_assign_stages(hand_table):
    stages = assign_stages(_hand_log(), period="M", observation_end=END)
    for cid, rows in stages.groupby("customer_id", observed=True):
        seq = rows.sort_values("period")["stage"].tolist()
        run = 1
        while run < len(seq) and seq[-run - 1] == seq[-1]:
            run += 1
        assert hand_table.loc[cid, "stage"] == seq[-1], cid
        assert hand_table.loc[cid, "periods_in_stage"] == run, cid
    assert hand_table.loc["b", "stage"] == "exploration"
    assert hand_table.loc["b", "periods_in_stage"] == 1
    assert isinstance(hand_table["stage"].dtype, pd.CategoricalDtype)
    assert hand_table["stage"].cat.ordered
    assert list(hand_table["stage"].cat.categories) == list(STAGES)


def test_stage_durations_on_a_hand_built_stages_frame():
    cat = pd.CategoricalDtype(list(STAGES), ordered=True)
    stages = pd.DataFrame(
        {
            "customer_id": ["x", "x", "x", "y", "z", "z", "z", "z"],
            "period": pd.PeriodIndex(
                ["2020-01", "2020-02", "2020-03", "2020-03", "2019-12", "2020-01", "2020-02", "2020-03"],
                freq="M",
            ),
            "stage": pd.Series(
                ["exploration", "formation", "formation", "exploration",
                 "exploration", "decline", "formation", "decline"],
                dtype=cat,
            ),
        }
    )  # fmt: skip
    out = stage_durations(stages)
    assert out.to_dict() == {"x": 2, "y": 1, "z": 1}
    with pytest.raises(ValueError, match="sorted"):
        stage_durations(stages.iloc[::-1])


# ---------------------------------------------------------------- models and value


def test_spend_falls_back_to_own_means_with_too_few_repeat_buyers(hand_table):
    # 4 repeat buyers with positive spend (< MIN_SPEND_BUYERS): no Gamma-Gamma
    overall = 631.0 / 14  # total revenue / total purchase days
    np.testing.assert_allclose(hand_table["expected_spend"], [35.0, overall, 5.0, 12.0, 100.0])
    assert "Gamma-Gamma not fitted (only 4 repeat buyer(s)" in hand_table.attrs["model_note"]


def test_spend_is_gamma_gamma_on_repeat_buyers(cdnow_table, cdnow_summary):
    s = cdnow_summary
    gg = GammaGamma().fit(s[(s["frequency"] > 0) & (s["monetary_value"] > 0)])
    np.testing.assert_allclose(cdnow_table["expected_spend"], gg.expected_spend(s), rtol=1e-10)
    assert "Gamma-Gamma fitted on 1,139 repeat buyers" in cdnow_table.attrs["model_note"]


def test_auto_follows_the_stated_rule_holdout_error_then_likelihood(cdnow_table, cdnow_sample):
    """CHOICE_RULE by hand on the CDNOW sample: each model fitted on the calibration period
    (to 1997-09-30, the FRAME_RULE date) predicts the 39-week holdout; those within 0.01% of the
    smallest mean absolute error stay; of them the highest whole-log log-likelihood wins."""
    cal = rfm.summarize(
        cdnow_sample, "W", observation_end="1998-06-30", calibration_end="1997-09-30"
    )
    whole = rfm.summarize(cdnow_sample, "W", observation_end="1998-06-30")
    classes = {"BG/NBD": BetaGeo, "Pareto/NBD": ParetoNBD, "MBG/NBD": ModifiedBetaGeo}
    mae = {
        k: float(
            np.mean(np.abs(c().fit(cal).expected_purchases(cal, t=39.0) - cal["frequency_holdout"]))
        )
        for k, c in classes.items()
    }
    best = min(mae.values())
    kept = [k for k in classes if mae[k] <= best * (1 + 1e-4)]
    fits = {k: classes[k]().fit(whole) for k in kept}
    chosen = max(kept, key=lambda k: fits[k].loglik)
    assert cdnow_table.attrs["model"] == chosen == "Pareto/NBD"
    assert cdnow_table.attrs["calibration_end"] == pd.Timestamp("1997-09-30")
    assert cdnow_table.attrs["model_note"].startswith(
        f"Pareto/NBD chosen (holdout error {mae['Pareto/NBD']:.4f} purchases per customer; "
        f"log-likelihood {fits['Pareto/NBD'].loglik:,.1f} on the whole log)"
    )
    choice = pd.DataFrame(cdnow_table.attrs["model_choice"]).set_index("model")
    np.testing.assert_allclose(choice["holdout_mae"], [mae[k] for k in classes], rtol=1e-6)
    assert choice["chosen"].tolist() == [False, True, False]
    np.testing.assert_allclose(cdnow_table["p_alive"], fits[chosen].p_alive(whole), rtol=1e-9)


def test_auto_without_a_calibration_period_ranks_by_likelihood(cdnow_sample):
    table = customer_table(cdnow_sample, calibration_end=False)
    whole = rfm.summarize(cdnow_sample, "W", observation_end="1998-06-30")
    lik = {k: c().fit(whole).loglik for k, c in customers.COUNT_MODELS.items()}
    assert table.attrs["model"] == max(lik, key=lik.get)
    assert "no calibration period, so the holdout step was skipped" in table.attrs["model_note"]
    assert table.attrs["calibration_end"] is None


def test_forced_model_and_clv_net_against_customer_lifetime_value(cdnow_sample, cdnow_summary):
    table = customer_table(cdnow_sample, model="BG/NBD", cost_per_purchase=2.5, horizon_years=2.0)
    assert table.attrs["model"] == "BG/NBD"
    assert "BG/NBD given by name (model='BG/NBD';" in table.attrs["model_note"]
    bg = BetaGeo().fit(cdnow_summary)
    args = dict(horizon_years=2.0, annual_discount_rate=0.10, margin=0.30, time_unit="W")
    spend = table["expected_spend"]
    gross = customer_lifetime_value(bg, spend, cdnow_summary, **args)
    net = customer_lifetime_value(bg, spend, cdnow_summary, cost_per_purchase=2.5, **args)
    np.testing.assert_allclose(table["clv"], gross["clv"], rtol=1e-9)
    np.testing.assert_allclose(table["clv_net"], net["clv"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(
        table["clv"] - table["clv_net"], 2.5 * gross["discounted_purchases"], rtol=1e-9
    )
    pd.testing.assert_series_equal(table["potential_value"], table["clv_net"], check_names=False)
    np.testing.assert_allclose(table["p_alive"], bg.p_alive(cdnow_summary))
    np.testing.assert_allclose(
        table["expected_purchases_horizon"],
        bg.expected_purchases(cdnow_summary, t=2.0 * WEEKS_PER_YEAR),
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        table["expected_purchases_period"],
        bg.expected_purchases(cdnow_summary, t=365.25 / 12 / 7),
        rtol=1e-9,
    )


def test_auto_falls_back_when_one_model_cannot_be_fitted(monkeypatch, hand_table):
    class Fails:
        def fit(self, data):
            raise DegenerateDataError("BetaGeo: made to fail")

    monkeypatch.setitem(customers.COUNT_MODELS, "BG/NBD", Fails)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        table = customer_table(_hand_log(), observation_end=END)
    assert table.attrs["model"] == "Pareto/NBD"
    assert "BG/NBD: could not be fitted (BetaGeo: made to fail)" in table.attrs["model_note"]
    monkeypatch.setitem(customers.COUNT_MODELS, "Pareto/NBD", Fails)
    monkeypatch.setitem(customers.COUNT_MODELS, "MBG/NBD", Fails)
    with pytest.raises(ConvergenceError, match="none of BG/NBD, Pareto/NBD and MBG/NBD"):
        customer_table(_hand_log(), observation_end=END)


def test_boundary_fit_is_warned_once_and_noted(monkeypatch, cdnow_sample):
    class AtBoundary(BetaGeo):
        def fit(self, data, *args, **kwargs):
            super().fit(data, *args, **kwargs)
            self.boundary, self.boundary_note = {"a": "test"}, "a and b not identified (test)."
            warnings.warn(self.boundary_note, BoundaryFitWarning, stacklevel=2)
            return self

    monkeypatch.setitem(customers.COUNT_MODELS, "BG/NBD", AtBoundary)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = customer_table(cdnow_sample, model="bgnbd")
    boundary = [w for w in caught if issubclass(w.category, BoundaryFitWarning)]
    assert len(boundary) == 1 and "not identified (test)" in str(boundary[0].message)
    assert boundary[0].filename == __file__  # re-issued at the caller's line
    assert "BG/NBD boundary fit: a and b not identified (test)." in table.attrs["model_note"]


def test_resolve_model_names():
    assert resolve_model("auto") is None
    assert resolve_model("bgnbd") == resolve_model("BG/NBD") == "BG/NBD"
    assert resolve_model("paretonbd") == resolve_model("Pareto/NBD") == "Pareto/NBD"
    assert resolve_model("mbgnbd") == resolve_model("MBG/NBD") == "MBG/NBD"
    with pytest.raises(ValueError, match="model \\(clv_model\\) must be"):
        resolve_model("nbd")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"model": "gamma"}, "clv_model"),
        ({"horizon_years": 0.0}, "horizon_years"),
        ({"horizon_years": -1.0}, "horizon_years"),
        ({"margin": 0.0}, "margin"),
        ({"margin": 1.5}, "margin"),
        ({"cost_per_purchase": -1.0}, "cost_per_purchase"),
        ({"period": "fortnight"}, "period"),
        ({"time_unit": "H"}, "time_unit"),
    ],
)
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        customer_table(_hand_log(), observation_end=END, **kwargs)


# ---------------------------------------------------------------- costs


def test_costs_add_columns_and_retention_lowers_clv_net(cdnow_sample, cdnow_summary):
    rng = np.random.default_rng(7)
    ids = cdnow_summary.index
    costs = pd.DataFrame(
        {
            "acquisition_cost": rng.uniform(5, 20, len(ids)),
            "retention_cost": np.where(
                np.arange(len(ids)) % 3 == 0, 0.0, rng.uniform(1, 10, len(ids))
            ),
        },
        index=ids,
    )
    costs.loc[-1] = [1.0, 1.0]  # an id not in the log: ignored
    table = customer_table(cdnow_sample, model="bgnbd", costs=costs, interval=None)
    assert list(table.columns) == [*COLUMNS, "acquisition_cost", "retention_cost"]
    assert table.attrs["has_costs"] is True
    np.testing.assert_array_equal(table["acquisition_cost"], costs.loc[ids, "acquisition_cost"])

    bg = BetaGeo().fit(cdnow_summary)
    alive_weeks = customer_lifetime_value(
        bg, table["expected_spend"], cdnow_summary, margin=0.3, cost_per_period=1.0, time_unit="W"
    )["discounted_cost"]
    per_week = costs.loc[ids, "retention_cost"] / WEEKS_PER_YEAR
    np.testing.assert_allclose(table["clv"] - table["clv_net"], per_week * alive_weeks, rtol=1e-9)
    free = costs.loc[ids, "retention_cost"] == 0
    np.testing.assert_array_equal(table.loc[free, "clv_net"], table.loc[free, "clv"])
    # discounted years alive: positive and at most the 3-year horizon
    years = (table["clv"] - table["clv_net"])[~free] / costs.loc[ids, "retention_cost"][~free]
    assert (years > 0).all() and (years <= 3.0).all()


def test_uniform_retention_cost_is_customer_lifetime_value_cost_per_period(
    cdnow_sample, cdnow_summary
):
    costs = pd.DataFrame({"retention_cost": 4.0}, index=cdnow_summary.index)
    table = customer_table(
        cdnow_sample, model="bgnbd", costs=costs, cost_per_purchase=1.0, interval=None
    )
    assert list(table.columns) == [*COLUMNS, "retention_cost"]
    bg = BetaGeo().fit(cdnow_summary)
    expected = customer_lifetime_value(
        bg,
        table["expected_spend"],
        cdnow_summary,
        margin=0.3,
        cost_per_period=4.0 / WEEKS_PER_YEAR,
        cost_per_purchase=1.0,
        time_unit="W",
    )["clv"]
    np.testing.assert_allclose(table["clv_net"], expected, rtol=1e-9, atol=1e-9)


def test_costs_missing_customers_are_named():
    costs = pd.DataFrame({"acquisition_cost": [1.0, 2.0, 3.0]}, index=["a", "c", "e"])
    with pytest.raises(ValueError, match=r"no row for 2 customer\(s\).*'b', 'd'"):
        customer_table(_hand_log(), observation_end=END, costs=costs)


@pytest.mark.parametrize(
    "costs, match",
    [
        (pd.DataFrame({"acquisition_cost": [1.0, -2.0]}, index=["a", "b"]), "negative"),
        (pd.DataFrame({"retention_cost": [1.0, np.nan]}, index=["a", "b"]), "missing"),
        (pd.DataFrame({"retention_costs": [1.0, 2.0]}, index=["a", "b"]), "unknown"),
        (pd.DataFrame({"acquisition_cost": [1.0, 2.0]}, index=["a", "a"]), "duplicated"),
    ],
)
def test_check_costs_rejects_bad_tables(costs, match):
    with pytest.raises(ValueError, match=match):
        check_costs(costs, pd.Index(["a", "b"]))


def test_without_costs_the_columns_are_absent(hand_table):
    assert list(hand_table.columns) == [*COLUMNS, *customers.INTERVAL_COLUMNS]
    assert hand_table.attrs["has_costs"] is False
    np.testing.assert_array_equal(hand_table["clv_net"], hand_table["clv"])
    assert set(hand_table.attrs) == {
        "model", "model_note", "model_choice", "count_model", "spend_model", "calibration_end",
        "interval",
        "time_unit", "period",
        "observation_end", "horizon_years", "annual_discount_rate", "margin", "has_costs",
        "value", "value_unit",
    }  # fmt: skip
    assert hand_table.attrs["observation_end"] == pd.Timestamp(END)


def test_the_log_is_not_modified():
    log = _hand_log()
    before = log.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        customer_table(log, observation_end=END)
    pd.testing.assert_frame_equal(log, before)


# ---------------------------------------------------------------- CDNOW sample


def test_cdnow_sample_table(cdnow_table, cdnow_sample):
    t = cdnow_table
    assert len(t) == 2357 and t.index.is_unique
    assert list(t.columns) == [*COLUMNS, *customers.INTERVAL_COLUMNS]
    assert not t[ALWAYS_PRESENT].isna().any().any()
    # the documented NaNs: no gap without a repeat purchase, no spread with fewer than two gaps
    np.testing.assert_array_equal(t["purchase_cycle_days"].isna(), t["frequency"] == 0)
    np.testing.assert_array_equal(t["interpurchase_cv"].isna(), t["frequency"] < 2)
    assert (t["clv"] >= 0).all()
    np.testing.assert_array_equal(t["clv_net"], t["clv"])  # zero cost
    assert np.isfinite(t["expected_purchases_horizon"].sum())
    assert ((t["p_alive"] >= 0) & (t["p_alive"] <= 1)).all()
    assert (t["periods_in_stage"] >= 1).all()
    assert t["revenue"].sum() == pytest.approx(cdnow_sample["amount"].sum())
    assert t.attrs["observation_end"] == pd.Timestamp("1998-06-30")
    assert t.attrs["time_unit"] == "W" and t.attrs["period"] == "M"
    assert t.attrs["model"] in {"BG/NBD", "Pareto/NBD"}


def test_auto_keeps_bgnbd_when_pareto_is_not_measurably_better():
    # on data without dropout both models reduce to the NBD: the same optimum up to the
    # optimiser's last bits, so the choice must not depend on them
    import warnings

    import numpy as np

    from analysis import customers
    from analysis.models import BoundaryFitWarning

    rng = np.random.default_rng(2)
    rows = []
    for i in range(300):
        days = np.sort(rng.choice(np.arange(0, 360), size=rng.integers(1, 8), replace=False))
        rows += [
            (f"c{i}", pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(d)), 20.0 + d % 7)
            for d in days
        ]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    # everyone buys on the last day too: no dropout is visible
    last = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(300)],
            "date": pd.Timestamp("2023-12-31"),
            "amount": 25.0,
        }
    )
    log = pd.concat([log, last], ignore_index=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        table = customers.customer_table(log, observation_end="2023-12-31")
    # all three reduce to the NBD (same log-likelihood); BG/NBD's holdout error is 3% above
    # the others', and MBG/NBD does not replace the earlier-listed Pareto/NBD at a tie
    assert table.attrs["model"] == "Pareto/NBD"
    assert "MBG/NBD: as accurate on the holdout" in table.attrs["model_note"]
    assert "(not better by 0.5 or more)" in table.attrs["model_note"]


def test_intervals_hold_their_points_and_group_totals_add_up(cdnow_table):
    t = cdnow_table
    for col in ("p_alive", "expected_purchases_horizon", "clv"):
        assert (t[f"{col}_low"] <= t[col] + 1e-12).all() and (
            t[col] <= t[f"{col}_high"] + 1e-12
        ).all()
    assert t.attrs["interval"] == 0.9
    stages = t["stage"].astype(str)
    totals = customers.value_intervals(t, stages, info=customers.TableInfo.from_dict(t.attrs))
    assert totals.loc["total", "customers"] == len(t)
    np.testing.assert_allclose(totals.loc["total", "clv_total"], t["clv"].sum(), rtol=1e-9)
    np.testing.assert_allclose(
        totals.drop(index="total")["clv_total"].sum(), t["clv"].sum(), rtol=1e-9
    )
    assert (totals["clv_total_low"] <= totals["clv_total"]).all()
    assert (totals["clv_total"] <= totals["clv_total_high"]).all()


def test_interval_none_skips_the_columns(cdnow_sample):
    table = customer_table(cdnow_sample, interval=None, calibration_end=False)
    assert not set(customers.INTERVAL_COLUMNS) & set(table.columns)
    assert table.attrs["interval"] is None


def test_the_old_name_of_the_cost_per_purchase_is_read_with_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        new = customer_table(_hand_log(), observation_end=END, cost_per_purchase=3.0, interval=None)
        with pytest.warns(FutureWarning, match="cost_per_order=...\\) is now cost_per_purchase"):
            old = customer_table(
                _hand_log(), observation_end=END, cost_per_order=3.0, interval=None
            )
    pd.testing.assert_frame_equal(old, new)
    with pytest.raises(TypeError, match="unexpected keyword"):
        customer_table(_hand_log(), observation_end=END, cost_per_ordr=3.0)


def test_the_spark_scoring_uses_the_tables_model_columns_with_the_retention_cost(cdnow_sample):
    """score_frame (per chunk on Spark) and the table give the same clv_net, retention cost included."""
    from analysis.spark import score_frame

    ids = pd.Index(np.sort(cdnow_sample["customer_id"].unique()), name="customer_id")
    costs = pd.DataFrame({"retention_cost": np.full(len(ids), 12.0)}, index=ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        table = customer_table(
            cdnow_sample, model="bgnbd", cost_per_purchase=1.5, costs=costs, interval=None
        )
    summary = rfm.summarize(cdnow_sample, "W", observation_end="1998-06-30")
    history = customers.purchase_history(cdnow_sample, "1998-06-30").reindex(summary.index)
    count_model = customers.fit_count_model(summary, "bgnbd")[0]
    _, spend_model, _ = customers.spend_per_purchase(summary, history)
    scored = score_frame(
        summary.reset_index(),
        count_model,
        spend_model,
        time_unit="W",
        cost_per_purchase=1.5,
        retention_cost=12.0,
    ).set_index("customer_id")
    for col in customers.MODEL_COLUMNS:
        np.testing.assert_allclose(scored[col], table[col], rtol=1e-12, err_msg=col)
    assert (table["clv_net"] < table["clv"]).all()  # the costs are subtracted
    without = score_frame(summary.reset_index(), count_model, spend_model, time_unit="W")
    assert (without["clv_net"].to_numpy() == without["clv"].to_numpy()).all()


@pytest.mark.parametrize("cls", [BetaGeo, ParetoNBD, ModifiedBetaGeo])
def test_a_fit_on_the_weighted_distinct_rows_is_the_fit_on_the_customers(cdnow_sample, cls):
    """The table fits its count models on the distinct (frequency, recency, T) rows with their
    number of customers (issue 21): the model compresses its data so itself, so the arrays, and
    the fit, are the same to the last bit."""
    from analysis.customers.valuation import _COUNT_COLUMNS, _weighted_rows

    summary = rfm.summarize(cdnow_sample, "W")
    rows = _weighted_rows(summary, _COUNT_COLUMNS)
    assert len(rows) < len(summary) and rows["weight"].sum() == len(summary)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        whole, compact = cls().fit(summary), cls().fit(rows)
    np.testing.assert_array_equal(compact.params.to_numpy(), whole.params.to_numpy())
    assert compact.loglik == whole.loglik and compact.n_customers == whole.n_customers
    assert compact.time_unit == whole.time_unit == "W"  # read from the rows' attrs, as before
