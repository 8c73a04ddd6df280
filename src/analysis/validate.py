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

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

STANDARD_COLUMNS = ["customer_id", "date", "amount", "quantity"]
RETURNS_POLICIES = ("error", "drop", "keep")
DUPLICATES_POLICIES = ("warn", "drop", "error")
MAX_SHOWN = 5


class DataValidationError(ValueError):
    """A transaction log that cannot be analysed as it is; the message says why and what to do."""


class DataQualityWarning(UserWarning):
    """Something in the log was kept or dropped by a documented policy; the message says which rows."""


def where_rows(labels: Sequence, source: str | None, line_offset: int | None) -> str:
    """Describe rows as file lines (when read from a file) or index labels, showing at most a few.

    Parameters
    ----------
    labels : sequence
        Index labels of the rows (0-based positions for a file read with a
        ``RangeIndex``); only the first :data:`MAX_SHOWN` are shown, the rest counted.
    source : str or None
        The file's name, appended as ``of <source>``.
    line_offset : int or None
        Added to a label to give its file line (2 for a CSV with a header);
        None to show index labels as ``rows ...``.

    Returns
    -------
    str
        E.g. ``"lines 3, 5 of log.csv"`` or ``"rows 'r1', 'r4'"``.
    """
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
    """The first few values of ``series`` at ``labels``, each with its line or row."""
    return "; ".join(
        f"{_at(label, line_offset)}: {series.loc[label]!r}" for label in list(labels)[:MAX_SHOWN]
    )


def _at(label, line_offset: int | None) -> str:
    """One row as a file line (when read from a file) or an index label."""
    return f"line {int(label) + line_offset}" if line_offset is not None else f"row {label!r}"


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


_TWO_DIGIT_YEAR = re.compile(r"^(\s*\d{1,2}([/.\-])\d{1,2}\2)(\d{2})(?!\d)(.*)$")
_SAMPLE = 50


def _day_text(value: pd.Timestamp) -> str:
    """A timestamp as ``YYYY-MM-DD``, with the time only when it is not midnight."""
    return str(value.date()) if value == value.normalize() else str(value)


def _guess_format(text: str) -> str | None:
    """The ``strftime`` format pandas infers from one date string, read month-first.

    Two-digit years (``03/04/97``), which pandas does not guess, are guessed on
    the same text with a four-digit year and given back with ``%y``.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fmt = guess_datetime_format(text, dayfirst=False)
        if fmt is None:
            match = _TWO_DIGIT_YEAR.match(text)
            if match is not None:
                long_year = guess_datetime_format(match.group(1) + "2000" + match.group(4), dayfirst=False)
                if long_year is not None and long_year.count("%Y") == 1:
                    fmt = long_year.replace("%Y", "%y")
    return fmt


def _day_month_orders(fmt: str) -> tuple[str, str] | None:
    """The month-first and day-first versions of a format whose day and month precede the year.

    Returns None for formats that cannot be misread that way: year first (ISO),
    month names, or no day, month or year field.
    """
    day, month = fmt.find("%d"), fmt.find("%m")
    year = max(fmt.find("%Y"), fmt.find("%y"))
    if day < 0 or month < 0 or year < max(day, month):
        return None
    swapped = fmt.replace("%d", "\0").replace("%m", "%d").replace("\0", "%m")
    return (fmt, swapped) if month < day else (swapped, fmt)


def _unreadable(
    values: pd.Series, bad: pd.Series, column: str, source: str | None, line_offset: int | None, advice: str
) -> DataValidationError:
    """The error for dates that could not be read: count, first values, where, and ``advice``."""
    labels = values.index[bad.to_numpy()]
    return DataValidationError(
        f"column {column!r}: {int(bad.sum())} value(s) could not be read as dates "
        f"({_examples(values, labels, line_offset)}; {where_rows(labels, source, line_offset)}). {advice}"
    )


def _naive(parsed: pd.Series) -> pd.Series:
    """Dates as ``datetime64[ns]`` without timezone (local wall-clock time is kept)."""
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _to_datetime(raw: pd.Series, fmt: str | None, dayfirst: bool = False) -> pd.Series:
    """``pd.to_datetime`` with ``errors="coerce"``: values that do not read become NaT."""
    with warnings.catch_warnings():
        # pandas warns when it falls back to per-element parsing; failures are reported by the caller.
        warnings.simplefilter("ignore", UserWarning)
        return pd.to_datetime(raw, format=fmt, dayfirst=dayfirst, errors="coerce")


def _read_dates(
    values: pd.Series,
    column: str,
    date_format: str | None,
    dayfirst: bool | None,
    source: str | None,
    line_offset: int | None,
) -> tuple[pd.Series, str | None, str | None]:
    """Parse a date column; return the dates, the format used and an ambiguity warning (or None)."""
    if dayfirst is not None and not isinstance(dayfirst, (bool, np.bool_)):
        raise ValueError(f"dayfirst must be True, False or None, got {dayfirst!r}")
    if pd.api.types.is_datetime64_any_dtype(values):
        return _naive(values), None, None

    raw = values
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        whole = raw.notna().all() and bool(np.all(np.mod(raw.to_numpy(dtype=float), 1) == 0))
        if date_format is not None or (whole and len(raw) and _guess_format(str(int(raw.iloc[0]))) == "%Y%m%d"):
            # e.g. CDNOW's 19970101 read as an integer
            raw = raw.astype("Int64").astype(str)
            date_format = date_format or "%Y%m%d"

    if date_format is not None:
        parsed = _to_datetime(raw, date_format)
        bad = parsed.isna()
        if bad.any():
            raise _unreadable(
                values, bad, column, source, line_offset,
                f"Fix or remove those rows; the format {date_format!r} did not match.",
            )
        return _naive(parsed), date_format, None

    fmt, inferred = None, ""
    if pd.api.types.infer_dtype(raw, skipna=True) == "string":
        for label, text in raw.dropna().head(_SAMPLE).items():
            fmt = _guess_format(text)
            if fmt is not None:
                inferred = f"inferred from {text!r} ({_at(label, line_offset)})"
                break
    generic = "pass date_format= (for example '%Y%m%d' or '%d/%m/%Y') if the format is unusual"
    if fmt is None:
        # No format to infer: pandas reads value by value.
        parsed = _to_datetime(raw, None, dayfirst=bool(dayfirst))
        bad = parsed.isna()
        if bad.any():
            raise _unreadable(values, bad, column, source, line_offset, f"Fix or remove those rows; {generic}.")
        return _naive(parsed), None, None

    orders = _day_month_orders(fmt)
    if orders is None:
        parsed = _to_datetime(raw, fmt)
        bad = parsed.isna()
        if bad.any():
            raise _unreadable(
                values, bad, column, source, line_offset,
                f"The dates were read with the format {fmt!r}, {inferred}. Fix or remove those rows; {generic}.",
            )
        return _naive(parsed), fmt, None

    month_first, day_first = orders
    readings = {
        "month-first": (month_first, _to_datetime(raw, month_first)),
        "day-first": (day_first, _to_datetime(raw, day_first)),
    }
    bad = {name: parsed.isna() for name, (_, parsed) in readings.items()}

    if dayfirst is not None:
        name, other = ("day-first", "month-first") if dayfirst else ("month-first", "day-first")
        used, parsed = readings[name]
        if bad[name].any():
            advice = f"They were read {name} ({used!r}) as dayfirst={bool(dayfirst)} asks."
            if not (bad[name] & bad[other]).any():
                advice += f" All of them read validly {other}: pass dayfirst={not dayfirst} if the file writes them so."
            raise _unreadable(values, bad[name], column, source, line_offset, advice + " Fix or remove those rows.")
        return _naive(parsed), used, None

    fits = [name for name in readings if not bad[name].any()]
    if len(fits) == 2:
        used, parsed = readings["month-first"]
        differ = parsed != readings["day-first"][1]
        if not differ.any():
            return _naive(parsed), used, None
        example = int(np.flatnonzero(differ.to_numpy())[0])
        message = (
            f"column {column!r}: the dates are ambiguous: every value reads both month-first and "
            f"day-first, e.g. {raw.iloc[example]!r} ({_at(values.index[example], line_offset)}"
            f"{f' of {source}' if source else ''}) is {_day_text(parsed.iloc[example])} read month-first, "
            f"{_day_text(readings['day-first'][1].iloc[example])} read day-first; {int(differ.sum())} of "
            f"{len(raw)} value(s) differ. They were read month-first ({used!r}). If the file writes "
            f"the day first, pass date_format={day_first!r} or dayfirst=True; pass dayfirst=False "
            f"(or date_format={month_first!r}) to confirm month-first and silence this warning."
        )
        return _naive(parsed), used, message
    if len(fits) == 1:
        used, parsed = readings[fits[0]]
        return _naive(parsed), used, None

    # Neither order reads every value: report the reading that fails least.
    best, other = sorted(readings, key=lambda name: int(bad[name].sum()))
    if not (bad[best] & ~bad[other]).any():
        raise _unreadable(
            values, bad[best], column, source, line_offset,
            f"The dates were read {best} ({readings[best][0]!r}), the day/month order that "
            f"reads the most values. Fix or remove those rows; {generic}.",
        )
    labels = {name: values.index[bad[name].to_numpy()] for name in readings}
    raise DataValidationError(
        f"column {column!r}: no single day/month order reads every date. Read month-first "
        f"({month_first!r}), {len(labels['month-first'])} value(s) could not be read as dates "
        f"({_examples(values, labels['month-first'], line_offset)}; "
        f"{where_rows(labels['month-first'], source, line_offset)}); read day-first ({day_first!r}), "
        f"{len(labels['day-first'])} value(s) could not ({_examples(values, labels['day-first'], line_offset)}; "
        f"{where_rows(labels['day-first'], source, line_offset)}). The column seems to mix both orders: "
        "fix those rows so that all dates are written the same way, or remove them."
    )


def parse_dates(
    values: pd.Series,
    column: str,
    date_format: str | None = None,
    source: str | None = None,
    line_offset: int | None = None,
    dayfirst: bool | None = None,
) -> pd.Series:
    """Parse a date column with one format for every value; raise with the rows that fail.

    Parameters
    ----------
    values : Series
        The raw date column (text, numbers such as ``19970101``, or datetimes).
    column : str
        The column's name in the user's log, for messages.
    date_format : str, optional
        ``strftime`` format of every value; inferred from the first values when None.
    source : str, optional
        Name of the file, for messages.
    line_offset : int, optional
        Add this to a row's position to get its file line; when None, messages
        show index labels.
    dayfirst : bool, optional
        For text dates ordered ``dd/mm/yyyy`` or ``mm/dd/yyyy``: True reads the
        day first, False the month first. When None the one order that reads
        every value is used; if both do and they disagree, month-first is used
        with a :class:`DataQualityWarning`. Ignored when ``date_format`` is
        given, and for ISO dates and datetime columns.

    Returns
    -------
    Series
        ``datetime64[ns]`` dates, timezone dropped, same index as ``values``.

    Raises
    ------
    DataValidationError
        When some values cannot be read (count, first values and their lines),
        including a column mixing day-first and month-first dates.

    Warns
    -----
    DataQualityWarning
        When day-first and month-first both read every value differently.
    """
    parsed, _, ambiguity = _read_dates(values, column, date_format, dayfirst, source, line_offset)
    if ambiguity is not None:
        warnings.warn(ambiguity, DataQualityWarning, stacklevel=2)
    return parsed


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

    df["date"], used_format, ambiguity = _read_dates(
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
        check_observation_end(df, observation_end, column=date, source=source, line_offset=line_offset)

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
