"""The strategy report's readings: every claim follows the numbers, on hand-built tables, both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import churn, readings, strategy
from analysis.units import STAGES

# --------------------------------------------------------------------------- the playbook


def test_playbook_reading_counts_the_priorities_and_follows_an_edit():
    plays = strategy.load_playbook().table()
    text = readings.playbook_reading(plays)
    counts = plays["priority"].value_counts()
    assert text.startswith("The package's playbook fills 16 stage x tier cells")
    assert f"{counts['invest']} invest" in text and f"{counts['exit']} exit" in text
    assert "partnership, is kept for stability/high" in text
    edited = plays.copy()
    edited.loc["decline", "priority"] = "exit"  # no investment in decline any more
    edited.loc[("stability", "high"), "relationship_level"] = "proactive"
    text = readings.playbook_reading(edited, edited=True)
    assert text.startswith("This edited playbook")
    assert "and in no cell of decline." in text
    assert "partnership" not in text and "The most involved level it uses, proactive" in text


# --------------------------------------------------------------------------- the recommendation


def _rec(customers, value, priorities=("invest", "maintain", "reduce", "exit")) -> pd.DataFrame:
    """Two stages x two tiers, four cells in order (formation/high, formation/low, decline/...)."""
    idx = pd.MultiIndex.from_product(
        [["formation", "decline"], ["high", "low"]], names=["stage", "tier"]
    )
    customers = np.asarray(customers, dtype=np.int64)
    value = np.asarray(value, dtype=float)
    total = value.sum()
    return pd.DataFrame(
        {
            "customers": customers,
            "share_customers": customers / customers.sum(),
            "value": value,
            "share_value": value / total if total > 0 else np.nan,
            "priority": list(priorities),
        },
        index=idx,
    )


def test_recommendation_reading_names_the_richest_cell_and_priority():
    rec = _rec([10, 0, 20, 70], [60.0, 0.0, 10.0, 30.0])
    text = readings.recommendation_reading(rec)
    assert "The 100 customers fill 3 of the 4 cells." in text
    assert "The value sits most in formation/high: 60.0% of it, held by 10 customers" in text
    assert "The largest cell by customers, decline/low (70.0% of them), holds 30.0%" in text
    assert "By stage, formation holds the most value (60.0%)" in text
    assert "The invest cells cover the most value: 60.0%" in text
    assert "70 (70.0%) get 'exit'" in text and "20 (20.0%) get 'reduce'" in text
    # the other way round: the crowd is also the richest, and exit is empty
    rec = _rec([10, 5, 20, 0], [10.0, 5.0, 85.0, 0.0])
    text = readings.recommendation_reading(rec)
    assert "decline has" not in text
    assert "The value sits most in decline/high" in text and "largest cell by customers" not in text
    assert "The reduce cells cover the most value: 85.0%" in text
    assert "none gets 'exit'" in text


def test_recommendation_reading_without_positive_value_gives_no_share():
    rec = _rec([10, 0, 0, 5], [-5.0, 0.0, 0.0, -1.0])
    text = readings.recommendation_reading(rec)
    assert "decline has" not in text and "is not positive, so no share of value" in text
    assert "The value sits most" not in text


# --------------------------------------------------------------------------- the KPIs


def _kpi_table(cycle_formation: float, cycle_decline: float) -> pd.DataFrame:
    t = pd.DataFrame(
        {
            "stage": pd.Categorical(
                ["formation", "formation", "decline", "decline"], categories=list(STAGES)
            ),
            "purchases": [3, 2, 2, 1],
            "revenue": [30.0, 20.0, 40.0, 10.0],
            "clv_net": [10.0, 10.0, 20.0, 60.0],
            "p_alive": [0.9, 0.9, 0.5, 0.3],
            "purchase_cycle_days": [cycle_formation, cycle_formation, cycle_decline, np.nan],
        },
        index=pd.Index(list("abcd"), name="customer_id"),
    )
    return strategy.kpis(t)


def test_kpi_matrix_and_unmeasurable_shape_the_tidy_table():
    k = _kpi_table(20.0, 60.0)
    m = readings.kpi_matrix(k)
    assert m.columns.tolist() == ["formation", "decline", "all"]
    assert m.index.names == ["kpi", "unit", "period"]
    assert m.loc[("repeat_rate", "share", "")].tolist() == [1.0, 0.5, 0.75]
    assert "retention_rate" not in m.index.get_level_values("kpi")  # needs the log
    miss = readings.unmeasurable_kpis(k)
    assert "retention_rate" in miss.index and miss.loc["retention_rate", "groups"] == "all groups"
    assert miss.loc["retention_rate", "why"].startswith("needs the transaction log")


def test_kpi_verdict_best_and_worst_follow_the_direction():
    v = readings.kpi_verdict(_kpi_table(20.0, 60.0))
    assert v["kpis"]["purchase_cycle_days"] == {"best": ["formation"], "worst": ["decline"]}
    assert v["kpis"]["repeat_rate"]["best"] == ["formation"]
    v = readings.kpi_verdict(_kpi_table(60.0, 20.0))
    assert v["kpis"]["purchase_cycle_days"] == {"best": ["decline"], "worst": ["formation"]}
    v = readings.kpi_verdict(_kpi_table(30.0, 30.0))
    assert v["kpis"]["purchase_cycle_days"] == {"best": [], "worst": []}
    assert sum(v["best_count"].values()) == sum(bool(x["best"]) for x in v["kpis"].values())
    text = readings.kpi_reading(_kpi_table(20.0, 60.0))
    assert "Share of the customers" not in text  # the shares are the table's first rows
    assert "the best group is formation on" in text and "the worst is decline on" in text
    assert "Not measurable with these data:" in readings.kpi_reading(_kpi_table(30.0, 30.0))
    # money KPIs in the currency
    from analysis.readings.strategy import kpi_value

    assert kpi_value("average_order_value", 40.531, currency="€") == "€40.53"
    assert kpi_value("average_order_value", 40.531) == "$40.53"


def test_kpi_verdict_names_every_group_tied_at_the_top():
    k = _kpi_table(20.0, 60.0)
    k = k.loc[k["group"] != "all"]
    k.loc[(k["kpi"] == "mean_p_alive"), "value"] = 0.9
    v = readings.kpi_verdict(k)
    assert v["kpis"]["mean_p_alive"] == {"best": [], "worst": []}
    text = readings.kpi_reading(k)
    assert "mean_p_alive: the same in every group" in text and "all customers" not in text


def test_kpi_reading_says_ties_count_for_each_group():
    """A third group equal to formation ties with it everywhere: the counts add up to more."""
    k = _kpi_table(20.0, 60.0)
    twin = k.loc[k["group"] == "formation"].copy()
    twin["group"] = "stability"
    k = pd.concat([k, twin], ignore_index=True)
    v = readings.kpi_verdict(k)
    ranked = sum(bool(x["best"]) for x in v["kpis"].values())
    assert sum(v["best_count"].values()) > ranked
    assert "a tie counts for every group tied" in readings.kpi_reading(k)
    assert "tie" not in readings.kpi_reading(_kpi_table(20.0, 60.0))


# --------------------------------------------------------------------------- plan-do-check-act


def _check(actual, target, kpi=("retention_rate", "repeat_rate", "purchase_cycle_days")):
    out = pd.DataFrame(
        {
            "kpi": list(kpi),
            "group": ["formation", "formation", "decline"],
            "baseline": [0.5, 1.0, 40.0],
            "target": target,
            "actual": actual,
            "direction": ["higher", "higher", "lower"],
        }
    )
    out["gap"] = out["actual"] - out["target"]
    higher = out["direction"] == "higher"
    met = np.where(higher, out["gap"] >= 0, out["gap"] <= 0)
    out["met"] = pd.array(np.where(out["actual"].notna(), met, False), dtype="boolean")
    out.loc[out["actual"].isna(), "met"] = pd.NA
    out.attrs = {"plan_observation_end": "2020-01-31", "observation_end": "2020-06-30"}
    return out


def test_check_reading_counts_met_and_missed_and_ceilings():
    c = _check([0.4, 1.0, 45.0], [0.55, 1.0, 38.0])
    text = readings.check_reading(c)
    # repeat_rate 100% -> 100%: met by construction, not counted
    assert text.startswith(
        "Of the 3 targets set from the data to 2020-01-31 and checked at 2020-06-30, 1 was met "
        "by construction and is not counted; of the other 2, 0 were met and 2 missed."
    )
    assert "None of these is tested: the plan had no holdout group" in text
    assert (
        "Missed, largest gap first: purchase_cycle_days in decline (45.0 days against 38.0 days, "
        "+7.0 days) and retention_rate in formation (40.0% against 55.0%, -15.0 points)"
    ) in text
    assert "settings changed" not in text
    c = _check([0.6, np.nan, 30.0], [0.55, 1.0, 38.0])
    text = readings.check_reading(c)
    assert "2 were met and 0 missed; 1 could not be measured." in text
    assert "by construction" not in text and "Missed" not in text
    assert "Met: retention_rate in formation and purchase_cycle_days in decline." in text


def test_check_reading_says_whether_changed_settings_touch_the_kpis():
    c = _check([0.6, 1.0, 30.0], [0.55, 1.0, 38.0])
    c.attrs["table_changes"] = {"model": ("BG/NBD", "Pareto/NBD")}
    text = readings.check_reading(c)
    assert "(model BG/NBD at the plan, Pareto/NBD at the check)" in text
    assert "counted from the log and do not depend on them" in text and "are the same" not in text
    c.attrs["table_changes"] = {}
    text = readings.check_reading(c)
    assert "settings recorded in the plan" in text and "changed" not in text
    c = _check(
        [0.6, 1.0, 0.5], [0.55, 1.0, 0.4], kpi=("retention_rate", "repeat_rate", "mean_p_alive")
    )
    c.attrs["table_changes"] = {"margin": (0.3, 0.2)}
    text = readings.check_reading(c)
    assert "mean_p_alive read the model's output" in text
    assert readings.check_reading(c.iloc[0:0]).startswith("The plan holds no target")


# --------------------------------------------------------------------------- the early warning


def _customers() -> pd.DataFrame:
    """Six customers: four valuable (high/medium), two of them flagged."""
    return pd.DataFrame(
        {
            "stage": pd.Categorical(
                ["decline", "stability", "decline", "formation", "decline", "formation"],
                categories=list(STAGES),
            ),
            "periods_in_stage": [1, 3, 4, 2, 2, 1],
            "clv_net": [400.0, 300.0, 200.0, 50.0, 30.0, 20.0],
            "p_alive": [0.95, 0.9, 0.3, 0.8, 0.2, 0.9],
            "days_since_last": [10.0, 5.0, 200.0, 10.0, 300.0, 3.0],
            "purchase_cycle_days": [20.0, 10.0, 30.0, np.nan, 15.0, np.nan],
        },
        index=pd.Index(list("abcdef"), name="customer_id"),
    )


def test_warning_summary_and_reading_count_the_list():
    t = _customers()
    tiers = pd.Series(["high", "high", "medium", "low", "low", "low"], index=t.index)
    at_risk = churn.early_warning(t, tiers=tiers)
    assert at_risk.index.tolist() == ["a", "c"]
    summary = readings.warning_summary(at_risk)
    assert summary.loc["any", "customers"] == 2 and summary.loc["in_decline", "customers"] == 2
    assert summary.loc["low_p_alive", "value_at_risk"] == 200.0
    text = readings.warning_reading(at_risk, t, tiers=tiers, shown=1)
    assert text.startswith(
        "Of the 3 customers in the high and medium value tiers, 2 (66.7%) are flagged; their "
        "value at risk sums to $600, 60.0% of the whole base's value."
    )
    euros = readings.warning_reading(at_risk, t, tiers=tiers, shown=1, currency="€")
    assert "value at risk sums to €600," in euros
    wider = readings.warning_reading(at_risk, t, tiers=tiers.replace("low", "medium"))
    assert wider.startswith("Of the 6 customers in the high and medium value tiers, 2 (33.3%)")
    assert "the most common is in_decline" in text
    assert "1 of the flagged still has P(alive) of 0.9 or more" in text
    assert "The first listed holds 66.7% of the list's value at risk." in text


def test_warning_reading_without_flags_or_live_flagged():
    t = _customers()
    calm = t.assign(stage="stability", p_alive=0.99, days_since_last=1.0)
    at_risk = churn.early_warning(calm)
    assert readings.warning_reading(at_risk, calm).startswith("No customer of the high and medium")
    gone = t.assign(p_alive=[0.1, 0.2, 0.1, 0.3, 0.2, 0.1])
    text = readings.warning_reading(churn.early_warning(gone), gone, shown=20)
    assert "still have P(alive)" not in text and "listed first" not in text
    assert "the same for every customer" not in text
    flat = t.assign(p_alive=1.0)
    text = readings.warning_reading(churn.early_warning(flat), flat)
    assert "only the stage and the silence can flag" in text and "still ha" not in text


# --------------------------------------------------------------------------- does the warning work


def _evaluation(auc: dict, lift: dict, n: int = 1000, k: int = 400) -> pd.DataFrame:
    ev = pd.DataFrame({"auc": auc, "lift": lift}).rename_axis("score")
    ev["hit_rate"] = ev["lift"] * k / n
    ev["base_rate"] = k / n
    ev["n"], ev["n_inactive"] = n, k
    ev.attrs = {"population": "customers in the tiers ['high', 'medium'] at calibration"}
    return ev


def test_evaluation_reading_names_the_best_from_the_numbers():
    ev = _evaluation(
        {"early_warning": 0.65, "p_alive": 0.55, "expected_purchases": 0.75},
        {"early_warning": 1.1, "p_alive": 1.3, "expected_purchases": 1.8},
    )
    text = readings.evaluation_reading(ev)
    assert "(customers in the tiers high, medium at calibration), 400 (40.0%)" in text
    assert "the best is expected purchases alone" in text
    assert "The early-warning score is **not** the best: its AUC is 0.100 below" in text
    assert "rank about equally" not in text and "below chance" not in text
    assert "expected purchases alone finds the most inactive customers" in text
    assert "The early-warning score's lift is 1.10." in text
    ev = _evaluation(
        {"early_warning": 0.80, "p_alive": 0.55, "expected_purchases": 0.70},
        {"early_warning": 2.0, "p_alive": 1.3, "expected_purchases": 1.8},
    )
    text = readings.evaluation_reading(ev)
    assert "the best is the early-warning score" in text
    assert "The early-warning score is the best of the scores compared." in text
    assert "**not**" not in text and "lift is" not in text


def test_evaluation_reading_close_scores_chance_and_uncertainty():
    ev = _evaluation(
        {"early_warning": 0.30, "p_alive": 0.51, "expected_purchases": 0.75, "logit_cv": 0.752},
        {"early_warning": 0.4, "p_alive": 1.0, "expected_purchases": 1.9, "logit_cv": 1.8},
    )
    text = readings.evaluation_reading(ev)
    assert "the best is the cross-fitted Logit" in text and "rank about equally" in text
    assert "The early-warning score ranks below chance" in text
    assert "P(alive) alone cannot be told from chance" in text
    assert "although it is not the best by AUC" in text  # expected purchases leads on lift
    assert "uncertain" not in text
    few = _evaluation(
        {"early_warning": 0.6, "expected_purchases": 0.8},
        {"early_warning": 1.2, "expected_purchases": 3.0},
        n=500,
        k=20,
    )
    assert "Only 20 customers were inactive, so these figures are uncertain." in (
        readings.evaluation_reading(few)
    )
    flat = pd.DataFrame({"p_alive": [1.0, 1.0 - 1e-9, 1.0]})
    ev = _evaluation({"p_alive": 0.3, "early_warning": 0.6}, {"p_alive": 1.0, "early_warning": 1.1})
    text = readings.evaluation_reading(ev, flat)
    assert "its ranking is noise and is not judged" in text and "below chance" not in text
    varied = pd.DataFrame({"p_alive": [0.2, 0.5, 0.9]})
    text = readings.evaluation_reading(ev, varied)
    assert "noise" not in text and "P(alive) alone ranks below chance" in text


# --------------------------------------------------------------------------- what drives inactivity


def _drivers(coefs: dict, p: dict) -> pd.DataFrame:
    out = pd.DataFrame({"coef": coefs, "p_value": p}).rename_axis("term")
    out["odds_ratio"] = np.exp(out["coef"])
    out.attrs = {"n": 1000, "n_inactive": 600, "pseudo_r2": 0.2, "reference_stage": "formation"}
    return out


def test_drivers_reading_direction_and_strength_from_the_odds_ratios():
    d = _drivers(
        {"const": 2.0, "log2_purchases": -0.8, "months_since_last": 0.1, "stage_decline": 1.2,
         "log2_spend": -0.05},
        {"const": 0.0, "log2_purchases": 0.0, "months_since_last": 0.001, "stage_decline": 0.01,
         "log2_spend": 0.4},
    )  # fmt: skip
    text = readings.drivers_reading(d, strongest=2)
    assert "fitted on 1,000 customers, 600 of them inactive" in text
    assert (
        "stage_decline (odds ratio 3.32 in decline rather than formation: raises the odds of "
        "inactivity) and log2_purchases (odds ratio 0.45 per doubling of the purchases: lowers"
    ) in text
    assert (
        "Also significant: months_since_last (odds ratio 1.11 per month of silence: raises" in text
    )
    assert "Not significant: log2_spend." in text and "const" not in text
    flipped = _drivers({"log2_purchases": 0.8}, {"log2_purchases": 0.0})
    assert "odds ratio 2.23 per doubling of the purchases: raises" in (
        readings.drivers_reading(flipped)
    )
    none = _drivers({"log2_purchases": 0.1}, {"log2_purchases": 0.3})
    text = readings.drivers_reading(none, {"p_alive": "the same for every customer"})
    assert "No feature is significant at 5%." in text
    assert (
        "Left out: p_alive (the model's probability alive at the calibration end), the same" in text
    )


def test_check_reading_credits_an_action_only_against_the_holdout_group():
    c = _check([0.6, 1.0, 30.0], [0.55, 1.0, 38.0])
    c["by_construction"] = ["", "the baseline is already 100%", ""]
    c["difference"] = [0.08, 0.0, -2.0]
    c["difference_low"] = [0.02, np.nan, np.nan]
    c["difference_high"] = [0.14, np.nan, np.nan]
    c.attrs["holdout"] = {"treated": 900, "holdout": 100}
    text = readings.check_reading(c)
    assert "1 was met by construction and is not counted; of the other 2, 2 were met" in text
    assert (
        "Against the holdout group (100 customers left out, 900 treated), treated minus holdout: "
        "the treated did better on retention_rate in formation (+8.0 points, 95% +2.0 points to "
        "+14.0 points); not judged, without an interval (too few customers in an arm, or a unit "
        "without one), on purchase_cycle_days in decline (-2.0 days)."
    ) in text
    c.loc[0, ["difference_low", "difference_high"]] = [-0.02, 0.18]
    assert "no different beyond chance on retention_rate in formation" in readings.check_reading(c)


def test_plan_reading_names_the_targets_met_by_construction_and_the_holdout():
    t = pd.DataFrame(
        {
            "kpi": ["repeat_rate", "repeat_rate", "retention_rate"],
            "group": ["x", "all", "all"],
            "by_construction": [
                "a cumulative share: repeat_rate counts repeat buyers so far",
                "already at its limit: the baseline is 100%",
                "",
            ],
            "action": ["contact (playbook exploration/high)", "contact", "none: no cell"],
        }
    )
    text = readings.plan_reading(t)
    assert text.startswith(
        "The plan sets 3 targets. 2 would be met by construction and will not be counted: "
        "repeat_rate in x and all (a cumulative share; already at its limit)."
    )
    assert "No playbook action watches retention_rate in all." in text
    assert "no holdout group" in text
    t.attrs["holdout"] = pd.Series([True, False, False, False])
    assert "holdout group of 1 of the 4 customers (25.0%)" in readings.plan_reading(t)
