"""The opening findings of the methods report: how far each way of reading the stages can be trusted.

Each finding is a verdict (:class:`~.findings.Finding`: topic, the
word the numbers chose, the numbers) rendered as one bullet; tests check the
verdicts as data. The tables are those of ``notebooks/06_methods``: the
accuracy of the views by purchase rate and by simulator setting
(:func:`analysis.lifecycle.accuracy_by_rate`, :func:`analysis.lifecycle.accuracy_by_setting`),
the per-stage F1 of the rules, the lifecycle model and the hidden Markov model on one
simulated log, and the macro-F1 of the rules with each threshold moved.
"""

from __future__ import annotations

import pandas as pd

from ._format import join_and
from .findings import Finding
from .lifecycle_checks import F1_TARGET, SEED_NOISE
from .lifecycle_views import view_accuracy_table, view_label

__all__ = [
    "rate_finding",
    "view_finding",
    "hmm_finding",
    "threshold_finding",
    "setting_finding",
    "methods_findings",
]

RULES = view_label("realtime", "rules")
HINDSIGHT = view_label("hindsight", "model")


def rate_finding(by_rate: pd.DataFrame) -> Finding:
    """How the real-time rules' macro-F1 moves with the purchase rate, and where it reaches the target.

    The verdict is the lowest rate (purchases a month) from which every higher
    band reaches :data:`F1_TARGET`, as text, or "never".
    """
    rules = view_accuracy_table(by_rate, "rate").sort_index()[RULES]
    low, high = float(rules.iloc[0]), float(rules.iloc[-1])
    reached = rules >= F1_TARGET
    # the first band from which every higher band reaches the target
    tail = reached[::-1].cummin()[::-1]
    start = rules.index[tail.to_numpy()]
    verdict = f"{start[0]:g}" if len(start) else "never"
    text = (
        f"**The purchase rate decides the accuracy.** The real-time rules' macro-F1 goes from "
        f"{low:.2f} at {rules.index[0]:g} purchases a month at the peak to {high:.2f} at "
        f"{rules.index[-1]:g}"
    )
    text += (
        f"; the target of {F1_TARGET:g} is reached from {verdict} a month on: below that, act on "
        "stage shares rather than on a single customer's stage."
        if len(start)
        else f"; it does not reach the target of {F1_TARGET:g} at any rate tried."
    )
    numbers = {f"macro_f1_at_{r:g}": float(v) for r, v in rules.items()}
    return Finding("rate", verdict, numbers, text)


def view_finding(by_rate: pd.DataFrame) -> Finding:
    """Hindsight against real time, band by band: how often and by how much hindsight is better.

    The verdict: "hindsight" when it is better in every band, "real time" when
    the rules are, else "depends on the rate".
    """
    table = view_accuracy_table(by_rate, "rate").sort_index()
    gap = table[HINDSIGHT] - table[RULES]
    if (gap > SEED_NOISE).all():
        verdict = "hindsight"
    elif (gap < -SEED_NOISE).all():
        verdict = "real time"
    else:
        verdict = "depends on the rate"
    text = (
        f"**Hindsight reads the past better.** In every rate band the hindsight view's macro-F1 "
        f"is {gap.min():.2f} to {gap.max():.2f} above the real-time rules': use it for histories "
        "(transitions, survival), and the real-time view only for the stage a customer is in now."
        if verdict == "hindsight"
        else "**Real time or hindsight.** The better view "
        + (
            "is the real-time rules in every band."
            if verdict == "real time"
            else "depends on the rate: "
            + join_and(f"{r:g} a month {g:+.2f}" for r, g in gap.items())
            + " (hindsight minus real time)."
        )
    )
    numbers = {"gap_min": float(gap.min()), "gap_max": float(gap.max())}
    return Finding("views", verdict, numbers, text)


def hmm_finding(f1: pd.DataFrame) -> Finding:
    """The HMM of Netzer et al. against the lifecycle model and the rules on one simulated log.

    ``f1``: per-stage F1 with a ``macro`` row and the columns ``rules``,
    ``hindsight model`` and ``hmm``. The verdict is the best column by macro-F1.
    """
    macro = f1.loc["macro"].astype(float)
    best = str(macro.idxmax())
    names = {"rules": "the real-time rules", "hindsight model": "the hindsight lifecycle model"}
    names["hmm"] = "the hidden Markov model of Netzer et al."
    parts = [f"{names.get(c, c)} {v:.2f}" for c, v in macro.sort_values(ascending=False).items()]
    text = (
        f"**The Netzer hidden Markov model is {'the best' if best == 'hmm' else 'not the best'} "
        f"reading.** Macro-F1 on the evaluation log: {join_and(parts)}"
    )
    text += (
        "; its levels are shared by all customers, so it cannot follow each customer's own "
        "growth: the study keeps the lifecycle model for hindsight."
        if best != "hmm"
        else "."
    )
    return Finding("hmm", best, {c: float(v) for c, v in macro.items()}, text)


def threshold_finding(tuning: pd.DataFrame) -> Finding:
    """Macro-F1 on the tuning seed with each threshold moved: the largest gain and the largest loss.

    ``tuning``: :func:`analysis.lifecycle.threshold_sensitivity` with ``truth``
    (``threshold``, ``change``, ``macro_f1``; the first row ``(defaults)``).
    The verdict: "local optimum" when no move gains more than :data:`SEED_NOISE`, else
    the threshold whose move gains the most.
    """
    base = float(tuning.loc[tuning["threshold"] == "(defaults)", "macro_f1"].iloc[0])
    moves = tuning.loc[tuning["threshold"] != "(defaults)"].copy()
    moves["gain"] = moves["macro_f1"].astype(float) - base
    best = moves.loc[moves["gain"].idxmax()]
    worst = moves.loc[moves["gain"].idxmin()]
    verdict = "local optimum" if best["gain"] <= SEED_NOISE else str(best["threshold"])
    text = (
        f"**The default thresholds.** On the seed they were tuned on they score {base:.3f}; "
        f"moving one by a quarter costs up to {-worst['gain']:.3f} (`{worst['threshold']}` "
        f"{worst['change']})"
    )
    text += (
        f" and gains at most {best['gain']:+.3f}: the defaults sit at a local optimum up to the "
        "seed-to-seed noise."
        if verdict == "local optimum"
        else f", and moving `{best['threshold']}` by {best['change']} gains {best['gain']:.3f}: "
        "the defaults are not at a local optimum for this simulator."
    )
    numbers = {"base": base, "best_gain": float(best["gain"]), "worst_loss": float(-worst["gain"])}
    return Finding("thresholds", verdict, numbers, text)


def setting_finding(by_setting: pd.DataFrame) -> Finding:
    """The simulator setting hardest for the real-time rules, on fresh seeds."""
    table = view_accuracy_table(by_setting, "setting")
    fresh = table.loc[[s for s in table.index if "tuning" not in str(s)], RULES].astype(float)
    worst = str(fresh.idxmin())
    text = (
        f"**The hardest relationships to read.** Across the simulator's settings the real-time "
        f"rules score {fresh.min():.2f} to {fresh.max():.2f}; the hardest is {worst} "
        f"({fresh[worst]:.2f})."
    )
    return Finding("settings", worst, {str(s): float(v) for s, v in fresh.items()}, text)


def methods_findings(
    by_rate: pd.DataFrame, by_setting: pd.DataFrame, f1: pd.DataFrame, tuning: pd.DataFrame
) -> list[Finding]:
    """The methods report's opening findings, in order: rate, views, settings, HMM, thresholds."""
    return [
        rate_finding(by_rate),
        view_finding(by_rate),
        setting_finding(by_setting),
        hmm_finding(f1),
        threshold_finding(tuning),
    ]
