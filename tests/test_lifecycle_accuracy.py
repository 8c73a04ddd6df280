"""Accuracy of the stage views by purchase rate and by simulator setting (analysis.lifecycle.accuracy)."""

from __future__ import annotations

import pytest

from analysis import lifecycle as lc
from analysis.lifecycle import accuracy as acc
from analysis.simulate import simulate_lifecycle

F1 = [f"f1_{s}" for s in lc.STAGES]


def test_tuning_and_evaluation_seeds_do_not_overlap():
    assert not set(acc.TUNING_SEEDS) & set(acc.EVALUATION_SEEDS)
    assert set(acc.SETTINGS) >= {
        "default",
        "shorter formation",
        "longer stability",
        "sparser buyers",
    }


def test_headline_accuracy_of_both_views_on_the_fresh_seeds():
    """Issue #13's must-show: on fresh seeds 11-13 (2,000 customers x 24 months each, pooled,
    default simulator) the default real-time view (the rules) reaches macro-F1 0.78 and the
    hindsight view 0.85.

    Measured: rules 0.794 (exploration 0.808, formation 0.636, stability 0.819, decline 0.911;
    seeds 11, 12, 13 alone 0.790, 0.794, 0.797; the tuning seeds 1-5 pooled 0.793, seeds 6-10
    0.792), hindsight 0.880.
    """
    table = acc.accuracy_by_setting(
        {"default": {}}, views=(("realtime", "rules"), ("hindsight", "model")), tuning_seeds=None
    )
    assert table["seeds"].unique().tolist() == ["11, 12, 13"]
    rows = table.set_index("view")
    assert rows.loc["realtime", "macro_f1"] >= 0.78
    assert rows.loc["hindsight", "macro_f1"] >= 0.85
    # formation is still the rules' weakest stage, and what hindsight gains most on
    realtime, hindsight = rows.loc["realtime", F1], rows.loc["hindsight", F1]
    assert realtime.idxmin() == "f1_formation" and realtime["f1_formation"] >= 0.62
    assert (hindsight - realtime).idxmax() == "f1_formation"


def test_accuracy_by_rate_is_a_tidy_table_that_matches_a_direct_measurement():
    table = acc.accuracy_by_rate(rates=(0.5, 4.0), seeds=(11,), n_customers=600)
    assert list(table.columns) == ["rate", "view", "method", *F1, "macro_f1", "n"]
    assert len(table) == 2 * len(acc.VIEWS)
    assert table[["rate", "view", "method"]].drop_duplicates().shape[0] == len(table)
    # a row is the scores of assign_stages on the simulated log of its band
    sim = simulate_lifecycle(600, 24, seed=11, peak_rate_mean=0.5)
    stages = lc.assign_stages(sim.transactions, view="hindsight")
    direct = lc.stage_scores(lc.stage_confusion(sim.stages, stages))["f1"]
    row = table.query("rate == 0.5 and view == 'hindsight'").iloc[0]
    assert row["macro_f1"] == pytest.approx(direct["macro"])
    assert row["n"] == len(sim.stages)
    assert table["macro_f1"].between(0, 1).all()


def test_the_model_helps_sparse_buyers_most_in_both_views():
    """Fresh seed 12, 1,000 customers: at half a purchase a month the rules score about 0.58,
    the model's real-time view about 0.69 and hindsight about 0.82 (measured on seeds 11-13,
    2,000 customers each: 0.578, 0.692, 0.821); at four a month 0.79, 0.81, 0.88."""
    table = acc.accuracy_by_rate(rates=(0.5, 4.0), seeds=(12,), n_customers=1000)
    macro = table.set_index(["rate", "view", "method"])["macro_f1"]
    for rate in (0.5, 4.0):
        rules = macro[(rate, "realtime", "rules")]
        model = macro[(rate, "realtime", "model")]
        hindsight = macro[(rate, "hindsight", "model")]
        assert hindsight > model > rules
    sparse_gain = macro[(0.5, "realtime", "model")] - macro[(0.5, "realtime", "rules")]
    dense_gain = macro[(4.0, "realtime", "model")] - macro[(4.0, "realtime", "rules")]
    assert sparse_gain > dense_gain + 0.05
    assert macro[(0.5, "realtime", "model")] >= 0.65 and macro[(0.5, "hindsight", "model")] >= 0.78


def test_accuracy_by_setting_names_the_settings_and_the_tuning_row():
    settings = {"default": {}, "longer stability": {"stability_mean": 24.0}}
    table = acc.accuracy_by_setting(
        settings, views=("realtime", "hindsight"), seeds=(11,), n_customers=500
    )
    assert table["setting"].unique().tolist() == [
        "default (tuning seeds)",
        "default",
        "longer stability",
    ]
    tuning = ", ".join(str(s) for s in acc.TUNING_SEEDS)
    assert tuning == "1, 2, 3, 4, 5"
    assert table["seeds"].tolist() == [tuning, tuning, "11", "11", "11", "11"]
    assert table["simulator"].tolist()[-1] == "stability_mean=24"
    assert table["method"].tolist() == ["rules", "model"] * 3
    # every view is scored on the same cells of a setting
    assert table.groupby("setting")["n"].nunique().eq(1).all()


def test_views_are_checked():
    with pytest.raises(ValueError, match="view"):
        acc.accuracy_by_rate(views=("later",), rates=(1.0,), seeds=(11,), n_customers=50)


@pytest.mark.slow
def test_settings_on_fresh_seeds():
    """Defaults on three fresh seeds (11-13, 2,000 customers each) and three settings not tuned on.

    Measured macro-F1 (rules / model real time / hindsight): default 0.794 / 0.810 / 0.880
    (tuning seeds 1-5: 0.793 for the rules); shorter formation 0.712 / 0.707 / 0.780; longer
    stability 0.802 / 0.812 / 0.886; sparser buyers 0.672 / 0.736 / 0.847. (The rules before
    the changes of issue #13: 0.768, 0.687, 0.774, 0.636.)
    """
    table = acc.accuracy_by_setting()
    macro = table.set_index(["setting", "view", "method"])["macro_f1"]
    assert macro[("default", "hindsight", "model")] >= 0.86
    assert macro[("default", "realtime", "model")] >= 0.80
    assert macro[("default", "realtime", "rules")] >= 0.78
    for setting in acc.SETTINGS:
        rules = macro[(setting, "realtime", "rules")]
        model = macro[(setting, "realtime", "model")]
        assert macro[(setting, "hindsight", "model")] > max(rules, model) + 0.05
    # the model's real-time view is ahead of the rules for sparse buyers; the two are close
    # elsewhere (the rules ahead for a shorter formation)
    assert (
        macro[("sparser buyers", "realtime", "model")]
        > macro[("sparser buyers", "realtime", "rules")] + 0.04
    )
    # the hindsight view loses most where the lifecycle differs from the tuning setting
    assert macro[("shorter formation", "hindsight", "model")] < 0.8
