"""The customer x period panel of a transaction log: purchases and spend per customer and period.

Every period-by-period view of a log -- the lifecycle stages of
:func:`analysis.lifecycle.assign_stages`, the repeat purchases the hidden
Markov model of :mod:`analysis.lifecycle.hmm` fits, the cohort retention of
:func:`analysis.lifecycle.cohort_retention` -- reads the same dense table:
one row per customer, one column per calendar period from the first
customer's first purchase to the end of observation. :func:`build_panel`
builds it once, vectorised over the log; :class:`Panel` holds it.

Conventions:

- Purchases on the same day are **one purchase** (a purchase day), as in
  :func:`analysis.rfm.summarize`; their amounts add up.
- Periods are calendar periods (pandas period aliases ``D``, ``W``, ``M``,
  ``Q``, ``Y``); lengths in periods are days divided by the unit's fixed
  length in :data:`analysis.units.TIME_UNITS` (a month is 365.25 / 12 days).
- Days are whole day numbers (days since 1970-01-01), so that differences
  are in days.
- A customer's cells before its first period are not part of its history:
  :attr:`Panel.active` is False there, and the derived arrays hold -1
  (``age``) or NaN (``periods_since_purchase``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .units import TIME_UNITS
from .validate import DataValidationError, check_observation_end, require_columns

__all__ = [
    "Panel",
    "PurchaseDays",
    "build_panel",
    "check_period",
    "distinct_sequences",
    "purchase_days",
    "repeat_counts",
]


def check_period(period: str) -> str:
    """Return ``period`` when it is one of :data:`analysis.units.TIME_UNITS`; raise ValueError otherwise."""
    if not isinstance(period, str) or period not in TIME_UNITS:
        raise ValueError(f"period must be one of {sorted(TIME_UNITS)}, got {period!r}")
    return period


@dataclass(frozen=True)
class Panel:
    """Dense customer x calendar-period arrays of a transaction log (what :func:`build_panel` returns).

    Rows are customers (sorted by id), columns calendar periods (from the
    earliest first purchase to the end of observation). Day numbers count
    days since 1970-01-01.

    Attributes
    ----------
    customer_ids : ndarray (n,)
        Customer ids, sorted: the rows.
    periods : PeriodIndex (m,)
        The calendar periods: the columns.
    period : str
        The period alias (``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``).
    days_per_period : float
        Length of a period in days (:data:`analysis.units.TIME_UNITS`).
    first_column : ndarray (n,) of int
        Column of each customer's first purchase.
    first_day : ndarray (n,) of int
        Day number of each customer's first purchase.
    period_start : ndarray (m,) of int
        Day number of each period's first day.
    period_end : ndarray (m,) of int
        Day number of each period's last observed day (inclusive): the
        period's last day, or the end of observation for a last period cut
        short by it.
    purchases : ndarray (n, m) of int
        Purchase days in each cell.
    spend : ndarray (n, m) of float
        Amount spent in each cell.
    last_purchase_day : ndarray (n, m) of int
        Day number of the last purchase in each cell; -1 when the cell has none.
    """

    customer_ids: np.ndarray
    periods: pd.PeriodIndex
    period: str
    days_per_period: float
    first_column: np.ndarray
    first_day: np.ndarray
    period_start: np.ndarray
    period_end: np.ndarray
    purchases: np.ndarray
    spend: np.ndarray
    last_purchase_day: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(customers, periods)."""
        return self.purchases.shape

    @property
    def active(self) -> np.ndarray:
        """(n, m) bool: True from the customer's first period on."""
        return np.arange(len(self.periods))[None, :] >= self.first_column[:, None]

    @property
    def age(self) -> np.ndarray:
        """(n, m) int: periods since the customer's first period (0 in it); -1 before it."""
        age = np.arange(len(self.periods))[None, :] - self.first_column[:, None]
        return np.where(age >= 0, age, -1).astype(np.int64)

    @property
    def purchases_to_date(self) -> np.ndarray:
        """(n, m) int: purchase days up to and including each period (the first purchase counts)."""
        return np.cumsum(self.purchases, axis=1)

    @property
    def latest_purchase_day(self) -> np.ndarray:
        """(n, m) int: day number of the latest purchase up to each period's end; -1 before the first."""
        return np.maximum.accumulate(self.last_purchase_day, axis=1)

    @property
    def periods_since_purchase(self) -> np.ndarray:
        """(n, m) float: periods from the latest purchase to the period's (observed) end; NaN before the first."""
        gap = (self.period_end[None, :] - self.latest_purchase_day) / self.days_per_period
        return np.where(self.active, gap, np.nan)

    def to_frame(self) -> pd.DataFrame:
        """The active cells as a long frame, sorted by customer and period.

        Returns
        -------
        DataFrame
            ``customer_id``, ``period``, ``age``, ``purchases``, ``spend``,
            ``periods_since_purchase``: one row per customer and period from
            the customer's first period on.
        """
        rows, cols = np.nonzero(self.active)
        return pd.DataFrame(
            {
                "customer_id": self.customer_ids[rows],
                "period": self.periods[cols],
                "age": self.age[rows, cols],
                "purchases": self.purchases[rows, cols].astype(np.int64),
                "spend": self.spend[rows, cols],
                "periods_since_purchase": self.periods_since_purchase[rows, cols],
            }
        )


def _day_numbers(values) -> np.ndarray:
    return np.asarray(values).astype("datetime64[D]").astype(np.int64)


@dataclass(frozen=True)
class PurchaseDays:
    """A log's purchase days per customer, sorted (what :func:`purchase_days` returns): the panel, sparse.

    Holds what :func:`build_panel` would put in its dense arrays, one row per
    customer and purchase day, so that a caller can build the panel of any
    block of customers (:meth:`panel`) without the whole log's.

    Attributes
    ----------
    customer_ids : ndarray (n,)
        Customer ids, sorted.
    periods, period, days_per_period, period_start, period_end
        As in :class:`Panel` (the log's whole calendar).
    offsets : ndarray (n + 1,) of int
        Customer i's purchase days are rows ``offsets[i]:offsets[i + 1]``.
    day : ndarray of int32
        Day number of each purchase day, sorted within a customer.
    amount : ndarray of float
        Amount spent on it (same-day orders summed).
    column : ndarray of int32
        Its column (calendar period) in :attr:`periods`.
    """

    customer_ids: np.ndarray
    periods: pd.PeriodIndex
    period: str
    days_per_period: float
    period_start: np.ndarray
    period_end: np.ndarray
    offsets: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    column: np.ndarray

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def counts(self) -> np.ndarray:
        """(n,) purchase days of each customer."""
        return np.diff(self.offsets)

    @property
    def first_column(self) -> np.ndarray:
        """(n,) column of each customer's first purchase."""
        return self.column[self.offsets[:-1]]

    @property
    def first_day(self) -> np.ndarray:
        """(n,) day number of each customer's first purchase."""
        return self.day[self.offsets[:-1]]

    def panel(self, rows=None) -> Panel:
        """The dense :class:`Panel` of the customers ``rows`` (positions; all customers when None).

        The arrays are those :func:`build_panel` gives for these customers, in the order of ``rows``.
        """
        m = len(self.periods)
        if rows is None:
            entries = np.arange(len(self.day))
            owner = np.repeat(np.arange(self.n_customers), self.counts)
            rows = np.arange(self.n_customers)
        else:
            rows = np.asarray(rows, dtype=np.int64)
            sizes = self.counts[rows]
            owner = np.repeat(np.arange(len(rows)), sizes)
            within = np.arange(len(owner)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            entries = self.offsets[rows][owner] + within
        n = len(rows)
        flat = owner * m + self.column[entries]
        purchases = np.bincount(flat, minlength=n * m).reshape(n, m)
        spend = np.bincount(flat, weights=self.amount[entries], minlength=n * m).reshape(n, m)
        last_day = np.full(n * m, -1, dtype=np.int64)
        # entries are sorted by (customer, day), so the last entry of each cell holds its last day
        cell_end = np.r_[flat[1:] != flat[:-1], True]
        last_day[flat[cell_end]] = self.day[entries][cell_end]
        return Panel(
            customer_ids=self.customer_ids[rows],
            periods=self.periods,
            period=self.period,
            days_per_period=self.days_per_period,
            first_column=self.column[self.offsets[rows]].astype(np.int64),
            first_day=self.day[self.offsets[rows]].astype(np.int64),
            period_start=self.period_start,
            period_end=self.period_end,
            purchases=purchases,
            spend=spend,
            last_purchase_day=last_day.reshape(n, m),
        )


def purchase_days(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
) -> PurchaseDays:
    """The purchase days of a transaction log per customer: :func:`build_panel`'s input, sparse.

    Parameters and checks as :func:`build_panel`; memory is one row per purchase
    day rather than one per customer and period.
    """
    require_columns(
        transactions, {"customer_id": "customer_id", "date": "date", "amount": "amount"}
    )
    if len(transactions) == 0:
        raise DataValidationError("the transaction log is empty (no rows): nothing to tabulate.")
    check_period(period)
    dates = transactions["date"]
    if not pd.api.types.is_datetime64_any_dtype(dates):
        raise DataValidationError(
            "column 'date' must hold dates (datetime64); load the log with "
            "analysis.data.load_transactions, which parses them."
        )
    if observation_end is None:
        end = dates.max().normalize()
    else:
        end = check_observation_end(transactions, observation_end).normalize()
    codes, ids = pd.factorize(transactions["customer_id"], sort=True)
    if (codes < 0).any():
        raise DataValidationError(
            f"column 'customer_id': {int((codes < 0).sum())} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    day = _day_numbers(dates.to_numpy())
    amount = transactions["amount"].to_numpy(dtype=float)

    # One row per customer and purchase day (same-day orders are one purchase).
    order = np.lexsort((day, codes))
    c, d, a = codes[order], day[order], amount[order]
    new = np.r_[True, (c[1:] != c[:-1]) | (d[1:] != d[:-1])]
    starts = np.flatnonzero(new)
    c, d, a = c[starts], d[starts], np.add.reduceat(a, starts)

    # the period of each day, read from a table of the log's days (a log spans few days)
    span = np.arange(d.min(), d.max() + 1).astype("datetime64[D]")
    ords = pd.PeriodIndex(span, freq=period).asi8[d - d.min()]
    end_ord = pd.Period(end, freq=period).ordinal
    cust_start = np.flatnonzero(np.r_[True, c[1:] != c[:-1]])
    base = int(ords[cust_start].min())
    periods = pd.PeriodIndex.from_ordinals(np.arange(base, end_ord + 1), freq=period)
    end_day = int(np.datetime64(end.date(), "D").astype(np.int64))
    return PurchaseDays(
        customer_ids=np.asarray(ids),
        periods=periods,
        period=period,
        days_per_period=TIME_UNITS[period],
        period_start=_day_numbers(periods.start_time.to_numpy()),
        period_end=np.minimum(_day_numbers(periods.end_time.to_numpy()), end_day),
        offsets=np.r_[cust_start, len(c)].astype(np.int64),
        day=d.astype(np.int32),  # day numbers and columns fit 32 bits: half the memory
        amount=a,
        column=(ords - base).astype(np.int32),
    )


def build_panel(
    transactions: pd.DataFrame,
    period: str = "M",
    observation_end=None,
) -> Panel:
    """Build the customer x period panel of a transaction log.

    Parameters
    ----------
    transactions : DataFrame
        The log: ``customer_id``, ``date`` (datetime64), ``amount``; see
        :func:`analysis.data.load_transactions`. Orders of a customer on the
        same day are one purchase, their amounts summed.
    period : {"D", "W", "M", "Q", "Y"}
        Length of a period (pandas period alias).
    observation_end : date-like, optional
        Last day observed; defaults to the last purchase's day. A last
        period cut short by it ends on it (:attr:`Panel.period_end`).

    Returns
    -------
    Panel
        Customers (sorted by id) x calendar periods from the earliest first
        purchase to the period holding ``observation_end``. For a large log,
        :func:`purchase_days` holds the same sparsely and builds the panel of
        a block of customers at a time.

    Raises
    ------
    DataValidationError
        When a column is missing, the log is empty, ``date`` does not hold
        dates, a row has no customer id, or a purchase lies after
        ``observation_end``.
    ValueError
        When ``period`` is not a known period alias.

    Examples
    --------
    >>> log = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                     "date": pd.to_datetime(["2020-01-05", "2020-02-01", "2020-02-10"]),
    ...                     "amount": [10.0, 5.0, 7.0]})
    >>> panel = build_panel(log, "M", observation_end="2020-03-31")
    >>> panel.purchases.tolist()
    [[1, 1, 0], [0, 1, 0]]
    >>> panel.age.tolist()
    [[0, 1, 2], [-1, 0, 1]]
    """
    return purchase_days(transactions, period, observation_end).panel()


def repeat_counts(panel: Panel) -> tuple[np.ndarray, np.ndarray]:
    """Repeat purchases and their exposure (share of the period after the first purchase) per cell.

    Both are NaN before a customer's first period; exposure is 1 for a full period.
    """
    n, _ = panel.shape
    counts = panel.purchases.astype(float)
    counts[np.arange(n), panel.first_column] -= 1.0
    start = np.maximum(panel.period_start[None, :], panel.first_day[:, None] + 1)
    exposure = np.clip(panel.period_end[None, :] - start + 1, 0, None) / panel.days_per_period
    # a calendar month is 28-31 days: a full period is exposure 1
    full = (panel.period_end - panel.period_start + 1) / panel.days_per_period
    exposure = np.minimum(exposure / full[None, :], 1.0)
    before = ~panel.active
    counts[before] = np.nan
    exposure[before] = np.nan
    return counts, exposure


def distinct_sequences(offsets: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group equal integer sequences: each group's first member and every sequence's group.

    Sequence i is ``values[offsets[i]:offsets[i + 1]]``. Customers whose
    histories are the same sequence get the same stages, so each history
    needs reading once.

    Returns
    -------
    first : ndarray (u,) of int
        One member (the first) of each group of equal sequences.
    group : ndarray (n,) of int
        The group of each sequence: ``first[group[i]]`` equals sequence i.
    """
    offsets = np.asarray(offsets, dtype=np.int64)
    sizes = np.diff(offsets)
    n = len(sizes)
    group = np.empty(n, dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=np.int64), group
    v = np.asarray(values, dtype=np.int64)
    v = v - v.min() if len(v) else v
    bits = max(1, int(v.max()).bit_length()) if len(v) else 1
    per_word = max(1, 63 // bits)
    firsts, found = [], 0
    for k in np.unique(sizes):
        rows = np.flatnonzero(sizes == k)
        if k == 0:
            idx, inv = np.zeros(1, dtype=np.int64), np.zeros(len(rows), dtype=np.int64)
        else:
            # pack the values into as few int64 words as they fit, then sort the words
            words = np.zeros((len(rows), -(-int(k) // per_word)), dtype=np.int64)
            for j in range(int(k)):
                words[:, j // per_word] |= v[offsets[rows] + j] << (bits * (j % per_word))
            if words.shape[1] == 1:
                _, idx, inv = np.unique(words[:, 0], return_index=True, return_inverse=True)
            else:
                _, idx, inv = np.unique(words, axis=0, return_index=True, return_inverse=True)
        group[rows] = found + inv.ravel()
        firsts.append(rows[idx])
        found += len(idx)
    return np.concatenate(firsts), group
