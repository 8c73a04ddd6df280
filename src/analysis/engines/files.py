"""Reading transaction log files: which files a path names, and reading them with pandas.

Shared by the engines: a log path is a ``.csv`` (optionally compressed) or
``.parquet`` file, a glob such as ``"logs/*.parquet"``, or a folder of
Parquet files, read in name order.
"""

from __future__ import annotations

import glob as _glob
import os
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["CSV_SUFFIXES", "PARQUET_SUFFIXES", "is_log_path", "log_files", "read_log"]

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.zst", ".tsv", ".txt")
_GLOB_CHARS = set("*?[")


def is_log_path(obj: Any) -> bool:
    """True when ``obj`` names a file, folder or glob pattern (str or Path), not a DataFrame."""
    return isinstance(obj, (str, os.PathLike))


def _kind(name: str) -> str:
    low = name.lower()
    if low.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if low.endswith(CSV_SUFFIXES):
        return "csv"
    raise ValueError(
        f"cannot tell the format of {name!r}: name the file .csv (optionally .csv.gz) or .parquet."
    )


def log_files(path: str | os.PathLike) -> tuple[list[str], str]:
    """Expand a log path to its files, in the order they are read.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (optionally compressed) or ``.parquet`` file, a glob such as
        ``"logs/*.parquet"``, or a folder (all its ``*.parquet`` files).

    Returns
    -------
    files : list of str
        Sorted by name; the log is their concatenation in this order.
    kind : {"csv", "parquet"}
    """
    text = os.fspath(path)
    p = Path(text)
    if p.is_dir():
        files = sorted(str(f) for f in p.glob("*.parquet"))
        if not files:
            raise FileNotFoundError(f"the folder {text} holds no *.parquet file")
    elif _GLOB_CHARS & set(text):
        files = sorted(f for f in _glob.glob(text) if Path(f).is_file())
        if not files:
            raise FileNotFoundError(f"no file matches {text!r}")
    elif p.is_file():
        files = [text]
    else:
        raise FileNotFoundError(f"no transaction log at {text}")
    kinds = {_kind(f) for f in files}
    if len(kinds) > 1:
        raise ValueError(f"{text!r} mixes CSV and Parquet files; summarise one format at a time.")
    return files, kinds.pop()


def read_log(path: str | os.PathLike, date: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet log (or several, concatenated) into pandas, as the pandas engine sees it.

    Parameters
    ----------
    path : str or Path
        File, glob or folder; see :func:`log_files`.
    date : str, optional
        Name of the date column, converted with :func:`pandas.to_datetime`
        when it was read as text.

    Returns
    -------
    DataFrame
        All columns, with a fresh ``RangeIndex`` over the concatenated files.
    """
    files, kind = log_files(path)
    frames = []
    for f in files:
        if kind == "parquet":
            frames.append(pd.read_parquet(f))
        else:
            try:
                frames.append(pd.read_csv(f))
            except pd.errors.EmptyDataError:
                frames.append(pd.DataFrame())
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    text_dates = (
        date is not None
        and date in frame.columns
        and len(frame) > 0
        and not pd.api.types.is_datetime64_any_dtype(frame[date])
    )
    if text_dates:
        frame[date] = pd.to_datetime(frame[date])
    return frame
