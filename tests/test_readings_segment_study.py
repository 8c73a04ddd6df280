"""The segment study's readings: every claim follows the numbers, on hand-built tables, both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import readings, segments, strategy
from analysis.units import STAGES


def _summary(share_customers: float, share_clv: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"customers": [10, 90], "share_customers": [share_customers, 1 - share_customers],
         "share_clv": [share_clv, 1 - share_clv]},
        index=["high", "low"],
    )  # fmt: skip


def _profile(seg: float, base: float) -> pd.DataFrame:
    return pd.DataFrame(
        {"segment_mean": [seg], "base_mean": [base]}, index=pd.Index(["clv_net"], name="column")
    )


def test_profile_reading_says_more_or_less_value_than_customers():
    text = readings.segment_profile_reading(_summary(0.1, 0.5), _profile(200.0, 40.0), "high")
    assert "10 customers, 10% of the customers, and 50% of the value" in text
    assert "more of the value than of the customers" in text
    assert "net CLV $200 (above the base's $40.00)" in text
    text = readings.segment_profile_reading(_summary(0.1, 0.02), _profile(8.0, 40.0), "high")
    assert "less of the value than of the customers" in text and "(below the base's" in text
    text = readings.segment_profile_reading(_summary(0.1, 0.101), _profile(40.5, 40.0), "high")
    assert "about as much of the value as of the customers" in text
    assert "about the same as the base's" in text


def _mix(share, base_share, value) -> pd.DataFrame:
    share, base_share, value = (np.asarray(x, dtype=float) for x in (share, base_share, value))
    return pd.DataFrame(
        {"customers": (share * 100).astype(int), "share": share, "base_share": base_share,
         "value": value, "share_value": value / value.sum()},
        index=pd.Index(list(STAGES), name="stage"),
    )  # fmt: skip


def test_stage_mix_reading_names_the_excess_and_the_shortfall():
    text = readings.segment_stage_reading(
        _mix([0, 0.2, 0.6, 0.2], [0.1, 0.1, 0.1, 0.7], [0, 1, 8, 1]), "high"
    )
    assert text.startswith("Most of the segment's customers are in **stability** (60%")
    assert "excess" not in text  # the largest stage is the excess: said once, in the lead
    assert "The largest shortfall is in decline (20% against 70%)" in text
    assert "The largest share of its value sits in stability (80%)" in text
    text = readings.segment_stage_reading(
        _mix([0.35, 0.2, 0.4, 0.05], [0.05, 0.05, 0.3, 0.6], [1, 1, 1, 1]), "mid"
    )
    assert text.startswith("The largest group of the segment's customers is in **stability**")
    assert "The most excess is in exploration (35% against 5.0%)" in text
    assert "the largest shortfall is in decline (5.0% against 60%)." in text
    text = readings.segment_stage_reading(
        _mix([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], [1, 1, 1, 5]), "low"
    )
    assert text.startswith("The largest group of the segment's customers is in **decline** (40%")
    assert (
        "Its stage mix is the base's." in text
        and "largest share of its value sits in decline" in text
    )
    text = readings.segment_stage_reading(
        _mix([0, 0, 0, 1], [0.1, 0.1, 0.1, 0.7], [0, 0, 0, 1]), "x"
    )
    assert text.startswith("All of the segment's customers are in **decline** (100%")


def _curve(profit, customers=None) -> pd.DataFrame:
    profit = np.asarray(profit, dtype=float)
    customers = customers if customers is not None else [100] * len(profit)
    return pd.DataFrame(
        {"customers": customers, "profit": profit}, index=pd.Index(range(len(profit)), name="age")
    )


def test_curve_verdict_reads_the_first_period_then_the_later_ages():
    base = _curve([10.0, 5.0, 5.0, 5.0])
    v = readings.segment_curve_verdict(_curve([20.0, 30.0, 12.0, 8.0]), base)
    assert (v["first"], v["base_first"], v["noisy"]) == (20.0, 10.0, False)
    later = v["later"]
    assert later["ages"] == (1, 3) and (later["low"], later["high"]) == (8.0, 30.0)
    assert later["direction"] == "falls" and later["last"] == 8.0
    assert (v["mean"], v["base_mean"]) == (17.5, 6.25)
    # a thin last age is not read; the rest rises
    v = readings.segment_curve_verdict(_curve([5.0, 6.0, 9.0, 50.0], [100, 100, 100, 3]), base)
    assert v["later"]["ages"] == (1, 2) and v["later"]["direction"] == "rises"
    # every age thin: all are read, flagged noisy
    v = readings.segment_curve_verdict(_curve([5.0, 5.1], [20, 20]), base)
    assert v["noisy"] and v["later"]["ages"] == (1, 1)


def test_a_drop_after_the_first_period_then_level_is_not_called_falling():
    # the high tier of CDNOW: $24.68 at age 0, then $10 to $13.66 with no trend, up at the end
    profit = [24.68, 13.66, 12.36, 11.40, 12.32, 11.58, 10.77, 10.09, 11.53, 11.65, 12.32]
    profit += [10.60, 12.59, 11.23, 11.82, 10.03, 11.03, 12.78]
    curve = _curve(profit, [1230] * 16 + [865, 428])
    v = readings.segment_curve_verdict(curve, _curve([11.42] + [1.5] * 17))
    assert v["later"]["direction"] == "level" and v["later"]["high"] == 13.66
    text = readings.segment_curve_reading(curve, _curve([11.42] + [1.5] * 17))
    assert "falls" not in text and "stays about level" in text  # a golden word, not a sentence


def test_clv_spread_reading_reads_the_skew_and_the_top_tenth():
    spread = pd.DataFrame(
        {"customers": [50], "total": [1000.0], "mean": [20.0], "median": [5.0], "top_10%": [0.6]},
        index=["clv_net"],
    )
    text = readings.segment_spread_reading(spread, "high")
    assert "a few large values pull it up" in text and "holds 60% of its value, more than" in text
    spread.loc["clv_net", ["mean", "median", "top_10%"]] = [20.0, 19.5, 0.1]
    text = readings.segment_spread_reading(spread, "high")
    assert "fairly evenly spread" in text and "holds 10% of its value, about an even tenth" in text


def _retention(shares, sizes) -> pd.DataFrame:
    table = pd.DataFrame(shares, columns=[1, 2])
    table.insert(0, "customers", sizes)
    return table


def test_retention_curves_weight_the_cohorts_and_the_reading_compares_them():
    seg = _retention([[0.5, 0.4], [0.2, np.nan]], [30, 10])
    base = _retention([[0.1, 0.1], [0.1, 0.1]], [100, 100])
    curves = readings.segment_retention_curves(seg, base, "high")
    assert curves.loc[1, "high"] == (0.5 * 30 + 0.2 * 10) / 40
    assert curves.loc[2, "high"] == 0.4  # the second cohort is not observed at age 2
    text = readings.segment_retention_reading(curves, "high")
    assert "At age 1, 42% of the segment's customers buy again, above the base's 10%" in text
    assert "averages 41%, above the base's 10%" in text
    text = readings.segment_retention_reading(
        readings.segment_retention_curves(base, seg, "low"), "low"
    )
    assert "below the base's 42%" in text


def _kpis(segment_values, rest_values) -> pd.DataFrame:
    table = pd.DataFrame(
        {"stage": ["formation"] * 4, "purchases": [2, 2, 1, 1], "revenue": [30.0, 30.0, 10.0, 10.0],
         "p_alive": [0.9, 0.9, 0.1, 0.1], "clv_net": [5.0, 5.0, 1.0, 1.0],
         "purchase_cycle_days": [10.0, 10.0, np.nan, np.nan]},
        index=pd.Index(list("abcd"), name="customer_id"),
    )  # fmt: skip
    del segment_values, rest_values
    return table


def test_segment_kpi_reading_chooses_better_or_worse_by_the_kpi_direction():
    table = _kpis(None, None)
    by = segments.membership(table, table.loc[["a", "b"]], "high")
    text = readings.segment_kpi_reading(strategy.kpis(table, by=by), "high", rest=segments.REST)
    assert "better than the rest of the base on repeat rate (100.0% against 0.0%)" in text
    assert "mean p alive (90.0% against 10.0%)" in text and "worse" not in text
    assert "average order value ($15.00 against $10.00)" in text
    euros = readings.segment_kpi_reading(
        strategy.kpis(table, by=by), "high", rest=segments.REST, currency="€"
    )
    assert "average order value (€15.00 against €10.00)" in euros
    by = segments.membership(table, table.loc[["c", "d"]], "low")
    text = readings.segment_kpi_reading(strategy.kpis(table, by=by), "low", rest=segments.REST)
    assert text.startswith("The segment does worse than the rest of the base on repeat rate")
    assert "better" not in text
    everyone = segments.membership(table, table, "all of them")
    text = readings.segment_kpi_reading(
        strategy.kpis(table, by=everyone), "all of them", rest=segments.REST
    )
    assert "there is no rest" in text


def _at_risk(flags) -> pd.DataFrame:
    n = len(flags)
    out = pd.DataFrame(
        {"clv_net": [50.0] * n, "in_decline": [f == "in_decline" for f in flags],
         "overdue": [f == "overdue" for f in flags]},
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )  # fmt: skip
    return out


def test_segment_warning_reading_counts_the_flagged_or_says_why_none():
    rows = pd.DataFrame({"clv_net": [50.0] * 4}, index=[f"c{i}" for i in range(4)])
    high = pd.Series("high", index=rows.index)
    text = readings.segment_warning_reading(
        _at_risk(["in_decline", "overdue", "overdue"]), rows, high, ["high", "medium"]
    )
    assert "flag 3 customers (75%) of the segment's 4 in the watched tiers" in text
    assert "$150 of net CLV (75%)." in text
    assert "Most often: overdue (2 customers)" in text
    text = readings.segment_warning_reading(_at_risk([]), rows, high, ["high"])
    assert "none shows a warning sign" in text
    low = pd.Series("low", index=rows.index)
    text = readings.segment_warning_reading(_at_risk([]), rows, low, ["high", "medium"])
    assert text.startswith(
        "None of the segment's customers is in the watched tiers (high and medium)"
    )


def _recommendation(customers, share_value) -> pd.DataFrame:
    idx = pd.MultiIndex.from_tuples(
        [("formation", "high"), ("stability", "high"), ("decline", "low")], names=["stage", "tier"]
    )
    return pd.DataFrame(
        {"customers": customers, "share_value": share_value,
         "priority": ["invest", "invest", "reduce"],
         "relationship_level": ["proactive", "partnership", "basic"],
         "strategy": ["Serve well.", "Deepen the tie.", "Cut the cost."]},
        index=idx,
    )  # fmt: skip


def test_segment_recommendation_reading_follows_the_cell_with_the_most_value():
    text = readings.segment_recommendation_reading(_recommendation([5, 10, 0], [0.2, 0.8, 0.0]))
    assert "falls in 2 of the playbook's 3 cells" in text
    assert (
        "for **stability x high**, holding most of its value, the playbook says: Deepen the tie."
        in text
    )
    rec = _recommendation([5, 1, 30], [0.9, 0.05, 0.05])
    text = readings.segment_recommendation_reading(rec)
    assert "for **formation x high**, holding most of its value" in text
    rec["share_value"] = np.nan  # no positive value: the cell with the most customers
    text = readings.segment_recommendation_reading(rec)
    assert "for **decline x low**, holding most of its customers" in text
