"""Stage runs: each customer's stage in the last period and how many periods it has lasted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lifecycle import current_stages

__all__ = ["latest_stages", "stage_durations"]


def latest_stages(
    transactions: pd.DataFrame, period: str, observation_end, **thresholds: float
) -> pd.DataFrame:
    """The customer table's stage columns: the last period's stage and the periods it has lasted.

    ``thresholds`` are those of :func:`analysis.lifecycle.assign_stages`; the
    stages are :func:`analysis.lifecycle.current_stages`' (the real-time view
    by rules), computed on the customers' purchase days without a customer x
    period panel.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted): ``stage`` (ordered categorical of
        :data:`analysis.units.STAGES`) and ``periods_in_stage`` (int >= 1).
    """
    stages = current_stages(
        transactions, period=period, observation_end=observation_end, **thresholds
    )
    return stages[["stage", "periods_in_stage"]]


def stage_durations(stages: pd.DataFrame) -> pd.Series:
    """Consecutive periods each customer has spent in its last stage, up to the last period.

    ``stages`` is the output of :func:`analysis.lifecycle.assign_stages`
    (``customer_id``, ``period``, ``stage``; one row per customer and period
    from the first purchase on, sorted by customer and period).

    Returns
    -------
    Series
        ``periods_in_stage`` (int >= 1) indexed by ``customer_id`` (sorted):
        the length of the last run of equal stages.
    """
    cust = stages["customer_id"].to_numpy()
    per = pd.PeriodIndex(stages["period"]).asi8
    new_cust = np.r_[True, cust[1:] != cust[:-1]]
    ordered = np.all(new_cust[1:] | (per[1:] > per[:-1])) and pd.Index(cust).is_monotonic_increasing
    if not ordered:
        raise ValueError("stages must be sorted by customer_id and period (as assign_stages gives)")
    stage = stages["stage"].cat.codes.to_numpy()
    run = np.cumsum(new_cust | np.r_[True, stage[1:] != stage[:-1]]) - 1
    run_length = np.bincount(run)
    last = np.r_[new_cust[1:], True]
    return pd.Series(
        run_length[run[last]].astype(np.int64),
        index=pd.Index(cust[last], name="customer_id"),
        name="periods_in_stage",
    )
