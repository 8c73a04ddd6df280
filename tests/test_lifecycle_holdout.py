"""Tests for analysis.lifecycle.holdout: the stages at a cut-off against the holdout that follows."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis import data
from analysis.lifecycle import assign_stages, current_stage
from analysis.lifecycle.holdout import (
    STAGE_ORDER,
    STAGE_SCORE,
    holdout_validation,
    ranking_auc,
    stage_holdout_table,
    stage_order_check,
)

CAL = pd.Timestamp("2020-06-30")
END = pd.Timestamp("2020-09-30")

# Calibration histories whose realtime stage at CAL is known (checked in test_hand_built_stages).
PATTERNS = {
    # weekly for a year: formation, then the plateau
    "stability": list(pd.date_range("2019-07-01", CAL, freq="7D")),
    # two sparse purchases, then every third day from May: a rising pace
    "formation": [pd.Timestamp("2020-01-05"), pd.Timestamp("2020-02-20")]
    + list(pd.date_range("2020-05-01", CAL, freq="3D")),
    # a first purchase in May and one in June: still on trial
    "exploration": [pd.Timestamp("2020-05-20"), pd.Timestamp("2020-06-12")],
    # three purchases in January and February, then silence
    "decline": [pd.Timestamp(d) for d in ("2020-01-03", "2020-01-20", "2020-02-05")],
}


def _log(counts: dict[str, int], holdout_days: dict[str, int]) -> pd.DataFrame:
    """``counts[stage]`` customers with that stage's history, each with ``holdout_days[stage]``
    purchase days in the holdout (every fifth day from July 2), dates shifted a day per customer."""
    rows = []
    for stage, n in counts.items():
        for i in range(n):
            shift = pd.Timedelta(days=i % 3)
            dates = [d + shift for d in PATTERNS[stage] if d + shift <= CAL]
            dates += [pd.Timestamp("2020-07-02") + pd.Timedelta(days=5 * k + i % 3)
                      for k in range(holdout_days[stage])]  # fmt: skip
            rows += [(f"{stage}{i}", d, 10.0) for d in dates]
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"]).sort_values(
        ["customer_id", "date"], ignore_index=True
    )


COUNTS = {"stability": 3, "formation": 3, "exploration": 6, "decline": 6}


def _stage_of(customer_ids) -> pd.Series:
    return pd.Series([c.rstrip("0123456789") for c in customer_ids], index=customer_ids)


# --------------------------------------------------------------------------
# ranking_auc
# --------------------------------------------------------------------------


def test_ranking_auc_matches_the_pairwise_count_with_ties():
    rng = np.random.default_rng(7)
    score = rng.integers(0, 4, size=40).astype(float)  # many ties
    outcome = rng.random(40) < 0.4
    pairs = [
        1.0 if p > n else 0.5 if p == n else 0.0
        for p, n in itertools.product(score[outcome], score[~outcome])
    ]
    assert ranking_auc(score, outcome) == pytest.approx(np.mean(pairs), abs=1e-12)


def test_ranking_auc_perfect_reversed_and_one_class():
    outcome = np.array([False, False, True, True])
    assert ranking_auc([1, 2, 3, 4], outcome) == 1.0
    assert ranking_auc([4, 3, 2, 1], outcome) == 0.0
    assert ranking_auc([1, 1, 1, 1], outcome) == 0.5
    assert np.isnan(ranking_auc([1, 2, 3, 4], np.ones(4, dtype=bool)))
    with pytest.raises(ValueError, match="missing"):
        ranking_auc([1, np.nan, 3, 4], outcome)


# --------------------------------------------------------------------------
# the table and the order check on hand-built tables
# --------------------------------------------------------------------------


def test_stage_holdout_table_exact_values():
    customers = pd.DataFrame(
        {
            "stage": ["stability", "stability", "formation", "decline", "decline", "decline"],
            "holdout_purchase_days": [4, 2, 1, 0, 1, 0],
        }
    )
    table = stage_holdout_table(customers, min_customers=2)
    assert list(table.index) == ["exploration", "formation", "stability", "decline"]
    assert table["customers"].tolist() == [0, 1, 2, 3]
    assert table.loc["stability", "holdout_purchase_days"] == 3.0
    assert table.loc["decline", "holdout_purchase_days"] == pytest.approx(1 / 3)
    assert table.loc["decline", "active_share"] == pytest.approx(1 / 3)
    assert table.loc["formation", "active_share"] == 1.0
    assert np.isnan(table.loc["exploration", "holdout_purchase_days"])
    assert table["checked"].tolist() == [False, False, True, True]
    assert stage_order_check(table) == (True, ())


def test_order_check_names_the_pair_out_of_order():
    table = pd.DataFrame(
        {"holdout_purchase_days": [1.0, 2.0, 3.0, 0.5], "checked": [True] * 4},
        index=["exploration", "formation", "stability", "decline"],
    )
    assert stage_order_check(table) == (True, ())
    table.loc["exploration", "holdout_purchase_days"] = 2.5  # above formation
    assert stage_order_check(table) == (False, (("formation", "exploration"),))
    table.loc["exploration", "checked"] = False  # too small to count: the rest are ordered
    assert stage_order_check(table) == (True, ())
    table.loc[["formation", "stability"], "checked"] = False  # one stage left: no order shown
    assert stage_order_check(table) == (False, ())


def test_stage_score_follows_the_domain_order():
    assert [STAGE_SCORE[s] for s in STAGE_ORDER] == [3, 2, 1, 0]


# --------------------------------------------------------------------------
# holdout_validation on a hand-built log
# --------------------------------------------------------------------------

ORDERED = {"stability": 6, "formation": 4, "exploration": 2, "decline": 0}


@pytest.fixture(scope="module")
def ordered_result():
    return holdout_validation(_log(COUNTS, ORDERED), CAL, END, min_customers=1)


def test_hand_built_stages(ordered_result):
    got = ordered_result.customers["stage"].astype(str)
    assert (got == _stage_of(got.index)).all(), got[got != _stage_of(got.index)]


def test_hand_built_holdout_counts_and_ordering(ordered_result):
    r = ordered_result
    days = r.customers["holdout_purchase_days"]
    expected = _stage_of(days.index).map(ORDERED)
    assert (days == expected).all()
    assert r.by_stage["customers"].to_dict() == {s: COUNTS[s] for s in r.by_stage.index}
    assert r.ordered and r.out_of_order == ()
    assert r.holdout_length == pytest.approx((END - CAL).days / (365.25 / 12))
    # only the stability, formation and exploration customers buy: perfect for the stage score
    assert r.auc.loc["stage", "auc"] == 1.0
    assert r.auc.loc["stage", "active"] == 12 and r.auc.loc["stage", "customers"] == 18


def test_hand_built_out_of_order_is_reported(ordered_result):
    bad = holdout_validation(_log(COUNTS, {**ORDERED, "decline": 5}), CAL, END, min_customers=1)
    # the holdout does not move a stage: the stages read only the calibration log
    pd.testing.assert_series_equal(
        bad.customers["stage"], ordered_result.customers["stage"], check_names=False
    )
    assert not bad.ordered
    assert bad.out_of_order == (("exploration", "decline"),)


def test_small_stages_are_left_out_of_the_check():
    # stability buys nothing, below formation; with 3 customers it counts only at min_customers <= 3
    log = _log(COUNTS, {**ORDERED, "stability": 0})
    strict = holdout_validation(log, CAL, END, min_customers=3)
    assert not strict.ordered
    assert strict.out_of_order == (("stability", "formation"),)
    loose = holdout_validation(log, CAL, END, min_customers=4)
    assert loose.by_stage["checked"].to_dict() == {
        "exploration": True,
        "formation": False,
        "stability": False,
        "decline": True,
    }
    assert loose.ordered and loose.out_of_order == ()
    # no stage large enough: no order shown
    assert not holdout_validation(log, CAL, END, min_customers=100).ordered


def test_holdout_end_cuts_the_holdout():
    log = _log(COUNTS, ORDERED)
    short = holdout_validation(log, CAL, "2020-07-10", min_customers=1)
    # purchases fall on July 2 + 5k (+0..2 days): by July 10 only k = 0 and 1
    days = short.customers["holdout_purchase_days"]
    manual = (
        log.loc[(log["date"] > CAL) & (log["date"] <= "2020-07-10")]
        .groupby("customer_id")["date"]
        .nunique()
        .reindex(days.index, fill_value=0)
    )
    assert (days == manual).all() and days.max() == 2
    assert short.holdout_end == pd.Timestamp("2020-07-10")


def test_empty_holdout_and_unknown_view_are_refused():
    log = _log(COUNTS, ORDERED)
    with pytest.raises(ValueError, match="holdout is empty"):
        holdout_validation(log, CAL, CAL)
    with pytest.raises((ValueError, TypeError)):
        holdout_validation(log, CAL, END, view="no such view")


# --------------------------------------------------------------------------
# CDNOW: stages at 1997-09-30 against the 39-week holdout to 1998-06-30
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_log():
    return data.load_dataset("cdnow")


@pytest.fixture(scope="module")
def cdnow(cdnow_log):
    return holdout_validation(cdnow_log, "1997-09-30", "1998-06-30")


def test_cdnow_holdout_counts(cdnow, cdnow_log):
    assert cdnow.by_stage["customers"].sum() == cdnow_log["customer_id"].nunique() == 23570
    holdout = cdnow_log.loc[cdnow_log["date"] > "1997-09-30"]
    assert cdnow.customers["holdout_purchase_days"].sum() == len(
        holdout.drop_duplicates(["customer_id", "date"])
    )
    assert cdnow.holdout_length * 365.25 / 12 == pytest.approx(39 * 7)
    # the realtime stages read nothing after the cut-off
    stages = current_stage(
        assign_stages(
            cdnow_log.loc[cdnow_log["date"] <= "1997-09-30"], observation_end="1997-09-30"
        )
    )
    assert (cdnow.customers["stage"] == stages["stage"]).all()


def test_cdnow_stages_order_the_holdout(cdnow):
    # measured: stability 5.21 > formation 3.69 > decline 0.56 mean purchase days
    # (exploration is empty: every CDNOW customer joined in early 1997, past the trial by September)
    table = cdnow.by_stage
    checked = [s for s in STAGE_ORDER if table.loc[s, "checked"]]
    assert len(checked) >= 3
    means = table.loc[checked, "holdout_purchase_days"].to_numpy()
    assert (np.diff(means) < 0).all(), table
    assert cdnow.ordered and cdnow.out_of_order == ()
    share = table.loc[checked, "active_share"].to_numpy()
    assert (np.diff(share) < 0).all(), table


def test_cdnow_aucs(cdnow):
    auc = cdnow.auc
    # measured: stage 0.598, BG/NBD expected purchases 0.763
    for score in ("stage", "expected_purchases"):
        assert 0.5 < auc.loc[score, "auc"] < 1, auc
        assert 0.5 < auc.loc[score, "auc_repeat_buyers"] < 1, auc
    assert auc.loc["expected_purchases", "auc"] > auc.loc["stage", "auc"]
    # BG/NBD puts every one-time buyer at P(alive) = 1, and most of them stay away: over all
    # customers P(alive) ranks worse than chance (0.32); among repeat buyers it ranks (0.70)
    assert auc.loc["p_alive", "auc"] < 0.5
    assert 0.5 < auc.loc["p_alive", "auc_repeat_buyers"] < 1
