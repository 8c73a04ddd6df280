"""The learned risk of going quiet (churn.risk) and the score comparison (churn.compare)."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np
import pandas as pd
import pytest

from analysis import customers, plots
from analysis.churn import active_between, auc
from analysis.churn.compare import compare_scores, comparison_scores
from analysis.churn.risk import RISK_FEATURES, fit_inactivity_risk, inactivity_risk, training_cuts
from analysis.readings.risk import comparison_reading, comparison_verdict, risk_reading
from analysis.simulate import simulate_bgnbd

END = pd.Timestamp("2024-06-30")
HOLDOUT_END = pd.Timestamp("2024-12-31")
HORIZON = (HOLDOUT_END - END).days  # 184 days
#: BG/NBD logs with 18 months of acquisition and 6 more of observation (4 full-horizon cuts)
SEEDS = (0, 1, 2)
#: measured on SEEDS (AUC on the 184-day holdout): risk - expected purchases 0.0048, 0.0040,
#: 0.0041; risk - days since last 0.051, 0.037, 0.040. The learned risk does not beat the
#: count model's own P(no purchase) on these logs (-0.0008 to 0.0000): the model is the truth
#: there, so the margins over the two simple scores are what can be guaranteed
MARGIN_EXPECTED = 0.0
MARGIN_RECENCY = 0.02


def _log(seed: int, n: int = 2000) -> pd.DataFrame:
    return simulate_bgnbd(
        n,
        r=0.8,
        alpha=4.0,
        a=0.8,
        b=3.0,
        acquisition_start="2022-01-01",
        acquisition_end="2023-06-30",
        observation_end=END,
        holdout_end=HOLDOUT_END,
        time_unit="W",
        seed=seed,
    ).transactions


@pytest.fixture(scope="module")
def fitted():
    tx = _log(SEEDS[0])
    return tx, fit_inactivity_risk(tx, observation_end=END, horizon=HORIZON, model="BG/NBD")


@pytest.mark.parametrize("seed", SEEDS)
def test_risk_beats_expected_purchases_and_recency_on_simulated_logs(seed):
    tx = _log(seed)
    risk = inactivity_risk(tx, observation_end=END, horizon=HORIZON, model="BG/NBD")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = customers.customer_table(
            tx[tx["date"] <= END],
            observation_end=END,
            model="BG/NBD",
            calibration_end=False,
            interval=None,
        )
    quiet = ~active_between(tx, after=END, through=HOLDOUT_END, customers=table.index)
    scores = comparison_scores(table, risk=risk)
    a = {c: auc(scores[c], quiet) for c in scores}
    assert a["risk"] - a["expected_purchases"] > MARGIN_EXPECTED
    assert a["risk"] - a["days_since_last"] > MARGIN_RECENCY


def test_risk_is_causal(fitted):
    tx, model = fitted
    rng = np.random.default_rng(7)
    ids = rng.choice(tx["customer_id"].unique(), 300, replace=False)
    late = pd.DataFrame(
        {
            "customer_id": ids,
            "date": END + pd.to_timedelta(rng.integers(1, 200, len(ids)), unit="D"),
            "amount": 10.0,
            "quantity": 1,
        }
    )
    more = pd.concat([tx, late], ignore_index=True)
    again = inactivity_risk(more, observation_end=END, horizon=HORIZON, model="BG/NBD")
    pd.testing.assert_series_equal(again, model.risk)


def test_risk_model_record(fitted):
    _, model = fitted
    assert model.score == "logit" and model.fallback is None
    assert model.risk.name == "risk" and model.risk.between(0, 1).all()
    assert model.window_days == HORIZON == model.horizon_days
    assert len(model.training) == 4 and model.training["role"].str.startswith("train").all()
    odds = model.odds_ratios
    assert list(odds.columns) == [
        "coef", "std_err", "odds_ratio", "ci_low", "ci_high", "p_value", "meaning",
    ]  # fmt: skip
    assert odds.index[0] == "const"
    assert set(odds.index[1:]) - set(RISK_FEATURES) <= {
        f"stage_{s}" for s in ("exploration", "formation", "stability", "decline")
    }
    assert (odds["ci_low"] <= odds["odds_ratio"]).all()
    assert (odds["odds_ratio"] <= odds["ci_high"]).all()
    rel = model.reliability
    assert rel["customers"].sum() == model.training["customers"].iloc[0]
    assert rel["predicted"].is_monotonic_increasing


def test_short_log_falls_back_and_says_why():
    tx = _log(3, n=500)
    short = tx[tx["date"] <= "2022-02-28"]
    model = fit_inactivity_risk(short, observation_end="2022-02-28", horizon=HORIZON)
    assert model.score == "p_quiet" and model.odds_ratios is None
    assert "fewer than the 2 needed" in model.fallback
    assert model.risk.name == "risk" and model.risk.between(0, 1).all()
    assert "Too short a log" in model.note


def test_training_cuts_shorten_the_window_when_the_horizon_does_not_fit():
    window, cuts = training_cuts("1997-01-01", "1997-09-30", 273, min_history_days=60)
    assert window == 91
    assert cuts == [pd.Timestamp("1997-07-01"), pd.Timestamp("1997-04-01")]
    window, cuts = training_cuts("2020-01-01", "2024-01-01", 365, max_cuts=2)
    assert window == 365 and len(cuts) == 2


def test_compare_scores_against_hand_computed_auc_and_lift():
    ids = pd.Index(list("abcdef"), name="customer_id")
    inactive = pd.Series([True, True, False, True, False, False], index=ids)
    scores = pd.DataFrame(
        {"simple": [0.9, 0.2, 0.5, 0.7, 0.1, 0.3], "risk": [0.9, 0.8, 0.4, 0.7, 0.1, 0.3]},
        index=ids,
    )
    out = compare_scores(scores, inactive, top=0.5, n_boot=50, seed=1)
    # simple: positives 0.9, 0.2, 0.7 vs negatives 0.5, 0.1, 0.3: 7 of 9 pairs won
    assert out.loc[("all", "simple"), "auc"] == pytest.approx(7 / 9)
    assert out.loc[("all", "risk"), "auc"] == pytest.approx(1.0)
    # top half of simple: a, d, c -> 2 of 3 inactive over a base rate of 1/2
    assert out.loc[("all", "simple"), "lift"] == pytest.approx((2 / 3) / 0.5)
    assert out.loc[("all", "risk"), "reference"] == "simple"
    assert out.loc[("all", "risk"), "auc_diff"] == pytest.approx(2 / 9)
    row = out.loc[("all", "risk")]
    assert row["auc_diff_low"] <= row["auc_diff"] <= row["auc_diff_high"] + 1e-12
    again = compare_scores(scores, inactive, top=0.5, n_boot=50, seed=1)
    pd.testing.assert_frame_equal(out, again)


def test_compare_scores_groups_and_missing_outcome():
    ids = pd.Index(range(8), name="customer_id")
    inactive = pd.Series([True, False] * 4, index=ids)
    scores = pd.DataFrame({"x": np.arange(8.0), "risk": np.arange(8.0)[::-1]}, index=ids)
    mask = pd.Series([True] * 4 + [False] * 4, index=ids)
    out = compare_scores(scores, inactive, groups={"valuable": mask}, n_boot=0)
    assert out.loc[("valuable", "x"), "customers"] == 4
    assert list(out.index.get_level_values(0).unique()) == ["all", "valuable"]
    with pytest.raises(ValueError, match="no value for 1 customer"):
        compare_scores(scores, inactive.drop(3))


def _comparison(diffs: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    """A compare_scores-shaped frame: per population, the reference and risk rows."""
    rows = []
    for pop, (d, lo, hi) in diffs.items():
        for score, auc_, diff in (
            ("expected_purchases", 0.70, (0, 0, 0)),
            ("risk", 0.70 + d, (d, lo, hi)),
        ):
            rows.append(
                {
                    "population": pop,
                    "score": score,
                    "auc": auc_,
                    "lift": 1.5 + diff[0],
                    "reference": "expected_purchases",
                    "auc_diff": diff[0],
                    "auc_diff_low": diff[1],
                    "auc_diff_high": diff[2],
                    "lift_diff": diff[0],
                    "lift_diff_low": diff[1],
                    "lift_diff_high": diff[2],
                }
            )
    out = pd.DataFrame(rows).set_index(["population", "score"])
    out.attrs = {"level": 0.9}
    return out


def test_comparison_verdict_and_reading():
    cmp = _comparison(
        {"all": (0.02, 0.01, 0.03), "valuable": (-0.01, -0.02, 0.005), "x": (-0.03, -0.04, -0.02)}
    )
    v = comparison_verdict(cmp)
    assert v["auc_verdict"].to_dict() == {"all": "beats", "valuable": "ties", "x": "trails"}
    assert v["best"].to_dict() == {
        "all": "risk", "valuable": "expected_purchases", "x": "expected_purchases",
    }  # fmt: skip
    text = comparison_reading(cmp)
    assert text.startswith(
        "Among all customers, the learned risk beats expected purchases, the best simple "
        "score: AUC 0.720 against 0.700, a difference of +0.020 (90% bootstrap interval "
        "+0.010 to +0.030)"
    )
    assert "Among the valuable customers, the learned risk does no better or worse than" in text


def test_risk_reading_names_the_window_and_the_fallback(fitted):
    _, model = fitted
    text = risk_reading(model)
    assert f"no purchase within {HORIZON} days" in text and "4 earlier cut(s)" in text
    short = _log(3, n=500)
    fallback = fit_inactivity_risk(
        short[short["date"] <= "2022-02-28"], observation_end="2022-02-28", horizon=HORIZON
    )
    assert risk_reading(fallback).startswith("The log is too short to learn the risk from")


def test_plots_of_the_risk(fitted):
    _, model = fitted
    ax = plots.plot_reliability(model.reliability)
    assert ax.get_xlabel().startswith("predicted probability")
    assert len(ax.lines) >= 2  # the model and the diagonal
    plt.close(ax.figure)
    cmp = _comparison({"all": (0.02, 0.01, 0.03)})
    ax = plots.plot_score_comparison(cmp)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["all: risk vs expected_purchases"]
    plt.close(ax.figure)


def test_a_table_of_another_cut_is_refused():
    tx = _log(4, n=300)
    cut = END - pd.Timedelta(days=30)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        other, other_info = customers.value_customers(
            tx[tx["date"] <= cut],
            observation_end=cut,
            model="BG/NBD",
            calibration_end=False,
            interval=None,
        )
    with pytest.raises(ValueError, match="not of observation_end"):
        fit_inactivity_risk(
            tx,
            observation_end=END,
            horizon=pd.Timedelta(days=HORIZON),
            table=other,
            info=other_info,
        )
    with pytest.raises(TypeError, match="info"):
        fit_inactivity_risk(tx, observation_end=END, horizon=HORIZON, table=other)


def _aucs(valuable: dict[str, float], everyone: dict[str, float] | None = None) -> pd.DataFrame:
    """A compare_scores-shaped frame holding only the AUCs the choice reads."""
    rows = [
        {"population": pop, "score": s, "auc": a}
        for pop, aucs in (("all", everyone or valuable), ("valuable", valuable))
        for s, a in aucs.items()
    ]
    return pd.DataFrame(rows).set_index(["population", "score"])


def test_list_score_takes_the_best_by_auc_among_the_valuable_and_its_probability():
    from analysis.churn.compare import list_score
    from analysis.readings.risk import list_score_reading

    base = {"p_alive": 0.60, "days_since_last": 0.62, "p_quiet": 0.66, "risk": 0.65}
    # the CDNOW case: expected purchases wins among the valuable (the risk wins over all)
    choice = list_score(_aucs({**base, "expected_purchases": 0.70}, {**base, "risk": 0.9}))
    assert (choice.population, choice.best, choice.use, choice.counterpart) == (
        "valuable", "expected_purchases", "p_quiet", True,
    )  # fmt: skip
    assert choice.use_auc == 0.66
    assert list_score_reading(choice) == (
        "Among the valuable customers, the score with the highest AUC is expected purchases "
        "(0.700). It is not a probability of going quiet, so the list below weighs each "
        "customer's value by the count model's P(no purchase), the probability that stands "
        "for it (AUC 0.660 among the same customers)."
    )
    # the learned risk wins: used as it is
    choice = list_score(_aucs({**base, "expected_purchases": 0.6, "risk": 0.8}))
    assert (choice.use, choice.counterpart) == ("risk", False)
    assert list_score_reading(choice).endswith(
        "so the list below weighs each customer's value by it."
    )
    # P(alive) wins: 1 - P(alive)
    alive = list_score(_aucs({**base, "p_alive": 0.9}))
    assert alive.use == "p_alive"
    assert "1 - P(alive), is the probability that the customer has already gone" in (
        list_score_reading(alive)
    )
    # recency wins: no probability of its own, the better of the two probabilities
    assert list_score(_aucs({**base, "days_since_last": 0.9})).use == "p_quiet"
    assert list_score(_aucs({**base, "days_since_last": 0.9, "risk": 0.7})).use == "risk"
    # no valuable population: all customers decide
    only_all = _aucs({**base, "risk": 0.9}).xs("all", level="population", drop_level=False)
    assert list_score(only_all).population == "all"


def test_list_risk_gives_each_probability_at_the_tables_cut(fitted):
    from analysis.churn.loss import list_risk
    from analysis.churn.risk import p_quiet

    tx, model = fitted
    table, info = customers.value_customers(
        tx.loc[tx["date"] <= END], observation_end=END, model="BG/NBD", calibration_end=False,
        interval=None,
    )  # fmt: skip
    pd.testing.assert_series_equal(
        list_risk("p_quiet", table, tx, horizon=HORIZON, info=info),
        p_quiet(table, HORIZON, info=info).rename("risk"),
    )
    np.testing.assert_allclose(
        list_risk("p_alive", table, tx, horizon=HORIZON, info=info), 1 - table["p_alive"]
    )
    learned = list_risk("risk", table, tx, horizon=HORIZON, info=info)
    np.testing.assert_allclose(learned.reindex(model.risk.index), model.risk, rtol=1e-6)
    with pytest.raises(ValueError, match="kind must be one of"):
        list_risk("recency", table, tx, horizon=HORIZON, info=info)
