"""The reports' findings are verdicts (data) first; the sentences are written from them."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.readings import findings
from analysis.readings.clv import mae_verdict


def test_errors_equal_only_when_equal_as_shown():
    v = mae_verdict(pd.Series({"BG/NBD": 0.8187, "Pareto/NBD": 0.7938, "MBG/NBD": 0.7952}))
    assert v == {
        "best": ["Pareto/NBD"],
        "value": 0.794,
        "others": {"MBG/NBD": 0.795, "BG/NBD": 0.819},
    }
    tied = mae_verdict(pd.Series({"A": 0.79381, "B": 0.79419}))
    assert tied["best"] == ["A", "B"] and tied["others"] == {}


def _clv_inputs():
    value_summary = pd.DataFrame(
        {"customers": [1000], "total": [50_000.0], "median": [3.0], "top_10%": [0.6]},
        index=["Pareto/NBD"],
    )
    errors = pd.DataFrame(
        {"mae": [0.82, 0.79], "total_relative_error": [-0.14, -0.13]},
        index=["BG/NBD", "Pareto/NBD"],
    )
    card = pd.DataFrame(
        {
            "gini": [0.66, 0.68, 0.70, 0.69, 0.69],
            "bias": [-0.17, -0.16, 1.64, 1.22, float("nan")],
        },
        index=pd.MultiIndex.from_product(
            [["spend"], ["BG/NBD", "Pareto/NBD", "spend rate", "last period", "RFM score"]],
            names=["target", "method"],
        ),
    )
    methods = pd.DataFrame(
        {"total": [75_000.0, 7_000.0, 28_000.0, 47_000.0, 50_000.0]},
        index=["formula", "retention", "markov", "BG/NBD", "Pareto/NBD"],
    )
    return value_summary, errors, card, methods


def test_clv_findings_as_data():
    out = findings.clv_findings(
        *_clv_inputs(), model="Pareto/NBD", margin=0.3, horizon_years=3, currency="$"
    )
    assert [(f.topic, f.verdict) for f in out] == [
        ("value", "concentrated"),
        ("model", "lean low"),
        ("rules", "rules rank close"),
        ("formula", "above the model"),
    ]
    by = {f.topic: f.numbers for f in out}
    assert by["value"] == {"total": 50_000.0, "top_10": 0.6, "median": 3.0}
    assert by["model"]["best_mae"] == ["Pareto/NBD"] and by["model"]["bias"] == -0.13
    assert by["rules"]["rule_bias"] == (1.22, 1.64)
    assert by["formula"]["ratio_to_model"]["formula"] == pytest.approx(1.5)
    assert 3 <= len(out) <= 5


def test_a_golden_clv_finding():
    out = findings.clv_findings(
        *_clv_inputs(), model="Pareto/NBD", margin=0.3, horizon_years=3, currency="$"
    )
    assert out[0].text == (
        "Over 3 years the 1,000 customers are worth $50,000 of discounted profit at the "
        "assumed 30% margin (Pareto/NBD). The top 10% of customers hold 60% of it and the "
        "median customer is worth $3.00: retention money belongs with the top decile."
    )
    text = findings.findings_markdown(out, title="Findings")
    assert text.startswith("**Findings.**\n\n- Over 3 years") and text.count("\n- ") == 4


def test_the_model_not_best_is_not_called_the_smallest():
    vs, errors, card, methods = _clv_inputs()
    out = findings.clv_findings(
        vs, errors, card, methods, model="BG/NBD", margin=0.3, horizon_years=3
    )
    model = next(f for f in out if f.topic == "model")
    assert model.numbers["best_mae"] == ["Pareto/NBD"] and "smallest" not in model.text


def _summary(rows, index, names=None):
    frame = pd.DataFrame(
        rows, columns=["customers", "share_customers", "share_clv", "mean_clv"], index=index
    )
    if names:
        frame.index.names = names
    return frame


def test_segments_findings_as_data():
    tiers = _summary(
        [
            [100, 0.05, 0.5, 250.0],
            [300, 0.15, 0.3, 50.0],
            [1600, 0.8, 0.2, 6.25],
            [0, 0.0, 0.0, None],
        ],
        ["high", "medium", "low", "negative"],
    )
    matrix = _summary(
        [
            [700, 0.35, 0.9, 60.0],
            [300, 0.15, 0.05, 5.0],
            [10, 0.005, 0.0, 1.0],
            [990, 0.495, 0.05, 2.0],
        ],
        ["retain", "develop", "maintain", "reduce"],
    )
    stage_tier = _summary(
        [
            [60, 0.03, 0.3, 250.0],
            [40, 0.02, 0.2, 250.0],
            [300, 0.15, 0.3, 50.0],
            [1600, 0.8, 0.2, 6.25],
        ],
        pd.MultiIndex.from_tuples(
            [("stability", "high"), ("decline", "high"), ("decline", "medium"), ("decline", "low")]
        ),
        names=["stage", "clv_tiers"],
    )
    levels = tiers.assign(relationship_level=["partnership", "proactive", "basic", None])
    out = findings.segments_findings(tiers, matrix, stage_tier, levels)
    by = {f.topic: f for f in out}
    assert by["tiers"].verdict == "concentrated" and by["tiers"].numbers["top_over_bottom"] == 40
    assert by["matrix"].numbers["retain_value"] == 0.9
    assert by["slipping"].numbers == {"customers": 40, "share_of_tier": 0.4, "share_of_value": 0.2}
    assert by["relationship"].numbers["levels"] == {
        "high": "partnership",
        "medium": "proactive",
        "low": "basic",
    }


def test_strategy_findings_as_data():
    rec = pd.DataFrame(
        {
            "customers": [0, 80, 920],
            "share_customers": [0.0, 0.08, 0.92],
            "share_value": [0.0, 0.6, 0.4],
            "priority": ["invest", "invest", "maintain"],
            "relationship_level": ["proactive", "partnership", "basic"],
        },
        index=pd.MultiIndex.from_tuples(
            [("exploration", "high"), ("stability", "high"), ("decline", "low")],
            names=["stage", "tier"],
        ),
    )
    loss = pd.DataFrame({"expected_loss": [30.0, 10.0], "break_even_spend": [9.0, 3.0]})
    budget = pd.DataFrame({"budget": [12.0]}, index=["total"])
    precision = pd.DataFrame(
        {"share_quiet": [0.44, 0.21]}, index=["flagged", "valuable, not flagged"]
    )
    checked = pd.DataFrame(
        {"met": [False, True], "difference_low": [-0.3, 0.01], "difference_high": [0.02, 0.05]}
    )
    out = findings.strategy_findings(rec, None, loss, budget, precision, checked)
    by = {f.topic: f for f in out}
    assert by["invest"].numbers["cell"] == "stability/high" and by["invest"].verdict == "invest"
    assert by["list"].numbers["expected_loss"] == 40.0 and by["list"].numbers["budget"] == 12.0
    assert by["precision"].verdict == "flags pick the quiet"
    assert by["pdca"].numbers == {"met": 1, "targets": 2, "beyond_chance": 1}
    # the score is named in words, not by its column
    from analysis.churn.compare import ListScore

    choice = ListScore("valuable", "p_quiet", 0.75, "p_quiet", 0.75, False)
    out = findings.strategy_findings(rec, choice, loss, budget, precision, checked)
    text = {f.topic: f.text for f in out}
    assert "ranked by the count model's P(no purchase) (AUC 0.75 among the valuable" in text["list"]


def test_segment_study_findings_and_heading_name_the_segment():
    from analysis.readings.segment_study import segment_heading

    summary = _summary([[100, 0.1, 0.5, 50.0], [900, 0.9, 0.5, 5.56]], ["high", "low"])
    heading = segment_heading("clv_tiers", "high", summary)
    assert heading.startswith("# Segment study: the high CLV tier\n")
    assert "`segment`" not in heading and "`segmentation`" not in heading
    profile = pd.DataFrame(
        {"segment_mean": [12.0, 40.0, 0.9], "base_mean": [3.0, 300.0, 0.45]},
        index=["purchases", "days_since_last", "p_alive"],
    )
    mix = pd.DataFrame(
        {"share": [0.0, 0.1, 0.6, 0.3], "base_share": [0.0, 0.05, 0.1, 0.85]},
        index=["exploration", "formation", "stability", "decline"],
    )
    rows = pd.DataFrame({"clv_net": [10.0] * 100})
    at_risk = rows.iloc[:30]
    rec = pd.DataFrame(
        {
            "customers": [60, 40],
            "share_value": [0.7, 0.3],
            "priority": ["invest", "invest"],
            "relationship_level": ["partnership", "proactive"],
        },
        index=pd.MultiIndex.from_tuples([("stability", "high"), ("decline", "high")]),
    )
    out = findings.segment_study_findings(summary, "high", profile, mix, at_risk, rows, rec)
    by = {f.topic: f for f in out}
    assert by["weight"].verdict == "more value than customers"
    assert by["profile"].numbers == {"column": "days_since_last", "segment": 40.0, "base": 300.0}
    assert by["stage"].numbers == {"stage": "stability", "share": 0.6, "decline": 0.3}
    assert by["warning"].numbers["share_value"] == pytest.approx(0.3)
    assert by["playbook"].numbers == {"cell": "stability/high", "priority": "invest"}


@pytest.mark.parametrize(
    ("rule_gini", "verdict"),
    [(0.7249, "rules rank close"), (0.7251, "rules rank better"), (0.62, "rules rank worse")],
)
def test_rules_tie_is_judged_on_the_ginis_as_shown(rule_gini, verdict):
    """0.7249 shows as 0.72, 0.04 from the model's 0.68: a tie; 0.7251 shows as 0.73: better."""
    value_summary, errors, card, methods = _clv_inputs()
    card = card.copy()
    card.loc[("spend", "spend rate"), "gini"] = rule_gini
    card.loc[("spend", "last period"), "gini"] = 0.60
    card.loc[("spend", "RFM score"), "gini"] = 0.60
    out = findings.clv_findings(
        value_summary,
        errors,
        card,
        methods,
        model="Pareto/NBD",
        margin=0.3,
        horizon_years=3,
        currency="$",
    )
    rules = next(f for f in out if f.topic == "rules")
    assert rules.verdict == verdict
    assert ("apart" in rules.text) == (verdict == "rules rank close")


def test_a_log_without_amounts_is_not_valued_in_profit():
    out = findings.clv_findings(
        *_clv_inputs(), model="Pareto/NBD", margin=1.0, horizon_years=3, currency="purchases"
    )
    assert out[0].text.startswith(
        "Over 3 years the 1,000 customers are worth 50,000 purchases, discounted (Pareto/NBD; "
        "the log has no amounts)."
    )
    assert "profit" not in out[0].text and "margin" not in out[0].text
