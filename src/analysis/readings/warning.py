"""Readings of the strategy report's early warning: the list, whether it warns, what drives inactivity.

Each function takes the table a section of ``05_strategy`` shows
(:func:`analysis.churn.early_warning`, :func:`analysis.churn.evaluate`,
:func:`analysis.churn.drivers`) and returns Markdown stating what its
numbers show: which score ranks best, whether the warning score is that
score, which way each driver moves the odds, all decided from the numbers.
:func:`warning_summary` counts the list by reason for display.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..churn import FEATURES, MIN_FEATURE_STD, REASONS, valuable
from ..ranks import auc_standard_error
from ..tables.format import join_and, percent, with_currency
from ..units import P_ALIVE_SURE

__all__ = [
    "FEW_OUTCOMES",
    "SCORE_NAMES",
    "drivers_reading",
    "evaluation_reading",
    "warning_reading",
    "warning_summary",
]

#: with fewer customers than this on either side of the outcome, AUC and lift are called uncertain
FEW_OUTCOMES: int = 50
#: the scores of :func:`analysis.churn.evaluate`, as the reading names them
SCORE_NAMES: dict[str, str] = {
    "early_warning": "the early-warning score",
    "p_alive": "P(alive) alone",
    "expected_purchases": "expected purchases alone",
    "logit_cv": "the cross-fitted Logit",
}
#: how each driver's odds ratio is read (the unit it is per)
_PER = {
    "log2_purchases": "per doubling of the purchases",
    "months_since_last": "per month of silence",
    "log2_cycle": "per doubling of the purchase cycle",
    "no_repeat": "without a repeat purchase",
    "log2_spend": "per doubling of the spend per purchase",
    "p_alive": "from P(alive) 0 to 1",
}


def warning_summary(warnings: pd.DataFrame) -> pd.DataFrame:
    """The early-warning list counted by reason (a customer may have several).

    Parameters
    ----------
    warnings : DataFrame
        :func:`analysis.churn.early_warning`.

    Returns
    -------
    DataFrame
        Index ``reason`` (every reason of :data:`analysis.churn.REASONS`,
        then ``any``: the whole list); columns ``customers``,
        ``share_of_list``, ``value_at_risk`` (summed, currency of
        ``clv_net``) and ``meaning``.
    """
    n = len(warnings)
    rows = {}
    for reason, meaning in REASONS.items():
        flag = warnings[reason].astype(bool)
        rows[reason] = {
            "customers": int(flag.sum()),
            "share_of_list": flag.sum() / n if n else np.nan,
            "value_at_risk": float(warnings.loc[flag, "value_at_risk"].sum()),
            "meaning": meaning,
        }
    rows["any"] = {
        "customers": n,
        "share_of_list": 1.0 if n else np.nan,
        "value_at_risk": float(warnings["value_at_risk"].sum()),
        "meaning": "at least one reason: the list",
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("reason")


def warning_reading(
    warnings: pd.DataFrame,
    table: pd.DataFrame,
    *,
    tiers=None,
    shown: int = 20,
    currency: str = "$",
) -> str:
    """How many valuable customers are flagged, for what, and how much value they carry.

    Parameters
    ----------
    warnings : DataFrame
        :func:`analysis.churn.early_warning` of ``table`` (its
        ``attrs["top_tiers"]`` name the valuable tiers).
    table : DataFrame
        The customer table it was drawn from (``clv_net``).
    tiers : Series, optional
        The tiers given to :func:`analysis.churn.early_warning`, if any;
        :func:`analysis.segments.clv_tiers` of ``table`` by default.
    shown : int
        How many of the list the report shows.
    currency : str
        Sign written before money.

    Returns
    -------
    str
        Markdown.
    """
    top_tiers = warnings.attrs.get("top_tiers", ("high", "medium"))
    _, is_valuable = valuable(table, tiers, top_tiers)
    n_valuable = int(is_valuable.sum())
    n = len(warnings)
    tiers = f"the {join_and(top_tiers)} value tier{'s' if len(top_tiers) > 1 else ''}"
    if n == 0:
        return f"No customer of {tiers} ({n_valuable:,} customers) is flagged for any reason."
    total = float(table["clv_net"].sum())
    risk = float(warnings["value_at_risk"].sum())
    text = [
        f"Of the {n_valuable:,} customers in {tiers}, {n:,} ({percent(n / n_valuable)}) are "
        f"flagged; their value at risk sums to {with_currency(f'{risk:,.0f}', currency)}"
        + (f", {percent(risk / total)} of the whole base's value." if total > 0 else ".")
    ]
    counts = warnings[list(REASONS)].sum().sort_values(ascending=False, kind="stable")
    said = [f"{r} {int(c):,}" for r, c in counts.items() if c > 0]
    many = int((warnings[list(REASONS)].drop(columns="entered_decline").sum(axis=1) > 1).sum())
    text.append(
        f"By reason: {join_and(said)}; the most common is {counts.index[0]}"
        + (
            f"; {many:,} are flagged for more than one reason (entering decline counted as part "
            "of being in decline)."
            if many
            else "."
        )
    )
    alive = int((warnings["p_alive"] >= P_ALIVE_SURE).sum())
    if float(table["p_alive"].std(ddof=0)) < MIN_FEATURE_STD:
        text.append(
            "P(alive) is the same for every customer (the count model found no dropout), so "
            "only the stage and the silence can flag a customer here."
        )
    elif alive:
        text.append(
            f"{alive:,} of the flagged still {'has' if alive == 1 else 'have'} P(alive) of "
            f"{P_ALIVE_SURE:g} or more: stage or silence warns while the model counts "
            f"{'it' if alive == 1 else 'them'} as active."
        )
    if n > shown:
        head = float(warnings["value_at_risk"].head(shown).sum())
        text.append(
            ("The first listed holds " if shown == 1 else f"The {shown} listed first hold ")
            + f"{percent(head / risk)} of the list's value at risk."
            if risk > 0
            else ""
        )
    return " ".join(t for t in text if t)


def evaluation_reading(
    evaluation: pd.DataFrame, calibration_table: pd.DataFrame | None = None
) -> str:
    """Which score ranks holdout inactivity best, and whether the early-warning score is that score.

    Parameters
    ----------
    evaluation : DataFrame
        :func:`analysis.churn.evaluate` (index ``score``; ``auc``, ``lift``,
        ``hit_rate``, ``base_rate``, ``n``, ``n_inactive``).
    calibration_table : DataFrame, optional
        The calibration customer table; when its P(alive) does not vary
        (a count model without dropout) the reading says that score is noise.

    Returns
    -------
    str
        Markdown. "Best" is the highest AUC; a lead within two standard
        errors (Hanley-McNeil, the larger of the two) is called unclear.
    """
    ev = evaluation.sort_values("auc", ascending=False, kind="stable")
    n, k = int(ev["n"].iloc[0]), int(ev["n_inactive"].iloc[0])
    fraction = float(evaluation.attrs.get("fraction", 0.1))
    name = {s: SCORE_NAMES.get(s, s) for s in ev.index}
    se = {s: auc_standard_error(a, k, n - k) for s, a in ev["auc"].items()}
    who = str(evaluation.attrs.get("population", "customers"))
    who = who.replace("[", "").replace("]", "").replace("'", "")
    text = [
        f"Of the {n:,} customers evaluated ({who}), {k:,} ({percent(k / n)}) made no purchase "
        "in the holdout."
    ]
    ranked = [f"{name[s]} {a:.3f}" for s, a in ev["auc"].items()]
    best = ev.index[0]
    text.append(f"The AUCs, best first: {join_and(ranked)}; the best is {name[best]}.")
    if len(ev) > 1:
        second = ev.index[1]
        lead = float(ev["auc"].iloc[0] - ev["auc"].iloc[1])
        if lead < 2 * max(se[best], se[second]):
            text.append(
                f"Its lead over {name[second]} ({lead:.3f}) is within two standard errors "
                f"(about {max(se[best], se[second]):.3f}), so the two rank about equally."
            )
    if "early_warning" in ev.index:
        if best == "early_warning":
            text.append("The early-warning score is the best of the scores compared.")
        else:
            gap = float(ev.loc[best, "auc"] - ev.loc["early_warning", "auc"])
            text.append(
                f"The early-warning score is **not** the best: its AUC is {gap:.3f} below that "
                f"of {name[best]}."
            )
    flat = (
        calibration_table is not None
        and "p_alive" in ev.index
        and float(calibration_table["p_alive"].std(ddof=0)) < MIN_FEATURE_STD
    )
    judged = [s for s in ev.index if not (flat and s == "p_alive")]
    below = [name[s] for s in judged if ev.loc[s, "auc"] + 2 * se[s] < 0.5]
    chance = [name[s] for s in judged if abs(ev.loc[s, "auc"] - 0.5) <= 2 * se[s]]
    if below:
        text.append(
            f"{_first_up(join_and(below))} rank{'s' if len(below) == 1 else ''} below chance "
            "(AUC under 0.5 by more than two standard errors): the customers it ranks first "
            "were more often active."
        )
    if chance:
        text.append(
            f"{_first_up(join_and(chance))} cannot be told from chance (AUC within two "
            "standard errors of 0.5)."
        )
    by_lift = ev.sort_values("lift", ascending=False, kind="stable")
    top = by_lift.index[0]
    row = by_lift.iloc[0]
    text.append(
        f"In the top {percent(fraction, 0)} by each score, {name[top]} finds the most inactive "
        f"customers: {percent(row['hit_rate'])} of them against {percent(row['base_rate'])} "
        f"overall (lift {row['lift']:.2f})"
        + ("." if top == best else ", although it is not the best by AUC.")
    )
    if "early_warning" in ev.index and top != "early_warning":
        text.append(f"The early-warning score's lift is {ev.loc['early_warning', 'lift']:.2f}.")
    for score, why in evaluation.attrs.get("not_estimated", {}).items():
        text.append(
            f"{_first_up(SCORE_NAMES.get(score, score))} could not be estimated on this log and "
            f"is left out ({why.rstrip('.')})."
        )
    if min(k, n - k) < FEW_OUTCOMES:
        side = "inactive" if k < n - k else "active"
        text.append(
            f"Only {min(k, n - k):,} customers were {side}, so these figures are uncertain."
        )
    if flat:
        spread = float(calibration_table["p_alive"].std(ddof=0))
        text.append(
            "P(alive) is the same for every customer here (standard deviation "
            f"{spread:.2g}: the count model found no dropout), so its ranking is noise and is "
            "not judged."
        )
    return " ".join(text)


def _first_up(text: str) -> str:
    return text[:1].upper() + text[1:]


def _effect(term: str, odds_ratio: float, reference: str | None) -> str:
    if term.startswith("stage_"):
        per = f"in {term.removeprefix('stage_')} rather than {reference}"
    else:
        per = _PER.get(term, f"per unit of {term}")
    way = "raises" if odds_ratio > 1 else "lowers"
    return f"{term} (odds ratio {odds_ratio:.2f} {per}: {way} the odds of inactivity)"


def drivers_reading(
    drivers: pd.DataFrame,
    left_out: Mapping[str, str] | None = None,
    *,
    alpha: float = 0.05,
    strongest: int = 3,
) -> str:
    """The strongest drivers of inactivity, their direction from the odds ratio, and the rest.

    Parameters
    ----------
    drivers : DataFrame
        :func:`analysis.churn.drivers` (index ``term``; ``coef``,
        ``odds_ratio``, ``p_value``; ``attrs`` ``n``, ``n_inactive``,
        ``pseudo_r2``, ``reference_stage``).
    left_out : mapping, optional
        Features left out of the fit and why
        (:func:`analysis.churn.informative_features`).
    alpha : float
        Significance level of the Wald test.
    strongest : int
        How many significant terms to name as the strongest (largest
        ``|coef|``, each per its own unit).

    Returns
    -------
    str
        Markdown.
    """
    terms = drivers.drop(index="const", errors="ignore")
    a = drivers.attrs
    text = [
        f"The Logit is fitted on {a.get('n', 0):,} customers, {a.get('n_inactive', 0):,} of them "
        f"inactive in the holdout (McFadden pseudo R2 {a.get('pseudo_r2', np.nan):.2f})."
    ]
    ref = a.get("reference_stage")
    sig = terms.loc[terms["p_value"] < alpha]
    sig = sig.reindex(sig["coef"].abs().sort_values(ascending=False, kind="stable").index)
    if len(sig):
        named = [_effect(t, r["odds_ratio"], ref) for t, r in sig.head(strongest).iterrows()]
        text.append(
            f"The largest effects significant at {percent(alpha, 0)}, each per its own unit: "
            f"{join_and(named)}."
        )
        rest = [_effect(t, r["odds_ratio"], ref) for t, r in sig.iloc[strongest:].iterrows()]
        if rest:
            text.append(f"Also significant: {join_and(rest)}.")
    else:
        text.append(f"No feature is significant at {percent(alpha, 0)}.")
    weak = terms.index[terms["p_value"] >= alpha].tolist()
    if weak:
        text.append(f"Not significant: {join_and(weak)}.")
    for feature, why in (left_out or {}).items():
        what = FEATURES.get(feature, feature).split(" (")[0]
        text.append(f"Left out: {feature} ({what}), {why}.")
    for column, why in a.get("dropped", {}).items():
        text.append(
            f"Left out: {column}, because {why} in the holdout: its odds ratio would be 0 or "
            "infinite (separation)."
        )
    return " ".join(text)
