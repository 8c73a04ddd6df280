"""Tables of how value is spread over customers and methods.

- :func:`concentration`, :func:`method_summary`,
  :func:`mean_by_frequency_recency`: how value is spread over customers.
- :func:`stage_value_comparison`: the stage chain's CLV beside the customer
  table's, stage by stage (the segments report).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "concentration",
    "method_summary",
    "method_totals",
    "mean_by_frequency_recency",
    "stage_value_comparison",
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


def stage_value_comparison(
    chain: pd.DataFrame, table: pd.DataFrame, *, value: str = "clv_net"
) -> pd.DataFrame:
    """A customer's value by stage two ways: the stage chain's CLV and the customer table's mean.

    Parameters
    ----------
    chain : DataFrame
        :func:`analysis.lifecycle.stage_clv` output: indexed by stage, with
        ``customers`` (now in the stage) and ``clv`` (per customer, currency).
    table : DataFrame
        The customer table (:func:`analysis.customers.customer_table`) with
        ``stage`` and ``value``, built from the same log, period and
        observation end, so that both count the same customers per stage.
    value : str
        The table's value per customer: ``clv_net`` by default.

    Returns
    -------
    DataFrame
        Indexed by stage (the chain's order) and a last row ``all``:
        ``customers``, ``chain_clv`` (per customer), ``table_clv`` (mean per
        customer; NaN for a stage without customers), ``ratio``
        (``table_clv / chain_clv``), ``chain_total`` and ``table_total``. In
        the ``all`` row the per-customer values are the totals over the
        customers.

    Raises
    ------
    ValueError
        When the two count different customers in a stage (built from
        different data or settings).
    """
    for frame, columns, what in (
        (chain, ("customers", "clv"), "chain (lifecycle.stage_clv)"),
        (table, ("stage", value), "table (customer_table)"),
    ):
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(f"stage_value_comparison: the {what} lacks column(s) {missing}")
    stages = list(chain.index)
    grouped = table[value].astype(float).groupby(table["stage"].astype(str))
    counts = grouped.size().reindex(stages, fill_value=0).astype(np.int64)
    chain_counts = chain["customers"].astype(np.int64)
    if not counts.equals(chain_counts.rename(counts.name).rename_axis(counts.index.name)):
        raise ValueError(
            "stage_value_comparison: the chain and the table count different customers per stage "
            f"(chain {chain_counts.to_dict()}, table {counts.to_dict()}); build both from the same "
            "log with the same period and observation_end"
        )
    out = pd.DataFrame(
        {
            "customers": counts.to_numpy(),
            "chain_clv": chain["clv"].astype(float).to_numpy(),
            "table_total": grouped.sum().reindex(stages, fill_value=0.0).to_numpy(),
        },
        index=pd.Index([str(s) for s in stages], name="stage"),
    )
    out["chain_total"] = out["customers"] * out["chain_clv"]
    n = int(out["customers"].sum())
    chain_total, table_total = out["chain_total"].sum(), out["table_total"].sum()
    out.loc["all"] = [n, chain_total / n if n else np.nan, table_total, chain_total]
    out["customers"] = out["customers"].astype(np.int64)
    out["table_clv"] = out["table_total"] / out["customers"].where(out["customers"] > 0)
    out["ratio"] = out["table_clv"] / out["chain_clv"]
    out = out[["customers", "chain_clv", "table_clv", "ratio", "chain_total", "table_total"]]
    out.attrs["roles"] = {"customers": "count", "ratio": "ratio"} | {
        c: "money" for c in ("chain_clv", "table_clv", "chain_total", "table_total")
    }
    return out
