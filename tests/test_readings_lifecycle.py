"""Readings of the lifecycle report: every direction word follows the numbers, both ways.

Hand-built tables of the shapes :mod:`analysis.lifecycle` returns stand in for
the report's; each claim is checked where it holds and where it does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import lifecycle, readings, tables
from analysis.units import STAGES


def _history(stages, reasons):
    index = pd.Index([f"2020-{i + 1:02d}" for i in range(len(stages))], name="period")
    return pd.DataFrame({"purchases": 2, "stage": stages, "reason": reasons}, index=index)


def test_history_reading_runs_and_stability():
    text = readings.history_reading(
        _history(
            ["exploration", "formation", "stability"], ["first purchase", "forming", "plateau"]
        )
    )
    assert "6 purchase days in 3 periods" in text
    assert (
        "exploration from 2020-01 (first purchase), formation from 2020-02 (forming) and " in text
    )
    assert "called it stable 2 periods after" in text
    text = readings.history_reading(
        _history(["exploration", "decline"], ["first purchase", "silent"])
    )
    assert "decline from 2020-02 (silent)" in text and "called it stable" not in text


def _mix(counts):
    counts = pd.Series(counts, index=list(STAGES))
    return pd.DataFrame({"customers": counts, "share": counts / counts.sum()})


def _reasons(silent, other):
    return pd.DataFrame(
        {"silent": [0, 0, 0, silent], "steady": [0, 0, 5, 0], "still low": [0, 0, 0, other]},
        index=list(STAGES),
    )


def test_current_mix_reading_lapsed_or_not():
    text = readings.current_mix_reading(_mix([0, 5, 5, 90]), _reasons(80, 10))
    assert "Of 100 customers, 5.0% in formation, 5.0% in stability and 90% in decline" in text
    assert "89% of those in decline are there because of the rule 'silent'" in text
    assert "Decline is the largest stage" in text and "No one is still in exploration" in text
    assert "most of the base has lapsed" in text
    text = readings.current_mix_reading(_mix([10, 30, 40, 20]), _reasons(5, 15))
    assert "Stability is the largest stage" in text and "'still low'" in text
    assert "No one is still" not in text and "lapsed" not in text


def test_period_reading_same_picture_or_not():
    same = pd.DataFrame(
        {"W": [0, 0.04, 0.07, 0.89], "M": [0, 0.045, 0.07, 0.885]}, index=list(STAGES)
    )
    assert "W gives the same picture as M within a point" in readings.period_reading(same)
    apart = same.assign(Q=[0, 0.01, 0.07, 0.92])
    text = readings.period_reading(apart)
    assert "Q differs from M by up to 3.5 points" in text and "Quarters catch fewer" in text
    more = same.assign(Q=[0, 0.10, 0.07, 0.83])
    assert "Quarters catch fewer" not in readings.period_reading(more)


def _over_time(explo, form, stab):
    index = [f"2020-{i + 1:02d}" for i in range(len(explo))]
    mix = pd.DataFrame({"exploration": explo, "formation": form, "stability": stab}, index=index)
    return mix.assign(decline=1 - mix.sum(axis=1))


def test_mix_over_time_reading_both_ways():
    text = readings.mix_over_time_reading(
        _over_time([1, 0.5, 0.005, 0], [0, 0.1, 0.2, 0.1], [0, 0, 0.05, 0.1])
    )
    assert "Exploration falls below 1% in 2020-03, 2 periods after the start" in text
    assert "formation peaks at 20% in 2020-03 and ends at 10%" in text
    assert "stability is at its highest at the end (10%)" in text
    assert "can only age" in text
    text = readings.mix_over_time_reading(
        _over_time([1, 0.5, 0.3, 0.2], [0, 0.1, 0.2, 0.1], [0, 0, 0.2, 0.1])
    )
    assert "never falls below 1%" in text and "stability peaks at 20% in 2020-03" in text
    assert "can only age" not in text


def test_curve_by_age_reading_falls_or_stays():
    curve = pd.DataFrame({"purchases": [1.2, 0.4, 0.3, 0.2]})
    assert "fall from 0.40 at age 1 to 0.20 at age 3" in readings.curve_by_age_reading(curve)
    level = pd.DataFrame({"purchases": [1.2, 0.40, 0.5, 0.42]})
    assert "stay about level" in readings.curve_by_age_reading(level)
    rising = pd.DataFrame({"purchases": [1.2, 0.40, 0.5, 0.6]})
    assert "rise from 0.40" in readings.curve_by_age_reading(rising)


def _by_stage(spend):
    rows = []
    for stage, (first, later, per) in zip(STAGES, spend, strict=True):
        for k, p in enumerate([first, later]):
            rows.append(
                {
                    "stage": stage,
                    "periods_in_stage": k,
                    "label": str(k),
                    "customer_periods": 10,
                    "purchases": p,
                    "revenue": p * per,
                }  # fmt: skip
            )
    return pd.DataFrame(rows)


def test_curve_by_stage_reading_spend_constant_rising_falling():
    constant = _by_stage([(1.0, 0.3, 35), (1.5, 0.5, 36), (0.4, 0.7, 37), (0.01, 0.03, 35)])
    text = readings.curve_by_stage_reading(constant)
    assert "formation opens at 1.50 purchases a period and runs at 0.50" in text
    assert "busiest point is period 0 of formation" in text
    assert "highest pace after a stage's first period is in stability" in text
    assert "close to constant" in text
    rising = _by_stage([(1.0, 0.3, 35), (1.5, 0.5, 40), (0.4, 0.7, 42), (0.01, 0.03, 38)])
    text = readings.curve_by_stage_reading(rising)
    assert "$35.00 in exploration / $40.00 in formation" in text
    assert "rises by 20% from exploration to stability" in text and "constant" not in text
    falling = _by_stage([(1.0, 0.3, 42), (1.5, 0.5, 40), (0.4, 0.7, 35), (0.01, 0.03, 38)])
    assert "falls by 17%" in readings.curve_by_stage_reading(falling)
    mixed = _by_stage([(1.0, 0.3, 35), (1.5, 0.5, 45), (0.4, 0.7, 40), (0.01, 0.03, 38)])
    assert "no steady direction" in readings.curve_by_stage_reading(mixed)


def _chain(e_d, e_f, f_stay=0.75, s_stay=0.9, back=0.014, jump=0):
    P = pd.DataFrame(
        [[1 - e_d - e_f, e_f, 0, e_d], [0, f_stay, 0.1, 0.9 - f_stay],
         [0, 0, s_stay, 1 - s_stay], [0, back, 0, 1 - back]],
        index=list(STAGES), columns=list(STAGES),
    )  # fmt: skip
    counts = (1000 * P).round().astype(int)  # every stage observed with a following period
    counts.loc["decline", "stability"] = jump
    return counts, P


def test_transition_reading_both_ways():
    text = readings.transition_reading(*_chain(0.4, 0.02))
    assert "stability is entered only from formation" in text
    assert "40% of the customers in exploration turn to decline and 2.0% to formation" in text
    assert "Formation is sticky (75% stay) and stability is sticky (90% stay)" in text
    assert "about one in 71" in text and "More trials fail than form" in text
    text = readings.transition_reading(*_chain(0.1, 0.3, f_stay=0.4, jump=3))
    assert "3 customer-periods go to stability other than from formation" in text
    assert "formation is short-lived (40% stay)" in text.lower()
    assert "More trials fail" not in text


def test_projection_reading_still_or_moving():
    still = pd.DataFrame([[0, 0.04, 0.07, 0.89], [0, 0.045, 0.068, 0.887]], columns=list(STAGES))
    text = readings.projection_reading(still)
    assert "barely moves" in text and "ends at 11% of the customers" in text
    moving = pd.DataFrame([[0, 0.22, 0.35, 0.43], [0, 0.18, 0.44, 0.38]], columns=list(STAGES))
    text = readings.projection_reading(moving)
    assert "moves stability from 35% to 44%, decline from 43% to 38% and formation from 22%" in text


def _stage_value(customers, clv, low=None, hindsight=None):
    """tables.stage_values of a customer table with ``customers[i]`` customers worth ``clv[i]``."""
    stage = np.repeat(list(STAGES), customers)
    table = pd.DataFrame(
        {"stage": stage, "clv": np.repeat(np.asarray(clv, float), customers)},
        index=pd.Index([f"c{i}" for i in range(len(stage))], name="customer_id"),
    )
    if low is not None:
        table["clv_low"] = table["clv"] * low
        table["clv_high"] = table["clv"] * (2 - low)
    other = None if hindsight is None else pd.Series(hindsight(table), index=table.index)
    return tables.stage_values(table, hindsight=other)


def test_stage_value_reading_both_ways():
    text = readings.stage_value_reading(
        _stage_value([0, 10, 20, 900], [44, 85, 75, 34]), margin=0.3, horizon_years=3
    )
    assert text.startswith(
        "**Reading.** At the assumed 30% margin, a customer's discounted profit over the next "
        "3 years averages $85.00 in formation, $75.00 in stability and $34.00 in decline "
        "(the stages of today, real-time view)."
    )
    assert "Formation is worth the most per customer, 2.5 times a customer in decline." in text
    assert "exploration" not in text  # no customer there: no value to state
    # decline: 900 x 34 = 30,600 of 32,950
    assert "Decline holds the largest part of the total value, 93%, less than its 97%" in text
    assert "still worth $34.00 on average" in text
    assert "intervals" not in text and "hindsight" not in text
    text = readings.stage_value_reading(
        _stage_value([5, 100, 200, 10], [44, 85, 95, 34], low=0.5), margin=0.3, horizon_years=3
    )
    assert "Stability is worth the most per customer, 2.8 times a customer in decline." in text
    assert (
        "The customers' intervals average $47.50 to $142 in stability and $17.00 to $51.00" in text
    )
    assert "Stability holds the largest part of the total value, 68%, more than its 63%" in text
    assert "; decline holds 1.2% of the value with 3.2% of the customers." in text


def test_stage_value_reading_names_where_the_hindsight_view_differs():
    def hindsight(table):  # every exploration customer read as decline in hindsight
        return table["stage"].replace({"exploration": "decline"})

    value = _stage_value([10, 30, 20, 40], [10, 20, 30, 5], hindsight=hindsight)
    assert value["same_in_hindsight"].tolist() == [0.0, 1.0, 1.0, 1.0]
    text = readings.stage_value_reading(value, margin=0.3, horizon_years=3)
    assert text.endswith(
        "The hindsight view of the histories above puts 90% of the customers in the same stage "
        "in the last period; it agrees least on exploration (0.0% of its customers)."
    )


def _retention(first_ages):
    ages = {1: first_ages, 2: [0.1, 0.1, np.nan], 3: [0.08, np.nan, np.nan]}
    return pd.DataFrame({"customers": [100, 100, 100], 0: 1.0, **ages}, index=["a", "b", "c"])


def _survival(low_end, high_end):
    rows = []
    for g, end in [("1 low", low_end), ("3 high", high_end)]:
        rows += [
            {"group": g, "time": 0.0, "survival": 1.0},
            {"group": g, "time": 5.0, "survival": end},
        ]
    return pd.DataFrame(rows)


def test_cohort_survival_reading_both_ways():
    test = pd.Series({"statistic": 30.0, "df": 2, "pvalue": 1e-6, "groups": 3})
    flat = pd.Series({"statistic": 0.1, "df": 2, "pvalue": 0.9, "groups": 3})
    text = readings.cohort_survival_reading(
        _retention([0.15, 0.16, 0.14]), flat, test, _survival(0.1, 0.3)
    )
    assert "15% of the customers buy in period 1" in text and "10% in period 2" in text
    assert "the cohorts look alike" in text
    assert "does not differ significantly between acquisition periods" in text
    assert "differs significantly by the first period's spend" in text
    assert "30% of the relationships in group '3 high'" in text and "invest in converting" in text
    text = readings.cohort_survival_reading(
        _retention([0.05, 0.16, 0.30]), test, test, _survival(0.3, 0.1)
    )
    assert "the cohorts differ" in text and "does not mean a longer relationship" in text


def _alive(decline_high, once_high):
    index = pd.MultiIndex.from_tuples([("formation", True), ("decline", False), ("decline", True)])
    return pd.DataFrame(
        {
            "low": [0, 10 - once_high, 10 - decline_high],
            "mid": [1, 0, 0],
            "high": [5, once_high, decline_high],
        },
        index=index,
    )


def test_p_alive_reading_both_ways():
    text = readings.p_alive_reading(0, _alive(3, 10))
    assert "changes no stage at all" in text and "30% still have P(alive) above 0.7" in text
    assert "lowest P(alive) band" not in text
    assert "the rules are the earlier warning" in text and "cannot see failed trials" in text
    text = readings.p_alive_reading(12, _alive(0, 2))
    assert "changes 12 customer-periods" in text and "earlier warning" not in text
    assert "cannot see" not in text


def _sensitivity(effects):
    rows = [{"threshold": "(defaults)", "change": "0%", "d_formation": 0.0, "d_decline": 0.0}]
    for name, d in effects.items():
        for change, sign in [("-25%", -1), ("+25%", 1)]:
            rows.append(
                {
                    "threshold": name,
                    "change": change,
                    "d_formation": -sign * d,
                    "d_decline": sign * d,
                }
            )
    return pd.DataFrame(rows)


def test_sensitivity_reading_at_most_and_no_effect():
    text = readings.sensitivity_reading(_sensitivity({"a": 5.2, "b": 1.0, "c": 0.0}))
    assert "at most 5.2 points" in text and "`a` at -25%, which moves formation by +5.2" in text
    assert "2 of the 3 thresholds move no share by more than 2 points" in text
    assert "and `c` does not move the current mix at all" in text
    text = readings.sensitivity_reading(_sensitivity({"a": 1.5, "b": 1.0}))
    assert "at most 1.5 points" in text and "not move the current mix" not in text
    assert "All 2 thresholds move no share by more than 2 points" in text


def test_accuracy_and_tuning_readings_both_ways():
    scores = pd.DataFrame({"f1": [0.78, 0.59, 0.78, 0.91, 0.77]}, index=[*STAGES, "macro"])
    seeds = pd.DataFrame({"macro_f1": [0.764, 0.768]}, index=["tuning seed 1", "evaluation seed 2"])
    text = readings.accuracy_reading(scores, seeds)
    assert "0.77 on the evaluation seed 2 and 0.76 on the tuning seed 1" in text
    assert "did not overfit" in text and "Decline is recognised best" in text
    assert "formation worst" in text
    lower = seeds.assign(macro_f1=[0.80, 0.70])
    assert "lower on fresh customers" in readings.accuracy_reading(scores, lower)
    tuning = pd.DataFrame({"threshold": ["(defaults)", "a", "a"], "change": ["0%", "-25%", "+25%"],
                           "macro_f1": [0.764, 0.767, 0.75]})  # fmt: skip
    assert "local optimum" in readings.tuning_reading(tuning)
    better = tuning.assign(macro_f1=[0.764, 0.78, 0.75])
    assert "not at a local optimum" in readings.tuning_reading(better)


def test_simulator_reading_target_and_the_log():
    by_rate = pd.DataFrame({"macro_f1": [0.55, 0.64, 0.77, 0.81]}, index=[0.5, 1.0, 4.0, 16.0])
    by_growth = pd.DataFrame({"macro_f1": [0.73, 0.77, 0.65]}, index=[1.15, 1.25, 2.0])
    rewards = pd.DataFrame({"purchases": [0.6, 0.8, 0.5, 0.04]}, index=list(STAGES))
    text = readings.simulator_reading(by_rate, by_growth, rewards)
    assert "reached from 16 purchases a period on" in text
    assert "make 0.50 purchases a period; at a simulated peak of 0.5, macro-F1 is 0.55" in text
    assert "not an exact label" in text and "lowest at a growth factor of 2 a period" in text
    low = by_rate.assign(macro_f1=[0.55, 0.6, 0.7, 0.75])
    fast = rewards.assign(purchases=[1, 1, 16, 0])
    text = readings.simulator_reading(low, by_growth, fast)
    assert "not reached at any peak rate tried" in text and "macro-F1 is 0.75" in text


def test_hmm_readings_both_ways():
    params = pd.DataFrame(
        {"mean": [0.01, 0.2, 1.0], "initial": [0.5, 0.4, 0.1], "to_0": [0.99, 0.1, 0.0],
         "to_1": [0.01, 0.9, 0.2], "to_2": [0.0, 0.0, 0.8]})  # fmt: skip
    text = readings.hmm_states_reading(params)
    assert "3 levels" in text and "Every state is sticky" in text and "steps down more" in text
    up = params.assign(to_0=[0.3, 0.0, 0.0], to_1=[0.7, 0.4, 0.0], to_2=[0.0, 0.6, 1.0])
    text = readings.hmm_states_reading(up)
    assert "keep from 30% to 100%" in text and "steps up at least as much" in text
    f1 = pd.DataFrame({"rules": [0.78, 0.59, 0.78, 0.91, 0.77], "hmm": [0.80, 0.5, 0.73, 0.96, 0.75]},
                      index=[*STAGES, "macro"])  # fmt: skip
    text = readings.hmm_accuracy_reading(f1)
    assert "does worse than the rules (macro-F1 0.75 against 0.77)" in text
    assert "better in exploration and decline and worse in formation and stability" in text
    assert "does better than" in readings.hmm_accuracy_reading(f1.assign(hmm=f1["hmm"] + 0.05))


def _staging(stages):
    return pd.DataFrame(
        {"customer_id": ["a", "a", "b", "b"], "period": [1, 2, 1, 2],
         "stage": pd.Categorical(stages, categories=list(STAGES), ordered=True)})  # fmt: skip


def test_stage_comparison_and_its_reading():
    rules = _staging(["exploration", "decline", "exploration", "formation"])
    hmm = _staging(["exploration", "stability", "exploration", "formation"])
    assert lifecycle.stage_agreement(rules, hmm) == 0.75
    crosstab = lifecycle.stage_crosstab(rules, hmm)
    assert crosstab.loc["decline", "stability"] == 1
    mix = lifecycle.stage_mix_comparison(rules, hmm)
    assert mix.loc["stability", ("customer-months", "hmm")] == 0.25
    text = readings.hmm_comparison_reading(mix, 0.75, crosstab)
    assert "agree on 75% of the customer-periods, 67% of that agreement in exploration" in text
    assert "25% of the customer-periods that the rules call decline and the HMM stability" in text
    assert "the HMM puts more in stability: 25% by the HMM against 0.0% by the rules" in text


def test_lifecycle_takeaways_both_ways():
    counts, P = _chain(0.4, 0.02)
    value = _stage_value([0, 10, 20, 900], [44, 85, 75, 34])
    sens = _sensitivity({"a": 5.2})
    scores = pd.DataFrame({"f1": [0.77]}, index=["macro"])
    test = pd.Series({"pvalue": 1e-6})
    by_rate = pd.DataFrame({"macro_f1": [0.55, 0.81]})
    text = readings.lifecycle_takeaways(P, value, test, sens, scores, by_rate)
    assert text.startswith("- More trials fail than form (40%")
    assert "formation is worth $85.00 on average against $34.00 in decline" in text
    assert "log-rank p = 1e-06" in text and "up to 5.2 points" in text
    assert "sparse buyers" in text
    counts, P = _chain(0.1, 0.3)
    text = readings.lifecycle_takeaways(P, value, pd.Series({"pvalue": 0.5}), sens, scores)
    assert text.startswith("- Trials form more often than they fail") and "log-rank" not in text
    assert "sparse" not in text


def test_spend_groups_bands_and_mix_by_period():
    days = pd.date_range("2020-01-01", periods=12, freq="15D")
    rows = [("a", d, 10.0) for d in days] + [("b", days[0], 50.0), ("c", days[0], 90.0)]
    log = pd.DataFrame(rows, columns=["customer_id", "date", "amount"])
    stages = lifecycle.assign_stages(log, period="M")
    groups = lifecycle.first_period_spend_groups(stages)
    assert groups.astype(str).to_dict() == {"a": "1 low", "b": "2 middle", "c": "3 high"}
    staged = stages.assign(p_alive=np.where(stages["customer_id"] == "a", 0.9, 0.2))
    bands = lifecycle.p_alive_bands(staged)
    assert bands.to_numpy().sum() == 3 and bands.iloc[:, -1].sum() == 1
    by_period = lifecycle.current_mix_by_period(log, periods=("M", "Q"))
    assert list(by_period.columns) == ["M", "Q"] and np.allclose(by_period.sum(), 1)


def test_p_alive_reading_says_when_the_lowest_band_is_empty():
    table = _alive(3, 10).assign(low=0)
    assert "No customer is in the lowest P(alive) band (low) now" in readings.p_alive_reading(
        0, table
    )


def test_lifecycle_takeaways_when_decline_is_worth_the_most():
    counts, P = _chain(0.4, 0.02)
    value = _stage_value([0, 10, 20, 900], [20, 30, 25, 34])
    scores = pd.DataFrame({"f1": [0.77]}, index=["macro"])
    text = readings.lifecycle_takeaways(
        P, value, pd.Series({"pvalue": 0.5}), _sensitivity({"a": 1}), scores
    )
    assert "No stage is worth more per customer than decline ($34.00" in text
    assert "protect the established" not in text
