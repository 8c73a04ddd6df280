"""Descriptive views of a transaction log: size, span, purchases per customer, spend, repeat activity, cohorts.

Pure functions over the standard log (``customer_id``, ``date``, ``amount``);
each returns a small, sorted, rounded table ready to display.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import NotComputable
from .validate import DataValidationError, require_columns

_COLUMNS = {"customer_id": "customer_id", "date": "date", "amount": "amount"}


def _check(transactions: pd.DataFrame) -> None:
    require_columns(transactions, _COLUMNS)
    if len(transactions) == 0:
        raise DataValidationError("the transaction log is empty (no rows): nothing to describe.")


def _purchase_days(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per (customer ``c``, day ``d``): a day's purchases count as one purchase."""
    return pd.DataFrame(
        {"c": transactions["customer_id"], "d": transactions["date"].dt.normalize()}
    ).drop_duplicates()


def _has_amounts(transactions: pd.DataFrame) -> bool:
    """Whether the log's amounts are real (not a fixed value given to every purchase)."""
    return transactions.attrs.get("value", "amounts") == "amounts"


def log_overview(transactions: pd.DataFrame) -> pd.Series:
    """Headline facts of a log: customers, transactions, purchase days, span, revenue.

    Returns
    -------
    Series
        Labelled values (counts as int, money rounded to cents, dates as ISO strings).
        A log valued in purchases (no amounts, no value per purchase:
        ``attrs["value"] == "purchases"``) has no revenue rows.
    """
    _check(transactions)
    purchase_days = _purchase_days(transactions)
    revenue = float(transactions["amount"].sum())
    n_customers = int(transactions["customer_id"].nunique())
    first, last = transactions["date"].min(), transactions["date"].max()
    overview = pd.Series(
        {
            "customers": n_customers,
            "transactions": int(len(transactions)),
            "purchase days (customer x day)": int(len(purchase_days)),
            "first date": first.date().isoformat(),
            "last date": last.date().isoformat(),
            "span (days)": int((last.normalize() - first.normalize()).days) + 1,
            "revenue": round(revenue, 2),
            "mean transaction value": round(revenue / len(transactions), 2),
            "mean revenue per customer": round(revenue / n_customers, 2),
            "share of customers who return": round(
                float((purchase_days.groupby("c").size() > 1).mean()), 4
            ),
        },
        name="value",
    )
    if transactions.attrs.get("value") == "purchases":
        return overview.drop(["revenue", "mean transaction value", "mean revenue per customer"])
    return overview


def purchases_per_customer(transactions: pd.DataFrame, cap: int = 10) -> pd.DataFrame:
    """Distribution of purchase days per customer, the last bucket holding ``cap`` or more.

    Returns
    -------
    DataFrame
        Indexed by the number of purchase days (``"10+"`` style last label) with
        ``customers`` and ``share``.
    """
    _check(transactions)
    counts = _purchase_days(transactions).groupby("c").size()
    capped = np.minimum(counts.to_numpy(), cap)
    table = pd.Series(capped).value_counts().sort_index()
    labels = [str(i) if i < cap else f"{cap}+" for i in table.index]
    out = pd.DataFrame(
        {"customers": table.to_numpy(), "share": (table / table.sum()).round(4).to_numpy()},
        index=pd.Index(labels, name="purchase days"),
    )
    return out


def spend_summary(transactions: pd.DataFrame) -> pd.DataFrame:
    """Quantiles of the transaction value and of revenue per customer.

    Returns
    -------
    DataFrame
        Rows are statistics (mean, quantiles), columns ``per transaction`` and ``per customer``.

    Raises
    ------
    NotComputable
        The log has no amounts (every purchase was given the same value when
        it was loaded): there is no spend to describe.
    """
    _check(transactions)
    if not _has_amounts(transactions):
        raise NotComputable(
            "the log has no amounts: every purchase was given the same value, so there is no "
            "spend to describe"
        )
    per_customer = transactions.groupby("customer_id")["amount"].sum()
    stats = ["mean", "min", "10%", "25%", "50%", "75%", "90%", "99%", "max"]
    q = [0.10, 0.25, 0.50, 0.75, 0.90, 0.99]

    def describe(values: pd.Series) -> list[float]:
        return [values.mean(), values.min(), *values.quantile(q).to_list(), values.max()]

    return pd.DataFrame(
        {
            "per transaction": describe(transactions["amount"]),
            "per customer": describe(per_customer),
        },
        index=pd.Index(stats, name="statistic"),
    ).round(2)


def repeat_transactions(transactions: pd.DataFrame, freq: str = "W") -> pd.DataFrame:
    """Purchases per calendar period, split into first and repeat purchases.

    A customer's first purchase day is the trial; every later purchase day is a
    repeat (same-day purchases count once, as in :func:`analysis.rfm.summarize`).

    Parameters
    ----------
    freq : str
        Pandas period alias: ``"D"``, ``"W"`` (weeks ending Sunday), ``"M"``.

    Returns
    -------
    DataFrame
        Indexed by period start date with ``first``, ``repeat`` and ``cumulative_repeat``.
    """
    _check(transactions)
    days = _purchase_days(transactions)
    days = days.sort_values(["c", "d"], kind="stable")
    is_first = ~days["c"].duplicated()
    period = days["d"].dt.to_period("M" if freq == "M" else freq).dt.start_time
    table = (
        pd.DataFrame({"period": period, "first": is_first, "repeat": ~is_first})
        .groupby("period")[["first", "repeat"]]
        .sum()
        .astype(np.int64)
    )
    full = pd.period_range(
        table.index.min(), table.index.max(), freq="M" if freq == "M" else freq
    ).start_time
    table = table.reindex(full, fill_value=0)
    table.index.name = "period"
    table["cumulative_repeat"] = table["repeat"].cumsum()
    return table


def cohorts(transactions: pd.DataFrame, freq: str = "M") -> pd.DataFrame:
    """First-purchase cohorts: size, share who ever return, and mean revenue per customer.

    Returns
    -------
    DataFrame
        Indexed by cohort (period of the first purchase, as ``YYYY-MM``) with
        ``customers``, ``returned`` (share with a second purchase day),
        ``revenue_per_customer``.
    """
    _check(transactions)
    tx = transactions[["customer_id", "date", "amount"]]
    first = tx.groupby("customer_id")["date"].min().dt.to_period(freq)
    n_days = _purchase_days(tx).groupby("c").size()
    revenue = tx.groupby("customer_id")["amount"].sum()
    frame = pd.DataFrame({"cohort": first.astype(str), "returned": n_days > 1, "revenue": revenue})
    out = frame.groupby("cohort").agg(
        customers=("returned", "size"),
        returned=("returned", "mean"),
        revenue_per_customer=("revenue", "mean"),
    )
    return out.round({"returned": 4, "revenue_per_customer": 2})


def model_inputs(summary: pd.DataFrame) -> pd.Series:
    """The counts the lifetime-value models see in a customer summary (:func:`analysis.rfm.summarize`).

    Customers, repeat purchases in calibration, customers with none, repeat
    buyers (the spend model's sample) and, when the summary has a holdout,
    the purchases in it (missing otherwise).
    """
    frequency = summary["frequency"]
    holdout = summary.get("frequency_holdout")
    return pd.Series(
        {
            "customers in the calibration summary": len(summary),
            "repeat purchases in calibration": int(frequency.sum()),
            "customers with no repeat purchase": int((frequency == 0).sum()),
            "repeat buyers (for the spend model)": int((frequency > 0).sum()),
            "purchases in the holdout": None if holdout is None else int(holdout.sum()),
        },
        name="value",
    )
