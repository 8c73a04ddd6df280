"""Time-varying covariates that differ by customer: each customer's own path of values.

A path frame is long: one row per (customer, period) with the customer id,
the period start and one numeric column per covariate (a campaign that
reached some customers in some weeks). The periods are the calendar's
(:mod:`.dynamic_calendar`); the calendar may have no covariate columns and
then only gives the period grid. A (customer, period) without a row is
missing unless a ``fill`` value is given (e.g. 0 for a campaign frame that
lists only the weeks a customer was reached).

:func:`path_grid` turns the calendar and the paths into the runs over which
the calendar and every customer's path are constant, and an array of the
path values per (customer, run); :func:`path_values` picks a frame's
customers from it and checks that each one's path covers her window.
:func:`extend_paths` repeats each customer's last year into the future.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..validate import DataValidationError
from .dynamic_calendar import CalendarRuns, check_calendar, check_paths, repeat_lag, run_overlap

__all__ = ["PathGrid", "extend_paths", "path_grid", "path_values"]

_NS_PER_DAY = 86_400 * 10**9


@dataclass(frozen=True)
class PathGrid:
    """Runs over which the calendar and every customer's path are constant.

    Attributes
    ----------
    runs : CalendarRuns
        The runs, with the calendar's values per run.
    ids : Index
        Customers with a path.
    values : ndarray
        Path values per (customer, run, column); NaN where a customer has no value.
    fill : float or None
        Value of a customer without any path row (None: an error).
    """

    runs: CalendarRuns
    ids: pd.Index
    values: np.ndarray
    fill: float | None = None


def path_grid(
    calendar, calendar_columns, paths, path_columns, *, customer_id_col, period_col, fill
):
    """The joint runs of the calendar and the paths (see :class:`PathGrid`)."""
    starts, end, cal = check_calendar(calendar, calendar_columns)
    path_columns = list(path_columns)
    p = check_paths(paths, path_columns, customer_id_col, period_col)
    pos = starts.get_indexer(pd.DatetimeIndex(p["start"]))
    if (pos < 0).any():
        odd = sorted({f"{d:%Y-%m-%d}" for d in p["start"][pos < 0].iloc[:5]})
        raise DataValidationError(
            f"paths: {int((pos < 0).sum())} row(s) whose period start is not one of the "
            f"calendar's ({starts[0]:%Y-%m-%d} to {end:%Y-%m-%d}), e.g. {odd}; use the calendar's "
            "period starts (extend the calendar with analysis.models.extend_calendar)."
        )
    ids, cix = pd.factorize(p["cid"])
    ids_index = pd.Index(cix)
    cube = np.full((len(ids_index), len(starts), len(path_columns)), np.nan)
    cube[ids, pos] = p[path_columns].to_numpy(dtype=float)
    if fill is not None:
        cube[np.isnan(cube)] = float(fill)
    same = (cube[:, 1:] == cube[:, :-1]) | (np.isnan(cube[:, 1:]) & np.isnan(cube[:, :-1]))
    change = np.r_[True, np.any(cal[1:] != cal[:-1], axis=1) | ~same.all(axis=(0, 2))]
    first = np.flatnonzero(change)
    bounds = np.r_[starts.as_unit("ns").asi8, end.as_unit("ns").value].astype(float) / _NS_PER_DAY
    last = np.r_[first[1:], len(starts)]
    runs = CalendarRuns(bounds[first], bounds[last], cal[first])
    return PathGrid(runs, ids_index, cube[:, first], None if fill is None else float(fill))


def path_values(grid: PathGrid, index, d0, end_t, days, *, prediction=False) -> np.ndarray:
    """Each row's path values per run, shape (n, n_runs, n_columns), checked over [0, end_t].

    Raises when a customer has no path or her path lacks values in a period of her window,
    naming the customers and the dates.
    """
    pos = grid.ids.get_indexer(index)
    if (pos < 0).any() and grid.fill is None:
        raise DataValidationError(
            f"paths: {int((pos < 0).sum())} customer(s) have no path rows, e.g. "
            f"{list(index[pos < 0][:5])}; give each customer's path (or a fill value)."
        )
    vals = grid.values[np.maximum(pos, 0)]
    vals[pos < 0] = grid.fill
    used = run_overlap(grid.runs, d0, np.zeros_like(d0), end_t, days) > 0
    gap = used & np.isnan(vals).any(axis=2)
    if gap.any():
        rows, cols = np.nonzero(gap)
        day = lambda v: f"{pd.Timestamp(v * _NS_PER_DAY):%Y-%m-%d}"  # noqa: E731
        shown = [
            f"customer {index[i]}: {day(grid.runs.start_days[j])} to {day(grid.runs.end_days[j])}"
            for i, j in list(zip(rows, cols, strict=True))[:5]
        ]
        what = "observation and prediction window" if prediction else "observation"
        raise DataValidationError(
            f"paths: {len(set(rows))} customer(s) lack path values in their {what}, e.g. "
            f"{shown}; give those periods (analysis.models.extend_paths repeats last year) "
            "or a fill value."
        )
    return np.where(used[:, :, None], vals, 0.0)


def extend_paths(
    paths, until, *, calendar=None, customer_id_col="customer_id", period_col="period_start"
):
    """Extend every customer's path to ``until`` by repeating her values of last year.

    Each new period takes the customer's values of the period 52 weeks before
    (weekly), 365 days (daily) or 12 months (monthly), as
    :func:`.extend_calendar` does for the calendar. The period grid is the
    ``calendar``'s index when given (needed when the paths list only some
    periods, e.g. the weeks a campaign reached someone), else the paths' own
    periods, which must then be regular. A customer without a row in the
    period a year back gets no row in the new one.

    Returns
    -------
    DataFrame
        The path rows with the new ones appended.
    """
    if calendar is not None:
        starts = pd.DatetimeIndex(calendar.index)
    else:
        starts = pd.DatetimeIndex(sorted(pd.to_datetime(paths[period_col]).unique()))
    starts_, end, _ = check_calendar(pd.DataFrame(index=starts), [])
    freq, lag = repeat_lag(starts_, end, "extend_paths")
    until = pd.Timestamp(until)
    grid = list(starts_)
    by_period = {k: g for k, g in paths.groupby(pd.to_datetime(paths[period_col]))}
    new = []
    t = end
    while t <= until:
        src = grid[len(grid) - lag]
        rows = by_period.get(src)
        if rows is not None:
            rows = rows.assign(**{period_col: t})
            by_period[t] = rows
            new.append(rows)
        grid.append(t)
        t = t + freq
    if not new:
        return paths.copy()
    return pd.concat([paths, *new], ignore_index=True)
