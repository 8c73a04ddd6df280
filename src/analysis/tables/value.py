"""Tables of how value is spread over customers and methods.

- :func:`concentration`, :func:`method_summary`,
  :func:`mean_by_frequency_recency`: how value is spread over customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "concentration",
    "method_summary",
    "method_totals",
    "mean_by_frequency_recency",
]


def concentration(values: pd.Series) -> pd.DataFrame:
    """Concentration (Lorenz) curve: the share of total value held by the most valuable customers.

    Customers are sorted by value, largest first; row k gives the share of
    customers in the top k and the share of the total value they hold (row 0
    is the origin). Negative values are kept (the curve can then exceed 1
    before it comes back).

    Returns
    -------
    DataFrame
        Index 0..n, columns ``share_of_customers`` and ``share_of_value``.
    """
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    if len(v) == 0 or not np.all(np.isfinite(v)):
        raise ValueError("concentration needs at least one value, all finite")
    total = v.sum()
    if total == 0:
        raise ValueError("concentration: the values sum to 0, so shares are undefined")
    return pd.DataFrame(
        {
            "share_of_customers": np.arange(len(v) + 1) / len(v),
            "share_of_value": np.r_[0.0, np.cumsum(v)] / total,
        }
    )


def method_summary(values: pd.DataFrame, top: tuple[float, ...] = (0.1, 0.2)) -> pd.DataFrame:
    """Total, mean and median value per method, and the share of value held by the top customers.

    Parameters
    ----------
    values : DataFrame
        One column of per-customer value per method.
    top : tuple of float
        Shares of customers; the top ``round(share * n)`` customers (at least one) are counted.

    Returns
    -------
    DataFrame
        Index ``method``, columns ``customers``, ``total``, ``mean``,
        ``median`` and ``top_10%``, ``top_20%``, ... (shares of the total).
    """
    rows = {}
    for name in values.columns:
        v = values[name].astype(float)
        curve = concentration(v)["share_of_value"].to_numpy()
        row = {
            "customers": int(v.size),
            "total": float(v.sum()),
            "mean": float(v.mean()),
            "median": float(v.median()),
        }
        for share in top:
            k = max(1, int(round(share * v.size)))
            row[f"top_{share:.0%}"] = float(curve[k])
        rows[name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "method"
    table.attrs["roles"] = {"customers": "count", "total": "money", "mean": "money"} | {
        "median": "money",
        **{f"top_{share:.0%}": "share" for share in top},
    }
    return table


def method_totals(predicted: pd.DataFrame, actual: pd.Series) -> pd.DataFrame:
    """Each method's predicted total beside the actual total (a backtest), with their ratio.

    Parameters
    ----------
    predicted : DataFrame
        One column of per-customer predictions per method (e.g. revenue in
        the holdout).
    actual : Series
        The per-customer actual value, on the same customers.

    Returns
    -------
    DataFrame
        Index ``method`` (the columns' order); ``customers``, ``predicted``
        (total), ``actual`` (total), ``difference`` (predicted - actual) and
        ``ratio`` (predicted / actual). ``attrs["roles"]`` declares the roles
        for :func:`analysis.tables.format_table`.
    """
    if len(predicted) != len(actual) or not predicted.index.equals(actual.index):
        raise ValueError(
            "method_totals: predicted and actual must cover the same customers in the same "
            f"order ({len(predicted)} and {len(actual)} rows); align them with .reindex"
        )
    bad = [c for c in predicted.columns if not np.isfinite(predicted[c].to_numpy(float)).all()]
    if bad or not np.isfinite(actual.to_numpy(float)).all():
        raise ValueError(f"method_totals: non-finite values in {bad or ['actual']}")
    total = float(actual.sum())
    table = pd.DataFrame(
        {
            "customers": np.int64(len(actual)),
            "predicted": predicted.astype(float).sum(),
            "actual": total,
        }
    )
    table["difference"] = table["predicted"] - total
    table["ratio"] = table["predicted"] / total if total else np.nan
    table.index.name = "method"
    table.attrs["roles"] = {"customers": "count", "ratio": "ratio"} | {
        c: "money" for c in ("predicted", "actual", "difference")
    }
    return table


def mean_by_frequency_recency(
    summary: pd.DataFrame, values: pd.Series, max_frequency: int = 7, recency_bins: int = 6
) -> pd.DataFrame:
    """Mean of a per-customer value by frequency (rows) and recency (columns) groups.

    Frequencies at or above ``max_frequency`` form one group ("7+");
    recency is cut into ``recency_bins`` equal intervals from 0 to the
    largest ``T``. Cells without customers are NaN.

    Returns
    -------
    DataFrame
        Index ``frequency`` ("0", ..., "7+"), columns the recency intervals (strings).
    """
    if int(max_frequency) != max_frequency or max_frequency < 1:
        raise ValueError(f"max_frequency must be a whole number >= 1, got {max_frequency!r}")
    values = values.reindex(summary.index)
    freq = np.minimum(summary["frequency"].to_numpy(dtype=np.int64), int(max_frequency))
    labels = [str(k) for k in range(int(max_frequency))] + [f"{int(max_frequency)}+"]
    fgroup = pd.Categorical.from_codes(freq, categories=labels, ordered=True)
    top = float(summary["T"].max())
    edges = np.linspace(0.0, top if top > 0 else 1.0, int(recency_bins) + 1)
    width = int(max(0, -np.floor(np.log10(edges[1] - edges[0])))) if edges[1] > edges[0] else 0
    rlabels = [
        f"{lo:.{width}f}-{hi:.{width}f}" for lo, hi in zip(edges[:-1], edges[1:], strict=True)
    ]
    rgroup = pd.cut(summary["recency"], edges, labels=rlabels, include_lowest=True)
    table = pd.DataFrame(
        {"frequency": fgroup, "recency": rgroup, "value": values.to_numpy(dtype=float)}
    ).pivot_table(
        index="frequency", columns="recency", values="value", aggfunc="mean", observed=False
    )
    table.columns = pd.Index([str(c) for c in table.columns], name="recency")
    return table
