"""The DuckDB summary engine, for transaction logs larger than memory.

:func:`analysis.rfm.summarize` dispatches here with ``engine="duckdb"`` (the
default when it is given a path). The log is never loaded into pandas:

1. one DuckDB pass checks the log (rows, missing ids, unreadable dates,
   purchases after ``observation_end``) and finds the last purchase day;
2. DuckDB sorts the three columns needed (customer, day, amount) by customer,
   day and position in the file, spilling to disk when the log does not fit
   in ``memory_limit``;
3. the sorted rows arrive in Arrow batches of ``batch_rows`` rows and each
   batch is reduced to one row per customer, a customer's rows never split
   between batches.

Why sort instead of ``GROUP BY``: the summary sums floating-point amounts, and
a sum's last bit depends on the order of its terms. The pandas engine adds a
customer's purchases in (day, position) order; a parallel hash aggregate adds
them in whatever order its threads meet them, so a few customers would differ
in the last bit. Reducing sorted batches with the same numpy operations
(:mod:`analysis.engines.kernel`) gives bit-identical summaries, and measured
on two cores it is also faster than a two-level ``GROUP BY``
(high-cardinality hash tables are DuckDB's slow case).

Memory stays bounded by DuckDB's ``memory_limit``, one batch, and the summary
itself (about 40 bytes per customer).

:func:`read_log_duckdb` is the engine's file reader for
:func:`analysis.data.load_transactions` (parallel CSV parsing).
"""

from __future__ import annotations

import os
import tempfile

import numpy as np
import pandas as pd

from ..units import unit_days
from ..validate import DataValidationError, require_columns, where_rows
from .files import is_log_path, log_files
from .kernel import calibration_day, customer_totals, summary_columns, summary_frame

__all__ = ["read_log_duckdb", "summarize_duckdb"]

_EPOCH = "DATE '1970-01-01'"


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _file_list(files: list[str]) -> str:
    return "[" + ", ".join(_sql_str(f) for f in files) + "]"


def _csv_options(options: dict) -> str:
    parts = []
    for key, value in options.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        elif isinstance(value, dict):
            text = (
                "{"
                + ", ".join(f"{_sql_str(str(k))}: {_sql_str(str(v))}" for k, v in value.items())
                + "}"
            )
        else:
            text = _sql_str(str(value))
        parts.append(f"{key} = {text}")
    return "".join(", " + p for p in parts)


def _connect(memory_limit=None, threads=None, temp_directory=None):
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = {_sql_str(str(memory_limit))}")
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if temp_directory is not None:
        con.execute(f"SET temp_directory = {_sql_str(os.fspath(temp_directory))}")
    return con


def read_log_duckdb(
    path: str | os.PathLike, customer_id: str = "customer_id", **read_kwargs
) -> pd.DataFrame:
    """Read a CSV or Parquet log with DuckDB (parallel CSV parsing) into pandas.

    Used by :func:`analysis.data.load_transactions` with ``engine="duckdb"``;
    the customer id is read as text, as the pandas reader does, so ids such as
    ``"00123"`` keep their zeros.

    Parameters
    ----------
    path : str or Path
        File, glob or folder; see :func:`log_files`.
    customer_id : str
        Column read as text (CSV only; Parquet keeps its stored type).
    **read_kwargs
        Options of DuckDB's ``read_csv`` (e.g. ``delim=";"``, ``decimal_separator=","``).

    Returns
    -------
    DataFrame
        All columns, rows in file order, ``RangeIndex``.
    """
    files, kind = log_files(path)
    con = _connect()
    try:
        if kind == "parquet":
            rel = f"read_parquet({_file_list(files)})"
        else:
            if all(os.path.getsize(f) == 0 for f in files):
                return pd.DataFrame()
            options = {"header": True, **read_kwargs}
            types = dict(options.pop("types", {}) or {})
            types.setdefault(customer_id, "VARCHAR")
            header = con.sql(
                f"SELECT * FROM read_csv({_file_list(files)}{_csv_options(options)}) LIMIT 0"
            )
            types = {k: v for k, v in types.items() if k in header.columns}
            if types:
                options["types"] = types
            rel = f"read_csv({_file_list(files)}{_csv_options(options)})"
        frame = con.sql(f"SELECT * FROM {rel}").df()
    finally:
        con.close()
    return frame.reset_index(drop=True)


# ----- the summary -----------------------------------------------------------------------------
def _day_expression(column: str, sql_type: str, date: str) -> str:
    t = sql_type.upper()
    col = _ident(column)
    if t == "DATE":
        return f"({col} - {_EPOCH})"
    if t.startswith("TIMESTAMP"):
        return f"(CAST({col} AS DATE) - {_EPOCH})"
    if t == "VARCHAR":
        return f"(CAST(TRY_CAST({col} AS TIMESTAMP) AS DATE) - {_EPOCH})"
    raise DataValidationError(
        f"column {date!r} holds {t} values, not dates. Store dates as dates or ISO text "
        "(YYYY-MM-DD), or read the log with analysis.data.load_transactions(date_format=...) "
        "and summarise the frame."
    )


def _amount_expression(column: str, sql_type: str) -> str:
    t = sql_type.upper()
    col = _ident(column)
    if t == "VARCHAR":
        return f"TRY_CAST({col} AS DOUBLE)"
    return f"CAST({col} AS DOUBLE)"


def _change_mask(ids) -> np.ndarray:
    """True where a row's id differs from the previous row's (first row True); any Arrow type."""
    import pyarrow.compute as pc

    n = len(ids)
    mask = np.empty(n, dtype=bool)
    if n == 0:
        return mask
    mask[0] = True
    if n > 1:
        mask[1:] = pc.not_equal(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    return mask


def _to_numpy(arr, dtype) -> np.ndarray:
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype=dtype)


def summarize_duckdb(
    transactions,
    time_unit: str = "W",
    observation_end=None,
    calibration_end=None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | os.PathLike | None = None,
    batch_rows: int = 1_000_000,
    stacklevel: int = 2,
) -> pd.DataFrame:
    """Summarise a transaction log per customer inside DuckDB; same result as the pandas engine.

    Parameters
    ----------
    transactions : str, Path or DataFrame
        A CSV or Parquet file, a glob (``"logs/*.parquet"``) or folder of
        Parquet files read in name order, or a DataFrame (scanned in place).
    time_unit, observation_end, calibration_end, customer_id, date, amount
        As in :func:`analysis.rfm.summarize`. Dates may be stored as dates,
        timestamps (time-zone aware ones are taken in UTC) or ISO text.
    memory_limit : str, optional
        DuckDB's memory limit, e.g. ``"4GB"``; beyond it the sort spills to
        ``temp_directory``. DuckDB's default (80% of RAM) when None.
    threads : int, optional
        DuckDB worker threads; all cores when None.
    temp_directory : str or Path, optional
        Where DuckDB spills; a fresh temporary folder (removed afterwards) when None.
    batch_rows : int
        Rows per Arrow batch handed to numpy.
    stacklevel : int
        Stack level of the warning about customers first seen after
        ``calibration_end``; 2 points at the caller of this function.

    Returns
    -------
    DataFrame
        Identical to :func:`analysis.rfm.summarize` with ``engine="pandas"``:
        same index and dtype, columns, dtypes and values (bit for bit),
        holdout columns, warnings and errors.
    """
    with tempfile.TemporaryDirectory(prefix="analysis-duckdb-") as tmp:
        con = _connect(memory_limit, threads, temp_directory if temp_directory is not None else tmp)
        try:
            return _summarize(
                con,
                transactions,
                time_unit,
                observation_end,
                calibration_end,
                customer_id,
                date,
                amount,
                batch_rows,
                stacklevel + 1,
            )
        finally:
            con.close()


def _summarize(
    con,
    transactions,
    time_unit,
    observation_end,
    calibration_end,
    customer_id,
    date,
    amount,
    batch_rows,
    stacklevel,
):
    mapping = {"customer_id": customer_id, "date": date, "amount": amount}
    frame_index = None
    index_dtype = None
    if isinstance(transactions, pd.DataFrame):
        require_columns(transactions, mapping)
        # A slim view with the row position: the pandas engine keeps a day's
        # purchases in frame order, and so must the sort.
        slim = pd.DataFrame(
            {
                "cid": transactions[customer_id],
                "raw_date": transactions[date],
                "raw_amount": transactions[amount],
                "rn": np.arange(len(transactions), dtype=np.int64),
            },
            copy=False,
        ).reset_index(drop=True)
        frame_index = transactions.index
        index_dtype = pd.factorize(transactions[customer_id].iloc[:0], sort=True)[1].dtype
        con.register("analysis_log", slim)
        head = con.sql("SELECT * FROM analysis_log LIMIT 0")
        types = dict(zip(head.columns, (str(t) for t in head.types), strict=True))
        day = _day_expression("raw_date", types["raw_date"], date)
        amt = _amount_expression("raw_amount", types["raw_amount"])
        source = (
            f"SELECT cid, {day} AS day, {amt} AS amt, raw_amount, 0 AS fkey, rn FROM analysis_log"
        )
    elif is_log_path(transactions):
        files, kind = log_files(transactions)
        if kind == "parquet":
            rel = f"read_parquet({_file_list(files)})"
            position = "file_index AS fkey, file_row_number AS rn"
        else:
            rel = f"read_csv({_file_list(files)}, header = true)"
            # CSV has no row-number column; DuckDB's streaming window keeps file order.
            position = "0 AS fkey, row_number() OVER () - 1 AS rn"
        if kind == "csv" and all(os.path.getsize(f) == 0 for f in files):
            columns, sql_types = [], []
        else:
            head = con.sql(f"SELECT * FROM {rel} LIMIT 0")
            columns, sql_types = head.columns, [str(t) for t in head.types]
        require_columns(pd.DataFrame(columns=columns), mapping)
        types = dict(zip(columns, sql_types, strict=True))
        day = _day_expression(date, types[date], date)
        amt = _amount_expression(amount, types[amount])
        source = (
            f"SELECT {_ident(customer_id)} AS cid, {day} AS day, {amt} AS amt, "
            f"{_ident(amount)} AS raw_amount, {position} FROM {rel}"
        )
    else:
        raise TypeError(
            f"transactions must be a DataFrame or the path of a CSV/Parquet log, "
            f"got {type(transactions).__name__}"
        )
    # A view, so each pass reads only the columns it needs.
    con.execute(f"CREATE OR REPLACE TEMP VIEW analysis_src AS {source}")

    # ----- pass 1: checks, in the pandas engine's order --------------------------------------
    end_day_given = None
    if observation_end is not None:
        end = pd.Timestamp(observation_end)
        end_day_given = int(np.datetime64(end.normalize(), "D").astype(np.int64))
    late_sql = (
        f", count(*) FILTER (WHERE day > {end_day_given}) AS n_late"
        if end_day_given is not None
        else ", 0 AS n_late"
    )
    amount_check = (
        ", count(*) FILTER (WHERE amt IS NULL AND raw_amount IS NOT NULL) AS n_bad_amount"
        if types.get(amount if frame_index is None else "raw_amount", "").upper() == "VARCHAR"
        else ", 0 AS n_bad_amount"
    )
    n_rows, n_no_id, n_bad_date, max_day, n_late, n_bad_amount = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE cid IS NULL), "
        "count(*) FILTER (WHERE day IS NULL), max(day)"
        f"{late_sql}{amount_check} FROM analysis_src"
    ).fetchall()[0]
    if n_rows == 0:
        raise DataValidationError("the transaction log is empty (no rows): nothing to summarise.")
    unit = unit_days(time_unit)
    if n_no_id:
        raise DataValidationError(
            f"column {customer_id!r}: {int(n_no_id)} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    if n_bad_date:
        rows = _positions(con, "day IS NULL", frame_index)
        raise DataValidationError(
            f"column {date!r}: {int(n_bad_date)} value(s) are missing or could not be read as dates "
            f"({where_rows(rows, None, None)}). Store ISO dates (YYYY-MM-DD), or read the log with "
            "analysis.data.load_transactions(date_format=...) and summarise the frame."
        )
    if n_bad_amount:
        rows = _positions(con, "amt IS NULL AND raw_amount IS NOT NULL", frame_index)
        raise DataValidationError(
            f"column {amount!r}: {int(n_bad_amount)} value(s) are not numbers "
            f"({where_rows(rows, None, None)}); validate the log with analysis.data.load_transactions first."
        )
    if end_day_given is None:
        end_day = int(max_day)
    else:
        if n_late:
            rows = _positions(con, f"day > {end_day_given}", frame_index)
            raise DataValidationError(
                f"column {date!r}: {int(n_late)} purchase(s) after observation_end "
                f"{end.date()} (latest {np.datetime64(int(max_day), 'D').astype(object)}; "
                f"{where_rows(rows, None, None)}). "
                "Pass a later observation_end, or filter the log to the observation window first."
            )
        end_day = end_day_given

    cal_day = calibration_day(calibration_end, end_day)

    # ----- pass 2: sorted rows, reduced batch by batch ----------------------------------------
    import pyarrow as pa

    period_end = end_day if cal_day is None else cal_day

    def finish(new_customer, days, amounts):
        totals = customer_totals(new_customer, days, amounts, cal_day)
        return summary_columns(totals, unit, period_end, cal_day)

    # (file, row) as one key, file * 2^40 + row: the same order, and a third of the sort's
    # time at a million customers goes with the fourth key
    reader = con.sql(
        "SELECT cid, day, amt FROM analysis_src "
        "ORDER BY cid, day, (CAST(fkey AS BIGINT) << 40) + CAST(rn AS BIGINT)"
    ).to_arrow_reader(batch_rows)
    parts: list[dict] = []
    id_parts = []
    tail = None  # the last customer's rows of the previous batch
    for batch in reader:
        if batch.num_rows == 0:
            continue
        if tail is not None:
            batch = pa.Table.from_batches([tail, batch]).combine_chunks().to_batches()[0]
        new_customer = _change_mask(batch.column(0))
        last_start = int(np.flatnonzero(new_customer)[-1])
        tail = batch.slice(last_start)
        if last_start == 0:
            continue
        done = batch.slice(0, last_start)
        parts.append(
            finish(
                new_customer[:last_start],
                _to_numpy(done.column(1), np.int64),
                _to_numpy(done.column(2), np.float64),
            )
        )
        id_parts.append(done.column(0).filter(pa.array(new_customer[:last_start])))
    if tail is not None:
        new_customer = _change_mask(tail.column(0))
        parts.append(
            finish(
                new_customer,
                _to_numpy(tail.column(1), np.int64),
                _to_numpy(tail.column(2), np.float64),
            )
        )
        id_parts.append(tail.column(0).filter(pa.array(new_customer)))
    del tail, reader

    ids = pa.concat_arrays(id_parts)
    del id_parts
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        index_values = ids.to_pandas()
    else:
        index_values = ids.to_numpy(zero_copy_only=False)
    del ids
    index = pd.Index(index_values, name="customer_id")
    if index_dtype is not None and index.dtype != index_dtype:
        index = index.astype(index_dtype)
    # One column at a time, dropping the pieces as they are joined: the peak stays
    # near one copy of the summary for logs of tens of millions of customers.
    columns = {}
    for key in list(parts[0]):
        columns[key] = np.concatenate([part.pop(key) for part in parts])
    del parts
    return summary_frame(columns, index, unit, end_day, cal_day, calibration_end, stacklevel)


def _positions(con, condition: str, frame_index) -> pd.Index:
    """Labels of the first offending rows: index labels of a frame, 0-based positions in files."""
    rows = con.execute(
        f"SELECT fkey, rn FROM analysis_src WHERE {condition} ORDER BY fkey, rn LIMIT 5"
    ).fetchall()
    count = con.execute(f"SELECT count(*) FROM analysis_src WHERE {condition}").fetchall()[0][0]
    sizes = dict(con.execute("SELECT fkey, count(*) FROM analysis_src GROUP BY fkey").fetchall())
    offsets, acc = {}, 0
    for key in sorted(sizes):
        offsets[key] = acc
        acc += sizes[key]
    positions = [offsets[k] + int(r) for k, r in rows]
    if frame_index is not None:
        labels = list(frame_index[positions])
    else:
        labels = positions
    # where_rows shows at most five labels and counts the rest.
    return pd.Index(labels + [None] * (int(count) - len(labels)), dtype=object)
