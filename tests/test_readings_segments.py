"""Readings of the segments report: every verdict word follows the numbers, both ways.

Hand-built summaries (through :func:`analysis.segments.segment_summary` on small
tables) stand in for the report's tables; each claim is checked where it
holds and where it does not.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import readings, segments, tables
from analysis.units import STAGES


def _labels(values, categories, name="segment"):
    cat = pd.Categorical(values, categories=categories, ordered=True)
    return pd.Series(cat, index=[f"c{i}" for i in range(len(values))], name=name)


def _summary(values, labels, categories, name="segment"):
    """segment_summary of a table whose clv_net is ``values``, labelled by ``labels``."""
    table = pd.DataFrame({"clv_net": np.asarray(values, dtype=float)})
    table.index = [f"c{i}" for i in range(len(values))]
    return segments.segment_summary(table, _labels(labels, categories, name))


def _method_summary(values):
    return tables.method_summary(pd.DataFrame({"clv_net": np.asarray(values, dtype=float)}))


# ------------------------------------------------------------------ value of the base


def test_value_reading_states_the_numbers_and_the_concentration_word():
    # ten customers, one worth 91 of 100: the top 10% hold 91%, top 20% 92%
    text = readings.value_reading(_method_summary([91] + [1] * 9), horizon_years=3.0)
    assert "The 10 customers are worth $100 of net CLV over the next 3 years" in text
    assert "$10.00 per customer on average; the median customer is worth $1.00" in text
    assert "worth $1.00, and the mean is 10.0 times the median, pulled up by a minority" in text
    assert "top 10% of customers hold 91% of the value and the top 20% hold 92%" in text
    assert text.endswith("value is highly concentrated.")
    # a ratio in the hundreds or more is a whole number with separators
    huge = readings.value_reading(_method_summary([20_000] + [1] * 9))
    assert "the mean is 2,001 times the median" in huge


def test_value_reading_even_and_moderate_spreads():
    even = readings.value_reading(_method_summary([10] * 10), currency="€")
    assert "€100 of net CLV," in even and "worth €10.00, close to the mean" in even
    assert even.endswith("value is spread fairly evenly.") and "over the next" not in even
    # top 20% hold 50%: concentrated, not highly
    moderate = readings.value_reading(_method_summary([35, 25, 10, 10, 10, 10, 5, 5, 5, 5]))
    assert moderate.endswith("value is concentrated.")
    assert "the mean is 1.2 times the median." in moderate and "pulled up" not in moderate
    low_tail = readings.value_reading(_method_summary([0, 0, 0, 10, 10, 10, 10]))
    assert "above the mean: a tail of low values pulls the mean down" in low_tail


def test_tier_reading_word_from_the_top_tier_and_the_negative_tier():
    labels = segments.CLV_TIERS
    # 1 of 10 customers in the high tier: highly concentrated
    few = _summary(
        [50, 10, 10, 10, 5, 5, 5, 5, 0, 0],
        ["high", "medium", "medium", "medium", "low", "low", "low", "low", "low", "low"],
        labels,
        "clv_tiers",
    )
    text = readings.tier_reading(few)
    assert text.startswith("**Reading.** The tiers are cut by cumulative value")
    assert "holding" not in text  # each tier's counts are the table's
    assert (
        "the high tier's 10% of the customers hold 50% of the value, so value is highly "
        "concentrated" in text
    )
    assert "worth $50.00 on average, 15 times a low-tier one ($3.33)" in text
    assert "No customer is in the negative tier" in text
    # half the customers in the high tier and one negative customer
    many = _summary(
        [10, 10, 10, 10, 5, 5, 2, 2, 1, -3],
        ["high"] * 4 + ["medium"] * 2 + ["low"] * 3 + ["negative"],
        labels,
        "clv_tiers",
    )
    text = readings.tier_reading(many)
    assert "40% of the customers hold" in text and "value is spread fairly evenly" in text
    assert "worth $10.00 on average, 6.0 times a low-tier one ($1.67)" in text
    assert "1 customer (10%) has a negative net CLV (-$3.00 together)" in text
    assert "No customer is in the negative tier" not in text


def _matrix_table(current, potential):
    table = pd.DataFrame({"current_value": current, "potential_value": potential}, dtype=float)
    table.index = [f"c{i}" for i in range(len(current))]
    return table


def test_value_matrix_reading_cuts_cells_and_diagonal():
    table = _matrix_table([0, 0, 0, 5, 8, 9], [1, 2, 30, 1, 20, 40])
    summary = segments.segment_summary(table, segments.value_matrix(table), value="potential_value")
    text = readings.value_matrix_reading(summary, table)
    assert "split at the medians: current value $2.50, potential value $11.00" in text
    assert "bought nothing in the current-value window" not in text
    assert "Retain holds the most value" in text and "holding" not in text  # cells: the table
    assert "Retain holds the most value." in text
    assert "agree (retain and reduce) for 67% of the customers" in text
    assert "(develop and maintain), where past value is a poor guide" in text
    assert "hold 2 customers and 33% of the value" in text
    # a zero median current value: high current means any purchase
    zero = _matrix_table([0, 0, 0, 0, 8, 9], [1, 2, 30, 1, 20, 4])
    summary = segments.segment_summary(zero, segments.value_matrix(zero), value="potential_value")
    text = readings.value_matrix_reading(summary, zero)
    assert "current value $0.00" in text and "means any purchase in it" in text
    assert "Develop holds the most value." in text
    given = readings.value_matrix_reading(summary, zero, cut=(1.0, 10.0))
    assert "split at the cuts: current value $1.00, potential value $10.00" in given
    assert "means any purchase" not in given


def _loyalty_table(p_alive, cv, clv):
    table = pd.DataFrame({"p_alive": p_alive, "interpurchase_cv": cv, "clv_net": clv}, dtype=float)
    table.index = [f"c{i}" for i in range(len(clv))]
    return table


def test_loyalty_reading_cells_leader_and_what_decided_loyalty():
    table = _loyalty_table(
        [0.9, 0.9, 0.8, 0.2, 0.3, 0.9], [0.5, 0.4, np.nan, 0.5, 2.0, 0.3], [50, 40, 30, 20, 1, 2]
    )
    summary = segments.segment_summary(table, segments.loyalty_profitability(table))
    text = readings.loyalty_reading(summary, table)
    assert "True friends (loyal, profitable); " in text and "holding" not in text  # the table's
    assert "barnacles (loyal, not profitable)" in text
    assert "The most value sits with the true friends." in text and "just ahead" not in text
    assert (
        "1 customer (17%) has fewer than two repeat purchases, so no measured regularity, "
        "and counts" in text
    )
    assert "P(alive)" not in text.split("value.")[-1]  # P(alive) separated customers: no note
    # everyone alive: loyalty by regularity alone; two leaders close in value
    alive = _loyalty_table([0.99] * 4, [0.5, 2.0, 0.5, 2.0], [50, 48, 1, 2])
    summary = segments.segment_summary(alive, segments.loyalty_profitability(alive))
    text = readings.loyalty_reading(summary, alive)
    assert (
        "Every customer's P(alive) is above 0.5" in text and "regularity of purchases alone" in text
    )
    assert "true friends, just ahead of the butterflies (48%)" in text
    assert "fewer than two repeat purchases" not in text
    gone = _loyalty_table([0.1] * 4, [0.5] * 4, [50, 40, 1, 2])
    summary = segments.segment_summary(gone, segments.loyalty_profitability(gone))
    text = readings.loyalty_reading(summary, gone)
    assert "No customer's P(alive) is above 0.5, so no customer counts as loyal" in text
    assert "No customer falls in true friends and barnacles." in text


def test_cost_matrix_reading_without_and_with_costs():
    table = _loyalty_table([0.9, 0.8], [0.5, 0.5], [10, 20])
    note = readings.cost_matrix_reading(table)
    assert note.startswith("**No cost data.**") and "pass `costs=` to `customer_table`" in note
    costed = table.assign(acquisition_cost=[5.0, 1.0], retention_cost=[2.0, 3.0])
    assert readings.cost_matrix_reading(costed).startswith("**No cost data.**")  # no summary
    summary = segments.segment_summary(costed, segments.cost_matrix(costed))
    text = readings.cost_matrix_reading(costed, summary)
    assert text.startswith("**Reading.**") and "No cost data" not in text
    assert "The most value sits with the easy to win, hard to keep customers." in text


def _stage_table(stages, values, first):
    table = pd.DataFrame(
        {
            "stage": pd.Categorical(stages, list(STAGES), ordered=True),
            "clv_net": np.asarray(values, dtype=float),
            "first_purchase": pd.to_datetime(first),
        }
    )
    table.index = [f"c{i}" for i in range(len(values))]
    return table


def test_prospect_reading_none_and_some():
    none = _stage_table(["decline", "stability"], [1, 2], ["2020-01-05", "2020-03-01"])
    summary = segments.segment_summary(none, segments.prospect_tiers(none))
    text = readings.prospect_reading(summary, none, observation_end="2020-12-31")
    assert "No customer is in exploration at the observation end (2020-12-31)" in text
    assert "most recent first purchase in the log was on 2020-03-01, 305 days before" in text
    some = _stage_table(
        ["exploration"] * 5 + ["decline"],
        [10, 1, 2, 3, 4, 100],
        ["2020-12-01"] * 6,
    )
    summary = segments.segment_summary(some, segments.prospect_tiers(some))
    text = readings.prospect_reading(summary, some, observation_end="2020-12-31")
    assert "5 customers (83% of all) are in exploration at the observation end" in text
    assert "quality 1 (worth $10.00 each on average)" in text and "poor 2" in text
    assert "The quality prospects hold 50% of the prospects' value" in text


def _ranking_table(p_alive):
    table = pd.DataFrame(
        {
            "current_value": [5.0, 4.0, 3.0, 2.0],
            "potential_value": [1.0, 2.0, 30.0, 40.0],
            "p_alive": p_alive,
        },
        index=["a", "b", "c", "d"],
    )
    return table.assign(clv_net=table["potential_value"])


def test_ranking_reading_weights_overlap_and_flat_criteria():
    table = _ranking_table([0.9, 0.8, 0.2, 0.1])
    ranked = segments.ranking(table)
    text = readings.ranking_reading(ranked, table, top=2)
    assert "current value 33%, potential value 33% and P(alive) 33%: equal weights" in text
    assert "None of the 2 first-ranked customers are also among" in text  # a, b vs d, c
    assert "hardly varies" not in text
    weighted = segments.ranking(table, weights={"potential_value": 3, "p_alive": 1})
    text = readings.ranking_reading(weighted, table, top=2)
    assert "potential value 75% and P(alive) 25%: the weights given for this run" in text
    assert "2 of the 2 first-ranked customers are also among" in text
    assert "the ranking and the value agree on who comes first" in text
    flat = _ranking_table([0.999999, 0.9999999, 0.99999999, 1.0])
    text = readings.ranking_reading(segments.ranking(flat), flat, top=2)
    assert "P(alive) hardly varies on this log (0.999999 to 1)" in text
    assert "Current value hardly varies" not in text


def test_relationship_reading_names_size_margin_and_level():
    summary = _summary(
        [100, 10, 10, 1, 1, 1, 1, 1, 1, 1],
        ["high", "medium", "medium"] + ["low"] * 7,
        segments.CLV_TIERS,
        "clv_tiers",
    )
    text = readings.relationship_reading(segments.relationship_level(summary))
    assert "Mean net CLV against the base's $12.70: high (few, 7.9 times) → **partnership**" in text
    assert "medium (medium, " in text and "low (many, " in text
    assert "**basic**" in text and "Negative: no customers, no level." in text


def test_rfm_reading_one_or_several_segments_and_empty_ones():
    one = _summary(
        [60, 20, 10, 10], ["champions", "lost", "lost", "at risk"], segments.RFM_SEGMENTS
    )
    text = readings.rfm_reading(one)
    assert "in one segment, champions, with 60% of the value and 25% of the customers" in text
    assert "Next come" not in text  # the other segments: the table's
    assert "Empty on this log: loyal customers, potential loyalists" in text
    several = _summary([30, 30, 40], ["champions", "lost", "at risk"], segments.RFM_SEGMENTS)
    text = readings.rfm_reading(several)
    assert "in 2 segments, at risk and champions, with 70% of the value" in text


def _crossed(stages, tiers_, values):
    table = _stage_table(stages, values, ["2020-01-01"] * len(values))
    tiers_ = pd.Series(
        pd.Categorical(tiers_, segments.CLV_TIERS, ordered=True), index=table.index, name="tier"
    )
    return segments.segment_summary(table, ["stage", tiers_])


def test_stage_tier_reading_modal_stage_and_top_tier_in_decline():
    summary = _crossed(
        ["stability", "stability", "decline", "decline", "decline", "formation"],
        ["high", "high", "high", "low", "low", "low"],
        [40, 30, 20, 1, 1, 8],
    )
    text = readings.stage_tier_reading(summary)
    assert "largest cell by value is stability x high: 2 customers (33%) holding 70%" in text
    assert "The high tier is mostly in stability (67% of its 3)" in text
    assert "the low tier is mostly in decline (67% of its 3)" in text
    assert "1 high-tier customer (33% of the tier) is in decline, holding 20% of all value" in text
    spread = _crossed(
        ["stability", "formation", "decline", "formation"],
        ["high", "high", "low", "high"],
        [40, 30, 1, 8],
    )
    text = readings.stage_tier_reading(spread)
    assert "high tier is mostly in formation (67% of its 3)" in text
    assert "No high-tier customer is in decline." in text
    even = _crossed(["stability", "formation", "decline"], ["high"] * 3, [40, 30, 20])
    assert "most often in formation (33% of its 3)" in readings.stage_tier_reading(even)


def test_export_note_names_the_files_or_says_why_none():
    assert readings.export_note([]).startswith("No files written: `export_dir` is empty")
    text = readings.export_note([Path("/tmp/x/customers.csv"), Path("/tmp/x/customers.parquet")])
    assert text == (
        "The customer table is written beside this report: `customers.csv` and `customers.parquet`."
    )
    assert "/tmp" not in text


@pytest.mark.parametrize(
    "function",
    [readings.tier_reading, readings.rfm_reading],
)
def test_readings_do_not_change_their_input(function):
    summary = _summary([5, 3, 1], ["high", "medium", "low"], segments.CLV_TIERS, "clv_tiers")
    if function is readings.rfm_reading:
        summary = _summary([5, 3, 1], ["champions", "lost", "lost"], segments.RFM_SEGMENTS)
    before = summary.copy()
    function(summary)
    pd.testing.assert_frame_equal(summary, before)
