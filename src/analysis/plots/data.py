"""Figures that describe a transaction log (the data report)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.ticker import PercentFormatter

from ..tables.format import money
from .style import new_axes, plain_currency

__all__ = [
    "plot_purchases_per_customer",
    "plot_spend_distribution",
    "plot_repeat_transactions",
    "plot_cohorts",
]


def _axes(ax):
    return new_axes(ax, (7, 4))


def plot_purchases_per_customer(table: pd.DataFrame, ax=None, **kwargs):
    """Bar chart of customers by number of purchase days (from :func:`analysis.describe.purchases_per_customer`)."""
    ax = _axes(ax)
    kwargs.setdefault("color", sns.color_palette()[0])
    ax.bar(table.index.astype(str), table["customers"], **kwargs)
    ax.set_xlabel("purchase days per customer")
    ax.set_ylabel("customers")
    ax.set_title("How often customers buy")
    for x, (n, share) in enumerate(zip(table["customers"], table["share"], strict=True)):
        ax.annotate(f"{share:.0%}", (x, n), ha="center", va="bottom", fontsize=8)
    return ax


def plot_spend_distribution(transactions: pd.DataFrame, ax=None, *, currency: str = "$", **kwargs):
    """Histogram of transaction values on a log scale, with the median marked (money in ``currency``)."""
    ax = _axes(ax)
    values = transactions["amount"].to_numpy(dtype=float)
    positive = values[values > 0]
    kwargs.setdefault("bins", 50)
    kwargs.setdefault("log_scale", True)
    sns.histplot(positive, ax=ax, **kwargs)
    median = float(np.median(positive))
    ax.axvline(median, color="black", linestyle="--", linewidth=1)
    ax.annotate(
        f"median {money(median, plain_currency(currency))}",
        (median, ax.get_ylim()[1] * 0.9),
        xytext=(4, 0),
        textcoords="offset points",
        fontsize=8,
    )
    ax.set_xlabel(f"transaction value ({plain_currency(currency)}, log scale)")
    ax.set_ylabel("transactions")
    ax.set_title("Spend per transaction")
    return ax


def plot_repeat_transactions(table: pd.DataFrame, calibration_end=None, ax=None, **kwargs):
    """Repeat purchases per period (from :func:`analysis.describe.repeat_transactions`), calibration end marked."""
    ax = _axes(ax)
    kwargs.setdefault("label", "repeat purchases")
    ax.plot(table.index, table["repeat"], **kwargs)
    ax.plot(table.index, table["first"], color="grey", alpha=0.7, label="first purchases")
    if calibration_end is not None:
        ax.axvline(pd.Timestamp(calibration_end), color="black", linestyle="--", linewidth=1)
        ax.annotate(
            "calibration end",
            (pd.Timestamp(calibration_end), ax.get_ylim()[1] * 0.95),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_xlabel("period starting")
    ax.set_ylabel("purchases per period")
    ax.tick_params(axis="x", rotation=30)
    ax.set_title("Purchases per period")
    ax.legend(frameon=False)
    return ax


def plot_cohorts(table: pd.DataFrame, ax=None, **kwargs):
    """Cohort sizes (bars) and the share of each cohort that returns (line, right axis)."""
    ax = _axes(ax)
    kwargs.setdefault("color", sns.color_palette()[0])
    ax.bar(table.index.astype(str), table["customers"], **kwargs)
    ax.set_xlabel("month of the first purchase")
    ax.set_ylabel("new customers")
    ax.tick_params(axis="x", rotation=90)
    right = ax.twinx()
    right.plot(table.index.astype(str), table["returned"], color="black", marker="o")
    right.set_ylabel("share who return")
    right.set_ylim(0, 1)
    right.yaxis.set_major_formatter(PercentFormatter(1.0))
    right.grid(False)
    ax.set_title("Acquisition cohorts")
    return ax
