"""The per-customer kernel every summary engine shares.

An engine's job is to bring a log's purchase rows into (customer, day,
position in the log) order; from there this module turns them into the
summary, with the same numpy operations whatever the engine, so every
engine's sums agree to the last bit:

1. :func:`customer_totals` sums each day's purchases and totals them per
   customer (calibration and, with a split, holdout);
2. :func:`summary_columns` turns the totals into ``frequency``, ``recency``,
   ``T``, ``monetary_value`` (and the holdout columns);
3. :func:`summary_frame` assembles the frame, adding ``duration_holdout`` and
   dropping (with a warning, :func:`warn_excluded`) customers first seen after
   ``calibration_end``.

:func:`calibration_day` and :func:`day_numbers` convert dates to the day
numbers (days since 1970-01-01) the kernel works in.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..validate import check_observation_end

__all__ = [
    "calibration_day",
    "customer_totals",
    "day_numbers",
    "end_day",
    "summary_columns",
    "summary_frame",
    "warn_excluded",
]


def day_numbers(dates: pd.Series) -> np.ndarray:
    """Calendar days since 1970-01-01 of a date column (time of day dropped).

    Parameters
    ----------
    dates : Series
        ``datetime64`` values, or values :func:`pandas.to_datetime` reads.

    Returns
    -------
    ndarray of int64
    """
    values = dates.to_numpy()
    if not np.issubdtype(values.dtype, np.datetime64):
        values = pd.to_datetime(dates).to_numpy()
    return values.astype("datetime64[D]").astype(np.int64)


def end_day(dates: pd.Series, days: np.ndarray, observation_end: Any, column: str) -> int:
    """The day number of the end of observation: given (checked against the log) or the last purchase.

    Parameters
    ----------
    dates : Series
        The log's date column (for the check's message).
    days : ndarray of int64
        :func:`day_numbers` of ``dates``.
    observation_end : date-like or None
        None: the last purchase day.
    column : str
        The date column's name in the user's log, for the error message.
    """
    if observation_end is None:
        return int(days.max())
    end = check_observation_end(pd.DataFrame({"date": dates}), observation_end, column=column)
    return int(np.datetime64(end.normalize(), "D").astype(np.int64))


def customer_totals(
    new_customer: np.ndarray, d: np.ndarray, a: np.ndarray, cal_day: int | None
) -> dict[str, np.ndarray]:
    """Per-customer totals of purchase rows sorted by (customer, day, position in the log).

    A day's purchases are summed (``add.reduceat``), then counted and
    totalled per customer (``bincount``); every engine uses this function, so
    their sums agree to the last bit.

    Parameters
    ----------
    new_customer : ndarray of bool
        True on each customer's first row.
    d : ndarray of int64
        Day number of each row.
    a : ndarray of float64
        Amount of each row.
    cal_day : int or None
        Last calibration day; with it the totals cover the calibration period
        and the holdout's are added (``f_hold``, ``v_hold``).

    Returns
    -------
    dict of ndarray
        One value per customer: ``first_day``, ``first_amount`` (the first
        day's total), ``n_days`` (purchase days in the period), ``last_day``
        (the period's last purchase day), ``total`` (the period's spend) and,
        with ``cal_day``, ``f_hold`` and ``v_hold``.
    """
    c = np.cumsum(new_customer) - 1
    new = np.empty(len(c), dtype=bool)
    new[:1] = True
    new[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    day_starts = np.flatnonzero(new)
    c, d, a = c[day_starts], d[day_starts], np.add.reduceat(a, day_starts)

    n_customers = int(c[-1]) + 1
    starts = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    cust = c[starts]
    in_cal = np.ones(len(c), dtype=bool) if cal_day is None else d <= cal_day
    n_days = np.bincount(c, weights=in_cal, minlength=n_customers)[cust].astype(np.int64)
    totals = {
        "first_day": d[starts],
        "first_amount": a[starts],
        "n_days": n_days,
        # A customer's calibration days are a prefix of its block: the last sits at start + n - 1.
        "last_day": d[starts + np.maximum(n_days, 1) - 1],
        "total": np.bincount(c, weights=np.where(in_cal, a, 0.0), minlength=n_customers)[cust],
    }
    if cal_day is not None:
        hold = ~in_cal
        totals["f_hold"] = np.bincount(c, weights=hold, minlength=n_customers)[cust]
        totals["v_hold"] = np.bincount(c, weights=np.where(hold, a, 0.0), minlength=n_customers)[
            cust
        ]
    return totals


def summary_columns(
    totals: dict[str, np.ndarray], unit: float, period_end: int, cal_day: int | None
) -> dict[str, np.ndarray]:
    """The summary's columns from per-customer totals.

    Parameters
    ----------
    totals : dict of ndarray
        As returned by :func:`customer_totals`.
    unit : float
        Days per time unit.
    period_end : int
        Day number of the period's last day (calibration end, else observation end).
    cal_day : int or None
        Last calibration day, when the summary has a holdout.

    Returns
    -------
    dict of ndarray
        ``frequency``, ``recency``, ``T``, ``monetary_value`` (and
        ``frequency_holdout``, ``monetary_value_holdout``), plus ``_keep``:
        True for customers whose first purchase lies in the period.
    """
    first_day = totals["first_day"]
    frequency = totals["n_days"] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(
            frequency > 0,
            (totals["total"] - totals["first_amount"]) / np.maximum(frequency, 1),
            0.0,
        )
    out = {
        "frequency": frequency,
        "recency": (totals["last_day"] - first_day) / unit,
        "T": (period_end - first_day) / unit,
        "monetary_value": monetary,
        "_keep": first_day <= period_end,
    }
    if cal_day is not None:
        f_hold, v_hold = totals["f_hold"], totals["v_hold"]
        with np.errstate(invalid="ignore", divide="ignore"):
            out["frequency_holdout"] = f_hold.astype(np.int64)
            out["monetary_value_holdout"] = np.where(
                f_hold > 0, v_hold / np.maximum(f_hold, 1), 0.0
            )
    return out


def calibration_day(calibration_end: Any, end_day: int) -> int | None:
    """``calibration_end`` as a day number, checked to lie within the observation.

    Parameters
    ----------
    calibration_end : date-like or None
        Last day of the calibration period.
    end_day : int
        Day number of the observation's last day.

    Returns
    -------
    int or None
        None when ``calibration_end`` is None.

    Raises
    ------
    ValueError
        When ``calibration_end`` falls after the observation end.
    """
    if calibration_end is None:
        return None
    cal_day = int(np.datetime64(pd.Timestamp(calibration_end).normalize(), "D").astype(np.int64))
    if cal_day > end_day:
        raise ValueError(
            f"calibration_end {pd.Timestamp(calibration_end).date()} is after the observation end "
            f"{np.datetime64(end_day, 'D')}; choose an earlier calibration_end."
        )
    return cal_day


def summary_frame(
    columns: dict[str, np.ndarray],
    index: pd.Index,
    unit: float,
    end_day: int,
    cal_day: int | None,
    calibration_end: Any,
    stacklevel: int,
) -> pd.DataFrame:
    """Assemble the summary frame.

    With a calibration split, add the holdout length and drop (with a warning
    that counts them) the customers first seen after ``calibration_end``.

    Parameters
    ----------
    columns : dict of ndarray
        As returned by :func:`summary_columns` (``_keep`` is consumed).
    index : Index
        Customer ids, one per row; named ``customer_id`` here.
    unit : float
        Days per time unit.
    end_day : int
        Day number of the observation's last day.
    cal_day : int or None
        Day number of ``calibration_end``.
    calibration_end : date-like or None
        As given by the user, for the warning.
    stacklevel : int
        Stack level of the warning as seen from the caller of this function
        (``warnings.warn`` receives ``stacklevel + 1``).

    Returns
    -------
    DataFrame
        The summary, indexed by ``customer_id``.
    """
    keep = columns.pop("_keep")
    out = pd.DataFrame(columns, index=index, copy=False)
    out.index.name = "customer_id"
    if cal_day is not None:
        out["duration_holdout"] = (end_day - cal_day) / unit
        out = out.loc[keep]
        warn_excluded(int((~keep).sum()), calibration_end, stacklevel + 1)
    return out


def warn_excluded(excluded: int, calibration_end: Any, stacklevel: int) -> None:
    """Warn that ``excluded`` customers were first seen after ``calibration_end`` (none: no warning).

    ``stacklevel`` is that of the warning as seen from the caller of this
    function (``warnings.warn`` receives ``stacklevel + 1``).
    """
    if excluded:
        warnings.warn(
            f"{excluded} customer(s) made their first purchase after calibration_end "
            f"{pd.Timestamp(calibration_end).date()} and are excluded from the summary.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
