"""Readings of the learned risk of going quiet: how it was learned, what drives it, whether it beats the simple scores.

:func:`risk_reading` reads a :class:`analysis.churn.RiskModel` (the window
and cuts it learned on, its calibration on the held-out cut, its strongest
odds ratios, or why it fell back). :func:`comparison_verdict` turns
:func:`analysis.churn.compare_scores` into a verdict per population (the
best score, and whether the challenger beats the reference with an interval
clear of 0), and :func:`comparison_reading` writes it. Every word that
carries a direction is chosen from the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..churn import RiskModel
from ..churn.compare import ListScore
from ._format import cap, join_and, pct

__all__ = [
    "RISK_SCORE_NAMES",
    "comparison_reading",
    "comparison_verdict",
    "list_score_reading",
    "risk_reading",
]

#: how the readings name the scores of :func:`analysis.churn.comparison_scores`
RISK_SCORE_NAMES: dict[str, str] = {
    "risk": "the learned risk",
    "expected_purchases": "expected purchases",
    "p_alive": "P(alive)",
    "days_since_last": "days since the last purchase",
    "overdue": "the overdue ratio",
    "warning_score": "the hand-weighted warning score",
    "p_quiet": "the count model's P(no purchase)",
}
#: how the reading names the probability a loss list uses
_USED = {**RISK_SCORE_NAMES, "p_alive": "1 - P(alive)"}
#: per-unit words of the risk features' odds ratios
_PER = {
    "log2_purchases": "per doubling of the purchases",
    "log2_age": "per doubling of the customer's age",
    "log2_silence": "per doubling of the silence",
    "log2_overdue": "per doubling of (1 + the silence in own cycles)",
    "no_repeat": "without a repeat purchase",
    "log2_recent": "per doubling of (1 + the recent purchases)",
    "log2_spend": "per doubling of the spend per purchase",
    "p_alive": "from P(alive) 0 to 1",
    "log2_expected": "per doubling of the expected purchases",
    "logit_p_quiet": "per unit of the model's log-odds of no purchase",
    "log2_periods_in_stage": "per doubling of the time in the stage",
}


def _name(score: str) -> str:
    return RISK_SCORE_NAMES.get(score, score)


def risk_reading(model: RiskModel, *, top: int = 3) -> str:
    """What the learned risk was learned on, how well its probabilities held, and its top drivers.

    Parameters
    ----------
    model : RiskModel
        :func:`analysis.churn.fit_inactivity_risk`.
    top : int
        How many odds ratios to name (the largest effects whose 95%
        interval excludes 1).

    Returns
    -------
    str
        Markdown.
    """
    if model.fallback is not None:
        return (
            f"The log is too short to learn the risk from: {model.fallback}. The risk shown is "
            f"the {model.model} probability of no purchase within {model.horizon_days:,.0f} days, "
            "the simple score that is a probability of that very event."
        )
    used = model.training[model.training["role"].str.startswith("train")]
    cuts = join_and(pd.Timestamp(c).date().isoformat() for c in used["cut"])
    parts = [
        f"The risk is a logistic regression of no purchase within {model.window_days:,.0f} days, "
        f"learned on {len(used)} earlier cut(s) of the log ({cuts}; {int(used['customers'].sum()):,} "
        f"customer rows, {pct(used['quiet'].sum() / used['customers'].sum())} of them quiet)."
    ]
    if model.window_days != model.horizon_days:
        parts.append(
            f"The log is too short for windows of the full {model.horizon_days:,.0f} days, so it "
            "ranks customers for the horizon but its probabilities are of the shorter silence."
        )
    cal = model.calibration
    if "slope" in cal:
        gap = cal["mean_predicted"] - cal["observed"]
        direction = "over" if gap > 0 else "under"
        parts.append(
            f"Fitted on the older cuts, it predicted {pct(cal['mean_predicted'])} quiet on the "
            f"latest cut against {pct(cal['observed'])} observed ({direction}-predicting by "
            f"{abs(100 * gap):.1f} points; calibration slope {cal['slope']:.2f}, 1 is ideal)"
            + (
                ", so a Platt step recalibrates its probabilities."
                if cal["applied"]
                else ", close enough to leave them as they are."
            )
        )
    if model.penalty:
        parts.append(
            f"The outcome separates on these features, so the fit is L2-penalised "
            f"({model.penalty:g}) and its odds ratios have no interval."
        )
    odds = model.odds_ratios.drop(index="const", errors="ignore")
    clear = odds[(odds["ci_low"] > 1) | (odds["ci_high"] < 1)]
    strongest = clear.reindex(clear["coef"].abs().sort_values(ascending=False).index).head(top)
    if len(strongest):
        said = [
            f"{term} ({_PER.get(term, 'against the reference stage')}: odds x{row.odds_ratio:.2f}, "
            f"95% {row.ci_low:.2f}-{row.ci_high:.2f})"
            for term, row in strongest.iterrows()
        ]
        parts.append("Its strongest drivers, holding the others fixed: " + join_and(said) + ".")
    else:
        parts.append("No feature's odds ratio has a 95% interval clear of 1.")
    return " ".join(parts)


def comparison_verdict(comparison: pd.DataFrame, challenger: str = "risk") -> pd.DataFrame:
    """Per population: the best score by AUC and whether ``challenger`` beats the reference.

    Parameters
    ----------
    comparison : DataFrame
        :func:`analysis.churn.compare_scores`.
    challenger : str
        The score judged.

    Returns
    -------
    DataFrame
        Index ``population``: ``best`` (highest AUC), ``reference``,
        ``auc``, ``reference_auc``, ``auc_diff``, ``auc_diff_low``,
        ``auc_diff_high``, ``auc_verdict`` and ``lift_verdict`` (``"beats"``
        when the interval of the difference is above 0, ``"trails"`` when
        below, ``"ties"`` when it holds 0), ``lift``, ``reference_lift``.
    """
    rows = {}
    for pop, frame in comparison.groupby(level="population", sort=False):
        frame = frame.droplevel("population")
        if challenger not in frame.index:
            continue
        row = frame.loc[challenger]
        ref = row["reference"]

        def verdict(low, high):
            if not (np.isfinite(low) and np.isfinite(high)):
                return "ties"
            return "beats" if low > 0 else "trails" if high < 0 else "ties"

        rows[pop] = {
            "best": frame["auc"].idxmax(),
            "reference": ref,
            "auc": row["auc"],
            "reference_auc": frame.loc[ref, "auc"],
            "auc_diff": row["auc_diff"],
            "auc_diff_low": row["auc_diff_low"],
            "auc_diff_high": row["auc_diff_high"],
            "auc_verdict": verdict(row["auc_diff_low"], row["auc_diff_high"]),
            "lift": row["lift"],
            "reference_lift": frame.loc[ref, "lift"],
            "lift_verdict": verdict(row["lift_diff_low"], row["lift_diff_high"]),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("population")


def comparison_reading(
    comparison: pd.DataFrame,
    challenger: str = "risk",
    populations: dict[str, str] | None = None,
) -> str:
    """Whether the challenger beats the best simple score in each population, by how much.

    Parameters
    ----------
    comparison : DataFrame
        :func:`analysis.churn.compare_scores`.
    challenger : str
        The score judged (the learned ``risk`` by default).
    populations : mapping, optional
        How to name each population (``{"all": "all customers", ...}``).

    Returns
    -------
    str
        Markdown: one sentence per population.
    """
    verdict = comparison_verdict(comparison, challenger)
    names = {"all": "all customers", "valuable": "the valuable customers", **(populations or {})}
    level = comparison.attrs.get("level", 0.9)
    words = {"beats": "beats", "ties": "does no better or worse than", "trails": "trails"}
    sentences = []
    for pop, v in verdict.iterrows():
        who = names.get(pop, str(pop))
        diff = (
            f"AUC {v['auc']:.3f} against {v['reference_auc']:.3f}, a difference of "
            f"{v['auc_diff']:+.3f} ({100 * level:.0f}% bootstrap interval "
            f"{v['auc_diff_low']:+.3f} to {v['auc_diff_high']:+.3f})"
        )
        lift = f"top-share lift {v['lift']:.2f} against {v['reference_lift']:.2f}" + (
            ""
            if v["lift_verdict"] == v["auc_verdict"]
            else f" ({'higher' if v['lift_verdict'] == 'beats' else 'lower' if v['lift_verdict'] == 'trails' else 'no clear difference'})"
        )
        # the reference is the best other score: name the best only when it is the challenger
        best = "; its AUC is the highest there" if v["best"] == challenger else ""
        sentences.append(
            f"Among {who}, {_name(challenger)} {words[v['auc_verdict']]} "
            f"{_name(v['reference'])}, the best simple score: {diff}; {lift}{best}."
        )
    if not sentences:
        return f"The comparison holds no score named {challenger!r}."
    return " ".join(cap(s) for s in sentences)


def list_score_reading(choice: ListScore, populations: dict[str, str] | None = None) -> str:
    """Which score the test found best, and which probability the loss list therefore uses.

    Parameters
    ----------
    choice : ListScore
        :func:`analysis.churn.compare.list_score`.
    populations : mapping, optional
        How to name each population.

    Returns
    -------
    str
        Markdown.
    """
    names = {"all": "all customers", "valuable": "the valuable customers", **(populations or {})}
    who = names.get(choice.population, choice.population)
    text = (
        f"Among {who}, the score with the highest AUC is {_name(choice.best)} "
        f"({choice.best_auc:.3f})"
    )
    if not choice.counterpart and choice.use == "p_alive":
        return text + (
            ": its complement, 1 - P(alive), is the probability that the customer has already "
            "gone, so the list below weighs each customer's value by that."
        )
    if not choice.counterpart:
        return text + (
            ": a probability of going quiet, so the list below weighs each customer's value by it."
        )
    return text + (
        f". It is not a probability of going quiet, so the list below weighs each customer's "
        f"value by {_USED.get(choice.use, choice.use)}, the probability that stands for it "
        f"(AUC {choice.use_auc:.3f} among the same customers)."
    )
