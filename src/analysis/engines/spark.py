"""The Spark summary engine, for transaction logs that outgrow one machine.

:func:`analysis.rfm.summarize` dispatches here with ``engine="spark"`` (the
default for a Spark DataFrame). The log is a Spark DataFrame, a CSV or
Parquet file, glob or folder that Spark reads (:func:`.files.log_files`), or
a pandas DataFrame sent to the session. PySpark is imported only when the
engine runs (``pip install 'analysis[spark]'``; Spark 4 needs Java 17).

1. Spark reads the log, turns dates into day numbers and amounts into
   doubles, and one aggregation checks it in the other engines' order
   (rows, missing ids, unreadable dates or amounts, purchases after
   ``observation_end``) and finds the last purchase day
   (:func:`.spark_log.checked_rows`).
2. The rows are hash-partitioned by customer and sorted within each
   partition by (customer, day, position in the log), so a customer's rows
   are contiguous and never split between partitions; ``mapInPandas``
   streams each partition through the shared :mod:`.kernel`, one row out
   per customer. This per-customer summary stays a (lazy) Spark DataFrame:
   :func:`summary_dataframe` returns it, for :func:`analysis.spark.score`.
3. :func:`summarize_spark` collects it to pandas (one row per customer) or,
   with ``compress``, groups it by (frequency, recency, T) inside Spark so
   the driver receives only the distinct patterns and their ``weight``.

Why the kernel rather than ``groupBy().agg(sum(...))``: a floating-point sum
depends on the order of its terms, and numpy adds a day of eight or more
purchases pairwise, not left to right. Spark's aggregates add in whatever
order partitions meet, so a few customers would differ in the last bit.
Running the same numpy code on rows in the same order gives summaries equal
bit for bit to the pandas and DuckDB engines (as DuckDB's sorted batches do).

Within a day, purchases are added in log order: the order of the files
(by path) and of the rows in each file; for a Spark DataFrame, the order of
its partitions (``monotonically_increasing_id``). Timestamps are taken as
dates in the session's time zone (UTC in :func:`local_session`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ..units import unit_days
from ..validate import DataValidationError
from .files import is_log_path
from .kernel import calibration_day, customer_totals, summary_columns, summary_frame, warn_excluded
from .spark_log import (
    checked_rows,
    is_spark_dataframe,
    local_session,
    pyspark_modules,
    quiet,
    session,
)

__all__ = [
    "COMPRESS_COLUMNS",
    "SparkSummary",
    "is_spark_dataframe",
    "local_session",
    "session",
    "summarize_spark",
    "summary_dataframe",
]

#: the pattern columns of ``compress=True``: what the count models fit on
COMPRESS_COLUMNS = ["frequency", "recency", "T"]


@dataclass(frozen=True)
class SparkSummary:
    """The per-customer summary as a Spark DataFrame (see :func:`summary_dataframe`).

    Attributes
    ----------
    frame : pyspark.sql.DataFrame
        ``customer_id``, ``frequency`` (long), ``recency``, ``T``,
        ``monetary_value`` (doubles), with ``calibration_end`` the holdout's
        ``frequency_holdout`` and ``monetary_value_holdout``, and ``keep``
        (False for customers first seen after ``calibration_end``). Lazy:
        nothing is computed until it is written or collected.
    log : pyspark.sql.DataFrame
        The checked log rows: ``customer_id``, ``day`` (days since
        1970-01-01, long), ``amount`` (double).
    end_day, cal_day : int, int or None
        Day numbers of the observation end and of ``calibration_end``.
    unit : float
        Days per time unit.
    index_dtype : dtype or None
        The pandas engine's index dtype, for a pandas log.
    """

    frame: Any
    log: Any
    end_day: int
    cal_day: int | None
    unit: float
    index_dtype: Any = None


# ----- the summary --------------------------------------------------------------------------------
def _reduce_rows(frame: pd.DataFrame, new_customer: np.ndarray, unit, period_end, cal_day):
    totals = customer_totals(
        new_customer,
        frame["day"].to_numpy(dtype=np.int64),
        frame["amt"].to_numpy(dtype=np.float64),
        cal_day,
    )
    columns = summary_columns(totals, unit, period_end, cal_day)
    keep = columns.pop("_keep")
    out = pd.DataFrame({"customer_id": frame["cid"].to_numpy()[new_customer], **columns})
    out["keep"] = keep
    return out


def _reduce_partition(batches, unit, period_end, cal_day):
    """Sorted rows of one partition, batch by batch -> one summary row per customer.

    A customer's rows may straddle two Arrow batches: the last customer of a
    batch waits for the next one (as in the DuckDB engine).
    """
    tail = None
    for batch in batches:
        if tail is not None:
            batch = pd.concat([tail, batch], ignore_index=True)
        if len(batch) == 0:
            continue
        cid = batch["cid"].to_numpy()
        new_customer = np.r_[True, cid[1:] != cid[:-1]]
        last_start = int(np.flatnonzero(new_customer)[-1])
        tail = batch.iloc[last_start:].reset_index(drop=True)
        if last_start:
            yield _reduce_rows(
                batch.iloc[:last_start], new_customer[:last_start], unit, period_end, cal_day
            )
    if tail is not None and len(tail):
        cid = tail["cid"].to_numpy()
        yield _reduce_rows(tail, np.r_[True, cid[1:] != cid[:-1]], unit, period_end, cal_day)


def summary_dataframe(
    transactions,
    time_unit: str = "W",
    observation_end=None,
    calibration_end=None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    *,
    spark=None,
    partitions: int | None = None,
) -> SparkSummary:
    """Check the log and describe its per-customer summary as a Spark DataFrame (not collected).

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame, str, Path or pandas.DataFrame
        The log; a path is a CSV or Parquet file, glob or folder (:func:`.files.log_files`).
    time_unit, observation_end, calibration_end, customer_id, date, amount
        As in :func:`analysis.rfm.summarize`.
    spark : SparkSession, optional
        The session; by default the DataFrame's, else :func:`session`.
    partitions : int, optional
        Partitions of the per-customer shuffle; ``spark.sql.shuffle.partitions`` by default
        (for a pandas log, at most one per million rows).

    Returns
    -------
    SparkSummary
        The checks have run (they raise the other engines' errors); the
        summary itself is lazy.
    """
    mapping = {"customer_id": customer_id, "date": date, "amount": amount}
    if is_spark_dataframe(transactions):
        spark = transactions.sparkSession
    elif not (is_log_path(transactions) or isinstance(transactions, pd.DataFrame)):
        raise TypeError(
            "transactions must be a Spark or pandas DataFrame or the path of a CSV/Parquet log, "
            f"got {type(transactions).__name__}"
        )
    spark = session(spark)
    _, F = pyspark_modules()
    with quiet():
        rows, end_day, index_dtype = checked_rows(
            spark, transactions, time_unit, observation_end, mapping
        )
    unit = unit_days(time_unit)
    cal_day = calibration_day(calibration_end, end_day)
    period_end = end_day if cal_day is None else cal_day
    id_type = rows.schema["cid"].dataType.simpleString()
    schema = (
        f"customer_id {id_type}, frequency long, recency double, T double, monetary_value double"
    )
    if cal_day is not None:
        schema += ", frequency_holdout long, monetary_value_holdout double"
    if partitions is None:
        partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))
        if isinstance(transactions, pd.DataFrame):  # in memory already: a partition per 1M rows
            partitions = min(partitions, 1 + len(transactions) // 1_000_000)
    reduce = partial(_reduce_partition, unit=unit, period_end=period_end, cal_day=cal_day)
    frame = (
        rows.select("cid", "day", "amt", "fkey", "rn")
        .repartition(int(partitions), "cid")
        .sortWithinPartitions("cid", "day", "fkey", "rn")
        .select("cid", "day", "amt")
        .mapInPandas(reduce, schema + ", keep boolean")
    )
    log = rows.select(F.col("cid").alias("customer_id"), F.col("day"), F.col("amt").alias("amount"))
    return SparkSummary(frame, log, end_day, cal_day, unit, index_dtype)


def summarize_spark(
    transactions,
    time_unit: str = "W",
    observation_end=None,
    calibration_end=None,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    *,
    compress: bool | list[str] = False,
    spark=None,
    partitions: int | None = None,
    stacklevel: int = 2,
) -> pd.DataFrame:
    """Summarise a transaction log per customer on Spark; same result as the pandas engine.

    Parameters
    ----------
    transactions : pyspark.sql.DataFrame, str, Path or pandas.DataFrame
        The log: a Spark DataFrame, a CSV or Parquet file, a glob
        (``"logs/*.parquet"``) or folder of Parquet files read by Spark, or a
        pandas DataFrame (sent to the session).
    time_unit, observation_end, calibration_end, customer_id, date, amount
        As in :func:`analysis.rfm.summarize`.
    compress : bool or list of str
        True: return the distinct (``frequency``, ``recency``, ``T``) rows
        with a ``weight`` (number of customers), grouped inside Spark, so the
        driver receives patterns, not customers (the count models fit on
        them); a list names other summary columns to group by (e.g.
        ``["frequency", "monetary_value"]`` for Gamma-Gamma). Equal to
        :func:`analysis.rfm.compress` of the full summary.
    spark : SparkSession, optional
        The session; by default the DataFrame's, else :func:`session`.
    partitions : int, optional
        Partitions of the per-customer shuffle; ``spark.sql.shuffle.partitions`` by default.
    stacklevel : int
        Stack level of the warning about customers first seen after
        ``calibration_end``; 2 points at the caller of this function.

    Returns
    -------
    DataFrame
        Without ``compress``: identical to :func:`analysis.rfm.summarize`
        with ``engine="pandas"`` (same index, columns, dtypes, values bit
        for bit, holdout columns, warnings and errors).
    """
    with quiet():
        return _collect(
            summary_dataframe(
                transactions,
                time_unit,
                observation_end,
                calibration_end,
                customer_id,
                date,
                amount,
                spark=spark,
                partitions=partitions,
            ),
            compress,
            calibration_end,
            stacklevel + 1,
        )


def _collect(summary: SparkSummary, compress, calibration_end, stacklevel) -> pd.DataFrame:
    _, F = pyspark_modules()
    duration = None
    if summary.cal_day is not None:
        duration = (summary.end_day - summary.cal_day) / summary.unit
    if compress is not False and compress is not None:
        columns = list(COMPRESS_COLUMNS if compress is True else compress)
        frame = summary.frame
        if duration is not None:
            frame = frame.withColumn("duration_holdout", F.lit(duration))
        missing = [c for c in columns if c not in frame.columns or c == "keep"]
        if missing:
            raise DataValidationError(
                f"compress: column(s) {missing} not in the summary; columns found: "
                f"{[c for c in frame.columns if c not in ('customer_id', 'keep')]}"
            )
        counts = frame.groupBy(*columns, "keep").agg(F.count(F.lit(1)).alias("weight"))
        counts = counts.toArrow().to_pandas()
        keep = counts["keep"].to_numpy(dtype=bool)
        out = counts.loc[keep, [*columns, "weight"]].sort_values(columns, kind="stable")
        out = out.reset_index(drop=True).astype({"weight": np.int64})
        if duration is not None:
            warn_excluded(int(counts.loc[~keep, "weight"].sum()), calibration_end, stacklevel)
        return out
    import pyarrow as pa

    table = summary.frame.toArrow()
    ids = table.column("customer_id")
    if pa.types.is_string(ids.type) or pa.types.is_large_string(ids.type):
        id_series = ids.to_pandas()  # pandas' string dtype, as the DuckDB engine gives
        order = np.argsort(id_series.to_numpy(dtype=object), kind="stable")
        index = pd.Index(id_series.take(order))
    else:
        values = ids.to_numpy()
        order = np.argsort(values, kind="stable")
        index = pd.Index(values[order])
    if summary.index_dtype is not None and index.dtype != summary.index_dtype:
        index = index.astype(summary.index_dtype)
    columns = {
        ("_keep" if name == "keep" else name): table.column(name).to_numpy()[order]
        for name in table.column_names
        if name != "customer_id"
    }
    return summary_frame(
        columns, index, summary.unit, summary.end_day, summary.cal_day, calibration_end, stacklevel
    )
