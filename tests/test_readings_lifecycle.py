"""Readings of the lifecycle report: every direction word follows the numbers, both ways.

Hand-built tables of the shapes :mod:`analysis.lifecycle` returns stand in for
the report's; each claim is checked where it holds and where it does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import lifecycle, readings, tables
from analysis.units import STAGES


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
    assert "about one in 71" in text and "More trials fail than form (the findings" in text
    text = readings.transition_reading(*_chain(0.1, 0.3, f_stay=0.4, jump=3))
    assert "3 customer-periods go to stability other than from formation" in text
    assert "formation is short-lived (40% stay)" in text.lower()
    assert "More trials fail" not in text


def test_projection_reading_still_or_moving():
    still = pd.DataFrame([[0, 0.04, 0.07, 0.89], [0, 0.045, 0.068, 0.887]], columns=list(STAGES))
    text = readings.projection_reading(still)
    assert "barely moves" in text and "active core" not in text  # the findings' direction
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
    assert "worth the most" not in text  # the findings' value sentence says it
    assert "exploration" not in text  # no customer there: no value to state
    # decline: 900 x 34 = 30,600 of 32,950
    assert "Decline holds the largest part of the total value, 93%, less than its 97%" in text
    assert "worth $34.00" not in text  # the findings' win-back ceiling
    assert "intervals" not in text and "hindsight" not in text
    text = readings.stage_value_reading(
        _stage_value([5, 100, 200, 10], [44, 85, 95, 34], low=0.5), margin=0.3, horizon_years=3
    )
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
    assert "group '" not in text  # the spend groups' survival is the early-signal finding
    text = readings.cohort_survival_reading(
        _retention([0.05, 0.16, 0.30]), test, test, _survival(0.3, 0.1)
    )
    assert "the cohorts differ" in text and "longer relationship" not in text


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


def test_stage_comparison():
    rules = _staging(["exploration", "decline", "exploration", "formation"])
    hmm = _staging(["exploration", "stability", "exploration", "formation"])
    assert lifecycle.stage_agreement(rules, hmm) == 0.75
    crosstab = lifecycle.stage_crosstab(rules, hmm)
    assert crosstab.loc["decline", "stability"] == 1
    mix = lifecycle.stage_mix_comparison(rules, hmm)
    assert mix.loc["stability", ("customer-months", "hmm")] == 0.25


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
