"""Reading and checking a transaction log on Spark, and the session to do it in.

Used by the Spark engine (:mod:`.spark`) and :mod:`analysis.spark`:

- :func:`local_session` -- a local-mode session bound to 127.0.0.1 (tests,
  one machine); :func:`session` -- the session to run on (the given one,
  the active one, a cluster's under ``spark-submit``, else a local one);
- :func:`checked_rows` -- the log's rows as Spark columns (customer, day
  number, amount, position in the log), after the checks of the other
  engines, in their order and with their messages.

PySpark is imported only inside these functions, so the package imports
without it.
"""

from __future__ import annotations

import os
import sys
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from ..units import unit_days
from ..validate import DataValidationError, require_columns, where_rows
from .files import CSV_SUFFIXES, log_files
from .kernel import day_numbers
from .kernel import end_day as kernel_end_day

__all__ = [
    "checked_rows",
    "is_spark_dataframe",
    "local_session",
    "pyspark_modules",
    "quiet",
    "session",
]

_EMPTY = "the transaction log is empty (no rows): nothing to summarise."


def is_spark_dataframe(obj: Any) -> bool:
    """True for a PySpark DataFrame (classic or Connect), without importing PySpark."""
    module = type(obj).__module__
    return module.startswith("pyspark.sql") and type(obj).__name__ == "DataFrame"


def pyspark_modules():
    """``(SparkSession, pyspark.sql.functions)``, with a hint to install PySpark when it is missing."""
    try:
        import pyspark.sql  # noqa: F401
    except ImportError as err:  # pragma: no cover - exercised without pyspark
        raise ImportError(
            "engine='spark' needs PySpark: pip install 'analysis[spark]' (Spark 4 needs "
            "Java 17), or run `make test-spark`, which installs requirements-spark.lock."
        ) from err
    from pyspark.sql import SparkSession, functions

    return SparkSession, functions


@contextmanager
def quiet():
    """Silence PySpark's warning that pandas 3 is not fully supported."""
    # PySpark 4 warns at every pandas conversion that pandas 3 is not fully supported;
    # the conversions used here (numbers, strings, one row per customer) are checked by
    # tests/test_spark.py against the pandas engine.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not yet fully support pandas")
        warnings.filterwarnings("ignore", message="The copy keyword is deprecated")
        yield


def local_session(
    cores: int = 2,
    driver_memory: str = "2g",
    shuffle_partitions: int = 8,
    app_name: str = "analysis",
    **conf: str,
):
    """A local-mode SparkSession for one machine (tests, a laptop, a quick look).

    Bound to 127.0.0.1 (no network), UI off, time zone UTC, Arrow on, and
    this interpreter for the Python workers. If a session is already running
    it is returned instead (Spark allows one per process) and these settings
    do not apply to it.

    Parameters
    ----------
    cores : int
        Worker threads (``local[cores]``).
    driver_memory : str
        JVM heap, e.g. ``"2g"`` (in local mode the executors share it).
    shuffle_partitions : int
        ``spark.sql.shuffle.partitions``: partitions after a shuffle.
    app_name : str
        The application's name.
    **conf : str
        Further Spark settings, e.g. ``**{"spark.local.dir": "/scratch"}``.
    """
    SparkSession, _ = pyspark_modules()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = {
        "spark.driver.memory": driver_memory,
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": str(int(shuffle_partitions)),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.pyspark.python": os.environ["PYSPARK_PYTHON"],
        "spark.executorEnv.PYTHONWARNINGS": "ignore::FutureWarning",
        **conf,
    }
    builder = SparkSession.builder.master(f"local[{int(cores)}]").appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def session(spark=None):
    """The session to run on: ``spark``, else the active one, else a new one.

    Under ``spark-submit`` (or a notebook attached to a cluster) the new
    session is the configured cluster's; elsewhere :func:`local_session`.
    """
    if spark is not None:
        return spark
    SparkSession, _ = pyspark_modules()
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if "PYSPARK_GATEWAY_PORT" in os.environ:  # launched by spark-submit / pyspark
        return SparkSession.builder.getOrCreate()
    return local_session()


def _from_pandas(spark, frame, time_unit, observation_end, mapping):
    """Check a pandas log as the pandas engine does and send its rows to Spark."""
    customer_id, date, amount = mapping["customer_id"], mapping["date"], mapping["amount"]
    require_columns(frame, mapping)
    if len(frame) == 0:
        raise DataValidationError(_EMPTY)
    unit_days(time_unit)
    ids = frame[customer_id]
    n_missing = int(ids.isna().sum())
    if n_missing:
        raise DataValidationError(
            f"column {customer_id!r}: {n_missing} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    days = day_numbers(frame[date])
    amounts = frame[amount].to_numpy(dtype=float)
    end_day = kernel_end_day(frame[date], days, observation_end, date)
    index_dtype = pd.factorize(ids.iloc[:0], sort=True)[1].dtype
    if pd.api.types.is_integer_dtype(ids.dtype):
        cid, id_type = ids.to_numpy(dtype=np.int64), "long"
    elif pd.api.types.is_float_dtype(ids.dtype):
        cid, id_type = ids.to_numpy(dtype=float), "double"
    else:
        cid, id_type = np.asarray(ids, dtype=object), "string"
    slim = pd.DataFrame(
        {"cid": cid, "day": days, "amt": amounts, "rn": np.arange(len(frame), dtype=np.int64)}
    )
    with quiet():
        rows = spark.createDataFrame(slim, schema=f"cid {id_type}, day long, amt double, rn long")
    _, F = pyspark_modules()
    return rows.withColumn("fkey", F.lit("")), end_day, index_dtype


def _day_column(F, column: str, dtype, date: str):
    name = dtype.typeName()
    col = F.col(column)
    if name == "date":
        return F.unix_date(col).cast("long")
    if name in ("timestamp", "timestamp_ntz"):
        return F.unix_date(F.to_date(col)).cast("long")
    if name == "string":
        return F.unix_date(F.expr(f"try_cast(`{column}` AS TIMESTAMP_NTZ)").cast("date")).cast(
            "long"
        )
    raise DataValidationError(
        f"column {date!r} holds {dtype.simpleString().upper()} values, not dates. Store dates as "
        "dates or ISO text (YYYY-MM-DD), or read the log with "
        "analysis.data.load_transactions(date_format=...) and summarise the frame."
    )


def _files(path) -> tuple[list[str], str]:
    """The files of a log path: local ones listed here, a URI (``s3a://...``) left to Spark."""
    text = os.fspath(path)
    if "://" not in text:
        return log_files(path)
    low = text.lower().rstrip("/")
    return [text], "csv" if low.endswith(CSV_SUFFIXES) else "parquet"


def _from_spark(spark, transactions, mapping):
    """The log's rows as (cid, day, amt, raw_amount, fkey, rn), and whether amounts were text."""
    _, F = pyspark_modules()
    customer_id, date, amount = mapping["customer_id"], mapping["date"], mapping["amount"]
    kind = None  # a Spark DataFrame's own types are kept
    if is_spark_dataframe(transactions):
        sdf, fkey = transactions, F.lit("")
    else:
        files, kind = _files(transactions)
        if kind == "csv" and all(os.path.exists(f) and os.path.getsize(f) == 0 for f in files):
            require_columns(pd.DataFrame(), mapping)
        try:
            if kind == "parquet":
                sdf = spark.read.parquet(*files)
            else:
                sdf = spark.read.csv(files, header=True, inferSchema=True)
        except Exception as err:
            if "TIMESTAMP(NANOS" not in str(err):
                raise
            raise DataValidationError(
                f"{os.fspath(transactions)} stores nanosecond timestamps, which Spark cannot "
                "read. Write the Parquet with dates or micro/millisecond timestamps (pandas: "
                "df.astype({'date': 'datetime64[ms]'}).to_parquet(...)), or read it with another "
                "engine."
            ) from None
        # the file orders a day's purchases before the row does (one file: nothing to order)
        fkey = (
            F.lit("") if len(files) == 1 and "://" not in files[0] else F.col("_metadata.file_path")
        )
    require_columns(pd.DataFrame(columns=sdf.columns), mapping)
    types = {field.name: field.dataType for field in sdf.schema.fields}
    text_amount = types[amount].typeName() == "string"
    amt = F.expr(f"try_cast(`{amount}` AS DOUBLE)") if text_amount else F.col(amount)
    cid = F.col(customer_id)
    if kind == "csv":
        if types[customer_id].typeName() in ("byte", "short", "integer"):
            cid = cid.cast("long")  # pandas reads whole numbers in CSV as int64
    rows = sdf.select(
        cid.alias("cid"),
        _day_column(F, date, types[date], date).alias("day"),
        amt.cast("double").alias("amt"),
        F.col(amount).alias("raw_amount"),
        fkey.alias("fkey"),
        F.monotonically_increasing_id().alias("rn"),
    )
    return rows, text_amount


def _positions(F, rows, condition, count: int) -> pd.Index:
    """0-based positions in the log of the first offending rows (files by path, then rows)."""
    first = rows.filter(condition).orderBy("fkey", "rn").select("fkey", "rn").limit(5).collect()
    parts = (
        rows.groupBy("fkey", F.shiftright("rn", 33).alias("pid"))
        .agg(F.count(F.lit(1)).alias("n"), F.min("rn").alias("lo"))
        .collect()
    )
    offsets, acc = {}, 0
    for part in sorted(parts, key=lambda p: (p["fkey"], p["pid"])):
        offsets[(part["fkey"], part["pid"])] = (acc, part["lo"])
        acc += part["n"]
    positions = []
    for row in first:
        start, lo = offsets[(row["fkey"], row["rn"] >> 33)]
        positions.append(start + row["rn"] - lo)
    return pd.Index(positions + [None] * (count - len(positions)), dtype=object)


def _check_spark(F, rows, text_amount, time_unit, observation_end, mapping) -> int:
    """One pass over the log: the other engines' checks, in their order; returns the end day."""
    customer_id, date, amount = mapping["customer_id"], mapping["date"], mapping["amount"]
    end_given = None
    if observation_end is not None:
        end = pd.Timestamp(observation_end)
        end_given = int(np.datetime64(end.normalize(), "D").astype(np.int64))
    late = F.col("day") > end_given if end_given is not None else F.lit(False)
    bad_amount = F.col("amt").isNull() & F.col("raw_amount").isNotNull() & F.lit(text_amount)
    n_rows, n_no_id, n_bad_date, max_day, n_late, n_bad_amount = rows.agg(
        F.count(F.lit(1)),
        F.count(F.when(F.col("cid").isNull(), 1)),
        F.count(F.when(F.col("day").isNull(), 1)),
        F.max("day"),
        F.count(F.when(late, 1)),
        F.count(F.when(bad_amount, 1)),
    ).first()
    if n_rows == 0:
        raise DataValidationError(_EMPTY)
    unit_days(time_unit)
    if n_no_id:
        raise DataValidationError(
            f"column {customer_id!r}: {n_no_id} row(s) have no customer id; "
            "validate the log with analysis.data.load_transactions first."
        )
    if n_bad_date:
        where = where_rows(_positions(F, rows, F.col("day").isNull(), n_bad_date), None, None)
        raise DataValidationError(
            f"column {date!r}: {n_bad_date} value(s) are missing or could not be read as dates "
            f"({where}). Store ISO dates (YYYY-MM-DD), or read the log with "
            "analysis.data.load_transactions(date_format=...) and summarise the frame."
        )
    if n_bad_amount:
        where = where_rows(_positions(F, rows, bad_amount, n_bad_amount), None, None)
        raise DataValidationError(
            f"column {amount!r}: {n_bad_amount} value(s) are not numbers ({where}); "
            "validate the log with analysis.data.load_transactions first."
        )
    if end_given is None:
        return int(max_day)
    if n_late:
        where = where_rows(_positions(F, rows, late, n_late), None, None)
        raise DataValidationError(
            f"column {date!r}: {n_late} purchase(s) after observation_end "
            f"{end.date()} (latest {np.datetime64(int(max_day), 'D').astype(object)}; {where}). "
            "Pass a later observation_end, or filter the log to the observation window first."
        )
    return end_given


def checked_rows(spark, transactions, time_unit, observation_end, mapping: dict[str, str]):
    """The log's rows on Spark, checked as the other engines check them.

    Parameters
    ----------
    spark : SparkSession
    transactions : pyspark.sql.DataFrame, str, Path or pandas.DataFrame
        The log (a path: CSV or Parquet file, glob or folder, read by Spark).
    time_unit, observation_end
        As in :func:`analysis.rfm.summarize` (checked here).
    mapping : dict
        ``customer_id``, ``date``, ``amount`` to the log's column names.

    Returns
    -------
    rows : pyspark.sql.DataFrame
        ``cid``, ``day`` (days since 1970-01-01), ``amt`` (double), ``fkey``
        and ``rn`` (position in the log: file path and row id, lazy).
    end_day : int
        Day number of the observation end.
    index_dtype : dtype or None
        The pandas engine's index dtype, for a pandas log.
    """
    if isinstance(transactions, pd.DataFrame):
        return _from_pandas(spark, transactions, time_unit, observation_end, mapping)
    _, F = pyspark_modules()
    rows, text_amount = _from_spark(spark, transactions, mapping)
    end_day = _check_spark(F, rows, text_amount, time_unit, observation_end, mapping)
    return rows.drop("raw_amount"), end_day, None
