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

import inspect

import numpy as np
import pandas as pd

from . import engines
from .units import TIME_UNITS, unit_days  # re-exported: their home is analysis.units
from .validate import DataValidationError

__all__ = [
    "COMPRESS_COLUMNS",
    "HOLDOUT_COLUMNS",
    "SUMMARY_COLUMNS",
    "TIME_UNITS",
    "compress",
    "repeat_buyers",
    "summarize",
    "unit_days",
]

SUMMARY_COLUMNS = ["frequency", "recency", "T", "monetary_value"]
HOLDOUT_COLUMNS = ["frequency_holdout", "monetary_value_holdout", "duration_holdout"]
#: the pattern columns of ``summarize(..., compress=True)``: what the count models fit on
COMPRESS_COLUMNS = ["frequency", "recency", "T"]


def summarize(
    transactions,
    time_unit: str = "W",
    observation_end=None,
    calibration_end=None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    engine: str | None = None,
    compress: bool | list[str] = False,
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
    engine : str, optional
        A registered engine (:func:`analysis.engines.names`): ``"pandas"``
        (default for a DataFrame) computes in memory; ``"duckdb"`` (default
        for a path) aggregates inside DuckDB for logs larger than memory, see
        :mod:`analysis.engines`; ``"spark"`` (default for a Spark DataFrame)
        runs on a Spark cluster (:mod:`analysis.engines.spark`, needs the
        ``spark`` extra). All give identical results.
    compress : bool or list of str
        True: return the distinct (``frequency``, ``recency``, ``T``) rows
        with a ``weight`` column (number of customers), as :func:`compress`
        gives, which the models fit on; a list names the columns to group by.
        The Spark engine groups inside Spark, so only the patterns reach the driver.

    Returns
    -------
    DataFrame
        Indexed by ``customer_id`` (sorted), columns ``frequency`` (int),
        ``recency``, ``T``, ``monetary_value`` and, with ``calibration_end``,
        the holdout columns (with ``compress``: the pattern columns and
        ``weight``, a ``RangeIndex``). ``attrs["time_unit"]`` records
        ``time_unit`` (the models fitted on the summary take their time unit from it).
    """
    if engine is None:
        engine = engines.default_engine(transactions)
    summarize_fn = engines.get(engine).summarize
    columns = None
    if compress is not False and compress is not None:
        columns = list(COMPRESS_COLUMNS) if compress is True else list(compress)
    # an engine that takes ``compress`` compresses where the data are (see analysis.engines.registry)
    options = {}
    if columns is not None and "compress" in inspect.signature(summarize_fn).parameters:
        options["compress"] = columns
    out = summarize_fn(
        transactions,
        time_unit=time_unit,
        observation_end=observation_end,
        calibration_end=calibration_end,
        customer_id=customer_id,
        date=date,
        amount=amount,
        stacklevel=3,
        **options,
    )
    if columns is not None and not options:
        out = _compress(out, columns)
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
    return _compress(summary, columns)


def _compress(summary: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
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


def repeat_buyers(summary: pd.DataFrame) -> pd.DataFrame:
    """The customers a spend model learns from: a repeat purchase and a positive mean spend.

    Gamma-Gamma reads the mean value of the repeat purchases, so a customer
    without one carries no information on spend, and one whose repeat
    purchases were all free cannot be fitted (the model needs positive
    spend). ``summary`` is :func:`summarize` output (``frequency``,
    ``monetary_value``).
    """
    missing = [c for c in ("frequency", "monetary_value") if c not in summary.columns]
    if missing:
        raise ValueError(f"the summary lacks {missing}; make it with analysis.rfm.summarize")
    return summary.loc[summary["frequency"].gt(0) & summary["monetary_value"].gt(0)]
