"""The early warning: reasons, score, list, Logit drivers, AUC and lift, and the CDNOW holdout check."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis import churn, readings
from analysis.errors import DataValidationError
from analysis.units import DAYS_PER_MONTH, STAGES

# ---------------------------------------------------------------------------
# hand-built customer tables


def _table() -> pd.DataFrame:
    """Seven customers whose reasons are known by construction (see each comment)."""
    rows = {
        # id: stage, periods_in_stage, p_alive, days_since_last, cycle, clv_net, tier
        "a": ("decline", 1, 0.90, 20.0, 30.0, 500.0, "high"),  # entered decline only
        "b": ("decline", 4, 0.30, 200.0, 30.0, 300.0, "high"),  # decline, low p, overdue
        "c": ("stability", 3, 0.95, 100.0, 30.0, 800.0, "high"),  # overdue only
        "d": ("formation", 2, 0.40, 40.0, np.nan, 200.0, "medium"),  # low p only
        "e": ("decline", 2, 0.20, 300.0, 50.0, 100.0, "low"),  # flagged but not valuable
        "f": ("stability", 5, 0.99, 10.0, 20.0, 1000.0, "high"),  # no reason
        "g": ("exploration", 1, 1.00, 150.0, np.nan, 50.0, "medium"),  # no cycle: no reason
    }
    cols = ["stage", "periods_in_stage", "p_alive", "days_since_last", "purchase_cycle_days"]
    cols += ["clv_net", "tier"]
    t = pd.DataFrame.from_dict(rows, orient="index", columns=cols).rename_axis("customer_id")
    t["stage"] = pd.Categorical(t["stage"], categories=list(STAGES), ordered=True)
    t["purchases"] = [2, 5, 8, 1, 3, 9, 1]
    t["revenue"] = [40.0, 100.0, 240.0, 15.0, 30.0, 400.0, 7.0]
    t["expected_purchases_period"] = [0.5, 0.2, 0.9, 0.3, 0.1, 1.2, 0.05]
    return t


def _tiers(t: pd.DataFrame) -> pd.Series:
    return pd.Series(
        pd.Categorical(t["tier"], categories=["high", "medium", "low", "negative"], ordered=True),
        index=t.index,
    )


# ---------------------------------------------------------------------------
# reasons, score and the list


def test_reasons_follow_the_four_rules():
    flags = churn.warning_reasons(_table())
    expected = pd.DataFrame(
        {
            "entered_decline": [True, False, False, False, False, False, False],
            "in_decline": [True, True, False, False, True, False, False],
            "low_p_alive": [False, True, False, True, True, False, False],
            "overdue": [False, True, True, False, True, False, False],
        },
        index=_table().index,
    )
    pd.testing.assert_frame_equal(flags, expected)


def test_reasons_thresholds_are_strict_and_movable():
    t = _table()
    t.loc["f", "days_since_last"] = 60.0  # exactly 3 x its 20-day cycle: not beyond
    t.loc["f", "p_alive"] = 0.5  # exactly the threshold: not below
    flags = churn.warning_reasons(t)
    assert not flags.loc["f"].any()
    moved = churn.warning_reasons(t, p_alive_below=0.6, cycle_factor=2.5)
    assert moved.loc["f", "overdue"] and moved.loc["f", "low_p_alive"]
    assert moved.loc["a", "low_p_alive"] == bool(0.90 < 0.6)


def test_score_components_and_score_exact():
    t = _table()
    parts = churn.score_components(t)
    # fallback cycle: median of the repeat buyers' cycles 30, 30, 30, 50, 20 = 30 days
    r_a = 20.0 / 90.0
    r_g = 150.0 / 90.0
    assert parts.loc["a"].tolist() == pytest.approx([1.0, 1.0, 0.10, r_a / (1 + r_a)])
    assert parts.loc["g"].tolist() == pytest.approx([0.0, 0.0, 0.0, r_g / (1 + r_g)])
    assert parts.loc["g", "overdue"] == pytest.approx(0.625)
    score = churn.warning_score(t)
    assert score["a"] == pytest.approx(2.1 + 2.0 / 11.0)
    assert score["g"] == pytest.approx(0.625)
    # at the overdue threshold the component is one half
    t.loc["f", "days_since_last"] = 60.0
    assert churn.score_components(t).loc["f", "overdue"] == pytest.approx(0.5)
    # weights: only P(alive)
    only = churn.warning_score(t, weights={"p_alive": 1.0})
    pd.testing.assert_series_equal(only, (1 - t["p_alive"]).rename("score"))
    with pytest.raises(ValueError, match="unknown score component"):
        churn.warning_score(t, weights={"recency": 1.0})


def test_score_needs_a_cycle_somewhere():
    t = _table()
    t["purchase_cycle_days"] = np.nan
    with pytest.raises(DataValidationError, match="fallback_cycle_days"):
        churn.warning_score(t)
    s = churn.warning_score(t, fallback_cycle_days=30.0)
    assert s["g"] == pytest.approx(0.625)


def test_early_warning_lists_valuable_flagged_customers_by_value():
    t = _table()
    before = t.copy()
    out = churn.early_warning(t, tiers=_tiers(t))
    pd.testing.assert_frame_equal(t, before)  # the input is not changed
    assert out.index.tolist() == ["c", "a", "b", "d"]  # by clv_net; e is low, f and g clean
    assert out.index.name == "customer_id"
    assert out["reasons"].tolist() == [
        "silent 100 days > 3 x its 30-day cycle",
        "entered decline this period",
        "in decline for 4 periods; P(alive) 0.30 < 0.5; silent 200 days > 3 x its 30-day cycle",
        "P(alive) 0.40 < 0.5",
    ]
    for col in ["stage", "tier", "clv_net", "p_alive", "days_since_last"]:
        assert col in out.columns
    assert out["value_at_risk"].tolist() == [800.0, 500.0, 300.0, 200.0]
    assert out["tier"].astype(str).tolist() == ["high", "high", "high", "medium"]
    assert out.loc["b", list(churn.REASONS)].tolist() == [False, True, True, True]
    assert out.attrs["top_tiers"] == ("high", "medium")


def test_early_warning_expected_loss_and_tiers_options():
    t = _table()
    out = churn.early_warning(t, tiers=_tiers(t), value_at_risk="expected_loss")
    # 300 x 0.7, 200 x 0.6, 500 x 0.1, 800 x 0.05
    assert out.index.tolist() == ["b", "d", "a", "c"]
    assert out["value_at_risk"].tolist() == pytest.approx([210.0, 120.0, 50.0, 40.0])
    low = churn.early_warning(t, tiers=t[["tier"]], top_tiers=("low",))
    assert low.index.tolist() == ["e"]
    with pytest.raises(DataValidationError, match="none of top_tiers"):
        churn.early_warning(t, tiers=_tiers(t), top_tiers=("gold",))
    with pytest.raises(DataValidationError, match="no tier for 1 customer"):
        churn.early_warning(t, tiers=_tiers(t).drop("a"))
    with pytest.raises(ValueError, match="value_at_risk must be one of"):
        churn.early_warning(t, tiers=_tiers(t), value_at_risk="revenue")


def test_early_warning_default_tiers_come_from_segments():
    from analysis.segments import clv_tiers

    t = _table()
    expected = churn.early_warning(t, tiers=clv_tiers(t))
    pd.testing.assert_frame_equal(churn.early_warning(t), expected)


def test_missing_columns_and_values_are_named():
    t = _table()
    with pytest.raises(DataValidationError, match="periods_in_stage"):
        churn.early_warning(t.drop(columns="periods_in_stage"), tiers=_tiers(t))
    t.loc["c", "p_alive"] = np.nan
    with pytest.raises(DataValidationError, match="'p_alive'.*'c'"):
        churn.warning_reasons(t)


# ---------------------------------------------------------------------------
# AUC and lift


def _pairwise_auc(score, outcome) -> float:
    pos = [s for s, y in zip(score, outcome, strict=True) if y]
    neg = [s for s, y in zip(score, outcome, strict=True) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p, n in itertools.product(pos, neg))
    return wins / (len(pos) * len(neg))


def test_midranks_share_tied_ranks():
    assert churn.midranks([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert churn.midranks([5, 5, 5]).tolist() == [2.0, 2.0, 2.0]
    assert churn.midranks([3, 1, 2]).tolist() == [3.0, 1.0, 2.0]


def test_auc_exact_values():
    assert churn.auc([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 0, 0]) == pytest.approx(5 / 6)
    assert churn.auc([3, 2, 2, 1], [True, True, False, False]) == pytest.approx(0.875)
    assert churn.auc([1, 1, 1, 1], [1, 0, 1, 0]) == 0.5
    assert churn.auc([4, 3, 2, 1], [1, 1, 0, 0]) == 1.0
    assert churn.auc([1, 2, 3, 4], [1, 1, 0, 0]) == 0.0


def test_auc_matches_the_pairwise_definition_with_many_ties():
    rng = np.random.default_rng(7)
    score = rng.integers(0, 6, size=80).astype(float)
    outcome = rng.random(80) < 0.3 + 0.08 * score
    assert churn.auc(score, outcome) == pytest.approx(_pairwise_auc(score, outcome), abs=1e-12)


def test_auc_aligns_series_by_index_and_refuses_bad_input():
    s = pd.Series([0.1, 0.9, 0.5], index=["x", "y", "z"])
    y = pd.Series([False, True, True], index=["z", "y", "x"])  # x is positive, z negative
    assert churn.auc(s, y) == pytest.approx(_pairwise_auc([0.1, 0.9, 0.5], [True, True, False]))
    with pytest.raises(DataValidationError, match="both classes"):
        churn.auc([1, 2, 3], [True, True, True])
    with pytest.raises(DataValidationError, match="not finite at rows 1"):
        churn.auc([1.0, np.nan, 3.0], [True, False, True])
    with pytest.raises(DataValidationError, match="different customers"):
        churn.auc(s, y.rename({"x": "w"}))


def test_top_lift_exact_without_and_with_ties():
    # 20 customers, distinct scores, 5 positives; the top 2 hold one
    score = np.arange(20, 0, -1).astype(float)
    outcome = np.zeros(20, dtype=bool)
    outcome[[1, 5, 9, 13, 17]] = True
    res = churn.top_lift(score, outcome, 0.1)
    assert res == pytest.approx({"hit_rate": 0.5, "base_rate": 0.25, "lift": 2.0})
    # 10 customers, top 20% = 2 slots: the 5 fills one, the three 4s share the other
    score = [5, 4, 4, 4, 1, 1, 1, 1, 1, 1]
    outcome = [1, 0, 1, 0, 0, 0, 1, 0, 0, 0]
    res = churn.top_lift(score, outcome, 0.2)
    assert res["hit_rate"] == pytest.approx((1 + 1 / 3) / 2)
    assert res["lift"] == pytest.approx((2 / 3) / 0.3)
    # the result does not depend on where the tied positive sits
    assert churn.top_lift(score, [1, 1, 0, 0, 0, 0, 1, 0, 0, 0], 0.2) == pytest.approx(res)
    assert churn.top_lift(score, outcome, 1.0)["lift"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="fraction"):
        churn.top_lift(score, outcome, 0.0)


# ---------------------------------------------------------------------------
# the Logit drivers


def _simulated(n: int, seed: int):
    """A calibration table with every driver column, and an outcome drawn from a known Logit."""
    rng = np.random.default_rng(seed)
    purchases = rng.geometric(0.4, size=n)
    cycle = np.where(purchases > 1, rng.gamma(2.0, 20.0, size=n) + 1.0, np.nan)
    t = pd.DataFrame(
        {
            "purchases": purchases,
            "revenue": purchases * rng.gamma(3.0, 10.0, size=n),
            "days_since_last": rng.uniform(0.0, 270.0, size=n),
            "purchase_cycle_days": cycle,
            "p_alive": rng.uniform(0.0, 1.0, size=n),
            "stage": pd.Categorical(
                rng.choice(["formation", "stability", "decline"], size=n, p=[0.3, 0.2, 0.5]),
                categories=list(STAGES),
                ordered=True,
            ),
        },
        index=pd.RangeIndex(n, name="customer_id"),
    )
    x = churn.driver_features(t)
    true = pd.Series(
        {
            "const": 0.3,
            "log2_purchases": -0.8,
            "months_since_last": 0.25,
            "log2_cycle": -0.2,
            "no_repeat": 0.5,
            "log2_spend": -0.1,
            "p_alive": -1.0,
            "stage_stability": -0.4,
            "stage_decline": 0.6,
        }
    )
    eta = true["const"] + x.to_numpy() @ true[x.columns].to_numpy()
    inactive = rng.random(n) < 1.0 / (1.0 + np.exp(-eta))
    return t, pd.Series(~inactive, index=t.index, name="active"), true


def test_driver_features_exact():
    t = _table()
    x = churn.driver_features(t)
    assert x.columns.tolist() == [
        "log2_purchases",
        "months_since_last",
        "log2_cycle",
        "no_repeat",
        "log2_spend",
        "p_alive",
        "stage_formation",
        "stage_stability",
        "stage_decline",
    ]
    assert x.attrs["reference_stage"] == "exploration"
    assert x.loc["b", "log2_purchases"] == pytest.approx(np.log2(5))
    assert x.loc["b", "months_since_last"] == pytest.approx(200.0 / DAYS_PER_MONTH)
    assert x.loc["e", "log2_cycle"] == pytest.approx(np.log2(50 / 30))  # median cycle 30 days
    assert x.loc["d", ["log2_cycle", "no_repeat"]].tolist() == [0.0, 1.0]
    assert x.loc["c", "log2_spend"] == pytest.approx(np.log2(1 + 240 / 8))
    assert x.loc["b", ["stage_formation", "stage_stability", "stage_decline"]].tolist() == [0, 0, 1]
    ref = churn.driver_features(t, features=["stage"], reference_stage="decline")
    assert ref.columns.tolist() == ["stage_exploration", "stage_formation", "stage_stability"]
    with pytest.raises(ValueError, match="unknown feature"):
        churn.driver_features(t, features=["age"])


def test_drivers_recover_known_odds_ratios():
    t, active, true = _simulated(6000, seed=11)
    out = churn.drivers(t, active)
    assert out.index.tolist() == true.index.tolist()
    assert list(out.columns) == [
        "coef",
        "std_err",
        "odds_ratio",
        "ci_low",
        "ci_high",
        "p_value",
        "meaning",
    ]
    np.testing.assert_allclose(out["odds_ratio"], np.exp(out["coef"]))
    assert (out["ci_low"] < out["odds_ratio"]).all() and (out["odds_ratio"] < out["ci_high"]).all()
    # every estimate within 3 standard errors of the truth (seeded: deterministic)
    z = (out["coef"] - true) / out["std_err"]
    assert (z.abs() < 3).all(), z
    assert out.loc["log2_purchases", "ci_high"] < 1.0  # more purchases, less inactivity
    assert out.attrs["n"] == 6000 and out.attrs["reference_stage"] == "formation"
    assert out.attrs["n_inactive"] == int((~active).sum())


def test_drivers_on_a_subset_and_missing_outcomes():
    t, active, _ = _simulated(800, seed=3)
    sub = churn.drivers(t, active, customers=t.index[:500], features=["log2_purchases"])
    assert sub.attrs["n"] == 500 and sub.index.tolist() == ["const", "log2_purchases"]
    with pytest.raises(DataValidationError, match="no value for 2 customer"):
        churn.drivers(t, active.drop([0, 1]))


def test_drivers_refuse_separation_with_the_feature_named():
    t, active, _ = _simulated(600, seed=5)
    decline = (t["stage"] == "decline").to_numpy()
    quasi = active.copy()
    quasi[decline] = False  # every declining customer inactive
    with pytest.raises(churn.SeparationError, match="stage_decline"):
        churn.drivers(t, quasi)
    # perfect separation by silence alone
    perfect = pd.Series(t["days_since_last"] < 100.0, index=t.index)
    with pytest.raises(churn.SeparationError, match="separate"):
        churn.drivers(t, perfect, features=["months_since_last", "log2_purchases"])


def test_drivers_refuse_constant_features_and_one_outcome():
    t, active, _ = _simulated(300, seed=9)
    t["p_alive"] = 1.0
    with pytest.raises(DataValidationError, match=r"\['p_alive'\] take a single value"):
        churn.drivers(t, active)
    with pytest.raises(DataValidationError, match="both outcomes"):
        churn.drivers(t, active | True, features=["log2_purchases"])


# ---------------------------------------------------------------------------
# the holdout outcome and the evaluation


def test_active_between_counts_only_the_window(small_log):
    active = churn.active_between(
        small_log, after="2020-01-15", through="2020-01-29", customers=["a", "b", "c", "z"]
    )
    assert active.to_dict() == {"a": True, "b": False, "c": True, "z": False}
    assert active.index.name == "customer_id"
    with pytest.raises(ValueError, match="window is empty"):
        churn.active_between(small_log, after="2020-02-01", through="2020-01-01")


def test_evaluate_on_a_hand_built_table():
    t = _table()
    tiers = _tiers(t)
    # holdout: b, c and d lapse; a, f, g buy again (e is not valuable)
    active = pd.Series([True, False, False, False, False, True, True], index=t.index)
    out = churn.evaluate(t, active, tiers=tiers, fraction=0.5)
    assert out.index.tolist() == ["early_warning", "p_alive", "expected_purchases"]
    valuable = ["a", "b", "c", "d", "f", "g"]
    y = ~active[valuable]
    assert (out["n"] == 6).all() and (out["n_inactive"] == 3).all()
    # 1 - p_alive over a, b, c, d, f, g = 0.10, 0.70, 0.05, 0.60, 0.01, 0.00: 8 of 9 pairs won
    assert out.loc["p_alive", "auc"] == pytest.approx(8 / 9)
    # minus expected purchases: -0.5, -0.2, -0.9, -0.3, -1.2, -0.05
    assert out.loc["expected_purchases", "auc"] == pytest.approx(5 / 9)
    score = churn.warning_score(t)[valuable]
    assert out.loc["early_warning", "auc"] == pytest.approx(_pairwise_auc(score, y))
    # top half by 1 - p_alive: b, d, a, of which b and d lapsed; base rate 1/2
    assert out.loc["p_alive", "lift"] == pytest.approx((2 / 3) / 0.5)
    everyone = churn.evaluate(t, active, top_tiers=None, fraction=0.5)
    assert (everyone["n"] == 7).all() and (everyone["n_inactive"] == 4).all()


def test_evaluate_cross_fitted_logit_is_scored_out_of_fold():
    t, active, _ = _simulated(2000, seed=21)
    t["expected_purchases_period"] = np.log1p(t["purchases"]) * t["p_alive"]
    t["clv_net"] = t["revenue"] * t["p_alive"]
    t["periods_in_stage"] = 1 + np.arange(len(t)) % 4
    tiers = pd.Series("high", index=t.index)
    out = churn.evaluate(t, active, tiers=tiers, logit_folds=2, seed=4)
    assert out.index.tolist()[-1] == "logit_cv"
    # the out-of-fold scores of fold 0 come from the model fitted on fold 1 only
    fold = np.random.default_rng(4).permutation(np.arange(len(t)) % 2)
    x = churn.driver_features(t)
    inactive = ~active
    fit = churn.fit_logit(x[fold == 1], inactive[fold == 1])
    p0 = fit.predict(np.column_stack([np.ones((fold == 0).sum()), x[fold == 0].to_numpy()]))
    in_fold = churn.fit_logit(x, inactive).predict(np.column_stack([np.ones(len(x)), x.to_numpy()]))
    assert not np.allclose(p0, in_fold[fold == 0])
    s = pd.Series(np.nan, index=t.index)
    s[fold == 0] = p0
    fit1 = churn.fit_logit(x[fold == 0], inactive[fold == 0])
    s[fold == 1] = fit1.predict(
        np.column_stack([np.ones((fold == 1).sum()), x[fold == 1].to_numpy()])
    )
    assert out.loc["logit_cv", "auc"] == pytest.approx(churn.auc(s, inactive))
    assert out.loc["logit_cv", "auc"] > 0.6  # the simulated drivers are real


# ---------------------------------------------------------------------------
# CDNOW: calibration to 1997-09-30, holdout to 1998-06-30, the full log (23,570 customers)


@pytest.fixture(scope="module")
def cdnow_holdout():
    from analysis import data
    from analysis.customers import customer_table

    log = data.load_cdnow()
    calibration = customer_table(  # BG/NBD by name: the reference numbers below are its
        log[log["date"] <= "1997-09-30"],
        observation_end="1997-09-30",
        model="bgnbd",
        calibration_end=False,
        interval=None,
    )
    active = churn.active_between(
        log, after="1997-09-30", through="1998-06-30", customers=calibration.index
    )
    return calibration, active


def test_cdnow_holdout_auc_and_lift(cdnow_holdout):
    calibration, active = cdnow_holdout
    assert len(calibration) == 23570 and calibration.attrs["model"] == "BG/NBD"
    out = churn.evaluate(calibration, active, logit_folds=2, seed=0)
    # valuable = high and medium CLV tiers at calibration; 4,172 of 8,893 buy nothing in the holdout
    assert out["n"].unique().tolist() == [8893]
    assert out["n_inactive"].unique().tolist() == [4172]
    measured = pd.DataFrame(
        {
            "auc": [0.645, 0.536, 0.749, 0.752],
            "lift": [1.084, 1.326, 1.766, 1.803],
        },
        index=["early_warning", "p_alive", "expected_purchases", "logit_cv"],
    )
    np.testing.assert_allclose(out[["auc", "lift"]], measured, atol=1e-3)
    # over every customer, P(alive) alone ranks worse than chance: under BG/NBD it is 1 for
    # every customer without a repeat purchase, the customers most likely to stay away
    everyone = churn.evaluate(calibration, active, top_tiers=None)
    assert everyone.loc["p_alive", "n_inactive"] == 16512
    np.testing.assert_allclose(everyone["auc"].to_numpy(), [0.599, 0.319, 0.764], atol=1e-3)


def test_cdnow_drivers_odds_ratios(cdnow_holdout):
    calibration, active = cdnow_holdout
    out = churn.drivers(calibration, active)
    assert out.attrs["n"] == 23570 and out.attrs["n_inactive"] == 16512
    assert out.attrs["reference_stage"] == "formation"  # no customer ends in exploration
    measured = pd.Series(
        {
            "const": 5.735,
            "log2_purchases": 0.4513,
            "months_since_last": 1.0916,
            "log2_cycle": 0.9216,
            "no_repeat": 2.1497,
            "log2_spend": 0.9017,
            "p_alive": 0.3229,
            "stage_stability": 0.6199,
            "stage_decline": 1.2289,
        }
    )
    np.testing.assert_allclose(out["odds_ratio"], measured, rtol=2e-3)
    assert out.loc["log2_purchases", "ci_high"] < 1 and out.loc["no_repeat", "ci_low"] > 1


def test_cdnow_early_warning_list(cdnow_holdout):
    calibration, _ = cdnow_holdout
    out = churn.early_warning(calibration)
    assert out["value_at_risk"].is_monotonic_decreasing
    assert set(out["tier"].astype(str)) <= {"high", "medium"}
    assert out[list(churn.REASONS)].any(axis=1).all()
    # the stage rules put most valuable customers in decline, so the list is long
    assert len(out) == 7017
    assert out[list(churn.REASONS)].sum().to_dict() == {
        "entered_decline": 440,
        "in_decline": 6886,
        "low_p_alive": 2273,
        "overdue": 2138,
    }


def test_informative_features_leave_out_what_does_not_vary():
    t, active, _ = _simulated(300, seed=9)
    kept, left_out = churn.informative_features(t)
    assert kept == churn.DEFAULT_FEATURES and left_out == {}
    t["p_alive"] = 1.0 - 1e-8 * np.arange(len(t)) / len(t)  # a boundary fit: alive, to rounding
    kept, left_out = churn.informative_features(t)
    assert "p_alive" not in kept and list(left_out) == ["p_alive"]
    assert "standard deviation" in left_out["p_alive"]
    churn.drivers(t, active, features=kept)  # fits without it
    one = t.assign(stage=pd.Categorical(["decline"] * len(t), categories=list(STAGES)))
    kept, left_out = churn.informative_features(one, ["stage", "log2_purchases"])
    assert kept == ("log2_purchases",) and "one stage" in left_out["stage"]
    kept, _ = churn.informative_features(t, ["p_alive"], min_std=1e-12)
    assert kept == ("p_alive",)


def test_early_warning_with_no_one_flagged_is_an_empty_list():
    t = _table()
    calm = t.assign(stage="stability", p_alive=0.99, days_since_last=1.0)
    out = churn.early_warning(calm, tiers=_tiers(calm))
    assert len(out) == 0 and "reasons" in out.columns and out.index.name == "customer_id"


def test_evaluate_leaves_out_a_logit_that_cannot_be_estimated():
    # the outcome is a copy of "no repeat purchase": complete separation, so the Logit has no
    # finite estimate; the other scores are still evaluated and the reason is kept
    t, active, _ = _simulated(400, seed=5)
    t["expected_purchases_period"] = np.log1p(t["purchases"]) * t["p_alive"]
    t["clv_net"] = t["revenue"] * t["p_alive"]
    t["periods_in_stage"] = 1
    active = pd.Series(t["purchases"] > 1, index=t.index)
    tiers = pd.Series("high", index=t.index)
    out = churn.evaluate(t, active, tiers=tiers, logit_folds=2, seed=1)
    assert out.index.tolist() == ["early_warning", "p_alive", "expected_purchases"]
    assert "separation" in out.attrs["not_estimated"]["logit_cv"]
    text = readings.evaluation_reading(out)
    assert "The cross-fitted Logit could not be estimated on this log and is left out" in text


def test_drivers_can_leave_out_a_separating_dummy():
    # every one-time buyer is inactive: no_repeat separates the outcome
    t, active, _ = _simulated(600, seed=8)
    active = active & (t["purchases"] > 1)
    with pytest.raises(churn.SeparationError, match="no_repeat"):
        churn.drivers(t, active)
    odds = churn.drivers(t, active, drop_separating=True)
    assert "no_repeat" not in odds.index
    assert odds.attrs["dropped"] == {"no_repeat": "every customer with no_repeat = 1 is inactive"}
    text = readings.drivers_reading(odds)
    assert "Left out: no_repeat, because every customer with no_repeat = 1 is inactive" in text


def test_evaluate_without_anyone_lapsing_is_not_computable():
    from analysis.errors import NotComputable

    t = _table()
    everyone_active = pd.Series(True, index=t.index)
    with pytest.raises(NotComputable, match="bought again after the calibration end"):
        churn.evaluate(t, everyone_active, tiers=_tiers(t), fraction=0.5)
    with pytest.raises(NotComputable, match="made no purchase after the calibration end"):
        churn.evaluate(t, ~everyone_active, tiers=_tiers(t), fraction=0.5)
