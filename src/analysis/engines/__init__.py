"""Summary engines: the code that turns a transaction log into the per-customer summary.

:func:`analysis.rfm.summarize` and :func:`analysis.data.load_transactions`
take an ``engine`` name and look it up in the registry kept here:

- :mod:`.registry` -- :func:`register`, :func:`get`, :func:`names`, :func:`unregister`;
- :mod:`.kernel` -- the per-customer reduction every engine shares, so their
  summaries agree bit for bit;
- :mod:`.files` -- which files a log path names, and reading them with pandas;
- :mod:`.pandas` -- the in-memory engine (``"pandas"``, the default for a DataFrame);
- :mod:`.duckdb` -- the out-of-core engine (``"duckdb"``, the default for a
  path) and its parallel CSV reader;
- :mod:`.spark` -- the cluster engine (``"spark"``, the default for a Spark
  DataFrame; PySpark is imported only when it runs), with :mod:`.spark_log`
  reading and checking the log on Spark and making the session.

A new engine is one module with a summarise function (and optionally a file
reader) following the conventions of :mod:`.registry`, plus one
:func:`register` line below. Nothing here imports :mod:`analysis.rfm`.
"""

from __future__ import annotations

from typing import Any

from . import kernel
from .duckdb import read_log_duckdb, summarize_duckdb
from .files import is_log_path, log_files, read_log
from .pandas import summarize_pandas
from .registry import Engine, get, names, register, unregister
from .spark import is_spark_dataframe, summarize_spark

__all__ = [
    "Engine",
    "default_engine",
    "get",
    "is_log_path",
    "kernel",
    "log_files",
    "names",
    "read_log",
    "read_log_duckdb",
    "register",
    "summarize_duckdb",
    "summarize_pandas",
    "summarize_spark",
    "unregister",
]

register("pandas", summarize_pandas)
register("duckdb", summarize_duckdb, read_log_duckdb)
register("spark", summarize_spark)


def default_engine(transactions: Any) -> str:
    """The engine used when none is named: ``"duckdb"`` for a log path, ``"spark"`` for a Spark
    DataFrame, ``"pandas"`` otherwise."""
    if is_spark_dataframe(transactions):
        return "spark"
    return "duckdb" if is_log_path(transactions) else "pandas"


def __getattr__(name: str) -> tuple[str, ...]:
    # ENGINES was a fixed tuple; it now reflects the registry.
    if name == "ENGINES":
        return names()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
