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
import math
import os
import secrets
from dataclasses import dataclass
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
    "up_to",
    "ANONYMIZE_SALT_ENV",
    "DataValidationError",
    "PURCHASES",
    "ValueBasis",
    "value_basis",
]

#: the unit of value of a log without amounts and without a value per purchase: money
#: is written "12.5 purchases" (the formatters put a unit word after the number)
PURCHASES = "purchases"

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
    value_per_purchase: float | None = None,
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
        ``amount`` empty or None: the log has no amounts (see ``value_per_purchase``).
    date_format : str, optional
        ``strftime`` format of the dates, e.g. ``"%Y%m%d"`` or ``"%d/%m/%Y"``;
        inferred from the first values when None.
    value_per_purchase : float, optional
        Only for a log without amounts: the revenue of every purchase, in
        currency (> 0). None or 0: value is counted in purchases (every
        purchase is worth 1 purchase). See :func:`value_basis`.
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
        ``attrs["value"]`` says where the value comes from: ``"amounts"`` (the
        amount column), ``"fixed"`` (no amounts: every row's amount is
        ``value_per_purchase``) or ``"purchases"`` (no amounts: every row's
        amount is 1, value in purchases); ``attrs["value_per_purchase"]`` the
        fixed value (None with amounts).

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
    fixed = _fixed_value(amount, value_per_purchase)
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
    if fixed is not None:  # no amounts: every purchase is worth the fixed value
        amount = _free_name(frame.columns, "amount")
        frame = frame.assign(**{amount: fixed})
    out = validate_transactions(
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
    return _with_value_attrs(out, fixed, value_per_purchase)


def _fixed_value(amount, value_per_purchase) -> float | None:
    """The amount of every row of a log without amounts (None when the log has amounts)."""
    given = value_per_purchase not in (None, "") and float(value_per_purchase) != 0
    if given:
        v = float(value_per_purchase)
        if not math.isfinite(v) or v < 0:
            raise ValueError(
                f"value_per_purchase must be a number of currency units > 0 (or 0 to count "
                f"value in purchases), got {value_per_purchase!r}"
            )
    if amount:
        if given:
            raise ValueError(
                f"value_per_purchase ({value_per_purchase!r}) is for a log without amounts, but "
                f"the amount column {amount!r} is given: leave value_per_purchase at 0 to use "
                "the amounts, or set amount_column empty to value every purchase alike."
            )
        return None
    return float(value_per_purchase) if given else 1.0


def _free_name(columns, name: str) -> str:
    """``name``, or ``name_`` ... when the file already has a column of that name."""
    while name in columns:
        name += "_"
    return name


def _with_value_attrs(log: pd.DataFrame, fixed: float | None, value_per_purchase) -> pd.DataFrame:
    given = value_per_purchase not in (None, "") and float(value_per_purchase) != 0
    source = "amounts" if fixed is None else ("fixed" if given else "purchases")
    log.attrs.update(value=source, value_per_purchase=fixed)
    return log


@dataclass(frozen=True)
class ValueBasis:
    """What a study's money is: the log's amounts, a fixed value per purchase, or purchases.

    Attributes
    ----------
    source : {"amounts", "fixed", "purchases"}
        Where the value comes from (``attrs["value"]`` of a loaded log).
    value_per_purchase : float or None
        The fixed value of every purchase (1 in purchases); None with amounts.
    margin : float
        The margin to apply: the study's, or 1 when value is counted in
        purchases (a margin on a count of purchases means nothing).
    currency : str
        The unit money is written in: the study's currency, or :data:`PURCHASES`.
    note : str
        One Markdown sentence for the report saying which.
    """

    source: str
    value_per_purchase: float | None
    margin: float
    currency: str
    note: str

    @property
    def in_purchases(self) -> bool:
        """True when value is counted in purchases (no amounts, no value per purchase)."""
        return self.source == "purchases"

    @property
    def has_amounts(self) -> bool:
        """True when value comes from the log's amounts (spend can be modelled)."""
        return self.source == "amounts"


def value_basis(transactions: pd.DataFrame, margin: float, currency: str = "$") -> ValueBasis:
    """How a loaded log is valued, and the margin and currency the study uses with it.

    Parameters
    ----------
    transactions : DataFrame
        A log from :func:`load_dataset` / :func:`load_transactions` (its
        ``attrs["value"]``; a log without the key has amounts).
    margin : float
        The study's margin on revenue.
    currency : str
        The study's currency sign.

    Returns
    -------
    ValueBasis
        With the amounts or a fixed value per purchase: the margin and
        currency as given; in purchases: margin 1 and the unit ``"purchases"``.
    """
    source = transactions.attrs.get("value", "amounts")
    fixed = transactions.attrs.get("value_per_purchase")
    if source == "amounts":
        note = (
            f"**Value from the log's amounts.** Revenue is the amount column (in {currency}) "
            f"and value the assumed margin of {100 * float(margin):.0f}% on it."
        )
        return ValueBasis("amounts", None, float(margin), currency, note)
    if source == "fixed":
        note = (
            f"**Value per purchase.** The log has no amounts: every purchase is valued at "
            f"{currency}{fixed:,.2f} (the `value_per_purchase` parameter), and value is the "
            f"margin ({100 * float(margin):.0f}%) on that revenue. Spend per purchase is not "
            "modelled: it is the same for every purchase by construction."
        )
        return ValueBasis("fixed", float(fixed), float(margin), currency, note)
    note = (
        "**Value in purchases.** The log has no amounts and no `value_per_purchase` was given, "
        "so value is counted in purchases: a customer's CLV is her discounted expected number of "
        "purchases over the horizon, her revenue the number of her purchases, and every figure "
        "written in purchases instead of a currency; no margin is applied and spend per purchase "
        "is not modelled. Give `value_per_purchase` (the revenue of one purchase) to value them "
        "in currency."
    )
    return ValueBasis("purchases", 1.0, 1.0, PURCHASES, note)


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
    value_per_purchase: float | None = None,
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
    value_per_purchase : float, optional
        For a log without amounts (``amount`` empty): the revenue of every
        purchase; None or 0 counts value in purchases (:func:`load_transactions`).

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
            value_per_purchase=value_per_purchase,
            **kwargs,
        )
        hidden = anonymize_ids(log, salt or _PROCESS_SALT)
        hidden.attrs.update(log.attrs)
        return hidden
    if dataset in BUILTIN_DATASETS:
        _fixed_value("amount", value_per_purchase)  # the built-in logs have amounts
        return _with_value_attrs(load_cdnow(sample=dataset == "cdnow_sample"), None, None)
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
        value_per_purchase=value_per_purchase,
        **kwargs,
    )


def up_to(transactions: pd.DataFrame, day) -> pd.DataFrame:
    """The purchases made on or before ``day``, compared by day (a time of day is ignored).

    A study cut at ``day`` sees every purchase of that day, whatever its time:
    a log with times (18:56 on the last day) loses nothing of its last day.
    """
    return transactions.loc[transactions["date"].dt.normalize() <= pd.Timestamp(day).normalize()]


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
