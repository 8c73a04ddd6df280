"""Calendars of time-varying covariates and the customer summaries that go with them.

A calendar is a DataFrame indexed by period start (a regular
``DatetimeIndex``: weekly on Sundays, daily, monthly starts, ...) with one
numeric column per covariate, the same for every customer (a high-season
flag, a campaign). Period ``j`` covers ``[start_j, start_{j+1})``; the last
one ends a period after its start.

:func:`dynamic_summary` adds to :func:`analysis.rfm.summarize`'s
``frequency``, ``recency`` and ``T`` what the Pareto/NBD with time-varying
covariates (:mod:`.pareto_nbd_dynamic`) also needs: each customer's first
purchase date and, per calendar covariate, the sum of its values at her
repeat purchases. :func:`extend_calendar` repeats last year's values into the
future for predictions.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..rfm import summarize
from ..units import unit_days
from ..validate import DataValidationError

__all__ = [
    "CalendarRuns",
    "calendar_runs",
    "check_calendar",
    "check_coverage",
    "check_paths",
    "dynamic_summary",
    "extend_calendar",
    "path_lookup",
    "repeat_lag",
    "run_overlap",
]

_NS_PER_DAY = 86_400 * 10**9


def _infer_freq(starts: pd.DatetimeIndex):
    """The index's regular frequency as an offset (weekly, daily, monthly, ...), or None."""
    if len(starts) < 3:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas' notice that infer_freq will return an offset
        freq = pd.infer_freq(starts)
    return None if freq is None else pd.tseries.frequencies.to_offset(freq)


def check_calendar(calendar, columns) -> tuple[pd.DatetimeIndex, pd.Timestamp, np.ndarray]:
    """Validate a calendar: regular period starts without gaps and numeric, finite covariates.

    Parameters
    ----------
    calendar : DataFrame
        Indexed by period start (``DatetimeIndex``), one column per covariate.
    columns : sequence of str
        The covariate columns to read.

    Returns
    -------
    tuple
        (period starts, end of the last period, values as a float array of
        shape (n_periods, n_columns)).
    """
    if not isinstance(calendar, pd.DataFrame):
        raise TypeError(f"calendar must be a DataFrame, got {type(calendar).__name__}")
    if not isinstance(calendar.index, pd.DatetimeIndex):
        raise DataValidationError(
            "calendar: the index must hold the period starts as dates (a DatetimeIndex); "
            "e.g. calendar = frame.set_index(pd.to_datetime(frame['week_start']))."
        )
    columns = list(columns)
    missing = [c for c in columns if c not in calendar.columns]
    if missing:
        raise DataValidationError(
            f"calendar: covariate column(s) {missing} not found; columns: {list(calendar.columns)}"
        )
    if len(calendar) < 2:
        raise DataValidationError("calendar: needs at least two periods to know the period length")
    starts = calendar.index
    if starts.has_duplicates or not starts.is_monotonic_increasing:
        dup = list(starts[starts.duplicated()][:3].strftime("%Y-%m-%d"))
        raise DataValidationError(
            f"calendar: period starts must be increasing and distinct (duplicates: {dup}); "
            "sort the calendar by its index and drop repeated periods."
        )
    freq = _infer_freq(starts)
    if freq is None:
        step = starts[1] - starts[0]
        if len(starts) >= 3 or step <= pd.Timedelta(0):
            diffs = np.diff(starts.asi8)
            odd = np.flatnonzero(diffs != np.median(diffs))[:3]
            where = [f"{starts[i]:%Y-%m-%d} -> {starts[i + 1]:%Y-%m-%d}" for i in odd]
            raise DataValidationError(
                "calendar: the periods are not regular (a gap or an uneven step between "
                f"{where}); give one row per period, every period present."
            )
        offset = pd.tseries.frequencies.to_offset(step)
    else:
        offset = freq
    end = starts[-1] + offset
    values = calendar[columns].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.nonzero(bad)
        rows = sorted({f"{starts[i]:%Y-%m-%d}" for i in r[:5]})
        cols = sorted({columns[j] for j in c})
        raise DataValidationError(
            f"calendar: column(s) {cols} hold {int(bad.sum())} missing or non-numeric value(s) "
            f"(periods {rows}); give a number for every period (e.g. 0/1 for a flag)."
        )
    return starts, end, values


@dataclass(frozen=True)
class CalendarRuns:
    """Maximal runs of periods over which every covariate is constant.

    Attributes
    ----------
    start_days, end_days : ndarray
        Start and end of each run in days since 1970-01-01 (floats).
    values : ndarray
        Covariate values per run, shape (n_runs, n_columns).
    """

    start_days: np.ndarray
    end_days: np.ndarray
    values: np.ndarray


def calendar_runs(calendar, columns) -> CalendarRuns:
    """The calendar as runs of constant covariates (see :class:`CalendarRuns`)."""
    starts, end, values = check_calendar(calendar, columns)
    days = np.r_[starts.as_unit("ns").asi8, end.as_unit("ns").value].astype(float) / _NS_PER_DAY
    change = np.r_[True, np.any(values[1:] != values[:-1], axis=1)]
    first = np.flatnonzero(change)
    last_end = np.r_[first[1:], len(values)]
    return CalendarRuns(days[first], days[last_end], values[first])


def run_overlap(runs: CalendarRuns, d0, lo, hi, days: float) -> np.ndarray:
    """Time each customer spends in each run within [lo, hi] of her own clock, shape (n, n_runs).

    ``d0``: her first purchase in days since 1970; ``lo``, ``hi``: customer times in units of
    ``days`` days.
    """
    s = (runs.start_days[None, :] - d0[:, None]) / days
    e = (runs.end_days[None, :] - d0[:, None]) / days
    return np.clip(np.minimum(e, hi[:, None]) - np.maximum(s, lo[:, None]), 0.0, None)


def check_coverage(runs: CalendarRuns, d0, end_day, index, prediction: bool = False) -> None:
    """Raise when the calendar does not cover each customer's [d0, end_day] (days since 1970).

    The message names the dates missing, the customers, and the fix.
    """
    early = d0 < runs.start_days[0] - 1e-9
    late = end_day > runs.end_days[-1] + 1e-9
    if not (early.any() or late.any()):
        return
    day = lambda v: pd.Timestamp(v * _NS_PER_DAY)  # noqa: E731
    cal0, cal1 = day(runs.start_days[0]), day(runs.end_days[-1])
    need0, need1 = day(d0.min()), day(np.ceil(end_day.max()))
    missing = [f"before {cal0:%Y-%m-%d}"] if early.any() else []
    missing += [f"from {cal1:%Y-%m-%d} to {need1:%Y-%m-%d}"] if late.any() else []
    what = "observation and prediction window" if prediction else "observation"
    raise DataValidationError(
        f"calendar: it covers {cal0:%Y-%m-%d} to {cal1:%Y-%m-%d} but the customers' {what} "
        f"needs {need0:%Y-%m-%d} to {need1:%Y-%m-%d} (customers {list(index[early | late][:5])}); "
        f"the dates missing are {' and '.join(missing)}. Extend it with "
        "analysis.models.extend_calendar(calendar, until=...) or give the covariates' future values."
    )


def _period_of(starts: pd.DatetimeIndex, end: pd.Timestamp, dates: pd.Series, what: str):
    """Index of the calendar period holding each date; a clear error for dates outside it."""
    pos = starts.searchsorted(pd.DatetimeIndex(dates), side="right") - 1
    outside = (pos < 0) | (dates.to_numpy() >= end.to_datetime64())
    if outside.any():
        shown = sorted({f"{d:%Y-%m-%d}" for d in dates[outside].iloc[:5]})
        raise DataValidationError(
            f"calendar: {int(outside.sum())} {what} fall outside the calendar "
            f"({starts[0]:%Y-%m-%d} to {end:%Y-%m-%d}), e.g. {shown}; extend the calendar "
            "(analysis.models.extend_calendar) or cut the log to it."
        )
    return pos


def check_paths(paths, columns, customer_id_col, period_col) -> pd.DataFrame:
    """A long path frame (customer, period, covariates) checked, as columns cid, start, ...."""
    if not isinstance(paths, pd.DataFrame):
        raise TypeError(f"paths must be a DataFrame, got {type(paths).__name__}")
    need = [customer_id_col, period_col, *columns]
    missing = [c for c in need if c not in paths.columns]
    if missing:
        raise DataValidationError(
            f"paths: column(s) {missing} not found; columns: {list(paths.columns)}. A path frame "
            f"has one row per (customer, period): {customer_id_col!r}, {period_col!r} and the "
            "covariate columns."
        )
    out = pd.DataFrame(
        {"cid": paths[customer_id_col].to_numpy(), "start": pd.to_datetime(paths[period_col])}
    )
    for c in columns:
        out[c] = pd.to_numeric(paths[c], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(out[list(columns)].to_numpy(dtype=float)).all(axis=1) | out["start"].isna()
    if bad.any():
        rows = out.loc[bad].head(3)
        shown = [
            f"customer {c} period {s}" for c, s in zip(rows["cid"], rows["start"], strict=True)
        ]
        raise DataValidationError(
            f"paths: {int(bad.sum())} row(s) with a missing date or a missing or non-numeric "
            f"value, e.g. {shown}; give a number for every row (drop the row to leave it missing)."
        )
    dup = out.duplicated(["cid", "start"])
    if dup.any():
        rows = out.loc[dup].head(3)
        shown = [
            f"customer {c} {s:%Y-%m-%d}" for c, s in zip(rows["cid"], rows["start"], strict=True)
        ]
        raise DataValidationError(
            f"paths: (customer, period) repeated, e.g. {shown}; one row each."
        )
    return out


def path_lookup(paths, columns, starts, pairs_cid, pairs_pos, *, customer_id_col, period_col, fill):
    """Path values at (customer, calendar period index) pairs, shape (n_pairs, n_columns).

    Missing pairs take ``fill``; without it they raise, naming customers and dates.
    """
    columns = list(columns)
    p = check_paths(paths, columns, customer_id_col, period_col)
    table = p.set_index(["cid", "start"])[columns]
    key = pd.MultiIndex.from_arrays([np.asarray(pairs_cid), starts[np.asarray(pairs_pos)]])
    vals = table.reindex(key).to_numpy(dtype=float, copy=True)
    miss = np.isnan(vals).any(axis=1)
    if miss.any():
        if fill is None:
            shown = [f"customer {c} week of {s:%Y-%m-%d}" for c, s in list(key[miss])[:5]]
            raise DataValidationError(
                f"paths: {int(miss.sum())} repeat purchase(s) fall in periods without a path row, "
                f"e.g. {shown}; give those rows or a fill value (path_fill=0 for a flag)."
            )
        vals[np.isnan(vals)] = float(fill)
    return vals


def dynamic_summary(
    transactions,
    calendar,
    *,
    customer_id_col: str = "customer_id",
    datetime_col: str = "date",
    observation_end=None,
    time_unit: str = "W",
    attributes: pd.DataFrame | None = None,
    calendar_covariates=None,
    paths: pd.DataFrame | None = None,
    path_covariates=(),
    path_fill: float | None = None,
    period_col: str = "period_start",
) -> pd.DataFrame:
    """Per-customer summary for the Pareto/NBD with time-varying covariates.

    Parameters
    ----------
    transactions : DataFrame
        One row per purchase (customer id and date columns; other columns ignored).
    calendar : DataFrame
        Period starts as index, covariate columns (:func:`check_calendar`).
    customer_id_col, datetime_col : str
        Column names in ``transactions``.
    observation_end : date-like, optional
        Last day observed (inclusive), as in :func:`analysis.rfm.summarize`;
        later purchases are left out. Defaults to the last purchase date.
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of ``recency`` and ``T``.
    attributes : DataFrame, optional
        Static customer covariates indexed by customer id; joined on.
    calendar_covariates : sequence of str, optional
        Calendar columns to sum; all of them by default.
    paths : DataFrame, optional
        Covariates that differ by customer: one row per (customer, period)
        with ``customer_id_col``, ``period_col`` (a calendar period start)
        and the ``path_covariates`` columns (:mod:`.dynamic_paths`).
    path_covariates : sequence of str
        Path columns to sum, each at the customer's own repeat purchases.
    path_fill : float, optional
        Value of a (customer, period) without a path row; by default such a
        period at a repeat purchase raises, naming customers and dates.

    Returns
    -------
    DataFrame
        Indexed by customer id: ``frequency``, ``recency``, ``T`` (as
        :func:`analysis.rfm.summarize`), ``first_purchase`` (date) and, per
        calendar covariate ``c``, ``sum:c``, the sum of ``c`` over the
        periods of her repeat purchases (purchases on one day count once),
        the same for each path covariate read from her own path; then the
        attribute columns.
    """
    unit_days(time_unit)
    cols = list(calendar.columns if calendar_covariates is None else calendar_covariates)
    starts, end, values = check_calendar(calendar, cols)
    for c in (customer_id_col, datetime_col):
        if c not in transactions.columns:
            raise DataValidationError(
                f"dynamic_summary: column {c!r} not in the log; columns: {list(transactions.columns)}"
            )
    log = pd.DataFrame(
        {
            "customer_id": transactions[customer_id_col].to_numpy(),
            "day": pd.to_datetime(transactions[datetime_col]).dt.normalize().to_numpy(),
        }
    )
    if observation_end is not None:
        log = log.loc[log["day"] <= pd.Timestamp(observation_end)]
    log = log.drop_duplicates().sort_values(["customer_id", "day"], kind="mergesort")
    summary = summarize(
        log.assign(amount=0.0),
        time_unit=time_unit,
        observation_end=observation_end,
        customer_id="customer_id",
        date="day",
        engine="pandas",
    )[["frequency", "recency", "T"]]
    first = log.groupby("customer_id", sort=True)["day"].min()
    obs_end = pd.Timestamp(observation_end) if observation_end is not None else log["day"].max()
    _period_of(starts, end, pd.Series(first.to_numpy()), "first purchases")
    if obs_end >= end:
        raise DataValidationError(
            f"calendar: it ends {end:%Y-%m-%d} but the observation runs to {obs_end:%Y-%m-%d}; "
            "extend the calendar (analysis.models.extend_calendar) to cover it."
        )
    repeat = log.loc[log["day"] > log["customer_id"].map(first)]
    pos = _period_of(starts, end, repeat["day"], "repeat purchases")
    sums = pd.DataFrame(values[pos], columns=[f"sum:{c}" for c in cols])
    sums["customer_id"] = repeat["customer_id"].to_numpy()
    path_covariates = list(path_covariates)
    if path_covariates:
        own = path_lookup(
            paths,
            path_covariates,
            starts,
            repeat["customer_id"].to_numpy(),
            pos,
            customer_id_col=customer_id_col,
            period_col=period_col,
            fill=path_fill,
        )
        for k, c in enumerate(path_covariates):
            sums[f"sum:{c}"] = own[:, k]
    sums = sums.groupby("customer_id", sort=True).sum()
    out = summary.assign(first_purchase=first.reindex(summary.index).to_numpy())
    out = out.join(sums).fillna({f"sum:{c}": 0.0 for c in cols + path_covariates})
    if attributes is not None:
        missing = out.index.difference(attributes.index)
        if len(missing):
            raise DataValidationError(
                f"attributes: {len(missing)} customer(s) of the log have no row, e.g. "
                f"{list(missing[:5])}; give every customer a row."
            )
        out = out.join(attributes)
    out.index.name = customer_id_col
    out.attrs["time_unit"] = time_unit
    return out


def repeat_lag(starts: pd.DatetimeIndex, end: pd.Timestamp, who: str):
    """The period step and the number of periods in a year (52 weeks, 365 days or 12 months)."""
    freq = _infer_freq(starts) or pd.tseries.frequencies.to_offset(starts[1] - starts[0])
    step_days = (end - starts[-1]).days
    lag = 52 if step_days == 7 else 365 if step_days == 1 else 12 if 28 <= step_days <= 31 else None
    if lag is None or lag > len(starts):
        raise DataValidationError(
            f"{who}: the periods must be daily, weekly or monthly and cover at least "
            f"a year ({lag or '?'} periods) to repeat last year; there are {len(starts)} periods."
        )
    return freq, lag


def extend_calendar(calendar, until, rule: str = "same_period_last_year") -> pd.DataFrame:
    """Extend a calendar to cover ``until`` by repeating last year's values.

    Parameters
    ----------
    calendar : DataFrame
        Regular calendar (:func:`check_calendar`) covering at least a year.
    until : date-like
        The extended calendar's periods cover this date.
    rule : {"same_period_last_year"}
        Each new period takes the values of the period 52 weeks before
        (weekly calendars), 365 days before (daily) or 12 months before (monthly):
        the same week, day or month of last year.

    Returns
    -------
    DataFrame
        The calendar with the new periods appended (its own rows unchanged).
    """
    if rule != "same_period_last_year":
        raise ValueError(f"rule must be 'same_period_last_year', got {rule!r}")
    starts, end, _ = check_calendar(calendar, list(calendar.columns))
    until = pd.Timestamp(until)
    freq, lag = repeat_lag(starts, end, "extend_calendar")
    new = []
    t = end
    while t <= until:
        new.append(t)
        t = t + freq
    if not new:
        return calendar.copy()
    rows = list(calendar.to_numpy())
    for _ in new:
        rows.append(rows[-lag])
    index = calendar.index.append(pd.DatetimeIndex(new).as_unit(calendar.index.unit))
    out = pd.DataFrame(np.array(rows, dtype=object), index=index, columns=calendar.columns)
    return out.astype(calendar.dtypes.to_dict())
