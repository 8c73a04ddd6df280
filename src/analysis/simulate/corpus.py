"""A corpus of small edge-case transaction logs: the whole study must run on each of them.

Each log is drawn with a fixed seed and written as a CSV whose columns are
named as a firm might name them (``client``, ``order_date``, ``value``, ...),
so the parameter file that comes with it (``notebooks/params/corpus/<name>.yaml``)
must map them. Every log has one property a real log can have and the
study's defaults (CDNOW's) do not expect:

====================  =============================================================
``single_cohort``     every customer's first purchase on one day
``no_dropout``        nobody drops out: every customer buys in the last month
``few_repeaters``     almost nobody repeats (2 % of the customers)
``no_amounts``        no amount column at all
``returns_and_zeros`` many returns (negative amounts) and zero amounts
``two_months``        the whole log is two months long
``ten_years_daily``   ten years of daily dates
``heavy_buyers``      hundreds of purchases per customer
``thirty_customers``  30 customers
``unicode_ids``       text ids with spaces and non-ASCII characters ("Müller 7", "客户 12")
``time_of_day``       dates with a time of day ("2021-03-04 17:45:12")
====================  =============================================================

The customers behave as in the Pareto/NBD: each is acquired on a day of an
acquisition window, buys at a Gamma-distributed rate until an exponential
lifetime ends (or the log ends), and each purchase has a Gamma-distributed
value around the customer's own mean. The logs are small (30 to 1,000
customers) so the study runs on one in about a minute.

Examples
--------
>>> from analysis.simulate import corpus
>>> paths = corpus.write_corpus("data/interim/corpus")      # doctest: +SKIP
>>> corpus.draw_log("single_cohort").columns.tolist()
['client', 'order_date', 'value']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config

__all__ = ["CORPUS_DIR", "LOGS", "CorpusLog", "draw_log", "write_corpus", "write_log"]

#: where :func:`write_corpus` writes by default (generated, not committed)
CORPUS_DIR = config.INTERIM_DIR / "corpus"

DAY = "%Y-%m-%d"
DAY_AND_TIME = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class CorpusLog:
    """One log of the corpus: how it is drawn and how its file names the columns.

    Attributes
    ----------
    name : str
        File stem (``data/interim/corpus/<name>.csv``) and the name of its parameter file.
    description : str
        The property the log is named for, in one sentence.
    seed : int
        Seed of ``np.random.default_rng`` for the draw.
    draw : callable
        ``draw(rng)``: the log with the standard columns ``customer_id``,
        ``date`` (datetime64) and ``amount``.
    customer_id, date : str
        Column names in the file.
    amount : str or None
        Column name of the amount in the file; None: the file has no amount column.
    date_format : str
        ``strftime`` format of the dates written to the file.
    """

    name: str
    description: str
    seed: int
    draw: Callable[[np.random.Generator], pd.DataFrame] = field(repr=False)
    customer_id: str = "customer_id"
    date: str = "date"
    amount: str | None = "amount"
    date_format: str = DAY

    @property
    def columns(self) -> dict[str, str | None]:
        """The parameter file's column names: ``customer_id_column`` etc. (``None``: no amounts)."""
        return {
            "customer_id_column": self.customer_id,
            "date_column": self.date,
            "amount_column": self.amount,
        }


# --------------------------------------------------------------------------- the buyers


def _buyers(
    rng: np.random.Generator,
    n: int,
    start: str,
    days: int,
    *,
    acquisition_days: int,
    rate_per_day: float,
    rate_shape: float = 1.0,
    lifetime_days: float | None = None,
    spend: float = 40.0,
    first_id: int = 1,
) -> pd.DataFrame:
    """Pareto/NBD-like buyers: ``customer_id`` (int), ``date`` (a day), ``amount`` (2 decimals).

    Customer ``i`` is acquired on day ``a_i`` (uniform on ``[0,
    acquisition_days)``), buys at a rate ``lambda_i ~ Gamma(rate_shape, mean
    rate_per_day)`` per day while alive, lives ``Exp(lifetime_days)`` days
    (forever when None) and the log ends after ``days`` days. Purchase
    values are Gamma(4) around the customer's mean, itself Gamma(3) around
    ``spend``.
    """
    acquired = rng.integers(0, acquisition_days, size=n)
    rate = rng.gamma(rate_shape, rate_per_day / rate_shape, size=n)
    life = np.full(n, np.inf) if lifetime_days is None else rng.exponential(lifetime_days, size=n)
    window = np.minimum(life, days - acquired)  # days alive after the first purchase
    repeats = rng.poisson(rate * window)
    owner = np.repeat(np.arange(n), repeats)
    offset = acquired[owner] + rng.uniform(0.0, 1.0, size=owner.size) * window[owner]
    day = np.concatenate([acquired, np.minimum(np.floor(offset), days - 1).astype(int)])
    who = np.concatenate([np.arange(n), owner])
    mean_spend = rng.gamma(3.0, spend / 3.0, size=n)
    amount = rng.gamma(4.0, mean_spend[who] / 4.0)
    log = pd.DataFrame(
        {
            "customer_id": who + first_id,
            "date": pd.Timestamp(start) + pd.to_timedelta(day, unit="D"),
            "amount": np.maximum(np.round(amount, 2), 0.01),
        }
    )
    return _sorted(log)


def _sorted(log: pd.DataFrame) -> pd.DataFrame:
    """Rows by customer and date (a stable sort: the same draw gives the same file)."""
    return log.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------- the logs


def _single_cohort(rng: np.random.Generator) -> pd.DataFrame:
    return _buyers(
        rng, 400, "2021-01-04", 730, acquisition_days=1, rate_per_day=1 / 30, lifetime_days=300
    )


def _no_dropout(rng: np.random.Generator) -> pd.DataFrame:
    days, last_month = 547, 30
    log = _buyers(
        rng, 500, "2021-01-01", days, acquisition_days=90, rate_per_day=1 / 21, rate_shape=4.0
    )
    # everyone keeps buying to the end: one more purchase in the last 30 days for each customer
    ids = np.unique(log["customer_id"])
    late = days - 1 - rng.integers(0, last_month, size=ids.size)
    extra = pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.Timestamp("2021-01-01") + pd.to_timedelta(late, unit="D"),
            "amount": np.round(rng.gamma(4.0, 10.0, size=ids.size), 2) + 0.01,
        }
    )
    return _sorted(pd.concat([log, extra], ignore_index=True))


def _few_repeaters(rng: np.random.Generator) -> pd.DataFrame:
    n, repeaters = 1000, 20
    once = _buyers(rng, n - repeaters, "2021-01-01", 547, acquisition_days=365, rate_per_day=0.0)
    again = _buyers(
        rng,
        repeaters,
        "2021-01-01",
        547,
        acquisition_days=365,
        rate_per_day=1 / 60,
        rate_shape=5.0,
        first_id=n - repeaters + 1,
    )
    # the repeaters are the only customers with a second purchase
    extra = again.groupby("customer_id").head(1).copy()
    extra["date"] = extra["date"] + pd.to_timedelta(rng.integers(7, 180, size=len(extra)), "D")
    extra["date"] = extra["date"].clip(upper=pd.Timestamp("2022-07-01"))
    return _sorted(pd.concat([once, again, extra], ignore_index=True))


def _no_amounts(rng: np.random.Generator) -> pd.DataFrame:
    return _buyers(
        rng, 600, "2022-01-01", 547, acquisition_days=120, rate_per_day=1 / 35, lifetime_days=400
    )


def _returns_and_zeros(rng: np.random.Generator) -> pd.DataFrame:
    days = 547
    log = _buyers(
        rng, 600, "2021-01-01", days, acquisition_days=90, rate_per_day=1 / 30, lifetime_days=365
    )
    log.loc[rng.uniform(size=len(log)) < 0.10, "amount"] = 0.0  # free orders, vouchers
    # returns: 15% of the paid purchases come back 1-30 days later as a negative row
    paid = log[(log["amount"] > 0) & (rng.uniform(size=len(log)) < 0.15)]
    end = pd.Timestamp("2021-01-01") + pd.Timedelta(days=days - 1)
    back = pd.DataFrame(
        {
            "customer_id": paid["customer_id"].to_numpy(),
            "date": (paid["date"] + pd.to_timedelta(rng.integers(1, 31, size=len(paid)), "D")).clip(
                upper=end
            ),
            "amount": -paid["amount"].to_numpy(),
        }
    )
    return _sorted(pd.concat([log, back], ignore_index=True))


def _two_months(rng: np.random.Generator) -> pd.DataFrame:
    return _buyers(
        rng, 600, "2021-03-01", 61, acquisition_days=45, rate_per_day=1 / 20, lifetime_days=60
    )


def _ten_years_daily(rng: np.random.Generator) -> pd.DataFrame:
    days = (pd.Timestamp("2021-12-31") - pd.Timestamp("2012-01-01")).days + 1
    return _buyers(
        rng,
        300,
        "2012-01-01",
        days,
        acquisition_days=days - 365,
        rate_per_day=1 / 45,
        lifetime_days=4 * 365,
    )


def _heavy_buyers(rng: np.random.Generator) -> pd.DataFrame:
    return _buyers(
        rng,
        100,
        "2021-01-01",
        730,
        acquisition_days=30,
        rate_per_day=0.3,
        rate_shape=8.0,
        lifetime_days=None,
        spend=15.0,
    )


def _thirty_customers(rng: np.random.Generator) -> pd.DataFrame:
    return _buyers(
        rng, 30, "2021-01-01", 365, acquisition_days=90, rate_per_day=1 / 25, lifetime_days=400
    )


#: names the ids of ``unicode_ids`` are made of, a number appended to each
ID_NAMES = (
    "Müller",
    "客户",
    "Zoë Ångström",
    "O'Brien",
    "Łukasz Wąs",
    "José María",
    "Дмитрий",
    "Nguyễn Văn",
    "Øre Smith",
    "محمد",
)


def _unicode_ids(rng: np.random.Generator) -> pd.DataFrame:
    log = _buyers(
        rng, 500, "2021-01-01", 547, acquisition_days=120, rate_per_day=1 / 30, lifetime_days=365
    )
    number = log["customer_id"].to_numpy()
    names = np.array(ID_NAMES, dtype=object)[number % len(ID_NAMES)]
    log["customer_id"] = [f"{name} {k}" for name, k in zip(names, number, strict=True)]
    return _sorted(log)


def _time_of_day(rng: np.random.Generator) -> pd.DataFrame:
    log = _buyers(
        rng, 500, "2021-01-01", 547, acquisition_days=120, rate_per_day=1 / 25, lifetime_days=365
    )
    seconds = rng.integers(8 * 3600, 22 * 3600, size=len(log))  # shop hours
    log["date"] = log["date"] + pd.to_timedelta(seconds, unit="s")
    # a second order on the same day, a few hours later, for 5% of the purchases
    again = log[rng.uniform(size=len(log)) < 0.05].copy()
    later = rng.integers(600, 3 * 3600, size=len(again))
    again["date"] = (again["date"] + pd.to_timedelta(later, unit="s")).clip(
        upper=again["date"].dt.normalize() + pd.Timedelta(hours=23, minutes=59, seconds=59)
    )
    return _sorted(pd.concat([log, again], ignore_index=True))


_LOG_LIST = [
    CorpusLog(
        "single_cohort",
        "Every customer's first purchase on one day (2021-01-04), two years observed.",
        101,
        _single_cohort,
        customer_id="client",
        date="order_date",
        amount="value",
    ),
    CorpusLog(
        "no_dropout",
        "Nobody drops out: every customer keeps buying and buys in the last 30 days.",
        102,
        _no_dropout,
    ),
    CorpusLog(
        "few_repeaters",
        "Almost nobody repeats: 20 of 1,000 customers buy a second time.",
        103,
        _few_repeaters,
        customer_id="customer",
        date="day",
        amount="revenue",
    ),
    CorpusLog(
        "no_amounts",
        "No amount column at all: customer and date only.",
        104,
        _no_amounts,
        customer_id="member_no",
        date="visit_date",
        amount=None,
    ),
    CorpusLog(
        "returns_and_zeros",
        "Many returns (15% of paid purchases come back as negative rows) and 10% zero amounts.",
        105,
        _returns_and_zeros,
        amount="net_amount",
    ),
    CorpusLog(
        "two_months",
        "The whole log is two months long (March and April 2021).",
        106,
        _two_months,
    ),
    CorpusLog(
        "ten_years_daily",
        "Ten years of daily dates (2012-2021), customers acquired over the first nine.",
        107,
        _ten_years_daily,
        customer_id="account",
        date="txn_date",
        amount="amount_usd",
    ),
    CorpusLog(
        "heavy_buyers",
        "Heavy buyers: hundreds of purchases per customer over two years.",
        108,
        _heavy_buyers,
        customer_id="client_id",
        date="purchase_date",
        amount="net_value",
    ),
    CorpusLog(
        "thirty_customers",
        "Only 30 customers, one year.",
        109,
        _thirty_customers,
    ),
    CorpusLog(
        "unicode_ids",
        "Text ids with spaces, apostrophes and non-ASCII characters ('Müller 7', '客户 12').",
        110,
        _unicode_ids,
        customer_id="Kunde",
        date="Kaufdatum",
        amount="Betrag",
    ),
    CorpusLog(
        "time_of_day",
        "Dates with a time of day ('2021-03-04 17:45:12'); some customers order twice a day.",
        111,
        _time_of_day,
        date="ordered_at",
        date_format=DAY_AND_TIME,
    ),
]

#: the corpus by name, in the order of issue 17's list
LOGS: dict[str, CorpusLog] = {log.name: log for log in _LOG_LIST}


def _spec(name: str) -> CorpusLog:
    try:
        return LOGS[name]
    except KeyError:
        raise ValueError(f"no corpus log {name!r}; the corpus has {', '.join(LOGS)}") from None


def draw_log(name: str) -> pd.DataFrame:
    """The log ``name`` as its file holds it: the file's column names, dates as datetime64.

    Parameters
    ----------
    name : str
        One of :data:`LOGS`.

    Returns
    -------
    DataFrame
        Drawn with the log's fixed seed: the same frame on every call.
    """
    spec = _spec(name)
    log = spec.draw(np.random.default_rng(spec.seed))
    if spec.amount is None:
        log = log.drop(columns="amount")
    return log.rename(
        columns={"customer_id": spec.customer_id, "date": spec.date, "amount": spec.amount}
    )


def write_log(name: str, directory: str | Path = CORPUS_DIR) -> Path:
    """Write the log ``name`` to ``<directory>/<name>.csv`` (UTF-8, ``\\n`` line ends).

    The file is written beside and then moved into place, so a reader never
    sees half a file; the same name always gives the same bytes.

    Returns
    -------
    Path
        The file written.
    """
    spec = _spec(name)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.csv"
    partial = directory / f".{name}.csv.partial"
    draw_log(name).to_csv(
        partial,
        index=False,
        date_format=spec.date_format,
        float_format="%.2f",
        encoding="utf-8",
        lineterminator="\n",
    )
    partial.replace(path)
    return path


def write_corpus(
    directory: str | Path = CORPUS_DIR, names: list[str] | None = None
) -> dict[str, Path]:
    """Write every log of the corpus (or those named) into ``directory``.

    Parameters
    ----------
    directory : str or Path
        Default ``data/interim/corpus`` of the project.
    names : list of str, optional
        Logs to write; default all of :data:`LOGS`.

    Returns
    -------
    dict
        The file written for each name.
    """
    return {name: write_log(name, directory) for name in (names or list(LOGS))}
