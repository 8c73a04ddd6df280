"""Readings of the lifecycle report: the stages of the log, from the tables that show them.

Each function takes the table(s) a section of ``notebooks/02_lifecycle.ipynb``
shows (the :mod:`analysis.lifecycle` outputs) and returns Markdown stating only
what those numbers show. Shares are fractions. The words with a direction
("falls", "at most", "sticky") are chosen from the numbers with the
tolerances below. The report's opening findings are in
:mod:`.lifecycle_findings`, the lifecycle curve in :mod:`.lifecycle_curve`;
the readings of the methods report (``notebooks/06_methods.ipynb``) are in
:mod:`.lifecycle_checks`, :mod:`.lifecycle_views` and :mod:`.lifecycle_methods`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import PURCHASES
from ._format import cap, count, join_and, money, pct
from .unavailable import Skipped

__all__ = [
    "SAME_PICTURE_POINTS",
    "EMPTY_SHARE",
    "LEVEL_CHANGE",
    "STICKY",
    "SIMILAR_RETENTION_POINTS",
    "ALPHA",
    "p_text",
    "mix_over_time_reading",
    "transition_reading",
    "projection_reading",
    "stage_value_reading",
    "cohort_survival_reading",
    "not_read",
]

#: two stage mixes whose shares all differ by at most this many points give "the same picture"
SAME_PICTURE_POINTS: float = 1.0
#: a stage holding less than this share of the customers is "empty"
EMPTY_SHARE: float = 0.01
#: two paces within this relative difference are "about level"
LEVEL_CHANGE: float = 0.10
#: a stage whose customers stay at least this often from one period to the next is "sticky"
STICKY: float = 0.5
#: cohorts whose retention one period after the first purchase spans at most this many
#: points "look alike"
SIMILAR_RETENTION_POINTS: float = 5.0
#: significance level of the log-rank tests' verdicts
ALPHA: float = 0.05


def p_text(p: float) -> str:
    """A p-value as text: ``= 0.012``, ``= 3.7e-10``, ``< 1e-300`` for one that underflows."""
    return f"= {p:.2g}" if p > 0 else "< 1e-300"


def _pts(x: float) -> str:
    return f"{x:.1f} points"


def mix_over_time_reading(mix: pd.DataFrame) -> str:
    """The stage mix period by period (:func:`analysis.lifecycle.stage_mix`)."""
    explo = mix["exploration"]
    below = explo.index[(explo < EMPTY_SHARE) & (explo.index > explo.index[0])]
    if len(below):
        k = list(mix.index).index(below[0])
        text = f"**Reading.** Exploration falls below 1% in {below[0]}, {k} periods after the start"
    else:
        text = "**Reading.** Exploration never falls below 1%: new customers keep arriving"
    never = [c for c in ("formation", "stability") if not float(mix[c].max()) > 0]
    f_peak = mix["formation"].idxmax()
    if "formation" not in never:
        text += (
            f"; formation peaks at {pct(mix.loc[f_peak, 'formation'])} in {f_peak} and ends at "
            f"{pct(mix['formation'].iloc[-1])}"
        )
    s_last, s_max = float(mix["stability"].iloc[-1]), float(mix["stability"].max())
    if "stability" in never:
        pass
    elif s_last >= s_max - 1e-9:
        text += f"; stability is at its highest at the end ({pct(s_last)})"
    else:
        text += (
            f"; stability peaks at {pct(s_max)} in {mix['stability'].idxmax()} and ends at "
            f"{pct(s_last)}"
        )
    text += f"; decline ends at {pct(mix['decline'].iloc[-1])}."
    if never:
        verb = "is" if len(never) == 1 else "are"
        text += f" {cap(join_and(never))} {verb} never reached by any customer in this log."
    if explo.iloc[-1] == 0:
        text += (
            " No customer is in exploration in the last period, so none arrived then: "
            "a base without new customers can only age, and acquisition and the conversion "
            "of trials decide its future."
        )
    return text


def _p(P: pd.DataFrame, a: str, b: str) -> float:
    return float(P.loc[a, b]) if a in P.index and b in P.columns else np.nan


def transition_reading(counts: pd.DataFrame, P: pd.DataFrame) -> str:
    """The transition counts and matrix: the order rule, the trial's exits, stickiness, returns."""
    jumps = int(counts.loc[["exploration", "decline"], "stability"].sum())
    if jumps == 0:
        text = (
            "**Reading.** No customer-period goes to stability from exploration or decline: "
            "stability is entered only from formation, the lifecycle model's order rule."
        )
    else:
        text = f"**Reading.** {jumps:,} customer-periods go to stability other than from formation."
    seen = counts.sum(axis=1) > 0  # stages observed with a following period
    e_d, e_f = _p(P, "exploration", "decline"), _p(P, "exploration", "formation")
    if not seen.get("exploration", False):
        e_d = e_f = np.nan
    if np.isfinite(e_d):
        text += (
            f" Each period {pct(e_d)} of the customers in exploration turn to decline and "
            f"{pct(e_f)} to formation."
        )
    stays = []
    for s in ["formation", "stability"]:
        stay = _p(P, s, s) if seen.get(s, False) else np.nan
        if np.isfinite(stay):
            word = "sticky" if stay >= STICKY else "short-lived"
            stays.append(f"{s} is {word} ({pct(stay)} stay)")
    if stays:
        text += f" {cap(join_and(stays))}."
    unseen = [s for s in seen.index if not seen[s]]
    if unseen:
        verb, it = ("is", "it") if len(unseen) == 1 else ("are", "them")
        text += (
            f" {cap(join_and(unseen))} {verb} never followed by another period in this log, so "
            f"the chain has no transitions out of {it} to estimate: a customer there is taken "
            "to stay."
        )
    back = _p(P, "decline", "formation") if seen.get("decline", False) else np.nan
    if np.isfinite(back):
        one_in = f", about one in {1 / back:,.0f}" if back > 0 else ""
        text += f" {pct(back)} of the customers in decline come back each period{one_in}."
    if np.isfinite(e_d) and e_d > e_f:
        text += " More trials fail than form (the findings draw the lever)."
    return text


def projection_reading(projection: pd.DataFrame) -> str:
    """The stage mix projected with the chain (rows: steps, first the current mix)."""
    start, end = projection.iloc[0], projection.iloc[-1]
    diff = 100 * (end - start)
    steps = len(projection) - 1
    if diff.abs().max() <= SAME_PICTURE_POINTS:
        text = (
            f"**Reading.** The projection barely moves: no stage share changes by more than a "
            f"point over {steps} periods, so the mix is already close to the chain's steady state."
        )
    else:
        moved = diff.abs().sort_values(ascending=False)
        moved = moved[moved > SAME_PICTURE_POINTS].index
        parts = [f"{s} from {pct(start[s])} to {pct(end[s])}" for s in moved]
        text = f"**Reading.** Over {steps} periods the chain moves {join_and(parts)}."
    return text  # the active core at the end is the findings' direction


def stage_value_reading(
    stage_value: pd.DataFrame, *, margin: float, horizon_years: float, currency: str = "$"
) -> str:
    """What a customer in each stage is worth (:func:`analysis.tables.stage_values` of ``clv``).

    States the mean CLV per customer of every stage with customers, where
    the total value sits (the stage worth the most per customer, its ratio to
    decline and the win-back ceiling are :func:`value_finding`'s), the
    means of the customers' interval ends (``mean_clv_low``,
    ``mean_clv_high``) and the agreement with the hindsight view
    (``same_in_hindsight``) when the table has them. ``currency="purchases"``
    (a log without amounts): the values are discounted purchases, and no
    margin is named.
    """
    held = stage_value.loc[stage_value["customers"] > 0]
    mean = held["mean_clv"].astype(float)
    in_purchases = str(currency).strip() == PURCHASES
    basis = (
        "Counted in purchases (the log has no amounts), a customer's discounted purchases"
        if in_purchases
        else f"At the assumed {pct(margin)} margin, a customer's discounted profit"
    )
    parts = [f"{money(v, currency)} in {s}" for s, v in mean.items()]
    text = (
        f"**Reading.** {basis} over the next {horizon_years:g} years averages {join_and(parts)} "
        "(the stages of today, real-time view)."
    )
    best = mean.idxmax()
    low = float(mean["decline"]) if "decline" in mean.index else np.nan
    # the stage worth the most, its ratio to decline and the win-back ceiling are the findings'
    if {"mean_clv_low", "mean_clv_high"} <= set(held.columns):
        shown = [best] + (["decline"] if best != "decline" and np.isfinite(low) else [])
        ends = [
            f"{money(held.loc[s, 'mean_clv_low'], currency)} to "
            f"{money(held.loc[s, 'mean_clv_high'], currency)} in {s}"
            for s in shown
        ]
        text += f" The customers' intervals average {join_and(ends)}."
    top = held["share_of_value"].astype(float).idxmax()
    value_share, customer_share = (
        held.loc[top, "share_of_value"],
        held.loc[top, "share_of_customers"],
    )
    if value_share > customer_share:
        relation = "more than its"
    elif value_share < customer_share:
        relation = "less than its"
    else:
        relation = "as much as its"
    text += (
        f" {cap(top)} holds the largest part of the total value, {pct(value_share)}, "
        f"{relation} {pct(customer_share)} of the customers"
    )
    if top != "decline" and "decline" in held.index:
        text += (
            f"; decline holds {pct(held.loc['decline', 'share_of_value'])} of the value with "
            f"{pct(held.loc['decline', 'share_of_customers'])} of the customers"
        )
    text += "."
    if np.isfinite(low) and low > 0:
        # the win-back ceiling is the value finding's, unless decline is the stage worth the most
        if best == "decline":
            text += (
                f" A customer in decline is still worth {money(low, currency)} on average: "
                "win-back spending above that per customer costs more than the average customer "
                "in decline is expected to bring."
            )
    elif np.isfinite(low):
        text += (
            f" A customer in decline is worth {money(low, currency)}: the model expects no more "
            "purchases from them, so win-back spending has nothing to recover here."
        )
    if "same_in_hindsight" in held.columns:
        same = held["same_in_hindsight"].astype(float)
        overall = float((same * held["customers"]).sum() / held["customers"].sum())
        least = same.idxmin()
        text += (
            f" The hindsight view of the histories above puts {pct(overall)} of the customers "
            "in the same stage in the last period"
        )
        text += (
            "."
            if same[least] >= overall or len(same) == 1
            else f"; it agrees least on {least} ({pct(same[least])} of its customers)."
        )
    return text


def not_read(*results, missing: str = "this section") -> str | None:
    """The reading of a section whose input could not be computed on this log, or None.

    ``results`` are the section's inputs; when any is a
    :class:`~analysis.readings.unavailable.Skipped` (whose sentence, with the
    reason, the report shows where it was computed), the reading is one
    sentence naming what it could not read (``missing``) and which input was
    not computed, so the paragraph is still there.
    """
    gone = list(dict.fromkeys(r.what for r in results if isinstance(r, Skipped)))
    if not gone:
        return None
    verb = "was" if len(gone) == 1 else "were"
    return (
        f"**Reading.** Not read on this log: {missing}, because {join_and(gone)} {verb} not "
        "computed (the reason is given above)."
    )


def _retention_text(retention: pd.DataFrame) -> str:
    ages = [c for c in retention.columns if c != "customers" and c != 0]
    if not ages:
        return (
            "**Reading.** No customer has been observed for a period after its first purchase, "
            "so the log shows no retention yet."
        )
    w = retention["customers"].astype(float)

    def mean_at(age):
        col = retention[age]
        ok = col.notna()
        return float((col[ok] * w[ok]).sum() / w[ok].sum())

    covered = [a for a in ages if retention[a].notna().mean() >= 0.5]
    first, last = ages[0], covered[-1] if covered else ages[-1]
    text = f"**Reading.** {pct(mean_at(first))} of the customers buy in period {first} after their "
    text += "first purchase" + (
        f" and {pct(mean_at(last))} in period {last}" if last != first else ""
    )
    if len(retention) < 2:
        return text + f"; they are all one cohort ({retention.index[0]}), so no cohorts to compare."
    spread = 100 * (retention[first].max() - retention[first].min())
    alike = "look alike" if spread <= SIMILAR_RETENTION_POINTS else "differ"
    return text + f"; the cohorts {alike} (period {first} retention spans {_pts(spread)})."


def _verdict(test) -> str:
    return "differs significantly" if test["pvalue"] < ALPHA else "does not differ significantly"


def _left_out(test) -> str:
    left_out = test.attrs.get("left_out") or []
    if not left_out:
        return ""
    return (
        f"; {count(len(left_out), 'group')} left out: none of its relationships was still open "
        "when the first decline came"
    )


def _tests_text(by_cohort, by_first_spend) -> str:
    """The two log-rank verdicts, or what was not tested and why."""
    labels = ("between acquisition periods", "by the first period's spend")
    if not isinstance(by_cohort, Skipped) and not isinstance(by_first_spend, Skipped):
        return (
            f" Relationship survival {_verdict(by_cohort)} {labels[0]} (log-rank "
            f"{by_cohort['statistic']:.1f}, p {p_text(by_cohort['pvalue'])}{_left_out(by_cohort)}) "
            f"and {_verdict(by_first_spend)} {labels[1]} ({by_first_spend['statistic']:.1f}, "
            f"p {p_text(by_first_spend['pvalue'])}{_left_out(by_first_spend)})."
        )
    parts = []
    for test, label in zip((by_cohort, by_first_spend), labels, strict=True):
        if isinstance(test, Skipped):
            parts.append(
                f" Whether relationship survival differs {label} was not tested: "
                f"{test.why.strip().rstrip('.')}."
            )
        else:
            parts.append(
                f" Relationship survival {_verdict(test)} {label} (log-rank "
                f"{test['statistic']:.1f}, p {p_text(test['pvalue'])}{_left_out(test)})."
            )
    return "".join(parts)


def cohort_survival_reading(
    retention: pd.DataFrame,
    by_cohort,
    by_first_spend,
    first_spend_survival,
) -> str:
    """Retention by cohort and the log-rank tests (survival by spend: the early-signal finding).

    ``retention``: :func:`analysis.lifecycle.cohort_retention` (``customers`` and
    one column per age); the tests :func:`analysis.lifecycle.survival_logrank`;
    ``first_spend_survival`` :func:`analysis.lifecycle.relationship_survival` by
    the first-period spend groups (ordered low to high). A test or the spend
    groups not computed on this log (:class:`~analysis.readings.unavailable.Skipped`)
    is said in a sentence, and the rest is read.
    """
    # the survival of the highest and lowest spend groups, and what to do with it, is the
    # findings' early signal (computed whenever both the test and the groups are)
    return _retention_text(retention) + _tests_text(by_cohort, by_first_spend)
