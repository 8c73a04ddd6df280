"""Readings of the loss list, its precision and the budget per playbook cell.

Each function takes the table a section of ``05_strategy`` shows
(:func:`analysis.churn.loss_list`, :func:`analysis.churn.flag_precision`,
:func:`analysis.strategy.budget_by_cell`) and returns Markdown stating what
its numbers show; the verdicts (the list warns better than the base rate, or
not; where the budget goes) are decided from the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..tables.format import join_and, money, percent

__all__ = [
    "budget_reading",
    "loss_reading",
    "precision_reading",
    "save_rate_note",
]


def save_rate_note(save_rate: float, save_rate_range=(0.15, 0.48)) -> str:
    """The plain statement that the save rate is an assumption until a holdout group measures it."""
    lo, hi = save_rate_range
    return (
        f"The save rate, {percent(save_rate, 0)} of the would-be quiet customers kept by one "
        f"contact, is an **assumption** (the offer acceptance Verbraken, Verbeke and Baesens 2013 "
        f"assume for telecom, range {percent(lo, 0)} to {percent(hi, 0)}): every break-even spend "
        "scales with it until a holdout group of the list measures it."
    )


def loss_reading(loss: pd.DataFrame, *, shown: int = 20, currency: str = "$") -> str:
    """How many valuable customers pass the base rate, what they may cost, and who leads the list.

    Parameters
    ----------
    loss : DataFrame
        :func:`analysis.churn.loss_list` (its ``attrs``: ``base_rate``,
        ``valuable``, ``eligible``, ``eligible_expected_loss``, ``save_rate``).
    shown : int
        How many of the list the report shows.
    currency : str
        Sign written before money.

    Returns
    -------
    str
        Markdown.
    """
    a = loss.attrs
    base, n_valuable, eligible = a["base_rate"], a["valuable"], a["eligible"]
    text = [
        f"Of the {n_valuable:,} valuable customers, {eligible:,} "
        f"{'has' if eligible == 1 else 'have'} a risk of going quiet above the base rate of "
        f"{percent(base)} ({a.get('base_rate_from', 'given')}); the other "
        f"{n_valuable - eligible:,} are not flagged, however valuable."
    ]
    if eligible == 0:
        return text[0]
    total, n = a["eligible_expected_loss"], len(loss)
    listed = float(loss["expected_loss"].sum())
    if n < eligible:
        how = []
        if a.get("top_n") is not None:
            how.append(f"the first {int(a['top_n']):,}")
        if a.get("budget") is not None:
            how.append(f"a budget of {money(a['budget'], currency, 0)}")
        text.append(
            f"Their expected loss, risk x value, sums to {money(total, currency, 0)}; cut to "
            f"{' and '.join(how) or 'a subset'}, the list keeps {n:,} "
            f"customer{'' if n == 1 else 's'} with {money(listed, currency, 0)} of it"
            + (f" ({percent(listed / total)})." if total > 0 else ".")
        )
        subject = "The list's expected loss is"
    else:
        subject = "Their expected loss, risk x value, is"
    if n == 0:
        return " ".join(text)
    spend = float(loss["break_even_spend"].sum())
    interval = ""
    if loss["expected_loss_low"].notna().all():
        lo, hi = loss["expected_loss_low"].sum(), loss["expected_loss_high"].sum()
        interval = (
            f" (from the value's interval, {money(lo, currency, 0)} to {money(hi, currency, 0)})"
        )
    text.append(
        f"{subject} {money(listed, currency, 0)}{interval}; at a save rate of "
        f"{percent(a['save_rate'], 0)} it is worth at most {money(spend, currency, 0)} in all "
        f"to try to keep them, {money(spend / n, currency, 2)} per customer on average."
    )
    if n:  # the first rows are in the table beside
        recent = int((loss.head(shown)["days_since_last"] < 30).sum())
        if recent:
            text.append(
                f"{recent} of the {min(shown, n)} shown bought within the last 30 days: their "
                "risk, not their silence, puts them here."
            )
    return " ".join(text)


def precision_reading(precision: pd.DataFrame) -> str:
    """Whether the list's rule, applied one horizon earlier, picked customers who went quiet.

    Parameters
    ----------
    precision : DataFrame
        :func:`analysis.churn.flag_precision`.

    Returns
    -------
    str
        Markdown: the precision with its interval, against the share among
        the valuable customers (the list's own population) and among all;
        the verdict (above, below, or not distinguishable) from the intervals.
    """
    a = precision.attrs
    flagged = precision.loc["flagged"]
    valuable = precision.loc["valuable"]
    everyone = precision.loc["all customers"]
    if flagged["customers"] == 0:
        return (
            f"The same rule at {a['observation_end']} flags no customer, so its precision "
            "cannot be measured."
        )
    text = [
        f"The same rule applied at {a['observation_end']} flags {int(flagged['customers']):,} "
        f"customers; {int(flagged['went_quiet']):,} of them ({percent(flagged['share_quiet'])}, "
        f"95% interval {percent(flagged['share_low'])} to {percent(flagged['share_high'])}) made "
        f"no purchase in the {a['horizon_days']:,.0f} days to {a['through']}."
    ]
    if flagged["share_low"] > valuable["share_quiet"]:
        verdict = "more often than"
    elif flagged["share_high"] < valuable["share_quiet"]:
        verdict = "less often than"
    else:
        verdict = "no more often, beyond chance, than"
    text.append(
        f"They went quiet {verdict} the valuable customers as a whole "
        f"({percent(valuable['share_quiet'])}, {a['lift_valuable']:.2f}x); among all customers "
        f"the share was {percent(everyone['share_quiet'])}."
    )
    predicted = flagged["mean_risk"]
    if np.isfinite(predicted):
        gap = flagged["share_quiet"] - predicted
        word = "under" if gap > 0 else "over"
        text.append(
            f"The risk predicted {percent(predicted)} for them: it {word}states what happened "
            f"by {abs(100 * gap):.1f} points."
            if abs(gap) > 0.005
            else f"The risk predicted {percent(predicted)} for them, close to what happened."
        )
    return " ".join(text)


def budget_reading(budget: pd.DataFrame, *, currency: str = "$") -> str:
    """Where the break-even budget goes by playbook cell, and which cells get none.

    Parameters
    ----------
    budget : DataFrame
        :func:`analysis.strategy.budget_by_cell` (a ``total`` row last).

    Returns
    -------
    str
        Markdown.
    """
    total = budget.loc["total"]
    cells = budget.drop(index="total")
    if cells.empty:
        return "No customer is on the list, so there is nothing to budget."
    text = [
        f"The list's {int(total['customers']):,} customer{'' if total['customers'] == 1 else 's'} "
        f"fall{'s' if total['customers'] == 1 else ''} in {len(cells)} playbook "
        f"cell{'s' if len(cells) != 1 else ''}; their break-even spend sums to "
        f"{money(total['break_even_spend'], currency, 0)}, of which "
        f"{money(total['budget'], currency, 0)} in the cells whose priority spends to keep customers."
    ]
    spending = cells.loc[cells["budget"] > 0].sort_values("budget", ascending=False, kind="stable")
    if len(spending):
        said = [
            f"{c} ({r['investment_priority']}, {int(r['customers']):,} "
            f"customer{'' if r['customers'] == 1 else 's'}, "
            f"{money(r['budget'], currency, 0)}, {percent(r['share_of_budget'])})"
            for c, r in spending.head(3).iterrows()
        ]
        text.append(
            f"{'The most goes' if len(spending) > 1 else 'All of it goes'} to {join_and(said)}."
        )
    none = cells.loc[cells["budget"] <= 0]
    if len(none):
        said = [f"{c} ({r['investment_priority']})" for c, r in none.iterrows()]
        text.append(
            f"{join_and(said)} get{'s' if len(none) == 1 else ''} no retention budget: the "
            "playbook spends no more than standard service there."
        )
    return " ".join(text)
