"""Validity of the stages on a holdout: do customers' stages at a cut-off order what they buy next?

The stages are assigned from the log up to ``calibration_end`` only, so each
customer's stage in its last calibration period is what the firm knew at the
cut-off. The log after it (the holdout) then shows whether the stages mean
what the domain says (``docs/domain.md#stages``): stability is the plateau
at the peak of the relationship, formation the growth towards it,
exploration the trial of few orders and decline the fall or stop. So
customers should buy most in the holdout from stability, then formation,
then exploration, then decline (:data:`STAGE_ORDER`); the order is taken
from the domain, not fitted to the outcome.

:func:`holdout_validation` tabulates the holdout by stage and checks that
order among the stages with enough customers, and scores "active in the
holdout" (at least one purchase day) with three rankings: the stage as an
ordinal score (:data:`STAGE_SCORE`), the BG/NBD expected holdout purchases
and P(alive) of a BG/NBD fitted on the calibration summary. Under the BG/NBD
a customer without a repeat purchase is alive with probability one, so
P(alive) is also scored among repeat buyers only (``auc_repeat_buyers``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..models.beta_geo import BetaGeo
from ..models.convergence import ConvergenceError
from ..ranks import rank_auc
from ..rfm import summarize
from ..units import STAGES
from ..validate import DataValidationError
from .stages import assign_stages, current_stage

__all__ = [
    "STAGE_ORDER",
    "STAGE_SCORE",
    "HoldoutValidation",
    "ranking_auc",
    "stage_holdout_table",
    "stage_order_check",
    "holdout_validation",
]

#: the stages from most to least holdout buying expected by the domain: stability is the
#: plateau at the peak, formation grows towards it, exploration is a trial of few orders,
#: decline is falling or stopped
STAGE_ORDER: tuple[str, ...] = ("stability", "formation", "exploration", "decline")
#: the stage as an ordinal score for "active in the holdout" (higher = more likely active)
STAGE_SCORE: dict[str, int] = {s: len(STAGE_ORDER) - 1 - i for i, s in enumerate(STAGE_ORDER)}


@dataclass(frozen=True)
class HoldoutValidation:
    """The result of :func:`holdout_validation`.

    Attributes
    ----------
    by_stage : DataFrame
        Indexed by stage (lifecycle order): ``customers``,
        ``holdout_purchase_days`` (mean per customer), ``active_share``
        (share with at least one holdout purchase day), ``expected_purchases``
        (mean BG/NBD prediction for the holdout) and ``checked`` (the stage
        has at least ``min_customers`` customers and enters the order check).
    auc : DataFrame
        Indexed by score (``stage``, ``expected_purchases``, ``p_alive``):
        ``auc`` for "active in the holdout" over all customers,
        ``auc_repeat_buyers`` over the customers with a repeat purchase in the
        calibration period, ``customers`` and ``active`` (all customers).
    ordered : bool
        Whether the checked stages' mean holdout purchase days fall strictly
        in :data:`STAGE_ORDER` (False when fewer than two stages are checked).
    out_of_order : tuple of (str, str)
        The neighbouring checked stages (expected higher, expected lower)
        whose means do not fall.
    customers : DataFrame
        Per customer: ``stage``, ``reason``, ``frequency`` (calibration
        repeat purchases), ``holdout_purchase_days``, ``active``,
        ``expected_purchases``, ``p_alive``.
    calibration_end, holdout_end : Timestamp
        The cut-off and the last day of the holdout.
    holdout_length : float
        The holdout's length in periods.
    view : str
        The stage view used.
    min_customers : int
        The smallest stage that enters the order check.
    bgnbd_note : str or None
        Why the BG/NBD could not be fitted on the calibration summary (no
        repeat buyer, a fit that cannot converge); then ``by_stage`` has no
        ``expected_purchases``, ``auc`` only the ``stage`` row, and the
        per-customer BG/NBD columns are NaN. None when it was fitted.
    """

    by_stage: pd.DataFrame
    auc: pd.DataFrame
    ordered: bool
    out_of_order: tuple[tuple[str, str], ...]
    customers: pd.DataFrame
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    holdout_length: float
    view: str
    min_customers: int
    bgnbd_note: str | None = None


def ranking_auc(score, outcome) -> float:
    """Area under the ROC curve of ``score`` for a boolean ``outcome`` (ties count one half).

    The Mann-Whitney statistic from mid-ranks: the chance that a random
    positive scores above a random negative. NaN when the outcome has only
    one class (no ranking to judge).
    """
    values = np.asarray(score, dtype=float)
    labels = np.asarray(outcome, dtype=bool)
    if values.shape != labels.shape:
        raise ValueError(f"score and outcome differ in length ({len(values)} vs {len(labels)})")
    if np.isnan(values).any():
        raise ValueError("score holds missing values; every customer needs a score")
    return rank_auc(values, labels)


def stage_holdout_table(customers: pd.DataFrame, min_customers: int = 50) -> pd.DataFrame:
    """The holdout by stage: customers, mean holdout purchase days, active share, checked.

    Parameters
    ----------
    customers : DataFrame
        One row per customer: ``stage`` and ``holdout_purchase_days``; an
        optional ``expected_purchases`` is averaged too.
    min_customers : int
        Stages with at least this many customers are ``checked``.

    Returns
    -------
    DataFrame
        Indexed by stage, all four in lifecycle order (see
        :class:`HoldoutValidation` for the columns).
    """
    missing = [c for c in ("stage", "holdout_purchase_days") if c not in customers.columns]
    if missing:
        raise DataValidationError(f"the customers table needs column(s) {missing}")
    unknown = sorted(set(customers["stage"].astype(str)) - set(STAGES))
    if unknown:
        raise DataValidationError(f"unknown stage(s) {unknown}; the stages are {list(STAGES)}")
    stage = pd.Categorical(customers["stage"].astype(str), categories=list(STAGES))
    days = customers["holdout_purchase_days"].astype(float)
    frame = pd.DataFrame({"days": days.to_numpy(), "active": (days > 0).to_numpy()})
    groups = frame.groupby(stage, observed=False)
    table = pd.DataFrame(
        {
            "customers": groups.size().astype(np.int64),
            "holdout_purchase_days": groups["days"].mean(),
            "active_share": groups["active"].mean(),
        }
    )
    if "expected_purchases" in customers.columns:
        expected = customers["expected_purchases"].astype(float).to_numpy()
        table["expected_purchases"] = pd.Series(expected).groupby(stage, observed=False).mean()
    table["checked"] = table["customers"] >= min_customers
    table.index = pd.Index(list(STAGES), name="stage")
    return table


def stage_order_check(by_stage: pd.DataFrame) -> tuple[bool, tuple[tuple[str, str], ...]]:
    """Whether the checked stages' mean holdout purchase days fall strictly in :data:`STAGE_ORDER`.

    Parameters
    ----------
    by_stage : DataFrame
        Output of :func:`stage_holdout_table` (``holdout_purchase_days`` and
        ``checked`` by stage).

    Returns
    -------
    ordered : bool
        True when at least two stages are checked and every neighbouring
        pair among them falls; fewer than two checked stages show no order.
    out_of_order : tuple of (str, str)
        The neighbouring pairs (expected higher, expected lower) that do not fall.
    """
    checked = [s for s in STAGE_ORDER if s in by_stage.index and bool(by_stage.loc[s, "checked"])]
    means = by_stage["holdout_purchase_days"].astype(float)
    wrong = tuple(
        (high, low)
        for high, low in zip(checked[:-1], checked[1:], strict=True)
        if not means[high] > means[low]
    )
    return len(checked) >= 2 and not wrong, wrong


def _auc_table(
    customers: pd.DataFrame, with_bgnbd: bool = True, alive_ranks: bool = True
) -> pd.DataFrame:
    active = customers["active"].to_numpy()
    repeat = customers["frequency"].to_numpy() > 0
    stage_score = customers["stage"].astype(str).map(STAGE_SCORE).to_numpy(dtype=float)
    scores = {"stage": stage_score}
    if with_bgnbd:
        scores["expected_purchases"] = customers["expected_purchases"].to_numpy(dtype=float)
        scores["p_alive"] = customers["p_alive"].to_numpy(dtype=float)
    rows = {
        name: {
            "auc": ranking_auc(values, active),
            "auc_repeat_buyers": ranking_auc(values[repeat], active[repeat]),
            "customers": len(active),
            "active": int(active.sum()),
        }
        for name, values in scores.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    if "p_alive" in table.index and not alive_ranks:
        # a fit without dropout: P(alive) is 1 for everyone up to rounding, its order is noise
        table.loc["p_alive", ["auc", "auc_repeat_buyers"]] = np.nan
    table.index.name = "score"
    return table


def holdout_validation(
    transactions: pd.DataFrame,
    calibration_end,
    holdout_end=None,
    period: str = "M",
    view: str = "realtime",
    min_customers: int = 50,
    **thresholds: float,
) -> HoldoutValidation:
    """Stage every customer on the log up to ``calibration_end`` and check the stages on the holdout.

    Parameters
    ----------
    transactions : DataFrame
        The whole log: ``customer_id``, ``date`` (datetime64), ``amount``.
    calibration_end : date-like
        Last day of the calibration period (inclusive): the stages, the
        BG/NBD fit and every customer's history use nothing after it.
    holdout_end : date-like, optional
        Last day of the holdout (inclusive); defaults to the log's last
        purchase. Purchases after it are left out.
    period : {"D", "W", "M", "Q", "Y"}
        Length of a stage period, and the time unit of the BG/NBD fit.
    view : str
        The stage view passed to :func:`assign_stages` (``"realtime"``, the
        default, uses nothing after each period).
    min_customers : int
        Stages with fewer customers are shown but left out of the order check.
    **thresholds
        Stage thresholds for :func:`assign_stages`.

    Returns
    -------
    HoldoutValidation
        The table by stage, the AUC table, ``ordered`` and the per-customer table.

    Raises
    ------
    ValueError
        When the holdout is empty or no customer bought by ``calibration_end``.
    """
    cal = pd.Timestamp(calibration_end).normalize()
    dates = transactions["date"]
    end = pd.Timestamp(holdout_end).normalize() if holdout_end is not None else dates.max()
    if end <= cal:
        raise ValueError(
            f"the holdout is empty: holdout_end {end.date()} is not after calibration_end "
            f"{cal.date()}; pass a later holdout_end or an earlier calibration_end"
        )
    calibration = transactions.loc[dates <= cal]
    if calibration.empty:
        raise ValueError(f"no purchase on or before calibration_end {cal.date()}")
    # only customers known at the cut-off: later newcomers have no stage to validate
    known = transactions["customer_id"].isin(calibration["customer_id"].unique())
    log = transactions.loc[known & (dates <= end)]

    stages = current_stage(
        assign_stages(calibration, period, observation_end=cal, view=view, **thresholds)
    )
    summary = summarize(log, time_unit=period, observation_end=end, calibration_end=cal)
    length = float(summary["duration_holdout"].iloc[0])
    try:
        model = BetaGeo().fit(summary[["frequency", "recency", "T"]])
    except ConvergenceError as exc:  # no repeat buyer, a degenerate log: the stages go on alone
        model, bgnbd_note = None, str(exc)
    else:
        bgnbd_note = None
    customers = pd.DataFrame(
        {
            "stage": stages["stage"],
            "reason": stages["reason"],
            "frequency": summary["frequency"],
            "holdout_purchase_days": summary["frequency_holdout"].astype(np.int64),
            "active": summary["frequency_holdout"] > 0,
            "expected_purchases": np.nan
            if model is None
            else np.asarray(model.expected_purchases(summary, t=length), dtype=float),
            "p_alive": np.nan if model is None else np.asarray(model.p_alive(summary), dtype=float),
        },
        index=summary.index,
    )
    by_stage = stage_holdout_table(customers, min_customers)
    ordered, wrong = stage_order_check(by_stage)
    return HoldoutValidation(
        by_stage=by_stage if model is not None else by_stage.drop(columns="expected_purchases"),
        auc=_auc_table(
            customers,
            with_bgnbd=model is not None,
            alive_ranks=model is None or "no dropout" not in model.boundary_note,
        ),
        ordered=ordered,
        out_of_order=wrong,
        customers=customers,
        calibration_end=cal,
        holdout_end=end,
        holdout_length=length,
        view=view,
        min_customers=int(min_customers),
        bgnbd_note=bgnbd_note,
    )
