"""The purchase-history kernel: each customer's purchase days, revenue and gaps, from sorted arrays.

Purchases on the same day are one purchase (a purchase day), as in
:func:`analysis.rfm.summarize`. The log is reduced to one integer key per
row (customer code x days + day), sorted once; the gaps between successive
purchase days are sorted the same way for their medians.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["CURRENT_VALUE_DAYS", "HISTORY_COLUMNS", "purchase_history"]

#: the days up to observation_end whose revenue makes the current value
CURRENT_VALUE_DAYS: int = 365
#: the table's columns from purchase_history
HISTORY_COLUMNS: tuple[str, ...] = (
    "purchases", "revenue", "first_purchase", "last_purchase", "days_since_last",
    "purchase_cycle_days", "interpurchase_cv",
)  # fmt: skip


def _epoch_days(dates) -> np.ndarray:
    """Days since 1970-01-01 of a datetime column (the day of each instant), as int64."""
    return np.asarray(dates).astype("datetime64[D]").astype(np.int64)


def purchase_history(
    transactions: pd.DataFrame,
    observation_end,
    current_days: int = CURRENT_VALUE_DAYS,
) -> pd.DataFrame:
    """Per-customer purchase history in days, vectorised over the log.

    ``transactions`` holds ``customer_id``, ``date`` (datetime64) and
    ``amount``; purchases on the same day are one purchase (a purchase day),
    as in :func:`analysis.rfm.summarize`. ``observation_end`` is the last day
    observed; ``recent_revenue`` counts the purchases on the ``current_days``
    days up to and including it.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted): ``purchases`` (purchase days,
        int), ``revenue`` (total amount), ``first_purchase`` and
        ``last_purchase`` (the days, Timestamps), ``days_since_last`` (days
        from the last purchase to ``observation_end``, float),
        ``purchase_cycle_days`` (median days between successive purchase
        days; NaN without a repeat purchase), ``interpurchase_cv`` (sample
        standard deviation (ddof=1) / mean of those gaps; NaN with fewer than
        two gaps) and ``recent_revenue`` (amount in the window).
    """
    codes, ids = pd.factorize(transactions["customer_id"], sort=True)
    if (codes < 0).any():
        raise ValueError(
            f"column 'customer_id': {int((codes < 0).sum())} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    n = len(ids)
    day = _epoch_days(transactions["date"].to_numpy())
    amount = transactions["amount"].to_numpy(dtype=float)
    end_day = int(np.datetime64(pd.Timestamp(observation_end).date(), "D").astype(np.int64))

    revenue = np.bincount(codes, weights=amount, minlength=n)
    recent = day > end_day - int(current_days)
    recent_revenue = np.bincount(codes[recent], weights=amount[recent], minlength=n)
    del recent

    # one key per row, customer first and day second: sorted, the distinct keys are the
    # purchase days of each customer in date order
    first = int(day.min())
    span = int(day.max()) - first + 1
    key = np.sort(codes.astype(np.int64) * span + (day - first))
    del day
    key = key[np.r_[True, key[1:] != key[:-1]]]
    c = key // span
    d = key - c * span + first
    del key
    purchases = np.bincount(c, minlength=n)
    last_row = np.cumsum(purchases) - 1
    first_day, last_day = d[last_row - purchases + 1], d[last_row]

    same = c[1:] == c[:-1]
    gap_c, gap_days = c[1:][same], np.diff(d)[same]
    del c, d, same
    gaps = gap_days.astype(float)
    n_gaps = np.bincount(gap_c, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(gap_c, weights=gaps, minlength=n) / n_gaps
        sq = np.bincount(gap_c, weights=(gaps - mean[gap_c]) ** 2, minlength=n)
        cv = np.where(n_gaps >= 2, np.sqrt(sq / (n_gaps - 1)) / mean, np.nan)
    del gaps
    # median per customer: the gaps sorted within customer (one integer key again), the
    # middle one or two averaged
    width = int(gap_days.max()) + 1 if gap_days.size else 1
    sorted_gaps = (np.sort(gap_c * width + gap_days) % width).astype(float)
    del gap_c, gap_days
    start = np.cumsum(n_gaps) - n_gaps
    has = n_gaps > 0
    lo = (start + (n_gaps - 1) // 2)[has]
    hi = (start + n_gaps // 2)[has]
    median = np.full(n, np.nan)
    median[has] = 0.5 * (sorted_gaps[lo] + sorted_gaps[hi])

    return pd.DataFrame(
        {
            "purchases": purchases.astype(np.int64),
            "revenue": revenue,
            "first_purchase": pd.to_datetime(first_day.astype("datetime64[D]")).as_unit("ns"),
            "last_purchase": pd.to_datetime(last_day.astype("datetime64[D]")).as_unit("ns"),
            "days_since_last": (end_day - last_day).astype(float),
            "purchase_cycle_days": median,
            "interpurchase_cv": cv,
            "recent_revenue": recent_revenue,
        },
        index=pd.Index(ids, name="customer_id"),
    )
