"""Validation of transaction logs: every check says what is wrong, where, and what to do.

Policies (documented here and in the README):

- **Negative amounts** are returns or refunds. ``returns="error"`` (default)
  stops; ``returns="drop"`` removes those rows with a warning;
  ``returns="keep"`` keeps them as negative revenue (they then lower the
  customer's spend).
- **Exact duplicate rows** (every column equal to an earlier row) are often
  genuine repeat orders on the same day (CDNOW has 215 of them), so
  ``duplicates="warn"`` (default) keeps them and warns with the count and the
  first rows; ``duplicates="drop"`` removes them with a warning;
  ``duplicates="error"`` stops.
- **Dates after the observation end** always stop: a summary whose end lies
  before some purchases would silently drop them.

Validation never touches the caller's frame or file: it works on a copy.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

STANDARD_COLUMNS = ["customer_id", "date", "amount", "quantity"]
RETURNS_POLICIES = ("error", "drop", "keep")
DUPLICATES_POLICIES = ("warn", "drop", "error")
MAX_SHOWN = 5


class DataValidationError(ValueError):
    """A transaction log that cannot be analysed as it is; the message says why and what to do."""


class DataQualityWarning(UserWarning):
    """Something in the log was kept or dropped by a documented policy; the message says which rows."""


def where_rows(labels: Sequence, source: str | None, line_offset: int | None) -> str:
    """Describe rows as file lines (when read from a file) or index labels, showing at most a few."""
    labels = list(labels)
    shown = labels[:MAX_SHOWN]
    if line_offset is not None:
        text = "lines " + ", ".join(str(int(i) + line_offset) for i in shown)
    else:
        text = "rows " + ", ".join(repr(i) for i in shown)
    if len(labels) > MAX_SHOWN:
        text += f", ... ({len(labels) - MAX_SHOWN} more)"
    if source:
        text += f" of {source}"
    return text


def _examples(series: pd.Series, labels: Sequence, line_offset: int | None) -> str:
    parts = []
    for label in list(labels)[:MAX_SHOWN]:
        where = f"line {int(label) + line_offset}" if line_offset is not None else f"row {label!r}"
        parts.append(f"{where}: {series.loc[label]!r}")
    return "; ".join(parts)


def require_columns(frame: pd.DataFrame, columns: dict[str, str], source: str | None = None) -> None:
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


def parse_dates(
    values: pd.Series,
    column: str,
    date_format: str | None = None,
    source: str | None = None,
    line_offset: int | None = None,
) -> pd.Series:
    """Parse a date column, raising with the count and first offending rows when some values fail."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_localize(None)
    else:
        raw = values
        if date_format is not None and pd.api.types.is_numeric_dtype(raw):
            # e.g. CDNOW's 19970101 read as an integer
            raw = raw.astype("Int64").astype(str)
        with warnings.catch_warnings():
            # pandas warns when it falls back to per-element parsing; failures are reported below.
            warnings.simplefilter("ignore", UserWarning)
            parsed = pd.to_datetime(raw, format=date_format, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        labels = values.index[bad.to_numpy()]
        fmt_hint = (
            f"the format {date_format!r} did not match"
            if date_format
            else "pass date_format= (for example '%Y%m%d' or '%d/%m/%Y') if the format is unusual"
        )
        raise DataValidationError(
            f"column {column!r}: {int(bad.sum())} value(s) could not be read as dates "
            f"({_examples(values, labels, line_offset)}; {where_rows(labels, source, line_offset)}). "
            f"Fix or remove those rows; {fmt_hint}."
        )
    return parsed.astype("datetime64[ns]")


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
        ``strftime`` format of the dates when pandas cannot infer it.
    observation_end : date-like, optional
        End of observation; purchases after it are an error.
    returns : {"error", "drop", "keep"}
        Policy for negative amounts (see the module docstring).
    duplicates : {"warn", "drop", "error"}
        Policy for exact duplicate rows (see the module docstring).
    source : str, optional
        Name of the file, used in messages.
    line_offset : int, optional
        Add this to a row's position to get its line in the file (2 for a CSV
        with a header); when None, messages show index labels.

    Returns
    -------
    DataFrame
        Columns ``customer_id``, ``date`` (datetime64), ``amount`` (float),
        ``quantity`` (int; 1 when the log has no quantity column) and ``cost``
        when given, sorted by customer and date.
    """
    if returns not in RETURNS_POLICIES:
        raise ValueError(f"returns must be one of {RETURNS_POLICIES}, got {returns!r}")
    if duplicates not in DUPLICATES_POLICIES:
        raise ValueError(f"duplicates must be one of {DUPLICATES_POLICIES}, got {duplicates!r}")
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

    df["date"] = parse_dates(df["date"], date, date_format, source, line_offset)

    for role, name in (("amount", amount), ("cost", cost)):
        if name is None:
            continue
        numeric = pd.to_numeric(df[role], errors="coerce")
        bad = numeric.isna() | ~np.isfinite(numeric.astype(float))
        if bad.any():
            labels = df.index[bad.to_numpy()]
            raise DataValidationError(
                f"column {name!r}: {int(bad.sum())} value(s) are not numbers "
                f"({_examples(df[role], labels, line_offset)}; {where_rows(labels, source, line_offset)}). "
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
                f"({_examples(df['quantity'], labels, line_offset)}; {where_rows(labels, source, line_offset)})."
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
            df = df.loc[~negative]

    dup = df.duplicated(keep="first")
    if dup.any():
        labels = df.index[dup.to_numpy()]
        n = int(dup.sum())
        text = f"{n} row(s) are exact duplicates of an earlier row ({where_rows(labels, source, line_offset)})"
        if duplicates == "error":
            raise DataValidationError(
                text + ". Pass duplicates='warn' to keep them (repeat orders on one day) "
                "or duplicates='drop' to remove them."
            )
        if duplicates == "drop":
            warnings.warn(text + "; dropped (duplicates='drop').", DataQualityWarning, stacklevel=2)
            df = df.loc[~dup]
        else:
            warnings.warn(
                text + "; kept as separate orders (duplicates='warn'). "
                "Pass duplicates='drop' to remove them.",
                DataQualityWarning,
                stacklevel=2,
            )

    if observation_end is not None:
        check_observation_end(df, observation_end, column=date, source=source, line_offset=line_offset)

    if len(df) == 0:
        raise DataValidationError(
            f"the transaction log{where} has no rows left after applying returns={returns!r} "
            f"and duplicates={duplicates!r}."
        )
    order = np.lexsort((df["date"].to_numpy(), _sort_key(df["customer_id"])))
    out = df.iloc[order].reset_index(drop=True)
    columns = STANDARD_COLUMNS + (["cost"] if cost is not None else [])
    return out[columns]


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
