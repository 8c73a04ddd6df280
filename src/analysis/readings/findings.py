"""The findings a report opens with: three to five decisions, each with the numbers behind it.

Each report computes its findings at its end, from the tables it shows, and
writes them into the first output of the report (a display updated by id,
:data:`DISPLAY_ID`), so a reader meets the decisions first and the evidence
after. A finding is data first (:class:`Finding`: a key, a verdict of plain
values that tests check) and a sentence written from that verdict.

The functions per report: :func:`clv_findings` (03), :func:`segments_findings`
(04), :func:`strategy_findings` (05) and :func:`segment_study_findings` (the
segment studies).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..clv.scorecard import BASELINES
from ..data import PURCHASES
from ._format import count, join_and, money, pct

__all__ = [
    "DISPLAY_ID",
    "PLACEHOLDER",
    "Finding",
    "findings_markdown",
    "clv_findings",
    "segments_findings",
    "strategy_findings",
    "segment_study_findings",
]

#: the display id of a report's findings: shown empty at the top, filled at the end
DISPLAY_ID = "findings"
#: Gini coefficients closer than this rank customers about as well (two decimals shown)
GINI_CLOSE = 0.05
#: the top 10% holding at least this share of the value: a concentrated base
CONCENTRATED = 0.5
#: the early-warning scores as the findings name them (the columns' names are for code)
_LIST_SCORE_WORDS = {
    "risk": "the learned risk",
    "p_quiet": "the count model's P(no purchase)",
    "p_alive": "P(alive)",
    "expected_purchases": "expected purchases",
}
#: what the findings' place shows until the report has run to its end
PLACEHOLDER = "**Findings.** *Written here when the report has run to its end.*"


@dataclass(frozen=True)
class Finding:
    """One opening finding: its topic, the verdict the numbers chose, the numbers, the sentence."""

    topic: str
    verdict: str
    numbers: dict[str, Any] = field(default_factory=dict)
    text: str = ""


def findings_markdown(findings: Sequence[Finding], title: str | None = None) -> str:
    """The findings as one bullet each, under a bold ``title`` when given."""
    bullets = "\n".join(f"- {f.text}" for f in findings)
    return f"**{title}.**\n\n{bullets}" if title else bullets


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def clv_findings(
    value_summary: pd.DataFrame,
    holdout_errors: pd.DataFrame,
    card: pd.DataFrame,
    methods: pd.DataFrame,
    *,
    model: str,
    margin: float,
    horizon_years: float,
    currency: str = "$",
) -> list[Finding]:
    """The CLV report's findings: what the base is worth, which model, how to rank, what not to use.

    Parameters
    ----------
    value_summary : DataFrame
        :func:`analysis.tables.method_summary` of the valuation's CLV (one row:
        ``customers``, ``total``, ``median``, ``top_10%``).
    holdout_errors : DataFrame
        :func:`analysis.models.holdout_error_table` (index model; ``mae``,
        ``total_relative_error``).
    card : DataFrame
        The holdout scorecard (index ``target``, ``method``; ``gini``, ``bias``).
    methods : DataFrame
        :func:`analysis.tables.method_summary` of every method's values (index
        method; ``total``).
    model : str
        The valuation's count model.
    """
    out = []
    row = value_summary.iloc[0]
    top = float(row["top_10%"])
    out.append(
        Finding(
            "value",
            "concentrated" if top >= CONCENTRATED else "spread",
            {"total": float(row["total"]), "top_10": top, "median": float(row["median"])},
            f"Over {horizon_years:g} years the {count(row['customers'])} are worth "
            + (
                f"{money(row['total'], currency)}, discounted ({model}; the log has no amounts)"
                if currency == PURCHASES
                else f"{money(row['total'], currency)} of discounted profit at the assumed "
                f"{pct(margin)} margin ({model})"
            )
            + f". The top 10% of customers hold {pct(top)} of it "
            f"and the median customer is worth {money(row['median'], currency)}"
            + (": retention money belongs with the top decile." if top >= CONCENTRATED else "."),
        )
    )
    mae = holdout_errors["mae"].astype(float).round(3).sort_values()
    bias = float(holdout_errors.loc[model, "total_relative_error"])
    others = join_and(f"{m} {v:.3f}" for m, v in mae.drop(model, errors="ignore").items())
    best = [str(m) for m, v in mae.items() if v == mae.iloc[0]]
    lean = "low" if bias < 0 else "high"
    out.append(
        Finding(
            "model",
            f"lean {lean}",
            {"model": model, "best_mae": best, "mae": mae.to_dict(), "bias": bias},
            f"{model} values every customer: on the holdout its error per customer was "
            f"{mae[model]:.3f} purchases"
            + (f" (the smallest; {others})" if model in best else f" ({others})")
            + f", and its total was {pct(abs(bias))} {'below' if bias < 0 else 'above'} the "
            f"actual count, so the values lean {lean}.",
        )
    )
    if "spend" in card.index.get_level_values(0):
        spend = card.xs("spend", level=0)
        rules = spend.loc[spend.index.isin(BASELINES)]
        fitted = spend.loc[~spend.index.isin(BASELINES)]
        rule_bias = rules["bias"].astype(float).dropna()
        if len(rules) and len(fitted) and len(rule_bias) and model in spend.index:
            # the values as shown (two decimals), so the verdict agrees with the numbers quoted
            g_model = round(float(fitted["gini"].max()), 2)
            g_rule = round(float(rules["gini"].max()), 2)
            close = abs(g_model - g_rule) < GINI_CLOSE - 1e-9
            verdict = "close" if close else ("better" if g_rule > g_model else "worse")
            ranks = {
                "close": "rank about as well as",
                "better": "rank better than",
                "worse": "rank less well than",
            }[verdict]
            model_bias = float(spend.loc[model, "bias"])
            out.append(
                Finding(
                    "rules",
                    f"rules rank {verdict}",
                    {
                        "gini_rule": g_rule,
                        "gini_model": g_model,
                        "rule_bias": (float(rule_bias.min()), float(rule_bias.max())),
                        "model_bias": model_bias,
                    },
                    f"For choosing whom to contact, the simple rules {ranks} the models (Gini "
                    f"on holdout spend {g_rule:.2f} for the best rule, {g_model:.2f} for the "
                    f"best model"
                    + (f", less than {GINI_CLOSE:.2f} apart" if close else "")
                    + f"); for how much to spend, a model: the rules miss the holdout "
                    f"spend by {pct(rule_bias.abs().min())} to {pct(rule_bias.abs().max())}, "
                    f"{model} by {pct(abs(model_bias))}.",
                )
            )
    if "formula" in methods.index and model in methods.index:
        base = float(methods.loc[model, "total"])
        ratios = {
            m: _ratio(methods.loc[m, "total"], base)
            for m in ("formula", "retention", "markov")
            if m in methods.index
        }
        rest = join_and(f"{m} {ratios[m]:.2f} times" for m in ratios if m != "formula")
        out.append(
            Finding(
                "formula",
                "above the model" if ratios["formula"] > 1 else "not above the model",
                {"ratio_to_model": ratios},
                f"The annuity formula puts the base at "
                f"{money(methods.loc['formula', 'total'], currency)}, "
                f"{ratios['formula']:.2f} times {model}'s value"
                + (", because it lets no customer leave" if ratios["formula"] > 1 else "")
                + (f"; {rest} it" if rest else "")
                + ". None of them is the firm's value; use them as quick bounds.",
            )
        )
    return out


def segments_findings(
    tier_summary: pd.DataFrame,
    matrix_summary: pd.DataFrame,
    stage_tier_summary: pd.DataFrame,
    levels: pd.DataFrame,
    *,
    currency: str = "$",
) -> list[Finding]:
    """The segments report's findings: where the value sits, whom to keep, who is slipping, how close.

    Parameters
    ----------
    tier_summary : DataFrame
        :func:`analysis.segments.segment_summary` by CLV tier (the top tier
        first; ``customers``, ``share_customers``, ``share_clv``, ``mean_clv``).
    matrix_summary : DataFrame
        The same by value-matrix cell (``retain``, ``develop``, ``maintain``, ``reduce``).
    stage_tier_summary : DataFrame
        The same by stage and tier (MultiIndex stage, tier).
    levels : DataFrame
        :func:`analysis.segments.relationship_level` of the tiers.
    """
    out = []
    held = tier_summary[tier_summary["customers"] > 0]
    top, bottom = held.index[0], held.index[-1]
    t, b = held.loc[top], held.loc[bottom]
    ratio = _ratio(t["mean_clv"], b["mean_clv"])
    out.append(
        Finding(
            "tiers",
            "concentrated" if t["share_customers"] < t["share_clv"] / 2 else "spread",
            {
                "top_customers": int(t["customers"]),
                "top_share_customers": float(t["share_customers"]),
                "top_share_value": float(t["share_clv"]),
                "top_over_bottom": ratio,
            },
            f"The {top} tier, {count(t['customers'])} ({pct(t['share_customers'])}), holds "
            f"{pct(t['share_clv'])} of the value, {money(t['mean_clv'], currency)} a customer; "
            f"the {bottom} tier's {count(b['customers'])} hold {pct(b['share_clv'])}, "
            f"{money(b['mean_clv'], currency)} each ({ratio:.0f} times less): spend to keep "
            f"the {top} tier, serve the {bottom} tier at standard cost.",
        )
    )
    if "retain" in matrix_summary.index and "reduce" in matrix_summary.index:
        keep, cut = matrix_summary.loc["retain"], matrix_summary.loc["reduce"]
        out.append(
            Finding(
                "matrix",
                "retain holds most" if keep["share_clv"] >= 0.5 else "value spread",
                {
                    "retain_customers": int(keep["customers"]),
                    "retain_value": float(keep["share_clv"]),
                    "reduce_customers": int(cut["customers"]),
                    "reduce_value": float(cut["share_clv"]),
                },
                f"Current and potential value agree for most customers: *retain* "
                f"({count(keep['customers'])}, {pct(keep['share_customers'])}) holds "
                f"{pct(keep['share_clv'])} of the value and *reduce* "
                f"({count(cut['customers'])}, {pct(cut['share_customers'])}) "
                f"{pct(cut['share_clv'])}: the second half of the base warrants no "
                "spend beyond standard service.",
            )
        )
    tier_level = stage_tier_summary.index.names[1]
    grid = stage_tier_summary["customers"].unstack(tier_level)
    value = stage_tier_summary["share_clv"].unstack(tier_level)
    decline = "decline"
    if decline in grid.index and top in grid.columns and grid[top].sum() > 0:
        n = int(grid.loc[decline, top])
        share = n / float(grid[top].sum())
        out.append(
            Finding(
                "slipping",
                "top customers in decline" if n else "none in decline",
                {
                    "customers": n,
                    "share_of_tier": share,
                    "share_of_value": float(value.loc[decline, top]),
                },
                (
                    f"{count(n, f'{top}-tier customer')} ({pct(share)} of the tier) "
                    f"{'is' if n == 1 else 'are'} in decline, holding "
                    f"{pct(value.loc[decline, top])} of all value by the stage rules; report 5's "
                    "early-warning list, ranked by the model's risk and value, says which of "
                    "them to contact."
                )
                if n
                else f"No {top}-tier customer is in decline.",
            )
        )
    present = levels[levels["customers"] > 0]
    if "relationship_level" in present:
        pairs = {str(k): str(v) for k, v in present["relationship_level"].items()}
        out.append(
            Finding(
                "relationship",
                pairs.get(str(top), ""),
                {"levels": pairs},
                "Relationship level (Kotler) by tier: "
                + join_and(f"**{lvl}** for {tier}" for tier, lvl in pairs.items())
                + ".",
            )
        )
    return out


def strategy_findings(
    recommendation: pd.DataFrame,
    choice,
    loss: pd.DataFrame,
    budget: pd.DataFrame,
    precision: pd.DataFrame | None,
    checked: pd.DataFrame | None,
    *,
    currency: str = "$",
) -> list[Finding]:
    """The strategy report's findings: where to invest, whom to call and at what cost, does it hold.

    Parameters
    ----------
    recommendation : DataFrame
        :func:`analysis.strategy.recommend` (index stage, tier; ``customers``,
        ``share_customers``, ``share_value``, ``priority``, ``relationship_level``).
    choice : ListScore or None
        :func:`analysis.churn.compare.list_score` (``best``, ``best_auc``,
        ``population``); None without a test.
    loss : DataFrame
        :func:`analysis.churn.loss_list` (``expected_loss``, ``break_even_spend``).
    budget : DataFrame
        :func:`analysis.strategy.budget_by_cell` (a ``total`` row; ``budget``).
    precision : DataFrame or None
        :func:`analysis.churn.flag_precision` (rows ``flagged`` and
        ``valuable, not flagged``; ``share_quiet``), None when not computed.
    checked : DataFrame or None
        :func:`analysis.strategy.check` (``met``, ``difference_low``,
        ``difference_high``), None without a plan.
    """
    out = []
    filled = recommendation[recommendation["customers"] > 0]
    if filled["share_value"].notna().all() and len(filled):
        cell = filled["share_value"].idxmax()
        row = filled.loc[cell]
        out.append(
            Finding(
                "invest",
                str(row["priority"]),
                {
                    "cell": "/".join(map(str, cell)),
                    "customers": int(row["customers"]),
                    "share_customers": float(row["share_customers"]),
                    "share_value": float(row["share_value"]),
                },
                f"The most value sits in {cell[0]}/{cell[1]}: {count(row['customers'])} "
                f"({pct(row['share_customers'])}) hold {pct(row['share_value'])} of it; the "
                f"playbook says **{row['priority']}** with a {row['relationship_level']} "
                "relationship.",
            )
        )
    if len(loss) and "total" in budget.index:
        total = budget.loc["total"]
        score = (
            f", ranked by {_LIST_SCORE_WORDS.get(choice.best, choice.best)} (AUC "
            f"{choice.best_auc:.2f} among the {choice.population} "
            "customers, the best score of the test)"
            if choice is not None
            else ""
        )
        out.append(
            Finding(
                "list",
                "list",
                {
                    "customers": int(len(loss)),
                    "expected_loss": float(loss["expected_loss"].sum()),
                    "break_even_spend": float(loss["break_even_spend"].sum()),
                    "budget": float(total["budget"]),
                    "score": None if choice is None else choice.best,
                },
                f"{count(len(loss), 'valuable customer')} {'is' if len(loss) == 1 else 'are'} more "
                f"likely than average to go "
                f"quiet{score}; they stand to lose {money(loss['expected_loss'].sum(), currency)} "
                f"of value, so contacting them is worth at most "
                f"{money(loss['break_even_spend'].sum(), currency)} in all at the assumed save "
                "rate; "
                + (
                    "the playbook's priorities allow all of it."
                    if abs(float(total["budget"]) - float(loss["break_even_spend"].sum())) < 0.5
                    else f"the playbook's priorities allow {money(total['budget'], currency)}."
                ),
            )
        )
    if precision is not None and {"flagged", "valuable, not flagged"} <= set(precision.index):
        hit = float(precision.loc["flagged", "share_quiet"])
        rest = float(precision.loc["valuable, not flagged", "share_quiet"])
        out.append(
            Finding(
                "precision",
                "flags pick the quiet" if hit > rest else "flags no better",
                {"flagged": hit, "not_flagged": rest},
                f"One horizon back the same rule was right for {pct(hit)} of the customers it "
                f"flagged, against {pct(rest)} of the valuable customers it left out"
                + (": the flags pick out those going quiet." if hit > rest else "."),
            )
        )
    if checked is not None and len(checked):
        met = int(checked["met"].fillna(False).astype(bool).sum())
        has_test = {"difference_low", "difference_high"} <= set(checked.columns)
        tested = checked.dropna(subset=["difference_low", "difference_high"]) if has_test else []
        beyond = (
            int(((tested["difference_low"] > 0) | (tested["difference_high"] < 0)).sum())
            if len(tested)
            else 0
        )
        out.append(
            Finding(
                "pdca",
                f"{met} of {len(checked)} met",
                {"met": met, "targets": int(len(checked)), "beyond_chance": beyond},
                f"The plan-do-check-act round met {met} of its {len(checked)} targets"
                + (
                    f", and the contacted customers differ from the holdout group beyond "
                    f"chance on {beyond} of {len(tested)}"
                    if len(tested)
                    else ""
                )
                + ": on a historical log nobody acted, so this is the check's dry run; the "
                "next round's holdout group measures the save rate.",
            )
        )
    return out


#: the profile columns a segment study's finding may name, in prose
_PROFILE_WORDS = {
    "purchases": "purchase days",
    "days_since_last": "days since the last purchase",
    "p_alive": "P(alive)",
    "expected_purchases_horizon": "expected purchases over the horizon",
}


def segment_study_findings(
    summary: pd.DataFrame,
    segment: str,
    profile: pd.DataFrame,
    mix: pd.DataFrame,
    at_risk: pd.DataFrame,
    rows: pd.DataFrame,
    recommendation: pd.DataFrame,
    *,
    currency: str = "$",
) -> list[Finding]:
    """A segment study's findings: its weight, what sets it apart, where it stands, whom to call, what to do.

    Parameters
    ----------
    summary : DataFrame
        :func:`analysis.segments.segment_summary` of the segmentation.
    segment : str
        The label studied.
    profile : DataFrame
        :func:`analysis.segments.segment_profile` (``segment_mean``, ``base_mean``).
    mix : DataFrame
        :func:`analysis.segments.segment_stages` (``share``, ``base_share``).
    at_risk : DataFrame
        The early warning's flagged customers of the segment (``clv_net``).
    rows : DataFrame
        The segment's rows of the customer table (``clv_net``).
    recommendation : DataFrame
        :func:`analysis.strategy.recommend` on the segment's rows.
    """
    out = []
    row = summary.loc[segment]
    base_mean = float(
        (summary["customers"] * summary["mean_clv"].fillna(0)).sum() / summary["customers"].sum()
    )
    out.append(
        Finding(
            "weight",
            "more value than customers"
            if row["share_clv"] > row["share_customers"]
            else "less value than customers",
            {
                "customers": int(row["customers"]),
                "share_customers": float(row["share_customers"]),
                "share_value": float(row["share_clv"]),
                "mean": float(row["mean_clv"]),
                "base_mean": base_mean,
            },
            f"The {count(row['customers'])} ({pct(row['share_customers'])}) hold "
            f"{pct(row['share_clv'])} of the net CLV, {money(row['mean_clv'], currency)} a "
            f"customer against {money(base_mean, currency)} for the whole base.",
        )
    )
    shown = profile.loc[profile.index.isin(list(_PROFILE_WORDS))]
    shown = shown[(shown["base_mean"] > 0) & (shown["segment_mean"] > 0)]
    if len(shown):
        spread = np.log(shown["segment_mean"] / shown["base_mean"]).abs()
        col = spread.idxmax()
        a, b = float(shown.loc[col, "segment_mean"]), float(shown.loc[col, "base_mean"])
        fmt = (lambda x: f"{x:.2f}") if col == "p_alive" else (lambda x: f"{x:,.1f}")
        out.append(
            Finding(
                "profile",
                "above the base" if a > b else "below the base",
                {"column": str(col), "segment": a, "base": b},
                f"What sets them apart most: {_PROFILE_WORDS[col]}, {fmt(a)} on average against "
                f"{fmt(b)} for the base.",
            )
        )
    top = mix["share"].idxmax()
    decline = float(mix.loc["decline", "share"]) if "decline" in mix.index else float("nan")
    out.append(
        Finding(
            "stage",
            str(top),
            {"stage": str(top), "share": float(mix.loc[top, "share"]), "decline": decline},
            f"{pct(mix.loc[top, 'share'])} of them are in {top} (base: "
            f"{pct(mix.loc[top, 'base_share'])})"
            + (
                f"; {pct(decline)} are in decline."
                if top != "decline" and np.isfinite(decline)
                else "."
            ),
        )
    )
    if len(at_risk):
        value = float(at_risk["clv_net"].sum())
        total = float(rows["clv_net"].sum())
        out.append(
            Finding(
                "warning",
                "flagged",
                {"customers": int(len(at_risk)), "value": value, "share_value": value / total},
                f"Warning signs (decline, low P(alive), overdue) flag {len(at_risk):,} of them, "
                f"carrying {money(value, currency)} ({pct(value / total)} of the segment's "
                "value); report 5's list, ranked by expected loss, says whom to contact first.",
            )
        )
    held = recommendation.loc[recommendation["customers"] > 0]
    if len(held):
        by_value = held["share_value"].notna().all()
        key = held["share_value"].idxmax() if by_value else held["customers"].idxmax()
        cell = held.loc[key]
        out.append(
            Finding(
                "playbook",
                str(cell["priority"]),
                {"cell": f"{key[0]}/{key[1]}", "priority": str(cell["priority"])},
                f"The playbook cell holding most of the segment, {key[0]}/{key[1]} "
                f"({count(cell['customers'])}), says **{cell['priority']}** with a "
                f"{cell['relationship_level']} relationship.",
            )
        )
    return out
