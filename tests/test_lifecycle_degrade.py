"""The lifecycle and data reports degrade to a sentence when a section's precondition fails.

Each test breaks one precondition of a section of ``01_data`` or
``02_lifecycle`` (a single cohort, no spread in spend, an empty stage, nobody
repeating, a singular log-rank test, a log too short for the curve) and
checks the :class:`~analysis.errors.NotComputable` message or the degraded
result, and that the reading of a skipped input is a sentence, not an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import describe, readings, tables
from analysis import lifecycle as lc
from analysis.errors import NotComputable
from analysis.readings import Skipped, attempt
from lifecycle_cases import log

E, F, S, D = lc.STAGES


def _stages(histories: dict, start="2020-01") -> pd.DataFrame:
    """A stages frame from ``{customer: (first period offset, [stage, ...], spend)}``."""
    rows = []
    base = pd.Period(start, freq="M")
    for customer, (offset, path, spend) in histories.items():
        for age, stage in enumerate(path):
            rows.append(
                {
                    "customer_id": customer,
                    "period": base + offset + age,
                    "age": age,
                    "stage": stage,
                    "purchases": 1 if age == 0 else 0,
                    "spend": float(spend) if age == 0 else 0.0,
                }
            )
    frame = pd.DataFrame(rows)
    frame["stage"] = pd.Categorical(frame["stage"], categories=list(lc.STAGES), ordered=True)
    return frame


# --- the log-rank test -------------------------------------------------------------------


def test_logrank_on_a_single_cohort_says_there_is_one_cohort():
    stages = _stages({c: (0, [E, F, D][: 1 + c % 3], 10 + c) for c in range(6)})
    with pytest.raises(NotComputable, match="one first-purchase cohort \\(2020-01\\).*two groups"):
        lc.survival_logrank(stages, by="cohort")
    skipped = attempt("the log-rank test", lc.survival_logrank, stages, by="cohort")
    assert isinstance(skipped, Skipped)
    assert str(skipped).startswith("**Not computed on this log: the log-rank test.** All 6 ")


def test_logrank_without_any_decline_says_so():
    stages = _stages({c: (c % 2, [E, F, F], 10) for c in range(4)})
    with pytest.raises(NotComputable, match="no relationship has reached decline"):
        lc.survival_logrank(stages, by="cohort")


def test_logrank_leaves_out_a_cohort_with_nobody_at_risk_instead_of_a_singular_matrix():
    from statsmodels.duration.survfunc import survdiff

    # two early cohorts with declines at ages 2 and 3, and a last cohort observed one period only:
    # its relationships are censored at 1, before any decline, so it carries no information
    histories = {}
    for c in range(8):
        histories[c] = (0, [E, F, D] if c % 2 else [E, F, F, D], 10)
        histories[10 + c] = (1, [E, F, F, D] if c % 2 else [E, F, D], 10)
    for c in range(3):
        histories[20 + c] = (4, [E], 10)
    stages = _stages(histories)
    durations = lc.cohorts._relationship_durations(stages)
    groups = lc.cohorts._groups(durations, stages, "cohort")
    with pytest.raises(np.linalg.LinAlgError):  # what the report met on a 13-month log
        survdiff(durations["duration"], durations["event"], groups)
    test = lc.survival_logrank(stages, by="cohort")
    assert test["groups"] == 2 and test["df"] == 1
    assert test.attrs["left_out"] == ["2020-05"]
    informative = groups != "2020-05"
    expected, _ = survdiff(
        durations["duration"][informative],
        durations["event"][informative],
        groups[informative],
    )
    assert test["statistic"] == pytest.approx(expected, rel=1e-12)
    text = readings.cohort_survival_reading(
        _retention(), test, test, lc.relationship_survival(stages, by="cohort")
    )
    assert "1 group left out: none of its relationships was still open" in text


def test_logrank_when_only_one_group_has_relationships_at_risk():
    # the first decline comes at age 2; the later cohort is censored at 1, before it
    histories = {c: (0, [E, F, D], 10) for c in range(3)}
    histories.update({10 + c: (0, [E, F, F], 10) for c in range(3)})
    histories.update({20: (2, [E], 10)})
    stages = _stages(histories)
    with pytest.raises(NotComputable, match="only 1 of the 2 first-purchase cohorts"):
        lc.survival_logrank(stages, by="cohort")


# --- first-month spend groups ------------------------------------------------------------


def test_spend_groups_without_spread_say_so():
    stages = _stages({c: (0, [E, D], 1.0) for c in range(9)})
    with pytest.raises(NotComputable, match="every customer spent the same.*\\(1\\)"):
        lc.first_period_spend_groups(stages)


def test_spend_groups_with_ties_are_fewer_and_never_split_a_value():
    # a log without amounts: most customers spent 1 (one purchase), a few more
    spend = [1.0] * 7 + [2.0, 3.0]
    stages = _stages({c: (0, [E, D], s) for c, s in enumerate(spend)})
    groups = lc.first_period_spend_groups(stages)
    assert list(groups.cat.categories) == ["1 low", "2 high"]
    assert (groups.iloc[:7] == "1 low").all() and (groups.iloc[7:] == "2 high").all()
    # without ties the groups are pandas' quantile bins
    spend = np.arange(1.0, 13.0)
    stages = _stages({c: (0, [E, D], s) for c, s in enumerate(spend)})
    expected = pd.qcut(pd.Series(spend), 3, labels=["1 low", "2 middle", "3 high"])
    got = lc.first_period_spend_groups(stages)
    assert got.astype(str).tolist() == expected.astype(str).tolist()


# --- the lifecycle curve, the HMM, the holdout check --------------------------------------


def test_curve_of_customers_reaching_stability_when_nobody_does():
    stages = _stages({c: (0, [E, F, D], 10) for c in range(4)})
    with pytest.raises(NotComputable, match="no customer's history reaches stability"):
        lc.lifecycle_curve(stages=stages, reaching="stability")


def test_hmm_without_repeat_purchases_says_so():
    counts = np.zeros((5, 4))
    with pytest.raises(NotComputable, match="no customer made a repeat purchase"):
        lc.fit_stage_hmm(counts, n_states=3, n_starts=1)


def test_hmm_with_fewer_purchase_levels_than_states_says_so():
    counts = np.zeros((300, 6))
    counts[:3, 1:] = 1.0  # 3 of 300 customers buy again, once a period: one level above zero
    with pytest.raises(NotComputable, match="do not support 4 distinct purchase levels"):
        lc.fit_stage_hmm(counts, n_states=4, n_starts=2, seed=0)


def test_holdout_check_without_repeat_buyers_reads_the_stages_alone():
    once = pd.concat(
        [log(c, [f"2020-{1 + c % 10:02d}-{1 + c % 20:02d}"]) for c in range(60)]
        + [log(100 + c, [f"2020-11-{1 + c:02d}"]) for c in range(5)],
        ignore_index=True,
    )
    once = pd.concat([once, log(0, ["2020-12-20"])], ignore_index=True)  # one holdout buyer
    check = lc.holdout_validation(once, "2020-10-31", "2020-12-31")
    assert check.bgnbd_note and "repeat" in check.bgnbd_note
    assert list(check.auc.index) == ["stage"]
    assert "expected_purchases" not in check.by_stage.columns
    text = readings.holdout_stage_reading(check.by_stage, check.auc, bgnbd_note=check.bgnbd_note)
    assert "the stage (as an ordinal score) reaches an AUC of" in text
    assert "**Not computed on this log: the comparison with the BG/NBD model.**" in text


# --- readings of skipped or degenerate inputs ---------------------------------------------


def _retention(shares=(0.3, 0.2), customers=(10, 12)):
    return pd.DataFrame(
        {"customers": list(customers), 0: 1.0, 1: list(shares), 2: [0.1, np.nan][: len(shares)]},
        index=pd.PeriodIndex(["2020-01", "2020-02"][: len(customers)], freq="M"),
    )


def test_cohort_survival_reading_with_skipped_tests_and_one_cohort():
    one = Skipped(
        "the log-rank test between first-purchase cohorts", "all 600 customers are in one"
    )
    groups = Skipped("survival by first-month spend", "every customer spent the same")
    retention = _retention((0.3,), (600,))
    text = readings.cohort_survival_reading(retention, one, groups, groups)
    assert "they are all one cohort (2020-01)" in text
    assert "between acquisition periods was not tested: all 600 customers are in one." in text
    assert "by the first period's spend was not tested: every customer spent the same." in text
    test = pd.Series({"statistic": 3.0, "df": 1, "pvalue": 0.08, "groups": 2})
    text = readings.cohort_survival_reading(_retention(), test, groups, groups)
    assert "does not differ significantly between acquisition periods (log-rank 3.0" in text
    assert "spend was not tested" in text and "group '" not in text


def test_model_readings_of_a_skipped_fit_are_one_sentence():
    gone = Skipped("the hidden Markov model of this log", "no customer made a repeat purchase.")
    text = readings.hmm_states_reading(gone)
    assert text.startswith("**Reading.** Not read on this log: the ")
    assert text.endswith(
        ", because the hidden Markov model of this log was not computed (the reason is "
        "given above)."
    )


def test_findings_without_the_spend_test_and_with_equal_exits():
    P = pd.DataFrame(np.eye(4), index=list(lc.STAGES), columns=list(lc.STAGES))
    P.loc[E] = [0.6, 0.2, 0.0, 0.2]
    value = tables.stage_values(
        pd.DataFrame({"stage": list(lc.STAGES), "clv": [5.0, 8.0, 9.0, 1.0]})
    )
    projection = lc.project_stage_mix(P, value["customers"], 3)
    found = readings.lifecycle_findings(
        value, projection, P, Skipped("a test", "why"), Skipped("a test", "why"), None,
        horizon_years=3,
    )  # fmt: skip
    assert [f.topic for f in found] == ["mix", "value", "direction"]
    direction = found[-1]
    assert direction.numbers["trial_fail"] == direction.numbers["trial_form"] == 0.2
    assert "lever" not in direction.text  # as many trials fail as form: no lever named
    assert found[1].verdict == "stability"
    trials = tables.stage_values(
        pd.DataFrame({"stage": list(lc.STAGES), "clv": [5.0, 0.0, 0.0, 0.0]})
    )  # only trials are worth anything
    worth = readings.value_finding(trials, horizon_years=3)
    assert worth.verdict == "exploration" and worth.numbers["decline_mean"] == 0.0
    assert "the model expects nothing more from a customer in decline" in worth.text


def test_transition_and_mix_readings_name_the_stages_never_seen():
    counts = pd.DataFrame(0, index=list(lc.STAGES), columns=list(lc.STAGES))
    counts.loc[E, E], counts.loc[E, D], counts.loc[D, D] = 50, 10, 30
    P = counts.div(counts.sum(axis=1).where(counts.sum(axis=1) > 0), axis=0).fillna(0.0)
    P.loc[F, F] = P.loc[S, S] = 1.0  # the estimator keeps an unseen stage in place
    text = readings.transition_reading(counts, P)
    assert "sticky" not in text
    assert "Formation and stability are never followed by another period in this log" in text
    mix = pd.DataFrame(
        {E: [1.0, 0.8], F: [0.0, 0.0], S: [0.0, 0.0], D: [0.0, 0.2]},
        index=pd.PeriodIndex(["2021-03", "2021-04"], freq="M"),
    )
    text = readings.mix_over_time_reading(mix)
    assert "peaks" not in text and "highest" not in text
    assert "Formation and stability are never reached by any customer in this log." in text


def test_curve_readings_on_a_short_log_or_one_without_repeat_purchases():
    never = pd.DataFrame({"purchases": [1.0, 0.0, 0.0]}, index=pd.Index([0, 1, 2], name="age"))
    text = readings.curve_by_age_reading(never)
    assert "zero at every later age, up to 2: no customer buys again" in text
    assert "rise" not in text
    curve = pd.DataFrame({"purchases": [1.8, 1.5]}, index=pd.Index([0, 1], name="age"))
    text = readings.curve_by_age_reading(curve)
    assert "the only later age observed is 1, at 1.50" in text and "to 1.50 at age 1" not in text
    assert "only age" not in readings.curve_by_age_reading(curve.iloc[:1])
    assert "no customer is observed beyond its first period" in readings.curve_by_age_reading(
        curve.iloc[:1]
    )


# --- the data report ----------------------------------------------------------------------


def test_data_readings_when_nobody_repeats_or_every_amount_is_the_same():
    once = pd.concat([log(c, [f"2020-01-{1 + c:02d}"], amount=1.0) for c in range(20)])
    per_customer = describe.purchases_per_customer(once)
    text = readings.frequency_reading(per_customer)
    assert text.startswith("**Reading.** Every customer bought on one day only")
    weekly = describe.repeat_transactions(
        pd.concat([once, log(99, ["2020-06-01"], amount=1.0)]), freq="W"
    )
    text = readings.weekly_reading(weekly)
    assert "There are no repeat purchases to follow" in text and "rise" not in text
    spend = describe.spend_summary(once)
    text = readings.spend_distribution_reading(spend)
    assert "Every purchase in the log has the same amount, $1.00" in text
    assert "skewed" not in text


def test_weekly_reading_names_a_single_week_of_acquisition():
    days = pd.date_range("2020-01-06", periods=20, freq="7D")
    one_week = pd.concat([log(c, [days[0], *days[1 + c % 5 :: 5]]) for c in range(6)])
    text = readings.weekly_reading(describe.repeat_transactions(one_week, freq="W"))
    assert "All first purchases fall in the week of 2020-01-06;" in text
    assert "1 weeks" not in text


def test_a_log_without_amounts_has_no_spend_to_describe_and_no_revenue():
    days = pd.concat([log(c, ["2020-01-02", f"2020-02-{1 + c:02d}"], amount=1.0) for c in range(5)])
    days.attrs["value"] = "purchases"  # as data.load_dataset marks a log without amounts
    with pytest.raises(NotComputable, match="the log has no amounts"):
        describe.spend_summary(days)
    overview = describe.log_overview(days)
    assert "revenue" not in overview.index and "mean transaction value" not in overview.index
    text = readings.overview_reading(overview, currency="purchases")
    assert "revenue" not in text  # no revenue claimed (the value basis is stated after the intro)
    spend = attempt("spend per transaction and per customer", describe.spend_summary, days)
    assert readings.spend_distribution_reading(spend).startswith(
        "**Reading.** Not read on this log: how spend is distributed, because spend per "
        "transaction and per customer was not computed"
    )
    counts = pd.Series(
        {
            "customers in the calibration summary": 5,
            "customers with no repeat purchase": 0,
            "repeat purchases in calibration": 5,
            "repeat buyers (for the spend model)": 5,
        }
    )
    text = readings.model_inputs_reading(counts, amounts=False)
    assert "would feed a spend model, but the log has no amounts, so none is fitted" in text


def test_stage_values_in_purchases_and_a_decline_worth_nothing():
    table = pd.DataFrame(
        {"stage": [E] * 5 + [F] * 3 + [D] * 20, "clv": [4.0] * 5 + [9.0] * 3 + [0.0] * 20}
    )
    value = tables.stage_values(table)
    text = readings.stage_value_reading(value, margin=1.0, horizon_years=3, currency="purchases")
    assert text.startswith(
        "**Reading.** Counted in purchases (the log has no amounts), a customer's discounted "
        "purchases over the next 3 years averages 4.00 purchases in exploration, 9.00 purchases "
        "in formation and 0.00 purchases in decline (the stages of today, real-time view)."
    )
    assert "margin" not in text.split(". ")[0] and "still worth" not in text
    assert "the model expects no more purchases from them" in text
    # a base with no stage but decline: no comparison, no takeaway on stage values
    only = tables.stage_values(pd.DataFrame({"stage": [D] * 3, "clv": [1.0, 2.0, 3.0]}))
    text = readings.stage_value_reading(only, margin=0.3, horizon_years=3)
    assert "worth the most" not in text and "still worth $2.00 on average" in text
    finding = readings.value_finding(only, horizon_years=3)
    assert finding.verdict == "decline" and "ratio" not in finding.numbers
    assert finding.text == (
        "**Where the value is.** Every customer is in decline, worth $2.00 on average over 3 "
        "years: there is no stage to set against another."
    )


def test_plots_of_a_log_one_period_long_draw_without_warnings():
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from analysis import plots

    stages = _stages({c: (0, [E], 10 + c) for c in range(5)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 'identical low and high xlims' was a UserWarning
        plots.plot_stage_mix(lc.stage_mix(stages))
        curve = lc.lifecycle_curve(stages=stages)
        plots.plot_lifecycle_by_age(curve)
        survival = lc.relationship_survival(_stages({c: (0, [E], 10) for c in range(3)}))
        plots.plot_survival(survival)
    plt.close("all")
