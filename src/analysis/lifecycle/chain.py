"""The stages as a Markov chain: transitions, the projected stage mix, stage rewards and stage CLV.

The chain's states are the four stages of :data:`analysis.units.STAGES`;
its transitions are counted between consecutive periods of the same
customer in a stages frame (:func:`analysis.lifecycle.assign_stages`, or
any frame with ``customer_id``, ``period`` and ``stage``, such as
:func:`analysis.lifecycle.hmm_stages`). With each stage's mean profit per
customer-period as its reward, the chain values a customer by its current
stage (Pfeifer-Carraway, :func:`analysis.clv.markov_clv`).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..clv.markov import transition_matrix_from_counts
from ..panel import check_period
from ..units import STAGES, TIME_UNITS, per_period_rate, units_per_year
from ..validate import DataValidationError, require_columns
from ._common import require_stages
from .stages import current_stage

__all__ = [
    "transition_counts",
    "transition_matrix",
    "project_stage_mix",
    "stage_rewards",
    "stage_clv",
]


def _stages_period(stages: pd.DataFrame, period: str | None) -> str:
    """The period alias of a stages frame (given, from assign_stages' attrs, or from the dtype)."""
    if period is not None:
        return check_period(period)
    if stages.attrs.get("period") in TIME_UNITS:
        return stages.attrs["period"]
    freq = getattr(stages["period"].dtype, "freq", None)
    if freq is not None:
        code = freq.freqstr.upper()
        for alias in ("M", "W", "Q", "D"):
            if code.startswith(alias):
                return alias
        if code.startswith(("Y", "A")):
            return "Y"
    raise ValueError("cannot tell the length of a period from the stages frame; pass period=")


def _pairs(stages: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Stage codes of consecutive periods of the same customer (from, to)."""
    require_stages(stages)
    frame = stages[["customer_id", "period", "stage"]].sort_values(
        ["customer_id", "period"], kind="stable"
    )
    cust, _ = pd.factorize(frame["customer_id"])
    per = pd.PeriodIndex(frame["period"]).asi8
    names = frame["stage"].astype(str)
    known = names.isin(STAGES).to_numpy()
    if not known.all():
        bad = sorted(set(names[~known]))
        raise DataValidationError(
            f"column 'stage' holds unknown stage(s) {bad}; stages are {list(STAGES)}"
        )
    code = pd.Categorical(names, categories=list(STAGES)).codes
    same = (cust[1:] == cust[:-1]) & (per[1:] - per[:-1] == 1)
    return code[:-1][same], code[1:][same]


def transition_counts(stages: pd.DataFrame) -> pd.DataFrame:
    """Counts of period-to-period stage transitions (rows: from, columns: to).

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`analysis.lifecycle.assign_stages` (``customer_id``,
        ``period``, ``stage``); only consecutive periods of the same customer
        count.

    Returns
    -------
    DataFrame
        4 x 4 integer counts, stages in lifecycle order.
    """
    a, b = _pairs(stages)
    k = len(STAGES)
    counts = np.bincount(a * k + b, minlength=k * k).reshape(k, k)
    return pd.DataFrame(
        counts.astype(np.int64),
        index=pd.Index(list(STAGES), name="from"),
        columns=pd.Index(list(STAGES), name="to"),
    )


def transition_matrix(stages: pd.DataFrame) -> pd.DataFrame:
    """Period-to-period stage transition probabilities: the lifecycle as a Markov chain.

    Row i holds the share of customer-periods in stage i that are in each
    stage one period later (counts from :func:`transition_counts`), estimated
    by the project's one chain estimator,
    :func:`analysis.clv.markov.transition_matrix_from_counts`. Its policy
    for a stage never observed with a following period: the row stays put
    (the stage is absorbing), with an
    :class:`~analysis.clv.markov.AbsorbingStateWarning` naming it, so every
    row sums to 1.

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`analysis.lifecycle.assign_stages`.

    Returns
    -------
    DataFrame
        4 x 4, index ``from``, columns ``to``; rows sum to 1.
    """
    counts = transition_counts(stages)
    # the estimator's warning is re-issued here, so that it points at the caller's line
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        P = transition_matrix_from_counts(counts)
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    return P.astype(float)


def project_stage_mix(P: pd.DataFrame, start, periods: int) -> pd.DataFrame:
    """Project the stage mix ``periods`` periods ahead with the transition matrix.

    Parameters
    ----------
    P : DataFrame
        Transition matrix from :func:`transition_matrix` (rows sum to 1).
    start : Series or DataFrame
        The mix now: a Series of counts or shares per stage, or a stages frame
        (then the latest stage of each customer is counted).
    periods : int
        Number of periods to project.

    Returns
    -------
    DataFrame
        Index ``step`` 0..periods (0 = now), one column per stage: shares.
    """
    from ..clv import project_shares

    if isinstance(start, pd.DataFrame):
        start = current_stage(start)["stage"].astype(str).value_counts()
    start = pd.Series(start, dtype=float).reindex(list(P.index), fill_value=0.0)
    if (start < 0).any() or start.sum() <= 0:
        raise ValueError(
            f"start must hold non-negative counts or shares per stage, got {start.to_dict()}"
        )
    if int(periods) != periods or periods < 0:
        raise ValueError(f"periods must be a non-negative whole number, got {periods!r}")
    mix = project_shares(start / start.sum(), P, int(periods))
    mix.index.name = "step"
    mix.columns = pd.Index(list(P.columns), name="stage")
    return mix


def stage_rewards(
    stages: pd.DataFrame,
    margin: float = 0.3,
    cost_per_purchase: float = 0.0,
) -> pd.DataFrame:
    """Mean purchases, revenue and profit per customer-period in each stage.

    Profit is ``margin x revenue - cost_per_purchase x purchases``: the log has
    no costs (CDNOW has none), so the margin and the cost per purchase are
    assumptions the caller states.

    Parameters
    ----------
    stages : DataFrame
        ``stage``, ``purchases`` and ``spend`` per customer-period (the output
        of :func:`analysis.lifecycle.assign_stages`).
    margin, cost_per_purchase : float
        The profit's assumptions.

    Returns
    -------
    DataFrame
        Indexed by stage: ``customer_periods``, ``purchases``, ``revenue``,
        ``profit`` (means per customer-period; 0 for a stage never seen).
    """
    require_columns(stages, {"stage": "stage", "purchases": "purchases", "spend": "spend"})
    profit = margin * stages["spend"] - cost_per_purchase * stages["purchases"]
    frame = pd.DataFrame(
        {
            "stage": pd.Categorical(stages["stage"].astype(str), categories=list(STAGES)),
            "purchases": stages["purchases"].astype(float),
            "revenue": stages["spend"].astype(float),
            "profit": profit.astype(float),
        }
    )
    grouped = frame.groupby("stage", observed=False)
    out = grouped[["purchases", "revenue", "profit"]].mean()
    out.insert(0, "customer_periods", grouped.size().astype(np.int64))
    out = out.reindex(list(STAGES))
    out.index.name = "stage"
    return out.fillna(0.0)


def stage_clv(
    stages: pd.DataFrame,
    margin: float = 0.3,
    cost_per_purchase: float = 0.0,
    annual_discount_rate: float = 0.10,
    horizon_years: float = 3.0,
    period: str | None = None,
    P: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Stage-based CLV: the discounted profit of the next ``horizon_years`` by current stage.

    The stage transition matrix is the Markov chain and each stage's mean
    profit per customer-period is its reward (Pfeifer-Carraway, through
    :func:`analysis.clv.markov_clv`). The current period is not counted (its
    profit is already earned); the periods 1..H of the horizon are, each
    discounted at the per-period rate equivalent to ``annual_discount_rate``
    (:func:`analysis.units.per_period_rate`).

    Parameters
    ----------
    stages : DataFrame
        Output of :func:`analysis.lifecycle.assign_stages`.
    margin, cost_per_purchase : float
        Profit = margin x revenue - cost per purchase x purchases (assumptions:
        the log carries no costs).
    annual_discount_rate : float
        Yearly discount rate (the firm's cost of capital; 10% by default).
    horizon_years : float
        Horizon in years (3 by default: the three-year practice of
        ``docs/domain.md#horizon-and-discounting``).
    period : str, optional
        Length of a period; read from ``stages`` when omitted.
    P : DataFrame, optional
        A transition matrix to use instead of the one estimated from ``stages``.

    Returns
    -------
    DataFrame
        Indexed by stage: ``customers`` (now in the stage), ``reward`` (mean
        profit per period), ``clv`` (expected discounted profit over the
        horizon for a customer now in the stage) and ``total_clv``
        (customers x clv).
    """
    from ..clv import markov_clv

    period = _stages_period(stages, period)
    discount = per_period_rate(annual_discount_rate, period)
    horizon = int(round(horizon_years * units_per_year(period)))
    if P is None:
        P = transition_matrix(stages)
    rewards = stage_rewards(stages, margin=margin, cost_per_purchase=cost_per_purchase)["profit"]
    clv = markov_clv(P, rewards, discount, horizon=horizon, first_period=1)
    now = current_stage(stages)["stage"].astype(str).value_counts()
    now = now.reindex(list(STAGES), fill_value=0)
    out = pd.DataFrame(
        {
            "customers": now.to_numpy().astype(np.int64),
            "reward": rewards.reindex(list(STAGES)).to_numpy(),
            "clv": pd.Series(clv).reindex(list(STAGES)).to_numpy(),
        },
        index=pd.Index(list(STAGES), name="stage"),
    )
    out["total_clv"] = out["customers"] * out["clv"]
    return out
