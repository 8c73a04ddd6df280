"""Reading of the stages' holdout validation: do the stages at a cut-off order what follows?

Takes the two tables of :func:`analysis.lifecycle.holdout.holdout_validation`
(``by_stage`` and ``auc``) and returns Markdown whose verdicts (ordered or
not, which ranking is better) are chosen from the numbers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lifecycle.holdout import STAGE_ORDER, stage_order_check
from ..ranks import auc_standard_error
from ._format import cap, count, join_and, pct
from .unavailable import unavailable

__all__ = ["SCORE_LABELS", "holdout_stage_reading"]

#: how the reading names each ranking of "active in the holdout"
SCORE_LABELS: dict[str, str] = {
    "stage": "the stage (as an ordinal score)",
    "expected_purchases": "BG/NBD expected purchases",
    "p_alive": "BG/NBD P(alive)",
}


def _order_text(by_stage: pd.DataFrame, min_customers: int | None) -> str:
    means = by_stage["holdout_purchase_days"].astype(float)
    checked = [s for s in STAGE_ORDER if bool(by_stage.loc[s, "checked"])]
    left_out = [
        f"{s} ({count(by_stage.loc[s, 'customers'])})"
        for s in STAGE_ORDER
        if not bool(by_stage.loc[s, "checked"])
    ]
    enough = f"at least {min_customers:,} customers" if min_customers else "enough customers"
    ordered, wrong = stage_order_check(by_stage)
    values = [f"{s} {means[s]:.2f}" for s in checked]
    if len(checked) < 2:
        text = (
            f"Fewer than two stages have {enough}, so the stages show no order of the holdout "
            "to check."
        )
    elif ordered:
        text = (
            f"Among the stages with {enough}, the mean holdout purchase days fall in the "
            f"lifecycle order: {', '.join(values)}. The stages read at the cut-off order what "
            "the customers bought next."
        )
    else:
        pairs = [
            f"{high} ({means[high]:.2f}) is not above {low} ({means[low]:.2f})"
            for high, low in wrong
        ]
        text = (
            f"Among the stages with {enough}, the mean holdout purchase days do **not** fall in "
            f"the lifecycle order ({', '.join(values)}): {join_and(pairs)}."
        )
    if left_out:
        text += f" Left out of the check: {join_and(left_out)}."
    return text


def _auc_text(auc: pd.DataFrame, bgnbd_note: str | None = None) -> str:
    n, k = int(auc["customers"].iloc[0]), int(auc["active"].iloc[0])
    text = f"Of {count(n)}, {k:,} ({pct(k / n)}) bought at least once in the holdout."
    if k in (0, n):
        return text + (
            f" With {'nobody' if k == 0 else 'everyone'} active there is nothing to rank: no "
            "score can be judged by its AUC on this holdout."
        )
    stage = float(auc.loc["stage", "auc"])
    if "expected_purchases" not in auc.index:
        text += f" As a ranking of who will, {SCORE_LABELS['stage']} reaches an AUC of {stage:.3f}."
        if bgnbd_note:
            text += " " + unavailable("the comparison with the BG/NBD model", bgnbd_note)
        return text
    text += " As a ranking of who will,"
    model = float(auc.loc["expected_purchases", "auc"])
    text += (
        f" {SCORE_LABELS['stage']} reaches an AUC of {stage:.3f} and "
        f"{SCORE_LABELS['expected_purchases']} {model:.3f}"
    )
    se = max(auc_standard_error(a, k, n - k) for a in (stage, model))
    if abs(stage - model) <= 2 * se:
        text += f": within two standard errors (about {se:.3f}), they rank about equally."
    else:
        better = "stage" if stage > model else "expected_purchases"
        verb = "rank" if better == "expected_purchases" else "ranks"
        text += f": {SCORE_LABELS[better]} {verb} better by {abs(stage - model):.3f}."
    if "p_alive" in auc.index and not np.isfinite(float(auc.loc["p_alive", "auc"])):
        text += (
            f" {cap(SCORE_LABELS['p_alive'])} is not scored: the fit sees no dropout, so it is 1 "
            "for every customer and cannot rank them."
        )
    elif "p_alive" in auc.index:
        alive = float(auc.loc["p_alive", "auc"])
        text += f" {cap(SCORE_LABELS['p_alive'])} reaches {alive:.3f}"
        repeat = (
            float(auc.loc["p_alive", "auc_repeat_buyers"]) if "auc_repeat_buyers" in auc else np.nan
        )
        if alive + 2 * auc_standard_error(alive, k, n - k) < 0.5:
            text += ", below chance: the customers it ranks first were more often inactive"
            if np.isfinite(repeat) and repeat > 0.5:
                text += (
                    f" (under the BG/NBD a customer without a repeat purchase is alive with "
                    f"probability one; among repeat buyers its AUC is {repeat:.3f})"
                )
        text += "."
    return text


def holdout_stage_reading(
    by_stage: pd.DataFrame,
    auc: pd.DataFrame,
    min_customers: int | None = None,
    bgnbd_note: str | None = None,
) -> str:
    """Whether the stages at the cut-off order the holdout, and how the stage ranks activity.

    Parameters
    ----------
    by_stage : DataFrame
        ``HoldoutValidation.by_stage``: by stage, ``customers``,
        ``holdout_purchase_days`` (mean) and ``checked``.
    auc : DataFrame
        ``HoldoutValidation.auc``: by score (``stage``,
        ``expected_purchases``, optional ``p_alive``), ``auc``,
        ``customers``, ``active`` and optional ``auc_repeat_buyers``.
    min_customers : int, optional
        The smallest stage checked, named in the text.
    bgnbd_note : str, optional
        ``HoldoutValidation.bgnbd_note``: why the BG/NBD was not fitted (then
        ``auc`` has only the ``stage`` row), said in a sentence.

    Returns
    -------
    str
        Markdown. "Ordered" means every neighbouring pair of checked stages
        falls strictly; two AUCs within two Hanley-McNeil standard errors
        (the larger) are said to rank about equally, otherwise the higher
        ranks better.
    """
    return f"**Reading.** {_order_text(by_stage, min_customers)} {_auc_text(auc, bgnbd_note)}"
