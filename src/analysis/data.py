"""Loading transaction logs: the shipped real data (CDNOW, donations) and a user's own files.

All I/O of the package lives here (and in the report runner). Files are only
ever read, never written.

A user's file goes through :func:`analysis.validate.validate_transactions`:
duplicate rows are judged on every column of the file (two lines with the same
customer, date and amount but different invoice numbers are two orders), and
text dates such as ``03/04/1997`` are read in the one day/month order that reads
every value, with a warning when both orders would (pass ``dayfirst=`` or
``date_format=`` to decide). With ``engine="duckdb"`` the date column is read
as text so that the same rules apply.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import pandas as pd

from . import config, engines
from .validate import DataValidationError, validate_transactions

__all__ = [
    "load_dataset",
    "load_cdnow",
    "load_cdnow_summary",
    "load_donations",
    "load_transactions",
    "anonymize_ids",
    "ANONYMIZE_SALT_ENV",
    "DataValidationError",
]

#: environment variable whose value, when set, makes :func:`load_dataset` hide customer ids
#: with that salt (the report runner's ``--anonymize-ids`` sets it for its kernels)
ANONYMIZE_SALT_ENV = "ANALYSIS_ANONYMIZE_SALT"
_PROCESS_SALT = secrets.token_hex(16)  # used when ids are hidden without a salt: never written


def _require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        raise FileNotFoundError(
            f"{what} not found at {path}. The project ships it under data/raw/; "
            "restore it with `git checkout data/raw` or set ANALYSIS_ROOT to the project folder."
        )
    return path


def load_cdnow(sample: bool = False) -> pd.DataFrame:
    """Load the CDNOW transaction log shipped in ``data/raw/cdnow``.

    Parameters
    ----------
    sample : bool
        False for the master file (23,570 customers, 69,659 transactions);
        True for the 1/10 sample (2,357 customers, ids 1..2357 as in the
        published weekly summary).

    Returns
    -------
    DataFrame
        ``customer_id`` (int), ``date`` (datetime64), ``amount`` (float, US
        dollars), ``quantity`` (int, number of CDs), sorted by customer and date.
    """
    if sample:
        path = _require_file(config.CDNOW_SAMPLE, "CDNOW sample")
        raw = pd.read_csv(
            path,
            sep=r"\s+",
            header=None,
            names=["master_id", "customer_id", "date", "quantity", "amount"],
        )
    else:
        path = _require_file(config.CDNOW_MASTER, "CDNOW master file")
        raw = pd.read_csv(path, sep=r"\s+", header=0)
        raw = raw.rename(columns={"number_of_cds": "quantity", "dollar_value": "amount"})
    out = pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("int64"),
            "date": pd.to_datetime(raw["date"].astype(str), format="%Y%m%d"),
            "amount": raw["amount"].astype(float),
            "quantity": raw["quantity"].astype("int64"),
        }
    )
    out = out.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    return out


def load_cdnow_summary() -> pd.DataFrame:
    """Load the published lifetimes-format weekly summary of the CDNOW sample.

    Calibration period 1997-01-01 to 1997-09-30, weekly units. Indexed by
    ``customer_id`` (1..2357) with ``frequency``, ``recency`` and ``T``.
    """
    path = _require_file(config.CDNOW_SAMPLE_SUMMARY, "CDNOW weekly summary")
    df = pd.read_csv(path).rename(columns={"ID": "customer_id"})
    return df.set_index("customer_id")


def load_donations() -> pd.DataFrame:
    """Load the donations summary of Fader, Hardie & Shang (2010), the BG/BB example.

    11,104 donors of the 1995 cohort, 6 annual opportunities (1996-2001),
    compressed: one row per (frequency, recency) pattern with ``n_periods`` and
    ``weight`` (number of donors).
    """
    path = _require_file(config.DONATIONS, "donations summary")
    df = pd.read_csv(path).rename(columns={"periods": "n_periods", "weights": "weight"})
    return df[["frequency", "recency", "n_periods", "weight"]]


def load_transactions(
    path: str | Path,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    date_format: str | None = None,
    quantity: str | None = None,
    cost: str | None = None,
    observation_end=None,
    returns: str = "error",
    duplicates: str = "warn",
    engine: str = "pandas",
    dayfirst: bool | None = None,
    **read_kwargs,
) -> pd.DataFrame:
    """Read and validate a user's transaction log from CSV or Parquet.

    Parameters
    ----------
    path : str or Path
        A ``.csv`` (optionally compressed, e.g. ``.csv.gz``) or ``.parquet`` file.
        It is only read.
    customer_id, date, amount : str
        The file's column names for the customer id, purchase date and value.
    date_format : str, optional
        ``strftime`` format of the dates, e.g. ``"%Y%m%d"`` or ``"%d/%m/%Y"``;
        inferred from the first values when None.
    quantity, cost : str, optional
        Column names for items per purchase and cost to serve, if present.
    observation_end : date-like, optional
        Purchases after it are reported as an error.
    returns : {"error", "drop", "keep"}
        Policy for negative amounts; see :mod:`analysis.validate`.
    duplicates : {"warn", "drop", "error"}
        Policy for rows identical in every column of the file to an earlier
        row; see :mod:`analysis.validate`. Rows sharing only customer, date and
        amount (e.g. different invoice numbers) are kept as separate orders.
    engine : str
        A registered engine (:func:`analysis.engines.names`) whose reader reads
        the file: pandas, or DuckDB (parallel CSV parsing, see
        :func:`analysis.engines.read_log_duckdb`). The validation is the same;
        DuckDB reads the date column of a CSV as text (unless ``types`` or a
        ``dateformat``/``timestampformat`` option is given for it), so that
        dates are parsed by the same rules as with pandas.
    dayfirst : bool, optional
        For text dates such as ``03/04/1997``: True reads them day-first (3
        April), False month-first (4 March). When None, the one order that
        reads every value is used; if both do, month-first with a
        :class:`~analysis.validate.DataQualityWarning`. Ignored when
        ``date_format`` is given.
    **read_kwargs
        Passed to :func:`pandas.read_csv` (e.g. ``sep=";"``, ``decimal=","``),
        or with ``engine="duckdb"`` to DuckDB's ``read_csv`` (e.g. ``delim=";"``,
        ``decimal_separator=","``).

    Returns
    -------
    DataFrame
        ``customer_id``, ``date``, ``amount``, ``quantity`` (and ``cost``), sorted.

    Raises
    ------
    DataValidationError
        With the column, the offending lines and what to do.

    Warns
    -----
    DataQualityWarning
        For rows kept or dropped by a policy, and for ambiguous day/month dates.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no transaction log at {path}")
    name = path.name.lower()
    reader = engines.get(engine).read  # a ValueError names the registered engines
    if reader is not None:
        if engine == "duckdb" and not name.endswith((".parquet", ".pq")):
            read_kwargs = _dates_as_text(read_kwargs, date)
        frame = reader(path, customer_id=customer_id, **read_kwargs)
        line_offset = None if name.endswith((".parquet", ".pq")) else 2
    elif name.endswith(".parquet") or name.endswith(".pq"):
        frame = pd.read_parquet(path)
        line_offset = None
    else:
        read_kwargs.setdefault("dtype", {customer_id: str})
        try:
            frame = pd.read_csv(path, **read_kwargs)
        except pd.errors.EmptyDataError:
            frame = pd.DataFrame()
        line_offset = 2  # header line + 1-based numbering
    if len(frame) == 0:
        raise DataValidationError(
            f"the transaction log {path} is empty (no rows): there is nothing to analyse."
        )
    return validate_transactions(
        frame,
        customer_id=customer_id,
        date=date,
        amount=amount,
        quantity=quantity,
        cost=cost,
        date_format=date_format,
        observation_end=observation_end,
        returns=returns,
        duplicates=duplicates,
        source=str(path),
        line_offset=line_offset,
        dayfirst=dayfirst,
    )


def _dates_as_text(read_kwargs: dict, date: str) -> dict:
    """DuckDB CSV options with the date column read as text, unless the caller typed it.

    DuckDB's sniffer reads ``03/04/1997`` day-first without a word; as text,
    the dates go through :func:`analysis.dates.parse_dates` like pandas'.
    """
    types = read_kwargs.get("types") or {}
    if not isinstance(types, dict) or date in types:
        return read_kwargs
    if any(key in read_kwargs for key in ("dateformat", "timestampformat")):
        return read_kwargs
    return {**read_kwargs, "types": {**types, date: "VARCHAR"}}


BUILTIN_DATASETS = ("cdnow", "cdnow_sample")


def load_dataset(
    dataset: str,
    customer_id: str = "customer_id",
    date: str = "date",
    amount: str = "amount",
    date_format: str | None = None,
    dayfirst: bool | None = None,
    returns: str = "error",
    duplicates: str = "warn",
    anonymize: bool | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Load a built-in dataset by name or a user's log by path (what the notebooks' ``dataset`` parameter means).

    Parameters
    ----------
    dataset : str
        ``"cdnow"`` (master file), ``"cdnow_sample"`` (1/10 sample), or a path
        to a CSV/Parquet log (relative paths are taken from the project root).
    customer_id, date, amount, date_format, dayfirst, returns, duplicates, **kwargs
        Column mapping and options for :func:`load_transactions` (ignored for
        the built-in datasets, which are clean and read with their known format).
    anonymize : bool, optional
        Replace the customer ids by salted hashes (:func:`anonymize_ids`).
        None (default): only when the environment variable
        ``ANALYSIS_ANONYMIZE_SALT`` is set, whose value is then the salt.

    Returns
    -------
    DataFrame
        ``customer_id``, ``date``, ``amount``, ``quantity`` (and ``cost``), sorted.
    """
    salt = os.environ.get(ANONYMIZE_SALT_ENV) or None
    if anonymize or (anonymize is None and salt):
        log = load_dataset(
            dataset,
            customer_id,
            date,
            amount,
            date_format,
            dayfirst,
            returns,
            duplicates,
            anonymize=False,
            **kwargs,
        )
        return anonymize_ids(log, salt or _PROCESS_SALT)
    if dataset == "cdnow":
        return load_cdnow(sample=False)
    if dataset == "cdnow_sample":
        return load_cdnow(sample=True)
    path = Path(dataset)
    if not path.is_absolute():
        path = config.PROJECT_ROOT / path
    if not path.is_file():
        raise FileNotFoundError(
            f"dataset {dataset!r} is neither a built-in dataset {BUILTIN_DATASETS} nor a file "
            f"(looked for {path})."
        )
    return load_transactions(
        path,
        customer_id=customer_id,
        date=date,
        amount=amount,
        date_format=date_format,
        dayfirst=dayfirst,
        returns=returns,
        duplicates=duplicates,
        **kwargs,
    )


def anonymize_ids(transactions: pd.DataFrame, salt: str) -> pd.DataFrame:
    """Replace the ``customer_id`` column by salted hashes (the same id, the same hash).

    Parameters
    ----------
    transactions : DataFrame
        A log with a ``customer_id`` column.
    salt : str
        Secret key of the hash (BLAKE2b); without it the ids cannot be
        recovered by hashing candidate ids. Keep it out of the outputs.

    Returns
    -------
    DataFrame
        A copy whose ids are 16 hexadecimal digits, in the same row order.
    """
    if not salt:
        raise ValueError("anonymize_ids needs a non-empty salt")
    key = salt.encode()[:64]
    ids = transactions["customer_id"].dropna().unique()
    hashed = {i: hashlib.blake2b(str(i).encode(), key=key, digest_size=8).hexdigest() for i in ids}
    out = transactions.copy()
    out["customer_id"] = transactions["customer_id"].map(hashed)
    return out
