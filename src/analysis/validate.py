"""Validation of transaction logs: every check says what is wrong, where, and what to do.

Policies (documented here and in the README):

- **Negative amounts** are returns or refunds. ``returns="error"`` (default)
  stops; ``returns="drop"`` removes those rows with a warning;
  ``returns="keep"`` keeps them as negative revenue (they then lower the
  customer's spend).
- **Exact duplicate rows** are rows whose every column, in the frame or file
  as the user gave it (all of its columns, not only the mapped ones, and a
  named index), equals an earlier row: most likely the same line recorded
  twice, although some logs without an order number hold genuine repeat
  orders this way (CDNOW has 215 of them). ``duplicates="warn"`` (default)
  keeps them and warns with the count and the first lines;
  ``duplicates="drop"`` removes them with a warning; ``duplicates="error"``
  stops. Rows that share customer, date and amount but differ in another
  column (an invoice number, a product) are separate orders: they are kept
  without a warning and only counted in ``attrs["same_key_orders"]`` of the
  returned frame.
- **Dates** are read with one format for the whole column: ``date_format``
  when given, otherwise the format pandas infers from the first values. Text
  dates written ``dd/mm/yyyy`` or ``mm/dd/yyyy`` (any separator, two- or
  four-digit years) are read in the one day/month order that reads every
  value: day-first when some days exceed 12, month-first when some months
  would. When both orders read every value and give different dates, the
  column is ambiguous: it is read month-first (as pandas does) with a
  :class:`DataQualityWarning` showing an example with both readings; pass
  ``dayfirst=True``/``False`` or ``date_format`` to decide. When neither order
  reads every value, the error names the lines. ISO dates (``1997-03-04``),
  datetime columns and an explicit ``date_format`` are never ambiguous.
- **Dates after the observation end** always stop: a summary whose end lies
  before some purchases would silently drop them.

The returned frame records in ``attrs``: ``exact_duplicates`` (rows found
identical to an earlier row, kept or dropped by the policy),
``same_key_orders`` (rows sharing customer, date and amount with an earlier
row but not identical to it) and ``date_format`` (the format the dates were
read with, None for a datetime column or per-value parsing).

Validation never touches the caller's frame or file: it works on a copy.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .dates import parse_dates, read_dates
from .errors import (
    DataQualityWarning,
    DataValidationError,
    example_values,
    where_rows,
)

# the public names of the log checks; the error types, row locations and date reading
# live in analysis.errors and analysis.dates and are re-exported here for callers
__all__ = [
    "DUPLICATES_POLICIES",
    "RETURNS_POLICIES",
    "STANDARD_COLUMNS",
    "DataQualityWarning",
    "DataValidationError",
    "check_observation_end",
    "exact_duplicates",
    "parse_dates",
    "require_columns",
    "validate_transactions",
    "where_rows",
]

STANDARD_COLUMNS = ["customer_id", "date", "amount", "quantity"]
RETURNS_POLICIES = ("error", "drop", "keep")
DUPLICATES_POLICIES = ("warn", "drop", "error")


def exact_duplicates(frame: pd.DataFrame) -> np.ndarray:
    """Mark rows identical in every column (and named index level) to an earlier row.

    Parameters
    ----------
    frame : DataFrame
        The log exactly as the user gave it, before any column is dropped or renamed.

    Returns
    -------
    ndarray of bool
        One flag per row, in row order; the first of identical rows is not marked.
    """
    if any(name is not None for name in frame.index.names):
        # A named index (e.g. the invoice number set as index) is part of the user's data.
        frame = frame.reset_index()
    try:
        return frame.duplicated(keep="first").to_numpy()
    except TypeError:  # unhashable cells such as lists: compare their text
        return frame.astype(str).duplicated(keep="first").to_numpy()


def require_columns(
    frame: pd.DataFrame, columns: dict[str, str], source: str | None = None
) -> None:
    """Raise when any mapped column is missing, listing the columns that were found.

    Parameters
    ----------
    frame : DataFrame
        The log as read.
    columns : dict
        Role (``customer_id``, ``date``, ...) to the column name expected in ``frame``.
    source : str, optional
        Where the frame came from, for the message.
    """
    missing = {role: name for role, name in columns.items() if name not in frame.columns}
    if missing:
        found = [str(c) for c in frame.columns]
        where = f" in {source}" if source else ""
        details = ", ".join(f"{role} -> {name!r}" for role, name in missing.items())
        hint = ", ".join(f"{role}='<your column>'" for role in missing)
        raise DataValidationError(
            f"missing column(s){where}: {details}. Columns found: {found}. "
            f"Map your own names with {hint}."
        )


def validate_transactions(
    frame: pd.DataFrame,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    quantity: str | None = None,
    cost: str | None = None,
    date_format: str | None = None,
    observation_end: str | pd.Timestamp | None = None,
    returns: str = "error",
    duplicates: str = "warn",
    source: str | None = None,
    line_offset: int | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Check a raw log and return a clean copy with the standard columns.

    Parameters
    ----------
    frame : DataFrame
        The raw log; it is not modified.
    customer_id, date, amount : str
        Names of the columns holding the customer id, the purchase date and the
        purchase value.
    quantity, cost : str, optional
        Names of an item-count column and a cost-to-serve column, if the log has them.
    date_format : str, optional
        ``strftime`` format of the dates, e.g. ``"%d/%m/%Y"``; inferred from the
        first values when None.
    observation_end : date-like, optional
        End of observation; purchases after it are an error.
    returns : {"error", "drop", "keep"}
        Policy for negative amounts (see the module docstring).
    duplicates : {"warn", "drop", "error"}
        Policy for rows identical to an earlier row in every column of
        ``frame``, mapped or not (see the module docstring). Rows that only
        share customer, date and amount are always kept, without a warning.
    source : str, optional
        Name of the file, used in messages.
    line_offset : int, optional
        Add this to a row's position to get its line in the file (2 for a CSV
        with a header); when None, messages show index labels.
    dayfirst : bool, optional
        For text dates such as ``03/04/1997``: True reads them day-first
        (3 April), False month-first (4 March). When None, the one order that
        reads every value is used, and month-first with a
        :class:`DataQualityWarning` when both do; see :func:`parse_dates`.
        Ignored when ``date_format`` is given.

    Returns
    -------
    DataFrame
        Columns ``customer_id``, ``date`` (datetime64), ``amount`` (float),
        ``quantity`` (int; 1 when the log has no quantity column) and ``cost``
        when given, sorted by customer and date. ``attrs`` holds
        ``exact_duplicates``, ``same_key_orders`` and ``date_format`` (see the
        module docstring).

    Raises
    ------
    DataValidationError
        With the column, the offending rows or lines and what to do.

    Warns
    -----
    DataQualityWarning
        When rows are dropped or kept by a policy, and when the dates read
        both day-first and month-first.
    """
    if returns not in RETURNS_POLICIES:
        raise ValueError(f"returns must be one of {RETURNS_POLICIES}, got {returns!r}")
    if duplicates not in DUPLICATES_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATES_POLICIES}, got {duplicates!r}")
    if dayfirst is not None and not isinstance(dayfirst, (bool, np.bool_)):
        raise ValueError(f"dayfirst must be True, False or None, got {dayfirst!r}")
    if not isinstance(frame, pd.DataFrame):
        raise DataValidationError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    where = f" {source}" if source else ""
    if len(frame) == 0:
        raise DataValidationError(
            f"the transaction log{where} is empty (no rows): there is nothing to analyse. "
            "Check the file and any filter applied before loading."
        )
    mapping = {"customer_id": customer_id, "date": date, "amount": amount}
    if quantity is not None:
        mapping["quantity"] = quantity
    if cost is not None:
        mapping["cost"] = cost
    require_columns(frame, mapping, source)
    # Judged on the frame as given: rows differing in an unmapped column (an invoice number) are
    # separate orders even when customer, date and amount agree.
    exact = exact_duplicates(frame)

    # Positional index so row messages map to file lines; the caller's frame stays untouched.
    df = frame[list(mapping.values())].copy()
    df.columns = list(mapping.keys())
    if line_offset is not None:
        df.index = pd.RangeIndex(len(df))

    ids = df["customer_id"]
    missing_id = ids.isna() | (ids.astype(str).str.strip() == "")
    if missing_id.any():
        labels = df.index[missing_id.to_numpy()]
        raise DataValidationError(
            f"column {customer_id!r}: {int(missing_id.sum())} row(s) have no customer id "
            f"({where_rows(labels, source, line_offset)}). Every purchase needs a customer; "
            "remove those rows or fill in the id."
        )

    df["date"], used_format, ambiguity = read_dates(
        df["date"], date, date_format, dayfirst, source, line_offset
    )
    if ambiguity is not None:
        warnings.warn(ambiguity, DataQualityWarning, stacklevel=2)

    for role, name in (("amount", amount), ("cost", cost)):
        if name is None:
            continue
        numeric = pd.to_numeric(df[role], errors="coerce")
        bad = numeric.isna() | ~np.isfinite(numeric.astype(float))
        if bad.any():
            labels = df.index[bad.to_numpy()]
            raise DataValidationError(
                f"column {name!r}: {int(bad.sum())} value(s) are not numbers "
                f"({example_values(df[role], labels, line_offset)}; {where_rows(labels, source, line_offset)}). "
                "Remove currency symbols and thousands separators, or drop those rows."
            )
        df[role] = numeric.astype(float)

    if "quantity" in df:
        q = pd.to_numeric(df["quantity"], errors="coerce")
        bad = q.isna() | (q < 0) | (q != np.round(q))
        if bad.any():
            labels = df.index[bad.to_numpy()]
            raise DataValidationError(
                f"column {quantity!r}: {int(bad.sum())} value(s) are not non-negative whole numbers "
                f"({example_values(df['quantity'], labels, line_offset)}; {where_rows(labels, source, line_offset)})."
            )
        df["quantity"] = q.astype("int64")
    else:
        df["quantity"] = np.int64(1)

    negative = df["amount"] < 0
    if negative.any():
        labels = df.index[negative.to_numpy()]
        n = int(negative.sum())
        if returns == "error":
            raise DataValidationError(
                f"column {amount!r}: {n} negative amount(s), usually returns or refunds "
                f"({where_rows(labels, source, line_offset)}). Pass returns='drop' to remove them "
                "or returns='keep' to keep them as negative revenue."
            )
        if returns == "drop":
            warnings.warn(
                f"dropped {n} row(s) with negative {amount!r} (returns='drop'): "
                f"{where_rows(labels, source, line_offset)}",
                DataQualityWarning,
                stacklevel=2,
            )
            keep = ~negative.to_numpy()
            df, exact = df.loc[keep], exact[keep]

    n_exact = int(exact.sum())
    if n_exact:
        labels = df.index[exact]
        text = (
            f"{n_exact} row(s) are exact duplicates of an earlier row "
            f"({where_rows(labels, source, line_offset)}): equal to it in every column"
        )
        if duplicates == "error":
            raise DataValidationError(
                text + ". Pass duplicates='drop' to remove them (the same line recorded twice) "
                "or duplicates='warn' to keep them as separate orders (genuine repeat orders "
                "on one day)."
            )
        if duplicates == "drop":
            warnings.warn(
                text + "; dropped (duplicates='drop'), the first of each kept.",
                DataQualityWarning,
                stacklevel=2,
            )
            df, exact = df.loc[~exact], exact[~exact]
        else:
            warnings.warn(
                text + "; kept as separate orders (duplicates='warn'). "
                "Pass duplicates='drop' to remove them if they are the same line recorded twice.",
                DataQualityWarning,
                stacklevel=2,
            )
    # Same customer, date, amount (and quantity, cost) but another column differs: separate orders.
    same_key_orders = int((df.duplicated(keep="first").to_numpy() & ~exact).sum())

    if observation_end is not None:
        check_observation_end(
            df, observation_end, column=date, source=source, line_offset=line_offset
        )

    if len(df) == 0:
        raise DataValidationError(
            f"the transaction log{where} has no rows left after applying returns={returns!r} "
            f"and duplicates={duplicates!r}."
        )
    order = np.lexsort((df["date"].to_numpy(), _sort_key(df["customer_id"])))
    out = df.iloc[order].reset_index(drop=True)
    columns = STANDARD_COLUMNS + (["cost"] if cost is not None else [])
    out = out[columns]
    out.attrs.update(
        exact_duplicates=n_exact, same_key_orders=same_key_orders, date_format=used_format
    )
    return out


def _sort_key(ids: pd.Series) -> np.ndarray:
    codes, _ = pd.factorize(ids, sort=True)
    return codes


def check_observation_end(
    transactions: pd.DataFrame,
    observation_end,
    column: str = "date",
    source: str | None = None,
    line_offset: int | None = None,
) -> pd.Timestamp:
    """Raise when purchases fall after ``observation_end``; return it as a Timestamp."""
    end = pd.Timestamp(observation_end)
    dates = transactions["date"]
    # A purchase on the end day itself is inside the window, whatever its time of day.
    late = dates >= end.normalize() + pd.Timedelta(days=1)
    if late.any():
        labels = transactions.index[late.to_numpy()]
        raise DataValidationError(
            f"column {column!r}: {int(late.sum())} purchase(s) after observation_end "
            f"{end.date()} (latest {dates.max().date()}; {where_rows(labels, source, line_offset)}). "
            "Pass a later observation_end, or filter the log to the observation window first."
        )
    return end
