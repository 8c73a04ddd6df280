"""The in-memory summary engine: numpy on the columns of a pandas DataFrame.

The default of :func:`analysis.rfm.summarize` for a DataFrame; a log path is
read into pandas first (:func:`analysis.engines.files.read_log`). The rows are
put in (customer, day, position in the log) order with a stable sort and
reduced by the shared :mod:`analysis.engines.kernel`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..units import unit_days
from ..validate import DataValidationError, require_columns
from .files import is_log_path, read_log
from .kernel import calibration_day, customer_totals, day_numbers, summary_columns, summary_frame
from .kernel import end_day as kernel_end_day

__all__ = ["summarize_pandas"]


def summarize_pandas(
    transactions: Any,
    time_unit: str = "W",
    observation_end: Any = None,
    calibration_end: Any = None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    *,
    stacklevel: int = 2,
) -> pd.DataFrame:
    """Summarise a transaction log per customer in memory.

    Parameters
    ----------
    transactions : DataFrame, str or Path
        The log, or the path of a CSV/Parquet log (a glob or folder of Parquet
        files too), read into pandas.
    time_unit, observation_end, calibration_end, customer_id, date, amount
        As in :func:`analysis.rfm.summarize`.
    stacklevel : int
        Stack level of the warning about customers first seen after
        ``calibration_end``; 2 points at the caller of this function.

    Returns
    -------
    DataFrame
        See :func:`analysis.rfm.summarize`.
    """
    if is_log_path(transactions):
        transactions = read_log(transactions, date=date)

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
    days = day_numbers(transactions[date])
    amounts = transactions[amount].to_numpy(dtype=float)

    end_day = kernel_end_day(transactions[date], days, observation_end, date)

    cal_day = calibration_day(calibration_end, end_day)
    period_end = end_day if cal_day is None else cal_day

    # Stable sort: within a day, rows keep their order in the log (as in the DuckDB engine).
    order = np.lexsort((days, codes))
    c = codes[order]
    new_customer = np.r_[True, c[1:] != c[:-1]]
    totals = customer_totals(new_customer, days[order], amounts[order], cal_day)
    columns = summary_columns(totals, unit, period_end, cal_day)
    index = pd.Index(uniques[c[new_customer]])
    return summary_frame(columns, index, unit, end_day, cal_day, calibration_end, stacklevel)
