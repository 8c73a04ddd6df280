"""Reading of the holdout validation: each verdict follows the hand-built numbers, both ways."""

from __future__ import annotations

import pandas as pd

from analysis.readings.lifecycle_holdout import holdout_stage_reading
from analysis.units import STAGES


def _by_stage(customers, days, min_customers=50):
    frame = pd.DataFrame(
        {"customers": customers, "holdout_purchase_days": days},
        index=pd.Index(list(STAGES), name="stage"),
    )
    frame["checked"] = frame["customers"] >= min_customers
    return frame


def _auc(stage, expected, p_alive=None, repeat=None, n=20000, active=6000):
    rows = {"stage": stage, "expected_purchases": expected}
    if p_alive is not None:
        rows["p_alive"] = p_alive
    table = pd.DataFrame({"auc": rows}).rename_axis("score")
    if repeat is not None:
        table["auc_repeat_buyers"] = [0.6, 0.7, repeat][: len(table)]
    table["customers"], table["active"] = n, active
    return table


# exploration, formation, stability, decline
ORDERED = _by_stage([0, 1500, 300, 20000], [float("nan"), 3.7, 5.2, 0.56])


def test_ordered_and_the_model_ranks_better():
    text = holdout_stage_reading(ORDERED, _auc(0.60, 0.76), min_customers=50)
    assert "Among the stages with at least 50 customers" in text
    assert "fall in the lifecycle order: stability 5.20, formation 3.70, decline 0.56" in text
    assert "**not**" not in text
    assert "Left out of the check: exploration (0 customers)" in text
    assert "Of 20,000 customers, 6,000 (30%) bought at least once" in text
    assert "AUC of 0.600 and BG/NBD expected purchases 0.760" in text
    assert "BG/NBD expected purchases rank better by 0.160" in text


def test_out_of_order_and_the_stage_ranks_better():
    table = _by_stage([400, 1500, 300, 20000], [1.0, 3.7, 2.0, 0.56])
    text = holdout_stage_reading(table, _auc(0.80, 0.70), min_customers=50)
    assert "do **not** fall in the lifecycle order" in text
    assert "stability (2.00) is not above formation (3.70)" in text
    assert "exploration (1.00)" not in text  # exploration 1.00 > decline 0.56 holds
    assert "Left out" not in text
    assert "the stage (as an ordinal score) ranks better by 0.100." in text
    assert "expected purchases rank better" not in text


def test_small_stage_out_of_order_is_only_left_out():
    # stability below formation, but with 30 customers it is not checked
    table = _by_stage([0, 1500, 30, 20000], [float("nan"), 3.7, 2.0, 0.56])
    text = holdout_stage_reading(table, _auc(0.6, 0.76), min_customers=50)
    assert "fall in the lifecycle order: formation 3.70, decline 0.56" in text
    assert "stability (30 customers) and exploration (0 customers)" in text


def test_no_order_with_one_checked_stage_and_equal_aucs():
    table = _by_stage([0, 10, 10, 20000], [float("nan"), 3.7, 5.2, 0.56])
    text = holdout_stage_reading(table, _auc(0.700, 0.705))
    assert "Fewer than two stages have enough customers" in text
    assert "rank about equally" in text and "better by" not in text


def test_p_alive_below_chance_is_explained_only_when_it_is():
    text = holdout_stage_reading(ORDERED, _auc(0.60, 0.76, p_alive=0.32, repeat=0.70))
    assert "BG/NBD P(alive) reaches 0.320, below chance" in text
    assert "among repeat buyers its AUC is 0.700" in text
    text = holdout_stage_reading(ORDERED, _auc(0.60, 0.76, p_alive=0.72, repeat=0.70))
    assert "BG/NBD P(alive) reaches 0.720." in text and "below chance" not in text


def test_a_p_alive_without_dropout_is_not_scored():
    """A no-dropout fit's P(alive) is 1 for everyone: its AUC is not read (its order is noise)."""
    text = holdout_stage_reading(ORDERED, _auc(0.60, 0.76, p_alive=float("nan")), min_customers=50)
    assert "P(alive) is not scored: the fit sees no dropout" in text
    assert "below chance" not in text


def test_the_few_repeaters_log_leaves_p_alive_unscored():
    """The corpus log where the BG/NBD sees no dropout: P(alive) gets no AUC, the others do."""
    import warnings

    from analysis.lifecycle import holdout_validation
    from analysis.simulate.corpus import draw_log

    log = draw_log("few_repeaters").rename(
        columns={"customer": "customer_id", "day": "date", "revenue": "amount"}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = holdout_validation(log, "2021-09-30", "2022-06-25", period="M")
    assert pd.isna(check.auc.loc["p_alive", "auc"])
    assert check.auc.loc[["stage", "expected_purchases"], "auc"].notna().all()
