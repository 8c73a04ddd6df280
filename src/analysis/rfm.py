"""Customer summaries (frequency, recency, T, monetary value) from a transaction log.

Conventions (those users of CLV libraries know):

- ``frequency``: number of *repeat* purchases; purchases on the same day are one purchase.
- ``recency``: time from the first to the last purchase (0 without repeats).
- ``T``: time from the first purchase to the end of observation (or calibration).
- ``monetary_value``: mean value of the repeat purchases (a day's purchases
  summed), 0 when there are none.

Times are in ``time_unit``: a day count divided by the unit's length in days
(``D`` 1, ``W`` 7, ``M`` 365.25/12, ``Q`` 365.25/4, ``Y`` 365.25), so a
summary is exact in days whatever the unit.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .validate import DataValidationError, check_observation_end, require_columns

TIME_UNITS: dict[str, float] = {
    "D": 1.0,
    "W": 7.0,
    "M": 365.25 / 12.0,
    "Q": 365.25 / 4.0,
    "Y": 365.25,
}

SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]

_NS_PER_DAY = 86_400 * 10**9


def unit_days(time_unit: str) -> float:
    """Length of ``time_unit`` in days, with a clear error for unknown units."""
    try:
        return TIME_UNITS[time_unit]
    except KeyError:
        raise ValueError(
            f"time_unit must be one of {sorted(TIME_UNITS)}, got {time_unit!r}"
        ) from None


def _day_numbers(dates: pd.Series) -> np.ndarray:
    values = dates.to_numpy()
    if not np.issubdtype(values.dtype, np.datetime64):
        values = pd.to_datetime(dates).to_numpy()
    return values.astype("datetime64[D]").astype(np.int64)


def _customer_totals(new_customer: np.ndarray, d: np.ndarray, a: np.ndarray, cal_day):
    """Per-customer totals of purchase rows sorted by (customer, day, position in the log).

    ``new_customer`` marks each customer's first row. A day's purchases are
    summed (``add.reduceat``), then counted and totalled per customer
    (``bincount``); both engines use this function, so their sums agree to the
    last bit. With ``cal_day`` the totals cover the calibration period and the
    holdout's are added (``f_hold``, ``v_hold``).
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
        totals["v_hold"] = np.bincount(c, weights=np.where(hold, a, 0.0), minlength=n_customers)[cust]
    return totals


def _summary_columns(totals: dict, unit: float, period_end: int, cal_day) -> dict:
    """The summary's columns from per-customer totals, plus ``_keep`` (first purchase in the period)."""
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


def _calibration_day(calibration_end, end_day: int) -> int | None:
    """``calibration_end`` as a day number, checked to lie within the observation."""
    if calibration_end is None:
        return None
    cal_day = int(np.datetime64(pd.Timestamp(calibration_end).normalize(), "D").astype(np.int64))
    if cal_day > end_day:
        raise ValueError(
            f"calibration_end {pd.Timestamp(calibration_end).date()} is after the observation end "
            f"{np.datetime64(end_day, 'D')}; choose an earlier calibration_end."
        )
    return cal_day


def _summary_frame(
    columns: dict, index: pd.Index, unit: float, end_day: int, cal_day, calibration_end, stacklevel
) -> pd.DataFrame:
    """Assemble the summary frame; with a calibration split, add the holdout length and drop
    (with a warning that counts them) the customers first seen after ``calibration_end``."""
    keep = columns.pop("_keep")
    out = pd.DataFrame(columns, index=index, copy=False)
    out.index.name = "customer_id"
    if cal_day is not None:
        out["duration_holdout"] = (end_day - cal_day) / unit
        excluded = int((~keep).sum())
        out = out.loc[keep]
        if excluded:
            warnings.warn(
                f"{excluded} customer(s) made their first purchase after calibration_end "
                f"{pd.Timestamp(calibration_end).date()} and are excluded from the summary.",
                UserWarning,
                stacklevel=stacklevel + 1,
            )
    return out


def summarize(
    transactions,
    time_unit: str = "W",
    observation_end=None,
    calibration_end=None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    engine: str | None = None,
) -> pd.DataFrame:
    """Summarise a transaction log per customer.

    Parameters
    ----------
    transactions : DataFrame, str or Path
        One row per purchase; see :func:`analysis.data.load_transactions`.
        Or the path of a CSV or Parquet log (a glob or folder of Parquet
        files too), summarised without loading it into pandas.
    time_unit : {"D", "W", "M", "Q", "Y"}
        Unit of ``recency``, ``T`` and ``duration_holdout``.
    observation_end : date-like, optional
        Last day observed (inclusive); defaults to the last purchase date.
        Purchases after it raise :class:`DataValidationError`.
    calibration_end : date-like, optional
        Last day of the calibration period (inclusive). When given, the
        summary describes the calibration period and adds
        ``frequency_holdout`` (purchase days in the holdout),
        ``monetary_value_holdout`` (their mean value, 0 when none) and
        ``duration_holdout`` (holdout length). Customers whose first purchase
        falls after it are excluded, with a warning that counts them.
    customer_id, date, amount : str
        Column names.
    engine : {"pandas", "duckdb"}, optional
        ``"pandas"`` (default for a DataFrame) computes in memory;
        ``"duckdb"`` (default for a path) aggregates inside DuckDB for logs
        larger than memory, see :mod:`analysis.engines`. Both give identical
        results.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted), columns ``frequency`` (int),
        ``recency``, ``T``, ``monetary_value`` and, with ``calibration_end``,
        the holdout columns. ``attrs["time_unit"]`` records ``time_unit``
        (the models fitted on the summary take their time unit from it).
    """
    from . import engines  # imported here: engines builds on this module

    if engine is None:
        engine = "duckdb" if engines.is_log_path(transactions) else "pandas"
    if engine not in engines.ENGINES:
        raise ValueError(f"engine must be one of {engines.ENGINES}, got {engine!r}")
    if engine == "duckdb":
        out = engines.summarize_duckdb(
            transactions, time_unit, observation_end, calibration_end,
            customer_id, date, amount, _stacklevel=3,
        )
        out.attrs["time_unit"] = time_unit  # the models read their time unit from here
        return out
    if engines.is_log_path(transactions):
        transactions = engines.read_log(transactions, date=date)

    require_columns(transactions, {"customer_id": customer_id, "date": date, "amount": amount})
    if len(transactions) == 0:
        raise DataValidationError("the transaction log is empty (no rows): nothing to summarise.")
    unit = unit_days(time_unit)

    codes, uniques = pd.factorize(transactions[customer_id], sort=True)
    if (codes < 0).any():
        raise DataValidationError(
            f"column {customer_id!r}: {int((codes < 0).sum())} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    days = _day_numbers(transactions[date])
    amounts = transactions[amount].to_numpy(dtype=float)

    if observation_end is None:
        end_day = int(days.max())
    else:
        end = check_observation_end(
            pd.DataFrame({"date": transactions[date]}), observation_end, column=date
        )
        end_day = int(np.datetime64(end.normalize(), "D").astype(np.int64))

    cal_day = _calibration_day(calibration_end, end_day)
    period_end = end_day if cal_day is None else cal_day

    # Stable sort: within a day, rows keep their order in the log (as in the DuckDB engine).
    order = np.lexsort((days, codes))
    c = codes[order]
    new_customer = np.r_[True, c[1:] != c[:-1]]
    totals = _customer_totals(new_customer, days[order], amounts[order], cal_day)
    columns = _summary_columns(totals, unit, period_end, cal_day)
    index = pd.Index(uniques[c[new_customer]])
    out = _summary_frame(columns, index, unit, end_day, cal_day, calibration_end, stacklevel=2)
    out.attrs["time_unit"] = time_unit  # the models read their time unit from here
    return out


def compress(summary: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Collapse identical summary rows into one row with a ``weight`` (number of customers).

    Parameters
    ----------
    summary : DataFrame
        Per-customer summary (any numeric columns); an existing ``weight``
        column is summed.
    columns : list of str, optional
        Columns that define a pattern; all but ``weight`` by default.

    Returns
    -------
    DataFrame
        Unique rows, sorted, with ``weight``; totals such as
        ``(frequency * weight).sum()`` equal those of the input.
    """
    if columns is None:
        columns = [c for c in summary.columns if c != "weight"]
    missing = [c for c in columns if c not in summary.columns]
    if missing:
        raise DataValidationError(
            f"compress: column(s) {missing} not in the summary; columns found: {list(summary.columns)}"
        )
    frame = summary[columns].reset_index(drop=True)
    weight = (
        summary["weight"].to_numpy(dtype=float)
        if "weight" in summary.columns
        else np.ones(len(summary))
    )
    frame = frame.assign(weight=weight)
    out = frame.groupby(columns, sort=True, dropna=False)["weight"].sum().reset_index()
    if "weight" not in summary.columns or np.all(np.mod(out["weight"], 1) == 0):
        out["weight"] = out["weight"].astype(np.int64)
    return out
